"""`mlops init` + `mlops run` of rsethur/MLOps's BuildReleasePipeline.yml, on a copy of its repository.

What Azure does with this pipeline, and so what must happen here: `init` writes the two environments
its approval jobs target (Test, Prod) and the service connection its tasks name; the run checks out
the repository, runs the first bash step, and reaches its first Azure ML CLI v1 step - `az extension
add -n azure-cli-ml` in the Training stage - which fails (the emulator has only the v2 `ml`
extension; what v1 steps should do is another issue). Stages run in order and a failed stage skips
the ones that depend on it, whose checks are then never evaluated [DOC process/stages.md; conditions.md;
approvals.md "checks are evaluated when a stage is about to start"], so neither approval is asked for
in this run. The approvals of this pipeline's shape (`- deployment: Approval` + `environment:` only)
pausing and resuming on Test and Prod are tested in tests/e2e/test_cli_init.py.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from realworld_corpus import REPO, realworld

PIPELINE = "mlops/model_pipelines/risk-model/BuildReleasePipeline.yml"


def _mlops(cwd: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLOPS_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(REPO),
           "COLUMNS": "200", "CI": "true", "MLOPS_USER": "reviewer"}
    return subprocess.run([sys.executable, "-m", "emulator", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


def test_init_and_run_reach_the_first_azure_ml_cli_v1_step(tmp_path: Path) -> None:
    repo = tmp_path / "rsethur-MLOps"
    shutil.copytree(realworld() / "rsethur-MLOps", repo)
    home = tmp_path / "home"
    folder = (repo / PIPELINE).parent

    init = _mlops(repo, home, "init", PIPELINE)
    assert init.returncode == 0, init.stdout + init.stderr
    environments = (folder / "environments.yml").read_text()
    assert "  Prod:\n" in environments and "  Test:\n" in environments and "type: approval" in environments
    assert "AzureResourceManagerConnection" in (folder / "service-connections.yml").read_text()
    assert _mlops(repo, home, "validate", PIPELINE).returncode == 0

    run = _mlops(repo, home, "run", PIPELINE, "--no-prompt", "--progress", "plain")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "Traceback" not in run.stdout + run.stderr
    record = json.loads(_mlops(repo, home, "runs", "show", "1", "--json").stdout)
    stages = {s["name"]: s for s in record["stages"]}
    assert list(stages) == ["Training", "RegisterModel", "DeployToTest", "DeployToProd"]
    [train] = stages["Training"]["jobs"]
    steps = [(s["displayName"], s["result"]) for s in train["steps"]]
    assert steps[:3] == [("Checkout self", "succeeded"), ("Bash: echo Model Name- risk-model", "succeeded"),
                         ("Install the CLI", "failed")], steps
    assert all(result == "skipped" for _, result in steps[3:]), steps
    log = _mlops(repo, home, "logs", "1", "--step", "Install the CLI").stdout
    assert "azure-cli-ml" in log
    later = ("RegisterModel", "DeployToTest", "DeployToProd")
    assert all(stages[name]["result"] == "skipped" for name in later)
    assert record["checks"] == [] and record["approvals"] == []
