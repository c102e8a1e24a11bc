"""The `az` shim from the outside: dispatch, argument errors, defaults, account and extension commands."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from conftest import AzRunner

from emulator.azureml import write_az_shim


def test_shim_is_executable_and_works_from_any_directory(az_bin: Path, tmp_path: Path) -> None:
    shim = write_az_shim(tmp_path / "bin")
    assert shim == tmp_path / "bin" / "az" and os.access(shim, os.X_OK)
    text = shim.read_text()
    assert "-m emulator.azureml" in text and text.startswith("#!/bin/sh")
    env = {**os.environ, "MLOPS_HOME": str(tmp_path / "state"), "MLFLOW_DISABLE_TELEMETRY": "true"}
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        [str(shim), "version"], cwd="/", env=env, capture_output=True, text=True, check=True
    )
    assert json.loads(done.stdout)["extensions"]["ml"]


def test_unknown_command_lists_emulated_ones(az: AzRunner) -> None:
    result = az("ml", "batch-endpoint", "create", check=False)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith(
        "ERROR: 'az ml batch-endpoint create' is not emulated. Emulated commands: "
    )
    assert "az ml job create" in result.stderr and "az ml online-deployment create" in result.stderr
    assert "Traceback" not in result.stderr


def test_misspelt_command_gets_a_hint(az: AzRunner) -> None:
    result = az("ml", "jbo", "create", check=False)
    assert result.code == 2 and "did you mean 'ml job create'?" in result.stderr


def test_unknown_argument_names_it_with_did_you_mean(az_ws: AzRunner) -> None:
    result = az_ws("ml", "job", "show", "--nmae", "x", check=False)
    assert result.code == 2
    assert "ERROR: unrecognized arguments: --nmae" in result.stderr
    assert "did you mean '--name'?" in result.stderr


def test_missing_required_argument(az_ws: AzRunner) -> None:
    result = az_ws("ml", "job", "create", check=False)
    assert result.code == 2 and "the following arguments are required: --file/-f" in result.stderr


def test_invalid_output_choice(az: AzRunner) -> None:
    result = az("account", "show", "-o", "xml", check=False)
    assert result.code == 2 and "invalid choice: 'xml'" in result.stderr


def test_workspace_is_required_like_az(az: AzRunner) -> None:
    result = az("ml", "model", "list", check=False)
    assert result.code == 2
    assert "--workspace-name/-w" in result.stderr and "az configure --defaults" in result.stderr


def test_configure_defaults_persist_and_explicit_options_win(az: AzRunner, home: Path) -> None:
    assert az("configure", "--defaults", "group=rg1", "workspace=ws1", "location=westeurope").stdout == ""
    config = json.loads((home / "azureml" / "config.json").read_text())
    assert config["defaults"] == {"group": "rg1", "workspace": "ws1", "location": "westeurope"}
    listed = az("configure", "--list-defaults", "--query", "[].name", "-o", "tsv").stdout.split()
    assert listed == ["group", "location", "workspace"]
    # ids use the defaults, and -g/-w override them
    ids = az("ml", "online-endpoint", "list").json()
    assert ids == []
    az("ml", "online-endpoint", "create", "-f", "serve/endpoint.yml", "-g", "rg2", "-w", "ws2")
    shown = az("ml", "online-endpoint", "show", "-n", "fixture-ep").json()
    assert "/resourceGroups/rg2/" in shown["id"] and shown["id"].endswith(
        "/workspaces/ws2/onlineEndpoints/fixture-ep"
    )
    assert shown["location"] == "westeurope"


def test_login_account_and_extension(az: AzRunner) -> None:
    login = az("login")
    assert "needs no login" in login.stderr and login.json()[0]["isDefault"] is True
    account = az("account", "show").json()
    assert account["id"] == "00000000-0000-0000-0000-000000000000" and account["state"] == "Enabled"
    assert az("extension", "add", "-n", "ml", "-y", "--upgrade").stdout == ""
    assert az("extension", "show", "-n", "ml", "--query", "name", "-o", "tsv").stdout == "ml\n"
    other = az("extension", "add", "-n", "azure-devops", check=False)
    assert other.code == 1 and "only 'ml'" in other.stderr


def test_help_lists_group_commands(az: AzRunner) -> None:
    result = az("ml", "online-endpoint", "--help")
    assert result.code == 0 and "az ml online-endpoint invoke" in result.stdout
    assert "az ml job create" not in result.stdout


def test_only_show_errors_hides_warnings(az: AzRunner) -> None:
    assert az("login", "--only-show-errors").stderr == ""
