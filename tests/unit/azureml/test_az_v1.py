"""Azure ML CLI v1 (azure-cli-ml, retired 2025-09-30): each command real pipelines call either runs as
its direct v2 equivalent and says what to write instead, or exits 2 naming the v2 command(s).
[DOC https://learn.microsoft.com/azure/machine-learning/how-to-migrate-from-v1]
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from pathlib import Path

import yaml
from conftest import FIXTURES, AzRunner, serving_conda

RETIRED = "is Azure ML CLI v1 (the azure-cli-ml extension), which Microsoft retired on 2025-09-30"
V1_CONDA = """\
name: aml1.0.83
dependencies:
- python=3.6.2
- pip:
  - azureml-sdk[explain,automl]==1.0.83
  - scikit-learn==0.20.3
"""


def test_extension_add_azure_cli_ml_is_accepted_with_what_it_means(az: AzRunner) -> None:
    added = az("extension", "add", "-n", "azure-cli-ml")
    assert added.code == 0 and added.stdout == ""
    assert "azure-cli-ml is Azure ML CLI v1" in added.stderr and "az extension add -n ml" in added.stderr


def test_run_submit_script_names_the_command_job_to_write(az_ws: AzRunner, tmp_path: Path) -> None:
    train = tmp_path / "models" / "train"
    train.mkdir(parents=True)
    (train / "train.py").write_text("from azureml.core import Run\n")
    (train / "conda.yml").write_text(V1_CONDA)
    result = az_ws(
        "ml",
        "run",
        "submit-script",
        "-e",
        "risk-exp",
        "-d",
        "models/train/conda.yml",
        "--ct",
        "amlcluster",
        "--source-directory",
        "models/train",
        "-t",
        "run.json",
        "train.py",
        "--MODEL_NAME",
        "risk-model",
        cwd=tmp_path,
        check=False,
    )
    assert result.code == 2 and result.stdout == ""
    assert f"`az ml run submit-script` {RETIRED}" in result.stderr
    job_yaml = result.stderr.split("job.yml (beside the working directory):\n")[1].split("    run_id=")[0]
    job = yaml.safe_load("\n".join(line[8:] for line in job_yaml.splitlines()))
    assert job == {
        "$schema": "https://azuremlschemas.azureedge.net/latest/commandJob.schema.json",
        "experiment_name": "risk-exp",
        "code": "models/train",
        "command": "python train.py --MODEL_NAME risk-model",
        "environment": {
            "image": "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest",
            "conda_file": "models/train/conda.yml",
        },
        "compute": "azureml:amlcluster",
    }
    assert "run_id=$(az ml job create --file job.yml --stream --query name -o tsv)" in result.stderr
    # the environment and the code that cannot run here, said once
    [note] = [line for line in result.stderr.splitlines() if line.startswith("note: ")]
    assert "pins Python 3.6.2 and azureml-sdk 1.0.83" in note and "train.py imports azureml.core" in note


def test_model_register_runs_as_model_create_and_writes_its_metadata(az_ws: AzRunner, tmp_path: Path) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.txt").write_text("w")
    registered = az_ws(
        "ml",
        "model",
        "register",
        "-n",
        "risk-model",
        "--model-path",
        "model",
        "--tag",
        "a=1",
        "--output-metadata-file",
        "model.json",
        cwd=tmp_path,
    )
    assert registered.json()["version"] == "1"
    assert f"`az ml model register` {RETIRED}" in registered.stderr
    v2 = "az ml model create --name risk-model --path model --type custom_model --tags a=1"
    assert v2 in registered.stderr
    assert json.loads((tmp_path / "model.json").read_text())["modelId"] == "risk-model:1"
    shown = az_ws("ml", "model", "show", "-n", "risk-model", "-v", "1").json()
    assert shown["tags"]["a"] == "1"
    missing = az_ws("ml", "model", "register", "-n", "x", "--asset-path", "outputs/x", check=False)
    assert missing.code == 2 and "--run-id/-r" in missing.stderr


def test_model_register_from_a_run_takes_its_outputs_folder(az_ws: AzRunner, tmp_path: Path) -> None:
    (tmp_path / "job.yml").write_text(
        "command: mkdir -p outputs && echo weights > outputs/risk-model\n"
        "environment:\n  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"
    )
    job = az_ws("ml", "job", "create", "-f", "job.yml", "--query", "name", "-o", "tsv", cwd=tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"runId": job.stdout.strip(), "experimentName": "x"}))
    registered = az_ws(
        "ml",
        "model",
        "register",
        "-n",
        "risk-model",
        "-f",
        "run.json",
        "--asset-path",
        "outputs/risk-model",
        cwd=tmp_path,
    )
    path = f"azureml://jobs/{job.stdout.strip()}/outputs/artifacts/paths/outputs/risk-model"
    assert path in registered.stderr
    assert registered.json()["name"] == "risk-model"


def test_model_deploy_with_a_v1_environment_says_what_cannot_run_and_what_to_write(
    az_ws: AzRunner, tmp_path: Path
) -> None:
    score = tmp_path / "score"
    score.mkdir()
    (score / "score.py").write_text("from azureml.core.model import Model\n")
    (score / "conda.yml").write_text(V1_CONDA.replace("azureml-sdk[explain,automl]", "azureml-defaults"))
    (score / "ic.yml").write_text(
        "entryScript: score/score.py\nruntime: python\ncondaFile: score/conda.yml\n"
    )
    (score / "aks.yml").write_text(
        "computeType: AKS\nautoScaler:\n  minReplicas: 2\n"
        "containerResourceRequirements:\n  cpu: 2\n  memoryInGB: 4\n"
    )
    result = az_ws(
        "ml",
        "model",
        "deploy",
        "-n",
        "risk-aks",
        "-m",
        "risk-model:3",
        "--ic",
        "score/ic.yml",
        "--dc",
        "score/aks.yml",
        "--overwrite",
        cwd=tmp_path,
        check=False,
    )
    assert result.code == 1 and "Traceback" not in result.stderr
    assert "pins Python 3.6.2 and azureml-defaults 1.0.83" in result.stderr
    assert "score/score.py imports azureml.core" in result.stderr
    for line in (
        "model: azureml:risk-model:3",
        "code: score",
        "scoring_script: score.py",
        "conda_file: score/conda.yml",
        "instance_type: Standard_DS2_v2",
        "instance_count: 2",
        "az ml online-deployment create --file deployment.yml --all-traffic",
    ):
        assert line in result.stderr
    assert az_ws("ml", "online-endpoint", "list").json() == []  # nothing half-made


def test_computetarget_folder_and_what_has_no_direct_equivalent(az_ws: AzRunner) -> None:
    made = az_ws(
        "ml",
        "computetarget",
        "create",
        "amlcompute",
        "-n",
        "amlcluster",
        "-s",
        "STANDARD_DS4_V2",
        "--min-nodes",
        "0",
        "--max-nodes",
        "2",
    )
    assert made.json()["max_instances"] == 2 and made.json()["size"] == "STANDARD_DS4_V2"
    assert (
        "az ml compute create --name amlcluster --type amlcompute --size STANDARD_DS4_V2 "
        "--min-instances 0 --max-instances 2"
    ) in made.stderr
    aks = az_ws("ml", "computetarget", "create", "aks", "-n", "aks", "--agent-count", "3", check=False)
    assert aks.code == 2 and "az ml compute attach --type Kubernetes" in aks.stderr

    attached = az_ws("ml", "folder", "attach", "-g", "rg2", "-w", "ws2")
    assert "az configure --defaults group=rg2 workspace=ws2" in attached.stderr
    assert az_ws("configure", "-l", "--query", "[?name=='workspace'].value", "-o", "tsv").stdout == "ws2\n"

    published = az_ws("ml", "run", "submit-pipeline", "--pipeline-id", "p1", "-n", "exp", check=False)
    assert published.code == 2 and f"`az ml run submit-pipeline` {RETIRED}" in published.stderr
    assert "az ml batch-endpoint invoke --name ENDPOINT --experiment-name exp" in published.stderr
    from_yaml = az_ws("ml", "run", "submit-pipeline", "-y", "p.yml", "-n", "exp", check=False)
    assert from_yaml.code == 2
    assert "az ml job create --file pipeline.yml --experiment-name exp" in from_yaml.stderr

    for args, v2 in (
        (("run", "list", "-e", "x"), "az ml job"),
        (("dataset", "register", "-f", "d"), "az ml data"),
        (("service", "delete", "-n", "s"), "az ml online-endpoint"),
    ):
        other = az_ws("ml", *args, check=False)
        assert other.code == 2 and f"'az ml {args[0]} {args[1]}' {RETIRED}" in other.stderr
        assert v2 in other.stderr


def test_model_deploy_serves_and_service_show_and_get_keys_answer_as_v1(
    az_ws: AzRunner, tmp_path: Path
) -> None:
    """A v1 deployment with a current environment: it runs as an online endpoint + deployment."""
    import mlflow.sklearn
    from sklearn.linear_model import LogisticRegression

    model = LogisticRegression().fit([[1.0, 1.5], [2.0, 1.0], [9.0, 8.5], [8.0, 9.0]], [0, 0, 1, 1])
    mlflow.sklearn.save_model(model, str(tmp_path / "model"))
    shutil.copy(FIXTURES / "serve" / "score.py", tmp_path / "score.py")
    serving_conda(tmp_path)
    (tmp_path / "ic.json").write_text(json.dumps({"entryScript": "score.py", "condaFile": "conda.yml"}))
    (tmp_path / "aci.yml").write_text("computeType: ACI\ncontainerResourceRequirements: {cpu: 1}\n")
    az_ws("ml", "model", "register", "-n", "credit", "-p", "model", "-t", "model.json", cwd=tmp_path)
    deployed = az_ws(
        "ml",
        "model",
        "deploy",
        "-n",
        "credit-aci",
        "-f",
        "model.json",
        "--ic",
        "ic.json",
        "--dc",
        "aci.yml",
        cwd=tmp_path,
        timeout=900,
    )
    service = deployed.json()
    assert service["computeType"] == "ACI" and service["state"] == "Healthy"
    assert "az ml online-deployment create --file deployment.yml --all-traffic" in deployed.stderr
    again = az_ws(
        "ml",
        "model",
        "deploy",
        "-n",
        "credit-aci",
        "-f",
        "model.json",
        "--ic",
        "ic.json",
        cwd=tmp_path,
        check=False,
    )
    assert again.code == 1 and "already a service with name credit-aci" in again.stderr

    uri = az_ws("ml", "service", "show", "-n", "credit-aci", "--query", "scoringUri", "-o", "tsv").stdout
    keys = az_ws("ml", "service", "get-keys", "-n", "credit-aci")
    assert "az ml online-endpoint get-credentials --name credit-aci" in keys.stderr
    body = (FIXTURES / "serve" / "request.json").read_bytes()
    request = urllib.request.Request(
        uri.strip(),
        data=body,
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {keys.json()['primaryKey']}"},
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        assert json.loads(response.read()) == {"predictions": [0, 1]}
