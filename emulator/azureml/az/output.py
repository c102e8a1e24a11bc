"""`--query` and `-o/--output` the way the Azure CLI (knack) renders command results.

Pipelines parse these bytes (`--query name -o tsv`), so the rules follow knack exactly: JSON is sorted
with a 2-space indent, TSV prints scalars bare and rows tab-separated, `table` shows scalar columns.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from typing import Any

from emulator.azureml.errors import AzArgumentError

FORMATS = ("json", "jsonc", "tsv", "table", "yaml", "yamlc", "none")
_TABLE_SKIP_KEYS = ("id", "type", "etag")


def apply_query(result: Any, query: str | None) -> Any:
    """Apply a JMESPath query; an invalid expression is an argument error, as in az."""
    if not query:
        return result
    import jmespath
    from jmespath.exceptions import JMESPathError

    try:
        expression = jmespath.compile(query)
    except JMESPathError as exc:
        raise AzArgumentError(
            f"argument --query: invalid jmespath_type value: {query!r}",
            hint=str(exc).splitlines()[0] if str(exc) else None,
        ) from exc
    return expression.search(result, jmespath.Options(dict_cls=OrderedDict))


def render(result: Any, output: str = "json", query: str | None = None) -> str:
    """The text az prints on stdout for `result` (empty when the result is None, as az does)."""
    value = apply_query(result, query)
    if value is None:
        return ""
    fmt = output.lower()
    if fmt in ("json", "jsonc"):
        return format_json(value)
    if fmt in ("yaml", "yamlc"):
        return format_yaml(value)
    if fmt == "tsv":
        return format_tsv(value)
    if fmt == "table":
        return format_table(value, sort_keys=not query)
    if fmt == "none":
        return ""
    raise AzArgumentError(
        f"argument --output/-o: invalid choice: '{output}' (choose from {', '.join(FORMATS)})"
    )


def format_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, separators=(",", ": ")) + "\n"


def format_yaml(value: Any) -> str:
    import yaml

    plain = json.loads(json.dumps(value))
    return str(yaml.safe_dump(plain, default_flow_style=False, allow_unicode=True))


def _tsv_cell(value: Any) -> str:
    if isinstance(value, list):
        return str(len(value))
    if isinstance(value, dict):
        return ""
    return value if isinstance(value, str) else str(value)


def format_tsv(value: Any) -> str:
    """knack's TSV: one line per list item; dicts give their values (sorted by key unless queried)."""
    rows = value if isinstance(value, list) else [value]
    lines: list[str] = []
    for row in rows:
        if isinstance(row, OrderedDict):
            lines.append("\t".join(_tsv_cell(v) for v in row.values()))
        elif isinstance(row, dict):
            lines.append("\t".join(_tsv_cell(v) for _, v in sorted(row.items())))
        elif isinstance(row, list):
            lines.append("\t".join(_tsv_cell(v) for v in row))
        elif isinstance(row, bool):
            lines.append(str(row).lower())
        else:
            lines.append(_tsv_cell(row))
    return "".join(line + "\n" for line in lines)


def _table_row(item: Any, sort_keys: bool) -> OrderedDict[str, Any]:
    row: OrderedDict[str, Any] = OrderedDict()
    if isinstance(item, dict):
        keys = sorted(item) if sort_keys else list(item)
        for key in keys:
            if key in _TABLE_SKIP_KEYS:
                continue
            cell = item[key]
            if cell is not None and not isinstance(cell, (list, dict, set)):
                row[key[:1].upper() + key[1:]] = cell
    elif isinstance(item, list):
        for index, cell in enumerate(item):
            row[f"Column{index + 1}"] = cell
    else:
        row["Result"] = item
    return row


def format_table(value: Any, sort_keys: bool = True) -> str:
    """tabulate's `simple` format as az uses it: headers, dashes, left-aligned cells."""
    rows = [_table_row(item, sort_keys) for item in (value if isinstance(value, list) else [value])]
    headers: list[str] = []
    for row in rows:
        for key in row:
            if key not in headers:
                headers.append(key)
    if not headers:
        return "\n" if not rows else ""
    cells = [[_table_cell(row.get(h)) for h in headers] for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    for r in cells:
        lines.append("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())
    return "\n".join(lines) + "\n"


def _table_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    return str(value)
