"""What run-time expressions read: each place sees the results and outputs of its direct dependencies."""

from __future__ import annotations

import textwrap
from pathlib import Path

from emulator.model import Pipeline, build
from emulator.normalize import normalize
from emulator.plan import initial_record, job_graph, stage_dependencies
from emulator.runtime.contexts import RunContexts, phase_result, step_context, variables_view
from emulator.runtime.secrets import RunSecrets
from emulator.runtime.variables import VariableSet
from emulator.store import runs
from emulator.yamlio import loads

PIPELINE = """
stages:
- stage: Build
  jobs:
  - job: Make
- stage: Test
  dependsOn: Build
  jobs:
  - job: Unit
  - job: Report
    dependsOn: Unit
- stage: Other
  dependsOn: []
  jobs:
  - job: Lone
"""


def _contexts(tmp_path: Path) -> tuple[Pipeline, RunContexts, runs.Run]:
    pipeline = build(normalize(loads(textwrap.dedent(PIPELINE), "pipeline.yml")))
    run = runs.create(tmp_path, {"stages": initial_record(pipeline)})
    make = run.data["stages"][0]["jobs"][0]
    make.update(state="completed", result="succeeded", outputs={"tag.version": "1.2"})
    run.data["stages"][0]["result"] = "succeeded"
    contexts = RunContexts(
        run,
        stage_dependencies(pipeline.stages),
        {s.name: job_graph(s) for s in pipeline.stages},
        RunSecrets(run, {}),
    )
    return pipeline, contexts, run


def test_a_stage_reads_the_stages_it_depends_on(tmp_path: Path) -> None:
    pipeline, contexts, _ = _contexts(tmp_path)
    build_, test, other = pipeline.stages
    named = contexts.stage_condition(test, VariableSet({"x": "1"}, {"x": "X"}))
    assert named["dependencies"]["build"]["result"] == "Succeeded"
    assert named["dependencies"]["Build"]["outputs"]["Make.tag.version"] == "1.2"
    assert named["variables"]["x"] == "1"
    assert "startTime" in named["pipeline"]
    assert dict(contexts.stage_condition(other, VariableSet())["dependencies"]) == {}
    stage_vars = contexts.stage_variables(test)
    assert stage_vars["stageDependencies"]["Build"]["Make"]["outputs"]["tag.version"] == "1.2"


def test_a_job_reads_its_jobs_and_the_stages_above(tmp_path: Path) -> None:
    pipeline, contexts, _ = _contexts(tmp_path)
    test = pipeline.stages[1]
    unit, report = test.jobs
    named = contexts.job(test, report, VariableSet())
    assert set(named["dependencies"]) == {"Unit"}
    assert named["dependencies"]["unit"]["result"] == ""  # not finished yet
    assert named["stageDependencies"]["build"]["make"]["result"] == "Succeeded"
    assert dict(contexts.job(test, unit, VariableSet())["dependencies"]) == {}


def test_legs_roll_up_once_all_are_finished() -> None:
    legs = [
        {"name": "J_a", "phase": "J", "state": "completed", "result": "succeeded"},
        {"name": "J_b", "phase": "J", "state": "running", "result": None},
    ]
    srec = {"jobs": legs}
    assert phase_result(srec, "J") is None
    legs[1].update(state="completed", result="failed")
    assert phase_result(srec, "J") == "failed"


def test_variables_read_expanded_and_case_insensitive() -> None:
    vs = VariableSet()
    vs.set("Greeting", "hi $(Name)")
    vs.set("Name", "ann")
    assert variables_view(vs)["greeting"] == "hi ann"
    assert step_context(vs)["variables"]["GREETING"] == "hi ann"
