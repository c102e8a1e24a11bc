"""A template that is a symbolic link out of its repository is refused, located, without reading it.

Before the fix a link to a file elsewhere on the machine was read and expanded, and a link to a file
that is not YAML (/etc/passwd) showed that file's first line in the error message.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from emulator.errors import TemplateError
from emulator.templates import expand_pipeline


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A secret-looking file outside the repository (it must never be read or shown)."""
    secret = tmp_path / "elsewhere" / "credentials.yml"
    secret.parent.mkdir()
    secret.write_text("steps:\n- script: echo TOP-SECRET-VALUE\n")
    return secret


def _repo(tmp_path: Path, reference: str) -> Path:
    repo = tmp_path / "repo"
    (repo / "templates").mkdir(parents=True, exist_ok=True)
    (repo / "azure-pipelines.yml").write_text(f"steps:\n- template: {reference}\n")
    return repo


def test_link_to_a_file_outside_is_refused(tmp_path: Path, outside: Path) -> None:
    repo = _repo(tmp_path, "templates/steps.yml")
    os.symlink(outside, repo / "templates" / "steps.yml")
    with pytest.raises(TemplateError) as caught:
        expand_pipeline(repo / "azure-pipelines.yml", repo_root=repo)
    err = caught.value
    assert "is a symbolic link to" in err.message and str(outside) in err.message
    assert "outside repository self" in err.message
    assert err.location is not None and err.location.file.endswith("azure-pipelines.yml")
    assert (err.location.line, err.location.col) == (2, 13)
    assert "TOP-SECRET-VALUE" not in err.render()


def test_link_to_a_system_file_does_not_show_its_content(tmp_path: Path) -> None:
    passwd = Path("/etc/passwd")
    if not passwd.is_file():
        pytest.skip("needs /etc/passwd (a file outside any test repository)")
    repo = _repo(tmp_path, "templates/evil.yml")
    os.symlink(passwd, repo / "templates" / "evil.yml")
    with pytest.raises(TemplateError) as caught:
        expand_pipeline(repo / "azure-pipelines.yml", repo_root=repo)
    first_line = passwd.read_text().splitlines()[0]
    assert "symbolic link" in caught.value.message
    assert first_line not in caught.value.render()


def test_a_linked_folder_leading_outside_is_refused(tmp_path: Path, outside: Path) -> None:
    repo = _repo(tmp_path, "shared/credentials.yml")
    os.symlink(outside.parent, repo / "shared")
    with pytest.raises(TemplateError, match="symbolic link"):
        expand_pipeline(repo / "azure-pipelines.yml", repo_root=repo)


def test_a_link_inside_the_repository_still_works(tmp_path: Path) -> None:
    repo = _repo(tmp_path, "templates/alias.yml")
    (repo / "templates" / "real.yml").write_text("steps:\n- script: echo real\n")
    os.symlink("real.yml", repo / "templates" / "alias.yml")
    doc = expand_pipeline(repo / "azure-pipelines.yml", repo_root=repo).document
    assert doc["steps"][0]["script"] == "echo real"


def test_a_template_repository_cannot_link_out_either(tmp_path: Path, outside: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "azure-pipelines.yml").write_text(
        "resources:\n  repositories:\n  - repository: tpl\n    type: git\n    name: p/tpl\n"
        "steps:\n- template: steps.yml@tpl\n"
    )
    other = tmp_path / "tpl"
    other.mkdir()
    os.symlink(outside, other / "steps.yml")
    with pytest.raises(TemplateError, match="outside repository tpl"):
        expand_pipeline(repo / "azure-pipelines.yml", repos={"tpl": other}, repo_root=repo)
