"""`ManualValidation@0/@1`: a step of an agentless job that pauses the run until a person resumes or
rejects it [DOC tasks/reference/manual-validation-v0.md, manual-validation-v1.md].

Inputs: `notifyUsers` (required, may be ''), `instructions`, `onTimeout: reject|resume` (default
reject); v1 adds `approvers` (comma-separated users or groups; none: anyone who may queue the run) and
`allowApproversToApproveTheirOwnRuns` (default true on Azure DevOps Services). The wait lasts the
step's `timeoutInMinutes` (none: until the job's own timeout), at most 30 days. One decision settles it.
Decisions are the same signed entries as environment approvals, keyed by stage and job.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.manual_validation import TASKS as TASKS
from emulator.manual_validation import ManualValidation as ManualValidation
from emulator.manual_validation import parse as parse

MAX_MINUTES = 30 * 24 * 60  # a pending manual validation lasts at most 30 days
PASSED, PENDING, REJECTED = "passed", "pending", "rejected"


@dataclass(frozen=True)
class Verdict:
    status: str  # passed | pending | rejected
    message: str
    decided_by: str | None = None


def refusal(
    approvers: Sequence[str],
    allow_requester: bool,
    user: str,
    requester: str,
    members: Callable[[str], Iterable[str]],
) -> str | None:
    """Why `user` may not resume or reject a validation with these rules, or None."""
    if approvers:
        allowed = {m.lower() for a in approvers for m in members(a)}
        if user.lower() not in allowed:
            return f"'{user}' is not among the approvers of the manual validation ({', '.join(approvers)})"
    if not allow_requester and user.lower() == requester.lower():
        return (
            f"'{user}' queued this run and the manual validation does not allow approvers to approve "
            "their own runs"
        )
    return None


def wait_limit(mv: ManualValidation) -> int:
    """Minutes the validation waits before onTimeout applies (the step's timeout, at most 30 days)."""
    return min(mv.timeout_minutes, MAX_MINUTES) if mv.timeout_minutes > 0 else MAX_MINUTES


def verdict(
    mv: ManualValidation,
    decisions: Iterable[Mapping[str, Any]],
    requester: str,
    members: Callable[[str], Iterable[str]],
    waited_minutes: float,
) -> Verdict:
    """The first valid decision settles it; else the timeout's rule once the wait is over; else pending."""
    for d in decisions:
        who = str(d.get("by", ""))
        if refusal(mv.approvers, mv.allow_requester, who, requester, members) is not None:
            continue
        comment = f": {d['comment']}" if d.get("comment") else ""
        if d.get("decision") == "rejected":
            return Verdict(REJECTED, f"Manual validation rejected by {who}{comment}", who)
        if d.get("decision") == "approved":
            return Verdict(PASSED, f"Manual validation resumed by {who}{comment}", who)
    limit = wait_limit(mv)
    if waited_minutes >= limit:
        if mv.on_timeout == "resume":
            return Verdict(
                PASSED,
                f"Manual validation timed out after {limit} minutes and was resumed (onTimeout: resume)",
            )
        return Verdict(
            REJECTED,
            f"Manual validation timed out after {limit} minutes and was rejected (onTimeout: reject)",
        )
    who = ", ".join(mv.approvers) or "anyone who may queue the run"
    return Verdict(PENDING, f"waiting for a manual validation ({who})")
