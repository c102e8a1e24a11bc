"""`az ml model`: models in the MLflow registry (create, show, list, update, archive, restore) and
`package`."""

from __future__ import annotations

from typing import Any

from emulator.azureml.assets import models
from emulator.azureml.assets.yamlspec import parse_set_values
from emulator.azureml.az.commands.arguments import (
    FILE,
    FILE_REQUIRED,
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
from emulator.azureml.serving import packaging


def model_create(inv: Invocation) -> Any:
    ws = inv.workspace()
    name, path, model_type = inv.arg("name"), inv.arg("path"), inv.arg("type")
    version, description = inv.arg("version"), inv.arg("description")
    tags = parse_tags(inv.arg("tags"))
    base = inv.cwd
    if inv.arg("file"):
        spec = read_spec(inv, "model")
        data = spec.data
        name = name or data.get("name")
        model_type = model_type or data.get("type")
        version = version or (str(data["version"]) if data.get("version") is not None else None)
        description = description or data.get("description")
        tags = {**{str(k): str(v) for k, v in (data.get("tags") or {}).items()}, **tags}
        if path is None and data.get("path") is not None:
            path = str(data["path"])
            base = spec.base_dir
    if not name:
        raise AzArgumentError("the following arguments are required: --name/-n")
    if not path:
        raise AzArgumentError("the following arguments are required: --path/-p")
    return models.create_model(
        inv.ctx,
        ws,
        name=str(name),
        path=str(path),
        model_type=str(model_type or "custom_model"),
        version=version,
        description=description,
        tags=tags,
        cwd=base,
        step=models.StepAttempt.current(inv.ctx),
        warn=inv.warn,
    )


def model_show(inv: Invocation) -> Any:
    return models.show_model(
        inv.ctx, inv.workspace(), str(inv.arg("name")), inv.arg("version"), inv.arg("label")
    )


def model_list(inv: Invocation) -> Any:
    return models.list_models(inv.ctx, inv.workspace(), inv.arg("name"), bool(inv.arg("include_archived")))


def _updates(inv: Invocation) -> tuple[str | None, dict[str, str], list[str]]:
    """(description, tags to set, tags to remove) from --set PATH=VALUE, --tags K=V and --remove tags.K."""
    description = inv.arg("description")
    tags = parse_tags(inv.arg("tags"))
    for key, value in parse_set_values(inv.arg("set")):
        if key == "description":
            description = "" if value is None else str(value)
        elif key == "tags" and isinstance(value, dict):
            tags.update({str(k): str(v) for k, v in value.items()})
        elif key.startswith("tags."):
            tags[key[len("tags.") :]] = str(value)
        else:
            raise AzArgumentError(
                f"argument --set: {key!r} cannot be updated",
                hint="only description and tags (tags.<key>=<value>) of a version can change",
            )
    removed = []
    for item in inv.arg("remove") or []:
        if not item.startswith("tags."):
            raise AzArgumentError(f"argument --remove: {item!r} cannot be removed", expected="tags.<key>")
        removed.append(item[len("tags.") :])
    return description, tags, removed


def model_update(inv: Invocation) -> Any:
    ws = inv.workspace()
    description, tags, removed = _updates(inv)
    return models.update_model(
        inv.ctx,
        ws,
        str(inv.arg("name")),
        str(inv.arg("version")),
        description=description,
        tags=tags,
        remove_tags=removed,
    )


def model_archive(inv: Invocation, archived: bool = True) -> Any:
    inv.workspace()
    models.set_archived(inv.ctx, str(inv.arg("name")), inv.arg("version"), archived)
    return None


def model_restore(inv: Invocation) -> Any:
    return model_archive(inv, archived=False)


def model_package(inv: Invocation) -> Any:
    ws = inv.workspace()
    spec = read_spec(inv, "model_package")
    inv.warn("This command is in preview (az ml model package); the emulator writes a Docker build context.")
    return packaging.package_model(
        inv.ctx, ws, name=str(inv.arg("name")), version=inv.arg("version"), spec=spec
    )


COMMANDS: tuple[Command, ...] = (
    Command(
        ("ml", "model", "create"),
        model_create,
        "Register a model version in the MLflow registry.",
        (
            NAME,
            Option(
                ("--path", "-p"), "path", help="local path, azureml://jobs/<job>/outputs/<output> or runs:/"
            ),
            Option(
                ("--type", "-t"),
                "type",
                choices=("custom_model", "mlflow_model", "triton_model"),
                help="type",
            ),
            VERSION,
            Option(("--description", "-d"), "description", help="description"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
            FILE,
            SET,
        ),
    ),
    Command(("ml", "model", "show"), model_show, "Show a model version.", (NAME_REQUIRED, VERSION, LABEL)),
    Command(
        ("ml", "model", "list"),
        model_list,
        "List models (or the versions of one); archived versions are hidden.",
        (
            NAME,
            Option(("--include-archived",), "include_archived", kind="flag", help="list archived ones too"),
        ),
    ),
    Command(
        ("ml", "model", "update"),
        model_update,
        "Change a model version's description or tags.",
        (
            NAME_REQUIRED,
            Option(("--version", "-v"), "version", required=True, help="version"),
            SET,
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ... (added or replaced)"),
            Option(("--description", "-d"), "description", help="new description"),
            Option(("--remove",), "remove", kind="multi", help="tags.<key> to remove"),
            Option(("--add",), "add", kind="multi", help="accepted"),
        ),
    ),
    Command(
        ("ml", "model", "archive"),
        model_archive,
        "Archive a model version (or every version): hidden from list and from @latest.",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(
        ("ml", "model", "restore"),
        model_restore,
        "Restore an archived model version (or every version).",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(
        ("ml", "model", "package"),
        model_package,
        "Package a model as an online-servable Docker build context (preview).",
        (
            NAME_REQUIRED,
            Option(("--version", "-v"), "version", required=True, help="version"),
            FILE_REQUIRED,
            Option(("--skip-validation",), "skip_validation", kind="flag", help="accepted"),
        ),
    ),
)
