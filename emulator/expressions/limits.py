"""How large a value may grow: no string beyond what the service allows a whole pipeline.

Why: a tiny file can ask for an enormous value (40 nested `replace()` calls doubling a string, 31
variables that each repeat the previous one twice). The service allows 20 MB of memory while it parses
a pipeline [DOC templates.md "Imposed limits"; semantics notes §2], so no single value can be larger: a
string is refused before it is built once it would pass 20 MB as the service holds it (UTF-16, two bytes
a character), with a located message instead of minutes of swapping and a MemoryError.
"""

from __future__ import annotations

from emulator.errors import ExpressionError, Location

MAX_STRING_LENGTH = 10 * 1024 * 1024
"""Characters: 20 MB as UTF-16."""


def check_length(length: int, what: str, location: Location | None = None) -> None:
    """Refuse a string of `length` characters before building it."""
    if length > MAX_STRING_LENGTH:
        raise ExpressionError(
            f"{what} would be {length:,} characters long, more than the {MAX_STRING_LENGTH:,} characters "
            "(20 MB) the service allows for a whole pipeline",
            location,
            hint="a value that grows like this (nested replace(), variables that repeat each other) can't "
            "run on Azure Pipelines either; build it from smaller parts",
        )
