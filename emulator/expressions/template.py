"""Finding `${{ ... }}` holes in a YAML scalar.

Why quote-aware: the hole ends at the first `}}` that is not inside a single-quoted string, so
`${{ 'my${{value' }}` and `${{ format('{{0}}') }}` are one hole each (docs template-expressions.md,
"escape"; the same scanning rule as actions/runner TemplateReader).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from emulator.errors import ExpressionError, Location

from .parser import syntax_error_location

OPEN = "${{"
CLOSE = "}}"


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a scalar: literal `text`, or an `expr` hole.

    For a hole, `text` is everything between `${{` and `}}` (white space included) and `offset` is
    the index of its first character in the scalar, so `location.shifted(offset)` is where
    `evaluate_text(segment.text, ...)` should report errors. For text, `offset` is where it starts.
    """

    kind: Literal["text", "expr"]
    text: str
    offset: int


def find_template_expressions(text: str, location: Location | None = None) -> list[Segment]:
    """Split a scalar into text and `${{ }}` holes (empty text pieces are left out).

    An opened but unclosed hole is an error, as in the service ("The expression is not closed...").
    """
    segments: list[Segment] = []
    index = 0
    n = len(text)
    while index < n:
        start = text.find(OPEN, index)
        if start < 0:
            break
        end = -1
        in_string = False
        i = start + len(OPEN)
        while i < n:
            c = text[i]
            if c == "'":
                in_string = not in_string  # '' inside a string toggles twice: still inside
            elif not in_string and c == "}" and text[i - 1] == "}" and i - 1 >= start + len(OPEN):
                end = i - 1
                break
            i += 1
        if end < 0:
            raise ExpressionError(
                "The expression is not closed. An unescaped ${{ sequence was found, but the closing }} "
                "sequence was not found.",
                syntax_error_location(start, location),
                hint="close it with }}; a }} inside a quoted string does not count",
            )
        if start > index:
            segments.append(Segment("text", text[index:start], index))
        inner = start + len(OPEN)
        segments.append(Segment("expr", text[inner:end], inner))
        index = end + len(CLOSE)
    if index < n:
        segments.append(Segment("text", text[index:], index))
    return segments


def is_lone_expression(segments: list[Segment]) -> bool:
    """True when the scalar is exactly one hole (no text around it, not even white space); such a
    value is inserted as is (objects and arrays structurally), otherwise each hole is stringified
    (semantics notes 1.4 "Lone vs mixed")."""
    return len(segments) == 1 and segments[0].kind == "expr"
