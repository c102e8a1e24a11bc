"""`az group` and `az ml workspace`: records only; everything lives in the one local state folder."""

from __future__ import annotations

from typing import Any

from emulator.azureml.assets import workspace
from emulator.azureml.assets.workspace import (
    DEFAULT_LOCATION,
    SUBSCRIPTION_ID,
    Workspace,
    load_defaults,
)
from emulator.azureml.az.commands.arguments import (
    FILE,
    NAME,
    NO_WAIT,
    SET,
    YES,
    confirm_delete,
    parse_tags,
    read_spec,
)
from emulator.azureml.az.parser import Command, Invocation, Option
from emulator.azureml.errors import AzArgumentError


def _group_name(inv: Invocation) -> str:
    name = inv.arg("name") or inv.options.get("resource_group")
    if not name:
        raise AzArgumentError("the following arguments are required: --name/--resource-group/-n/-g")
    return str(name)


def group_create(inv: Invocation) -> Any:
    location = inv.arg("location")
    if not location:
        raise AzArgumentError("the following arguments are required: --location/-l")
    return workspace.create_group(
        inv.ctx, _group_name(inv), str(location), parse_tags(inv.arg("tags")), inv.options.get("subscription")
    )


def group_show(inv: Invocation) -> Any:
    return workspace.show_group(inv.ctx, _group_name(inv))


def group_exists(inv: Invocation) -> Any:
    return workspace.group_exists(inv.ctx, _group_name(inv))


def group_list(inv: Invocation) -> Any:
    return workspace.list_groups(inv.ctx)


def group_delete(inv: Invocation) -> Any:
    name = _group_name(inv)
    workspace.show_group(inv.ctx, name)
    confirm_delete(
        inv, f"resource group {name} (records only: endpoints, jobs and models stay in the state folder)"
    )
    workspace.delete_group(inv.ctx, name)
    return None


def _workspace_target(inv: Invocation) -> Workspace:
    """The workspace `az ml workspace …` addresses: -n (else -w, else the default), -g (else default)."""
    defaults = load_defaults(inv.ctx)
    name = inv.arg("name") or inv.options.get("workspace_name") or defaults.get("workspace")
    group = inv.options.get("resource_group") or defaults.get("group")
    if not name:
        raise AzArgumentError(
            "the following arguments are required: --name/-n",
            hint="or set a default with `az configure --defaults workspace=<name>`",
        )
    if not group:
        raise AzArgumentError(
            "the following arguments are required: --resource-group/-g",
            hint="or set a default with `az configure --defaults group=<name>`",
        )
    return Workspace(
        subscription=inv.options.get("subscription") or SUBSCRIPTION_ID,
        resource_group=str(group),
        name=str(name),
        location=str(inv.arg("location") or defaults.get("location", DEFAULT_LOCATION)),
    )


def workspace_show(inv: Invocation) -> Any:
    ws = _workspace_target(inv)
    return workspace.show_workspace(inv.ctx, ws.name, ws.resource_group, inv.options.get("subscription"))


def workspace_create(inv: Invocation) -> Any:
    extra: dict[str, Any] = {}
    if inv.arg("file"):
        spec = read_spec(inv, "workspace", [("name", inv.arg("name"))] if inv.arg("name") else [])
        for key in ("name", "location", "display_name", "description", "tags", "hbi_workspace"):
            if spec.data.get(key) is not None:
                extra[key] = spec.data[key]
        if spec.data.get("resource_group") and not inv.options.get("resource_group"):
            inv.options["resource_group"] = spec.data["resource_group"]
        if not inv.arg("name") and extra.get("name"):
            inv.args["name"] = extra["name"]
    for key in ("location", "display_name", "description"):
        if inv.arg(key):
            extra[key] = inv.arg(key)
    if inv.arg("tags"):
        extra["tags"] = parse_tags(inv.arg("tags"))
    ws = _workspace_target(inv)
    extra.pop("name", None)
    inv.warn(f"workspace {ws.name} is a record: {workspace.WORKSPACE_NOTE}")
    return workspace.create_workspace(inv.ctx, ws, extra)


def workspace_list(inv: Invocation) -> Any:
    return workspace.list_workspaces(inv.ctx, inv.options.get("resource_group"))


def workspace_delete(inv: Invocation) -> Any:
    ws = _workspace_target(inv)
    workspace.show_workspace(inv.ctx, ws.name, ws.resource_group)
    confirm_delete(inv, f"workspace {ws.name}")
    workspace.delete_workspace(inv.ctx, ws.name, ws.resource_group)
    return None


COMMANDS: tuple[Command, ...] = (
    Command(
        ("ml", "workspace", "show"),
        workspace_show,
        "Show the workspace, with mlflow_tracking_uri = the local MLflow store.",
        (NAME,),
        workspace=False,
    ),
    Command(
        ("ml", "workspace", "create"),
        workspace_create,
        "Record a workspace (everything stays in the one local state folder).",
        (
            NAME,
            FILE,
            SET,
            Option(("--location", "-l"), "location", help="location"),
            Option(("--display-name",), "display_name", help="display name"),
            Option(("--description",), "description", help="description"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
            NO_WAIT,
            Option(("--update-dependent-resources", "-u"), "update_deps", kind="flag", help="accepted"),
        ),
        workspace=False,
    ),
    Command(("ml", "workspace", "list"), workspace_list, "List workspace records.", (), workspace=False),
    Command(
        ("ml", "workspace", "delete"),
        workspace_delete,
        "Delete a workspace record (assets in the state folder stay).",
        (
            NAME,
            YES,
            NO_WAIT,
            Option(("--all-resources",), "all_resources", kind="flag", help="accepted"),
            Option(("--permanently-delete",), "permanently_delete", kind="flag", help="accepted"),
        ),
        workspace=False,
    ),
    Command(
        ("group", "create"),
        group_create,
        "Record a resource group.",
        (
            NAME,
            Option(("--location", "-l"), "location", help="location"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
            Option(("--managed-by",), "managed_by", help="accepted"),
        ),
        workspace=False,
    ),
    Command(("group", "show"), group_show, "Show a resource group record.", (NAME,), workspace=False),
    Command(
        ("group", "exists"), group_exists, "true if the resource group is recorded.", (NAME,), workspace=False
    ),
    Command(("group", "list"), group_list, "List resource group records.", (), workspace=False),
    Command(
        ("group", "delete"),
        group_delete,
        "Delete a resource group record and the workspace/compute records in it.",
        (NAME, YES, NO_WAIT, Option(("--force-deletion-types", "-f"), "force", help="accepted")),
        workspace=False,
    ),
)
