"""The emulated subscription, `az configure --defaults`, and the Azure resource ids built from them.

All assets live in one namespace under `azureml_dir()`; the workspace only shapes ids, as pipelines
address one workspace at a time. Defaults persist in `azureml_dir()/config.json`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.errors import AzArgumentError
from emulator.azureml.storage import locked, read_json, write_json
from emulator.store.paths import azureml_dir

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


def config_path(home: Path | None = None) -> Path:
    return azureml_dir(home) / "config.json"


def load_defaults(home: Path | None = None) -> dict[str, str]:
    """The persisted `az configure --defaults` values (group, workspace, location)."""
    data = read_json(config_path(home)) or {}
    defaults = data.get("defaults", {})
    return {str(k): str(v) for k, v in defaults.items()}


def save_defaults(values: dict[str, str], home: Path | None = None) -> dict[str, str]:
    """Merge `values` into the defaults (an empty value removes the key, as az does)."""
    path = config_path(home)
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
    resource_group: str | None, workspace: str | None, subscription: str | None, home: Path | None = None
) -> Workspace:
    """The workspace a command addresses: explicit options first, then the configured defaults."""
    defaults = load_defaults(home)
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
