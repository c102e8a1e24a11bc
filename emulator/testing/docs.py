"""docs/steps.md, generated from the step library: every step's Gherkin pattern and docstring, by module.

    python -m emulator.testing.docs            # rewrite docs/steps.md of this checkout
    python -m emulator.testing.docs --check    # exit 1 when docs/steps.md is out of date

The patterns are read back from the parsers pytest-bdd registered, so the page cannot drift from what the
steps match; tests/unit/testing checks that the committed page is what this produces.
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from emulator.testing.plugin import STEP_MODULES

DOCS_PAGE = Path(__file__).resolve().parents[2] / "docs" / "steps.md"
REGENERATE = "python -m emulator.testing.docs"
_KEYWORDS = {"given": 0, "when": 1, "then": 2}

INTRO = f"""\
# The Gherkin step library

<!-- Generated from emulator/testing/steps/ by `{REGENERATE}`; do not edit by hand.
tests/unit/testing checks that this page is up to date. -->

`emulator/testing/steps/` holds pytest-bdd steps that drive the real `mlops` command line (and the
emulated `az`) against an isolated state folder, so a team can write features for its own recipes and
pipelines. The package registers a pytest plugin (`mlops`, entry point `pytest11`) that provides the
`mlops_home` fixture and, where pytest-bdd is installed (`pip install 'mlops-recipes-emulator[test]'`),
loads the steps; a test module only binds its feature:

```python
# tests/features/test_my_recipe.py
from pytest_bdd import scenarios

scenarios("../../features/my_recipe.feature")
```

Each scenario gets a fresh `$MLOPS_HOME` (runs, MLflow registry, endpoints); endpoints a scenario
started are stopped when it ends. Commands run from the repository root. The `MlopsSession` object
(fixture `mlops_session`, `from emulator.testing.steps import MlopsSession`) is there for your own
steps: `run_json(*args)`, `mlops(*args)`, `stage(name)`, `summary`, `run_id`, `exit_code`, `stdout`,
`stderr`.

In the patterns below, `"<name>"` is one quoted value (Gherkin strings cannot contain `"`: check a
distinctive part of a text instead), `<n>` a number, and `{{a|b}}` one of the words. Lists inside one
value are comma-separated (`"Build, Test"`). Scenarios tagged `@e2e` deploy, train or score for real
(tens of seconds each); `pytest -m "not e2e"` leaves them out.
"""


@dataclass(frozen=True)
class DocumentedStep:
    """One step function: its keyword, the patterns it matches (readable), and its docstring."""

    module: str
    keyword: str
    patterns: tuple[str, ...]
    doc: str
    line: int


def readable(pattern: str) -> str:
    """A step parser's pattern as a person reads it: named groups become `<name>` (or `{a|b}` for a
    choice of words), escapes and anchors go."""
    text = pattern.removeprefix("^").removesuffix("$")
    out: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("(?P<", i):
            name_end = text.index(">", i)
            end = _group_end(text, name_end + 1)
            body = text[name_end + 1 : end]
            words = body.split("|")
            is_choice = len(words) > 1 and all(w.replace(" ", "").isalpha() for w in words)
            out.append("{" + body + "}" if is_choice else f"<{text[i + 4 : name_end]}>")
            i = end + 1
        elif text[i] == "\\":
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def _group_end(text: str, start: int) -> int:
    """The index of the `)` closing the group whose body starts at `start`."""
    depth, i = 1, start
    while i < len(text):
        char = text[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            i = text.index("]", i + 2)
        elif char == "(":
            depth += 1
        elif char == ")":
            depth -= 1
            if depth == 0:
                return i
        i += 1
    raise ValueError(f"unbalanced group in step pattern {text!r}")


def collect() -> list[DocumentedStep]:
    """Every step of STEP_MODULES, in module order, then Given/When/Then, then source order."""
    from pytest_bdd.steps import step_function_context_registry

    for name in STEP_MODULES:
        importlib.import_module(name)
    by_function: dict[Callable[..., object], list[tuple[str, str]]] = {}
    for context in list(step_function_context_registry.values()):
        if getattr(context.step_func, "__module__", None) in STEP_MODULES:
            entry = (context.type or "step", readable(context.parser.name))
            by_function.setdefault(context.step_func, []).append(entry)
    found = []
    for func, entries in by_function.items():
        keywords = sorted({keyword for keyword, _ in entries}, key=lambda k: _KEYWORDS.get(k, 3))
        found.append(
            DocumentedStep(
                module=func.__module__,
                keyword="/".join(keywords).title(),
                patterns=tuple(sorted(pattern for _, pattern in entries)),
                doc=" ".join((inspect.getdoc(func) or "").split()),
                line=inspect.getsourcelines(func)[1],
            )
        )
    return sorted(
        found, key=lambda s: (STEP_MODULES.index(s.module), _KEYWORDS.get(s.keyword.lower(), 3), s.line)
    )


def _section(module: str, steps: Sequence[DocumentedStep]) -> list[str]:
    doc = inspect.getdoc(importlib.import_module(module)) or module
    title, _, rest = doc.partition(":")
    paragraphs = [" ".join(p.split()) for p in rest.strip().split("\n\n") if p.strip()]
    paragraphs = [p[:1].upper() + p[1:] for p in paragraphs] or [""]
    paragraphs[-1] += f" (`{module}`)"
    lines = [f"## {title.strip()}", ""]
    for paragraph in paragraphs:
        lines += [paragraph.lstrip(), ""]
    for item in steps:
        patterns = " / ".join(f"`{item.keyword} {p}`" for p in item.patterns)
        lines.append(f"- {patterns}: {item.doc}" if item.doc else f"- {patterns}")
    return lines + [""]


def render() -> str:
    """The whole page."""
    steps = collect()
    lines = [INTRO]
    for module in STEP_MODULES:
        lines += _section(module, [s for s in steps if s.module == module])
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=f"{REGENERATE}", description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when the page is out of date")
    parser.add_argument(
        "-o", "--output", type=Path, default=DOCS_PAGE, help=f"the page (default: {DOCS_PAGE})"
    )
    args = parser.parse_args(argv)
    text = render()
    current = args.output.read_text(encoding="utf-8") if args.output.is_file() else None
    if args.check:
        if current == text:
            return 0
        sys.stderr.write(f"{args.output} is out of date: run {REGENERATE}\n")
        return 1
    if current != text:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    sys.stdout.write(f"{args.output}: {len(collect())} steps\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
