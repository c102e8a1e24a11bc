"""docs/steps.md is generated from the step library: complete, up to date, and its patterns are the
ones the steps match. The library keeps `from emulator.testing.steps import *` working."""

from __future__ import annotations

import importlib
import re
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd.steps import step_function_context_registry

from emulator.testing import docs
from emulator.testing.plugin import STEP_MODULES


def test_the_committed_page_is_what_the_generator_writes() -> None:
    committed = docs.DOCS_PAGE.read_text(encoding="utf-8")
    assert committed == docs.render(), f"docs/steps.md is out of date: run {docs.REGENERATE}"


def test_every_step_has_a_docstring_and_a_place_on_the_page() -> None:
    steps = docs.collect()
    undocumented = [f"{s.module}:{s.line} {s.patterns[0]}" for s in steps if not s.doc]
    assert not undocumented, f"steps without a docstring (it is their line in docs/steps.md): {undocumented}"
    page = docs.render()
    for item in steps:
        for pattern in item.patterns:
            assert f"`{item.keyword} {pattern}`" in page
    assert len(steps) >= 75


def _contexts() -> list[Any]:
    for name in STEP_MODULES:
        importlib.import_module(name)
    return [c for c in step_function_context_registry.values() if c.step_func.__module__ in STEP_MODULES]


def _example(readable: str) -> str:
    """A step text a feature could write: `<x>` -> 1 (fits a quoted value and a number), `{a|b}` -> a."""
    text = re.sub(r"<\w+>", "1", readable)
    return re.sub(r"\{([^{}|]+)(\|[^{}]*)?\}", r"\1", text)


@pytest.mark.parametrize("context", _contexts(), ids=lambda c: c.step_func.__name__)
def test_each_documented_pattern_is_one_the_step_matches(context: Any) -> None:
    readable = docs.readable(context.parser.name)
    assert "\\" not in readable and "(?" not in readable, readable
    assert context.parser.is_matching(_example(readable)), (readable, context.parser.name)


@pytest.mark.parametrize(
    ("pattern", "readable"),
    [
        (r'^the\ pipeline\ "(?P<pipeline>[^"]*)"$', 'the pipeline "<pipeline>"'),
        (r"^a\ minute\ lasts\ (?P<seconds>-?\d+(?:\.\d+)?)\ seconds$", "a minute lasts <seconds> seconds"),
        (
            r'stage "(?P<stage>[^"]+)" (?P<result>succeeded|failed|was skipped)$',
            'stage "<stage>" {succeeded|failed|was skipped}',
        ),
        (r"the\ bad\-input\ error", "the bad-input error"),
        ("the parameters:", "the parameters:"),
    ],
)
def test_readable_patterns(pattern: str, readable: str) -> None:
    assert docs.readable(pattern) == readable


def test_a_stale_page_is_reported_with_the_command_that_regenerates_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "steps.md"
    page.write_text("# old\n", encoding="utf-8")
    assert docs.main(["--check", "-o", str(page)]) == 1
    assert docs.REGENERATE in capsys.readouterr().err
    assert docs.main(["-o", str(page)]) == 0
    assert docs.main(["--check", "-o", str(page)]) == 0


def test_star_import_gives_every_module_s_names() -> None:
    namespace: dict[str, object] = {}
    exec("from emulator.testing.steps import *", namespace)  # noqa: S102 - what a user's test module does
    for module in ("emulator.testing.steps.session", *STEP_MODULES):
        for name in importlib.import_module(module).__all__:
            assert name in namespace, f"{module}.{name}"
    for name in ("MlopsSession", "mlops_session", "docker_daemon_or_skip", "step_run_pipeline", "step"):
        assert name in namespace
