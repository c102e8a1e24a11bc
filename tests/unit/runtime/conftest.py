"""Helpers for engine tests: a pipeline in a fresh folder, run with an isolated state folder."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from emulator import runner
from emulator.runtime.events import SilentReporter
from emulator.runtime.process import Cancellation
from emulator.store.runs import Run


@pytest.fixture
def run_pipeline(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Run]:
    home = tmp_path / "home"
    home.mkdir()
    repo = tmp_path / "repo"
    repo.mkdir()
    monkeypatch.setenv("MLOPS_HOME", str(home))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")

    def run(yaml: str, cancellation: Cancellation | None = None, **request: Any) -> Run:
        path = repo / "pipeline.yml"
        path.write_text(yaml)
        return runner.start(
            runner.RunRequest(path, user="tester", **request), home, SilentReporter(), cancellation
        )

    return run


def job(run: Run, stage: str, name: str) -> dict[str, Any]:
    srec = next(s for s in run.data["stages"] if s["name"] == stage)
    return dict(next(j for j in srec["jobs"] if j["name"] == name))


def pythonpath_env(home: Path) -> dict[str, str]:
    root = Path(__file__).resolve().parents[3]
    return {
        **os.environ,
        "MLOPS_HOME": str(home),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLOPS_USER": "tester",
        "PYTHONPATH": str(root),
    }
