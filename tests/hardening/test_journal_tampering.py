"""The record journal (defect 8's fix) must not open a way around the gates.

A run's changes since its last snapshot are journal lines, each signed with the run id and a sequence
number. A line added, edited, reordered or removed, or copied from another run, makes the record
untrusted: resume and approve refuse it, nothing signs it again. And a stage that started after another
run's last snapshot still holds that environment's exclusive lock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator import runner
from emulator.errors import RunError
from emulator.runtime.events import SilentReporter
from emulator.store import runs as runstore

from .conftest import ENVIRONMENTS, GATED, Project


def _paused_with_journal(project: Project) -> runstore.Run:
    """A paused run whose record has journal lines after its snapshot (a resume that pauses again)."""
    run = project.run(GATED, ENVIRONMENTS, user="bob")
    assert run.data["result"] == "paused"
    loaded = runstore.load(project.home, run.id)
    with loaded.exclusive():
        loaded.data["note"] = "a change after the snapshot"
        loaded.save(loaded.data["stages"][1])  # one journal line
        loaded.data["note"] = "and another"
        loaded.save(loaded.data["stages"][1])
    assert len(loaded.journal_path.read_text().splitlines()) == 2
    return loaded


def _forge_line(path: Path) -> None:
    """A line that marks the gated stage succeeded, with a made-up signature."""
    lines = path.read_text().splitlines()
    entry = json.loads(lines[-1])
    entry["seq"] += 1
    entry["ops"] = [[["stages", 1, "state"], "completed"], [["stages", 1, "result"], "succeeded"]]
    path.write_text("\n".join([*lines, json.dumps(entry)]) + "\n")


def _edit_line(path: Path) -> None:
    lines = path.read_text().splitlines()
    lines[0] = lines[0].replace("a change after the snapshot", "approved by carol")
    path.write_text("\n".join(lines) + "\n")


def _swap_lines(path: Path) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(reversed(lines)) + "\n")


def _drop_first_line(path: Path) -> None:
    lines = path.read_text().splitlines()
    path.write_text("\n".join(lines[1:]) + "\n")


TAMPERING: dict[str, Callable[[Path], None]] = {
    "a forged line": _forge_line,
    "an edited line": _edit_line,
    "lines reordered": _swap_lines,
    "a line removed": _drop_first_line,
}


@pytest.mark.parametrize("how", list(TAMPERING))
def test_a_journal_changed_by_hand_is_refused(project: Project, how: str) -> None:
    run = _paused_with_journal(project)
    TAMPERING[how](run.journal_path)
    assert runstore.load(project.home, run.id).tampering() is not None
    with pytest.raises(RunError, match="changed outside mlops"):
        runner.resume(run.id, project.home, SilentReporter())
    with pytest.raises(RunError, match="changed outside mlops"):
        runner.decide(run.id, project.home, "production", "approved", "carol", "")
    stage = runstore.load(project.home, run.id).data["stages"][1]
    assert stage.get("result") != "succeeded"


def test_a_journal_copied_from_another_run_is_refused(project: Project) -> None:
    first = _paused_with_journal(project)
    second = project.run(GATED, ENVIRONMENTS, user="bob")
    second.journal_path.write_bytes(first.journal_path.read_bytes())
    with pytest.raises(RunError, match="changed outside mlops"):
        runner.resume(second.id, project.home, SilentReporter())


def test_an_exclusive_lock_is_held_from_the_journal_too(project: Project) -> None:
    """Run 1 is inside its production stage, recorded only in its journal; run 2 must wait."""
    environments = ENVIRONMENTS.replace(
        "      - type: approval\n        approvers: [release-managers]\n", "      - type: exclusiveLock\n"
    )
    assert "exclusiveLock" in environments
    first = project.run(GATED, environments)
    assert first.data["result"] == "succeeded"
    holder = runstore.load(project.home, first.id)
    with holder.exclusive():  # make it look like it is still deploying, after its last snapshot
        holder.data.update(status="running")
        holder.save()
        stage = holder.data["stages"][1]
        stage.update(state="running", result=None)
        holder.save(stage)
    assert json.loads(holder.record_path.read_text())["stages"][1]["state"] == "completed"  # snapshot: old
    second = project.run(GATED, environments)
    assert second.data["result"] == "paused"
    checks = [c for c in second.data["checks"] if c["environment"] == "production"]
    assert f"run {first.id} holds the exclusive lock" in checks[-1]["message"]
