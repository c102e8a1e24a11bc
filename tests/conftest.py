"""Suite-wide settings: MLflow telemetry off, and one cache of built deployment environments."""

import os
from pathlib import Path

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
# Building a deployment's isolated environment takes ~50 s; share it across tests and runs.
os.environ.setdefault("MLOPS_ENV_CACHE", str(Path(__file__).resolve().parents[1] / ".mlops-cache" / "envs"))
# Deployments run as processes unless a test asks for Docker: tests/unit/azureml/test_az_docker.py builds
# and runs the credit model's image for real (MLOPS_DOCKER=require); repeating that in every pipeline
# test would add minutes per scenario.
os.environ.setdefault("MLOPS_DOCKER", "off")
