"""`mlops rerun RUN --failed` through the command line: Azure's "Rerun failed jobs".

Job A sets an output variable and succeeds; job B reads it and fails until a file exists. After the
file is made, the rerun is a new attempt of the same run: A keeps its result and output and does not
execute again (its side-effect file has one line), B runs again, reads A's output and passes, and the
stage that B's failure skipped runs. A stage that runs again asks for its approval again.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

PIPELINE = textwrap.dedent("""
    stages:
    - stage: Build
      jobs:
      - job: A
        steps:
        - bash: |
            echo ran >> "{marks}/a-ran.txt"
            echo "##vso[task.setvariable variable=token;isOutput=true]from-A"
          name: out
      - job: B
        dependsOn: A
        variables:
          token: $[ dependencies.A.outputs['out.token'] ]
        steps:
        - bash: |
            echo "B read [$(token)]"
            test -f "{marks}/fixed"
    - stage: Deploy
      jobs:
      - deployment: Approve
        environment: Prod
      - job: Ship
        steps:
        - bash: |
            echo ship >> "{marks}/shipped.txt"
            test -f "{marks}/ship-fixed"
    """)
ENVIRONMENTS = "environments:\n  Prod:\n    checks:\n      - type: approval\n        approvers: [alice]\n"


def _mlops(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MLOPS_HOME": str(tmp_path / "home"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(REPO),
        "COLUMNS": "200",
        "CI": "true",
        "MLOPS_USER": "bob",
    }
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args, "--no-prompt"]
        if args[0] in ("run", "rerun")
        else [sys.executable, "-m", "emulator", *args],
        cwd=tmp_path / "repo",
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def _jobs(tmp_path: Path) -> dict[str, dict[str, Any]]:
    shown = _mlops(tmp_path, "runs", "show", "1", "--json")
    return {f"{s['name']}.{j['name']}": j for s in json.loads(shown.stdout)["stages"] for j in s["jobs"]}


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    marks = tmp_path / "marks"
    folder.mkdir()
    marks.mkdir()
    (folder / "pipeline.yml").write_text(PIPELINE.format(marks=marks))
    (folder / "environments.yml").write_text(ENVIRONMENTS)
    return marks


def test_rerun_failed_keeps_succeeded_jobs_and_their_outputs(tmp_path: Path, repo: Path) -> None:
    first = _mlops(tmp_path, "run", "pipeline.yml")
    assert first.returncode == 1, first.stdout + first.stderr
    jobs = _jobs(tmp_path)
    assert (jobs["Build.A"]["result"], jobs["Build.B"]["result"]) == ("succeeded", "failed")
    assert jobs["Deploy.Ship"]["result"] == "skipped"

    (repo / "fixed").write_text("")
    second = _mlops(tmp_path, "rerun", "1", "--failed")
    assert second.returncode == 3, second.stdout + second.stderr  # Deploy now runs: its approval waits
    assert (repo / "a-ran.txt").read_text() == "ran\n"  # A did not execute again
    jobs = _jobs(tmp_path)
    assert jobs["Build.A"]["outputs"] == {"out.token": "from-A"} and jobs["Build.A"]["attempts"] == []
    assert jobs["Build.B"]["result"] == "succeeded"
    assert [a["result"] for a in jobs["Build.B"]["attempts"]] == ["failed"]
    log = _mlops(tmp_path, "logs", "1", "--step", "B read").stdout
    assert "B read [from-A]" in log

    approve = _mlops(tmp_path, "approve", "1", "-e", "Prod", "--as", "alice")
    assert approve.returncode == 0, approve.stdout + approve.stderr
    third = _mlops(tmp_path, "resume", "1")
    assert third.returncode == 1, third.stdout + third.stderr  # Ship fails until ship-fixed exists
    assert _jobs(tmp_path)["Deploy.Ship"]["result"] == "failed"

    # The Deploy stage runs again: the approval given to its first attempt does not count.
    (repo / "ship-fixed").write_text("")
    fourth = _mlops(tmp_path, "rerun", "1", "--failed")
    assert fourth.returncode == 3, fourth.stdout + fourth.stderr
    assert "Prod" in fourth.stdout
    _mlops(tmp_path, "approve", "1", "-e", "Prod", "--as", "alice")
    fifth = _mlops(tmp_path, "resume", "1")
    assert fifth.returncode == 0, fifth.stdout + fifth.stderr
    assert (repo / "shipped.txt").read_text() == "ship\nship\n"
    assert (repo / "a-ran.txt").read_text() == "ran\n"


def test_rerun_refuses_runs_with_nothing_to_rerun(tmp_path: Path, repo: Path) -> None:
    (repo / "fixed").write_text("")
    (repo / "ship-fixed").write_text("")
    paused = _mlops(tmp_path, "run", "pipeline.yml")
    assert paused.returncode == 3, paused.stdout + paused.stderr
    refused = _mlops(tmp_path, "rerun", "1", "--failed")
    assert refused.returncode == 2 and "has not finished (status: paused)" in refused.stderr
    assert "mlops resume 1" in refused.stderr
    _mlops(tmp_path, "approve", "1", "-e", "Prod", "--as", "alice")
    assert _mlops(tmp_path, "resume", "1").returncode == 0
    done = _mlops(tmp_path, "rerun", "1", "--failed")
    assert done.returncode == 2 and "no failed job to rerun" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
