"""One gated pipeline run (paused, approved, resumed, failed at the end) shared by the report tests."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pytest
from report_helpers import ENVIRONMENTS, PIPELINE, make_mlflow_model, mlops


@dataclass(frozen=True)
class ReportedRun:
    home: Path
    project: Path
    run_id: str
    mlflow_run: str


@pytest.fixture(scope="module")
def reported_run(tmp_path_factory: pytest.TempPathFactory) -> ReportedRun:
    root = tmp_path_factory.mktemp("report")
    home, project = root / "home", root / "project"
    project.mkdir()
    (project / "pipe.yml").write_text(PIPELINE, encoding="utf-8")
    (project / "environments.yml").write_text(ENVIRONMENTS, encoding="utf-8")
    first = mlops(["run", "pipe.yml", "--as", "bob"], home, project)
    assert first.returncode == 3, first.stdout + first.stderr
    approve = mlops(
        ["approve", "1", "-e", "test", "--as", "alice", "--comment", "metrics look <fine>"], home, project
    )
    assert approve.returncode == 0, approve.stderr
    resumed = mlops(["resume", "1"], home, project)
    assert resumed.returncode == 1, resumed.stdout + resumed.stderr
    return ReportedRun(home, project, "1", make_mlflow_model(home, "1"))
