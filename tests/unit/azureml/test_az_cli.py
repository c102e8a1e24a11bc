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
    result = az("ml", "registry", "create", check=False)
    assert result.code == 2 and result.stdout == ""
    assert result.stderr.startswith("ERROR: 'az ml registry create' is not emulated. Emulated commands: ")
    for emulated in (
        "az ml job create",
        "az ml online-deployment create",
        "az ml batch-endpoint invoke",
        "az ml data create",
        "az ml workspace show",
        "az group create",
    ):
        assert emulated in result.stderr
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


def test_workspace_show_gives_the_local_tracking_uri(az: AzRunner, home: Path) -> None:
    missing = az("ml", "workspace", "show", check=False)
    assert missing.code == 2 and "--name/-n" in missing.stderr
    az("configure", "--defaults", "group=rg1", "workspace=ws1")
    uri = az("ml", "workspace", "show", "--query", "mlflow_tracking_uri", "-o", "tsv").stdout.strip()
    assert uri == f"sqlite:///{home / 'mlflow.db'}"  # what `mlflow.set_tracking_uri($(…))` needs
    shown = az("ml", "workspace", "show", "-n", "ws1").json()
    assert shown["id"].endswith(
        "/resourceGroups/rg1/providers/Microsoft.MachineLearningServices/workspaces/ws1"
    )
    other = az("ml", "workspace", "show", "-n", "never-made", check=False)
    assert other.code == 1 and "(ResourceNotFound)" in other.stderr


def test_group_workspace_and_compute_records(az: AzRunner, tmp_path: Path) -> None:
    group = az("group", "create", "-n", "rg-new", "-l", "westeurope", "--tags", "owner=ml").json()
    assert group["id"].endswith("/resourceGroups/rg-new") and group["tags"] == {"owner": "ml"}
    assert az("group", "exists", "-n", "rg-new").stdout == "true\n"
    assert az("group", "exists", "-n", "rg-other").stdout == "false\n"
    (tmp_path / "ws.yml").write_text("name: ws-new\nlocation: westeurope\ndisplay_name: New one\n")
    made = az("ml", "workspace", "create", "--file", str(tmp_path / "ws.yml"), "-g", "rg-new")
    assert "is a record" in made.stderr and made.json()["display_name"] == "New one"
    listed = az("ml", "workspace", "list", "-g", "rg-new", "--query", "[].name", "-o", "tsv").stdout
    assert listed == "ws-new\n"

    az("configure", "--defaults", "group=rg-new", "workspace=ws-new")
    (tmp_path / "compute.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/amlCompute.schema.json\n"
        "name: cpu-cluster\ntype: amlcompute\nsize: Standard_DS3_v2\nmin_instances: 0\nmax_instances: 2\n"
    )
    compute = az("ml", "compute", "create", "-f", str(tmp_path / "compute.yml"))
    assert "not provisioned locally" in compute.stderr
    assert compute.json()["max_instances"] == 2 and compute.json()["emulator"]["note"].startswith(
        "not provisioned"
    )
    az("ml", "compute", "create", "-n", "gpu", "--size", "Standard_NC6", "--max-instances", "1")
    names = az("ml", "compute", "list", "--query", "[].name", "-o", "tsv").stdout
    assert names == "cpu-cluster\ngpu\n"
    bad = az("ml", "compute", "create", "-n", "x", "--min-instances", "many", check=False)
    assert bad.code == 2 and "invalid int value" in bad.stderr
    # a job naming a compute the workspace lacks is warned about (Azure would fail it)
    job = az("ml", "job", "create", "-f", "job/job.yml", "--set", "compute=azureml:nope")
    assert "compute 'nope' does not exist" in job.stderr
    az("ml", "compute", "delete", "-n", "gpu", "--yes")
    assert az("ml", "compute", "show", "-n", "gpu", check=False).code == 1

    az("group", "delete", "-n", "rg-new", "--yes")
    assert az("ml", "workspace", "show", "-n", "ws-new", check=False).code == 1
    assert az("ml", "compute", "list").json() == []
    assert az("group", "show", "-n", "rg-new", check=False).code == 1


def test_long_options_accept_unambiguous_prefixes_like_argparse(az_ws: AzRunner) -> None:
    """az parses with argparse, which takes `--endpoint` for `--endpoint-name` when nothing else starts
    so, and refuses an ambiguous prefix."""
    missing = az_ws("ml", "online-deployment", "show", "--endpoint", "ep", "--na", "blue", check=False)
    assert missing.code == 1 and "online endpoint 'ep' was not found" in missing.stderr
    inline = az_ws("ml", "online-deployment", "list", "--endpoint=ep", "--out", "tsv", check=False)
    assert inline.code == 1 and "online endpoint 'ep' was not found" in inline.stderr
    ambiguous = az_ws("ml", "job", "list", "--o", "json", check=False)
    assert ambiguous.code == 2
    assert "ambiguous option: --o could match --only-show-errors, --output" in ambiguous.stderr


def test_did_you_mean_only_when_close(az: AzRunner) -> None:
    close = az("ml", "modle", "list", check=False)
    assert close.code == 2 and "did you mean 'ml model list'?" in close.stderr
    far = az("ml", "model", "frobnicate", check=False)
    assert far.code == 2 and "did you mean" not in far.stderr
    option = az("extension", "show", "--nmae", "ml", check=False)
    assert option.code == 2 and "did you mean '--name'?" in option.stderr
    unrelated = az("extension", "show", "--colour", "ml", check=False)
    assert "did you mean" not in unrelated.stderr and "az extension show --help" in unrelated.stderr


def test_extension_update_remove_and_upgrade_are_accepted(az: AzRunner) -> None:
    update = az("extension", "update", "-n", "ml", "--allow-preview", "true")
    assert update.stdout == "" and "No updates available for 'ml'" in update.stderr
    removed = az("extension", "remove", "--name", "ml", "--yes")
    assert "stays installed" in removed.stderr
    assert az("extension", "show", "-n", "ml", "--query", "name", "-o", "tsv").stdout == "ml\n"
    upgrade = az("upgrade", "--yes", "--all", "false")
    assert upgrade.code == 0 and "nothing to upgrade" in upgrade.stderr
    assert az("extension", "update", "-n", "azure-devops", check=False).code == 1


def test_version_flag_is_shaped_like_az(az: AzRunner) -> None:
    text = az("--version").stdout
    lines = text.splitlines()
    assert lines[0].split() == ["azure-cli", "2.67.0"] and "Extensions:" in lines
    assert lines[lines.index("Extensions:") + 1].split()[0] == "ml"
    assert any(line.startswith("Python location '") for line in lines)
    assert any(line.startswith("Python (") for line in lines)
    assert lines[-1] == "Your CLI is up-to-date."
    as_json = az("version").json()
    assert as_json["azure-cli-core"] == as_json["azure-cli"] == "2.67.0"
