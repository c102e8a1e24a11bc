"""The hardening suite: each module reproduces one defect an adversarial test found (project issue 15)
and keeps it fixed. Helpers: a project folder, in-process runs with an isolated state folder, and the
real `mlops` command line in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from emulator import runner
from emulator.runtime.events import SilentReporter
from emulator.runtime.process import Cancellation
from emulator.store.runs import Run

REPO = Path(__file__).resolve().parents[2]

GATED = """\
stages:
  - stage: Build
    jobs:
      - job: Compile
        steps:
          - checkout: none
          - script: echo build
  - stage: Production
    jobs:
      - deployment: Ship
        environment: production
        strategy:
          runOnce:
            deploy:
              steps:
                - script: echo shipped
"""

ENVIRONMENTS = """\
environments:
  production:
    checks:
      - type: approval
        approvers: [release-managers]
groups:
  release-managers: [carol]
"""


@dataclass
class Project:
    """A repository folder with a pipeline, and a state folder beside it."""

    repo: Path
    home: Path

    def write(self, yaml: str, environments: str | None = None, name: str = "pipeline.yml") -> Path:
        path = self.repo / name
        path.write_text(yaml, encoding="utf-8")
        if environments is not None:
            (self.repo / "environments.yml").write_text(environments, encoding="utf-8")
        return path

    def run(
        self,
        yaml: str,
        environments: str | None = None,
        cancellation: Cancellation | None = None,
        **request: Any,
    ) -> Run:
        path = self.write(yaml, environments)
        request.setdefault("user", "tester")
        return runner.start(runner.RunRequest(path, **request), self.home, SilentReporter(), cancellation)

    def env(self, **extra: str) -> dict[str, str]:
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith("MLOPS_")},
            "MLOPS_HOME": str(self.home),
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MLOPS_USER": "tester",
            "PYTHONPATH": str(REPO),
            **extra,
        }

    def mlops(
        self, *args: str, timeout: float = 120, env: dict[str, str] | None = None, stdin: str | None = None
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "emulator", *args],
            cwd=self.repo,
            env=env or self.env(),
            text=True,
            capture_output=True,
            timeout=timeout,
            input=stdin,
        )

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "emulator", *args],
            cwd=self.repo,
            env=env or self.env(),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )


@pytest.fixture
def project(tmp_path: Path, mlops_home: Path) -> Project:
    repo = tmp_path / "repo"
    repo.mkdir()
    return Project(repo, mlops_home)


def no_traceback(proc: subprocess.CompletedProcess[str]) -> None:
    """The command failed, if it did, with a message and not a Python traceback."""
    assert "Traceback (most recent call last)" not in proc.stderr + proc.stdout, proc.stderr


def job_record(run: Run, stage: str, job: str) -> dict[str, Any]:
    srec = next(s for s in run.data["stages"] if s["name"] == stage)
    return dict(next(j for j in srec["jobs"] if j["name"] == job))


Runner = Callable[..., Run]
