"""Fixtures for the ML code tests: one real training run per session, shared by train and score tests.

Training runs ``code/train.py`` as a subprocess, the way Azure ML and the emulator run it, against a
throwaway sqlite MLflow store. The MLflow run is created first and handed over through
``MLFLOW_RUN_ID``, as Azure ML does for a command job.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
CODE_DIR = REPO_ROOT / "code"
DATASET_DIR = REPO_ROOT / "dataset"
DATASET_CSV = DATASET_DIR / "german_credit.csv"

# MLflow also runs in-process here (loading models, reading runs), from collection time on: no
# telemetry DNS lookup, no file in ~/.config.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")


@dataclass(frozen=True)
class TrainedModel:
    """What one training run left behind."""

    tracking_uri: str
    run_id: str
    experiment_id: str
    azureml_model_dir: Path  # what Azure ML would export as AZUREML_MODEL_DIR
    model_dir: Path  # the job output folder (the MLflow model) inside it
    stdout: str
    seconds: float


def load_module(path: Path, name: str) -> ModuleType:
    """Import a script from ``code/`` or ``dataset/`` (they are not packages) under a private name."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def mlflow_env(tracking_uri: str, **extra: str) -> dict[str, str]:
    """The environment a job step sees: no telemetry, a private store, no inherited run id."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update({"MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_TRACKING_URI": tracking_uri, **extra})
    return env


def run_train(args: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run code/train.py with the current interpreter (the project venv)."""
    return subprocess.run(
        [sys.executable, str(CODE_DIR / "train.py"), *args],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


@pytest.fixture(scope="session")
def trained(tmp_path_factory: pytest.TempPathFactory) -> TrainedModel:
    """Train once per session into the folder layout Azure ML mounts for a registered model."""
    from mlflow.tracking import MlflowClient

    root = tmp_path_factory.mktemp("train")
    tracking_uri = f"sqlite:///{root / 'mlflow.db'}"
    client = MlflowClient(tracking_uri)
    # An explicit artifact root: the default is ./mlruns relative to the test process's cwd.
    experiment_id = client.create_experiment("german-credit", artifact_location=(root / "artifacts").as_uri())
    run_id = client.create_run(experiment_id).info.run_id

    azureml_model_dir = root / "azureml-models" / "credit-model" / "1"
    model_dir = azureml_model_dir / "model_output"
    started = time.perf_counter()
    proc = run_train(
        ["--data", str(DATASET_CSV), "--model_output", str(model_dir)],
        env=mlflow_env(tracking_uri, MLFLOW_RUN_ID=run_id),
        cwd=root,
    )
    seconds = time.perf_counter() - started
    assert proc.returncode == 0, f"train.py failed:\n{proc.stdout}\n{proc.stderr}"
    return TrainedModel(
        tracking_uri, run_id, experiment_id, azureml_model_dir, model_dir, proc.stdout, seconds
    )
