"""`mlops recipes path` and the recipe commands outside a repository that holds recipes/: they use the
library that comes with mlops (this checkout here; the wheel's copy in tests/e2e/test_outside_install.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import recipes
from emulator.cli import main

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_a_checkout_carries_its_own_recipes() -> None:
    assert recipes.library_root() == REPO_ROOT


def test_recipes_path_prints_the_folder_for_repo_recipes(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["recipes", "path"]) == 0
    printed = capsys.readouterr().out
    assert printed == f"{REPO_ROOT}\n"
    assert (Path(printed.strip()) / "recipes" / "approval-gate" / "template.yml").is_file()


def test_outside_a_recipe_repository_the_commands_use_the_library(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["recipes", "list"]) == 0
    assert "approval-gate" in capsys.readouterr().out
    assert main(["recipes", "show", "approval-gate"]) == 0
    assert "template: recipes/approval-gate/template.yml" in capsys.readouterr().out


def test_a_repository_with_its_own_recipes_folder_is_listed_instead(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    (tmp_path / "recipes").mkdir()
    monkeypatch.chdir(tmp_path)
    assert main(["recipes", "list"]) == 0
    assert capsys.readouterr().out == ""
