"""`mlops validate` remembers its report by the content of every input, and forgets it when one changes."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator import validation_cache
from emulator.runner import compile_pipeline
from emulator.validation import Report

TEMPLATE = """\
parameters:
- name: file
  type: string
steps:
- task: AzureCLI@2
  inputs:
    azureSubscription: conn
    scriptType: bash
    scriptLocation: inlineScript
    inlineScript: az ml environment create --file ${{ parameters.file }}
"""
ENVIRONMENT = "name: env\nimage: python:3.11-slim\nconda_file: conda.yml\n"
CONDA = "name: env\ndependencies:\n- python=3.11\n- pip:\n  - pandas\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(validation_cache.CACHE_VAR, str(tmp_path / "cache"))
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "steps.yml").write_text(TEMPLATE)
    (root / "environment.yml").write_text(ENVIRONMENT)
    (root / "conda.yml").write_text(CONDA)
    (root / "pipe.yml").write_text("steps:\n- template: steps.yml\n  parameters: {file: environment.yml}\n")
    return root


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """The repository roots `validation.validate` really ran for (a cached report skips it)."""
    ran: list[Path] = []
    real: Callable[..., Report] = validation_cache.validate

    def spy(pipeline: Any, expanded: Any, repo_root: Path, local_tasks: Any = (), **options: Any) -> Report:
        ran.append(repo_root)
        return real(pipeline, expanded, repo_root, local_tasks, **options)

    monkeypatch.setattr(validation_cache, "validate", spy)
    return ran


def _validate(root: Path) -> Report:
    compiled = compile_pipeline(root / "pipe.yml")
    return validation_cache.cached_validate(
        compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root
    )


def test_the_same_inputs_give_the_cached_report(project: Path, validations: list[Path]) -> None:
    first = _validate(project)
    second = _validate(project)
    assert len(validations) == 1
    assert [f.path for f in second.azureml_files] == [f.path for f in first.azureml_files]
    assert second.errors == () and first.errors == ()
    folder = validation_cache.cache_dir()
    assert folder is not None and (folder.stat().st_mode & 0o777) == 0o700


@pytest.mark.parametrize(
    "edit",
    [
        # an included template: a value it passes on, or only where its nodes sit
        lambda root: (root / "steps.yml").write_text(TEMPLATE.replace("--file", "-f")),
        lambda root: (root / "steps.yml").write_text("# a comment moves every line\n" + TEMPLATE),
        # the Azure ML YAML, and a file it names
        lambda root: (root / "environment.yml").write_text(ENVIRONMENT.replace("3.11-slim", "3.12-slim")),
        lambda root: (root / "conda.yml").write_text(CONDA.replace("pandas", "numpy")),
        lambda root: (root / "conda.yml").unlink(),
    ],
    ids=["template-value", "template-lines", "azureml-yaml", "conda-file", "conda-file-removed"],
)
def test_editing_any_input_validates_again(
    project: Path, validations: list[Path], edit: Callable[[Path], Any]
) -> None:
    _validate(project)
    edit(project)
    _validate(project)
    assert len(validations) == 2


def test_an_error_is_reported_again_from_the_cache(project: Path, validations: list[Path]) -> None:
    (project / "environment.yml").write_text("name: env\nimage: python:3.11-slim\nbuild: 3\n")
    first, second = _validate(project), _validate(project)
    assert len(validations) == 1 and first.errors and len(second.errors) == len(first.errors)
    assert second.errors[0].render() == first.errors[0].render()


def test_off_disables_the_cache(
    project: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(validation_cache.CACHE_VAR, "off")
    _validate(project)
    _validate(project)
    assert len(validations) == 2
