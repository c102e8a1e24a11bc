"""Run records: ids from a locked counter, atomic saves, the timeline, secrets, one runner at a time."""

from __future__ import annotations

import json
import stat
import threading
from pathlib import Path

import pytest

from emulator.errors import RunError
from emulator.store import runs


def test_ids_are_distinct_under_concurrency(tmp_path: Path) -> None:
    ids: list[str] = []
    lock = threading.Lock()

    def one() -> None:
        run = runs.create(tmp_path, {"status": "queued"})
        with lock:
            ids.append(run.id)

    threads = [threading.Thread(target=one) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(ids, key=int) == [str(i) for i in range(1, 21)]
    assert [r["id"] for r in runs.list_runs(tmp_path)] == [str(i) for i in range(1, 21)]


def test_save_load_and_timeline(tmp_path: Path) -> None:
    run = runs.create(tmp_path, {"status": "queued", "stages": []})
    run.data["status"] = "running"
    run.save()
    run.event("jobStarted", stage="S", job="J")
    with run.timeline_path.open("a") as handle:
        handle.write('{"cut by a kill')
    again = runs.load(tmp_path, run.id)
    assert again.data["status"] == "running"
    assert [e["event"] for e in again.timeline()] == ["queued", "jobStarted"]
    assert run.log_path("S", "J.leg", 0, "step").name == "01-step.log"
    assert run.workspace("S", "J.leg").name == "S.J.leg"


def test_damaged_and_missing_records(tmp_path: Path) -> None:
    run = runs.create(tmp_path, {})
    run.record_path.write_text("{not json")
    with pytest.raises(RunError, match="damaged"):
        runs.load(tmp_path, run.id)
    with pytest.raises(RunError, match="not found"):
        runs.load(tmp_path, "999")


def test_secrets_file_is_private_and_not_in_the_record(tmp_path: Path) -> None:
    run = runs.create(tmp_path, {})
    run.save_secrets({"variables": {"token": "s3cr3t"}})
    path = run.dir / runs.SECRETS
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert run.secrets() == {"variables": {"token": "s3cr3t"}}
    assert "s3cr3t" not in json.dumps(runs.load(tmp_path, run.id).data)


def test_only_one_runner_at_a_time(tmp_path: Path) -> None:
    run = runs.create(tmp_path, {})
    with run.exclusive(wait=False):
        with (
            pytest.raises(RunError, match="another mlops process"),
            runs.load(tmp_path, run.id).exclusive(wait=False),
        ):
            pass
    with run.exclusive(wait=False):
        pass


def test_a_record_or_pipeline_edited_or_removed_by_hand_is_not_trusted(tmp_path: Path) -> None:
    import hashlib

    run = runs.create(tmp_path, {"status": "paused", "stages": []})
    run.pipeline_file.write_text("stages: []\n")
    run.data["pipelineDigest"] = hashlib.sha256(run.pipeline_file.read_bytes()).hexdigest()
    run.save()
    assert runs.load(tmp_path, run.id).tampering() is None
    run.pipeline_file.write_text("stages: [] # edited\n")
    assert "was changed outside mlops" in str(runs.load(tmp_path, run.id).tampering())
    run.pipeline_file.unlink()
    assert "was removed outside mlops" in str(runs.load(tmp_path, run.id).tampering())
    record = json.loads(run.record_path.read_text())
    record["status"] = "completed"
    run.record_path.write_text(json.dumps(record))
    assert "record" in str(runs.load(tmp_path, run.id).tampering())
