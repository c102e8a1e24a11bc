"""File-matching patterns [DOC tasks/file-matching-patterns.md]."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.tasks.files import matches, select


@pytest.mark.parametrize(
    ("rel", "pattern", "ok"),
    [
        ("a.txt", "*", True),
        ("sub/a.txt", "*", False),
        ("sub/a.txt", "**", True),
        ("a.txt", "**/*.txt", True),
        ("x/y/a.txt", "**/*.txt", True),
        ("x/bin/y", "**/bin/**", True),
        ("bin/y", "**/bin/**", True),
        ("a.log", "*.{txt,log}", True),
        ("a.md", "*.{txt,log}", False),
        ("ab", "a?", True),
        ("a1", "a[0-9]", True),
        ("a.txt", "./a.txt", True),
        ("sub/a.txt", "sub\\a.txt", True),
    ],
)
def test_matches(rel: str, pattern: str, ok: bool) -> None:
    assert matches(rel, pattern) is ok


def test_select_includes_then_excludes_in_order(tmp_path: Path) -> None:
    for rel in ("a.txt", "b.log", "sub/c.txt", ".hidden/d.txt"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(rel)
    got = [
        p.relative_to(tmp_path).as_posix()
        for p in select(tmp_path, ["**", "!**/*.log", "# comment", "!sub/**"])
    ]
    assert got == [".hidden/d.txt", "a.txt"]
    got = [p.relative_to(tmp_path).as_posix() for p in select(tmp_path, ["!**/*.log", "**/*.log"])]
    assert got == ["b.log"]
    assert select(tmp_path / "missing", ["**"]) == []
