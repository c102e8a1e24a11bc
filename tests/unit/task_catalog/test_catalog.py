"""The generated catalog of Microsoft's in-box tasks: what it holds, where it came from, visibility rules."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import task_catalog

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = Path(
    os.environ.get("MLOPS_SERVICE_SCHEMA")
    or ROOT.parent / "shared" / "reference" / "azure-pipelines-service-schema.json"
)


def test_the_catalog_names_its_sources() -> None:
    catalog = task_catalog.load()
    names = [s["name"] for s in catalog.sources]
    assert names == [
        "microsoft/azure-pipelines-tasks",
        "microsoft/azure-pipelines-vscode service-schema.json",
    ]
    assert len(catalog.sources[0]["commit"]) == 40
    assert len(catalog.tasks) > 250


def test_a_task_has_its_id_versions_inputs_aliases_and_defaults() -> None:
    catalog = task_catalog.load()
    cli = catalog.get("azurecli@1")
    assert cli is not None and cli.id == "46e4be58-730b-4389-8a2f-ea10b3e5e815"
    connection = cli.input("azureSubscription")
    assert connection is not None and connection.name == "connectedServiceNameARM" and connection.required
    location = cli.input("SCRIPTLOCATION")
    assert location is not None and location.default == "scriptPath"
    assert location.options == ("inlineScript", "scriptPath")
    assert catalog.majors("azurecli")[:3] == ["AzureCLI@0", "AzureCLI@1", "AzureCLI@2"]
    publish = catalog.get("PublishPipelineArtifact@1")
    assert publish is not None and publish.id == "ecdc45f6-832d-4ad9-b52b-ee49e94659be"


def test_server_tasks_are_told_from_agent_tasks() -> None:
    catalog = task_catalog.load()
    for server in ("ManualValidation@1", "Delay@1", "InvokeRESTAPI@1", "AzureFunction@1", "InvokeRESTAPI@0"):
        assert catalog.get(server).server, server  # type: ignore[union-attr]
    for agent in ("Bash@3", "AzureCLI@2", "Docker@2", "PublishCodeCoverageResults@2"):
        assert not catalog.get(agent).server, agent  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("values", "shown"),
    [
        ({}, False),  # the default scriptLocation is scriptPath
        ({"scriptLocation": "inlineScript"}, True),
        ({"scriptlocation": "INLINESCRIPT"}, True),
        ({"scriptLocation": "$(where)"}, None),  # known only at run time
    ],
)
def test_visible_rules_decide_when_an_input_is_required(values: dict[str, str], shown: bool | None) -> None:
    cli = task_catalog.load().get("AzureCLI@1")
    assert cli is not None
    inline = cli.input("inlineScript")
    assert inline is not None
    assert task_catalog.visible(cli, inline, values) is shown


def test_the_generator_rebuilds_the_committed_catalog(tmp_path: Path) -> None:
    """From the same sources the script writes the same file (the data is generated, not edited)."""
    committed = json.loads((ROOT / "emulator" / "task_catalog" / "catalog.json").read_text(encoding="utf-8"))
    commit = committed["sources"][0]["commit"]
    mirror = Path(os.environ.get("AZURE_PIPELINES_TASKS_GIT", "/nonexistent"))
    if not SCHEMA.is_file() or not mirror.is_dir() or shutil.which("git") is None:
        pytest.skip(
            "the generator's inputs: set MLOPS_SERVICE_SCHEMA to service-schema.json (or keep it in "
            "../shared/reference/) and AZURE_PIPELINES_TASKS_GIT to a git copy of "
            "microsoft/azure-pipelines-tasks"
        )
    head = subprocess.run(["git", "-C", str(mirror), "rev-parse", "HEAD"], capture_output=True, text=True)
    if head.stdout.strip() != commit:
        pytest.skip(f"the azure-pipelines-tasks copy is not at the catalog's commit {commit}")
    out = tmp_path / "catalog.json"
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "scripts" / "generate_task_catalog.py"),
            "--schema",
            str(SCHEMA),
            "--tasks-git",
            str(mirror),
            "-o",
            str(out),
        ],
        check=True,
        capture_output=True,
    )
    assert out.read_text(encoding="utf-8") == (ROOT / "emulator" / "task_catalog" / "catalog.json").read_text(
        encoding="utf-8"
    )
