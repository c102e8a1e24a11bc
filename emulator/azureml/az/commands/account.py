"""`az extension`, `az login`, `az account`, `az configure`, `az version`, `az upgrade`: what a
pipeline calls before `az ml`; no-ops or local records."""

from __future__ import annotations

import platform
import sys
from pathlib import Path
from typing import Any

from emulator.azureml.assets.workspace import (
    account_record,
    load_defaults,
    save_defaults,
)
from emulator.azureml.az.commands.arguments import (
    NAME_REQUIRED,
    YES,
)
from emulator.azureml.az.commands.v1 import EXTENSION_NOTE
from emulator.azureml.az.parser import Command, Invocation, Option
from emulator.azureml.errors import AzArgumentError, AzNotEmulatedError

ML_EXTENSION_VERSION = "2.39.0"
AZURE_CLI_VERSION = "2.67.0"
TELEMETRY_VERSION = "1.1.0"


def _extension_record() -> dict[str, Any]:
    return {
        "experimental": False,
        "extensionType": "whl",
        "name": "ml",
        "path": str(Path(__file__).parents[2]),
        "preview": False,
        "version": ML_EXTENSION_VERSION,
        "metadata": {"summary": "Azure ML CLI v2, emulated locally by the MLOps emulator"},
    }


def _check_extension(name: str) -> None:
    if name != "ml":
        raise AzNotEmulatedError(
            f"the extension {name!r} is not emulated; only 'ml' (Azure ML CLI v2) is",
        )


def extension_add(inv: Invocation) -> Any:
    name = str(inv.arg("name", ""))
    if name == "azure-cli-ml":  # CLI v1: recognized, see commands/v1.py
        inv.warn(EXTENSION_NOTE)
        return None
    _check_extension(name)
    return None


def extension_update(inv: Invocation) -> Any:
    """az warns and succeeds when the installed extension is the latest."""
    name = str(inv.arg("name", ""))
    _check_extension(name)
    inv.warn(f"No updates available for '{name}'. Use --debug for more information.")
    return None


def extension_remove(inv: Invocation) -> Any:
    _check_extension(str(inv.arg("name", "")))
    inv.warn("the emulated 'ml' extension is part of the MLOps emulator: it stays installed")
    return None


def upgrade(inv: Invocation) -> Any:
    inv.warn(
        f"az is emulated by the MLOps emulator: azure-cli {AZURE_CLI_VERSION} and its 'ml' extension "
        "come with the emulator, there is nothing to upgrade"
    )
    return None


def extension_show(inv: Invocation) -> Any:
    _check_extension(str(inv.arg("name", "")))
    return _extension_record()


def extension_list(inv: Invocation) -> Any:
    return [_extension_record()]


def login(inv: Invocation) -> Any:
    inv.warn("the Azure ML emulator needs no login: every command runs locally against the state folder")
    return [account_record(inv.options.get("subscription"))]


def account_show(inv: Invocation) -> Any:
    return account_record(inv.options.get("subscription"))


def account_set(inv: Invocation) -> Any:
    return None


def configure(inv: Invocation) -> Any:
    if inv.arg("list_defaults"):
        return [
            {"name": k, "source": "emulator config", "value": v}
            for k, v in sorted(load_defaults(inv.ctx).items())
        ]
    pairs = inv.arg("defaults") or []
    if not pairs:
        raise AzArgumentError(
            "az configure is only emulated with --defaults KEY=VALUE ... or --list-defaults",
            hint="for example: az configure --defaults group=my-rg workspace=my-ws",
        )
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise AzArgumentError(f"argument --defaults: expected KEY=VALUE, got {pair!r}")
        values[key.strip()] = value.strip()
    save_defaults(inv.ctx, values)
    return None


def version(inv: Invocation) -> Any:
    return {
        "azure-cli": AZURE_CLI_VERSION,
        "azure-cli-core": AZURE_CLI_VERSION,
        "azure-cli-telemetry": TELEMETRY_VERSION,
        "emulated": True,
        "extensions": {"ml": ML_EXTENSION_VERSION},
    }


def version_text() -> str:
    """`az --version`: az's text layout (components, extensions, Python), naming the emulator."""

    def row(name: str, value: str) -> str:
        return f"{name:<34}{value:>6}"

    python = f"Python ({platform.system()}) {sys.version}"
    return "\n".join(
        [
            row("azure-cli", AZURE_CLI_VERSION),
            "",
            row("core", AZURE_CLI_VERSION),
            row("telemetry", TELEMETRY_VERSION),
            "",
            "Extensions:",
            row("ml", ML_EXTENSION_VERSION),
            "",
            f"Python location '{sys.executable}'",
            f"Extensions directory '{Path(__file__).parents[2]}'",
            "",
            python,
            "",
            "Emulated locally by the MLOps emulator (emulator.azureml): no Azure subscription is used.",
            "",
            "",
            "Your CLI is up-to-date.",
            "",
        ]
    )


COMMANDS: tuple[Command, ...] = (
    Command(
        ("extension", "add"),
        extension_add,
        "Install an extension (only 'ml' exists; it is built in).",
        (
            NAME_REQUIRED,
            YES,
            Option(("--upgrade",), "upgrade", kind="flag", help="accepted"),
            Option(("--version",), "ext_version", help="accepted"),
            Option(("--allow-preview",), "allow_preview", kind="switch", help="accepted"),
        ),
        workspace=False,
    ),
    Command(
        ("extension", "update"),
        extension_update,
        "Update an extension (the built-in 'ml' is the latest).",
        (
            NAME_REQUIRED,
            Option(("--allow-preview",), "allow_preview", kind="switch", help="accepted"),
            Option(("--version",), "ext_version", help="accepted"),
        ),
        workspace=False,
    ),
    Command(
        ("extension", "remove"),
        extension_remove,
        "Remove an extension (the built-in 'ml' stays).",
        (NAME_REQUIRED, YES),
        workspace=False,
    ),
    Command(
        ("upgrade",),
        upgrade,
        "Nothing to upgrade: the emulated az comes with the emulator.",
        (
            YES,
            Option(("--all",), "all", kind="switch", help="accepted"),
            Option(("--allow-preview",), "allow_preview", kind="switch", help="accepted"),
        ),
        workspace=False,
    ),
    Command(
        ("extension", "show"), extension_show, "Show the 'ml' extension.", (NAME_REQUIRED,), workspace=False
    ),
    Command(("extension", "list"), extension_list, "List extensions.", (), workspace=False),
    Command(
        ("login",),
        login,
        "No-op: the emulator needs no login.",
        (
            Option(("--service-principal",), "sp", kind="flag", help="accepted"),
            Option(("--identity",), "identity", kind="flag", help="accepted"),
            Option(("--username", "-u"), "username", help="accepted"),
            Option(("--password", "-p"), "password", help="accepted"),
            Option(("--tenant", "-t"), "tenant", help="accepted"),
            Option(("--federated-token",), "federated_token", help="accepted"),
            Option(("--allow-no-subscriptions",), "allow_no", kind="flag", help="accepted"),
        ),
        workspace=False,
    ),
    Command(("account", "show"), account_show, "Show the local fake subscription.", (), workspace=False),
    Command(
        ("account", "set"),
        account_set,
        "Accepted; the emulator has one subscription.",
        (Option(("--subscription", "-s", "--name", "-n"), "sub", help="accepted"),),
        workspace=False,
    ),
    Command(
        ("configure",),
        configure,
        "Persist defaults (group, workspace, location).",
        (
            Option(("--defaults", "-d"), "defaults", kind="multi", help="KEY=VALUE ..."),
            Option(("--list-defaults", "-l"), "list_defaults", kind="flag", help="list the defaults"),
            Option(("--scope",), "scope", help="accepted"),
        ),
        workspace=False,
    ),
    Command(("version",), version, "Show versions.", (), workspace=False),
)
