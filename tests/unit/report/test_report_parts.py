"""Report parts on their own: edge cases of the page, the timeline and finding the model in MLflow."""

from __future__ import annotations

import re
from importlib.resources import files
from pathlib import Path

import pytest

from emulator.report.html import ReportInput, render_html
from emulator.report.mlflow_data import MlflowFindings, ModelVersion, Plot, TrainingRun, find
from emulator.report.timeline import gantt_svg

QUEUED = {
    "id": "5",
    "pipeline": "p.yml",
    "status": "queued",
    "result": None,
    "stages": [
        {
            "name": "A",
            "result": None,
            "jobs": [
                {
                    "name": "J",
                    "result": None,
                    "steps": [{"name": "s", "displayName": "Step <one>", "result": None}],
                }
            ],
        }
    ],
}


def test_page_of_a_run_that_has_not_started(tmp_path: Path) -> None:
    data = ReportInput(QUEUED, tmp_path, None, "pipeline.yml is missing", None, "2026-01-01T00:00")
    page = render_html(data)
    assert "Nothing ran yet." in page and "pipeline.yml is missing" in page
    assert "Step &lt;one&gt;" in page and "no log (the step did not run)" in page
    assert 'id="model"' not in page


XSS = "<script>alert(1)</script>"
BREAKOUT = 'x" onmouseover="alert(1)'  # leaves an attribute unless quotes are escaped


def _hostile_record(run_dir: Path) -> dict[str, object]:
    """A run whose every user-written text is markup (names, logs, parameters, comments, messages)."""
    (run_dir / "logs").mkdir()
    (run_dir / "logs" / "1.log").write_text(f"{XSS}\n##[error]{XSS}\n##[command]{BREAKOUT}\n")
    step = {
        "name": "s",
        "displayName": f"Step {XSS}",
        "result": "failed",
        "message": f"failed {XSS}",
        "issues": [{"type": "error", "message": XSS}],
        "log": "logs/1.log",
        "startedAt": "2026-01-01T00:00:00+00:00",
        "finishedAt": "2026-01-01T00:00:05+00:00",
    }
    job = {
        "name": BREAKOUT,
        "displayName": f"Job {XSS}",
        "environment": XSS,
        "result": "failed",
        "message": XSS,
        "outputs": {XSS: XSS},
        "steps": [step],
        "startedAt": "2026-01-01T00:00:00+00:00",
        "finishedAt": "2026-01-01T00:00:05+00:00",
    }
    return {
        "id": "7",
        "pipeline": f"{XSS}.yml",
        "status": "paused",
        "result": None,
        "requestedBy": XSS,
        "startedAt": "2026-01-01T00:00:00+00:00",
        "updatedAt": "2026-01-01T00:01:00+00:00",
        "git": {"commit": "abc", "branch": XSS},
        "parameters": {XSS: XSS, "list": [XSS]},
        "variables": {XSS: XSS},
        "waiting": {"stage": XSS, "environment": BREAKOUT, "message": XSS},
        "stages": [
            {
                "name": BREAKOUT,
                "displayName": f"Stage {XSS}",
                "result": "failed",
                "message": XSS,
                "jobs": [job],
            }
        ],
        "approvals": [
            {
                "environment": XSS,
                "stage": XSS,
                "decision": "approved",
                "by": XSS,
                "at": "2026-01-01T00:00:30+00:00",
                "comment": XSS,
            }
        ],
        "validations": [{"at": "x", "stage": XSS, "job": XSS, "status": BREAKOUT, "message": XSS}],
        "checks": [{"at": "x", "stage": XSS, "environment": XSS, "status": "passed", "message": XSS}],
    }


def test_user_text_is_escaped_everywhere_on_the_page(tmp_path: Path) -> None:
    plot = Plot(BREAKOUT, "data:image/png;base64,AA")
    training = TrainingRun(XSS, XSS, XSS, XSS, {XSS: 0.5}, {XSS: XSS}, (plot,), job_name=XSS)
    findings = MlflowFindings(ModelVersion(XSS, XSS, XSS, {XSS: XSS}, XSS), (training,), XSS, XSS)
    page = render_html(ReportInput(_hostile_record(tmp_path), tmp_path, None, XSS, findings, "2026-01-01"))
    assert page.count("<script") == 1 and page.rstrip().endswith("</script></body></html>")  # the page's own
    assert "onmouseover=" not in page.replace("onmouseover=&#34;", "")  # no attribute was left
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") >= 50  # each place shows the text itself
    for section in ("summary", "graph", "timeline", "steps", "approvals", "model"):
        assert f'<section id="{section}">' in page
    assert '<span class="err">##[error]&lt;script&gt;' in page


def _at(minutes: float) -> str:
    return f"2026-01-01T00:{int(minutes):02d}:{int(minutes * 60 % 60):02d}+00:00"


def test_timeline_of_jobs_steps_and_approvals() -> None:
    step = {"name": "s", "result": "succeeded", "seconds": 30, "startedAt": _at(0), "finishedAt": _at(0.5)}
    job = {
        "name": "J",
        "displayName": "Job J",
        "result": "succeeded",
        "startedAt": _at(0),
        "finishedAt": _at(1),
        "steps": [step],
    }
    record = {
        "status": "completed",
        "approvals": [{"environment": "test", "decision": "approved", "by": "alice", "at": _at(2)}],
        "stages": [
            {"name": "A", "startedAt": _at(0), "finishedAt": _at(1), "jobs": [job]},
            {"name": "B", "jobs": [{"name": "K", "result": None}]},
        ],
    }
    svg = gantt_svg(record)
    assert svg is not None
    assert "Job J: succeeded, 1m" in svg and "s: succeeded, 30s" in svg
    assert "test: approved by alice" in svg and ">2m<" in svg  # the axis reaches the approval
    assert "K" not in svg.split("approvals")[0].split("Job J")[1]  # jobs that never started have no row
    assert gantt_svg(QUEUED) is None


def test_no_store_means_a_note_not_an_error(tmp_path: Path) -> None:
    findings = find(tmp_path / "empty-home", {"id": "1", "stages": []})
    assert findings.model is None and findings.runs == ()
    assert findings.note is not None and "no MLflow store" in findings.note
    assert not (tmp_path / "empty-home" / "mlflow.db").exists()  # reading never creates a store


@pytest.mark.integration  # MLflow
def test_the_model_version_is_matched_by_its_build_tag(tmp_path: Path) -> None:
    from mlflow.tracking import MlflowClient

    home = tmp_path / "home"
    home.mkdir()
    uri = f"sqlite:///{home / 'mlflow.db'}"
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    experiment = client.create_experiment("e", artifact_location=(home / "artifacts").as_uri())
    runs = {}
    for name, build in (("other-model", "3"), ("our-model", "7")):
        run = client.create_run(experiment, run_name=f"train-{name}")
        client.log_metric(run.info.run_id, "auc", 0.5 if build == "3" else 0.8)
        client.set_terminated(run.info.run_id)
        client.create_registered_model(name)
        client.create_model_version(name, str(home), run_id=run.info.run_id, tags={"build": build})
        runs[name] = run.info.run_id
    record = {
        "id": "7",
        "stages": [
            {
                "name": "R",
                "jobs": [{"name": "RegisterModel", "outputs": {"RegisterModel.register.modelVersion": "1"}}],
            }
        ],
    }
    findings = find(home, record)
    assert findings.model is not None
    model = findings.model
    assert (model.name, model.version, model.found_by) == ("our-model", "1", "build tag")
    assert [r.run_id for r in findings.runs] == [runs["our-model"]]
    assert findings.runs[0].metrics == {"auc": 0.8} and findings.runs[0].plots == ()

    missing = find(
        home,
        {"id": "8", "stages": [{"name": "R", "jobs": [{"name": "J", "outputs": {"x.modelVersion": "9"}}]}]},
    )
    assert missing.model is None and "version 9 is not in the registry" in str(missing.note)


def test_the_shipped_templates_reference_nothing_outside_the_page() -> None:
    """Every branch of the markup, not only those a sample run reaches: no URL, link, import or font."""
    shipped = list(files("emulator.report").joinpath("templates").iterdir())
    assert {t.name for t in shipped} >= {"report.html.j2", "timeline.svg.j2", "report.css", "report.js"}
    for template in shipped:
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"(?:https?:)?//[\w.-]+\.\w", text), template.name
        assert not re.search(r"<link|@import|url\(|@font-face|<iframe|<object|<embed", text), template.name
