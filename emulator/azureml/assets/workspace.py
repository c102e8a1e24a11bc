"""The emulated subscription, `az configure --defaults`, and the Azure resource ids built from them.

All assets live in one namespace under `azureml_dir()`; the workspace only shapes ids, as pipelines
address one workspace at a time. Defaults persist in `azureml_dir()/config.json`.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.assets.names import check_asset_name
from emulator.azureml.assets.records import RecordStore, locked, read_json, write_json
from emulator.azureml.context import Context
from emulator.azureml.errors import AzArgumentError, AzNotFoundError

SUBSCRIPTION_ID = "00000000-0000-0000-0000-000000000000"
TENANT_ID = "00000000-0000-0000-0000-000000000001"
SUBSCRIPTION_NAME = "mlops-emulator"
USER_NAME = "emulator@localhost"
DEFAULT_LOCATION = "local"
PROVIDER = "Microsoft.MachineLearningServices"


@dataclass(frozen=True)
class Workspace:
    """Where a command acts: the ids' subscription, resource group and workspace."""

    subscription: str
    resource_group: str
    name: str
    location: str = DEFAULT_LOCATION

    @property
    def arm_id(self) -> str:
        return (
            f"/subscriptions/{self.subscription}/resourceGroups/{self.resource_group}"
            f"/providers/{PROVIDER}/workspaces/{self.name}"
        )

    def asset_id(self, kind: str, name: str, version: str | None = None) -> str:
        """`azureml:/subscriptions/…/workspaces/W/<kind>/<name>[/versions/<v>]`, as az ml prints ids."""
        tail = f"/{kind}/{name}" + (f"/versions/{version}" if version is not None else "")
        return "azureml:" + self.arm_id + tail

    def resource_id(self, kind: str, name: str) -> str:
        """A plain ARM id (endpoints and deployments are printed without the `azureml:` prefix)."""
        return f"{self.arm_id}/{kind}/{name}"


def config_path(ctx: Context) -> Path:
    return ctx.azureml / "config.json"


def load_defaults(ctx: Context) -> dict[str, str]:
    """The persisted `az configure --defaults` values (group, workspace, location)."""
    data = read_json(config_path(ctx)) or {}
    defaults = data.get("defaults", {})
    return {str(k): str(v) for k, v in defaults.items()}


def save_defaults(ctx: Context, values: dict[str, str]) -> dict[str, str]:
    """Merge `values` into the defaults (an empty value removes the key, as az does)."""
    path = config_path(ctx)
    with locked(path):
        data = read_json(path) or {}
        defaults: dict[str, str] = dict(data.get("defaults", {}))
        for key, value in values.items():
            if value:
                defaults[key] = value
            else:
                defaults.pop(key, None)
        data["defaults"] = defaults
        write_json(path, data)
    return defaults


def resolve_workspace(
    ctx: Context, resource_group: str | None, workspace: str | None, subscription: str | None
) -> Workspace:
    """The workspace a command addresses: explicit options first, then the configured defaults."""
    defaults = load_defaults(ctx)
    group = resource_group or defaults.get("group")
    name = workspace or defaults.get("workspace")
    if not name:
        raise AzArgumentError(
            "the following arguments are required: --workspace-name/-w",
            hint="pass -w/--workspace-name, or set a default with `az configure --defaults workspace=<name>`",
        )
    if not group:
        raise AzArgumentError(
            "the following arguments are required: --resource-group/-g",
            hint="pass -g/--resource-group, or set a default with `az configure --defaults group=<name>`",
        )
    return Workspace(
        subscription=subscription or SUBSCRIPTION_ID,
        resource_group=group,
        name=name,
        location=defaults.get("location", DEFAULT_LOCATION),
    )


def account_record(subscription: str | None = None) -> dict[str, Any]:
    """What `az account show` prints, for a subscription that exists only on this machine."""
    return {
        "environmentName": "AzureCloud",
        "homeTenantId": TENANT_ID,
        "id": subscription or SUBSCRIPTION_ID,
        "isDefault": True,
        "managedByTenants": [],
        "name": SUBSCRIPTION_NAME,
        "state": "Enabled",
        "tenantId": TENANT_ID,
        "user": {"name": USER_NAME, "type": "user"},
    }


def creation_context(created_at: str, modified_at: str | None = None) -> dict[str, str]:
    """The `creation_context` block az ml prints on every asset."""
    return {
        "created_at": created_at,
        "created_by": USER_NAME,
        "created_by_type": "User",
        "last_modified_at": modified_at or created_at,
        "last_modified_by": USER_NAME,
        "last_modified_by_type": "User",
    }


# --- resource groups, workspaces and computes: records only ---------------------------------------

COMPUTE_NOTE = "not provisioned locally: jobs run on this machine whatever compute they name"
WORKSPACE_NOTE = "one local workspace: every asset lives in the state folder whatever workspace is named"


def _groups(ctx: Context) -> RecordStore:
    return RecordStore(
        ctx.azureml / "groups",
        missing=lambda name: AzNotFoundError(
            f"(ResourceGroupNotFound) Resource group '{name}' could not be found.",
            hint=f"create it with `az group create --name {name} --location <location>`",
        ),
    )


def _workspaces(ctx: Context) -> RecordStore:
    return RecordStore(ctx.azureml / "workspaces")


def _computes(ctx: Context, workspace: str) -> RecordStore:
    return RecordStore(
        ctx.azureml / "computes" / workspace,
        missing=lambda name: AzNotFoundError(
            f"compute {name!r} was not found in workspace {workspace}",
            hint=f"create it with `az ml compute create --name {name} --type amlcompute` (a record only)",
        ),
    )


def group_record(
    name: str, location: str, tags: dict[str, str] | None = None, subscription: str | None = None
) -> dict[str, Any]:
    return {
        "id": f"/subscriptions/{subscription or SUBSCRIPTION_ID}/resourceGroups/{name}",
        "location": location,
        "managedBy": None,
        "name": name,
        "properties": {"provisioningState": "Succeeded"},
        "tags": dict(tags or {}),
        "type": "Microsoft.Resources/resourceGroups",
    }


def create_group(
    ctx: Context,
    name: str,
    location: str,
    tags: dict[str, str] | None = None,
    subscription: str | None = None,
) -> dict[str, Any]:
    """`az group create` (idempotent, as in Azure: an existing group is updated)."""
    check_asset_name(name.replace(".", "-").replace("(", "-").replace(")", "-"), "resource group")
    record = group_record(name, location, tags, subscription)
    _groups(ctx).write(name, record)
    return record


def show_group(ctx: Context, name: str) -> dict[str, Any]:
    return _groups(ctx).load(name)


def group_exists(ctx: Context, name: str) -> bool:
    return _groups(ctx).path(name).is_file()


def list_groups(ctx: Context) -> list[dict[str, Any]]:
    return _groups(ctx).all()


def delete_group(ctx: Context, name: str) -> list[str]:
    """Remove the group's record and the workspace/compute records in it; returns the workspaces deleted."""
    show_group(ctx, name)
    removed = []
    for record in list_workspaces(ctx, name):
        delete_workspace(ctx, str(record["name"]), name)
        removed.append(str(record["name"]))
    _groups(ctx).path(name).unlink(missing_ok=True)
    return removed


def workspace_record(ctx: Context, ws: Workspace, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """What `az ml workspace show` prints; `mlflow_tracking_uri` is the local store's."""
    data = dict(extra or {})
    base = f"/subscriptions/{ws.subscription}/resourceGroups/{ws.resource_group}/providers"
    return {
        "application_insights": f"{base}/Microsoft.Insights/components/{ws.name}-insights",
        "container_registry": data.get("container_registry"),
        "description": data.get("description"),
        "discovery_url": "http://127.0.0.1/discovery",
        "display_name": data.get("display_name") or ws.name,
        "enable_data_isolation": False,
        "hbi_workspace": bool(data.get("hbi_workspace", False)),
        "id": ws.arm_id,
        "identity": {"type": "system_assigned"},
        "key_vault": f"{base}/Microsoft.Keyvault/vaults/{ws.name}-kv",
        "location": data.get("location") or ws.location,
        "managed_network": {"isolation_mode": "disabled"},
        "mlflow_tracking_uri": ctx.tracking_uri,
        "name": ws.name,
        "properties": {"emulator.note": WORKSPACE_NOTE, **dict(data.get("properties") or {})},
        "public_network_access": "Enabled",
        "resourceGroup": ws.resource_group,
        "storage_account": f"{base}/Microsoft.Storage/storageAccounts/{ws.name.replace('-', '')}sa",
        "tags": dict(data.get("tags") or {}),
    }


def create_workspace(ctx: Context, ws: Workspace, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """`az ml workspace create`: a record (creating the resource group record if missing)."""
    if not group_exists(ctx, ws.resource_group):
        create_group(ctx, ws.resource_group, (extra or {}).get("location") or ws.location)
    stored = {
        "name": ws.name,
        "resource_group": ws.resource_group,
        "subscription": ws.subscription,
        **{k: v for k, v in (extra or {}).items() if v is not None},
    }
    _workspaces(ctx).write(ws.name, stored)
    return workspace_record(ctx, ws, stored)


def show_workspace(ctx: Context, name: str, group: str, subscription: str | None = None) -> dict[str, Any]:
    """A created workspace, or the configured default one (which exists implicitly unless deleted)."""
    stored = _workspaces(ctx).get(name)
    implicit = load_defaults(ctx).get("workspace") == name
    if stored is None and implicit:
        stored = {"name": name, "resource_group": group, "properties": {"emulator.implicit": "true"}}
    if stored is None or stored.get("deleted"):
        raise AzNotFoundError(
            f"(ResourceNotFound) The Resource 'Microsoft.MachineLearningServices/workspaces/{name}' under "
            f"resource group '{group}' was not found.",
            hint=f"create it with `az ml workspace create --name {name} --resource-group {group}`",
        )
    ws = Workspace(
        subscription=subscription or str(stored.get("subscription") or SUBSCRIPTION_ID),
        resource_group=str(stored.get("resource_group") or group),
        name=name,
        location=str(stored.get("location") or load_defaults(ctx).get("location", DEFAULT_LOCATION)),
    )
    return workspace_record(ctx, ws, stored)


def list_workspaces(ctx: Context, group: str | None = None) -> list[dict[str, Any]]:
    result = []
    names = [str(r["name"]) for r in _workspaces(ctx).all()]
    default = load_defaults(ctx)
    if default.get("workspace") and default["workspace"] not in names:
        names.append(default["workspace"])
    for name in sorted(names):
        stored = _workspaces(ctx).get(name) or {"resource_group": default.get("group", "")}
        if stored.get("deleted"):
            continue
        if group is not None and stored.get("resource_group") != group:
            continue
        result.append(show_workspace(ctx, name, str(stored.get("resource_group") or "")))
    return result


def delete_workspace(ctx: Context, name: str, group: str) -> None:
    """Tombstone the workspace record (assets in the state folder stay) and drop its computes."""
    show_workspace(ctx, name, group)
    _workspaces(ctx).write(name, {"name": name, "resource_group": group, "deleted": True})
    shutil.rmtree(_computes(ctx, name).root, ignore_errors=True)


def compute_record(ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    name = str(data["name"])
    kind = str(data.get("type") or "amlcompute").lower()
    record: dict[str, Any] = {
        "id": f"{ws.arm_id}/computes/{name}",
        "location": data.get("location") or ws.location,
        "name": name,
        "provisioning_state": "Succeeded",
        "resourceGroup": ws.resource_group,
        "tags": {str(k): str(v) for k, v in (data.get("tags") or {}).items()},
        "type": kind,
        "emulator": {"note": COMPUTE_NOTE},
    }
    if data.get("description"):
        record["description"] = data["description"]
    if kind == "amlcompute":
        record.update(
            idle_time_before_scale_down=int(data.get("idle_time_before_scale_down") or 120),
            max_instances=int(data.get("max_instances") or 4),
            min_instances=int(data.get("min_instances") or 0),
            size=str(data.get("size") or "STANDARD_DS3_V2").upper(),
            tier=str(data.get("tier") or "dedicated"),
        )
    elif data.get("size"):
        record["size"] = str(data["size"]).upper()
    record["emulator"]["spec"] = {k: v for k, v in data.items() if k not in ("name", "type")}
    return record


def create_compute(ctx: Context, ws: Workspace, data: dict[str, Any]) -> dict[str, Any]:
    check_asset_name(str(data.get("name") or ""), "compute")
    record = compute_record(ws, data)
    _computes(ctx, ws.name).write(str(record["name"]), record)
    return record


def show_compute(ctx: Context, ws: Workspace, name: str) -> dict[str, Any]:
    return _computes(ctx, ws.name).load(name)


def list_computes(ctx: Context, ws: Workspace, kind: str | None = None) -> list[dict[str, Any]]:
    records = _computes(ctx, ws.name).all()
    return [r for r in records if kind is None or str(r.get("type")) == kind.lower()]


def delete_compute(ctx: Context, ws: Workspace, name: str) -> None:
    show_compute(ctx, ws, name)
    _computes(ctx, ws.name).path(name).unlink(missing_ok=True)


def compute_names(ctx: Context, ws: Workspace) -> set[str]:
    return {str(r["name"]) for r in list_computes(ctx, ws)}
