"""The pipeline graph: Mermaid text (exact), SVG (well-formed, every stage/job/gate), PNG, the CLI."""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from contextlib import redirect_stdout
from pathlib import Path

import pytest

from emulator import graph, runner
from emulator.cli import main
from emulator.errors import MlopsError

PIPELINE = """\
stages:
  - stage: Build
    displayName: Build "it"
    jobs:
      - job: Compile
        steps:
          - script: echo compile
      - job: Test
        dependsOn: Compile
        steps:
          - script: echo test
          - script: echo more
      - job: Docs
        steps:
          - script: echo docs
  - stage: Register
    jobs:
      - deployment: RegisterModel
        displayName: Register <the> model
        environment: test
        strategy:
          runOnce:
            deploy:
              steps:
                - script: echo register
  - stage: Release
    dependsOn: [Build, Register]
    jobs:
      - deployment: Ship
        environment: prod-eu.web
        strategy:
          runOnce:
            deploy:
              steps:
                - script: echo ship
"""

ENVIRONMENTS = """\
environments:
  test:
    checks:
      - type: approval
        approvers: [alice, bob]
        minApprovers: 2
  prod-eu:
    checks:
      - type: approval
        approvers: [carol]
      - type: branchControl
        allowedBranches: [refs/heads/main]
"""

MERMAID = """\
flowchart LR
  %% pipe.yml
  subgraph S__Build["Build #quot;it#quot;"]
    direction LR
    J__Build__Compile["Compile"]
    J__Build__Test["Test"]
    J__Build__Docs["Docs"]
    J__Build__Compile --> J__Build__Test
  end
  subgraph S__Register["Register"]
    direction LR
    G__Register__test{{"gate test<br/>approval: alice, bob (2 needed)"}}
    J__Register__RegisterModel["Register #lt;the#gt; model<br/>deployment → test"]
    G__Register__test -.-> J__Register__RegisterModel
  end
  subgraph S__Release["Release"]
    direction LR
    G__Release__prod_eu{{"gate prod-eu<br/>approval: carol<br/>branch: refs/heads/main"}}
    J__Release__Ship["Ship<br/>deployment → prod-eu"]
    G__Release__prod_eu -.-> J__Release__Ship
  end
  S__Build --> S__Register
  S__Build --> S__Release
  S__Register --> S__Release
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "environments.yml").write_text(ENVIRONMENTS, encoding="utf-8")
    path = tmp_path / "pipe.yml"
    path.write_text(PIPELINE, encoding="utf-8")
    return path


def _graph(project: Path, record: dict[str, object] | None = None) -> graph.PipelineGraph:
    compiled = runner.compile_pipeline(project, requester="tester")
    return graph.build_graph(compiled.pipeline, compiled.environments, record, title="pipe.yml")


RECORD = {
    "stages": [
        {
            "name": "Build",
            "result": "succeeded",
            "jobs": [
                {"name": "Compile", "result": "succeeded"},
                {"name": "Test", "result": "succeededWithIssues"},
                {"name": "Docs", "result": "failed"},
            ],
        },
        {
            "name": "Register",
            "result": None,
            "state": "pending",
            "jobs": [{"name": "RegisterModel", "result": None}],
        },
        {"name": "Release", "result": None, "jobs": [{"name": "Ship", "result": None}]},
    ],
    "checks": [{"stage": "Register", "environment": "test", "status": "pending"}],
    "waiting": {"stage": "Register", "environment": "test"},
}


def test_mermaid_text_is_exact(project: Path) -> None:
    assert graph.to_mermaid(_graph(project)) == MERMAID


def test_mermaid_is_coloured_by_a_run(project: Path) -> None:
    text = graph.to_mermaid(_graph(project, RECORD))
    assert text.startswith(MERMAID)
    tail = text[len(MERMAID) :].splitlines()
    assert "  classDef succeeded fill:#dcfce7,stroke:#16a34a,color:#14532d" in tail
    assert "  class J__Build__Compile,S__Build succeeded" in tail
    assert "  class J__Build__Docs failed" in tail
    assert "  class G__Register__test gate_pending" in tail
    assert "  class S__Register paused" in tail


def test_layers_follow_dependencies(project: Path) -> None:
    g = _graph(project)
    assert [(s.name, s.layer) for s in g.stages] == [("Build", 0), ("Register", 1), ("Release", 2)]
    assert {j.name: j.layer for j in g.stage("Build").jobs} == {"Compile": 0, "Test": 1, "Docs": 0}


def test_svg_parses_and_contains_every_stage_job_and_gate(project: Path) -> None:
    svg = graph.to_svg(_graph(project, RECORD))
    root = ET.fromstring(svg)
    ns = {"s": "http://www.w3.org/2000/svg"}
    stages = {g.get("data-name"): g.get("data-result") for g in root.iterfind(".//s:g[@class='stage']", ns)}
    assert stages == {"Build": "succeeded", "Register": "paused", "Release": ""}
    jobs = {
        (g.get("data-stage"), g.get("data-name")): g.get("data-result")
        for g in root.iterfind(".//s:g[@class='job']", ns)
    }
    assert jobs == {
        ("Build", "Compile"): "succeeded",
        ("Build", "Test"): "succeededWithIssues",
        ("Build", "Docs"): "failed",
        ("Register", "RegisterModel"): "",
        ("Release", "Ship"): "",
    }
    gates = {
        g.get("data-environment"): g.get("data-status") for g in root.iterfind(".//s:g[@class='gate']", ns)
    }
    assert gates == {"test": "pending", "prod-eu": ""}
    texts = " ".join(t.text or "" for t in root.iterfind(".//s:text", ns))
    for label in ('Build "it"', "Compile", "Test", "Docs", "Register <the> model", "Ship", "approval: carol"):
        assert label in texts
    edges = root.findall(".//s:path[@class='stage-edge']", ns)
    assert len(edges) == 3  # Build→Register, Register→Release, and Build→Release routed below
    assert len(root.findall(".//s:path[@class='job-edge']", ns)) == 1
    assert root.find(".//s:g[@class='legend']", ns) is not None


def test_svg_boxes_do_not_overlap(project: Path) -> None:
    _, _, stages = graph.layout(_graph(project))
    boxes = [s.box for s in stages]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1 :]:
            assert a.right <= b.x or b.right <= a.x or a.y + a.h <= b.y or b.y + b.h <= a.y
    for s in stages:
        for job in s.jobs.values():
            assert s.box.x <= job.x and job.right <= s.box.right and s.box.y <= job.y <= s.box.y + s.box.h


@pytest.mark.integration  # cairo is found through ctypes, which runs ldconfig
def test_png_is_rendered_from_the_svg(project: Path) -> None:
    png = graph.svg_to_png(graph.to_svg(_graph(project)))
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 2000


@pytest.mark.parametrize(
    ("name", "fmt"), [("g.mmd", "mmd"), ("g.MERMAID", "mmd"), ("out/g.svg", "svg"), ("g.png", "png")]
)
def test_output_format_from_extension(name: str, fmt: str) -> None:
    assert graph.output_format(name) == fmt


def test_unknown_format_is_bad_input() -> None:
    with pytest.raises(MlopsError, match="Can't tell the graph format"):
        graph.output_format("graph.gif")
    assert graph.output_format("graph", "svg") == "svg"


@pytest.mark.integration  # the PNG goes through cairo (ldconfig)
def test_cli_graph_writes_each_format(project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("MLOPS_USER", "tester")
    for name in ("g.mmd", "g.svg", "g.png"):
        assert main(["graph", str(project), "-o", str(tmp_path / name)]) == 0
    assert (tmp_path / "g.mmd").read_text(encoding="utf-8") == MERMAID.replace("%% pipe.yml", f"%% {project}")
    ET.fromstring((tmp_path / "g.svg").read_text(encoding="utf-8"))
    assert (tmp_path / "g.png").read_bytes()[:4] == b"\x89PNG"
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["graph", str(project)]) == 0
    assert out.getvalue().startswith("flowchart LR")


def test_cli_graph_of_a_run_uses_the_pipeline_it_executed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    run_dir = home / "runs" / "4"
    run_dir.mkdir(parents=True)
    (home / "runs" / "last-id").write_text("4", encoding="utf-8")
    (run_dir / "pipeline.yml").write_text(
        "stages:\n- stage: A\n  jobs:\n  - job: J\n    steps:\n    - task: CmdLine@2\n      inputs:\n"
        "        script: echo\n",
        encoding="utf-8",
    )
    (run_dir / "run.json").write_text(
        json.dumps(
            {
                "id": "4",
                "pipeline": "p.yml",
                "stages": [
                    {
                        "name": "A",
                        "result": "failed",
                        "jobs": [{"name": "J", "result": "failed", "steps": []}],
                    }
                ],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv("MLOPS_HOME", str(home))
    assert main(["graph", "--run", "4", "-o", str(tmp_path / "run.mmd")]) == 0
    text = (tmp_path / "run.mmd").read_text(encoding="utf-8")
    assert "class J__A__J,S__A failed" in text
    assert main(["graph", "-o", str(tmp_path / "x.svg")]) == 2  # neither PIPELINE nor --run
    assert main(["graph", "--run", "4", "-o", str(tmp_path / "x.gif")]) == 2
    assert main(["graph", "--run", "99", "-o", str(tmp_path / "x.svg")]) == 2
