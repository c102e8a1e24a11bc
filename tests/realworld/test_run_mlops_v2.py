"""`mlops init` + `mlops run` of Microsoft's mlops-v2 template (classical, Azure ML CLI v2), unmodified:
the training pipeline, then the online-endpoint pipeline, in one state folder, as a new user would.

What Azure does with them, and so what must happen here, step by step:
- training: the repositories are checked out; `install-az-cli` pip-installs azure-cli 2.35 and the
  azure-ai-ml SDK into the agent's Python (here a throwaway virtualenv first on PATH, as a hosted
  agent's image Python; the emulated `az` stays the one that runs); `install-aml-cli` adds and updates
  the `ml` extension; the workspace defaults are configured; `taxi-train-env` (an image + conda file
  pinning MLflow 2.9.2 and two packages from GitHub, which are left out with a warning) and the compute
  cluster are registered; the data asset is uploaded; the pipeline job runs prep -> train -> evaluate
  -> register, the last registering `taxi-model` with `mlflow.register_model` through the state folder's
  MLflow tracking server;
- online endpoint: the endpoint is created, `taxi-online-dp` deploys `taxi-model` without environment
  or scoring script (an MLflow no-code deployment, its environment built from the model's conda.yaml),
  traffic goes to it, and it answers the template's sample request (`data/taxi-request.json`).

The corpus leaves out `data/taxi-data.csv` (its files over 200 KB are not kept): the copy gets a stand-in
with the same columns, made from the corpus's own `data/taxi-batch.csv` with a synthetic `cost`.
"""

from __future__ import annotations

import csv
import json
import os
import random
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from realworld_corpus import REPO, realworld

pytestmark = pytest.mark.slow

ROOT = "mlops-v2-classical-aml-cli-v2"
TRAINING = "mlops/devops-pipelines/deploy-model-training-pipeline.yml"
ONLINE = "mlops/devops-pipelines/deploy-online-endpoint-pipeline.yml"


def _taxi_data(project: Path) -> None:
    rows = list(csv.DictReader((project / "data" / "taxi-batch.csv").open(encoding="utf-8")))
    noise = random.Random(0)
    with (project / "data" / "taxi-data.csv").open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=[*rows[0], "cost"])
        writer.writeheader()
        for row in rows:
            cost = 2.5 + 2.2 * float(row["distance"]) + 0.3 * int(row["passengers"]) + noise.gauss(0, 1)
            writer.writerow({**row, "cost": f"{cost:.2f}"})


def _run(cwd: Path, env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=3000,
    )


def _steps(record: dict[str, object]) -> list[tuple[str, str]]:
    [stage] = record["stages"]  # type: ignore[misc]
    [job] = stage["jobs"]
    return [(s["displayName"], s["result"]) for s in job["steps"]]


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, str]]]:
    root = tmp_path_factory.mktemp("mlops-v2")
    corpus = realworld()
    project = root / ROOT
    shutil.copytree(corpus / ROOT, project)
    for path in [project, *project.rglob("*")]:
        path.chmod(path.stat().st_mode | 0o200)
    _taxi_data(project)
    commit = ["-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "copy"]
    for command in (["init", "-q"], ["add", "-A"], commit):
        subprocess.run(["git", *command], cwd=project, check=True)
    agent = root / "agent-python"  # the hosted agent's Python, which the template pip-installs into
    subprocess.run([sys.executable, "-m", "venv", str(agent)], check=True)
    # Its pip does not byte-compile: each pipeline installs azure-cli 2.35 (~1 GB, 20,000 modules that
    # nothing imports), and compiling them was two thirds of the install's CPU. (pip reads a `no-`
    # option's value inverted: `false` sets --no-compile.)
    (agent / "pip.conf").write_text("[install]\nno-compile = false\n", encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(
        MLOPS_HOME=str(root / "state"),
        MLFLOW_DISABLE_TELEMETRY="true",
        PYTHONPATH=str(REPO),
        COLUMNS="200",
        CI="true",
        PATH=f"{agent / 'bin'}{os.pathsep}{env.get('PATH', '')}",
    )
    templates = f"mlops-templates={corpus / 'mlops-templates'}"
    for pipeline in (TRAINING, ONLINE):
        init = _run(project, env, "init", pipeline, "--repo", templates)
        assert init.returncode == 0, init.stdout + init.stderr
    yield project, env
    _run(project, env, "down")


def test_the_training_pipeline_runs_unmodified(project: tuple[Path, dict[str, str]]) -> None:
    folder, env = project
    run = _run(
        folder,
        env,
        "run",
        TRAINING,
        "--no-prompt",
        "--progress",
        "plain",
        "--repo",
        f"mlops-templates={realworld() / 'mlops-templates'}",
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr
    record = json.loads(_run(folder, env, "runs", "show", "1", "--json").stdout)
    assert record["result"] == "succeeded"
    assert all(result == "succeeded" for _, result in _steps(record)), _steps(record)
    install = _run(folder, env, "logs", "1", "--step", "Install AZ ML dependencies").stdout
    assert '"emulated": true' in install  # `az version` after pip installed azure-cli: still ours
    pipeline = _run(folder, env, "logs", "1", "--step", "Run Azure ML pipeline").stdout
    assert "AzureML-Observability" in pipeline and "MLflow tracking server" in pipeline
    az = [sys.executable, "-m", "emulator.azureml"]
    shown = subprocess.run(
        [*az, "ml", "model", "show", "-n", "taxi-model", "-l", "latest"],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert shown.returncode == 0, shown.stderr
    assert json.loads(shown.stdout)["type"] == "mlflow_model"  # registered by mlflow.register_model


def test_the_online_endpoint_pipeline_deploys_the_mlflow_model_without_code(
    project: tuple[Path, dict[str, str]],
) -> None:
    folder, env = project
    run = _run(
        folder,
        env,
        "run",
        ONLINE,
        "--no-prompt",
        "--progress",
        "plain",
        "--repo",
        f"mlops-templates={realworld() / 'mlops-templates'}",
    )
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr
    record = json.loads(_run(folder, env, "runs", "show", "2", "--json").stdout)
    steps = _steps(record)
    assert record["result"] == "succeeded"
    assert steps[-2:] == [("Test deployment", "succeeded"), ("Test deployment", "skipped")], steps  # online
    assert all(result == "succeeded" for _, result in steps[:-1]), steps
    log = _run(folder, env, "logs", "2", "--step", "Test deployment").stdout
    [answer] = [line for line in log.splitlines() if "[" in line and "]" in line and "##" not in line][-1:]
    predictions = json.loads(json.loads(answer[answer.index('"') :]))  # az prints the body as a JSON string
    assert len(predictions) == 2 and all(isinstance(p, float) and p > 0 for p in predictions)
