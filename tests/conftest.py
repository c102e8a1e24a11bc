"""Suite-wide settings: MLflow telemetry off, one cache of built deployment environments, and the tiers.

Tiers (markers, registered in pyproject.toml):
- unmarked: pure tests that need no subprocess, no network and no MLflow. `make check` runs only these, and
  holds them to it: in that tier a test that starts a process, opens a connection or imports MLflow fails
  with the marker to add.
- `integration`: needs a subprocess (steps, `mlops`, `az`), a server on 127.0.0.1 or MLflow. Everything under
  the folders of INTEGRATION_DIRS is integration by where it lives.
- `e2e`, `docker`: integration tests that are also end to end through the CLI / need a Docker daemon.
- `slow`: a file of a minute or more (public pipelines, the reference scenario, the workshop, Docker builds).
`make test` runs every tier; the heaviest files start first so no xdist worker is left with a long file
at the end.
"""

from __future__ import annotations

import importlib.abc
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
# Building a deployment's isolated environment takes ~50 s; share it across tests and runs.
os.environ.setdefault("MLOPS_ENV_CACHE", str(Path(__file__).resolve().parents[1] / ".mlops-cache" / "envs"))
# Deployments run as processes unless a test asks for Docker: tests/unit/azureml/test_az_docker.py builds
# and runs the credit model's image for real (MLOPS_DOCKER=require); repeating that in every pipeline
# test would add minutes per scenario.
os.environ.setdefault("MLOPS_DOCKER", "off")
# Every test's state folder gets its own resident `az` worker (~300 MB); fixtures stop theirs, and one a
# test leaves behind (its own state folder, no fixture) leaves after a minute without calls.
os.environ.setdefault("MLOPS_AZ_WORKER_IDLE", "60")

# Property tests: `check` keeps the fast tier fast, `thorough` (make test, CI) explores more.
settings.register_profile(
    "check", max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile(
    "thorough", max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "thorough"))

# Where every test drives `mlops`/`az`, runs steps or trains and serves models.
INTEGRATION_DIRS = (
    "tests/features/",
    "tests/e2e/",
    "tests/realworld/",
    "tests/hardening/",
    "tests/unit/azureml/",
    "tests/unit/ml/",
    "tests/conformance/runtime/",
)
# Start order under `make test` (xdist, a file per worker at a time): the files of minutes first, then
# Docker, then end-to-end, then the other integration files, then the pure ones.
_WEIGHT = (("slow", 0), ("docker", 1), ("e2e", 2), ("integration", 3))
CHECK_TIER = os.environ.get("MLOPS_TEST_TIER") == "check"


def pytest_configure(config: pytest.Config) -> None:
    # xdist would send the files in the order of their number of tests, which starts the two tests of
    # minutes last; keep the order set below.
    if hasattr(config.option, "loadscopereorder"):
        config.option.loadscopereorder = False


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if (
            item.nodeid.startswith(INTEGRATION_DIRS)
            or item.get_closest_marker("e2e")
            or item.get_closest_marker("docker")
        ):
            item.add_marker(pytest.mark.integration)

    def weight(item: pytest.Item) -> int:
        return min((w for name, w in _WEIGHT if item.get_closest_marker(name)), default=len(_WEIGHT))

    # A file weighs what its heaviest test weighs, so that a file's tests stay together (--dist loadfile).
    by_file: dict[str, int] = {}
    for item in items:
        path = item.nodeid.split("::")[0]
        by_file[path] = min(by_file.get(path, len(_WEIGHT)), weight(item))
    items.sort(key=lambda item: by_file[item.nodeid.split("::")[0]])


class _TierViolation(Exception):
    pass


def _refuse(what: str) -> Any:
    def refuse(*_args: Any, **_kwargs: Any) -> Any:
        raise _TierViolation(
            f"this test {what}: mark it @pytest.mark.integration (or move it out of the "
            "pure tier); `make check` runs only tests that need no subprocess, network "
            "or MLflow"
        )

    return refuse


class _NoMlflow(importlib.abc.MetaPathFinder):
    def find_spec(self, name: str, path: Any = None, target: Any = None) -> None:
        if name == "mlflow" or name.startswith("mlflow."):
            _refuse("imports MLflow")()
        return None


@pytest.fixture(autouse=True)
def _pure_tier_guard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """In the check tier, a pure test that starts a process, connects a socket or imports MLflow fails."""
    if not CHECK_TIER or request.node.get_closest_marker("integration"):
        yield
        return
    monkeypatch.setenv("MLOPS_USER", os.environ.get("MLOPS_USER", "tester"))  # not `git config user.name`
    monkeypatch.setattr(subprocess.Popen, "__init__", _refuse("starts a subprocess"))
    monkeypatch.setattr(os, "fork", _refuse("forks a process"))
    monkeypatch.setattr(socket.socket, "connect", _refuse("opens a network connection"))
    monkeypatch.setattr(socket.socket, "bind", _refuse("listens on a socket"))
    finder = _NoMlflow()
    sys.meta_path.insert(0, finder)
    loaded = {name: mod for name, mod in sys.modules.items() if name.partition(".")[0] == "mlflow"}
    for name in loaded:
        del sys.modules[name]
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        sys.modules.update(loaded)
