"""Helpers for the command-line tests: run `python -m emulator` against an isolated state folder.

Imported by the test modules beside it (pytest puts this folder on sys.path).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]

GATED = """\
parameters:
  - name: greeting
    type: string
    default: hello
stages:
  - stage: Build
    displayName: Build it
    jobs:
      - job: Compile
        steps:
          - script: echo ${{ parameters.greeting }}; echo second line
            displayName: Say hello
          - script: echo "##vso[task.setvariable variable=ver;isOutput=true]1.2"
            name: out
            displayName: Set version
          - script: echo "##vso[task.logissue type=warning]be careful"
            displayName: Warn
      - job: Lint
        dependsOn: Compile
        steps:
          - script: echo lint
            displayName: Lint it
  - stage: Deploy
    jobs:
      - deployment: Ship
        environment: test
        strategy:
          runOnce:
            deploy:
              steps:
                - script: echo shipping
                  displayName: Ship it
"""

ENVIRONMENTS = """\
environments:
  test:
    checks:
      - type: approval
        approvers: [alice]
        instructions: Look at the metrics first.
"""

FAILING = """\
stages:
  - stage: Build
    jobs:
      - job: Compile
        steps:
          - script: echo compiling
            displayName: Compile
          - script: |
              echo "about to fail"
              echo "##vso[task.logissue type=error]the answer was not 42"
              exit 3
            displayName: Check the answer
          - script: echo never
            displayName: Never runs
  - stage: Deploy
    jobs:
      - job: Ship
        steps:
          - script: echo shipping
"""


def write_project(
    root: Path, pipeline: str, environments: str | None = ENVIRONMENTS, name: str = "pipe.yml"
) -> Path:
    """A folder with a pipeline (and environments.yml beside it); returns the pipeline's path."""
    root.mkdir(parents=True, exist_ok=True)
    path = root / name
    path.write_text(pipeline, encoding="utf-8")
    if environments is not None:
        (root / "environments.yml").write_text(environments, encoding="utf-8")
    return path


def mlops(
    args: list[str], home: Path, cwd: Path, timeout: float = 120, extra_env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """`python -m emulator ARGS` with stdout a pipe (plain output), 100 columns, an isolated state folder."""
    env = {
        **os.environ,
        "MLOPS_HOME": str(home),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "COLUMNS": "100",
        "MLOPS_USER": "tester",
        "PYTHONPATH": str(REPO),
    }
    for key in ("MLFLOW_TRACKING_URI", "FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE"):
        env.pop(key, None)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_SECONDS = re.compile(r"\b\d+\.\ds\b")


def normalize(text: str, *paths: Path) -> str:
    """Output with what changes between runs replaced: folders, uuids, durations."""
    for i, path in enumerate(paths):
        text = text.replace(str(path), f"<DIR{i}>")
    text = _UUID.sub("<UUID>", text)
    return _SECONDS.sub("#.#s", text)
