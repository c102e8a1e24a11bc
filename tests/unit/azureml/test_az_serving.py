"""Online endpoints served for real: job → model → environment → endpoint → deployment → invoke.

The first run on a machine builds the isolated scoring environment (about a minute); later runs reuse
it from the shared cache (`MLOPS_ENV_CACHE`).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, AzRunner, make_runner, serving_conda

from emulator.azureml.endpoints import list_endpoints, stop_all_endpoints
from emulator.azureml.serving import is_running


@pytest.fixture(scope="module")
def scenario(
    az_bin: Path, env_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AzRunner, Path, dict[str, Any]]]:
    """One state folder for the module: a trained, registered model served by deployment `blue`."""
    home = tmp_path_factory.mktemp("serving") / "state"
    az = make_runner(az_bin, home, env_cache)
    try:
        az("configure", "--defaults", "group=rg-test", "workspace=ws-test")
        job = az("ml", "job", "create", "-f", "job/job.yml", "--query", "name", "-o", "tsv").stdout.strip()
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
        env_folder = tmp_path_factory.mktemp("serving-env")
        az("ml", "environment", "create", "-f", str(serving_conda(env_folder)))
        az("ml", "online-endpoint", "create", "-f", "serve/endpoint.yml")
        started = time.monotonic()
        blue = az("ml", "online-deployment", "create", "-f", "serve/deployment.yml", "--all-traffic").json()
        blue["_seconds"] = time.monotonic() - started
        yield az, home, blue
    finally:
        stop_all_endpoints(home)


def test_deployment_is_served_and_takes_the_traffic(scenario: tuple[AzRunner, Path, dict[str, Any]]) -> None:
    az, home, blue = scenario
    assert blue["provisioning_state"] == "Succeeded" and blue["emulator"]["running"] is True
    assert blue["model"].endswith("/models/fixture-model/versions/1")
    assert blue["emulator"]["mode"] == "process" and blue["emulator"]["env_path"].endswith(
        blue["emulator"]["env_key"]
    )
    assert len(blue["emulator"]["env_key"]) == 16
    assert Path(
        blue["emulator"]["model_dir"], "model", "MLmodel"
    ).is_file()  # AZUREML_MODEL_DIR/<folder>/MLmodel
    endpoint = az("ml", "online-endpoint", "show", "-n", "fixture-ep").json()
    assert endpoint["traffic"] == {"blue": 100} and endpoint["provisioning_state"] == "Succeeded"
    assert endpoint["scoring_uri"] == f"http://127.0.0.1:{blue['emulator']['port']}/score"
    assert "keys" not in endpoint and endpoint["auth_mode"] == "key"
    keys = az("ml", "online-endpoint", "get-credentials", "-n", "fixture-ep").json()
    assert len(keys["primaryKey"]) == 32 and keys["primaryKey"] != keys["secondaryKey"]


def test_invoke_returns_predictions(scenario: tuple[AzRunner, Path, dict[str, Any]]) -> None:
    az, _, _ = scenario
    result = az("ml", "online-endpoint", "invoke", "-n", "fixture-ep", "--request-file", "serve/request.json")
    body = result.json()
    assert isinstance(body, str)  # az prints the response body as a JSON string
    assert json.loads(body) == {"predictions": [0, 1]}
    raw = az("ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", "serve/request.json", "-o", "tsv")
    assert json.loads(raw.stdout) == {"predictions": [0, 1]}


def test_scoring_error_is_reported_with_status(
    scenario: tuple[AzRunner, Path, dict[str, Any]], tmp_path: Path
) -> None:
    az, _, _ = scenario
    (tmp_path / "bad.json").write_text('{"rows": []}')
    result = az(
        "ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", str(tmp_path / "bad.json"), check=False
    )
    assert result.code == 1 and result.stderr.startswith("ERROR: (500)")


def test_get_logs_shows_the_server_log(scenario: tuple[AzRunner, Path, dict[str, Any]]) -> None:
    az, _, _ = scenario
    logs = az("ml", "online-deployment", "get-logs", "-n", "blue", "-e", "fixture-ep", "-o", "tsv").stdout
    assert "gunicorn" in logs and "POST /score" in logs
    tail = az("ml", "online-deployment", "get-logs", "-n", "blue", "-e", "fixture-ep", "--lines", "2").json()
    assert len(tail.splitlines()) == 2


def test_second_deployment_reuses_the_environment_and_splits_traffic(
    scenario: tuple[AzRunner, Path, dict[str, Any]],
) -> None:
    az, home, blue = scenario
    green = az(
        "ml",
        "online-deployment",
        "create",
        "-f",
        "serve/deployment.yml",
        "--name",
        "green",
        "--set",
        "model=azureml:fixture-model:1",
    ).json()
    assert (
        green["emulator"]["env_reused"] is True
        and green["emulator"]["env_key"] == blue["emulator"]["env_key"]
    )
    assert green["emulator"]["port"] != blue["emulator"]["port"]
    assert az("ml", "online-endpoint", "show", "-n", "fixture-ep", "--query", "traffic").json() == {
        "blue": 100
    }
    updated = az(
        "ml", "online-endpoint", "update", "-n", "fixture-ep", "--traffic", "blue=90 green=10"
    ).json()
    assert updated["traffic"] == {"blue": 90, "green": 10}
    bad = az(
        "ml", "online-endpoint", "update", "-n", "fixture-ep", "--traffic", "blue=90 green=20", check=False
    )
    assert bad.code == 1 and "add up to 100" in bad.stderr
    direct = az(
        "ml",
        "online-endpoint",
        "invoke",
        "-n",
        "fixture-ep",
        "-r",
        "serve/request.json",
        "--deployment-name",
        "green",
    )
    assert json.loads(direct.json()) == {"predictions": [0, 1]}
    listed = az(
        "ml", "online-deployment", "list", "-e", "fixture-ep", "--query", "[].name", "-o", "tsv"
    ).stdout
    assert listed == "blue\ngreen\n"
    summary = list_endpoints(home)
    assert [(d["name"], d["running"], d["traffic"]) for d in summary[0]["deployments"]] == [
        ("blue", True, 90),
        ("green", True, 10),
    ]


def test_replacing_a_deployment_stops_the_old_process(
    scenario: tuple[AzRunner, Path, dict[str, Any]],
) -> None:
    az, _, _ = scenario
    old = az("ml", "online-deployment", "show", "-n", "green", "-e", "fixture-ep").json()["emulator"]
    new = az("ml", "online-deployment", "update", "-f", "serve/deployment.yml", "-n", "green").json()[
        "emulator"
    ]
    assert new["pid"] != old["pid"] and not is_running(old["pid"], old["start_ticks"])
    az("ml", "online-deployment", "delete", "-n", "green", "-e", "fixture-ep", "--yes")
    assert not is_running(new["pid"], new["start_ticks"])
    assert az("ml", "online-endpoint", "show", "-n", "fixture-ep", "--query", "traffic").json() == {
        "blue": 90
    }


def test_missing_model_is_a_clear_error(scenario: tuple[AzRunner, Path, dict[str, Any]]) -> None:
    az, _, _ = scenario
    result = az(
        "ml",
        "online-deployment",
        "create",
        "-f",
        "serve/deployment.yml",
        "-n",
        "red",
        "--set",
        "model=azureml:unregistered:1",
        check=False,
    )
    assert result.code == 1 and "model 'unregistered' was not found" in result.stderr
    assert "deployment.yml:4" in result.stderr  # located at the model field


def test_model_package_is_reproducible(scenario: tuple[AzRunner, Path, dict[str, Any]]) -> None:
    az, home, _ = scenario
    first = az("ml", "model", "package", "-n", "fixture-model", "-v", "1", "-f", "serve/package.yml").json()
    package = first["package"]
    assert first["name"] == "fixture-model-pkg" and first["version"] == "1"
    assert package["digest"].startswith("sha256:") and package["image_built"] in (True, False)
    assert package["image_build_reason"]
    context = Path(package["context"])
    dockerfile = (context / "Dockerfile").read_text()
    assert "FROM mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest" in dockerfile
    assert (context / "model" / "model" / "MLmodel").is_file() and (context / "code" / "score.py").is_file()
    assert (
        "azureml-inference-server-http==1.5.1" in (context / "environment" / "requirements.txt").read_text()
    )
    again = az("ml", "model", "package", "-n", "fixture-model", "-v", "1", "-f", "serve/package.yml").json()
    assert again["version"] == "2" and again["package"]["digest"] == package["digest"]


def test_stop_all_endpoints_leaves_no_process(scenario: tuple[AzRunner, Path, dict[str, Any]]) -> None:
    az, home, _ = scenario
    running = [d for e in list_endpoints(home) for d in e["deployments"] if d["running"]]
    assert running
    stopped = stop_all_endpoints(home)
    assert stopped == ["fixture-ep/blue"]
    for deployment in running:
        with pytest.raises(ProcessLookupError):
            os.killpg(deployment["pid"], 0)  # the whole process group (gunicorn master and workers) is gone
    assert not any(d["running"] for e in list_endpoints(home) for d in e["deployments"])
    stale = az("ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", "serve/request.json", check=False)
    assert stale.code == 1 and "not running" in stale.stderr
    assert az("ml", "online-endpoint", "delete", "-n", "fixture-ep", "--yes").stdout == ""
    assert az("ml", "online-endpoint", "list").json() == []
    assert FIXTURES.is_dir()
