"""Decisions on a gate: who may approve or reject, and decisions that cannot be forged by editing files.

A decision is valid only if the decider is allowed by the environment's approval rules as they are
*now* (users, groups, the requester rule, sequential order) and carries the signature the emulator
gave it when it was recorded: an entry added or edited by hand in run.json is ignored, so the gate
stays closed. The key lives in the state folder (`keys/decisions.key`, mode 0600); this protects
against accidental or casual tampering, not against the machine's owner (Azure enforces approvals on
its servers; locally the state folder is yours).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from emulator.errors import RunError
from emulator.gates.environments import ApprovalCheck, EnvironmentConfig, Environments, NotEmulatedCheck
from emulator.store import keys
from emulator.store.paths import state_home

KEY = "decisions"
SIGNED_FIELDS = ("run", "environment", "stage", "decision", "by", "at", "comment")


def _payload(entry: Mapping[str, Any]) -> bytes:
    signed = {k: entry.get(k) for k in SIGNED_FIELDS}
    if "job" in entry:  # a manual validation's decision names its job
        signed["job"] = entry["job"]
    return json.dumps(signed, sort_keys=True, separators=(",", ":")).encode()


def sign(home: Path | None, entry: dict[str, Any]) -> dict[str, Any]:
    """The entry with its signature (over run, environment, stage, job, decision, by, at, comment)."""
    entry["signature"] = keys.sign(home or state_home(), KEY, _payload(entry))
    return entry


def authentic(home: Path | None, entry: Mapping[str, Any], run_id: str) -> bool:
    if str(entry.get("run")) != str(run_id):
        return False
    return keys.verify(home or state_home(), KEY, _payload(entry), entry.get("signature"))


def allowed_users(check: ApprovalCheck, envs: Environments) -> set[str] | None:
    """Lower-case user names allowed to decide, or None when anyone may."""
    if not check.approvers:
        return None
    return {m.lower() for a in check.approvers for m in envs.members(a)}


def refusal(
    check: ApprovalCheck, envs: Environments, user: str, requester: str, earlier: Iterable[str] = ()
) -> str | None:
    """Why `user` may not decide on this check (given who already approved), or None."""
    allowed = allowed_users(check, envs)
    if allowed is not None and user.lower() not in allowed:
        return f"'{user}' is not among the approvers ({', '.join(check.approvers)})"
    if not check.allow_requester and user.lower() == requester.lower():
        return (
            f"'{user}' queued this run and the environment does not allow requesters to approve "
            "their own runs"
        )
    if check.sequential and check.approvers:
        done = {e.lower() for e in earlier}
        for entry in check.approvers:
            members = {m.lower() for m in envs.members(entry)}
            if members & done:
                continue
            if user.lower() not in members:
                return f"approvals are sequential and '{entry}' must approve before '{user}'"
            break
    return None


def validate_decision(
    config: EnvironmentConfig | None,
    envs: Environments,
    user: str,
    requester: str,
    earlier: Iterable[str] = (),
) -> None:
    """Raise unless `user` may decide on the environment's checks."""
    if config is None or not config.decidable():
        name = config.name if config else "this environment"
        raise RunError(
            f"Environment '{name}' has no approval check to decide on",
            None,
            hint=f"its checks are configured in {envs.source or 'environments.yml'}",
        )
    checks = config.approvals()
    if not checks:
        return  # only unemulated checks under --check-policy ask: anyone may decide
    earlier = list(earlier)
    reasons = [r for c in checks if (r := refusal(c, envs, user, requester, earlier))]
    if len(reasons) == len(checks):
        raise RunError(
            f"Decision refused: {reasons[0]}",
            None,
            hint="decide with --as USER for a user listed in the environment's approvers",
        )


def has_unemulated(config: EnvironmentConfig) -> bool:
    return any(isinstance(c, NotEmulatedCheck) for c in config.checks)
