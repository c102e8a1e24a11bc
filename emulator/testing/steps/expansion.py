"""Expansion: expand a pipeline in the test's own process (what `mlops expand` does, without a
Python start per scenario, so parameter-error scenarios cost milliseconds) and check the expanded YAML."""

from __future__ import annotations

from typing import Any

from pytest_bdd import then, when

from emulator.testing.steps.session import MlopsSession, comma_list, step

__all__ = [
    "step_expand_in_process",
    "step_expanded_contains",
    "step_expanded_job_environment",
    "step_expanded_job_steps",
    "step_expanded_not_contains",
    "step_expanded_stage_condition",
    "step_expanded_stage_depends",
    "step_expanded_stages",
    "step_expansion_fails",
    "step_expansion_succeeds",
]


@when(step('the pipeline "{pipeline}" is expanded'))
def step_expand_in_process(mlops_session: MlopsSession, pipeline: str) -> None:
    """Expands in this process with the `Given the parameters:` ones; keeps the expanded YAML, or the
    located error as a bad-input result (exit 2)."""
    from emulator.errors import MlopsError
    from emulator.runner import compile_pipeline
    from emulator.yamlio import dumps, plain

    mlops_session.expanded, mlops_session.expanded_text = None, ""
    try:
        compiled = compile_pipeline(mlops_session.cwd / pipeline, dict(mlops_session.parameters))
    except MlopsError as exc:
        mlops_session.exit_code, mlops_session.stdout, mlops_session.stderr = 2, "", f"error: {exc.render()}"
        return
    mlops_session.expanded = plain(compiled.document)
    mlops_session.expanded_text = dumps(compiled.document)
    mlops_session.exit_code, mlops_session.stdout, mlops_session.stderr = 0, mlops_session.expanded_text, ""


@then("the expansion succeeds")
def step_expansion_succeeds(mlops_session: MlopsSession) -> None:
    """The last in-process expansion produced a pipeline."""
    assert mlops_session.exit_code == 0 and mlops_session.expanded is not None, mlops_session.stderr


@then(step('the expansion fails at "{location}" mentioning "{text}"'))
def step_expansion_fails(mlops_session: MlopsSession, location: str, text: str) -> None:
    """The last expansion failed as bad input (exit 2) located at `location`, `file:line` or
    `file:line:col` (the file as a path suffix), with the text in the message and no traceback."""
    assert mlops_session.exit_code == 2, f"the expansion succeeded:\n{mlops_session.expanded_text[:2000]}"
    first = mlops_session.stderr.splitlines()[0] if mlops_session.stderr else ""
    where = first.removeprefix("error: ").split(": ", 1)[0]
    assert where.endswith(location) or f"/{location}:" in f"/{where}:", f"located at {where!r}:\n{first}"
    assert text in mlops_session.stderr, mlops_session.stderr
    assert "Traceback" not in mlops_session.stderr


def _expanded(session: MlopsSession) -> dict[str, Any]:
    assert session.expanded is not None, f"no expanded pipeline: {session.stderr}"
    return session.expanded


def _expanded_stage(session: MlopsSession, name: str) -> dict[str, Any]:
    stages = _expanded(session).get("stages") or []
    for stage in stages:
        if str(stage.get("stage", "")).lower() == name.lower():
            return dict(stage)
    raise AssertionError(f"no stage {name!r}: {[s.get('stage') for s in stages]}")


def _expanded_job(session: MlopsSession, stage: str, job: str) -> dict[str, Any]:
    jobs = _expanded_stage(session, stage).get("jobs") or []
    for item in jobs:
        if str(item.get("job") or item.get("deployment") or "").lower() == job.lower():
            return dict(item)
    names = [j.get("job") or j.get("deployment") for j in jobs]
    raise AssertionError(f"no job {job!r} in stage {stage}: {names}")


def _job_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    if "steps" in job:
        return list(job["steps"] or [])
    steps: list[dict[str, Any]] = []
    for strategy in (job.get("strategy") or {}).values():
        for hook, body in (strategy or {}).items():
            if hook == "on":
                for outcome in (body or {}).values():
                    steps.extend((outcome or {}).get("steps") or [])
            else:
                steps.extend((body or {}).get("steps") or [])
    return steps


@then(step('the expanded pipeline has the stages "{names}"'))
def step_expanded_stages(mlops_session: MlopsSession, names: str) -> None:
    """The stage names of the expanded pipeline, in order (comma-separated)."""
    got = [str(s.get("stage")) for s in _expanded(mlops_session).get("stages") or []]
    assert got == comma_list(names), f"stages: {got}"


@then(step('the expanded pipeline contains "{text}"'))
def step_expanded_contains(mlops_session: MlopsSession, text: str) -> None:
    """The full YAML of the expansion contains the text."""
    _expanded(mlops_session)
    assert text in mlops_session.expanded_text, f"{text!r} not in:\n{mlops_session.expanded_text}"


@then(step('the expanded pipeline does not contain "{text}"'))
def step_expanded_not_contains(mlops_session: MlopsSession, text: str) -> None:
    """The full YAML of the expansion does not contain the text."""
    _expanded(mlops_session)
    assert text not in mlops_session.expanded_text, f"{text!r} found in the expanded pipeline"


@then(step('stage "{stage}" of the expanded pipeline depends on "{names}"'))
def step_expanded_stage_depends(mlops_session: MlopsSession, stage: str, names: str) -> None:
    """The stage's `dependsOn` (comma-separated; `""` for none)."""
    depends = _expanded_stage(mlops_session, stage).get("dependsOn")
    got = [depends] if isinstance(depends, str) else list(depends or [])
    assert got == comma_list(names), f"stage {stage} depends on {got}"


@then(step('stage "{stage}" of the expanded pipeline has the condition "{text}"'))
def step_expanded_stage_condition(mlops_session: MlopsSession, stage: str, text: str) -> None:
    """The stage's `condition` contains the text."""
    condition = str(_expanded_stage(mlops_session, stage).get("condition") or "")
    assert text in condition, f"condition of {stage}: {condition!r}"


@then(step('job "{job}" of stage "{stage}" of the expanded pipeline targets environment "{environment}"'))
def step_expanded_job_environment(
    mlops_session: MlopsSession, job: str, stage: str, environment: str
) -> None:
    """The environment a deployment job of the expanded pipeline targets."""
    value = _expanded_job(mlops_session, stage, job).get("environment")
    name = value.get("name") if isinstance(value, dict) else value
    assert str(name) == environment, f"job {job} targets {value!r}"


@then(step('job "{job}" of stage "{stage}" of the expanded pipeline has the named steps "{names}"'))
def step_expanded_job_steps(mlops_session: MlopsSession, job: str, stage: str, names: str) -> None:
    """The job's steps that have a `name:`, in order (comma-separated; steps without a name are not
    listed, the hooks of deployment jobs are)."""
    got = [str(s["name"]) for s in _job_steps(_expanded_job(mlops_session, stage, job)) if s.get("name")]
    assert got == comma_list(names), f"named steps of {job}: {got}"
