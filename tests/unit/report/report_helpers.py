"""Shared by the report tests: a small gated pipeline run through the CLI, and a tiny MLflow store.

Imported by the test modules beside it (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

PIPELINE = """\
stages:
  - stage: Training
    jobs:
      - job: Train
        steps:
          - checkout: none
          - script: |
              echo "training <the> model"
              echo "##vso[task.setvariable variable=jobName;isOutput=true]job-42"
            name: train
            displayName: Train the model
          - script: echo "##vso[task.logissue type=warning]class imbalance"
            displayName: Check the data
  - stage: Register
    jobs:
      - deployment: RegisterModel
        environment: test
        strategy:
          runOnce:
            deploy:
              steps:
                - download: none
                - script: echo "##vso[task.setvariable variable=modelVersion;isOutput=true]1"
                  name: register
                  displayName: Register the model
  - stage: Smoke
    jobs:
      - job: Probe
        steps:
          - checkout: none
          - script: |
              for i in $(seq 1 50); do echo "probe line $i"; done
              echo "endpoint did not answer"
              exit 2
            displayName: Probe the endpoint
          - script: echo never
            displayName: Never runs
"""

ENVIRONMENTS = """\
environments:
  test:
    checks:
      - type: approval
        approvers: [alice]
"""


def mlops(args: list[str], home: Path, cwd: Path, timeout: float = 180) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MLOPS_HOME": str(home),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "COLUMNS": "100",
        "PYTHONPATH": str(REPO),
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def tiny_png(width: int = 4, height: int = 3) -> bytes:
    """A valid PNG without an imaging library (a red-to-blue gradient)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((255 - 60 * x, 0, 60 * x)) for x in range(width)) for _ in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    body = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + body


def make_mlflow_model(home: Path, run_id: str, job_name: str = "job-42") -> str:
    """An MLflow run (metrics, a param, two plots) and a registered model version made from it."""
    from mlflow.tracking import MlflowClient

    uri = f"sqlite:///{home / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment(
        "credit", artifact_location=(home / "mlartifacts" / "experiments" / "credit").as_uri()
    )
    run = client.create_run(experiment, run_name="train-credit", tags={"azureml.job_name": job_name})
    rid = run.info.run_id
    client.log_metric(rid, "roc_auc", 0.9123)
    client.log_metric(rid, "accuracy", 0.75)
    client.log_param(rid, "C", "1.0")
    plots = home / "plots-src"
    plots.mkdir(parents=True, exist_ok=True)
    for name in ("roc_curve.png", "confusion_matrix.png"):
        (plots / name).write_bytes(tiny_png())
        client.log_artifact(rid, str(plots / name), "plots")
    client.set_terminated(rid)
    model_files = home / "model-src"
    model_files.mkdir(exist_ok=True)
    client.create_registered_model("credit-model")
    client.create_model_version(
        "credit-model",
        str(model_files),
        run_id=rid,
        tags={"build": run_id, "azureml.version": "1", "commit": "abc123"},
    )
    return str(rid)
