"""Defect 12 (low): errors without a location, or raw ones.

Every case runs the real command line and expects exit 2, a message with file:line:col where there is a
file, and no traceback: bytes that are not UTF-8, a NUL byte, nesting deeper than the service allows
(100 levels [DOC templates.md "Imposed limits"]; the service says "Maximum object depth exceeded"
[PG C-E03-208]), a state folder that can't be written, run ids that are paths, and source lines that
rich would have turned into emoji (`:x:`).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .conftest import ENVIRONMENTS, GATED, Project, no_traceback


def _nested_mappings(depth: int) -> str:
    lines = ["steps:", "- script: echo", "  env:"]
    lines += ["    " + "  " * i + f"k{i}:" for i in range(depth)]
    return "\n".join(lines) + " leaf\n"


BAD_FILES = [
    ("not UTF-8", b"steps:\n- script: echo caf\xe9 \xff\n", "pipeline.yml:2:19", "is not UTF-8 text"),
    ("NUL byte", b"steps:\n- script: echo a\x00b\n", "pipeline.yml:2:17", "unacceptable character #x0000"),
    ("deep mappings", _nested_mappings(150).encode(), "pipeline.yml:101:", "Maximum object depth exceeded"),
    (
        "deep flow",
        b"steps:\n- script: " + b"[" * 2000 + b"]" * 2000 + b"\n",
        "pipeline.yml:2:",
        "nesting depth",
    ),
    (
        "deep sequences",
        b"steps:\n- script: echo\n  env:\n    x: " + b"[" * 120 + b"]" * 120 + b"\n",
        "pipeline.yml:4:",
        "Maximum object depth exceeded",
    ),
]


@pytest.mark.parametrize(("case", "content", "where", "what"), BAD_FILES, ids=[c[0] for c in BAD_FILES])
def test_bad_bytes_and_deep_nesting_are_located(
    project: Project, case: str, content: bytes, where: str, what: str
) -> None:
    (project.repo / "pipeline.yml").write_bytes(content)
    for command in ("validate", "run"):
        proc = project.mlops(command, "pipeline.yml")
        assert proc.returncode == 2, (case, proc.stdout, proc.stderr)
        assert where in proc.stderr and what in proc.stderr, proc.stderr
        no_traceback(proc)
        assert "\x00" not in proc.stderr
        assert max(len(line) for line in proc.stderr.splitlines()) < 400  # a long line is cut


def test_a_nesting_of_100_levels_is_still_accepted(project: Project) -> None:
    (project.repo / "pipeline.yml").write_text(_nested_mappings(95))
    proc = project.mlops("validate", "pipeline.yml")
    assert proc.returncode == 0, proc.stderr


def test_source_lines_are_echoed_as_written_not_as_emoji(project: Project) -> None:
    (project.repo / "pipeline.yml").write_text("steps:\n- script: echo :x: done :thumbs_up:\n  bad: [\n")
    proc = project.mlops("validate", "pipeline.yml")
    assert proc.returncode == 2
    assert "echo :x: done :thumbs_up:" in proc.stderr, proc.stderr
    assert "❌" not in proc.stderr and "👍" not in proc.stderr


def _unwritable(tmp_path: Path) -> list[Path]:
    """State folders this process can't write: below a file, and a read-only folder (as root, chmod
    does not stop writes: use a read-only file system instead, when there is one)."""
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    homes = [blocker / "home"]
    if os.geteuid() != 0:
        locked = tmp_path / "read-only"
        locked.mkdir()
        locked.chmod(0o555)
        homes.append(locked / "home")
    elif not os.access("/sys", os.W_OK) or Path("/sys").stat().st_dev != Path("/").stat().st_dev:
        homes.append(Path("/sys/mlops-state"))
    return homes


def test_a_state_folder_that_cannot_be_written_is_a_message(project: Project, tmp_path: Path) -> None:
    project.write(GATED, ENVIRONMENTS)
    for home in _unwritable(tmp_path):
        for args in (("run", "pipeline.yml"), ("resume", "1"), ("approve", "1", "--as", "carol")):
            proc = project.mlops(*args, env=project.env(MLOPS_HOME=str(home)))
            assert proc.returncode == 2, (home, args, proc.stderr)
            assert f"The state folder {home} can't be written" in proc.stderr, proc.stderr
            no_traceback(proc)


def test_run_ids_that_are_paths_do_not_reach_another_state_folder(project: Project, tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    project.write(GATED, ENVIRONMENTS)
    queued = project.mlops("run", "pipeline.yml", "--as", "bob", env=project.env(MLOPS_HOME=str(other)))
    assert queued.returncode == 3, queued.stderr
    record = other / "runs" / "1" / "run.json"
    before = record.read_bytes()
    relative = os.path.relpath(other / "runs" / "1", project.home / "runs")
    for args in (
        ("resume", relative),
        ("approve", relative, "--as", "carol"),
        ("runs", "show", relative),
        ("logs", relative),
        ("report", relative, "-o", str(tmp_path / "r.html")),
        ("resume", "1/../1"),
        ("resume", "-1"),
        ("resume", "１"),
    ):
        proc = project.mlops(*args)
        assert proc.returncode == 2, (args, proc.stdout, proc.stderr)
        assert "is not a run id" in proc.stderr, proc.stderr
        no_traceback(proc)
    assert record.read_bytes() == before
    assert json.loads(before)["status"] == "paused"
