"""`mlops graph` on the reference pipeline (compiled only: nothing calls `az`), and a report end to end."""

from __future__ import annotations

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REFERENCE = REPO / "mlops_pipelines" / "BasicBuildRelease.yml"


def _mlops(args: list[str], home: Path, cwd: Path = REPO) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MLOPS_HOME": str(home),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(REPO),
        "MLOPS_USER": "tester",
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_graph_of_the_reference_pipeline_in_every_format(tmp_path: Path) -> None:
    for name in ("ref.mmd", "ref.svg", "ref.png"):
        proc = _mlops(["graph", str(REFERENCE), "-o", str(tmp_path / name)], tmp_path / "home")
        assert proc.returncode == 0, proc.stderr
        assert "5 stages, 5 jobs" in proc.stdout
    mermaid = (tmp_path / "ref.mmd").read_text(encoding="utf-8")
    for stage in ("Training", "Register", "Package", "DeployTest", "DeployProduction"):
        assert f"subgraph S__{stage}[" in mermaid
    assert 'G__Register__test{{"gate test<br/>approval: ml-reviewers"}}' in mermaid
    assert "approval: release-managers" in mermaid
    svg = ET.parse(tmp_path / "ref.svg").getroot()
    names = {g.get("data-name") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert {
        "Training",
        "Register",
        "Package",
        "DeployTest",
        "DeployProduction",
        "Train",
        "RegisterModel",
        "DeployModel",
    } <= names
    assert (tmp_path / "ref.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_graph_parameters_change_the_picture(tmp_path: Path) -> None:
    proc = _mlops(["graph", str(REFERENCE), "-p", "deployToProduction=false"], tmp_path / "home")
    assert proc.returncode == 0, proc.stderr
    assert "DeployProduction" not in proc.stdout and "S__DeployTest" in proc.stdout


def test_run_then_graph_and_reports(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "p.yml").write_text(
        "stages:\n- stage: A\n  jobs:\n  - job: J\n    steps:\n    - checkout: none\n    - script: echo one\n"
        "- stage: B\n  jobs:\n  - job: K\n    steps:\n    - checkout: none\n    - script: exit 4\n"
        "      displayName: Boom\n",
        encoding="utf-8",
    )
    home = tmp_path / "home"
    assert _mlops(["run", "p.yml"], home, project).returncode == 1
    proc = _mlops(["graph", "--run", "1", "-o", str(tmp_path / "run.png")], home, project)
    assert proc.returncode == 0 and "coloured by run 1" in proc.stdout
    proc = _mlops(
        ["report", "1", "-o", str(tmp_path / "r.html"), "--junit", str(tmp_path / "j.xml")], home, project
    )
    assert proc.returncode == 0, proc.stderr
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "Boom" in page and 'data-result="failed"' in page
    junit = ET.parse(tmp_path / "j.xml").getroot()
    assert junit.get("failures") == "1" and junit.get("tests") == "4"
