"""Agentless jobs (`pool: server`): their tasks run in the service, not on an agent
[DOC process/phases.md "Agentless jobs"]: no workspace, no checkout, no processes.

Emulated: `ManualValidation@0/@1` (the job waits, the run pauses until a person resumes or rejects it
with `mlops approve|reject RUN --job STAGE.JOB`) and `Delay@1`. The other server tasks call services
outside this machine: they run a tasks.yml stand-in (its result and outputs; there is no agent to run
a script on) or follow the task policy, like any task without local behaviour.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from emulator.gates import approvals, manual
from emulator.model import Stage
from emulator.plan import RuntimeJob, RuntimeStep
from emulator.records import JobRecord, RunRecord, StepRecord
from emulator.runtime import conditions as cond
from emulator.runtime.process import CANCEL, TIMEOUT
from emulator.runtime.services import JobServices
from emulator.runtime.variables import VariableSet
from emulator.store.files import utc_now
from emulator.tasks.base import StepContext, TaskOutcome


class AgentlessJob(Protocol):
    """What an agentless task reads of its job (a JobRunner), and its timeout flag."""

    timed_out: bool

    @property
    def stage(self) -> Stage: ...

    @property
    def rjob(self) -> RuntimeJob: ...

    @property
    def jrec(self) -> JobRecord: ...


class AgentlessStep(Protocol):
    """What an agentless task uses of the step that runs it (the runner's step state): declared here so
    that this module needs nothing of jobs.py, which calls it."""

    @property
    def services(self) -> JobServices: ...

    @property
    def runner(self) -> AgentlessJob: ...

    @property
    def rstep(self) -> RuntimeStep: ...

    @property
    def srec(self) -> StepRecord: ...

    @property
    def variables(self) -> VariableSet: ...

    def write(self, line: str, kind: str) -> None: ...

    def stop(self) -> str | None: ...

    def context(self, agent: bool = True) -> StepContext: ...


WAITING = "waiting"  # a step's outcome while it waits for a person: its job waits, the run pauses
POLL_SECONDS = 0.1


def run_task(state: AgentlessStep) -> TaskOutcome:
    step = state.rstep.step
    if step.task.lower() in {t.lower() for t in manual.TASKS}:
        return manual_validation(state)
    if step.task.lower() == "delay@1":
        return delay(state)
    task = state.services.registry.get(step.task, step.location)
    return task(state.context(agent=False))


def _minutes_between(start: str, end: str | None, minute_seconds: float) -> float:
    """Minutes (of `minute_seconds` each) from the time stamp `start` to `end` (None: now)."""
    try:
        first = datetime.fromisoformat(start)
        last = datetime.fromisoformat(end) if end else datetime.now(UTC)
    except ValueError:
        return 0.0
    return (last - first).total_seconds() / minute_seconds


def decisions_for(
    run: RunRecord, home: Path | None, stage: str, job: str
) -> tuple[list[dict[str, Any]], int]:
    """The signed decisions on this job's manual validation; how many were ignored as forged."""
    valid: list[dict[str, Any]] = []
    forged = 0
    for d in run.get("approvals") or ():
        if str(d.get("stage", "")).lower() != stage.lower() or str(d.get("job", "")).lower() != job.lower():
            continue
        if approvals.authentic(home, d, str(run.get("id"))):
            valid.append(d)
        else:
            forged += 1
    return valid, forged


def manual_validation(state: AgentlessStep) -> TaskOutcome:
    """Settled by the first valid decision made in time; else by onTimeout once the wait is over;
    the job's own timeout, when it comes first, cancels the job as on an agent."""
    runner, services, srec = state.runner, state.services, state.srec
    step = state.rstep.step
    mv = manual.parse(
        step.task, state.variables.expand_any(dict(step.inputs)), step.timeout_minutes, step.location
    )
    minute = services.options.minute_seconds
    with services.run.lock:
        srec.setdefault("waitingSince", utc_now())
    since = str(srec["waitingSince"])
    limit = manual.wait_limit(mv)
    decisions, forged = decisions_for(
        services.run.data, services.options.home, runner.stage.name, runner.rjob.name
    )
    if forged:
        state.write(f"{forged} decision(s) ignored: not recorded by mlops (signature mismatch)", "warning")
    in_time = [d for d in decisions if _minutes_between(since, str(d.get("at") or ""), minute) < limit]
    requester = str(services.run.data.get("requestedBy", ""))
    verdict = manual.verdict(
        mv, in_time, requester, services.options.environments.members, _minutes_between(since, None, minute)
    )
    job_minutes = runner.rjob.job.timeout_minutes
    job_started = str(runner.jrec.get("startedAt") or since)
    if (
        verdict.decided_by is None
        and 0 < job_minutes < limit
        and _minutes_between(job_started, None, minute) >= job_minutes
    ):
        runner.timed_out = True
        message = f"The job ran longer than its timeout of {job_minutes} minutes"
        _audit(state, manual.Verdict(cond.CANCELED, message))
        state.write(message, "error")
        return TaskOutcome(cond.CANCELED, "The operation was canceled.")
    _audit(state, verdict)
    data = {
        "validation": {
            "approvers": list(mv.approvers),
            "instructions": mv.instructions,
            "allowApproversToApproveTheirOwnRuns": mv.allow_requester,
            "onTimeout": mv.on_timeout,
            "timeoutMinutes": limit,
        }
    }
    if verdict.status == manual.PENDING:
        if mv.instructions:
            state.write(f"Instructions: {mv.instructions}", "section")
        state.write(verdict.message, "section")
        return TaskOutcome(WAITING, verdict.message, data)
    state.write(verdict.message, "section" if verdict.status == manual.PASSED else "error")
    result = cond.SUCCEEDED if verdict.status == manual.PASSED else cond.FAILED
    return TaskOutcome(result, verdict.message, {**data, "decidedBy": verdict.decided_by})


def _audit(state: AgentlessStep, verdict: manual.Verdict) -> None:
    """Every evaluation of a manual validation goes to the run's audit trail (`validations`)."""
    run = state.services.run
    with run.lock:
        run.data.setdefault("validations", []).append(
            {
                "stage": state.runner.stage.name,
                "job": state.runner.rjob.name,
                "status": verdict.status,
                "message": verdict.message,
                "decidedBy": verdict.decided_by,
                "at": utc_now(),
            }
        )


def delay(state: AgentlessStep) -> TaskOutcome:
    """`Delay@1`: wait `delayForMinutes`, unless the job is canceled or times out first."""
    text = (state.variables.expand(str(_input(state, "delayForMinutes") or "0"))).strip()
    try:
        minutes = float(text)
    except ValueError:
        return TaskOutcome(cond.FAILED, f"delayForMinutes must be a number of minutes, not '{text}'")
    state.write(f"Waiting {text} minute(s)", "section")
    end = time.monotonic() + minutes * state.services.options.minute_seconds
    while time.monotonic() < end:
        verdict = state.stop()
        if verdict == CANCEL:
            return TaskOutcome(cond.CANCELED, "The operation was canceled.")
        if verdict == TIMEOUT:
            return TaskOutcome(cond.FAILED, "The task has timed out.")
        time.sleep(min(POLL_SECONDS, max(0.0, end - time.monotonic())))
    return TaskOutcome(cond.SUCCEEDED)


def _input(state: AgentlessStep, name: str) -> Any:
    for key, value in state.rstep.step.inputs.items():
        if key.lower() == name.lower():
            return value
    return None
