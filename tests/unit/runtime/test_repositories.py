"""repositories.yml and the checks that stop a run whose checkouts have no local folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.errors import ConfigError
from emulator.model import build
from emulator.normalize import normalize
from emulator.runtime import repositories as repos
from emulator.yamlio import loads

PIPELINE = """
resources:
  repositories:
  - repository: tools
    type: github
    name: contoso/tools
steps:
- checkout: self
- checkout: tools
- checkout: git://Proj/Lib@main
- checkout: tolls
"""


def test_file_paths_are_relative_to_the_file(tmp_path: Path) -> None:
    path = tmp_path / "ci" / repos.FILE_NAME
    path.parent.mkdir()
    path.write_text("repositories:\n  tools: ../tools\n  Proj/Lib: /abs/lib\n")
    loaded = repos.load(path)
    assert loaded == {"tools": (tmp_path / "tools").resolve(), "Proj/Lib": Path("/abs/lib")}
    merged = repos.merged(loaded, {"TOOLS": Path("/given")})
    assert merged == {"tools": Path("/given"), "proj/lib": Path("/abs/lib")}


@pytest.mark.parametrize("text", ["repositories: [a]\n", "repos: {}\n", "repositories:\n  tools:\n"])
def test_bad_files_are_located(tmp_path: Path, text: str) -> None:
    path = tmp_path / repos.FILE_NAME
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        repos.load(path)
    assert caught.value.location is not None and caught.value.location.file.endswith(repos.FILE_NAME)


def test_checks_name_the_flag_and_the_undeclared_alias(tmp_path: Path) -> None:
    pipeline = build(normalize(loads(PIPELINE, "p.yml", text_scalars=True)))
    (tmp_path / "lib").mkdir()
    undeclared, unmapped = repos.check_checkouts(pipeline, {"proj/lib": tmp_path / "lib"})
    [(message, hint, line)] = [(e.message, e.hint, e.location.line if e.location else None) for e in unmapped]
    assert message == "Repository 'tools' (contoso/tools) is checked out but has no local folder"
    assert "--repo tools=PATH" in (hint or "") and line == 9
    [missing] = undeclared
    assert missing.message == (
        "Checkout of repository 'tolls' is not supported. Only 'self', 'none', or a "
        "repository alias are supported."
    )
    assert "tools" in (missing.hint or "")
    assert repos.checkout_folders(pipeline, {"tools": tmp_path}) == {"tools": tmp_path}
    assert repos.check_checkouts(pipeline, {"tools": tmp_path / "nope", "proj/lib": tmp_path / "lib"})[1][
        0
    ].message.endswith("which is not a folder")
