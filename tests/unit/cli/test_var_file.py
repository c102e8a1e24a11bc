"""`--var-file FILE`: queue-time variables from a YAML mapping, by the rules of `--var` (values as
written, `--var` wins), and a located error for every way the file can be wrong."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from emulator.cli.arguments import queue_variables, var_file
from emulator.errors import MlopsError

GOOD = [
    ("greeting: hi there\n", {"greeting": "hi there"}),
    ("num: 5\nflag: true\nversion: 1.10\n", {"num": "5", "flag": "true", "version": "1.10"}),
    ("empty:\nquoted: ''\n", {"empty": "", "quoted": ""}),
    ("Build.Tag: x\nmy_var: 'a: b'\n", {"Build.Tag": "x", "my_var": "a: b"}),
    ("", {}),
]

BAD = [
    ("a:\n  b: 1\n", "bad.yml:2:3", "Variable a must be a single value, not a mapping"),
    ("a: [1, 2]\n", "bad.yml:1:4", "not a list"),
    ("bad name: 1\n", "bad.yml:1:1", "'bad name' is not a variable name"),
    ("- a\n- b\n", "bad.yml:1:1", "is not a mapping"),
    ("a: [\n", "bad.yml:1:5", "YAML syntax error"),
    ("a: 1\nA: 2\n", "bad.yml:2:1", "'A' is already defined"),
]


@pytest.mark.parametrize(("text", "expected"), GOOD)
def test_values_are_kept_as_written(tmp_path: Path, text: str, expected: dict[str, str]) -> None:
    path = tmp_path / "vars.yml"
    path.write_text(text)
    assert var_file(path) == expected


@pytest.mark.parametrize(("text", "where", "message"), BAD)
def test_bad_files_are_located_errors(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, where: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("bad.yml").write_text(text)
    with pytest.raises(MlopsError) as caught:
        var_file(Path("bad.yml"))
    rendered = caught.value.render()
    assert rendered.startswith(where) and message in rendered, rendered


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(MlopsError, match="not found"):
        var_file(tmp_path / "nope.yml")


def test_later_files_then_var_win(tmp_path: Path) -> None:
    (tmp_path / "a.yml").write_text("x: from-a\ny: from-a\nz: from-a\n")
    (tmp_path / "b.yml").write_text("y: from-b\nz: from-b\n")
    args = argparse.Namespace(var_file=[tmp_path / "a.yml", tmp_path / "b.yml"], var=["z=from-var"])
    assert queue_variables(args) == {"x": "from-a", "y": "from-b", "z": "from-var"}
