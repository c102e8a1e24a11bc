"""The workshop's pages hold what test_chapters runs, in the form it runs (pure: parsing only)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from .chapters import WORKSHOP, Command, File, Patch, chapters

CHAPTERS = chapters()
REPO = WORKSHOP.parents[1]


def test_there_are_at_least_six_chapters_and_the_readmes_link_them() -> None:
    assert len(CHAPTERS) >= 6
    index = (WORKSHOP / "README.md").read_text(encoding="utf-8")
    for chapter in CHAPTERS:
        assert f"]({chapter.path.name})" in index, f"docs/workshop/README.md does not link {chapter.name}"
    assert "](docs/workshop/README.md)" in (REPO / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_each_chapter_cites_microsoft_and_has_an_exercise_that_fails_then_passes(chapter) -> None:  # type: ignore[no-untyped-def]
    assert re.search(r"https://learn\.microsoft\.com/\S+", chapter.text), "no Microsoft docs link"
    assert "## What Azure does, and why" in chapter.text
    features = [
        a
        for a in chapter.actions
        if isinstance(a, File) and a.phase == "exercise" and a.path.endswith(".feature")
    ]
    assert features, "the exercise has no feature (```gherkin file=features/….feature)"
    before = [
        a
        for a in chapter.actions
        if isinstance(a, Command)
        and a.phase == "exercise"
        and a.text.startswith("pytest ")
        and a.exit_code == 1
    ]
    assert before, "the exercise never shows its feature failing (`$ pytest … # exits 1`)"
    solution = [a for a in chapter.actions if a.phase == "solution"]
    assert any(isinstance(a, (File, Patch)) for a in solution), "the solution changes nothing"
    failing = {a.text for a in before}
    assert any(isinstance(a, Command) and a.text in failing and a.exit_code == 0 for a in solution), (
        "the solution does not run the failing feature's pytest command again, passing"
    )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_commands_are_ones_a_learner_has(chapter) -> None:  # type: ignore[no-untyped-def]
    for action in chapter.actions:
        if isinstance(action, Command):
            assert action.text.split()[0] in {"mlops", "pytest", "rm", "cat"}, chapter.where(action)
        if isinstance(action, File):
            assert not Path(action.path).is_absolute() and ".." not in Path(action.path).parts
    assert "```bash" not in chapter.text and "```sh" not in chapter.text, (
        "commands go in ```console blocks with `$ ` lines, so that the tests run them"
    )
