"""The files the recipes rely on: Azure ML YAML (loaded with azure-ai-ml), pins, fixtures."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
import yaml
from azure.ai.ml import load_batch_deployment, load_batch_endpoint, load_compute, load_data, load_workspace

REPO_ROOT = Path(__file__).resolve().parents[3]
AML = REPO_ROOT / "mlops_pipelines" / "aml"
logging.getLogger("azure.ai.ml").setLevel(logging.ERROR)


def _conda_pins() -> dict[str, str]:
    conda = yaml.safe_load((REPO_ROOT / "code" / "environment" / "conda.yml").read_text())
    pip = next(d["pip"] for d in conda["dependencies"] if isinstance(d, dict) and "pip" in d)
    return {r.split("==")[0].lower(): r.split("==")[1] for r in pip}


def test_ci_requirements_pin_what_the_environment_pins() -> None:
    pins = _conda_pins()
    lines = (REPO_ROOT / "code" / "requirements-ci.txt").read_text().splitlines()
    for line in (x.strip() for x in lines):
        if not line or line.startswith("#"):
            continue
        name, sep, version = line.partition("==")
        if sep:
            pinned = pins.get(name.lower())
            assert pinned == version, f"{name}: requirements-ci.txt pins {version}, conda.yml {pinned}"


def test_recipes_install_the_azureml_mlflow_version_of_the_environment() -> None:
    wanted = _conda_pins()["azureml-mlflow"]
    for template in (REPO_ROOT / "recipes").glob("*/template.yml"):
        for version in re.findall(r"azureml-mlflow==([\w.]+)", template.read_text()):
            assert version == wanted, f"{template}: azureml-mlflow=={version}, conda.yml pins {wanted}"


def test_workspace_and_compute_yaml_load() -> None:
    assert load_workspace(AML / "infra" / "workspace.yml").name == "mlops-ws"
    compute = load_compute(AML / "infra" / "compute.yml")
    assert compute.name == "cpu-cluster" and compute.type == "amlcompute"
    assert compute.min_instances == 0  # scales to zero: no cost when idle


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_batch_yaml_load_and_point_at_existing_files() -> None:
    endpoint = load_batch_endpoint(AML / "batch" / "endpoint.yml")
    assert endpoint.name == "credit-batch"
    deployment = load_batch_deployment(
        AML / "batch" / "deployment.yml", params_override=[{"model": "azureml:credit-model:7"}]
    )
    assert deployment.model == "credit-model:7"
    code = deployment.code_configuration
    assert code is not None and (AML / "batch" / str(code.code) / str(code.scoring_script)).is_file()
    assert deployment.output_file_name == "predictions.csv" and deployment.output_action == "append_row"
    data = load_data(AML / "batch" / "data.yml")
    assert data.type == "uri_folder" and Path(str(data.path)).is_dir()
    assert len(list(Path(str(data.path)).glob("*.csv"))) == 2
