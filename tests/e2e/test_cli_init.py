"""`mlops init` then `mlops run` through the command line: the approval-only deployment jobs of
rsethur/MLOps's shape (`- deployment: Approval` + `environment:`, nothing else) pause on Test and on
Prod with the approvals init wrote, and resume; `mlops validate` warns about an undefined variable
group and an unmapped checkout (with the flag to add); `mlops run` stops on both before it starts."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
USER = "Ada Lovelace"
APPROVALS = textwrap.dedent("""
    trigger: none
    stages:
    - stage: Training
      jobs:
      - job: Train
        steps:
        - script: echo training
    - stage: RegisterModel
      jobs:
      - deployment: Approval
        displayName: Approval for model registration
        environment: 'Test'
      - job: Register
        steps:
        - script: echo registered
    - stage: DeployToProd
      jobs:
      - deployment: Approval
        displayName: Approval for rolling out to production
        environment: 'Prod'
      - job: Deploy
        steps:
        - script: echo deployed
    """)


def _mlops(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    gitconfig = tmp_path / "gitconfig"
    gitconfig.write_text(f"[user]\n\tname = {USER}\n")
    env = {
        **os.environ,
        "MLOPS_HOME": str(tmp_path / "home"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(REPO),
        "COLUMNS": "200",
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "CI": "true",
    }
    env.pop("MLOPS_USER", None)
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=tmp_path / "repo",
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo"
    folder.mkdir()
    (folder / "pipeline.yml").write_text(APPROVALS)
    return folder


def test_init_then_both_approvals_pause_and_resume(tmp_path: Path, repo: Path) -> None:
    init = _mlops(tmp_path, "init", "pipeline.yml")
    assert init.returncode == 0, init.stderr
    assert "wrote environments.yml: environments (Prod, Test)" in init.stdout
    assert f"approvers: [{USER}]" in (repo / "environments.yml").read_text()

    first = _mlops(tmp_path, "run", "pipeline.yml", "--no-prompt")
    assert first.returncode == 3, first.stdout + first.stderr
    assert "environment test" in first.stdout.lower() and "RegisterModel" in first.stdout
    approve = _mlops(tmp_path, "approve", "1", "--environment", "Test", "--comment", "metrics look fine")
    assert approve.returncode == 0, approve.stderr
    second = _mlops(tmp_path, "resume", "1", "--no-prompt")
    assert second.returncode == 3, second.stdout + second.stderr
    assert "environment prod" in second.stdout.lower() and "DeployToProd" in second.stdout
    assert _mlops(tmp_path, "approve", "1", "--environment", "Prod").returncode == 0
    last = _mlops(tmp_path, "resume", "1", "--no-prompt", "--json")
    assert last.returncode == 0, last.stdout + last.stderr
    assert '"result": "succeeded"' in last.stdout
    assert len([line for line in last.stdout.splitlines() if f'"by": "{USER}"' in line]) == 2

    again = _mlops(tmp_path, "init", "pipeline.yml")
    assert again.returncode == 0 and "kept environments.yml" in again.stdout


def test_validate_warns_about_an_undefined_group(tmp_path: Path, repo: Path) -> None:
    (repo / "pipeline.yml").write_text("variables:\n- group: MLOPSVG\nsteps:\n- script: echo $(SUB_ID)\n")
    out = _mlops(tmp_path, "validate", "pipeline.yml")
    assert out.returncode == 0, out.stderr
    assert "warning: pipeline.yml:2:3: Variable group 'MLOPSVG' is not defined" in out.stderr
    run = _mlops(tmp_path, "run", "pipeline.yml")
    assert run.returncode == 2 and "Variable group 'MLOPSVG' is not defined" in run.stderr
    assert "Traceback" not in run.stderr
    init = _mlops(tmp_path, "init", "pipeline.yml")
    assert init.returncode == 0 and "SUB_ID: TODO" in (repo / "variable-groups.yml").read_text()
    assert _mlops(tmp_path, "validate", "pipeline.yml").stderr == ""


def test_an_unmapped_checkout_is_a_warning_in_validate_and_stops_run(tmp_path: Path, repo: Path) -> None:
    (repo / "pipeline.yml").write_text(
        textwrap.dedent("""
        resources:
          repositories:
          - repository: tools
            type: git
            name: MyProject/Tools
        steps:
        - checkout: self
        - checkout: tools
        """)
    )
    out = _mlops(tmp_path, "validate", "pipeline.yml")
    assert out.returncode == 0, out.stderr  # Azure DevOps accepts it; only a local run needs the folder
    assert "warning: pipeline.yml:9:3: Repository 'tools' (MyProject/Tools) is checked out" in out.stderr
    assert "add --repo tools=PATH" in out.stderr
    run = _mlops(tmp_path, "run", "pipeline.yml")
    assert run.returncode == 2 and "add --repo tools=PATH" in run.stderr
    (tmp_path / "tools").mkdir()
    assert _mlops(tmp_path, "validate", "pipeline.yml", "--repo", "tools=../tools").returncode == 0
    assert _mlops(tmp_path, "init", "pipeline.yml", "--repo", "tools=../tools").returncode == 0
    assert "tools: ../tools" in (repo / "repositories.yml").read_text()
    assert _mlops(tmp_path, "validate", "pipeline.yml").returncode == 0
