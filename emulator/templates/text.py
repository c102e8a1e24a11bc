"""Where a character of a scalar sits in its file, and how values are named in messages."""

from __future__ import annotations

from typing import Any

from emulator.errors import Location
from emulator.templates.parameters import to_text


def hole_location(text: str, offset: int, loc: Location | None) -> Location | None:
    """Where character `offset` of a scalar sits in its file: quotes shift by one, block scalars
    start on the next line (their indentation read from the file when an error is shown)."""
    if loc is None:
        return None
    style = getattr(text, "style", None)
    newlines = text.count("\n", 0, offset)
    if style in ("|", ">"):
        line_start = text.rfind("\n", 0, offset) + 1
        line = loc.line + 1 + newlines if loc.line else 0
        indent = _block_indent(loc, line)
        return Location(loc.file, line, indent + offset - line_start + 1 if line else 0)
    if newlines:
        line_start = text.rfind("\n", 0, offset) + 1
        return Location(loc.file, loc.line + newlines if loc.line else 0, offset - line_start + 1)
    return loc.shifted(offset + (1 if style in ("'", '"') else 0))


def _block_indent(loc: Location, line: int) -> int:
    try:
        text = Location(loc.file, line).source_line()
    except (OSError, ValueError):  # pragma: no cover - source_line already guards reads
        text = None
    if text is None:
        return 0
    return len(text) - len(text.lstrip(" "))


def kind_name(value: Any) -> str:
    if value is None:
        return "empty"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return f"the text '{clip(to_text(value))}'"


def clip(text: str) -> str:
    return text if len(text) <= 500 else text[:500] + "[...]"
