"""Helpers of the Azure ML hardening tests: `az` and `mlops` as the real subprocesses, in a folder of
their own, and waiting for processes to come and go."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "unit" / "azureml" / "fixtures"


@dataclass
class Workspace:
    """A project folder and a state folder beside it, driven through the real `az` and `mlops`."""

    repo: Path
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        base = {k: v for k, v in os.environ.items() if not k.startswith(("MLOPS_", "MLFLOW_"))}
        return {
            **base,
            "MLOPS_HOME": str(self.home),
            "MLOPS_ENV_CACHE": os.environ.get("MLOPS_ENV_CACHE", str(REPO / ".mlops-cache" / "envs")),
            "MLOPS_JOB_ENV_MANAGER": "local",
            "MLOPS_DOCKER": "off",
            "MLOPS_USER": "tester",
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "PYTHONPATH": str(REPO),
            **extra,
        }

    def az(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> Any:
        """Run `az` (the emulator's shim) and return its JSON output (None when it printed nothing)."""
        done = subprocess.run(
            [sys.executable, "-m", "emulator.azureml", *args],
            cwd=self.repo,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=600,
        )
        if check and done.returncode != 0:
            raise AssertionError(f"az {' '.join(args)} exited {done.returncode}\n{done.stderr}")
        return json.loads(done.stdout) if done.stdout.strip() else None

    def az_here(self, *args: str, **env: str) -> Any:
        """`az` run in this process (MLflow is imported once), with `env` added to the environment."""
        from emulator.azureml.az.cli import run

        saved = dict(os.environ)
        os.environ.clear()
        os.environ.update(self.env(**env))
        out, err = io.StringIO(), io.StringIO()
        try:
            code = run(list(args), stdout=out, stderr=err, cwd=self.repo)
        finally:
            os.environ.clear()
            os.environ.update(saved)
        assert code == 0, f"az {' '.join(args)} exited {code}\n{err.getvalue()}"
        return json.loads(out.getvalue()) if out.getvalue().strip() else None

    def mlops(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "emulator", *args],
            cwd=self.repo,
            env=env or self.env(),
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def last_run(self) -> str:
        runs = sorted((self.home / "runs").glob("[0-9]*"), key=lambda p: int(p.name))
        return runs[-1].name


def make_workspace(tmp_path: Path) -> Workspace:
    repo = tmp_path / "repo"
    repo.mkdir()
    return Workspace(repo, tmp_path / "state")


def wait_for(predicate: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {seconds} s waiting for {what}")
        time.sleep(0.05)


def alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def processes_with(marker: str) -> list[psutil.Process]:
    """Processes whose command line mentions `marker` (this test's own folders)."""
    found = []
    for process in psutil.process_iter(["cmdline"]):
        try:
            if any(marker in part for part in process.info["cmdline"] or []) and process.status() != "zombie":
                found.append(process)
        except psutil.Error:
            continue
    return found
