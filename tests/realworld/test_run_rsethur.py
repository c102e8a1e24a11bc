"""`mlops init` + `mlops run` of rsethur/MLOps's BuildReleasePipeline.yml, on a copy of its repository.

What Azure does with this pipeline, and so what must happen here: `init` writes the two environments
its approval jobs target (Test, Prod) and the service connection its tasks name; the run checks out
the repository, runs the first bash step, installs the Azure ML CLI v1 extension (`az extension add -n
azure-cli-ml`: accepted, with the warning that Microsoft retired CLI v1 on 2025-09-30), and reaches `az
ml run submit-script`, which has no direct v2 equivalent: it exits 2 with the command job YAML and the
`az ml job create` to write instead, and says once that the training environment pins Python 3.6.2 and
azureml-sdk 1.0.83 and that train.py imports azureml.core - so the pipeline runs as far as its own code
allows. Stages run in order and a failed stage skips the ones that depend on it, whose checks are then
never evaluated [DOC process/stages.md; conditions.md; approvals.md "checks are evaluated when a stage
is about to start"], so neither approval is asked for in this run. The approvals of this pipeline's
shape (`- deployment: Approval` + `environment:` only) pausing and resuming on Test and Prod are tested
in tests/e2e/test_cli_init.py.

With "Stages to run" (`--skip-stage Training`, as a user would deselect it when queuing on Azure) the
same unmodified pipeline reaches its approvals: RegisterModel (the stage after the deselected one) waits
on Test. Its RegisterJob then fails, as it would on Azure: it downloads the `run-metadata` artifact the
left-out Training stage publishes. So reaching Prod also selects only the approval jobs (`--job
Approval`, an emulator extension): the run pauses on Test, then on Prod, and succeeds.
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
    env = {
        **os.environ,
        "MLOPS_HOME": str(home),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(REPO),
        "COLUMNS": "200",
        "CI": "true",
        "MLOPS_USER": "reviewer",
    }
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_init_and_run_go_as_far_as_the_v1_training_code_allows(tmp_path: Path) -> None:
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
    assert steps[:4] == [
        ("Checkout self", "succeeded"),
        ("Bash: echo Model Name- risk-model", "succeeded"),
        ("Install the CLI", "succeeded"),
        ("Run training", "failed"),
    ], steps
    assert all(result == "skipped" for _, result in steps[4:]), steps
    install = _mlops(repo, home, "logs", "1", "--step", "Install the CLI").stdout
    assert "retired on 2025-09-30" in install and "az extension add -n ml" in install
    training = _mlops(repo, home, "logs", "1", "--step", "Run training").stdout
    assert "`az ml run submit-script` is Azure ML CLI v1" in training
    for line in (
        "code: models/risk-model/train",
        "command: python train.py --MODEL_NAME risk-model --DATASET_NAME credit_dataset",
        "conda_file: models/risk-model/train/conda_dependencies.yml",
        "compute: azureml:amlcluster",
        "run_id=$(az ml job create --file job.yml --stream --query name -o tsv)",
    ):
        assert line in training, line
    whole = _mlops(repo, home, "logs", "1").stdout
    assert whole.count("pins Python 3.6.2 and azureml-sdk 1.0.83") == 1  # said once
    assert "models/risk-model/train/train.py imports azureml.core" in training
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
