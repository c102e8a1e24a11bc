"""`mlops list PIPELINE` (as `act -l`): a row per job with its stage, kind, environment, the checks and
approvals that gate it and its dependencies, in every output `runs` and `endpoints` have."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli_helpers import ENVIRONMENTS, GATED, mlops, write_project

pytestmark = pytest.mark.integration  # runs `mlops` in a subprocess

VALIDATION = """\
  - stage: Signoff
    dependsOn: []
    jobs:
      - job: Wait
        pool: server
        steps:
          - task: ManualValidation@1
            inputs:
              notifyUsers: alice
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, Path]:
    root = tmp_path_factory.mktemp("list")
    pipe = write_project(root / "repo", GATED + VALIDATION, environments=ENVIRONMENTS)
    return root, root / "home", pipe


def test_json_lists_every_job_with_its_gate_and_dependencies(project: tuple[Path, Path, Path]) -> None:
    root, home, pipe = project
    out = mlops(["list", str(pipe), "-o", "json"], home, root)
    assert out.returncode == 0, out.stderr
    rows = {(r["stage"], r["job"]): r for r in json.loads(out.stdout)}
    assert list(rows) == [("Build", "Compile"), ("Build", "Lint"), ("Deploy", "Ship"), ("Signoff", "Wait")]
    assert rows[("Build", "Lint")]["dependsOn"] == ["Compile"] and rows[("Build", "Compile")]["steps"] == 3
    ship = rows[("Deploy", "Ship")]
    assert (ship["kind"], ship["environment"], ship["checks"]) == ("deployment", "test", ["approval: alice"])
    assert ship["stageDependsOn"] == ["Build"]
    wait = rows[("Signoff", "Wait")]
    assert (wait["kind"], wait["checks"], wait["stageDependsOn"]) == ("agentless", ["manual validation"], [])
    assert not (home / "runs").exists()  # listing runs nothing


def test_table_yaml_tsv_and_query(project: tuple[Path, Path, Path]) -> None:
    root, home, pipe = project
    table = mlops(["list", str(pipe)], home, root, extra_env={"COLUMNS": "80"})
    assert table.returncode == 0, table.stderr
    ship = next(line for line in table.stdout.splitlines() if "Ship" in line)
    assert "deployment" in ship and "approval: alice" in ship and "…" not in table.stdout
    rows = yaml.safe_load(mlops(["list", str(pipe), "-o", "yaml"], home, root).stdout)
    assert [r["job"] for r in rows] == ["Compile", "Lint", "Ship", "Wait"]
    tsv = mlops(["list", str(pipe), "-o", "tsv"], home, root).stdout.splitlines()
    assert tsv[2].split("\t")[:5] == ["Deploy", "Ship", "Ship", "deployment", "test"]
    gated = mlops(["list", str(pipe), "--query", "[?environment].job", "-o", "json"], home, root)
    assert json.loads(gated.stdout) == ["Ship"]


def test_a_pipeline_that_does_not_compile_is_a_located_error(tmp_path: Path) -> None:
    pipe = write_project(
        tmp_path / "repo",
        "stages:\n  - stage: A\n    dependsOn: Nope\n    jobs:\n"
        "      - job: J\n        steps:\n          - script: echo\n",
        environments=None,
    )
    out = mlops(["list", str(pipe)], tmp_path / "home", tmp_path)
    assert out.returncode == 2 and "Nope" in out.stderr and "Traceback" not in out.stderr
