"""pytest plugin (entry point `pytest11: mlops`): fixtures that give each test its own emulator state.

`mlops_home` points MLOPS_HOME at a fresh folder so runs, the MLflow registry and endpoints of one
test never touch another's; endpoints, the tracking server and the resident `az` worker a test
started are stopped when it ends.
"""

from __future__ import annotations

from collections.abc import Iterator
from importlib.util import find_spec
from pathlib import Path

import pytest


@pytest.fixture
def mlops_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """An isolated state folder for the emulator (runs, MLflow store, endpoints)."""
    home = tmp_path / "mlops-home"
    home.mkdir()
    monkeypatch.setenv("MLOPS_HOME", str(home))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield home
    try:
        from emulator.azureml.compute.tracking_server import stop_server
        from emulator.azureml.context import Context
        from emulator.azureml.resident.client import stop_workers
        from emulator.azureml.serving.endpoints import stop_all_endpoints
    except ImportError:  # pragma: no cover - the azureml edge is part of the package
        return
    stop_all_endpoints(home)
    stop_server(Context(home))
    stop_workers(home)


# The modules of the Gherkin step library that define steps, in the order docs/steps.md lists them.
STEP_MODULES = tuple(
    f"emulator.testing.steps.{name}"
    for name in ("pipelines", "gates", "expansion", "azureml", "endpoints", "containers")
)
# The step library is part of the plugin only where pytest-bdd is installed (the `test` extra): a project
# that installs this package without it keeps a working pytest. Nothing here imports pytest-bdd.
pytest_plugins = ["emulator.testing.steps.session", *STEP_MODULES] if find_spec("pytest_bdd") else []
