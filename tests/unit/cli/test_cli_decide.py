"""`mlops approve|reject`: the decision goes to what the run waits for, named or not, and nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import GATED, mlops, write_project

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

TWO_GATES = """\
stages:
  - stage: Staging
    dependsOn: []
    jobs:
      - deployment: Ship
        environment: test
        strategy: {runOnce: {deploy: {steps: [{script: echo staging}]}}}
  - stage: Check
    dependsOn: []
    jobs:
      - job: Validate
        pool: server
        steps:
          - task: ManualValidation@0
            inputs: {notifyUsers: ''}
"""


def test_without_a_target_the_only_wait_is_decided(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pipe = write_project(tmp_path / "project", GATED)
    assert mlops(["run", pipe.name, "--as", "bob"], home, pipe.parent).returncode == 3
    wrong = mlops(["approve", "1", "--job", "Deploy.Ship", "--as", "alice"], home, pipe.parent)
    assert wrong.returncode == 2
    assert "is waiting for environment 'test' (stage Deploy), not for job Deploy.Ship" in wrong.stderr
    assert "mlops approve 1 --environment test --as USER" in wrong.stderr
    done = mlops(["approve", "1", "--as", "alice"], home, pipe.parent)
    assert done.returncode == 0, done.stderr
    assert "environment test approved by alice for stage Deploy" in done.stdout
    assert mlops(["resume", "1"], home, pipe.parent).returncode == 0
    late = mlops(["reject", "1", "--as", "alice"], home, pipe.parent)
    assert late.returncode == 2 and "is not waiting for a decision (status: completed)" in late.stderr


def test_with_two_waits_the_target_must_be_named(tmp_path: Path) -> None:
    home = tmp_path / "home"
    pipe = write_project(tmp_path / "project", TWO_GATES)
    run = mlops(["run", pipe.name, "--as", "bob"], home, pipe.parent)
    assert run.returncode == 3, run.stdout + run.stderr
    both = mlops(["approve", "1", "--as", "alice"], home, pipe.parent)
    assert both.returncode == 2 and "waits for more than one decision" in both.stderr
    assert "mlops approve 1 --job Check.Validate --as USER" in both.stderr
    job = mlops(
        ["approve", "1", "--job", "Check.Validate", "--as", "erin", "--comment", "ok"], home, pipe.parent
    )
    assert job.returncode == 0 and "manual validation of job Check.Validate approved by erin" in job.stdout
    env = mlops(["approve", "1", "--environment", "TEST", "--as", "alice"], home, pipe.parent)
    assert env.returncode == 0, env.stderr
    resumed = mlops(["resume", "1"], home, pipe.parent)
    assert resumed.returncode == 0, resumed.stdout


def test_a_gate_that_passed_since_it_waited_is_not_waited_on() -> None:
    from emulator.runner import Wait, waits

    record = {
        "stages": [{"name": "Deploy", "state": "waiting", "jobs": [{"name": "Ship", "state": "pending"}]}],
        "checks": [
            {"stage": "Deploy", "environment": "staging", "status": "pending"},
            {"stage": "Deploy", "environment": "staging", "status": "passed"},
            {"stage": "Deploy", "environment": "production", "status": "pending"},
        ],
    }
    assert waits(record) == [Wait("Deploy", environment="production")]
