"""The inputs of `ManualValidation@0/@1`, checked as the service checks them
[DOC tasks/reference/manual-validation-v0.md, manual-validation-v1.md].

Pure, so that the plan rejects a malformed validation when the pipeline compiles, before anything
runs; the rules that decide a validation (who may resume it, timeouts) are in `gates.manual`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from emulator.errors import Location, PipelineError

TASKS = ("ManualValidation@0", "ManualValidation@1")


@dataclass(frozen=True)
class ManualValidation:
    version: int
    notify_users: str
    approvers: tuple[str, ...]  # empty: anyone who may queue the run
    allow_requester: bool
    instructions: str
    on_timeout: str  # reject | resume
    timeout_minutes: int  # the step's timeoutInMinutes (0: none of its own)
    location: Location


def _input(inputs: Mapping[str, Any], name: str) -> str | None:
    for key, value in inputs.items():
        if key.lower() == name.lower():
            return "" if value is None else str(value)
    return None


def parse(task: str, inputs: Mapping[str, Any], timeout_minutes: int, location: Location) -> ManualValidation:
    """The task's inputs, checked as the service checks them (a located error names the input)."""
    version = int(task.rsplit("@", 1)[1])
    notify = _input(inputs, "notifyUsers")
    if notify is None:
        raise PipelineError(
            f"Input required: notifyUsers (task {task})",
            location,
            hint="notifyUsers may be empty ('') when nobody should be notified",
        )
    on_timeout = (_input(inputs, "onTimeout") or "reject").strip().lower()
    if on_timeout not in ("reject", "resume"):
        raise PipelineError(
            f"Input onTimeout of {task} must be 'reject' or 'resume', not '{on_timeout}'",
            location,
            expected="reject | resume",
        )
    approvers = tuple(a.strip() for a in (_input(inputs, "approvers") or "").split(",") if a.strip())
    if approvers and version == 0:
        raise PipelineError(
            f"Input approvers does not exist in {task}",
            location,
            hint="approvers came with ManualValidation@1",
        )
    own = (_input(inputs, "allowApproversToApproveTheirOwnRuns") or "true").strip().lower()
    return ManualValidation(
        version=version,
        notify_users=notify,
        approvers=approvers,
        allow_requester=own in ("true", "yes", "y", "on", "1"),
        instructions=_input(inputs, "instructions") or "",
        on_timeout=on_timeout,
        timeout_minutes=timeout_minutes,
        location=location,
    )
