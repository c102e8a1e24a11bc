"""`environments.yml`: the local mirror of Azure DevOps environments and their checks.

In Azure DevOps, checks (approvals, branch control, business hours…) are configured on the
environment in the web UI, not in YAML, and are evaluated when a stage that targets the
environment is about to start [DOC process/approvals.md]. This file carries that configuration.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.errors import ConfigError, Location
from emulator.yamlio import YMap, display_path, load_file, location_of, plain

SCHEMA_PATH = Path(__file__).with_name("environments.schema.json")
FILE_NAME = "environments.yml"


@dataclass(frozen=True)
class ApprovalCheck:
    approvers: tuple[str, ...]          # users or group names; empty = anyone may decide
    min_approvers: int
    instructions: str | None
    timeout_minutes: int
    allow_requester: bool
    location: Location


@dataclass(frozen=True)
class OtherCheck:
    """A check this emulator accepts but does not evaluate yet (reported, never silently passed)."""

    type: str
    settings: Mapping[str, Any]
    location: Location


Check = ApprovalCheck | OtherCheck


@dataclass(frozen=True)
class EnvironmentConfig:
    name: str
    description: str | None
    checks: tuple[Check, ...]
    location: Location

    def approvals(self) -> tuple[ApprovalCheck, ...]:
        return tuple(c for c in self.checks if isinstance(c, ApprovalCheck))


@dataclass(frozen=True)
class Environments:
    environments: Mapping[str, EnvironmentConfig]  # lower-case name -> config
    groups: Mapping[str, tuple[str, ...]]          # lower-case group -> members
    source: str | None

    def get(self, name: str) -> EnvironmentConfig | None:
        return self.environments.get(name.lower())

    def members(self, approver: str) -> tuple[str, ...]:
        """The users an approver entry stands for (a group's members, or the user itself)."""
        return self.groups.get(approver.lower(), (approver,))


EMPTY = Environments({}, {}, None)


def find_file(pipeline: Path, repo_root: Path) -> Path | None:
    """environments.yml beside the pipeline, else in the repository's mlops_pipelines/."""
    for candidate in (pipeline.parent / FILE_NAME, repo_root / "mlops_pipelines" / FILE_NAME):
        if candidate.is_file():
            return candidate
    return None


def load(path: Path | None) -> Environments:
    """Read and validate the file (JSON Schema, then cross-references); located errors."""
    if path is None:
        return EMPTY
    display = display_path(path)
    doc = load_file(path, display=display)
    if doc is None:
        return Environments({}, {}, display)
    _validate(doc, display)
    groups = {str(k).lower(): tuple(str(m) for m in v) for k, v in (doc.get("groups") or {}).items()}
    envs: dict[str, EnvironmentConfig] = {}
    for name, body in (doc.get("environments") or {}).items():
        body = body or YMap(doc.key_loc("environments"))
        loc = doc["environments"].key_loc(name)
        checks: list[Check] = []
        for item in body.get("checks") or ():
            iloc = location_of(item) or loc
            ctype = str(item["type"])
            if ctype == "approval":
                checks.append(ApprovalCheck(
                    approvers=tuple(str(a) for a in item.get("approvers") or ()),
                    min_approvers=int(item.get("minApprovers", 1)),
                    instructions=str(item["instructions"]) if item.get("instructions") else None,
                    timeout_minutes=int(item.get("timeoutMinutes", 43200)),
                    allow_requester=bool(item.get("allowRequesterToApprove", True)),
                    location=iloc))
            else:
                checks.append(OtherCheck(ctype, plain(item), iloc))
        envs[str(name).lower()] = EnvironmentConfig(str(name), body.get("description"), tuple(checks), loc)
    return Environments(envs, groups, display)


def _validate(doc: Any, display: str) -> None:
    import jsonschema

    schema = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    errors = sorted(validator.iter_errors(plain(doc)), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    node: Any = doc
    loc = Location(display, 1, 1)
    for part in err.absolute_path:
        if isinstance(node, YMap) and part in node:
            loc = node.key_loc(str(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            loc = location_of(node[part]) or loc
            node = node[part]
    where = ".".join(str(p) for p in err.absolute_path) or "the file"
    raise ConfigError(f"Invalid environments file at {where}: {err.message}", loc,
                      hint="see the environments.yml section of the README")
