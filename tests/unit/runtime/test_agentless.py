"""Agentless jobs (`pool: server`): which decisions a manual validation counts, and `Delay@1`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from emulator.gates import approvals
from emulator.runtime.agentless import decisions_for
from emulator.store.runs import Run

from .conftest import job


def _decision(run: str, stage: str, job_name: str) -> dict[str, str]:
    return {"run": run, "stage": stage, "job": job_name, "decision": "approved", "by": "ann", "at": "now"}


def test_only_signed_decisions_on_this_job_count(tmp_path: Path) -> None:
    mine = approvals.sign(tmp_path, _decision("7", "Deploy", "Wait"))
    other_job = approvals.sign(tmp_path, _decision("7", "Deploy", "Other"))
    other_run = approvals.sign(tmp_path, _decision("8", "Deploy", "Wait"))
    forged = {**_decision("7", "deploy", "wait"), "signature": "not-a-signature"}
    run = {"id": "7", "approvals": [mine, other_job, other_run, forged]}
    assert decisions_for(run, tmp_path, "DEPLOY", "wait") == ([mine], 2)


PIPELINE = """
jobs:
- job: Pause
  pool: server
  steps:
  - task: Delay@1
    inputs:
      delayForMinutes: '{minutes}'
"""


def test_delay_waits_and_refuses_what_is_not_a_number(run_pipeline: Callable[..., Run]) -> None:
    done = job(run_pipeline(PIPELINE.format(minutes="0")), "__default", "Pause")
    assert done["result"] == "succeeded"
    bad = job(run_pipeline(PIPELINE.format(minutes="soon")), "__default", "Pause")
    assert bad["result"] == "failed"
    assert "delayForMinutes must be a number of minutes, not 'soon'" in bad["steps"][0]["message"]
