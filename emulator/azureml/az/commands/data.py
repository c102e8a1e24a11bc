"""`az ml data`: data assets copied into the emulated datastore (create, show, list, archive, restore)."""

from __future__ import annotations

from typing import Any

from emulator.azureml.assets import data
from emulator.azureml.az.commands.arguments import (
    FILE,
    LABEL,
    NAME,
    NAME_REQUIRED,
    SET,
    VERSION,
    parse_tags,
    read_spec,
)
from emulator.azureml.az.parser import Command, Invocation, Option
from emulator.azureml.errors import AzArgumentError


def data_create(inv: Invocation) -> Any:
    ws = inv.workspace()
    name, path, kind = inv.arg("name"), inv.arg("path"), inv.arg("type")
    version, description = inv.arg("version"), inv.arg("description")
    tags = parse_tags(inv.arg("tags"))
    base, source = inv.cwd, None
    if inv.arg("file"):
        extra = [(k, inv.arg(k)) for k in ("name", "version", "path", "type", "description") if inv.arg(k)]
        spec = read_spec(inv, "data", extra)
        values = spec.data
        name = name or values.get("name")
        kind = kind or values.get("type")
        version = version or (str(values["version"]) if values.get("version") is not None else None)
        description = description or values.get("description")
        tags = {**{str(k): str(v) for k, v in (values.get("tags") or {}).items()}, **tags}
        if path is None and values.get("path") is not None:
            path = str(values["path"])
            base = spec.base_dir
        source = str(spec.path)
    if not name:
        raise AzArgumentError("the following arguments are required: --name/-n")
    if not path:
        raise AzArgumentError("the following arguments are required: --path/-p")
    return data.create_data(
        inv.ctx,
        ws,
        name=str(name),
        path=str(path),
        kind=str(kind or "uri_folder"),
        version=str(version) if version is not None else None,
        description=description,
        tags=tags,
        base=base,
        source_file=source,
    )


def data_show(inv: Invocation) -> Any:
    inv.workspace()
    return data.show_data(inv.ctx, str(inv.arg("name")), inv.arg("version"), inv.arg("label"))


def data_list(inv: Invocation) -> Any:
    inv.workspace()
    return data.list_data(inv.ctx, inv.arg("name"), bool(inv.arg("include_archived")))


def data_archive(inv: Invocation, archived: bool = True) -> Any:
    inv.workspace()
    data.set_archived(inv.ctx, str(inv.arg("name")), inv.arg("version"), archived)
    return None


def data_restore(inv: Invocation) -> Any:
    return data_archive(inv, archived=False)


COMMANDS: tuple[Command, ...] = (
    Command(
        ("ml", "data", "create"),
        data_create,
        "Register a data asset version (files copied into the emulated datastore).",
        (
            NAME,
            FILE,
            SET,
            VERSION,
            Option(("--path", "-p"), "path", help="local file/folder, azureml://jobs/<job>/outputs/<o>"),
            Option(("--type", "-t"), "type", choices=("uri_file", "uri_folder", "mltable"), help="type"),
            Option(("--description", "-d"), "description", help="description"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
            Option(("--datastore",), "datastore", help="accepted (one local datastore)"),
            Option(("--skip-validation",), "skip_validation", kind="flag", help="accepted"),
        ),
    ),
    Command(("ml", "data", "show"), data_show, "Show a data asset version.", (NAME_REQUIRED, VERSION, LABEL)),
    Command(
        ("ml", "data", "list"),
        data_list,
        "List data assets (or the versions of one); archived versions are hidden.",
        (
            NAME,
            Option(("--include-archived",), "include_archived", kind="flag", help="list archived ones too"),
        ),
    ),
    Command(
        ("ml", "data", "archive"),
        data_archive,
        "Archive a data asset version (or every version).",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(
        ("ml", "data", "restore"),
        data_restore,
        "Restore an archived data asset version (or every version).",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
)
