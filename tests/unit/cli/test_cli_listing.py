"""Output conventions of the listing and run commands: `-o table|json|yaml|tsv` and `--query` as the Azure
CLI has them, tables never cut to the terminal width when stdout is a pipe, `logs --step` that matches
nothing, `resume` of a finished run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from cli_helpers import FAILING, mlops, write_project

pytestmark = pytest.mark.integration  # runs `mlops` in a subprocess

LONG = "the model's AUC 0.61 is below the 0.75 the release policy asks for; retrain with the full data set"
REASON = "Condition of stage Deploy: Unrecognized function name: 'checkTheReleasePolicyOfTheModelRegistry'"


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A state folder with one failed run whose failure reason is far wider than 80 columns."""
    root = tmp_path_factory.mktemp("listing")
    condition = "    condition: checkTheReleasePolicyOfTheModelRegistry()\n"
    text = FAILING.replace("the answer was not 42", LONG).replace(
        "  - stage: Deploy\n", "  - stage: Deploy\n" + condition
    )
    pipe = write_project(root / "repo", text, environments=None)
    home = root / "home"
    out = mlops(["run", str(pipe), "--progress", "plain"], home, root, extra_env={"COLUMNS": "80"})
    assert out.returncode == 1, out.stderr
    assert LONG in out.stdout.replace("\n", " ") and any(LONG in line for line in out.stdout.splitlines())
    return root, home


def test_tables_are_not_cut_to_80_columns_off_a_terminal(finished: tuple[Path, Path]) -> None:
    root, home = finished
    shown = mlops(["runs", "show", "1"], home, root, extra_env={"COLUMNS": "80"})
    assert any(REASON in line for line in shown.stdout.splitlines()), shown.stdout
    listed = mlops(["runs"], home, root, extra_env={"COLUMNS": "80"})
    assert "pipe.yml" in listed.stdout and "…" not in listed.stdout


def test_runs_print_as_the_azure_cli_does(finished: tuple[Path, Path]) -> None:
    root, home = finished
    as_json = json.loads(mlops(["runs", "-o", "json"], home, root).stdout)
    assert [(r["id"], r["result"]) for r in as_json] == [("1", "failed")]
    queried = mlops(["runs", "list", "--query", "[?result=='failed'].id", "-o", "tsv"], home, root)
    assert queried.stdout == "1\n"
    as_yaml = yaml.safe_load(
        mlops(["runs", "-o", "yaml", "--query", "[0].{id: id, by: requestedBy}"], home, root).stdout
    )
    assert as_yaml == {"id": "1", "by": "tester"}
    bad = mlops(["runs", "--query", "[?"], home, root)
    assert bad.returncode == 2 and "is not a valid JMESPath query" in bad.stderr


def test_endpoints_and_recipes_list_as_tables_or_data(finished: tuple[Path, Path]) -> None:
    root, home = finished
    table = mlops(["endpoints", "list"], home, root)
    assert table.returncode == 0 and "endpoint" in table.stdout and "scoring URI" in table.stdout
    assert json.loads(mlops(["endpoints", "-o", "json"], home, root).stdout) == []
    repo = Path(__file__).resolve().parents[3]
    names = mlops(
        ["recipes", "list", "--root", str(repo), "--query", "[?kind=='stages'].name", "-o", "tsv"], home, root
    ).stdout.split()
    assert "conformance-gate" in names and "aml-cli-setup" not in names


def test_logs_of_a_step_that_matches_nothing_fail(finished: tuple[Path, Path]) -> None:
    root, home = finished
    ok = mlops(["logs", "1", "--step", "check the answer"], home, root)
    assert ok.returncode == 0 and "about to fail" in ok.stdout
    missed = mlops(["logs", "1", "--step", "Chek the answr"], home, root)
    assert missed.returncode == 2
    assert "No step of run 1 with a log matches 'Chek the answr'" in missed.stderr
    assert "did you mean 'Check the answer'?" in missed.stderr


def test_resuming_a_finished_run_says_so_first(finished: tuple[Path, Path]) -> None:
    root, home = finished
    out = mlops(["resume", "1"], home, root)
    assert out.returncode == 2 and out.stdout == ""
    assert "Run 1 has already finished (failed)" in out.stderr
