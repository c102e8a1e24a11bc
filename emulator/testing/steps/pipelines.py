"""Pipelines: run them with `mlops run`, and check the run's stages, jobs, steps, logs and outputs."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from pytest_bdd import given, parsers, then, when

from emulator.testing.steps.session import MlopsSession, param_args, step

__all__ = [
    "step_artifact_holds",
    "step_command_succeeds",
    "step_expand_pipeline",
    "step_given_parameters",
    "step_given_pipeline",
    "step_given_short_minutes",
    "step_isolated_state",
    "step_job_output",
    "step_job_output_at_least",
    "step_job_output_equals",
    "step_job_result",
    "step_resume",
    "step_run_failed_with_error",
    "step_run_pipeline",
    "step_run_pipeline_with",
    "step_run_result",
    "step_stage_not_run",
    "step_stage_result",
    "step_step_issue",
    "step_step_log_mentions",
    "step_step_result",
    "step_validate_pipeline",
    "step_wait",
]


@given("an isolated emulator state")
def step_isolated_state(mlops_session: MlopsSession) -> None:
    """The scenario's state folder exists: each scenario gets a fresh `$MLOPS_HOME` (runs, MLflow registry,
    endpoints), so this step only documents the isolation."""
    assert mlops_session.home.is_dir()


@given(step('the pipeline "{pipeline}"'))
def step_given_pipeline(mlops_session: MlopsSession, pipeline: str) -> None:
    """The pipeline later steps run, as a path from the repository root."""
    assert (mlops_session.cwd / pipeline).is_file(), f"{pipeline} not found under {mlops_session.cwd}"
    mlops_session.pipeline = pipeline


@given("the parameters:")
def step_given_parameters(mlops_session: MlopsSession, datatable: list[list[str]]) -> None:
    """Runtime parameters for later runs and expansions, from a `| name | value |` table (a header row, then
    one row per parameter), passed as `-p name=value`."""
    for row in datatable[1:]:  # the first row is the header: | name | value |
        mlops_session.parameters[row[0].strip()] = row[1].strip()


@given(step("a timeout minute lasts {seconds:f} seconds"))
def step_given_short_minutes(mlops_session: MlopsSession, seconds: str) -> None:
    """Timeouts (`timeoutInMinutes`, approval and validation timeouts) in seconds, to test them quickly
    (`MLOPS_INTERNAL_MINUTE_SECONDS` for the scenario's commands)."""
    mlops_session.env["MLOPS_INTERNAL_MINUTE_SECONDS"] = str(float(seconds))


@when(step('I run the pipeline "{pipeline}"'))
@when("I run the pipeline")
def step_run_pipeline(mlops_session: MlopsSession, pipeline: str | None = None) -> None:
    """`mlops run PIPELINE --json` with the `Given the parameters:` ones; without a path, the pipeline of
    `Given the pipeline`."""
    mlops_session.pipeline = pipeline or mlops_session.pipeline
    assert mlops_session.pipeline, "no pipeline given"
    mlops_session.run_json("run", mlops_session.pipeline, *param_args(mlops_session))


@when(step("I wait {seconds:f} seconds"))
def step_wait(mlops_session: MlopsSession, seconds: str) -> None:
    """Sleeps; with a short timeout minute, lets a timeout pass."""
    time.sleep(float(seconds))


@when("I resume the run")
def step_resume(mlops_session: MlopsSession) -> None:
    """`mlops resume RUN --json` of the last run."""
    assert mlops_session.run_id, "no run to resume"
    mlops_session.run_json("resume", mlops_session.run_id)


@when(step('I expand the pipeline "{pipeline}"'))
def step_expand_pipeline(mlops_session: MlopsSession, pipeline: str) -> None:
    """`mlops expand PIPELINE` through the command line, with the `Given the parameters:` ones (`When the
    pipeline "…" is expanded` does it in process, faster)."""
    mlops_session.mlops("expand", pipeline, *param_args(mlops_session))


_JOB_RESULT = r'job "(?P<job>[^"]+)" of stage "(?P<stage>[^"]+)" (?P<result>succeeded|failed|was canceled)$'


@then(parsers.re(_JOB_RESULT))
def step_job_result(mlops_session: MlopsSession, job: str, stage: str, result: str) -> None:
    """A job's result in the run."""
    wanted = {"succeeded": "succeeded", "failed": "failed", "was canceled": "canceled"}[result]
    jobs = {j["name"].lower(): j for j in mlops_session.stage(stage)["jobs"]}
    assert job.lower() in jobs, f"no job {job!r} in stage {stage}: {list(jobs)}"
    got = jobs[job.lower()]["result"]
    assert got == wanted, f"job {job} of {stage}: {got} (wanted {wanted})\n{mlops_session.describe()}"


@then(parsers.re(r"the run (?P<result>succeeded|failed)$"))
def step_run_result(mlops_session: MlopsSession, result: str) -> None:
    """The run's result and the exit code of `mlops`: succeeded and 0, or failed and 1."""
    expected = {"succeeded": ("succeeded", 0), "failed": ("failed", 1)}[result]
    s = mlops_session.summary
    assert s is not None, mlops_session.describe()
    assert (s["result"], mlops_session.exit_code) == expected, (
        f"run {s['id']} {s['result']}: {json.dumps(s['stages'], indent=1)[-3000:]}\n"
        f"{mlops_session.describe()}"
    )


@then(step('the command fails with a bad-input error mentioning "{text}"'))
def step_run_failed_with_error(mlops_session: MlopsSession, text: str) -> None:
    """The last command exited 2 (bad input) with the text in its message, and printed no traceback."""
    assert mlops_session.exit_code == 2, mlops_session.describe()
    assert text in mlops_session.stderr, mlops_session.stderr
    assert "Traceback" not in mlops_session.stderr


@then(parsers.re(r'stage "(?P<stage>[^"]+)" (?P<result>succeeded|failed|was skipped)$'))
def step_stage_result(mlops_session: MlopsSession, stage: str, result: str) -> None:
    """A stage's result in the run."""
    wanted = {"succeeded": "succeeded", "failed": "failed", "was skipped": "skipped"}[result]
    got = mlops_session.stage(stage)["result"]
    assert got == wanted, f"stage {stage}: {got} (wanted {wanted})\n{mlops_session.describe()}"


@then(step('stage "{stage}" has not run'))
def step_stage_not_run(mlops_session: MlopsSession, stage: str) -> None:
    """Neither the stage nor any of its steps has a result yet (e.g. behind a gate that has not opened)."""
    record = mlops_session.stage(stage)
    assert record["result"] is None, record
    assert all(st["result"] is None for j in record["jobs"] for st in j["steps"]), record


@then(step('job "{job}" of stage "{stage}" has the output "{name}"'))
def step_job_output(mlops_session: MlopsSession, job: str, stage: str, name: str) -> None:
    """The job set the output variable (`step.variable`) to something other than empty."""
    record = mlops_session.stage(stage)
    outputs = next(j["outputs"] for j in record["jobs"] if j["name"].lower() == job.lower())
    assert outputs.get(name), f"{name} not in {outputs}"


@when(step('I validate the pipeline "{pipeline}"'))
def step_validate_pipeline(mlops_session: MlopsSession, pipeline: str) -> None:
    """`mlops validate PIPELINE` with the `Given the parameters:` ones."""
    mlops_session.mlops("validate", pipeline, *param_args(mlops_session))


@then("the command succeeds")
def step_command_succeeds(mlops_session: MlopsSession) -> None:
    """The last command exited 0."""
    assert mlops_session.exit_code == 0, mlops_session.describe()


def _run_step(session: MlopsSession, stage: str, name: str) -> dict[str, Any]:
    record = session.stage(stage)
    for job in record["jobs"]:
        for item in job["steps"]:
            names = (str(item.get("name") or "").lower(), str(item.get("displayName") or "").lower())
            if name.lower() in names:
                return dict(item)
    steps = [(st.get("name"), st.get("displayName")) for j in record["jobs"] for st in j["steps"]]
    raise AssertionError(f"no step {name!r} in stage {stage}: {steps}")


_STEP_RESULT = r'step "(?P<name>[^"]+)" of stage "(?P<stage>[^"]+)" (?P<result>succeeded|failed|was skipped)$'


@then(parsers.re(_STEP_RESULT))
def step_step_result(mlops_session: MlopsSession, name: str, stage: str, result: str) -> None:
    """One step's result in the run; the step by its `name` or its display name."""
    wanted = {"succeeded": "succeeded", "failed": "failed", "was skipped": "skipped"}[result]
    got = _run_step(mlops_session, stage, name).get("result")
    assert got == wanted, f"step {name} of {stage}: {got} (wanted {wanted})\n{mlops_session.describe()}"


@then(step('the log of step "{name}" of stage "{stage}" mentions "{text}"'))
def step_step_log_mentions(mlops_session: MlopsSession, name: str, stage: str, text: str) -> None:
    """The step's log (the step by its `name` or display name) contains the text."""
    item = _run_step(mlops_session, stage, name)
    log = item.get("log")
    assert log, f"step {name} of {stage} has no log: {item}"
    run_dir = mlops_session.home / "runs" / str(mlops_session.run_id)
    path = Path(log) if Path(log).is_absolute() else run_dir / log
    content = path.read_text(encoding="utf-8", errors="replace")
    assert text in content, f"{text!r} not in the log of {name}:\n{content[-3000:]}"


@then(
    parsers.re(
        r'^step "(?P<name>[^"]+)" of stage "(?P<stage>[^"]+)" reported the (?P<kind>error|warning) '
        r'"(?P<text>[^"]*)" at "(?P<where>[^"]+)"$'
    )
)
def step_step_issue(
    mlops_session: MlopsSession, name: str, stage: str, kind: str, text: str, where: str
) -> None:
    """An issue (`##vso[task.logissue]`) of the step: its type, a text in its message, and
    `file:line:col` as the issue's sourcepath, linenumber and columnnumber."""
    issues = _run_step(mlops_session, stage, name).get("issues") or []
    for issue in issues:
        place = ":".join(str(issue.get(k, "")) for k in ("sourcepath", "linenumber", "columnnumber"))
        if issue.get("type") == kind and text in str(issue.get("message")) and place == where:
            return
    raise AssertionError(f"no {kind} {text!r} at {where} among the issues of step {name}: {issues}")


@then(step('the run published the artifact "{name}" holding "{file}"'))
def step_artifact_holds(mlops_session: MlopsSession, name: str, file: str) -> None:
    """A file (its path inside the artifact) of an artifact the run published."""
    folder = mlops_session.home / "runs" / str(mlops_session.run_id) / "artifacts" / name
    held = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert file in held, f"artifact {name} holds {held}"


def _job_outputs(session: MlopsSession, stage: str, job: str) -> dict[str, Any]:
    record = session.stage(stage)
    for item in record["jobs"]:
        if item["name"].lower() == job.lower():
            return dict(item["outputs"])
    raise AssertionError(f"no job {job!r} in stage {stage}: {[j['name'] for j in record['jobs']]}")


@then(step('job "{job}" of stage "{stage}" has the output "{name}" equal to "{value}"'))
def step_job_output_equals(mlops_session: MlopsSession, job: str, stage: str, name: str, value: str) -> None:
    """An output variable's value (`""` for empty)."""
    outputs = _job_outputs(mlops_session, stage, job)
    assert name in outputs, f"{name} not in the outputs: {outputs}"
    assert str(outputs[name]) == value, f"{name} = {outputs[name]!r}; outputs: {outputs}"


@then(step('job "{job}" of stage "{stage}" has the output "{name}" of at least {minimum:f}'))
def step_job_output_at_least(
    mlops_session: MlopsSession, job: str, stage: str, name: str, minimum: str
) -> None:
    """A numeric output variable is at least the number."""
    outputs = _job_outputs(mlops_session, stage, job)
    assert name in outputs, f"{name} not in {outputs}"
    assert float(outputs[name]) >= float(minimum), f"{name} = {outputs[name]}"


@when(step('I run the pipeline "{pipeline}" with the parameters:'))
def step_run_pipeline_with(mlops_session: MlopsSession, pipeline: str, datatable: list[list[str]]) -> None:
    """Run with the `Given the parameters:` ones and these (which win), for this run only."""
    mlops_session.pipeline = pipeline
    values = {**mlops_session.parameters, **{row[0].strip(): row[1].strip() for row in datatable[1:]}}
    pairs = [a for k, v in values.items() for a in ("-p", f"{k}={v}")]
    mlops_session.run_json("run", pipeline, *pairs)
