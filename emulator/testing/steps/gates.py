"""Gates: environment approvals and checks, manual validations, and the audit trail of decisions.

The steps that change a run record "by hand" play someone who skips `mlops approve`: the emulator must
notice and refuse.
"""

from __future__ import annotations

import json
import subprocess

from pytest_bdd import then, when

from emulator.testing.steps.session import MlopsSession, comma_list, param_args, step

__all__ = [
    "step_approval_recorded",
    "step_approve",
    "step_approve_named",
    "step_check_audit",
    "step_copy_approval",
    "step_decision_refused",
    "step_forge_approval",
    "step_forge_pipeline",
    "step_forge_stage",
    "step_forge_validation",
    "step_name_run",
    "step_reject",
    "step_reject_validation",
    "step_resume_validation",
    "step_run_paused",
    "step_run_paused_validation",
    "step_run_pipeline_approving",
    "step_run_pipeline_as",
    "step_run_pipeline_policy",
    "step_try_approve",
    "step_try_resume_validation",
    "step_validation_audit",
]


@when(step('I run the pipeline "{pipeline}" approving "{environments}" as "{user}"'))
def step_run_pipeline_approving(
    mlops_session: MlopsSession, pipeline: str, environments: str, user: str
) -> None:
    """`mlops run … --approve ENV --as USER` for each environment of the comma-separated list: their
    checks are approved in advance."""
    mlops_session.pipeline = pipeline
    approvals = [a for env in environments.split(",") for a in ("--approve", env.strip())]
    mlops_session.run_json("run", pipeline, *param_args(mlops_session), *approvals, "--as", user)


def _decide_environment(session: MlopsSession, verb: str, user: str, environment: str) -> None:
    assert session.run_id, f"no run to {verb}"
    comment = f"{'approved' if verb == 'approve' else 'rejected'} in a feature"
    proc = session.mlops(
        verb, session.run_id, "--environment", environment, "--as", user, "--comment", comment
    )
    assert proc.returncode == 0, session.describe()


@when(step('"{user}" approves environment "{environment}"'))
def step_approve(mlops_session: MlopsSession, user: str, environment: str) -> None:
    """`mlops approve RUN --environment ENV --as USER` of the last run; the command must succeed."""
    _decide_environment(mlops_session, "approve", user, environment)


@when(step('"{user}" rejects environment "{environment}"'))
def step_reject(mlops_session: MlopsSession, user: str, environment: str) -> None:
    """`mlops reject RUN --environment ENV --as USER` of the last run; the command must succeed."""
    _decide_environment(mlops_session, "reject", user, environment)


def _decide_validation(
    session: MlopsSession, verb: str, user: str, job: str
) -> subprocess.CompletedProcess[str]:
    assert session.run_id, f"no run to {verb}"
    comment = f"{verb} in a feature"
    return session.mlops(verb, session.run_id, "--job", job, "--as", user, "--comment", comment)


@when(step('"{user}" resumes the manual validation of job "{job}"'))
def step_resume_validation(mlops_session: MlopsSession, user: str, job: str) -> None:
    """`mlops approve RUN --job [STAGE.]JOB --as USER`: resumes the manual validation the run waits on;
    the command must succeed."""
    proc = _decide_validation(mlops_session, "approve", user, job)
    assert proc.returncode == 0, mlops_session.describe()


@when(step('"{user}" rejects the manual validation of job "{job}"'))
def step_reject_validation(mlops_session: MlopsSession, user: str, job: str) -> None:
    """`mlops reject RUN --job [STAGE.]JOB --as USER`; the command must succeed."""
    proc = _decide_validation(mlops_session, "reject", user, job)
    assert proc.returncode == 0, mlops_session.describe()


@when(step('"{user}" tries to resume the manual validation of job "{job}"'))
def step_try_resume_validation(mlops_session: MlopsSession, user: str, job: str) -> None:
    """Resumes the manual validation without asserting success: check the refusal next."""
    _decide_validation(mlops_session, "approve", user, job)


@when(step('I run the pipeline "{pipeline}" as "{user}"'))
def step_run_pipeline_as(mlops_session: MlopsSession, pipeline: str, user: str) -> None:
    """`mlops run … --as USER`: who queues the run (checks may forbid them to approve it too)."""
    mlops_session.pipeline = pipeline
    mlops_session.run_json("run", pipeline, *param_args(mlops_session), "--as", user)


@when(step('I run the pipeline "{pipeline}" with check policy "{policy}"'))
def step_run_pipeline_policy(mlops_session: MlopsSession, pipeline: str, policy: str) -> None:
    """`mlops run … --check-policy POLICY`: the decision (pass, fail or ask) for checks the emulator
    cannot evaluate."""
    mlops_session.pipeline = pipeline
    mlops_session.run_json("run", pipeline, *param_args(mlops_session), "--check-policy", policy)


@when(step('I call the run "{alias}"'))
def step_name_run(mlops_session: MlopsSession, alias: str) -> None:
    """Remembers the last run under an alias, for the steps that name a run."""
    assert mlops_session.run_id, "no run yet"
    mlops_session.named_runs[alias] = mlops_session.run_id


@when(step('"{user}" tries to approve environment "{environment}"'))
def step_try_approve(mlops_session: MlopsSession, user: str, environment: str) -> None:
    """`mlops approve RUN --environment ENV --as USER` without asserting success: check the refusal next."""
    assert mlops_session.run_id, "no run to approve"
    mlops_session.mlops("approve", mlops_session.run_id, "--environment", environment, "--as", user)


@when(step('"{user}" approves environment "{environment}" for run "{alias}"'))
def step_approve_named(mlops_session: MlopsSession, user: str, environment: str, alias: str) -> None:
    """`mlops approve` of the run called ALIAS (`When I call the run`); the command must succeed."""
    proc = mlops_session.mlops(
        "approve", mlops_session.named_runs[alias], "--environment", environment, "--as", user
    )
    assert proc.returncode == 0, mlops_session.describe()


def _forge_decision(session: MlopsSession, **fields: str | None) -> None:
    """An approval written into run.json by hand, as someone who skips `mlops approve` would."""
    assert session.run_id, "no run"
    path = session.home / "runs" / session.run_id / "run.json"
    record = json.loads(path.read_text())
    waiting = record.get("waiting") or {}
    record.setdefault("approvals", []).append(
        {
            "run": session.run_id,
            "stage": waiting.get("stage"),
            **fields,
            "decision": "approved",
            "at": "2026-01-01T00:00:00+00:00",
            "comment": "forged",
        }
    )
    path.write_text(json.dumps(record, indent=2))


@when(step('an approval of environment "{environment}" by "{user}" is written into the run record by hand'))
def step_forge_approval(mlops_session: MlopsSession, environment: str, user: str) -> None:
    """Writes an approval into the run's run.json without `mlops approve`, as someone who edits the record
    would; resuming must refuse the run."""
    _forge_decision(mlops_session, environment=environment, by=user)


@when(step('the manual validation of job "{job}" is marked resumed by "{user}" in the run record by hand'))
def step_forge_validation(mlops_session: MlopsSession, job: str, user: str) -> None:
    """Marks the manual validation resumed in run.json without `mlops approve`; resuming must refuse the
    run."""
    _forge_decision(mlops_session, environment=None, job=job, by=user)


@when(step('an approval of environment "{environment}" signed for run "{alias}" is copied into the run'))
def step_copy_approval(mlops_session: MlopsSession, environment: str, alias: str) -> None:
    """Copies a real approval of the run called ALIAS into the last run's record: an approval counts only
    for the run it was given to, so resuming must refuse the run."""
    source = json.loads(
        (mlops_session.home / "runs" / mlops_session.named_runs[alias] / "run.json").read_text()
    )
    entry = next(a for a in source["approvals"] if a["environment"].lower() == environment.lower())
    path = mlops_session.home / "runs" / str(mlops_session.run_id) / "run.json"
    record = json.loads(path.read_text())
    record.setdefault("approvals", []).append(dict(entry))
    path.write_text(json.dumps(record, indent=2))


@when(step('stage "{stage}" is marked succeeded in the run record by hand'))
def step_forge_stage(mlops_session: MlopsSession, stage: str) -> None:
    """Marks a stage succeeded in run.json by hand, as if its gate had opened; resuming must refuse the
    run."""
    path = mlops_session.home / "runs" / str(mlops_session.run_id) / "run.json"
    record = json.loads(path.read_text())
    for entry in record["stages"]:
        if entry["name"].lower() == stage.lower():
            entry.update(state="completed", result="succeeded")
    path.write_text(json.dumps(record))


@when(step('environment "{environment}" is removed from the run\'s expanded pipeline by hand'))
def step_forge_pipeline(mlops_session: MlopsSession, environment: str) -> None:
    """Renames the environment in the run's stored expanded pipeline, so that its checks would not apply;
    resuming must refuse the run."""
    path = mlops_session.home / "runs" / str(mlops_session.run_id) / "pipeline.yml"
    text = path.read_text()
    assert environment in text
    path.write_text(text.replace(f"name: {environment}", "name: unchecked"))


@then(step('the run is paused waiting for environment "{environment}"'))
def step_run_paused(mlops_session: MlopsSession, environment: str) -> None:
    """The run is paused (exit code 3) waiting on the checks of the environment."""
    s = mlops_session.summary
    assert s is not None and s["result"] == "paused", mlops_session.describe()
    assert mlops_session.exit_code == 3, mlops_session.describe()
    assert s["waiting"]["environment"].lower() == environment.lower(), s["waiting"]


@then(step('the run is paused waiting for the manual validation of job "{job}"'))
def step_run_paused_validation(mlops_session: MlopsSession, job: str) -> None:
    """The run is paused (exit code 3) waiting on the manual validation of the job (`JOB` or
    `STAGE.JOB`)."""
    s = mlops_session.summary
    assert s is not None and s["result"] == "paused", mlops_session.describe()
    assert mlops_session.exit_code == 3, mlops_session.describe()
    waiting = s["waiting"]
    names = (str(waiting.get("job")).lower(), f"{waiting['stage']}.{waiting.get('job')}".lower())
    assert waiting.get("job") and job.lower() in names, waiting


@then(step('the audit trail of the manual validation of job "{job}" reads "{statuses}"'))
def step_validation_audit(mlops_session: MlopsSession, job: str, statuses: str) -> None:
    """Each evaluation of the validation, in order, in the run's JSON and in `mlops runs show`."""
    assert mlops_session.summary is not None and mlops_session.run_id
    entries = [
        v
        for v in mlops_session.summary["validations"]
        if job.lower() in (v["job"].lower(), f"{v['stage']}.{v['job']}".lower())
    ]
    assert [v["status"] for v in entries] == comma_list(statuses), entries
    shown = mlops_session.mlops("runs", "show", mlops_session.run_id)
    lines = [line for line in shown.stdout.splitlines() if "manual validation of job" in line]
    assert [line.split()[1] for line in lines] == comma_list(statuses), shown.stdout[-3000:]


@then(step('the decision is refused mentioning "{text}"'))
def step_decision_refused(mlops_session: MlopsSession, text: str) -> None:
    """The last decision exited 2 (bad input) with the text in its message, and printed no traceback."""
    assert mlops_session.exit_code == 2, mlops_session.describe()
    assert text in mlops_session.stderr, mlops_session.stderr
    assert "Traceback" not in mlops_session.stderr


@then(step('the checks of environment "{environment}" were "{status}" with "{text}"'))
def step_check_audit(mlops_session: MlopsSession, environment: str, status: str, text: str) -> None:
    """The last check evaluation of the environment in the run's audit trail: its status and a text of its
    message."""
    assert mlops_session.summary is not None
    entries = [c for c in mlops_session.summary["checks"] if c["environment"].lower() == environment.lower()]
    assert entries, f"no check of {environment} in {mlops_session.summary['checks']}"
    last = entries[-1]
    assert last["status"] == status and text in last["message"], last


@then(step('the approval of environment "{environment}" by "{user}" is recorded'))
def step_approval_recorded(mlops_session: MlopsSession, environment: str, user: str) -> None:
    """The run's audit trail holds the approval of the environment by the user."""
    assert mlops_session.summary is not None
    assert any(
        str(a["environment"] or "").lower() == environment.lower()
        and a["by"] == user
        and a["decision"] == "approved"
        for a in mlops_session.summary["approvals"]
    ), mlops_session.summary["approvals"]
