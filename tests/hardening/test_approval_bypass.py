"""Defect 1 (high): `mlops approve` checked the record, waited for the run's lock, then reloaded the
record and signed it without checking it again. An edit made while it waited (the expanded pipeline
without its environment, and the digest to match) was signed with the decision, and production deployed
with no approval. A record is verified after the lock is taken, and what was not verified is never signed.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from pathlib import Path

import pytest

from emulator import runner
from emulator.errors import RunError
from emulator.runtime.events import SilentReporter
from emulator.store import runs as runstore

from .conftest import ENVIRONMENTS, GATED, Project


def _strip_environment(run_dir: Path) -> None:
    """What an attacker does while the decision waits: the gate's environment leaves the expanded
    pipeline, and the pipeline's digest in the record is updated to match."""
    pipeline = run_dir / "pipeline.yml"
    text = pipeline.read_text()
    assert "name: production" in text
    pipeline.write_text(text.replace("name: production", "name: sandbox"))
    record = json.loads((run_dir / "run.json").read_text())
    record["pipelineDigest"] = hashlib.sha256(pipeline.read_bytes()).hexdigest()
    (run_dir / "run.json").write_text(json.dumps(record))


def _while_waiting_for_the_lock(project: Project, run_id: str, act: object) -> BaseException | None:
    """Hold the run's lock, start `act` in a thread (it waits on the lock), edit the run, release."""
    held = runstore.load(project.home, run_id)
    outcome: list[BaseException | None] = []

    def target() -> None:
        try:
            act()  # type: ignore[operator]
            outcome.append(None)
        except BaseException as exc:  # noqa: BLE001 - the test inspects it
            outcome.append(exc)

    with held.exclusive():
        thread = threading.Thread(target=target)
        thread.start()
        time.sleep(0.5)  # the command has checked the run and now waits for the lock
        assert thread.is_alive(), outcome
        _strip_environment(held.dir)
    thread.join(30)
    return outcome[0]


def test_a_record_edited_while_approve_waits_is_refused_and_not_signed(project: Project) -> None:
    run = project.run(GATED, ENVIRONMENTS, user="bob")
    assert run.data["result"] == "paused"

    error = _while_waiting_for_the_lock(
        project,
        run.id,
        lambda: runner.decide(run.id, project.home, "production", "approved", "carol", "looks good"),
    )
    assert isinstance(error, RunError) and "changed outside mlops" in error.message, error
    assert runstore.load(project.home, run.id).tampering() is not None  # still not trusted
    with pytest.raises(RunError, match="Refusing to resume"):
        runner.resume(run.id, project.home, SilentReporter())


def test_a_pipeline_edited_between_the_check_and_the_lock_is_not_run(
    project: Project, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`resume` checked the record, then took the lock and read the pipeline again: an edit in between
    ran. Whatever runs is read once, under the lock, and checked against the signed digest."""
    run = project.run(GATED, ENVIRONMENTS, user="bob")
    checked = runner._trusted
    edits: list[int] = []

    def check_then_edit(target: runstore.Run, action: str) -> None:
        checked(target, action)
        if not edits:
            edits.append(1)
            _strip_environment(target.dir)

    monkeypatch.setattr(runner, "_trusted", check_then_edit)
    with pytest.raises(RunError, match="changed outside mlops"):
        runner.resume(run.id, project.home, SilentReporter())
    after = runstore.load(project.home, run.id)
    stage = next(s for s in after.data["stages"] if s["name"] == "Production")
    assert stage["state"] == "waiting" and stage.get("result") is None  # nothing deployed


def test_approve_then_resume_still_works(project: Project) -> None:
    run = project.run(GATED, ENVIRONMENTS, user="bob")
    runner.decide(run.id, project.home, "production", "approved", "carol", "ok")
    done = runner.resume(run.id, project.home, SilentReporter())
    assert done.data["result"] == "succeeded"


@pytest.mark.parametrize("edit", ["changed", "removed"])
def test_an_environments_snapshot_edited_by_hand_is_refused(project: Project, edit: str) -> None:
    """The run keeps the environments file it was queued with; losing its approval check by editing
    (or deleting) that copy does not open the gate."""
    run = project.run(GATED, ENVIRONMENTS, user="bob")
    snapshot = run.dir / "environments.yml"
    if edit == "changed":
        snapshot.write_text("environments:\n  production: {}\n")
    else:
        snapshot.unlink()
    with pytest.raises(RunError, match="environments snapshot .* was changed outside mlops"):
        runner.resume(run.id, project.home, SilentReporter())
    with pytest.raises(RunError, match="environments snapshot .* was changed outside mlops"):
        runner.decide(run.id, project.home, "production", "approved", "carol", "")
