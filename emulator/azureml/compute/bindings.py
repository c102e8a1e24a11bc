"""A job's `${{inputs.x}}` and `${{outputs.y}}`: the checks the SDK does not make, inputs made local
(literal values, or data as paths on this machine), output folders, and the command with its
bindings substituted.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.assets import data
from emulator.azureml.assets.uris import resolve_datastore_uri, resolve_job_uri
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.context import Context
from emulator.azureml.errors import AzError, AzNotEmulatedError, AzSpecError
from emulator.errors import Location, did_you_mean

REFERENCE_RE = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
OPTIONAL_RE = re.compile(r"\$\[\[(.*?)\]\]", re.S)
DATA_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model")
LITERAL_TYPES = ("string", "number", "integer", "boolean")


@dataclass(frozen=True)
class JobInput:
    """One resolved input: a literal value, or a local path standing in for the mounted data."""

    name: str
    value: str
    is_path: bool
    record: dict[str, Any] | str


def locate_in_file(spec: Spec, token: str, after: tuple[str | int, ...]) -> Location:
    """The position of `token` in the YAML text at or after the node at `after` (for block scalars)."""
    anchor = spec.location(*after)
    try:
        lines = spec.path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return anchor
    for index in range(max(anchor.line - 1, 0), len(lines)):
        col = lines[index].find(token)
        if col >= 0:
            return Location(str(spec.path), index + 1, col + 1)
    return anchor


def check_references(
    command: Any,
    declared_inputs: set[str],
    declared_outputs: set[str],
    spec: Spec,
    at: tuple[str | int, ...],
    what: str = "job",
) -> None:
    """Every `${{inputs.x}}`/`${{outputs.y}}` of `command` must be declared (the SDK does not check this)."""
    where = ".".join(str(p) for p in at)
    if not isinstance(command, str):
        raise AzSpecError(f"invalid {what} specification: {where}: a command is required", spec.location(*at))
    declared = {"inputs": declared_inputs, "outputs": declared_outputs}
    optional_spans = [m.span() for m in OPTIONAL_RE.finditer(command)]
    for match in REFERENCE_RE.finditer(command):
        group, name = match.group(1), match.group(2)
        if name in declared[group]:
            continue
        if any(start <= match.start() < end for start, end in optional_spans):
            continue
        suggestion = did_you_mean(name, sorted(declared[group]))
        declared_list = ", ".join(sorted(declared[group])) or "none"
        raise AzSpecError(
            f"invalid {what} specification: {where}: {match.group(0)} refers to {group[:-1]} {name!r}, "
            f"which the job does not declare under `{group}:` (declared: {declared_list})",
            locate_in_file(spec, match.group(0), at),
            hint=suggestion or f"declare it under `{group}:` or remove it from the command",
            field=where,
        )


def check_command_references(spec: Spec) -> None:
    check_references(
        spec.data.get("command"),
        set((spec.data.get("inputs") or {}).keys()),
        set((spec.data.get("outputs") or {}).keys()),
        spec,
        ("command",),
    )


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def resolve_data_path(
    ctx: Context, path: str, kind: str, base_dir: Path, what: str, location: Location | None
) -> Path:
    """The local path a data input of type `kind` at `path` stands for (checked against the type)."""
    if path.startswith("azureml://jobs/"):
        resolved = resolve_job_uri(ctx, path)[1]
    elif path.startswith("azureml://"):
        resolved = resolve_datastore_uri(ctx, path, location)
    elif path.startswith("azureml:"):
        asset = data.resolve_data(ctx, path, location)
        resolved = asset.local
    else:
        if path.startswith("file://"):
            path = path[len("file://") :]
        elif "://" in path:
            raise AzNotEmulatedError(
                f"{what}: remote data ({path}) is not reachable from the emulator",
                location,
                hint="use a local path relative to the YAML file, a data asset (azureml:<name>:<version>) "
                "or azureml://jobs/<job>/outputs/<output>",
            )
        resolved = (base_dir / path).resolve()
        if not resolved.exists():
            raise AzSpecError(
                f"invalid job specification: {what}: no such file or directory: {resolved}",
                location,
                hint="relative paths inside an Azure ML YAML are resolved from the folder of the YAML file",
                field=what,
            )
    if kind in ("uri_file", "uri_folder", "mltable"):
        try:
            return data.check_type(kind, resolved, what)
        except AzError as exc:
            raise AzSpecError(exc.message, location, hint=exc.hint, field=what) from None
    return resolved


def resolve_input(
    ctx: Context,
    name: str,
    raw: Any,
    base_dir: Path,
    location: Callable[..., Location],
    prefix: str = "inputs",
) -> JobInput | None:
    """One declared input: a literal value, or data (`path:`) made local. None for an empty input."""
    if isinstance(raw, dict):
        kind = str(raw.get("type", "uri_folder"))
        if kind in LITERAL_TYPES or ("path" not in raw and ("value" in raw or "default" in raw)):
            value = literal(raw.get("value", raw.get("default")))
            return JobInput(name, value, False, value)
        if kind not in DATA_TYPES or "path" not in raw:
            raise AzSpecError(
                f"invalid job specification: {prefix}.{name}: an input needs a `path` (data) or a value",
                location(name),
                field=f"{prefix}.{name}",
            )
        local = resolve_data_path(
            ctx, str(raw["path"]), kind, base_dir, f"{prefix}.{name}.path", location(name, "path")
        )
        record = {"type": kind, "path": str(raw["path"]), "mode": raw.get("mode", "ro_mount")}
        record["local_path"] = str(local)
        return JobInput(name, str(local), True, record)
    if raw is None:
        return None
    value = literal(raw)
    return JobInput(name, value, False, value)


def resolve_inputs(ctx: Context, spec: Spec) -> list[JobInput]:
    resolved: list[JobInput] = []
    for name, raw in (spec.data.get("inputs") or {}).items():
        item = resolve_input(ctx, name, raw, spec.base_dir, lambda *p: spec.location("inputs", *p))
        if item is not None:
            resolved.append(item)
    return resolved


def substitute(command: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """Replace bindings; an optional `$[[ … ]]` block is kept only when all its inputs are given."""
    table = {"inputs": inputs, "outputs": outputs}

    def optional(match: re.Match[str]) -> str:
        inner = match.group(1)
        refs = REFERENCE_RE.findall(inner)
        return inner if all(name in table[group] for group, name in refs) else ""

    command = OPTIONAL_RE.sub(optional, command)
    return REFERENCE_RE.sub(lambda m: table[m.group(1)].get(m.group(2), m.group(0)), command)


def output_records(
    outputs: dict[str, Any], job_name: str, folder: Path
) -> tuple[dict[str, str], dict[str, Any]]:
    """(command bindings, record entries) for the declared outputs; their folders are created."""
    paths: dict[str, str] = {}
    records: dict[str, Any] = {}
    for out_name, raw in outputs.items():
        kind = str(raw.get("type", "uri_folder")) if isinstance(raw, dict) else "uri_folder"
        out_dir = folder / "outputs" / out_name
        out_dir.mkdir(parents=True)
        local = out_dir / out_name if kind == "uri_file" else out_dir
        paths[out_name] = shlex.quote(str(local))
        records[out_name] = {
            "local_path": str(local),
            "mode": (raw or {}).get("mode", "rw_mount") if isinstance(raw, dict) else "rw_mount",
            "path": f"azureml://jobs/{job_name}/outputs/{out_name}",
            "type": kind,
        }
    records["default"] = {
        "mode": "rw_mount",
        "path": f"azureml://jobs/{job_name}/outputs/artifacts",
        "type": "uri_folder",
    }
    return paths, records
