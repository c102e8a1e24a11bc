"""The Azure ML CLI v2 YAML in mlops_pipelines/aml loads with azure-ai-ml's own loaders, offline.

These are the schemas ``az ml`` itself applies, so a file that loads here is accepted by Azure ML's
client-side validation. What the SDK does not check (placeholders in ``command:``, files that must
exist, conda pins matching the dev venv) is checked here too.
"""

from __future__ import annotations

import importlib.metadata
import logging
import re
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from azure.ai.ml import (
    load_environment,
    load_job,
    load_model_package,
    load_online_deployment,
    load_online_endpoint,
)
from azure.ai.ml.entities import (
    Command,
    Environment,
    ManagedOnlineDeployment,
    ManagedOnlineEndpoint,
    ModelPackage,
)

# Model packages are an experimental SDK class: keep its "experimental class" notice out of the output.
logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)

REPO_ROOT = Path(__file__).resolve().parents[3]
AML_DIR = REPO_ROOT / "mlops_pipelines" / "aml"
CONDA_FILE = REPO_ROOT / "code" / "environment" / "conda.yml"
# Pinned in the environment but deliberately absent from the dev venv: the inference server's
# opentelemetry pins clash with azure-ai-ml, and azureml-mlflow only matters on Azure ML (it sends a
# job's MLflow data to the workspace). Only these may be missing from the running interpreter.
SERVING_ONLY = {"azureml-inference-server-http", "azureml-mlflow"}
# What loading the MLflow model needs (skops: the model's serialization format) and training uses.
REQUIRED_PINS = {
    "mlflow",
    "scikit-learn",
    "pandas",
    "numpy",
    "skops",
    "matplotlib",
    "azureml-inference-server-http",
    "azureml-mlflow",
}

LOADERS: list[tuple[str, Callable[..., Any], type]] = [
    ("train-job.yml", load_job, Command),
    ("environment.yml", load_environment, Environment),
    ("endpoint.yml", load_online_endpoint, ManagedOnlineEndpoint),
    ("deployment.yml", load_online_deployment, ManagedOnlineDeployment),
    ("model-package.yml", load_model_package, ModelPackage),
]


def _raw(name: str) -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load((AML_DIR / name).read_text())
    return data


def _pip_pins() -> dict[str, str]:
    conda = yaml.safe_load(CONDA_FILE.read_text())
    pip_lists = [d["pip"] for d in conda["dependencies"] if isinstance(d, dict) and "pip" in d]
    assert len(pip_lists) == 1, "conda.yml needs exactly one pip: section"
    pins: dict[str, str] = {}
    for requirement in pip_lists[0]:
        name, sep, version = requirement.partition("==")
        assert sep, f"{requirement!r} is not pinned with =="
        pins[name.strip().lower()] = version.strip()
    return pins


@pytest.mark.parametrize(("name", "loader", "kind"), LOADERS, ids=[name for name, _, _ in LOADERS])
def test_loads_with_its_azure_ai_ml_loader(name: str, loader: Callable[..., Any], kind: type) -> None:
    assert isinstance(loader(AML_DIR / name), kind)


@pytest.mark.parametrize("name", [name for name, _, _ in LOADERS])
def test_declares_a_schema(name: str) -> None:
    assert str(_raw(name).get("$schema", "")).startswith(("https://azuremlschemas", "http://azureml/"))


def test_every_file_is_covered() -> None:
    assert {p.name for p in AML_DIR.glob("*.yml")} == {name for name, _, _ in LOADERS}


def test_job_command_uses_only_declared_bindings() -> None:
    """azure-ai-ml accepts ${{inputs.x}} for an undeclared x; Azure ML fails the job later."""
    job = load_job(AML_DIR / "train-job.yml")
    assert isinstance(job, Command) and job.command is not None
    used = re.findall(r"\$\{\{\s*(inputs|outputs)\.(\w+)\s*\}\}", job.command)
    assert {f"{kind}.{name}" for kind, name in used} == {
        "inputs.training_data", "inputs.C", "outputs.model_output",
    }  # fmt: skip
    for kind, name in used:
        assert name in (job.inputs if kind == "inputs" else job.outputs), f"{kind}.{name} is not declared"


def test_job_paths_and_types() -> None:
    job = load_job(AML_DIR / "train-job.yml")
    assert isinstance(job, Command)
    assert (AML_DIR / str(job.code) / "train.py").is_file()
    raw = _raw("train-job.yml")
    assert (AML_DIR / raw["inputs"]["training_data"]["path"]).is_file()
    assert raw["inputs"]["training_data"]["type"] == "uri_file"
    assert raw["outputs"]["model_output"]["type"] == "mlflow_model"
    assert job.environment == "credit-env@latest"  # the azureml: prefix is stripped on load
    assert job.compute == "cpu-cluster"
    assert job.experiment_name == "german-credit"


def test_environment_points_at_the_shared_conda_file() -> None:
    env = load_environment(AML_DIR / "environment.yml")
    assert env.name == "credit-env"
    assert env.image == "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
    assert (AML_DIR / _raw("environment.yml")["conda_file"]).resolve() == CONDA_FILE.resolve()


def test_deployment_scores_with_score_py_and_takes_a_model_override() -> None:
    deployment = load_online_deployment(AML_DIR / "deployment.yml")
    assert deployment.endpoint_name == "credit-endpoint"
    assert deployment.code_configuration is not None
    assert (
        AML_DIR / str(deployment.code_configuration.code) / str(deployment.code_configuration.scoring_script)
    ).is_file()
    assert deployment.model == "credit-model:1"
    overridden = load_online_deployment(
        AML_DIR / "deployment.yml", params_override=[{"model": "azureml:credit-model:7"}]
    )
    assert overridden.model == "credit-model:7"


def test_endpoint_uses_key_auth() -> None:
    endpoint = load_online_endpoint(AML_DIR / "endpoint.yml")
    assert endpoint.name == "credit-endpoint" and endpoint.auth_mode == "key"


def test_model_package_builds_on_the_shared_environment() -> None:
    package = load_model_package(AML_DIR / "model-package.yml")
    assert package.base_environment_source is not None
    assert package.base_environment_source.resource_id == "azureml:credit-env@latest"
    server = package.inferencing_server
    assert server.type == "azureml_online"
    code = server.code_configuration
    assert code is not None
    assert code.scoring_script == "score.py"
    assert (AML_DIR / str(code.code) / code.scoring_script).is_file()


def test_conda_python_matches_the_running_interpreter() -> None:
    conda = yaml.safe_load(CONDA_FILE.read_text())
    assert f"python={sys.version_info.major}.{sys.version_info.minor}" in conda["dependencies"]


def test_conda_pins_equal_the_installed_versions() -> None:
    """Training (dev venv, emulator) and scoring (Azure ML image) must never disagree on versions."""
    pins = _pip_pins()
    assert REQUIRED_PINS <= pins.keys()
    for name, version in pins.items():
        try:
            installed = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            assert name in SERVING_ONLY, f"{name} is pinned in conda.yml but not installed in the dev venv"
            continue
        assert installed == version, f"{name}: conda.yml pins {version}, the dev venv has {installed}"
