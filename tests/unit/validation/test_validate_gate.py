"""`mlops validate` as a CI gate, in process: every error of every file, service connections, the
environments of --approve/--reject, exit codes, and the machine outputs (SARIF 2.1.0 checked against
the official schema, `##vso[task.logissue]` lines read back by the emulator's own parser, JUnit, JSON)."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest

from emulator.cli import main
from emulator.runtime.logcommands import parse_command

SARIF_SCHEMA = json.loads((Path(__file__).parent / "sarif" / "sarif-schema-2.1.0.json").read_text())

BROKEN = """\
stages:
- stage: Build
  jobs:
  - job: Compile
    steps:
    - task: AzureCLI@2
      inputs:
        azureSubscription: aml-workspace-conection
        scriptType: bash
        scriptLocation: inlineScript
        inlineScript: echo hi
    - task: ShellScript@2
      inputs:
        scriptPth: build.sh
- stage: Deploy
  condition: succeded()
  jobs:
  - deployment: Ship
    environment: production
    strategy:
      runOnce:
        deploy:
          steps:
          - script: echo ship
            condition: eq(variables['shipIt'], 'yes')
"""
GOOD = BROKEN.split("    - task: ShellScript@2")[0].replace("-conection", "-connection")  # Build only


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    pipelines = root / "mlops_pipelines"
    pipelines.mkdir()
    (pipelines / "service-connections.yml").write_text(
        "serviceConnections:\n  aml-workspace-connection: {}\n"
    )
    (pipelines / "environments.yml").write_text(
        "environments:\n  production:\n    checks:\n      - type: approval\n        approvers: [carol]\n"
    )
    (pipelines / "Broken.yml").write_text(BROKEN)
    (pipelines / "Good.yml").write_text(GOOD)
    monkeypatch.chdir(root)
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "home"))
    return root


def test_every_error_of_every_file_is_reported(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "mlops_pipelines/*.yml", "--approve", "prodution"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "mlops_pipelines/Broken.yml:8:28: Service connection 'aml-workspace-conection'" in err
    assert "did you mean 'aml-workspace-connection'?" in err
    assert "Task ShellScript@2 has no input 'scriptPth'" in err
    assert "Input required: scriptPath" in err
    assert (
        "mlops_pipelines/Broken.yml:16:14: The condition of stage Deploy: Unrecognized function name: "
        "'succeded'" in err
    )
    assert "warning: mlops_pipelines/Broken.yml:25:27: " in err and "'shipIt'" in err
    assert "--approve prodution: the pipeline targets no environment 'prodution'" in err
    assert "did you mean 'production'?" in err
    assert "✘ mlops_pipelines/Broken.yml is not valid: 5 error(s), 1 warning(s)" in out
    assert "--approve prodution: the pipeline targets no environment at all" in err  # Good.yml
    assert "2 pipelines: 0 valid, 2 not valid" in out
    assert "Traceback" not in err


def test_a_valid_repository_passes_and_warnings_fail_only_when_strict(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "mlops_pipelines" / "Broken.yml").unlink()
    assert main(["validate", "mlops_pipelines"]) == 0
    assert "1 pipelines" not in capsys.readouterr().out
    (repo / "mlops_pipelines" / "Warned.yml").write_text(
        "steps:\n- script: echo hi\n  condition: eq(variables['shipIt'], 'yes')\n"
    )
    assert main(["validate", "mlops_pipelines"]) == 0
    assert main(["validate", "mlops_pipelines", "--var", "shipIt=yes", "--strict"]) == 0
    assert main(["validate", "mlops_pipelines", "--strict"]) == 2


def test_a_file_that_does_not_expand_does_not_stop_the_others(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (repo / "mlops_pipelines" / "Bad.yml").write_text("steps:\n- script: echo hi\n  bogus: [\n")
    assert main(["validate", "mlops_pipelines/Bad.yml", "mlops_pipelines/Good.yml"]) == 2
    out, err = capsys.readouterr()
    assert "Bad.yml:" in err and "✘ mlops_pipelines/Bad.yml is not valid: 1 error(s)" in out
    assert "✔ mlops_pipelines/Good.yml is valid" in out


def test_paths_that_match_nothing_are_bad_input(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "mlops_pipelines/Brokn.yml"]) == 2
    assert "did you mean 'Broken.yml'?" in capsys.readouterr().err
    assert main(["validate", "docs/*.yml"]) == 2
    assert "No pipeline matches docs/*.yml" in capsys.readouterr().err


def test_sarif_is_valid_sarif_2_1_0_with_relative_locations(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out_file = tmp_path / "CodeAnalysisLogs" / "mlops.sarif"
    assert main(["validate", "mlops_pipelines", "--sarif", str(out_file), "--format", "sarif"]) == 2
    printed = json.loads(capsys.readouterr().out)
    log = json.loads(out_file.read_text())
    assert printed == log
    jsonschema.Draft4Validator(SARIF_SCHEMA).validate(log)
    (run,) = log["runs"]
    rules = [r["id"] for r in run["tool"]["driver"]["rules"]]
    by_rule = {r["ruleId"]: r for r in run["results"]}
    assert {"service-connection", "task-input", "expression", "undefined-variable"} <= set(by_rule)
    connection = by_rule["service-connection"]
    assert rules[connection["ruleIndex"]] == "service-connection" and connection["level"] == "error"
    assert connection["locations"][0]["physicalLocation"] == {
        "artifactLocation": {"uri": "mlops_pipelines/Broken.yml", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 8, "startColumn": 28},
    }
    assert by_rule["undefined-variable"]["level"] == "warning"
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == repo.resolve().as_uri() + "/"


def test_vso_lines_are_logging_commands_azure_devops_reads(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["validate", "mlops_pipelines/Broken.yml", "--format", "vso"]) == 2
    commands = [parse_command(line) for line in capsys.readouterr().out.splitlines() if "##vso[" in line]
    issues = [c for c in commands if c is not None and (c.area, c.action) == ("task", "logissue")]
    assert len(issues) == 5
    first = issues[0]
    assert first.get("type") == "error" and first.get("sourcepath") == "mlops_pipelines/Broken.yml"
    assert (first.get("linenumber"), first.get("columnnumber")) == ("8", "28")
    assert first.get("code") == "mlops.service-connection"
    assert "\n" not in first.message and "did you mean 'aml-workspace-connection'?" in first.message
    assert [i.get("type") for i in issues].count("warning") == 1


def test_junit_has_a_testcase_per_pipeline(repo: Path, tmp_path: Path) -> None:
    junit = tmp_path / "validate.xml"
    assert main(["validate", "mlops_pipelines", "--junit", str(junit), "--format", "json"]) == 2
    suite = ET.parse(junit).getroot().find("testsuite")
    assert suite is not None and suite.get("tests") == "2" and suite.get("failures") == "1"
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["mlops_pipelines/Broken.yml"].find("failure") is not None
    assert cases["mlops_pipelines/Good.yml"].find("failure") is None


def test_json_lists_findings_and_what_each_file_holds(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["validate", "mlops_pipelines", "--format", "json"]) == 2
    data = json.loads(capsys.readouterr().out)
    assert (data["valid"], data["errors"], data["warnings"]) == (False, 4, 1)
    good = next(f for f in data["files"] if f["path"].endswith("Good.yml"))
    assert good["valid"] and good["stages"] == 1 and good["findings"] == []


def test_run_refuses_an_environment_the_pipeline_never_targets(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["run", "mlops_pipelines/Good.yml", "--approve", "production"])
    err = capsys.readouterr().err
    assert code == 2
    assert "--approve production: the pipeline targets no environment at all" in err
    assert "this environment" not in err


def test_the_pre_commit_hook_validates_this_repository(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """.pre-commit-hooks.yaml: the keys pre-commit requires [pre-commit.com "Creating new hooks"], and
    its command (entry + args, no file names) passes on this repository's pipelines."""
    import shlex

    import yaml

    root = Path(__file__).resolve().parents[3]
    (hook,) = yaml.safe_load((root / ".pre-commit-hooks.yaml").read_text())
    assert {"id", "name", "entry", "language"} <= set(hook) and hook["pass_filenames"] is False
    words = [*shlex.split(hook["entry"]), *hook["args"]]
    assert words[:2] == ["mlops", "validate"]
    monkeypatch.chdir(root)
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "home"))
    assert main(words[1:]) == 0
