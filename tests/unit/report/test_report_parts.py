"""Report parts on their own: edge cases of the page, the timeline and finding the model in MLflow."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.report.html import ReportInput, render_html
from emulator.report.mlflow_data import find
from emulator.report.timeline import gantt_svg

QUEUED = {"id": "5", "pipeline": "p.yml", "status": "queued", "result": None, "stages": [
    {"name": "A", "result": None, "jobs": [{"name": "J", "result": None, "steps": [
        {"name": "s", "displayName": "Step <one>", "result": None}]}]}]}


def test_page_of_a_run_that_has_not_started(tmp_path: Path) -> None:
    data = ReportInput(QUEUED, tmp_path, None, "pipeline.yml is missing", None, "2026-01-01T00:00")
    page = render_html(data)
    assert "Nothing ran yet." in page and "pipeline.yml is missing" in page
    assert "Step &lt;one&gt;" in page and "no log (the step did not run)" in page
    assert 'id="model"' not in page


def _at(minutes: float) -> str:
    return f"2026-01-01T00:{int(minutes):02d}:{int(minutes * 60 % 60):02d}+00:00"


def test_timeline_of_jobs_steps_and_approvals() -> None:
    step = {"name": "s", "result": "succeeded", "seconds": 30, "startedAt": _at(0), "finishedAt": _at(0.5)}
    job = {"name": "J", "displayName": "Job J", "result": "succeeded", "startedAt": _at(0),
           "finishedAt": _at(1), "steps": [step]}
    record = {"status": "completed",
              "approvals": [{"environment": "test", "decision": "approved", "by": "alice", "at": _at(2)}],
              "stages": [{"name": "A", "startedAt": _at(0), "finishedAt": _at(1), "jobs": [job]},
                         {"name": "B", "jobs": [{"name": "K", "result": None}]}]}
    svg = gantt_svg(record)
    assert svg is not None
    assert "Job J: succeeded, 1m" in svg and "s: succeeded, 30s" in svg
    assert "test: approved by alice" in svg and ">2m<" in svg        # the axis reaches the approval
    assert "K" not in svg.split("approvals")[0].split("Job J")[1]   # jobs that never started have no row
    assert gantt_svg(QUEUED) is None


def test_no_store_means_a_note_not_an_error(tmp_path: Path) -> None:
    findings = find(tmp_path / "empty-home", {"id": "1", "stages": []})
    assert findings.model is None and findings.runs == ()
    assert findings.note is not None and "no MLflow store" in findings.note
    assert not (tmp_path / "empty-home" / "mlflow.db").exists()   # reading never creates a store


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
    record = {"id": "7", "stages": [{"name": "R", "jobs": [{"name": "RegisterModel", "outputs": {
        "RegisterModel.register.modelVersion": "1"}}]}]}
    findings = find(home, record)
    assert findings.model is not None
    model = findings.model
    assert (model.name, model.version, model.found_by) == ("our-model", "1", "build tag")
    assert [r.run_id for r in findings.runs] == [runs["our-model"]]
    assert findings.runs[0].metrics == {"auc": 0.8} and findings.runs[0].plots == ()

    missing = find(home, {"id": "8", "stages": [{"name": "R", "jobs": [{"name": "J", "outputs": {
        "x.modelVersion": "9"}}]}]})
    assert missing.model is None and "version 9 is not in the registry" in str(missing.note)
