"""What every step shares: the scenario's session (fixture `mlops_session`), the step pattern
syntax, and how steps call `mlops` and the emulated `az` (a subprocess each, in the scenario's state).

`MlopsSession` is there for your own steps too: `run_json(*args)`, `mlops(*args)`, `stage(name)`,
`summary`, `run_id`, `exit_code`, `stdout`, `stderr`.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import parsers

__all__ = [
    "MlopsSession",
    "comma_list",
    "mlops_session",
    "param_args",
    "repo_root",
    "run_az",
    "step",
]


def step(text: str) -> Any:
    """A step pattern: `"{name}"` matches one quoted value (no quotes inside), `{n:d}` an integer,
    `{x:f}` a number (the step converts them); the whole line must match, so steps that share a prefix
    never collide."""
    pattern = re.escape(text)
    pattern = re.sub(r'"\\\{(\w+)\\\}"', r'"(?P<\1>[^"]*)"', pattern)
    pattern = re.sub(r"\\\{(\w+):d\\\}", r"(?P<\1>\\d+)", pattern)
    pattern = re.sub(r"\\\{(\w+):f\\\}", r"(?P<\1>-?\\d+(?:\\.\\d+)?)", pattern)
    return parsers.re(f"^{pattern}$")


@dataclass
class MlopsSession:
    """What the steps share within one scenario."""

    home: Path
    cwd: Path
    pipeline: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None
    summary: dict[str, Any] | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    named_runs: dict[str, str] = field(default_factory=dict)
    expanded: dict[str, Any] | None = None  # the last in-process expansion (plain YAML), if it succeeded
    expanded_text: str = ""
    env: dict[str, str] = field(default_factory=dict)  # extra environment of the mlops commands

    def run_module(self, module: str, *args: str, timeout: float) -> subprocess.CompletedProcess[str]:
        """`python -m MODULE ARGS` against the scenario's state folder, from the repository root."""
        env = {**os.environ, **self.env, "MLOPS_HOME": str(self.home), "MLFLOW_DISABLE_TELEMETRY": "true"}
        env.pop("MLFLOW_TRACKING_URI", None)
        return subprocess.run(
            [sys.executable, "-m", module, *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def mlops(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        """`mlops ARGS`; its exit code and output become the session's (what `Then` steps check)."""
        proc = self.run_module("emulator", *args, timeout=timeout)
        self.exit_code, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr
        return proc

    def run_json(self, *args: str) -> dict[str, Any]:
        proc = self.mlops(*args, "--json", "--quiet")
        if proc.returncode == 2:
            self.summary = None
            return {}
        try:
            start = proc.stdout.rindex("\n{\n") + 1 if "\n{\n" in proc.stdout else proc.stdout.index("{")
            self.summary = json.loads(proc.stdout[start:])
        except ValueError:
            raise AssertionError(
                f"mlops printed no run JSON (exit {proc.returncode}).\nstdout:\n{proc.stdout}\n"
                f"stderr:\n{proc.stderr}"
            ) from None
        self.run_id = str(self.summary["id"])
        return self.summary

    def describe(self) -> str:
        return f"exit {self.exit_code}\nstderr (tail):\n{self.stderr[-4000:]}"

    def stage(self, name: str) -> dict[str, Any]:
        assert self.summary is not None, "no run yet"
        for stage in self.summary["stages"]:
            if stage["name"].lower() == name.lower():
                return dict(stage)
        raise AssertionError(
            f"no stage {name!r} in run {self.run_id}: {[s['name'] for s in self.summary['stages']]}"
        )

    def tracking_uri(self) -> str:
        return f"sqlite:///{self.home / 'mlflow.db'}"


def repo_root() -> Path:
    start = Path.cwd()
    for folder in (start, *start.parents):
        if (folder / "mlops_pipelines").is_dir() or (folder / ".git").exists():
            return folder
    return start


@pytest.fixture
def mlops_session(mlops_home: Path) -> MlopsSession:
    return MlopsSession(home=mlops_home, cwd=repo_root())


def param_args(session: MlopsSession) -> list[str]:
    return [a for k, v in session.parameters.items() for a in ("-p", f"{k}={v}")]


def run_az(session: MlopsSession, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The emulated `az`, against the scenario's state folder, from the repository root."""
    return session.run_module("emulator.azureml", *args, timeout=timeout)


def comma_list(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]
