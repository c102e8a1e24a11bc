"""Fixtures for the emulated `az`: the real shim run as a subprocess, one state folder per test.

The isolated scoring environments are cached outside the state folders (`MLOPS_ENV_CACHE`, default
`~/.cache/mlops-emulator/envs`) so the ~1 minute build happens once per machine, not once per test.
"""

from __future__ import annotations

import importlib.metadata
import io
import json
import os
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emulator.azureml import write_az_shim

FIXTURES = Path(__file__).parent / "fixtures"
SERVING_PACKAGES = ("mlflow", "scikit-learn", "pandas", "numpy")
INFERENCE_SERVER = "azureml-inference-server-http==1.5.1"


@dataclass(frozen=True)
class AzResult:
    code: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


AzRunner = Callable[..., AzResult]


@pytest.fixture(scope="session")
def az_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bin folder holding the `az` shim, as the pipeline runner prepares for each step."""
    folder = tmp_path_factory.mktemp("bin")
    write_az_shim(folder)
    return folder


@pytest.fixture(scope="session")
def env_cache() -> Path:
    configured = os.environ.get("MLOPS_ENV_CACHE")
    if configured:
        return Path(configured)
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "mlops-emulator" / "envs"


def make_runner(az_bin: Path, home: Path, env_cache: Path, in_process: bool = False) -> AzRunner:
    """An `az` for tests: the real shim as a subprocess, or (`in_process`) `emulator.azureml.az.cli.run`
    called in this process with the same environment, which skips the ~1-3 s of imports per call."""

    def environment_for(env: dict[str, str] | None) -> dict[str, str]:
        return {
            "PATH": f"{az_bin}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLOPS_HOME": str(home),
            "MLOPS_ENV_CACHE": str(env_cache),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            # jobs run with the test interpreter unless a test asks for isolation (the default of az)
            "MLOPS_JOB_ENV_MANAGER": "local",
            **(env or {}),
        }

    def run(
        *args: str,
        cwd: Path = FIXTURES,
        timeout: float = 600,
        check: bool = True,
        env: dict[str, str] | None = None,
    ) -> AzResult:
        if in_process:
            result = _run_in_process(list(args), cwd, environment_for(env))
        else:
            environment = {
                k: v for k, v in os.environ.items() if k not in ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID")
            }
            environment.update(environment_for(env))
            done = subprocess.run(
                ["az", *args],
                cwd=cwd,
                env=environment,
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
            result = AzResult(done.returncode, done.stdout, done.stderr)
        if check and result.code != 0:
            raise AssertionError(f"az {' '.join(args)} exited {result.code}\n{result.stderr}")
        return result

    return run


def _run_in_process(args: list[str], cwd: Path, environment: dict[str, str]) -> AzResult:
    from emulator.azureml.az.cli import run as az_run

    saved = {k: os.environ.get(k) for k in [*environment, "MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID"]}
    os.environ.update(environment)
    os.environ.pop("MLFLOW_TRACKING_URI", None)
    os.environ.pop("MLFLOW_RUN_ID", None)
    out, err = io.StringIO(), io.StringIO()
    try:
        code = az_run(args, stdout=out, stderr=err, cwd=cwd)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return AzResult(code, out.getvalue(), err.getvalue())


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """This test's state folder; endpoints and the tracking server started in it are stopped at the end."""
    folder = tmp_path / "state"
    monkeypatch.setenv("MLOPS_HOME", str(folder))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield folder
    from emulator.azureml.compute.tracking_server import stop_server
    from emulator.azureml.context import Context
    from emulator.azureml.resident.client import stop_workers
    from emulator.azureml.serving.endpoints import stop_all_endpoints

    stop_all_endpoints(folder)
    stop_server(Context(folder))
    stop_workers(folder)


@pytest.fixture
def az(az_bin: Path, home: Path, env_cache: Path) -> AzRunner:
    """Run `az` against this test's state folder (no workspace defaults configured), in process.

    The shim as a subprocess is covered by the module fixtures (serving) and the pipelines."""
    return make_runner(az_bin, home, env_cache, in_process=True)


@pytest.fixture
def az_ws(az: AzRunner) -> AzRunner:
    """`az` with workspace defaults configured, as a pipeline's first step does."""
    az("configure", "--defaults", "group=rg-test", "workspace=ws-test")
    return az


def serving_conda(folder: Path) -> Path:
    """A conda.yml pinning the installed versions, so a model pickled by a job loads when served."""
    pins = [f"{name}=={importlib.metadata.version(name)}" for name in SERVING_PACKAGES]
    lines = [
        "name: fixture-env",
        "channels:",
        "  - conda-forge",
        "dependencies:",
        "  - python=3.11",
        "  - pip",
    ]
    lines += ["  - pip:"] + [f"      - {pin}" for pin in [*pins, INFERENCE_SERVER]]
    conda = folder / "conda.yml"
    conda.write_text("\n".join(lines) + "\n", encoding="utf-8")
    environment = folder / "environment.yml"
    environment.write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/environment.schema.json\n"
        "name: fixture-env\n"
        "image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest\n"
        "conda_file: conda.yml\n",
        encoding="utf-8",
    )
    return environment
