"""`variable-groups.yml`: the local mirror of Azure DevOps variable groups (Pipelines > Library).

A pipeline names a group with `- group: NAME` in a `variables:` list; the service keeps that item in
the expanded pipeline and, when a job runs, puts the group's variables at that place of the list, so
later items win over them and they win over earlier ones [DOC library/variable-groups.md "Use a
variable group"; variables.md]. Secret variables are masked everywhere and are not mapped into the
environment of steps, which read them through `env:` [DOC variables.md "Secret variables"]. Azure
keeps groups outside YAML; locally they live in this file, beside the pipeline or in the repository's
`mlops_pipelines/`, validated against `variable-groups.schema.json`:

    variableGroups:
      MLOPSVG:
        description: Workspace credentials
        variables:
          SUBSCRIPTION_ID: 00000000-0000-0000-0000-000000000000
          SP_APP_SECRET: {env: SP_APP_SECRET, secret: true}   # read from the environment at run time

A group the pipeline names that the file does not define is a warning in `mlops validate` and stops
`mlops run` before it starts (the service refuses to queue such a run).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import schemacheck
from emulator.errors import ConfigError, Location, MlopsError, RunError, did_you_mean
from emulator.model import VariableGroup
from emulator.runtime.variables import VariableSet
from emulator.yamlio import YMap, YStr, display_path, load_file, plain, resolve_plain_scalar

FILE_NAME = "variable-groups.yml"
SCHEMA_PATH = Path(__file__).with_name("variable-groups.schema.json")


@dataclass(frozen=True)
class GroupVariable:
    name: str
    value: str | None  # None: read from the environment variable `env` when the run starts
    env: str | None
    secret: bool
    location: Location


@dataclass(frozen=True)
class GroupConfig:
    name: str
    description: str | None
    variables: tuple[GroupVariable, ...]
    location: Location


@dataclass(frozen=True)
class VariableGroups:
    groups: Mapping[str, GroupConfig]  # lower-case name -> group
    source: str | None  # the file they came from, as users see it; None: no file
    source_path: str | None = None  # the same file's absolute path (kept in the run record)

    def get(self, name: str) -> GroupConfig | None:
        return self.groups.get(name.lower())

    def require(self, name: str, location: Location) -> GroupConfig:
        """The group a `- group:` item names, or the error that says where it should be defined."""
        found = self.get(name)
        if found is not None:
            return found
        raise RunError(missing_message(self, name), location, hint=missing_hint(self, name))

    def values(self, group: GroupConfig) -> list[tuple[str, str, bool]]:
        """(name, value, secret) of each variable; `env:` ones read now, a missing one is an error."""
        out: list[tuple[str, str, bool]] = []
        for var in group.variables:
            value = var.value
            if var.env is not None:
                value = os.environ.get(var.env)
                if value is None:
                    raise RunError(
                        f"Variable '{var.name}' of variable group '{group.name}' reads the environment "
                        f"variable {var.env}, which is not set",
                        var.location,
                        hint=f"export {var.env}=... before mlops run, or give it a value in {self.source}",
                    )
            out.append((var.name, value or "", var.secret))
        return out

    def apply(self, vs: VariableSet, ref: VariableGroup) -> None:
        """Set the variables of the group a `- group:` item names, at that item's place in its list."""
        for name, value, secret in self.values(self.require(ref.name, ref.location)):
            if not vs.is_readonly(name):
                vs.set(name, value, secret=secret)

    def secrets(self, refs: tuple[VariableGroup, ...]) -> list[str]:
        """The secret values of the named groups (masked from a run's first line on)."""
        found = [self.get(ref.name) for ref in refs]
        return [
            value
            for group in found
            if group is not None
            for _, value, secret in self.values(group)
            if secret and value
        ]


NONE = VariableGroups({}, None)


def missing_message(groups: VariableGroups, name: str) -> str:
    if groups.source is None:
        return f"Variable group '{name}' is not defined: there is no {FILE_NAME}"
    return f"Variable group '{name}' is not defined in {groups.source}"


def missing_hint(groups: VariableGroups, name: str) -> str:
    close = did_you_mean(name, [g.name for g in groups.groups.values()])
    where = groups.source or f"{FILE_NAME} beside the pipeline or in mlops_pipelines/"
    return close or (
        f"Azure DevOps keeps variable groups in Pipelines > Library; define '{name}' under "
        f"variableGroups: in {where} (mlops init PIPELINE writes one with every variable "
        "the pipeline reads)"
    )


def find_file(pipeline: Path, repo_root: Path) -> Path | None:
    """variable-groups.yml beside the pipeline, else in the repository's mlops_pipelines/."""
    return schemacheck.find_beside(pipeline, repo_root, FILE_NAME)


def load(path: Path | None) -> VariableGroups:
    """Read and validate the file (located errors); values stay text as written (`0001` is `0001`)."""
    if path is None:
        return NONE
    display = display_path(path)
    doc = load_file(path, display=display, text_scalars=True)
    if doc is None:
        raise ConfigError(
            f"{display} is empty",
            Location(display, 1, 1),
            expected="variableGroups:\n  NAME:\n    variables:\n      X: value",
        )
    _validate(doc, display)
    groups: dict[str, GroupConfig] = {}
    root = doc["variableGroups"]
    for name, body in root.items():
        loc = root.key_loc(name)
        body = body if isinstance(body, YMap) else YMap(loc)
        declared = body.get("variables")
        items = declared if isinstance(declared, YMap) else YMap(loc)
        variables = tuple(_variable(str(k), v, items.key_loc(k)) for k, v in items.items())
        description = body.get("description")
        groups[str(name).lower()] = GroupConfig(
            str(name), str(description) if description else None, variables, loc
        )
    return VariableGroups(groups, display, str(path.resolve()))


def _variable(name: str, value: Any, loc: Location) -> GroupVariable:
    if isinstance(value, dict):
        secret = str(value.get("secret", "false")).lower() == "true"
        env = value.get("env")
        text = value.get("value")
        return GroupVariable(name, None if env else _text(text), str(env) if env else None, secret, loc)
    return GroupVariable(name, _text(value), None, False, loc)


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _typed(value: Any) -> Any:
    """Plain data for the schema: unquoted scalars typed as YAML 1.2 reads them."""
    if isinstance(value, dict):
        return {str(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, YStr) and value.plain:
        return resolve_plain_scalar(str(value))
    return plain(value)


def _validate(doc: Any, display: str) -> None:
    schemacheck.check(
        doc,
        SCHEMA_PATH,
        display,
        "variable groups file",
        "see emulator/runtime/variable-groups.schema.json and the README's variable-groups.yml section",
        data=_typed(doc),
    )


def check_defined(groups: VariableGroups, names: list[tuple[str, Location]]) -> list[MlopsError]:
    """A located error for each `- group:` the file does not define (validate shows them as warnings)."""
    return [
        RunError(missing_message(groups, name), loc, hint=missing_hint(groups, name))
        for name, loc in names
        if groups.get(name) is None
    ]
