"""Suite-wide settings: MLflow telemetry off, and one cache of built deployment environments."""

import os
from pathlib import Path

import pytest

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
# Building a deployment's isolated environment takes ~50 s; share it across tests and runs.
os.environ.setdefault("MLOPS_ENV_CACHE", str(Path(__file__).resolve().parents[1] / ".mlops-cache" / "envs"))
# Deployments run as processes unless a test asks for Docker: tests/unit/azureml/test_az_docker.py builds
# and runs the credit model's image for real (MLOPS_DOCKER=require); repeating that in every pipeline
# test would add minutes per scenario.
os.environ.setdefault("MLOPS_DOCKER", "off")

# The slowest test files (as measured in CI, cold caches) start first: with one file per xdist worker
# at a time (make test), a long file started last would leave the other workers idle at the end.
SLOWEST_FIRST = (
    "tests/unit/azureml/test_az_docker.py",
    "tests/unit/azureml/test_az_pipelines.py",
    "tests/features/test_basic_build_release.py",
    "tests/unit/ml/test_score.py",
    "tests/features/test_register_model.py",
    "tests/features/test_safe_rollout.py",
    "tests/unit/azureml/test_az_jobs.py",
    "tests/unit/azureml/test_az_serving.py",
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    rank = {path: i for i, path in enumerate(SLOWEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))
