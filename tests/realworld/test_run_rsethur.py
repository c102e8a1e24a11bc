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
    assert steps[:4] == [("Checkout self", "succeeded"), ("Bash: echo Model Name- risk-model", "succeeded"),
                         ("Install the CLI", "succeeded"), ("Run training", "failed")], steps
    assert all(result == "skipped" for _, result in steps[4:]), steps
    install = _mlops(repo, home, "logs", "1", "--step", "Install the CLI").stdout
    assert "retired on 2025-09-30" in install and "az extension add -n ml" in install
    training = _mlops(repo, home, "logs", "1", "--step", "Run training").stdout
    assert "`az ml run submit-script` is Azure ML CLI v1" in training
    for line in ("code: models/risk-model/train",
                 "command: python train.py --MODEL_NAME risk-model --DATASET_NAME credit_dataset",
                 "conda_file: models/risk-model/train/conda_dependencies.yml", "compute: azureml:amlcluster",
                 "run_id=$(az ml job create --file job.yml --stream --query name -o tsv)"):
        assert line in training, line
    whole = _mlops(repo, home, "logs", "1").stdout
    assert whole.count("pins Python 3.6.2 and azureml-sdk 1.0.83") == 1  # said once
    assert "models/risk-model/train/train.py imports azureml.core" in training
    later = ("RegisterModel", "DeployToTest", "DeployToProd")
    assert all(stages[name]["result"] == "skipped" for name in later)
    assert record["checks"] == [] and record["approvals"] == []
