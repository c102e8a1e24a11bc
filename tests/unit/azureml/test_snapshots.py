"""What of a code folder Azure ML uploads: its root `.amlignore`, else its root `.gitignore`, decides
[DOC how-to-save-write-experiment-files; azure-ai-ml `get_ignore_file`], as data cases."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from emulator.azureml.assets.snapshots import code_filter

FILES = ("train.py", "data/big.csv", "data/keep.csv", "notes.md", "sub/helper.py", "sub/.gitignore")

CASES = [
    pytest.param(
        {},
        {"train.py", "data/big.csv", "data/keep.csv", "notes.md", "sub/helper.py", "sub/.gitignore"},
        id="no-ignore-file",
    ),
    pytest.param(
        {".gitignore": "data/\n"},
        {"train.py", "notes.md", "sub/helper.py", "sub/.gitignore", ".gitignore"},
        id="gitignore",
    ),
    pytest.param(
        {".amlignore": "*.csv\n!keep.csv\n", ".gitignore": "*.py\n"},
        {
            "train.py",
            "data/keep.csv",
            "notes.md",
            "sub/helper.py",
            "sub/.gitignore",
            ".amlignore",
            ".gitignore",
        },
        id="amlignore-wins-with-negation",
    ),
    pytest.param(
        {".amlignore": "notes.md\nsub\n"},
        {"train.py", "data/big.csv", "data/keep.csv", ".amlignore"},
        id="files-and-folders",
    ),
]


def _copied(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize(("ignore_files", "expected"), CASES)
def test_the_code_folders_own_ignore_file_decides(
    tmp_path: Path, ignore_files: dict[str, str], expected: set[str]
) -> None:
    code = tmp_path / "code"
    for name in FILES:
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        (code / name).write_text(
            name if name != "sub/.gitignore" else "helper.py\n"
        )  # not the root's: no effect
    for name, text in ignore_files.items():
        (code / name).write_text(text)
    shutil.copytree(code, tmp_path / "copy", ignore=code_filter(code))
    assert _copied(tmp_path / "copy") == expected


def test_caches_and_the_emulators_folders_are_never_code(tmp_path: Path) -> None:
    code = tmp_path / "repo"
    for name in (
        "score.py",
        "__pycache__/score.cpython-311.pyc",
        ".git/HEAD",
        ".mlops/runs/1/run.json",
        "state/x",
    ):
        (code / name).parent.mkdir(parents=True, exist_ok=True)
        (code / name).write_text("x")
    shutil.copytree(code, tmp_path / "copy", ignore=code_filter(code, code / "state"))
    assert _copied(tmp_path / "copy") == {"score.py"}
