"""Evaluating an environment's checks for one stage of one run.

When a stage that targets an environment is about to start, every check of that environment is
evaluated; the stage waits while any is pending and fails when any is rejected or times out
[DOC process/approvals.md]. Each evaluation returns one outcome per check, kept in the run's audit
trail.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from emulator.gates.approvals import authentic, refusal
from emulator.gates.environments import (
    ApprovalCheck,
    BranchControlCheck,
    BusinessHoursCheck,
    Check,
    EnvironmentConfig,
    Environments,
    ExclusiveLockCheck,
    NotEmulatedCheck,
    RequiredTemplateCheck,
)
from emulator.store.paths import state_home
from emulator.store.runs import list_runs

PASSED, PENDING, REJECTED = "passed", "pending", "rejected"
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


@dataclass(frozen=True)
class CheckResult:
    type: str
    status: str
    message: str


@dataclass(frozen=True)
class GateOutcome:
    status: str  # passed | pending | rejected
    environment: str
    message: str
    check: ApprovalCheck | None = None
    decided_by: tuple[str, ...] = ()
    results: tuple[CheckResult, ...] = ()


@dataclass(frozen=True)
class GateContext:
    """What checks read besides the decisions: the clock, other runs, the policy for unemulated checks."""

    home: Path | None = None
    now: datetime | None = None
    check_policy: str = "fail"  # pass | fail | ask

    def clock(self) -> datetime:
        return self.now or datetime.now(UTC)


def _since(run: Mapping[str, Any], stage: str, env: str) -> datetime | None:
    """When this stage first waited on this environment (from the audit trail)."""
    for entry in run.get("checks") or ():
        if (
            entry.get("stage") == stage
            and str(entry.get("environment", "")).lower() == env.lower()
            and entry.get("status") == PENDING
        ):
            try:
                return datetime.fromisoformat(str(entry["at"]))
            except (KeyError, ValueError):
                return None
    return None


def _timed_out(run: Mapping[str, Any], stage: str, env: str, minutes: int, now: datetime) -> bool:
    since = _since(run, stage, env)
    return since is not None and now - since > timedelta(minutes=minutes)


def _attempt_since(run: Mapping[str, Any], stage: str) -> str | None:
    """When the stage's current attempt began, if the run was rerun (see runtime/rerun.py): the checks
    of a stage that runs again need new decisions."""
    for srec in run.get("stages") or ():
        if str(srec.get("name", "")).lower() == stage.lower():
            since = srec.get("rerunAt")
            return str(since) if since else None
    return None


def _decisions(
    run: Mapping[str, Any], config: EnvironmentConfig, stage: str, home: Path | None
) -> tuple[list[Mapping[str, Any]], int]:
    valid: list[Mapping[str, Any]] = []
    forged = 0
    since = _attempt_since(run, stage)
    for d in run.get("approvals") or ():
        if str(d.get("environment", "")).lower() != config.name.lower():
            continue
        if since and str(d.get("at") or "") < since:  # given to an earlier attempt of the stage
            continue
        if d.get("stage") not in (None, "") and str(d.get("stage")).lower() != stage.lower():
            continue
        if not authentic(home, d, str(run.get("id"))):
            forged += 1
            continue
        valid.append(d)
    return valid, forged


def _approval(
    check: ApprovalCheck,
    decisions: list[Mapping[str, Any]],
    run: Mapping[str, Any],
    stage: str,
    env: str,
    envs: Environments,
    ctx: GateContext,
) -> tuple[CheckResult, tuple[str, ...]]:
    requester = str(run.get("requestedBy", ""))
    approved: list[str] = []
    for d in decisions:
        who = str(d.get("by", ""))
        if refusal(check, envs, who, requester, approved) is not None:
            continue
        if d.get("decision") == "rejected":
            comment = f": {d['comment']}" if d.get("comment") else ""
            return CheckResult(check.type, REJECTED, f"approval rejected by {who}{comment}"), (who,)
        if d.get("decision") == "approved" and who.lower() not in {a.lower() for a in approved}:
            approved.append(who)
    if len(approved) >= check.min_approvers:
        return CheckResult(check.type, PASSED, f"approved by {', '.join(approved)}"), tuple(approved)
    if _timed_out(run, stage, env, check.timeout_minutes, ctx.clock()):
        return CheckResult(
            check.type, REJECTED, f"approval timed out after {check.timeout_minutes} minutes"
        ), ()
    need = check.min_approvers - len(approved)
    who = ", ".join(check.approvers) or "anyone"
    return CheckResult(
        check.type, PENDING, f"waiting for {need} more approval{'s' if need > 1 else ''} ({who})"
    ), tuple(approved)


def _branch(check: BranchControlCheck, run: Mapping[str, Any]) -> CheckResult:
    branch = str((run.get("git") or {}).get("branch") or "")
    if not branch or branch == "HEAD":
        return CheckResult(check.type, REJECTED, "the run's source branch is unknown (detached HEAD?)")
    ref = branch if branch.startswith("refs/") else f"refs/heads/{branch}"
    if any(fnmatch.fnmatchcase(ref, pattern) for pattern in check.allowed_branches):
        return CheckResult(check.type, PASSED, f"{ref} is an allowed branch")
    return CheckResult(
        check.type, REJECTED, f"{ref} is not an allowed branch ({', '.join(check.allowed_branches)})"
    )


def _business_hours(
    check: BusinessHoursCheck, run: Mapping[str, Any], stage: str, env: str, ctx: GateContext
) -> CheckResult:
    from zoneinfo import ZoneInfo

    now = ctx.clock().astimezone(ZoneInfo(check.time_zone))
    day = DAYS[now.weekday()]
    current = now.strftime("%H:%M")
    if day in check.days and check.start <= current < check.end:
        return CheckResult(check.type, PASSED, f"{day} {current} {check.time_zone} is within business hours")
    if _timed_out(run, stage, env, check.timeout_minutes, ctx.clock()):
        return CheckResult(
            check.type, REJECTED, f"business hours did not come within {check.timeout_minutes} minutes"
        )
    return CheckResult(
        check.type,
        PENDING,
        f"outside business hours ({'/'.join(check.days)} {check.start}-"
        f"{check.end} {check.time_zone}; now {day} {current}); resume later",
    )


def _holder(run: Mapping[str, Any], env: str, home: Path | None) -> str | None:
    """Another run that is executing a stage targeting this environment right now (its record as its
    snapshot and journal leave it: a stage that started since the last snapshot counts)."""
    for other in list_runs(home or state_home()):
        if str(other.get("id")) == str(run.get("id")):
            continue
        if other.get("status") != "running":
            continue
        for stage in other.get("stages") or ():
            if stage.get("state") == "running" and any(
                str(j.get("environment") or "").lower() == env.lower() for j in stage.get("jobs") or ()
            ):
                return str(other.get("id"))
    return None


def _exclusive(check: ExclusiveLockCheck, run: Mapping[str, Any], env: str, ctx: GateContext) -> CheckResult:
    holder = _holder(run, env, ctx.home)
    if holder is None:
        return CheckResult(check.type, PASSED, "no other run holds the lock")
    return CheckResult(
        check.type, PENDING, f"run {holder} holds the exclusive lock on '{env}'; resume when it is done"
    )


def _required_template(check: RequiredTemplateCheck, run: Mapping[str, Any]) -> CheckResult:
    extended = [str(t).lstrip("/") for t in run.get("extends") or ()]
    wanted = [t.lstrip("/") for t in check.templates]
    if any(w in extended for w in wanted):
        return CheckResult(check.type, PASSED, f"the pipeline extends {', '.join(extended)}")
    return CheckResult(
        check.type,
        REJECTED,
        f"the pipeline must extend {' or '.join(wanted)}"
        + (f" (it extends {', '.join(extended)})" if extended else " (it extends no template)"),
    )


def _not_emulated(
    check: NotEmulatedCheck, decisions: list[Mapping[str, Any]], ctx: GateContext
) -> CheckResult:
    if ctx.check_policy == "pass":
        return CheckResult(
            check.type, PASSED, f"'{check.type}' is not emulated; passed by --check-policy pass"
        )
    if ctx.check_policy == "ask":
        decided = [d for d in decisions if d.get("decision") in ("approved", "rejected")]
        if not decided:
            return CheckResult(
                check.type, PENDING, f"'{check.type}' is not emulated; waiting for a person to decide"
            )
        last = decided[-1]
        status = PASSED if last["decision"] == "approved" else REJECTED
        return CheckResult(
            check.type, status, f"'{check.type}' is not emulated; {last['decision']} by {last['by']}"
        )
    return CheckResult(
        check.type,
        REJECTED,
        f"'{check.type}' is not emulated and the check policy is 'fail' (use --check-policy pass or ask)",
    )


def evaluate(
    config: EnvironmentConfig | None, stage: str, run: Mapping[str, Any], envs: Environments, ctx: GateContext
) -> GateOutcome:
    """All checks of `config` for `stage`: rejected if any is, else pending if any is, else passed."""
    if config is None or not config.checks:
        return GateOutcome(PASSED, config.name if config else "", "no checks")
    decisions, forged = _decisions(run, config, stage, ctx.home)
    results: list[CheckResult] = []
    decided_by: tuple[str, ...] = ()
    waiting_on: ApprovalCheck | None = None
    for check in config.checks:
        if isinstance(check, ApprovalCheck):
            result, who = _approval(check, decisions, run, stage, config.name, envs, ctx)
            decided_by += who
            if result.status == PENDING and waiting_on is None:
                waiting_on = check
        else:
            result = _other(check, decisions, run, stage, config.name, ctx)
        results.append(result)
    note = f"; {forged} decision(s) ignored: not recorded by mlops (signature mismatch)" if forged else ""
    for status in (REJECTED, PENDING):
        hit = [r for r in results if r.status == status]
        if hit:
            return GateOutcome(
                status,
                config.name,
                "; ".join(f"{r.type}: {r.message}" for r in hit) + note,
                waiting_on,
                decided_by,
                tuple(results),
            )
    passed = "; ".join(f"{r.type}: {r.message}" for r in results)
    return GateOutcome(PASSED, config.name, passed + note, None, decided_by, tuple(results))


def _other(
    check: Check,
    decisions: list[Mapping[str, Any]],
    run: Mapping[str, Any],
    stage: str,
    env: str,
    ctx: GateContext,
) -> CheckResult:
    if isinstance(check, BranchControlCheck):
        return _branch(check, run)
    if isinstance(check, BusinessHoursCheck):
        return _business_hours(check, run, stage, env, ctx)
    if isinstance(check, ExclusiveLockCheck):
        return _exclusive(check, run, env, ctx)
    if isinstance(check, RequiredTemplateCheck):
        return _required_template(check, run)
    assert isinstance(check, NotEmulatedCheck)
    return _not_emulated(check, decisions, ctx)


def summary(results: Sequence[CheckResult]) -> list[dict[str, str]]:
    return [{"type": r.type, "status": r.status, "message": r.message} for r in results]
