"""Deciding a stage's gate: approvals checked against the environment's rules.

A stage that targets an environment waits until every check of that environment passes
[DOC process/approvals.md]; an approval check needs `minApprovers` distinct allowed users, and one
rejection fails it. Decisions are re-validated against the configuration every time the gate is
evaluated, so a decision made under rules that have since changed (or written into the record by
hand) does not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.errors import RunError
from emulator.gates.environments import ApprovalCheck, EnvironmentConfig, Environments, OtherCheck


@dataclass(frozen=True)
class GateOutcome:
    status: str                  # passed | rejected | pending
    environment: str
    message: str
    check: ApprovalCheck | None = None
    decided_by: tuple[str, ...] = ()


def allowed_users(check: ApprovalCheck, envs: Environments) -> set[str] | None:
    """Lower-case user names allowed to decide, or None when anyone may."""
    if not check.approvers:
        return None
    return {m.lower() for a in check.approvers for m in envs.members(a)}


def refusal(check: ApprovalCheck, envs: Environments, user: str, requester: str) -> str | None:
    """Why `user` may not decide on this check, or None."""
    allowed = allowed_users(check, envs)
    if allowed is not None and user.lower() not in allowed:
        return f"'{user}' is not among the approvers ({', '.join(check.approvers)})"
    if not check.allow_requester and user.lower() == requester.lower():
        return f"'{user}' queued this run and the environment does not allow requesters to approve their own runs"
    return None


def validate_decision(config: EnvironmentConfig | None, envs: Environments, user: str, requester: str) -> None:
    """Raise unless `user` may decide on the environment's approval checks."""
    if config is None or not config.approvals():
        name = config.name if config else "this environment"
        raise RunError(f"Environment '{name}' has no approval check to decide on", None,
                       hint=f"its checks are configured in {envs.source or 'environments.yml'}")
    reasons = [r for c in config.approvals() if (r := refusal(c, envs, user, requester))]
    if len(reasons) == len(config.approvals()):
        raise RunError(f"Decision refused: {reasons[0]}", None,
                       hint="decide with --as USER for a user listed in the environment's approvers")


def evaluate(config: EnvironmentConfig | None, stage: str, run: Mapping[str, Any], envs: Environments,
             check_policy: str = "fail") -> GateOutcome:
    """The gate of one stage on one environment, from what the run record says (decisions, requester)."""
    decisions: Iterable[Mapping[str, Any]] = run.get("approvals") or []
    requester = str(run.get("requestedBy", ""))
    if config is None or not config.checks:
        return GateOutcome("passed", config.name if config else "", "no checks")
    relevant = [d for d in decisions
                if str(d.get("environment", "")).lower() == config.name.lower()
                and (d.get("stage") in (None, "") or str(d.get("stage")).lower() == stage.lower())]
    for check in config.checks:
        if isinstance(check, OtherCheck):
            if check_policy == "pass":
                continue
            return GateOutcome("rejected", config.name,
                               f"check '{check.type}' is not emulated and the check policy is 'fail'")
        valid = [d for d in relevant if refusal(check, envs, str(d.get("by", "")), requester) is None]
        rejected = [d for d in valid if d.get("decision") == "rejected"]
        if rejected:
            who = rejected[0].get("by")
            comment = rejected[0].get("comment")
            return GateOutcome("rejected", config.name,
                               f"approval rejected by {who}" + (f": {comment}" if comment else ""), check, (str(who),))
        approvers = tuple(dict.fromkeys(str(d.get("by")) for d in valid if d.get("decision") == "approved"))
        if len(approvers) < check.min_approvers:
            need = check.min_approvers - len(approvers)
            return GateOutcome("pending", config.name,
                               f"waiting for {need} more approval{'s' if need > 1 else ''}", check, approvers)
    return GateOutcome("passed", config.name, "all checks passed", None,
                       tuple(dict.fromkeys(str(d.get("by")) for d in relevant if d.get("decision") == "approved")))
