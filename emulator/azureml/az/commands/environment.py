"""`az ml environment`: register, show and list environment versions."""

from __future__ import annotations

from typing import Any

from emulator.azureml.assets import environments
from emulator.azureml.az.commands.arguments import (
    FILE_REQUIRED,
    LABEL,
    NAME,
    NAME_REQUIRED,
    SET,
    VERSION,
    read_spec,
)
from emulator.azureml.az.parser import Command, Invocation
from emulator.azureml.errors import AzArgumentError


def environment_create(inv: Invocation) -> Any:
    ws = inv.workspace()
    extra = [(k, inv.arg(k)) for k in ("name", "version") if inv.arg(k)]
    spec = read_spec(inv, "environment", extra)
    return environments.create_environment(
        inv.ctx, ws, spec, name=inv.arg("name"), version=inv.arg("version")
    )


def environment_show(inv: Invocation) -> Any:
    inv.workspace()
    if inv.arg("version") is None and inv.arg("label") is None:
        raise AzArgumentError("either --version/-v or --label/-l is required")
    return environments.show_environment(inv.ctx, str(inv.arg("name")), inv.arg("version"), inv.arg("label"))


def environment_list(inv: Invocation) -> Any:
    inv.workspace()
    return environments.list_environments(inv.ctx, inv.arg("name"))


COMMANDS: tuple[Command, ...] = (
    Command(
        ("ml", "environment", "create"),
        environment_create,
        "Register an environment version.",
        (FILE_REQUIRED, NAME, VERSION, SET),
    ),
    Command(
        ("ml", "environment", "show"),
        environment_show,
        "Show an environment version.",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(("ml", "environment", "list"), environment_list, "List environments.", (NAME,)),
)
