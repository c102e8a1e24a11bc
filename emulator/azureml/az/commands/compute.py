"""`az ml compute`: records only; nothing is provisioned, jobs run on this machine."""

from __future__ import annotations

from typing import Any

from emulator.azureml.assets import workspace
from emulator.azureml.az.commands.arguments import (
    FILE,
    NAME,
    NAME_REQUIRED,
    NO_WAIT,
    SET,
    YES,
    confirm_delete,
    parse_tags,
    read_spec,
)
from emulator.azureml.az.parser import Command, Invocation, Option
from emulator.azureml.errors import AzArgumentError


def compute_create(inv: Invocation) -> Any:
    ws = inv.workspace()
    values: dict[str, Any] = {}
    if inv.arg("file"):
        spec = read_spec(inv, "compute", [("name", inv.arg("name"))] if inv.arg("name") else [])
        values.update(spec.data)
    flags = {
        "name": "name",
        "type": "type",
        "size": "size",
        "min_instances": "min_instances",
        "max_instances": "max_instances",
        "idle_time_before_scale_down": "idle_time_before_scale_down",
        "tier": "tier",
        "location": "location",
        "description": "description",
    }
    for dest, key in flags.items():
        if inv.arg(dest) is not None:
            values[key] = inv.arg(dest)
    for key in ("min_instances", "max_instances", "idle_time_before_scale_down"):
        if values.get(key) is not None and not str(values[key]).isdigit():
            raise AzArgumentError(f"argument --{key.replace('_', '-')}: invalid int value: {values[key]!r}")
    if not values.get("name"):
        raise AzArgumentError("the following arguments are required: --name/-n (or --file)")
    if inv.arg("tags"):
        values["tags"] = parse_tags(inv.arg("tags"))
    inv.warn(f"compute {values['name']} is a record only: {workspace.COMPUTE_NOTE}")
    return workspace.create_compute(inv.ctx, ws, values)


def compute_show(inv: Invocation) -> Any:
    return workspace.show_compute(inv.ctx, inv.workspace(), str(inv.arg("name")))


def compute_list(inv: Invocation) -> Any:
    return workspace.list_computes(inv.ctx, inv.workspace(), inv.arg("type"))


def compute_delete(inv: Invocation) -> Any:
    ws = inv.workspace()
    workspace.show_compute(inv.ctx, ws, str(inv.arg("name")))
    confirm_delete(inv, f"compute {inv.arg('name')}")
    workspace.delete_compute(inv.ctx, ws, str(inv.arg("name")))
    return None


COMMANDS: tuple[Command, ...] = (
    Command(
        ("ml", "compute", "create"),
        compute_create,
        "Record a compute target (not provisioned: jobs run on this machine).",
        (
            NAME,
            FILE,
            SET,
            NO_WAIT,
            Option(
                ("--type", "-t"),
                "type",
                choices=("amlcompute", "computeinstance", "virtualmachine", "kubernetes"),
                help="compute type",
            ),
            Option(("--size", "-s"), "size", help="VM size"),
            Option(("--min-instances",), "min_instances", help="minimum nodes"),
            Option(("--max-instances",), "max_instances", help="maximum nodes"),
            Option(("--idle-time-before-scale-down",), "idle_time_before_scale_down", help="seconds"),
            Option(("--tier",), "tier", help="dedicated or low_priority"),
            Option(("--location", "-l"), "location", help="location"),
            Option(("--description", "-d"), "description", help="description"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
        ),
    ),
    Command(("ml", "compute", "show"), compute_show, "Show a compute record.", (NAME_REQUIRED,)),
    Command(
        ("ml", "compute", "list"),
        compute_list,
        "List compute records.",
        (Option(("--type", "-t"), "type", help="only this type"),),
    ),
    Command(
        ("ml", "compute", "delete"),
        compute_delete,
        "Delete a compute record.",
        (NAME_REQUIRED, YES, NO_WAIT),
    ),
)
