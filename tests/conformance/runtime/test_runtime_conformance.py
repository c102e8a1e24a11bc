"""Run-time conformance: one folder per feature, each a pipeline and what Azure DevOps does with it.

Each `<feature>/pipeline.yml` (with its files) is copied to a fresh folder and run through
`emulator.runner.start` with an isolated state folder and a recording reporter; `expected.json` says
what must come out, citing the documentation it follows (`doc`). What expected.json may hold:

    request       {"variables": {}, "secrets": {}, "parallel": N, "parameters": {}, "minuteSeconds": s,
                  "taskPolicy": "fail"|"skip", "repos": {alias: folder of the feature},
                  "env": {NAME: value}, "stages": [..], "skipStages": [..], "jobs": [..]}
                  (the last three: "Stages to run" at queue time, `mlops run --stage/--skip-stage/--job`)
    error         the run must not start: a located error whose message contains this text
    result        the run's result
    stages        {stage: {"result", "message"?, "jobs": {job: {"result", "outputs", "steps": {step: result},
                  "message"?}}}} — steps by name or "#N" (1-based position); only what is listed is compared
    logs          {"stage/job/step": {"contains": [...], "excludes": [...]}}
    issues        {"stage/job/step": [{"type", "message", ...}]}  (each listed issue must be present)
    record        {key: value} compared with the run record's top level (e.g. tags, buildNumber)
    stepData      {"stage/job/step": {key: value}} compared with the step's record
    after         [["stage/job", "stage/job"], ...]: the first finished before the second started
    secrets       values that must appear nowhere: record, logs, timeline, reporter lines
    jobCount      {"stage": N}: how many runtime jobs a stage has
"""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path
from typing import Any

import pytest

from emulator import runner
from emulator.errors import MlopsError
from emulator.model import Job, Stage, Step
from emulator.runtime.events import SilentReporter
from emulator.runtime.selection import Selection
from emulator.store.runs import Run

HERE = Path(__file__).parent
FEATURES = sorted(p.name for p in HERE.iterdir() if (p / "pipeline.yml").is_file())


class RecordingReporter(SilentReporter):
    """Keeps every event (thread-safe): what a CLI renderer would have been told."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.events: list[tuple[Any, ...]] = []

    def _add(self, *event: Any) -> None:
        with self.lock:
            self.events.append(event)

    def stage_started(self, stage: Stage) -> None:
        self._add("stage_started", stage.name)

    def stage_finished(self, stage: Stage, result: str, message: str | None) -> None:
        self._add("stage_finished", stage.name, result, message)

    def job_started(self, stage: Stage, job: Job) -> None:
        self._add("job_started", stage.name, job.name)

    def job_finished(self, stage: Stage, job: Job, result: str) -> None:
        self._add("job_finished", stage.name, job.name, result)

    def step_started(self, stage: Stage, job: Job, step: Step) -> None:
        self._add("step_started", stage.name, job.name, step.display_name)

    def step_line(self, stage: Stage, job: Job, step: Step, line: str, kind: str) -> None:
        self._add("step_line", stage.name, job.name, step.display_name, line, kind)

    def step_finished(
        self, stage: Stage, job: Job, step: Step, result: str, seconds: float, message: str | None
    ) -> None:
        self._add("step_finished", stage.name, job.name, step.display_name, result, message)

    def lines(self) -> list[str]:
        return [e[4] for e in self.events if e[0] == "step_line"]


def _stage(run: Run, name: str) -> dict[str, Any]:
    for s in run.data["stages"]:
        if s["name"].lower() == name.lower():
            return dict(s)
    raise AssertionError(f"no stage {name}: {[s['name'] for s in run.data['stages']]}")


def _job(run: Run, stage: str, name: str) -> dict[str, Any]:
    for j in _stage(run, stage)["jobs"]:
        if j["name"].lower() == name.lower():
            return dict(j)
    raise AssertionError(f"no job {name} in {stage}: {[j['name'] for j in _stage(run, stage)['jobs']]}")


def _step(run: Run, path: str) -> dict[str, Any]:
    stage, job, step = path.split("/", 2)
    steps = _job(run, stage, job)["steps"]
    if step.startswith("#"):
        return dict(steps[int(step[1:]) - 1])
    found = [s for s in steps if s["name"].lower() == step.lower()]
    assert found, f"no step {step} in {stage}/{job}: {[s['name'] for s in steps]}"
    return dict(found[0])


def _subset(expected: Any, actual: Any) -> bool:
    """Whether `expected` is found in `actual` (dicts compared key by key, recursively)."""
    if isinstance(expected, dict):
        return isinstance(actual, dict) and all(
            k in actual and _subset(v, actual[k]) for k, v in expected.items()
        )
    return bool(expected == actual)


def _summary(run: Run) -> str:
    rows = [f"run {run.data.get('result')}"]
    for s in run.data["stages"]:
        rows.append(f"  {s['name']}: {s['result']} {s.get('message') or ''}")
        for j in s["jobs"]:
            steps = ", ".join(f"{st['name']}={st.get('result')}" for st in j["steps"])
            message = j.get("message") or ""
            rows.append(f"    {j['name']}: {j['result']} outputs={j.get('outputs')} [{steps}] {message}")
    return "\n".join(rows)


def _times(run: Run) -> dict[str, tuple[str, str]]:
    started: dict[str, str] = {}
    out: dict[str, tuple[str, str]] = {}
    for event in run.timeline():
        key = f"{event.get('stage')}/{event.get('job')}"
        if event["event"] == "jobStarted":
            started[key] = event["at"]
        elif event["event"] == "jobFinished" and key in started:
            out[key] = (started[key], event["at"])
    return out


def run_feature(
    feature: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Run | None, Any, dict]:
    folder = HERE / feature
    expected = json.loads((folder / "expected.json").read_text())
    assert expected.get("doc"), f"{feature}: expected.json must cite the documentation it follows (doc)"
    repo = tmp_path / "repo"
    shutil.copytree(folder, repo, ignore=shutil.ignore_patterns("expected.json", "__pycache__"))
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("MLOPS_HOME", str(home))
    monkeypatch.setenv("MLFLOW_DISABLE_TELEMETRY", "true")
    monkeypatch.setenv("MLOPS_USER", "tester")
    req = expected.get("request", {})
    if "minuteSeconds" in req:
        monkeypatch.setenv("MLOPS_INTERNAL_MINUTE_SECONDS", str(req["minuteSeconds"]))
    for name, value in req.get("env", {}).items():
        monkeypatch.setenv(name, value)
    reporter = RecordingReporter()
    request = runner.RunRequest(
        repo / "pipeline.yml",
        parameters=req.get("parameters", {}),
        variables=req.get("variables", {}),
        secret_variables=req.get("secrets", {}),
        parallel=req.get("parallel"),
        repos={alias: repo / folder for alias, folder in req.get("repos", {}).items()},
        user="tester",
        task_policy=req.get("taskPolicy", "fail"),
        selection=Selection(
            tuple(req.get("stages", ())), tuple(req.get("skipStages", ())), tuple(req.get("jobs", ()))
        ),
    )
    try:
        run = runner.start(request, home, reporter)
    except MlopsError as exc:
        return None, (reporter, exc), expected
    return run, (reporter, None), expected


@pytest.mark.parametrize("feature", FEATURES)
def test_runtime_conformance(feature: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    run, (reporter, error), expected = run_feature(feature, tmp_path, monkeypatch)
    if "error" in expected:
        assert error is not None, f"{feature}: expected an error containing {expected['error']!r}"
        assert expected["error"] in error.render(), error.render()
        return
    assert error is None, error.render()
    assert run is not None
    summary = _summary(run)
    if "result" in expected:
        assert run.data["result"] == expected["result"], summary
    for stage_name, stage_exp in expected.get("stages", {}).items():
        srec = _stage(run, stage_name)
        if "result" in stage_exp:
            assert srec["result"] == stage_exp["result"], f"stage {stage_name}\n{summary}"
        if "message" in stage_exp:
            assert stage_exp["message"] in (srec.get("message") or ""), f"stage {stage_name}\n{summary}"
        for job_name, job_exp in stage_exp.get("jobs", {}).items():
            jrec = _job(run, stage_name, job_name)
            where = f"{stage_name}/{job_name}"
            if "result" in job_exp:
                assert jrec["result"] == job_exp["result"], f"{where}\n{summary}"
            if "message" in job_exp:
                assert job_exp["message"] in (jrec.get("message") or ""), f"{where}: {jrec.get('message')}"
            for key, value in job_exp.get("outputs", {}).items():
                assert jrec["outputs"].get(key) == value, f"{where} output {key}: {jrec['outputs']}"
            if "outputsExactly" in job_exp:
                assert jrec["outputs"] == job_exp["outputsExactly"], f"{where}: {jrec['outputs']}"
            for step_name, result in job_exp.get("steps", {}).items():
                srec_step = _step(run, f"{where}/{step_name}")
                assert srec_step.get("result") == result, f"{where}/{step_name}: {srec_step}\n{summary}"
    for stage_name, count in expected.get("jobCount", {}).items():
        assert len(_stage(run, stage_name)["jobs"]) == count, summary
    for path, checks in expected.get("logs", {}).items():
        step = _step(run, path)
        assert step.get("log"), f"{path} has no log\n{summary}"
        text = (run.dir / step["log"]).read_text()
        for needle in checks.get("contains", []):
            assert needle in text, f"{path}: {needle!r} not in log:\n{text}"
        for needle in checks.get("excludes", []):
            assert needle not in text, f"{path}: {needle!r} in log:\n{text}"
    for path, issues in expected.get("issues", {}).items():
        got = _step(run, path).get("issues", [])
        for issue in issues:
            assert any(all(g.get(k) == v for k, v in issue.items()) for g in got), (
                f"{path}: {issue} not in {got}"
            )
    for key, value in expected.get("record", {}).items():
        assert _subset(value, run.data.get(key)), f"record {key}: {run.data.get(key)!r}"
    for path, data in expected.get("stepData", {}).items():
        step = _step(run, path)
        for key, value in data.items():
            assert _subset(value, step.get(key)), f"{path} {key}: {step.get(key)!r}"
    times = _times(run)
    for first, second in expected.get("after", []):
        assert first in times and second in times, f"{first} or {second} did not run: {sorted(times)}"
        assert times[first][1] <= times[second][0], f"{first} {times[first]} vs {second} {times[second]}"
    for secret in expected.get("secrets", []):
        for path in run.dir.rglob("*"):
            parts = path.relative_to(run.dir).parts
            if path.is_file() and path.name not in ("secrets.json", "pipeline.yml") and "work" not in parts:
                assert secret not in path.read_text(errors="replace"), f"secret {secret!r} leaked into {path}"
        assert not any(secret in line for line in reporter.lines()), f"secret {secret!r} reached the reporter"
    events = [e["event"] for e in run.timeline()]
    assert events[0] == "queued" and events[-1] in ("finished", "paused"), events
