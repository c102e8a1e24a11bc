"""Listing commands (`runs`, `endpoints`, `recipes list`) the way the Azure CLI prints lists:
`-o table|json|yaml|tsv` and `--query` (JMESPath, applied to the JSON before it is printed)
[DOC learn.microsoft.com/cli/azure/format-output-azure-cli, query-azure-cli]. And tables that are never
cut to 80 columns when stdout is not a terminal (CI logs, pipes): they print at their full width.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping, Sequence
from typing import Any

import jmespath
import jmespath.exceptions
import yaml
from rich.console import Console, RenderableType
from rich.markup import escape
from rich.measure import Measurement
from rich.table import Table

from emulator.errors import MlopsError

OUTPUTS = ("table", "json", "yaml", "tsv")
_UNBOUNDED = 100_000  # columns: wider than any table


def add_arguments(sp: argparse.ArgumentParser, nested: bool = False) -> None:
    """`-o/--output` and `--query`; `nested`: a sub-command repeating its parent's options."""
    default: Any = argparse.SUPPRESS if nested else None
    sp.add_argument(
        "-o",
        "--output",
        choices=OUTPUTS,
        default=default,
        help="table (default), json, yaml or tsv, as the Azure CLI prints",
    )
    sp.add_argument(
        "--query",
        metavar="JMESPATH",
        default=default,
        help="a JMESPath query applied to the JSON before it is printed (as az --query)",
    )


def print_wide(console: Console, renderable: RenderableType) -> None:
    """On a terminal as usual; elsewhere at the renderable's full width, so nothing is cut or wrapped."""
    if console.is_terminal:
        console.print(renderable)
        return
    widest = Measurement.get(console, console.options.update_width(_UNBOUNDED), renderable).maximum
    width = console.width
    console.width = max(width, min(widest, _UNBOUNDED))  # print(width=) can't exceed the console's
    try:
        console.print(renderable)
    finally:
        console.width = width


def show(
    console: Console, items: Sequence[Mapping[str, Any]], args: argparse.Namespace, table: Table
) -> None:
    """Print a list: `table` is how it looks by default; `items` its JSON (what -o and --query see)."""
    data: Any = [dict(item) for item in items]
    query = getattr(args, "query", None)
    if query:
        try:
            data = jmespath.search(query, data)
        except jmespath.exceptions.JMESPathError as exc:
            raise MlopsError(
                f"--query {query!r} is not a valid JMESPath query: {exc}",
                None,
                hint="e.g. --query \"[?result=='failed'].id\"",
            ) from None
    output = getattr(args, "output", None) or "table"
    if output == "json":
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    elif output == "yaml":
        sys.stdout.write(yaml.safe_dump(json.loads(json.dumps(data, default=str)), sort_keys=False))
    elif output == "tsv":
        sys.stdout.write("".join(f"{line}\n" for line in _tsv(data)))
    elif query:
        _table_of(console, data, str(table.title or ""))
    else:
        print_wide(console, table)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, default=str)
    return str(value)


def _tsv(data: Any) -> list[str]:
    """As az prints tsv: a line per item of a list, an object's scalar values tab-separated (nested
    values left out)."""
    if isinstance(data, list):
        return [line for item in data for line in _tsv(item)]
    if isinstance(data, dict):
        return ["\t".join(_cell(v) for v in data.values() if not isinstance(v, (dict, list)))]
    return [_cell(data)]


def _table_of(console: Console, data: Any, title: str) -> None:
    """The table of what a query returned: a column per key of its objects, else one value per row."""
    rows = data if isinstance(data, list) else [data]
    keys = list(dict.fromkeys(k for row in rows if isinstance(row, dict) for k in row))
    table = Table(title=title)
    for key in keys or ["result"]:
        table.add_column(key)
    for row in rows:
        if isinstance(row, dict):
            table.add_row(*(escape(_cell(row.get(k))) for k in keys))
        else:
            table.add_row(escape(_cell(row)))
    print_wide(console, table)
