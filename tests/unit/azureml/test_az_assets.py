"""Environments and models: versioned records, the MLflow registry, references, concurrency."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import AzRunner

from emulator.azureml.assets.environments import parse_reference, resolve_environment
from emulator.azureml.assets.models import resolve_model
from emulator.azureml.compute import envbuild
from emulator.azureml.compute.envbuild import plan_environment
from emulator.azureml.context import Context
from emulator.azureml.errors import AzNotFoundError
from emulator.store.paths import mlflow_tracking_uri


def test_environment_create_show_list(az_ws: AzRunner, home: Path) -> None:
    first = az_ws("ml", "environment", "create", "--file", "env/environment.yml").json()
    assert (first["name"], first["version"]) == ("fixture-env", "1")
    assert first["image"].startswith("mcr.microsoft.com/azureml/")
    assert first["conda_file"]["dependencies"][2]["pip"] == ["scikit-learn", "pandas"]  # content copied
    assert first["id"].endswith("/environments/fixture-env/versions/1")
    assert (
        az_ws(
            "ml", "environment", "create", "-f", "env/environment.yml", "--query", "version", "-o", "tsv"
        ).stdout
        == "2\n"
    )
    pinned = az_ws("ml", "environment", "create", "-f", "env/environment.yml", "--version", "7").json()
    assert pinned["version"] == "7"
    # the same explicit version with the same content is idempotent (pipelines re-run)
    assert az_ws("ml", "environment", "create", "-f", "env/environment.yml", "-v", "7").json() == pinned
    latest = az_ws(
        "ml",
        "environment",
        "show",
        "-n",
        "fixture-env",
        "--label",
        "latest",
        "--query",
        "version",
        "-o",
        "tsv",
    )
    assert latest.stdout == "7\n"
    assert az_ws("ml", "environment", "show", "-n", "fixture-env", "-v", "2").json()["version"] == "2"
    assert az_ws("ml", "environment", "list", "--query", "[].name", "-o", "tsv").stdout == "fixture-env\n"
    missing = az_ws("ml", "environment", "show", "-n", "fixture-env", "-v", "3", check=False)
    assert missing.code == 1 and "has no version '3'" in missing.stderr

    for reference, version in [
        ("azureml:fixture-env@latest", "7"),
        ("azureml:fixture-env:2", "2"),
        ("fixture-env:1", "1"),
    ]:
        spec = resolve_environment(Context(home), reference, Path("."))
        assert spec.version == version and spec.conda is not None
    with pytest.raises(AzNotFoundError):
        resolve_environment(Context(home), "azureml:other@latest", Path("."))


def test_environment_references_parse() -> None:
    assert parse_reference("azureml:credit-env@latest") == ("credit-env", None, "latest")
    assert parse_reference("azureml:credit-env:3") == ("credit-env", "3", None)
    arm = "azureml:/subscriptions/s/resourceGroups/g/providers/Microsoft.MachineLearningServices/workspaces/w"
    assert parse_reference(arm + "/environments/credit-env/versions/4") == ("credit-env", "4", None)


def test_plan_normalises_and_warns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envbuild, "find_python", lambda version: None)  # a machine without Python 3.8
    plan = plan_environment(
        {"dependencies": ["python=3.8", "pip", "numpy=1.26", {"pip": ["Scikit_Learn == 1.5", "pandas"]}]}
    )
    assert plan.requirements == (
        "azureml-inference-server-http",
        "gunicorn",
        "pandas",
        "scikit-learn==1.5",
        "setuptools<82",
        "wheel",
    )  # setuptools and wheel: in every conda environment with pip
    assert any("Python 3.8" in w for w in plan.warnings)
    assert any("numpy=1.26" in w for w in plan.warnings)
    same = plan_environment(
        {"dependencies": [{"pip": ["pandas", "scikit-learn==1.5", "gunicorn"]}, "python=3.11"]}
    )
    assert same.key == plan.key and same.warnings == ()


def test_plan_uses_another_python_when_the_machine_has_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(envbuild, "find_python", lambda version: Path(f"/opt/python{version}/bin/python"))
    plan = plan_environment({"dependencies": ["python=3.9", {"pip": ["pandas"]}]})
    assert plan.python == "3.9" and plan.interpreter == "/opt/python3.9/bin/python" and plan.warnings == ()
    assert plan.key != plan_environment({"dependencies": ["python=3.11", {"pip": ["pandas"]}]}).key


def test_data_assets_versions_types_and_archive(az_ws: AzRunner, home: Path, tmp_path: Path) -> None:
    (tmp_path / "folder").mkdir()
    (tmp_path / "folder" / "a.csv").write_text("a\n1\n")
    first = az_ws(
        "ml", "data", "create", "-n", "rows", "-p", "folder/a.csv", "-t", "uri_file", cwd=tmp_path
    ).json()
    assert (first["version"], first["type"]) == ("1", "uri_file")
    assert (
        first["path"].startswith("azureml://subscriptions/")
        and "/datastores/workspaceblobstore/paths/" in first["path"]
    )
    copy = Path(first["properties"]["emulator.local_path"])
    assert copy.read_text() == "a\n1\n" and str(home) in str(copy)  # copied into the emulated datastore
    (tmp_path / "data.yml").write_text(
        "name: rows\nversion: 7\ntype: uri_folder\npath: folder\ntags: {k: v}\n"
    )
    from_file = az_ws("ml", "data", "create", "-f", str(tmp_path / "data.yml")).json()
    assert (from_file["version"], from_file["type"], from_file["tags"]) == ("7", "uri_folder", {"k": "v"})
    again = az_ws("ml", "data", "create", "-f", str(tmp_path / "data.yml"), check=False)
    assert again.code == 1 and "already exists" in again.stderr
    wrong = az_ws(
        "ml", "data", "create", "-n", "t", "-p", "folder", "-t", "mltable", cwd=tmp_path, check=False
    )
    assert wrong.code == 1 and "MLTable" in wrong.stderr
    remote = az_ws(
        "ml", "data", "create", "-n", "r", "-p", "https://example.com/x.csv", "-t", "uri_file", check=False
    )
    assert remote.code == 1 and "not reachable from the emulator" in remote.stderr
    assert (
        az_ws("ml", "data", "show", "-n", "rows", "-l", "latest", "--query", "version", "-o", "tsv").stdout
        == "7\n"
    )
    az_ws("ml", "data", "archive", "-n", "rows", "-v", "7")
    assert (
        az_ws("ml", "data", "show", "-n", "rows", "-l", "latest", "--query", "version", "-o", "tsv").stdout
        == "1\n"
    )
    assert az_ws("ml", "data", "list", "-n", "rows", "--query", "[].version", "-o", "tsv").stdout == "1\n"
    archived = az_ws(
        "ml", "data", "list", "-n", "rows", "--include-archived", "--query", "[].version", "-o", "tsv"
    )
    assert archived.stdout == "7\n1\n"
    assert (
        az_ws("ml", "data", "show", "-n", "rows", "-v", "7", "--query", "stage", "-o", "tsv").stdout
        == "Archived\n"
    )
    az_ws("ml", "data", "restore", "-n", "rows", "-v", "7")
    assert (
        az_ws("ml", "data", "list", "--query", "[].[name, latest_version]", "-o", "tsv").stdout == "rows\t7\n"
    )


def test_model_update_archive_restore(az_ws: AzRunner, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "w.bin").write_bytes(b"0")
    for _ in range(2):
        az_ws("ml", "model", "create", "-n", "m", "-p", "m", "--tags", "team=ml", cwd=tmp_path)
    updated = az_ws(
        "ml",
        "model",
        "update",
        "-n",
        "m",
        "-v",
        "1",
        "--set",
        "description=first one",
        "--set",
        "tags.stage=prod",
    ).json()
    assert updated["description"] == "first one" and updated["tags"] == {"team": "ml", "stage": "prod"}
    removed = az_ws(
        "ml", "model", "update", "-n", "m", "-v", "1", "--remove", "tags.team", "--tags", "x=y"
    ).json()
    assert removed["tags"] == {"stage": "prod", "x": "y"}
    immutable = az_ws("ml", "model", "update", "-n", "m", "-v", "1", "--set", "path=elsewhere", check=False)
    assert immutable.code == 2 and "cannot be updated" in immutable.stderr
    az_ws("ml", "model", "archive", "-n", "m", "-v", "2")
    assert az_ws("ml", "model", "list", "-n", "m", "--query", "[].version", "-o", "tsv").stdout == "1\n"
    listed = az_ws(
        "ml", "model", "list", "-n", "m", "--include-archived", "--query", "[].[version, stage]", "-o", "tsv"
    )
    assert listed.stdout == "2\tArchived\n1\tDevelopment\n"
    assert (
        az_ws("ml", "model", "show", "-n", "m", "-l", "latest", "--query", "version", "-o", "tsv").stdout
        == "1\n"
    )
    # @latest skips archived versions; an explicit version still resolves
    assert resolve_model(Context.current(), "azureml:m@latest").version == "1"
    assert resolve_model(Context.current(), "azureml:m:2").version == "2"
    az_ws("ml", "model", "archive", "-n", "m")
    assert az_ws("ml", "model", "list").json() == []
    gone = az_ws("ml", "model", "show", "-n", "m", "-l", "latest", check=False)
    assert gone.code == 1 and "every version of model 'm' is archived" in gone.stderr
    az_ws("ml", "model", "restore", "-n", "m")
    assert az_ws("ml", "model", "list", "--query", "[].latest_version", "-o", "tsv").stdout == "2\n"


def test_model_from_job_output_gets_versions_1_then_2(az_ws: AzRunner, home: Path) -> None:
    job = az_ws("ml", "job", "create", "-f", "job/job.yml", "--query", "name", "-o", "tsv").stdout.strip()
    source = f"azureml://jobs/{job}/outputs/model"
    first = az_ws(
        "ml",
        "model",
        "create",
        "--name",
        "fixture-model",
        "--path",
        source,
        "--type",
        "mlflow_model",
        "--description",
        "tiny",
        "--tags",
        "stage=dev",
        "team=ml",
    ).json()
    assert (first["name"], first["version"], first["type"]) == ("fixture-model", "1", "mlflow_model")
    assert first["job_name"] == job and first["tags"] == {"stage": "dev", "team": "ml"}
    assert first["description"] == "tiny" and "sklearn" in first["flavors"]
    assert first["id"].endswith("/models/fixture-model/versions/1")
    second = az_ws(
        "ml", "model", "create", "-n", "fixture-model", "-p", source, "--type", "mlflow_model"
    ).json()
    assert second["version"] == "2"

    # the registry owns a copy: removing the job's folder does not break the model
    import shutil

    shutil.rmtree(home / "azureml" / "jobs" / job)
    model = resolve_model(Context(home), "azureml:fixture-model@latest")
    assert model.version == "2" and (model.files / "MLmodel").is_file()
    assert model.model_dir == model.files.parent and str(home / "mlartifacts") in str(model.files)

    from mlflow.tracking import MlflowClient

    registered = MlflowClient(mlflow_tracking_uri(home)).get_model_version("fixture-model", "1")
    assert registered.run_id and registered.source == first["path"]
    shown = az_ws(
        "ml", "model", "show", "-n", "fixture-model", "-l", "latest", "--query", "version", "-o", "tsv"
    )
    assert shown.stdout == "2\n"
    assert (
        az_ws("ml", "model", "list", "-n", "fixture-model", "--query", "[].version", "-o", "tsv").stdout
        == "2\n1\n"
    )
    assert (
        az_ws("ml", "model", "list", "--query", "[].[name, latest_version]", "-o", "tsv").stdout
        == "fixture-model\t2\n"
    )
    missing = az_ws("ml", "model", "show", "-n", "nope", "-v", "1", check=False)
    assert missing.code == 1 and "model 'nope' was not found" in missing.stderr


def test_mlflow_model_type_needs_an_mlmodel(az_ws: AzRunner, tmp_path: Path) -> None:
    (tmp_path / "m").mkdir()
    (tmp_path / "m" / "weights.bin").write_bytes(b"0")
    bad = az_ws(
        "ml", "model", "create", "-n", "m", "-p", "m", "--type", "mlflow_model", cwd=tmp_path, check=False
    )
    assert bad.code == 1 and "MLmodel" in bad.stderr
    ok = az_ws("ml", "model", "create", "-n", "m", "-p", "m", "-v", "5", cwd=tmp_path).json()
    assert (ok["version"], ok["type"]) == ("5", "custom_model")
    again = az_ws("ml", "model", "create", "-n", "m", "-p", "m", "-v", "5", cwd=tmp_path, check=False)
    assert again.code == 1 and "already exists" in again.stderr


def test_eight_concurrent_registrations_get_distinct_versions(
    az_ws: AzRunner, az_bin: Path, home: Path, tmp_path: Path
) -> None:
    (tmp_path / "model").mkdir()
    (tmp_path / "model" / "weights.txt").write_text("w")
    assert not (home / "mlflow.db").exists()  # the eight race to create the store, too
    env = {**os.environ, "PATH": f"{az_bin}{os.pathsep}{os.environ['PATH']}", "MLOPS_HOME": str(home)}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env.pop("MLFLOW_TRACKING_URI", None)
    command = [
        "az",
        "ml",
        "model",
        "create",
        "-n",
        "concurrent",
        "-p",
        "model",
        "--query",
        "version",
        "-o",
        "tsv",
    ]
    processes = [
        subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(8)
    ]
    outcomes = [p.communicate(timeout=300) + (p.returncode,) for p in processes]
    assert all(code == 0 for _, _, code in outcomes), [err for _, err, _ in outcomes]
    assert not any("database is locked" in err for _, err, _ in outcomes)
    assert sorted(int(out) for out, _, _ in outcomes) == list(range(1, 9))
