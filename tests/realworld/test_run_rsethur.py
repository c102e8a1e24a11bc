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

With "Stages to run" (`--skip-stage Training`, as a user would deselect it when queuing on Azure) the
same unmodified pipeline reaches its approvals: RegisterModel (the stage after the deselected one) waits
on Test. Its RegisterJob is Azure ML CLI v1 too, so reaching Prod also selects only the approval jobs
(`--job Approval`, an emulator extension): the run pauses on Test, then on Prod, and succeeds.
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


ENVIRONMENTS = """\
environments:
  Test:
    checks:
      - type: approval
        approvers: [tess]
  Prod:
    checks:
      - type: approval
        approvers: [paul]
"""


def _waiting(repo: Path, home: Path, run_id: str) -> dict[str, str]:
    shown = json.loads(_mlops(repo, home, "runs", "show", run_id, "--json").stdout)
    return {"stage": shown["waiting"]["stage"], "environment": shown["waiting"]["environment"]}


def test_skipping_the_training_stage_reaches_the_test_and_prod_approvals(tmp_path: Path) -> None:
    repo = tmp_path / "rsethur-MLOps"
    shutil.copytree(realworld() / "rsethur-MLOps", repo)
    home = tmp_path / "home"
    environments = tmp_path / "approvals" / "environments.yml"
    environments.parent.mkdir()
    environments.write_text(ENVIRONMENTS)
    assert _mlops(repo, home, "init", PIPELINE).returncode == 0  # the service connection's stand-in
    queue = ("run", PIPELINE, "--environments", str(environments), "--no-prompt", "--progress", "plain")

    first = _mlops(repo, home, *queue, "--skip-stage", "Training")
    assert first.returncode == 3, first.stdout + first.stderr
    assert _waiting(repo, home, "1") == {"stage": "RegisterModel", "environment": "Test"}
    record = json.loads(_mlops(repo, home, "runs", "show", "1", "--json").stdout)
    training = record["stages"][0]
    assert (training["name"], training["result"]) == ("Training", "skipped")
    assert "not selected" in training["message"]

    second = _mlops(repo, home, *queue, "--skip-stage", "Training", "--job", "Approval")
    assert second.returncode == 3, second.stdout + second.stderr
    assert _waiting(repo, home, "2") == {"stage": "RegisterModel", "environment": "Test"}
    refused = _mlops(repo, home, "approve", "2", "-e", "Test", "--as", "paul")
    assert refused.returncode == 2, refused.stdout + refused.stderr  # not an approver of Test
    assert _mlops(repo, home, "approve", "2", "-e", "Test", "--as", "tess").returncode == 0
    resumed = _mlops(repo, home, "resume", "2", "--no-prompt", "--progress", "plain")
    assert resumed.returncode == 3, resumed.stdout + resumed.stderr
    assert _waiting(repo, home, "2") == {"stage": "DeployToProd", "environment": "Prod"}
    assert _mlops(repo, home, "approve", "2", "-e", "Prod", "--as", "paul").returncode == 0
    done = _mlops(repo, home, "resume", "2", "--no-prompt", "--progress", "plain")
    assert done.returncode == 0, done.stdout + done.stderr
    record = json.loads(_mlops(repo, home, "runs", "show", "2", "--json").stdout)
    results = {(s["name"], j["name"]): j["result"] for s in record["stages"] for j in s["jobs"]}
    assert results[("RegisterModel", "Approval")] == results[("DeployToProd", "Approval")] == "succeeded"
    assert results[("RegisterModel", "RegisterJob")] == results[("DeployToTest", "DeployJob")] == "skipped"
    assert [(a["environment"], a["by"]) for a in record["approvals"]] == [("Test", "tess"), ("Prod", "paul")]
