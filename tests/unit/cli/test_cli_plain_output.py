"""Plain, line-oriented output (CI logs, pipes) is a contract: snapshot-tested, so changes are deliberate.

Refresh the snapshots after an intended change with MLOPS_UPDATE_SNAPSHOTS=1 and review the diff.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import FAILING, GATED, mlops, normalize, write_project

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses


def test_gated_run_pauses_then_resumes(tmp_path: Path, snapshot: Callable[[str, str], None]) -> None:
    home = tmp_path / "home"
    pipe = write_project(tmp_path / "project", GATED)
    run = mlops(["run", str(pipe.name), "--as", "bob"], home, pipe.parent)
    assert run.returncode == 3, run.stderr
    assert run.stderr == ""
    snapshot("gated_run", normalize(run.stdout, home, pipe.parent))

    approve = mlops(
        ["approve", "1", "--environment", "test", "--as", "alice", "--comment", "fine"], home, pipe.parent
    )
    assert approve.returncode == 0, approve.stderr
    snapshot("approve", normalize(approve.stdout, home, pipe.parent))

    resume = mlops(["resume", "1"], home, pipe.parent)
    assert resume.returncode == 0, resume.stderr
    snapshot("resume", normalize(resume.stdout, home, pipe.parent))


def test_failed_run(tmp_path: Path, snapshot: Callable[[str, str], None]) -> None:
    home = tmp_path / "home"
    pipe = write_project(tmp_path / "project", FAILING, environments=None)
    run = mlops(["run", pipe.name, "--as", "bob"], home, pipe.parent)
    assert run.returncode == 1, run.stderr
    snapshot("failed_run", normalize(run.stdout, home, pipe.parent))


def test_quiet_keeps_errors_and_warnings_only(tmp_path: Path, snapshot: Callable[[str, str], None]) -> None:
    home = tmp_path / "home"
    pipe = write_project(tmp_path / "project", FAILING, environments=None)
    run = mlops(["run", pipe.name, "--as", "bob", "--quiet"], home, pipe.parent)
    assert run.returncode == 1, run.stderr
    assert "compiling" not in run.stdout and "about to fail" not in run.stdout
    assert "##[error]the answer was not 42" in run.stdout
    snapshot("failed_run_quiet", normalize(run.stdout, home, pipe.parent))


def test_json_goes_last_on_stdout_and_progress_to_stderr(tmp_path: Path) -> None:
    import json

    home = tmp_path / "home"
    pipe = write_project(tmp_path / "project", FAILING, environments=None)
    run = mlops(["run", pipe.name, "--as", "bob", "--json"], home, pipe.parent)
    assert run.returncode == 1
    summary = json.loads(run.stdout)
    assert summary["result"] == "failed"
    assert "▶ Stage Build" in run.stderr


def test_plain_is_chosen_in_ci_even_when_forced_to_a_terminal(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pipe = write_project(tmp_path / "project", FAILING, environments=None)
    run = mlops(
        ["run", pipe.name, "--as", "bob"],
        home,
        pipe.parent,
        extra_env={"CI": "true", "TTY_COMPATIBLE": "1", "TTY_INTERACTIVE": "1"},
    )
    assert "▶ Stage Build" in run.stdout
    assert "\x1b[?25l" not in run.stdout  # no live display (it hides the cursor)


def test_live_progress_when_asked_for(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pipe = write_project(tmp_path / "project", GATED)
    run = mlops(["run", pipe.name, "--as", "bob", "--progress", "live"], home, pipe.parent)
    assert run.returncode == 3, run.stderr
    assert "✔ Stage Build it" in run.stdout
    assert "Say hello" in run.stdout and "(3 lines)" in run.stdout
    assert "##[warning]be careful" in run.stdout
    assert "Run 1 is waiting for approval" in run.stdout
    assert "mlops approve 1 --environment test --as USER" in run.stdout
