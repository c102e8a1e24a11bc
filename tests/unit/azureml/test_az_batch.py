"""Batch endpoints: deployments recorded, `invoke` runs a local scoring job writing predictions.csv."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AzRunner, make_runner

Batch = tuple[AzRunner, Path]


@pytest.fixture(scope="module")
def batch_ws(az_bin: Path, env_cache: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    """A workspace with a trained MLflow model, an environment and an empty batch endpoint."""
    home = tmp_path_factory.mktemp("batch") / "state"
    az = make_runner(az_bin, home, env_cache, in_process=True)
    az("configure", "--defaults", "group=rg-test", "workspace=ws-test")
    job = az("ml", "job", "create", "-f", "job/job.yml", "--query", "name", "-o", "tsv").stdout.strip()
    az("ml", "model", "create", "-n", "fixture-model", "-p", f"azureml://jobs/{job}/outputs/model")
    az("ml", "model", "update", "-n", "fixture-model", "-v", "1", "--set", "description=custom")
    az(
        "ml",
        "model",
        "create",
        "-n",
        "fixture-model",
        "-p",
        f"azureml://jobs/{job}/outputs/model",
        "--type",
        "mlflow_model",
    )
    az("ml", "environment", "create", "-f", "env/environment.yml")
    created = az("ml", "batch-endpoint", "create", "-f", "batch/endpoint.yml").json()
    assert created["defaults"] == {"deployment_name": None} and created["name"] == "fixture-batch"
    yield az, home


def read_rows(path: Path) -> list[list[str]]:
    with open(path, encoding="utf-8") as handle:
        return list(csv.reader(handle))


def test_scripted_deployment_scores_a_folder(batch_ws: Batch, tmp_path: Path) -> None:
    az, home = batch_ws
    deployment = az("ml", "batch-deployment", "create", "-f", "batch/deployment.yml", "--set-default").json()
    assert deployment["mini_batch_size"] == 2 and deployment["output_file_name"] == "predictions.csv"
    assert deployment["model"].endswith("/models/fixture-model/versions/2")
    assert Path(deployment["code_configuration"]["code"], "batch_score.py").is_file()  # a copy
    shown = az("ml", "batch-endpoint", "show", "-n", "fixture-batch", "--query", "defaults").json()
    assert shown == {"deployment_name": "scripted"}

    job = az(
        "ml",
        "batch-endpoint",
        "invoke",
        "-n",
        "fixture-batch",
        "--input",
        "batch/data",
        "--input-type",
        "uri_folder",
    ).json()
    assert job["status"] == "Completed" and job["type"] == "pipeline"
    assert job["tags"]["azureml.batchrun"] == "true" and job["experiment_name"] == "fixture-batch"
    assert (
        az("ml", "job", "show", "-n", job["name"], "--query", "status", "-o", "tsv").stdout == "Completed\n"
    )
    log = az("ml", "job", "stream", "-n", job["name"]).stdout
    assert "3 file(s) in 2 mini-batch(es)" in log

    az("ml", "job", "download", "-n", job["name"], "--output-name", "score", "--download-path", str(tmp_path))
    rows = read_rows(tmp_path / "named-outputs" / "score" / "predictions.csv")
    assert len(rows) == 4 + 5 + 6  # every row of the three files, no header
    assert {r[0] for r in rows} == {"part-0.csv", "part-1.csv", "part-2.csv"}
    assert {r[1] for r in rows} <= {"0", "1"}
    listed = az("ml", "batch-endpoint", "list-jobs", "-n", "fixture-batch", "--query", "[].name", "-o", "tsv")
    assert listed.stdout == f"{job['name']}\n"


def test_mlflow_deployment_scores_a_data_asset(batch_ws: Batch, tmp_path: Path) -> None:
    az, _ = batch_ws
    az("ml", "data", "create", "-n", "batch-input", "-p", "batch/data", "-t", "uri_folder")
    deployment = az("ml", "batch-deployment", "create", "-f", "batch/deployment-mlflow.yml").json()
    assert deployment["code_configuration"] is None and deployment["environment"] is None
    job = az(
        "ml",
        "batch-endpoint",
        "invoke",
        "-n",
        "fixture-batch",
        "-d",
        "nocode",
        "--input",
        "azureml:batch-input@latest",
        "--query",
        "name",
        "-o",
        "tsv",
    ).stdout.strip()
    az("ml", "job", "download", "-n", job, "--all", "-p", str(tmp_path))
    rows = read_rows(tmp_path / "named-outputs" / "score" / "predictions.csv")
    assert len(rows) == 15 and rows[0] == ["0", rows[0][1], "part-0.csv"]  # row, prediction, file
    assert (tmp_path / "artifacts" / "user_logs" / "std_log.txt").is_file()
    listed = az("ml", "batch-deployment", "list", "-e", "fixture-batch", "--query", "[].name", "-o", "tsv")
    assert listed.stdout == "nocode\nscripted\n"


def test_batch_errors_are_clear(batch_ws: Batch, tmp_path: Path) -> None:
    az, _ = batch_ws
    (tmp_path / "other.yml").write_text("name: other-batch\n")
    az("ml", "batch-endpoint", "create", "-f", str(tmp_path / "other.yml"))
    no_default = az(
        "ml", "batch-endpoint", "invoke", "-n", "other-batch", "--input", "batch/data", check=False
    )
    assert no_default.code == 1 and "has no default deployment" in no_default.stderr
    missing = az("ml", "batch-endpoint", "invoke", "-n", "fixture-batch", "--input", "nowhere", check=False)
    assert missing.code == 1 and "no such file or directory" in missing.stderr
    remote = az(
        "ml",
        "batch-endpoint",
        "invoke",
        "-n",
        "fixture-batch",
        "--input",
        "batch/data",
        "--output-path",
        "x",
        check=False,
    )
    assert remote.code == 1 and "--output-path is not emulated" in remote.stderr
    custom = az(
        "ml",
        "batch-deployment",
        "create",
        "-f",
        "batch/deployment-mlflow.yml",
        "-n",
        "custom",
        "--set",
        "model=azureml:fixture-model:1",
        check=False,
    )
    assert custom.code == 1 and "needs an MLflow model" in custom.stderr
    bad = az(
        "ml",
        "batch-deployment",
        "create",
        "-f",
        "batch/deployment.yml",
        "--set",
        "settings.nope=1",
        check=False,
    )
    assert bad.code == 1 and "settings.nope" in bad.stderr and "Unknown field" in bad.stderr
    az("ml", "batch-deployment", "delete", "-n", "scripted", "-e", "fixture-batch", "--yes")
    assert az("ml", "batch-endpoint", "show", "-n", "fixture-batch", "--query", "defaults").json() == {
        "deployment_name": None
    }
    az("ml", "batch-endpoint", "delete", "-n", "other-batch", "--yes")
    assert az("ml", "batch-endpoint", "list", "--query", "[].name", "-o", "tsv").stdout == "fixture-batch\n"
