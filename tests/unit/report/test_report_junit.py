"""JUnit XML of a run: a testsuite per stage, a testcase per step, failures with the log tail."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import ReportedRun
from report_helpers import ENVIRONMENTS, PIPELINE, mlops

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses


def _junit(home: Path, project: Path, run_id: str, out: Path) -> ET.Element:
    proc = mlops(["report", run_id, "--junit", str(out), "--no-mlflow"], home, project)
    assert proc.returncode == 0, proc.stderr
    return ET.parse(out).getroot()


def test_junit_has_a_suite_per_stage_and_a_case_per_step(reported_run: ReportedRun, tmp_path: Path) -> None:
    root = _junit(reported_run.home, reported_run.project, "1", tmp_path / "junit.xml")
    assert root.tag == "testsuites"
    assert (root.get("tests"), root.get("failures"), root.get("skipped")) == ("8", "1", "1")
    suites = {s.get("name"): s for s in root.findall("testsuite")}
    assert list(suites) == ["Training", "Register", "Smoke"]
    cases = [(c.get("classname"), c.get("name")) for c in root.iter("testcase")]
    assert cases == [
        ("Training.Train", "Checkout none"),
        ("Training.Train", "Train the model"),
        ("Training.Train", "Check the data"),
        ("Register.RegisterModel", "Download (none)"),
        ("Register.RegisterModel", "Register the model"),
        ("Smoke.Probe", "Checkout none"),
        ("Smoke.Probe", "Probe the endpoint"),
        ("Smoke.Probe", "Never runs"),
    ]
    failure = suites["Smoke"].find("testcase/failure")
    assert failure is not None
    assert failure.get("message") == "Bash exited with code '2'."
    assert failure.text is not None and "endpoint did not answer" in failure.text
    assert "probe line 50" in failure.text and "probe line 3\n" not in failure.text  # the tail only
    assert suites["Smoke"].find("testcase/skipped") is not None
    warn = suites["Training"].findall("testcase")[2].find("system-out")
    assert warn is not None and "class imbalance" in (warn.text or "")
    assert all(float(c.get("time") or "x") >= 0 for c in root.iter("testcase"))


def test_rejected_gate_is_a_failed_case_and_its_steps_are_skipped(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    project.mkdir()
    (project / "pipe.yml").write_text(PIPELINE, encoding="utf-8")
    (project / "environments.yml").write_text(ENVIRONMENTS, encoding="utf-8")
    run = mlops(
        ["run", "pipe.yml", "--as", "alice", "--reject", "test", "--comment", "not today"], home, project
    )
    assert run.returncode == 1, run.stdout + run.stderr
    root = _junit(home, project, "1", tmp_path / "junit.xml")
    register = next(s for s in root.findall("testsuite") if s.get("name") == "Register")
    gate = register.find("testcase[@classname='Register.checks']/failure")
    assert gate is not None and "rejected" in (gate.get("message") or "")
    assert register.find("testcase[@classname='Register.RegisterModel']/skipped") is not None


def test_paused_run_lists_what_did_not_run_as_skipped(tmp_path: Path) -> None:
    home, project = tmp_path / "home", tmp_path / "project"
    project.mkdir()
    (project / "pipe.yml").write_text(PIPELINE, encoding="utf-8")
    (project / "environments.yml").write_text(ENVIRONMENTS, encoding="utf-8")
    assert mlops(["run", "pipe.yml", "--as", "bob"], home, project).returncode == 3
    root = _junit(home, project, "1", tmp_path / "junit.xml")
    skipped = [s.get("message") for s in root.iter("skipped")]
    assert skipped and all("waiting for an approval" in (m or "") for m in skipped)
