"""Options several command groups share, and reading them: the YAML file with `--set` overrides,
`--tags`, the confirmation az asks before deleting."""

from __future__ import annotations

import sys
from typing import Any

from emulator.azureml.assets.yamlspec import Spec, load_spec, parse_set_values, resolve_file
from emulator.azureml.az.parser import Invocation, Option
from emulator.azureml.errors import AzArgumentError, AzError

NAME = Option(("--name", "-n"), "name", help="name")
NAME_REQUIRED = Option(("--name", "-n"), "name", required=True, help="name")
FILE = Option(("--file", "-f"), "file", help="local path to the YAML file")
FILE_REQUIRED = Option(("--file", "-f"), "file", required=True, help="local path to the YAML file")
SET = Option(("--set",), "set", kind="multi", help="override YAML fields: PATH=VALUE (dotted paths)")
VERSION = Option(("--version", "-v"), "version", help="version")
LABEL = Option(("--label", "-l"), "label", help="label (only 'latest')")
YES = Option(("--yes", "-y"), "yes", kind="flag", help="do not prompt for confirmation")
NO_WAIT = Option(("--no-wait",), "no_wait", kind="flag", help="accepted; the emulator always waits")


def read_spec(inv: Invocation, kind: str, extra: list[tuple[str, Any]] | None = None) -> Spec:
    path = resolve_file(str(inv.arg("file")), inv.cwd)
    overrides = parse_set_values(inv.arg("set"))
    return load_spec(kind, path, overrides + (extra or []))


def confirm_delete(inv: Invocation, what: str) -> None:
    """az prompts before deleting; without a terminal it refuses unless --yes is given."""
    if inv.arg("yes"):
        return
    if not sys.stdin.isatty():
        raise AzArgumentError(
            "Unable to prompt for confirmation as no tty available. Use --yes.",
            hint=f"add --yes to delete {what} without a prompt",
        )
    inv.stderr.write(f"Are you sure you want to delete {what}? (y/n): ")
    inv.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise AzError("Operation cancelled.")


def parse_tags(values: list[str] | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in values or []:
        key, _, value = item.partition("=")
        tags[key] = value
    return tags


def deployment_overrides(inv: Invocation) -> list[tuple[str, Any]]:
    extra: list[tuple[str, Any]] = []
    if inv.arg("name"):
        extra.append(("name", inv.arg("name")))
    if inv.arg("endpoint_name"):
        extra.append(("endpoint_name", inv.arg("endpoint_name")))
    return extra
