"""The typed records describe the JSON runs store: every key a run writes is declared, with the right
kind of value, so code reading a record through the types reads what is there."""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_type_hints

import pytest

from emulator import runner
from emulator.records import AttemptRecord, JobRecord, RunRecord, StageRecord, StepRecord
from emulator.runtime.events import SilentReporter
from emulator.store import runs

pytestmark = pytest.mark.integration  # runs steps in subprocesses

PIPELINE = """
stages:
- stage: Build
  jobs:
  - job: Make
    steps:
    - bash: echo "##vso[task.setvariable variable=v;isOutput=true]1"
      name: out
    - bash: echo "##vso[task.logissue type=warning]careful"
  - job: Legs
    strategy:
      matrix:
        a: {x: '1'}
- stage: Gate
  jobs:
  - job: Wait
    pool: server
    steps:
    - task: ManualValidation@1
      inputs: {notifyUsers: ''}
"""
JOURNAL_KEYS = {"journalSeq"}  # written by the store itself


def _undeclared(record: dict[str, Any], declared: type, where: str) -> list[str]:
    hints = get_type_hints(declared)
    return [f"{where}.{key}" for key in record if key not in hints]


def test_a_run_writes_only_declared_keys(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    repo = tmp_path / "repo"
    home.mkdir()
    repo.mkdir()
    monkeypatch.setenv("MLOPS_HOME", str(home))
    (repo / "pipeline.yml").write_text(PIPELINE)
    run = runner.start(runner.RunRequest(repo / "pipeline.yml", user="ann"), home, SilentReporter())
    record = runs.load(home, run.id).data
    assert record["status"] == "paused"  # the manual validation waits: stages of every kind were written
    raw: dict[str, Any] = dict(record)
    missing = [k for k in _undeclared(raw, RunRecord, "run") if k.split(".", 1)[1] not in JOURNAL_KEYS]
    for stage in record["stages"]:
        missing += _undeclared(dict(stage), StageRecord, f"stage {stage['name']}")
        for job in stage["jobs"]:
            missing += _undeclared(dict(job), JobRecord, f"job {job['name']}")
            for attempt in job.get("attempts") or []:
                missing += _undeclared(dict(attempt), AttemptRecord, f"attempt of {job['name']}")
            for step in job["steps"]:
                missing += _undeclared(dict(step), StepRecord, f"step {step['name']}")
    assert missing == []
    make = record["stages"][0]["jobs"][0]
    assert make["outputs"] == {"out.v": "1"}
    assert [i["message"] for st in make["steps"] for i in st.get("issues") or []] == ["careful"]
    assert record["stages"][1]["jobs"][0]["steps"][0]["waitingSince"]
