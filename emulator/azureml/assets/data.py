"""Data assets (`az ml data create|show|list|archive|restore`) and the local datastore behind them.

A data asset version is a record in `azureml_dir()/data/<name>/<version>.json`; its files are copied
(as Azure ML uploads them) into the emulated default datastore, `azureml_dir()/datastores/
workspaceblobstore/LocalUpload/<id>/<file or folder>`. The record's `path` is the datastore URI Azure
ML prints (`azureml://subscriptions/…/datastores/workspaceblobstore/paths/LocalUpload/<id>/…`), and
`azureml://datastores/<store>/paths/<p>` URIs resolve to the same folder, so both work as job inputs.

Types: `uri_file` (one file), `uri_folder` (a folder), `mltable` (a folder holding an `MLTable` file).
"""

from __future__ import annotations

import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.assets.names import check_asset_name
from emulator.azureml.assets.records import RecordStore, locked, utc_now, write_json
from emulator.azureml.assets.uris import DEFAULT_DATASTORE, datastore_dir, local_source, parse_asset_reference
from emulator.azureml.assets.workspace import Workspace, creation_context
from emulator.azureml.context import Context
from emulator.azureml.errors import AzArgumentError, AzError, AzNotFoundError
from emulator.errors import Location

DATA_TYPES = ("uri_file", "uri_folder", "mltable")


@dataclass(frozen=True)
class ResolvedData:
    """A data asset version made concrete: its record and the local file or folder it stands for."""

    name: str
    version: str
    type: str
    local: Path
    record: dict[str, Any]


def data_store(ctx: Context) -> RecordStore:
    """`azureml_dir()/data/<name>/<version>.json`."""
    return RecordStore(ctx.azureml / "data")


def check_type(kind: str, local: Path, what: str) -> Path:
    """The path a job sees for data of type `kind` at `local`; raises when they do not match."""
    if kind == "uri_file" and not local.is_file():
        raise AzError(f"{what}: type uri_file needs a file, but {local} is a folder")
    if kind in ("uri_folder", "mltable") and not local.is_dir():
        if kind == "mltable" and local.name == "MLTable":
            return local.parent
        raise AzError(f"{what}: type {kind} needs a folder, but {local} is a file")
    if kind == "mltable" and not (local / "MLTable").is_file():
        raise AzError(
            f"{what}: type mltable needs a folder holding an MLTable file; none in {local}",
            hint="write an MLTable file (paths + transformations) into the folder, or use type uri_folder",
        )
    return local


def create_data(
    ctx: Context,
    ws: Workspace,
    *,
    name: str,
    path: str,
    kind: str = "uri_folder",
    version: str | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    base: Path,
    source_file: str | None = None,
) -> dict[str, Any]:
    """Register a data asset version, copying its files into the emulated default datastore."""
    check_asset_name(name, "data asset")
    if kind not in DATA_TYPES:
        raise AzArgumentError(f"argument --type: invalid choice: {kind!r}", expected=", ".join(DATA_TYPES))
    source = check_type(kind, local_source(ctx, path, base, "argument --path"), "argument --path")
    store = data_store(ctx)
    with locked(store.folder(name)):
        existing = store.versions(name)
        if version is None:
            version = store.next_version(name)
        if any(str(r.get("version")) == str(version) for r in existing):
            raise AzError(
                f"data asset {name} version {version} already exists",
                hint="data asset versions are immutable: pass another --version (or omit it)",
            )
        upload = uuid.uuid4().hex
        target = datastore_dir(ctx, DEFAULT_DATASTORE) / "LocalUpload" / upload / source.name
        target.parent.mkdir(parents=True)
        if source.is_dir():
            shutil.copytree(source, target, symlinks=False)
        else:
            shutil.copy2(source, target)
        suffix = "/" if source.is_dir() else ""
        created = utc_now()
        record: dict[str, Any] = {
            "creation_context": creation_context(created),
            "description": description,
            "id": ws.asset_id("data", name, version),
            "name": name,
            "path": (
                f"azureml://subscriptions/{ws.subscription}/resourcegroups/{ws.resource_group}"
                f"/workspaces/{ws.name}/datastores/{DEFAULT_DATASTORE}/paths/LocalUpload/{upload}/"
                f"{source.name}{suffix}"
            ),
            "properties": {"emulator.local_path": str(target), "emulator.source_path": path},
            "resourceGroup": ws.resource_group,
            "tags": dict(tags or {}),
            "type": kind,
            "version": str(version),
        }
        if source_file:
            record["properties"]["emulator.source_file"] = source_file
        write_json(store.version_path(name, str(version)), record)
    return record


def _find(ctx: Context, name: str, version: str | None, label: str | None) -> dict[str, Any]:
    versions = data_store(ctx).versions(name)
    if not versions:
        raise AzNotFoundError(
            f"data asset {name!r} was not found in the emulated workspace",
            hint="register it with `az ml data create --name <name> --path <path> --type uri_folder`",
        )
    if version is None:
        if label not in (None, "latest"):
            raise AzArgumentError(f"label {label!r} is not supported; only 'latest' is")
        active = [r for r in versions if not r.get("archived")]
        if not active:
            raise AzNotFoundError(f"every version of data asset {name!r} is archived")
        return active[-1]
    for record in versions:
        if str(record.get("version")) == str(version):
            return record
    raise AzNotFoundError(
        f"data asset {name!r} has no version {version!r}",
        hint=f"versions: {', '.join(str(r['version']) for r in versions)}",
    )


def _view(record: dict[str, Any]) -> dict[str, Any]:
    view = {k: v for k, v in record.items() if k != "archived"}
    if record.get("archived"):
        view["stage"] = "Archived"
    return view


def show_data(
    ctx: Context, name: str, version: str | None = None, label: str | None = None
) -> dict[str, Any]:
    if version is None and label is None:
        raise AzArgumentError("either --version/-v or --label/-l is required")
    return _view(_find(ctx, name, version, label))


def list_data(ctx: Context, name: str | None = None, include_archived: bool = False) -> list[dict[str, Any]]:
    """Every version of `name` (newest first), or the latest version of each asset."""
    store = data_store(ctx)
    if name is not None:
        versions = [r for r in store.versions(name) if include_archived or not r.get("archived")]
        return [_view(r) for r in reversed(versions)]
    result: list[dict[str, Any]] = []
    for asset in store.names():
        versions = [r for r in store.versions(asset) if include_archived or not r.get("archived")]
        if versions:
            latest = versions[-1]
            result.append(
                {
                    "creation_context": latest["creation_context"],
                    "description": latest.get("description"),
                    "latest_version": latest["version"],
                    "name": latest["name"],
                    "tags": latest.get("tags", {}),
                    "type": latest.get("type"),
                }
            )
    return result


def set_archived(ctx: Context, name: str, version: str | None, archived: bool) -> None:
    """Archive (or restore) one version, or every version when `version` is None."""
    store = data_store(ctx)
    with locked(store.folder(name)):
        versions = store.versions(name)
        if not versions:
            _find(ctx, name, version, None)
        targets = [r for r in versions if version is None or str(r.get("version")) == str(version)]
        if not targets:
            _find(ctx, name, version, None)
        for record in targets:
            record["archived"] = archived
            write_json(store.version_path(name, str(record["version"])), record)


def parse_reference(reference: str) -> tuple[str, str | None, str | None]:
    return parse_asset_reference(reference, "data", "data asset")


def resolve_data(ctx: Context, reference: str, location: Location | None = None) -> ResolvedData:
    """`azureml:name:version` / `azureml:name@latest` as the local copy of the asset's files."""
    name, version, label = parse_reference(reference)
    if version is None and label is None:
        label = "latest"
    try:
        record = _find(ctx, name, version, label)
    except AzError as exc:
        raise type(exc)(exc.message, location, hint=exc.hint) from None
    local = Path(str((record.get("properties") or {}).get("emulator.local_path", "")))
    if not local.exists():
        raise AzError(f"the files of data asset {name}:{record['version']} are missing: {local}", location)
    return ResolvedData(name, str(record["version"]), str(record.get("type")), local, record)
