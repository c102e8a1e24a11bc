"""Ctrl-C semantics [DOC process/conditions.md "Condition outcomes when a build is canceled";
AGENT StepsRunner]: the running step is stopped, always() work still runs, later default work is
skipped, the record is saved."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.runtime.process import Cancellation
from emulator.store.runs import Run

from .conftest import job

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

PIPELINE = """
stages:
- stage: A
  jobs:
  - job: Long
    steps:
    - bash: touch "$(Agent.TempDirectory)/../../started"; sleep 30
      name: slow
    - script: echo never
      name: next
    - script: echo cleanup after cancel
      name: cleanup
      condition: always()
    - script: echo canceled
      name: onCancel
      condition: canceled()
- stage: B
  jobs:
  - job: J
    steps:
    - script: echo skipped
- stage: C
  condition: always()
  jobs:
  - job: J
    steps:
    - script: echo the job's default succeeded() is false once canceled
- stage: D
  dependsOn: A
  condition: always()
  jobs:
  - job: J
    condition: always()
    steps:
    - script: echo always runs
"""


def _cancel_when_started(work: Path, cancellation: Cancellation, abort: bool = False) -> None:
    def watch() -> None:
        for _ in range(500):
            if any(work.glob("runs/*/work/started")):
                (cancellation.abort if abort else cancellation.cancel)()
                return
            time.sleep(0.02)

    threading.Thread(target=watch, daemon=True).start()


def test_cancel_stops_the_step_and_keeps_always_work(
    run_pipeline: Callable[..., Run], tmp_path: Path
) -> None:
    cancellation = Cancellation()
    _cancel_when_started(tmp_path / "home", cancellation)
    started = time.monotonic()
    run = run_pipeline(PIPELINE, cancellation)
    assert time.monotonic() - started < 20
    assert run.data["result"] == "canceled" and run.data["status"] == "completed"
    long = job(run, "A", "Long")
    assert long["result"] == "canceled"
    results = {s["name"]: s["result"] for s in long["steps"]}
    assert results == {
        "checkout": "succeeded",
        "slow": "canceled",
        "next": "skipped",
        "cleanup": "succeeded",
        "onCancel": "succeeded",
    }
    stages = {s["name"]: s["result"] for s in run.data["stages"]}
    assert stages == {"A": "canceled", "B": "skipped", "C": "skipped", "D": "succeeded"}


def test_abort_stops_everything(run_pipeline: Callable[..., Run], tmp_path: Path) -> None:
    cancellation = Cancellation()
    _cancel_when_started(tmp_path / "home", cancellation, abort=True)
    run = run_pipeline(PIPELINE, cancellation)
    assert run.data["result"] == "canceled"
    stages = {s["name"]: s["result"] for s in run.data["stages"]}
    assert stages["A"] == "canceled" and stages["D"] == "canceled"
    assert all(s["state"] == "completed" for s in run.data["stages"])
