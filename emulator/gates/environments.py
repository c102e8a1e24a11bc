"""`environments.yml`: the local mirror of Azure DevOps environments and their checks.

In Azure DevOps, checks (approvals, branch control, business hours, exclusive lock, required
template, …) are configured on the environment in the web UI, not in YAML, and are evaluated when a
stage that targets the environment is about to start [DOC process/approvals.md]. This file carries
that configuration; its schema is environments.schema.json beside this module.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import schemacheck
from emulator.errors import ConfigError, Location
from emulator.yamlio import YMap, display_path, load_file, location_of, plain
from emulator.yamlio import loads as yamlio_loads

SCHEMA_PATH = Path(__file__).with_name("environments.schema.json")
FILE_NAME = "environments.yml"
DEFAULT_TIMEOUT_MINUTES = 43200  # 30 days, the service's maximum for approvals [DOC approvals.md]
NOT_EMULATED = ("invokeAzureFunction", "invokeRestApi", "azureMonitor")


@dataclass(frozen=True)
class ApprovalCheck:
    approvers: tuple[str, ...]  # users or group names; empty = anyone may decide
    min_approvers: int
    instructions: str | None
    timeout_minutes: int
    allow_requester: bool
    sequential: bool  # approvers must approve in the listed order
    location: Location
    type: str = "approval"
    min_approvers_location: Location | None = None


@dataclass(frozen=True)
class BranchControlCheck:
    allowed_branches: tuple[str, ...]  # full refs or patterns: refs/heads/main, refs/heads/releases/*
    location: Location
    type: str = "branchControl"


@dataclass(frozen=True)
class BusinessHoursCheck:
    days: tuple[str, ...]  # Mon … Sun
    start: str  # HH:MM
    end: str  # HH:MM
    time_zone: str  # IANA name, e.g. Europe/Berlin
    timeout_minutes: int
    location: Location
    type: str = "businessHours"


@dataclass(frozen=True)
class ExclusiveLockCheck:
    location: Location
    type: str = "exclusiveLock"


@dataclass(frozen=True)
class RequiredTemplateCheck:
    templates: tuple[str, ...]  # paths from the repository root, optionally `path@alias`
    location: Location
    type: str = "requiredTemplate"


@dataclass(frozen=True)
class NotEmulatedCheck:
    """A check the emulator accepts but cannot evaluate (Azure Function, REST API, Azure Monitor)."""

    type: str
    settings: Mapping[str, Any]
    location: Location


Check = (
    ApprovalCheck
    | BranchControlCheck
    | BusinessHoursCheck
    | ExclusiveLockCheck
    | RequiredTemplateCheck
    | NotEmulatedCheck
)


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    description: str | None
    checks: tuple[Check, ...]
    location: Location

    def approvals(self) -> tuple[ApprovalCheck, ...]:
        return tuple(c for c in self.checks if isinstance(c, ApprovalCheck))

    def decidable(self) -> bool:
        """Whether a person can decide on this environment (an approval, or an unemulated check)."""
        return any(isinstance(c, ApprovalCheck | NotEmulatedCheck) for c in self.checks)


@dataclass(frozen=True)
class Environments:
    environments: Mapping[str, EnvironmentConfig]  # lower-case name -> config
    groups: Mapping[str, tuple[str, ...]]  # lower-case group -> members
    source: str | None

    def get(self, name: str) -> EnvironmentConfig | None:
        return self.environments.get(name.lower())

    def members(self, approver: str) -> tuple[str, ...]:
        """The users an approver entry stands for (a group's members, or the user itself)."""
        return self.groups.get(approver.lower(), (approver,))


EMPTY = Environments({}, {}, None)


def find_file(pipeline: Path, repo_root: Path) -> Path | None:
    """environments.yml beside the pipeline, else in the repository's mlops_pipelines/."""
    return schemacheck.find_beside(pipeline, repo_root, FILE_NAME)


def _check(item: Mapping[str, Any], loc: Location) -> Check:
    ctype = str(item["type"])
    if ctype == "approval":
        return ApprovalCheck(
            approvers=tuple(str(a) for a in item.get("approvers") or ()),
            min_approvers=int(item.get("minApprovers", 1)),
            instructions=str(item["instructions"]) if item.get("instructions") else None,
            timeout_minutes=int(item.get("timeoutMinutes", DEFAULT_TIMEOUT_MINUTES)),
            allow_requester=bool(item.get("allowRequesterToApprove", True)),
            sequential=str(item.get("order", "any")) == "sequential",
            location=loc,
            min_approvers_location=item.key_loc("minApprovers") if isinstance(item, YMap) else None,
        )
    if ctype == "branchControl":
        return BranchControlCheck(tuple(str(b) for b in item.get("allowedBranches") or ()), loc)
    if ctype == "businessHours":
        return BusinessHoursCheck(
            tuple(str(d) for d in item.get("days") or ("Mon", "Tue", "Wed", "Thu", "Fri")),
            str(item.get("start", "08:00")),
            str(item.get("end", "18:00")),
            str(item.get("timeZone", "UTC")),
            int(item.get("timeoutMinutes", DEFAULT_TIMEOUT_MINUTES)),
            loc,
        )
    if ctype == "exclusiveLock":
        return ExclusiveLockCheck(loc)
    if ctype == "requiredTemplate":
        return RequiredTemplateCheck(tuple(str(t) for t in item.get("templates") or ()), loc)
    return NotEmulatedCheck(ctype, plain(item), loc)


def load(path: Path | None) -> Environments:
    """Read and validate the file (JSON Schema, then cross-references); located errors."""
    if path is None:
        return EMPTY
    display = display_path(path)
    return _build(load_file(path, display=display), display)


def loads(text: str, display: str) -> Environments:
    """The same, from text already read (a run's snapshot, checked against its digest first)."""
    return _build(yamlio_loads(text, display), display)


def _build(doc: Any, display: str) -> Environments:
    if doc is None:
        return Environments({}, {}, display)
    _validate(doc, display)
    groups = {str(k).lower(): tuple(str(m) for m in v) for k, v in (doc.get("groups") or {}).items()}
    envs: dict[str, EnvironmentConfig] = {}
    for name, body in (doc.get("environments") or {}).items():
        loc = doc["environments"].key_loc(name)
        body = body or YMap(loc)
        checks = tuple(_check(item, location_of(item) or loc) for item in body.get("checks") or ())
        for check in checks:
            if isinstance(check, BusinessHoursCheck):
                _check_time_zone(check)
        envs[str(name).lower()] = EnvironmentConfig(str(name), body.get("description"), checks, loc)
    found = Environments(envs, groups, display)
    for config in envs.values():
        for check in config.approvals():
            _check_reachable(check, found)
    return found


def _check_reachable(check: ApprovalCheck, envs: Environments) -> None:
    """An approval that needs more distinct approvers than it lists can never pass: refuse the file."""
    users = {m.lower() for a in check.approvers for m in envs.members(a)}
    if check.approvers and check.min_approvers > len(users):
        raise ConfigError(
            f"minApprovers is {check.min_approvers} but only {len(users)} user(s) may approve "
            f"({', '.join(check.approvers)}): the check can never pass",
            check.min_approvers_location or check.location,
            expected=f"minApprovers between 1 and {len(users)}, or more approvers",
        )


def _check_time_zone(check: BusinessHoursCheck) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(check.time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(
            f"Unknown time zone '{check.time_zone}' in a businessHours check",
            check.location,
            expected="an IANA time zone name such as UTC or Europe/Berlin",
        ) from None


def _validate(doc: Any, display: str) -> None:
    schemacheck.check(
        doc,
        SCHEMA_PATH,
        display,
        "environments file",
        "see emulator/gates/environments.schema.json and the README's environments.yml section",
    )


def resolved(envs: Environments) -> Environments:
    """The same environments with group names in approver lists replaced by their members (a group
    with no members stays named, and approves nobody: an empty list would mean anyone)."""
    from dataclasses import replace

    out: dict[str, EnvironmentConfig] = {}
    for key, config in envs.environments.items():
        checks: list[Check] = []
        for c in config.checks:
            if isinstance(c, ApprovalCheck):
                members = tuple(dict.fromkeys(m for a in c.approvers for m in envs.members(a)))
                c = replace(c, approvers=members or c.approvers)
            checks.append(c)
        out[key] = replace(config, checks=tuple(checks))
    return Environments(out, {}, envs.source)


def _narrowed(envs: Environments, at_queue: Environments, now: Environments) -> Environments:
    """`envs` with each group that both versions define cut to the members it has in both."""
    groups = dict(envs.groups)
    for name in set(at_queue.groups) & set(now.groups):
        queued = {m.lower() for m in at_queue.groups[name]}
        groups[name] = tuple(m for m in now.groups[name] if m.lower() in queued)
    return Environments(envs.environments, groups, envs.source)


def strictest(at_queue: Environments, now: Environments) -> Environments:
    """Checks of both versions of the file: a paused run can gain checks but never lose one.

    Azure keeps a check that was pending when the stage started; here, editing environments.yml
    between pause and resume adds new checks but cannot remove the ones the run was queued with, and
    a group keeps only the members it has in both versions: `approve` and the gate read the same
    members, so a user added to a group after the run was queued is refused by both.
    """
    from dataclasses import replace

    first = resolved(_narrowed(at_queue, at_queue, now))
    second = resolved(_narrowed(now, at_queue, now))
    merged: dict[str, EnvironmentConfig] = dict(second.environments)
    for key, config in first.environments.items():
        current = merged.get(key)
        if current is None:
            merged[key] = config
            continue
        known = [_identity(c) for c in current.checks]
        extra = tuple(c for c in config.checks if _identity(c) not in known)
        merged[key] = replace(current, checks=current.checks + extra)
    groups = {  # a group's members in both versions: a manual validation's approvers can't grow either
        name: tuple(m for m in now.members(name) if m.lower() in {x.lower() for x in at_queue.members(name)})
        for name in {*at_queue.groups, *now.groups}
    }
    return Environments(merged, groups, now.source or at_queue.source)


def _identity(check: Check) -> Check:
    """A check without its location: the same rule read from two files is one rule."""
    from dataclasses import replace

    if isinstance(check, ApprovalCheck):
        return replace(check, location=Location(""), min_approvers_location=None)
    return replace(check, location=Location(""))
