"""Expansion reads files only through its file provider: a template tree held in memory expands as the
same tree on disk does, references and recipe schemas included, and a link out of the repository is
refused whatever provides the files."""

from __future__ import annotations

import json
from pathlib import Path, PurePosixPath

import pytest

from emulator.errors import TemplateError
from emulator.templates import expand_pipeline
from emulator.yamlio import plain

ROOT = Path("/in-memory/repo")  # nothing is on disk there: every read goes through the provider


class InMemoryFiles:
    """Files in a dict; `links` maps a path to where a symbolic link there points."""

    def __init__(self, files: dict[str, str], links: dict[str, Path] | None = None) -> None:
        self.files = {ROOT / name: text.encode() for name, text in files.items()}
        self.links = {ROOT / name: target for name, target in (links or {}).items()}
        self.reads: list[Path] = []

    def read(self, path: Path) -> bytes:
        self.reads.append(path)
        if path not in self.files:
            raise FileNotFoundError(str(path))
        return self.files[path]

    def is_file(self, path: Path) -> bool:
        return path in self.files

    def names(self, folder: Path) -> frozenset[str]:
        return frozenset(p.relative_to(folder).parts[0] for p in self.files if p.is_relative_to(folder))

    def real_path(self, path: Path) -> Path:
        return self.links.get(path, path)


TREE = {
    "azure-pipelines.yml": """
stages:
- template: /stages/build.yml
  parameters:
    image: ubuntu-22.04
""",
    "stages/build.yml": """
parameters:
- name: image
  type: string
stages:
- stage: Build
  jobs:
  - job: Make
    pool: {vmImage: '${{ parameters.image }}'}
    steps:
    - template: ../steps/train/template.yml
      parameters:
        epochs: 3
""",
    "steps/train/template.yml": """
parameters:
- name: epochs
  type: number
steps:
- script: echo train ${{ parameters.epochs }}
""",
    "steps/train/schema.json": json.dumps(
        {"type": "object", "properties": {"epochs": {"type": "integer", "maximum": 5}}}
    ),
}


def test_a_template_tree_in_memory_expands() -> None:
    files = InMemoryFiles(TREE)
    expanded = expand_pipeline(ROOT / "azure-pipelines.yml", repo_root=ROOT, files=files)
    job = plain(expanded.document)["stages"][0]["jobs"][0]
    assert job["pool"] == {"vmImage": "ubuntu-22.04"}
    assert job["steps"] == [{"script": "echo train 3"}]
    assert ROOT / "steps/train/schema.json" in files.reads  # the recipe's schema came from the provider too
    assert [PurePosixPath(f).name for f in expanded.files] == ["build.yml", "template.yml"]


def test_the_schema_and_misspelt_names_are_read_through_the_provider() -> None:
    too_many = {**TREE, "stages/build.yml": TREE["stages/build.yml"].replace("epochs: 3", "epochs: 9")}
    with pytest.raises(TemplateError, match="Invalid parameter 'epochs'"):
        expand_pipeline(ROOT / "azure-pipelines.yml", repo_root=ROOT, files=InMemoryFiles(too_many))
    misspelt = {**TREE, "azure-pipelines.yml": TREE["azure-pipelines.yml"].replace("build.yml", "Build.yml")}
    with pytest.raises(TemplateError) as caught:
        expand_pipeline(ROOT / "azure-pipelines.yml", repo_root=ROOT, files=InMemoryFiles(misspelt))
    assert caught.value.hint == "file names are case-sensitive: the file is spelled 'build.yml'"


def test_a_link_out_of_the_repository_is_refused_unread() -> None:
    files = InMemoryFiles(TREE, links={"stages/build.yml": Path("/etc/passwd")})
    with pytest.raises(TemplateError, match="is a symbolic link to /etc/passwd, outside repository self"):
        expand_pipeline(ROOT / "azure-pipelines.yml", repo_root=ROOT, files=files)
    assert ROOT / "stages/build.yml" not in files.reads
