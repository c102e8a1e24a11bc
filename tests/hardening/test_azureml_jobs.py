"""Issue 15 on Azure ML jobs:

- #5: `az ml job create` from a step handed the step's variables and the secrets it maps to the job,
  which printed them to `std_log.txt`;
- #7/#10: a killed runner left its `az` running the job (an orphan), and a job whose `az` was killed
  stayed "Running", its MLflow run too. Now the job ends with the runner (Canceled, its run KILLED),
  and a job found without the `az` that ran it is marked Failed with the reason (its run FAILED) by
  `az ml job show|list`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from .azureml_support import Workspace, alive, make_workspace, wait_for

pytestmark = pytest.mark.integration  # runs `mlops` and `az` in subprocesses, with MLflow

SECRET = "hunter2-in-the-step-env"

ENV_JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: env | sort
environment: azureml:AzureML-sklearn-1.5@latest
environment_variables:
  GREETING: hello
compute: azureml:cpu-cluster
"""
LONG_JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: echo $$ > {mark} && exec sleep 120
environment: azureml:AzureML-sklearn-1.5@latest
compute: azureml:cpu-cluster
"""
PIPELINE = """\
steps:
- checkout: none
- bash: |
    az configure --defaults group=rg-test workspace=ws-test
    az ml job create -f "$JOB_FILE" --name long-job
  displayName: train
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = make_workspace(tmp_path)
    (workspace.repo / "env-job.yml").write_text(ENV_JOB)
    (workspace.repo / "long-job.yml").write_text(LONG_JOB.format(mark=tmp_path / "job.pid"))
    (workspace.repo / "pipeline.yml").write_text(PIPELINE)
    return workspace


def mlflow_status(ws: Workspace, job: dict[str, Any]) -> str:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=f"sqlite:///{ws.home / 'mlflow.db'}")
    return str(client.get_run(job["properties"]["mlflow.runId"]).info.status)


def test_a_job_gets_nothing_of_the_step_that_created_it(ws: Workspace) -> None:
    step = {"BUILD_BUILDID": "42", "SYSTEM_TEAMPROJECT": "local", "DEPLOY_PASSWORD": SECRET}
    env = ws.env(**step)
    ws.az("configure", "--defaults", "group=rg-test", "workspace=ws-test", env=env)
    job = ws.az("ml", "job", "create", "-f", "env-job.yml", env=env)
    log = (Path(job["properties"]["emulator.job_dir"]) / "user_logs" / "std_log.txt").read_text()
    names = {line.partition("=")[0] for line in log.splitlines() if "=" in line}
    assert SECRET not in log
    assert not {n for n in names if n.startswith(("BUILD_", "SYSTEM_", "AGENT_", "MLOPS_"))}, names
    assert {"GREETING", "AZUREML_RUN_ID", "MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "PATH", "HOME"} <= names


def test_a_job_ends_with_the_runner_that_started_its_step(ws: Workspace, tmp_path: Path) -> None:
    run = ws.mlops("run", "pipeline.yml", "-q", env=ws.env(JOB_FILE=str(ws.repo / "long-job.yml")))
    mark = tmp_path / "job.pid"
    wait_for(lambda: mark.exists() and mark.read_text().strip() != "", 120, "the job to start")
    job_pid = int(mark.read_text())
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    wait_for(lambda: not alive(job_pid), 15, "the job's process to end with the runner")
    job = ws.az("ml", "job", "show", "-n", "long-job")
    assert job["status"] == "Canceled"
    assert "interrupted" in job["properties"]["emulator.failure_reason"]
    assert mlflow_status(ws, job) == "KILLED"


def test_a_job_whose_az_was_killed_is_marked_failed(ws: Workspace, tmp_path: Path) -> None:
    ws.az("configure", "--defaults", "group=rg-test", "workspace=ws-test")
    az = subprocess.Popen(
        [sys.executable, "-m", "emulator.azureml", "ml", "job", "create", "-f", "long-job.yml", "-n", "cut"],
        cwd=ws.repo,
        env=ws.env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    mark = tmp_path / "job.pid"
    wait_for(lambda: mark.exists() and mark.read_text().strip() != "", 120, "the job to start")
    job_pid = int(mark.read_text())
    az.kill()  # SIGKILL: az cannot record anything
    az.wait()
    assert ws.az("ml", "job", "list", "--query", "[?name=='cut'].status")[0] == "Failed"
    job = ws.az("ml", "job", "show", "-n", "cut")
    assert job["status"] == "Failed"
    assert "ended before the job" in job["properties"]["emulator.failure_reason"]
    assert mlflow_status(ws, job) == "FAILED"
    wait_for(lambda: not alive(job_pid), 15, "the orphaned job's processes to be stopped")
    log = Path(job["properties"]["emulator.job_dir"]) / "user_logs" / "std_log.txt"
    assert "ended before the job" in log.read_text()  # what `az ml job stream` shows
