"""Directive keys: `${{ if }}`, `${{ elseif }}`, `${{ else }}`, `${{ each x in y }}`, `${{ insert }}`.

Recognised as the service recognises them [PG C-E03-100..113]: lower-case keywords, mapping keys only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from emulator.errors import Location, TemplateError
from emulator.expressions import BUILTINS, find_template_expressions
from emulator.yamlio import DIRECTIVE_DUPLICATE_MARK, YMap, location_of

KEYWORDS = frozenset({"if", "elseif", "else", "each", "insert"})
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass(frozen=True, slots=True)
class Directive:
    """A recognised directive key: its keyword and, for `if`/`elseif`/`each`, its expression."""

    kind: str
    expression: str = ""
    offset: int = 0  # where `expression` starts in the key text
    variable: str = ""  # the `each` loop variable


def expression_units(text: str) -> list[tuple[str, int]]:
    """Split a directive's inner text into top-level expression units (white space at depth 0,
    outside strings) - the service counts parameters this way [PG C-E03-101/104]."""
    units: list[tuple[str, int]] = []
    depth = 0
    quoted = False
    start = -1
    for i, c in enumerate(text):
        if quoted:
            if c == "'":
                quoted = False
            continue
        if c.isspace() and depth == 0:
            if start >= 0:
                units.append((text[start:i], start))
                start = -1
            continue
        if start < 0:
            start = i
        if c == "'":
            quoted = True
        elif c in "([":
            depth += 1
        elif c in ")]" and depth > 0:
            depth -= 1
    if start >= 0:
        units.append((text[start:], start))
    return units


def directive_of(key: str, loc: Location) -> Directive | None:
    """The directive a mapping key spells, None for any other key; malformed directives raise.

    Keywords are lower-case only: `${{ IF x }}` is an ordinary expression key [PG C-E03-100].
    """
    text = key.split(DIRECTIVE_DUPLICATE_MARK, 1)[0]
    if not (text.startswith("${{") and text.endswith("}}")):
        return None
    segments = find_template_expressions(text, loc)
    if len(segments) != 1 or segments[0].kind != "expr":
        return None
    inner, base = segments[0].text, segments[0].offset
    units = expression_units(inner)
    if not units or units[0][0] not in KEYWORDS:
        return None
    keyword = units[0][0]
    rest = units[1:]
    if keyword in ("if", "elseif"):
        if not rest:
            return None  # `${{ if }}` is the expression `if`: Unrecognized value 'if' [PG C-E03-102]
        start = rest[0][1]
        return Directive(keyword, inner[start:].rstrip(), base + start)
    if keyword in ("else", "insert"):
        if rest:
            raise TemplateError(
                f"Exactly 0 parameter(s) were expected following the directive '{keyword}'. "
                f"Actual parameter count: {len(rest)}",
                loc,
                hint="write `${{ elseif <condition> }}` for a further condition"
                if keyword == "else"
                else "`${{ insert }}` takes no parameters",
            )
        return Directive(keyword)
    if len(rest) != 3:
        raise TemplateError(
            "Exactly 3 parameter(s) were expected following the directive 'each'. "
            f"Actual parameter count: {len(rest)}",
            loc,
            expected="${{ each <identifier> in <collection> }}",
        )
    (name, name_offset), (word, word_offset), (collection, coll_offset) = rest
    if word != "in":
        raise TemplateError(
            f"The value '{word}' is unexpected. The expected format of an 'each' expression "
            "is: ${ each <identifier> in <value> }",
            loc.shifted(base + word_offset),
            hint="the separator is the lower-case word 'in'",
        )
    if name.lower() in BUILTINS:
        raise TemplateError(
            f"Expected '(' to follow a function: '{name}'",
            loc.shifted(base + name_offset),
            hint="a loop variable can't be named like a function",
        )
    if not _IDENTIFIER.match(name):
        raise TemplateError(
            f"The value '{name}' is unexpected. The expected format of an 'each' expression "
            "is: ${ each <identifier> in <value> }",
            loc.shifted(base + name_offset),
            expected="a name of letters, digits and '_', not starting with a digit",
        )
    return Directive("each", collection, base + coll_offset, name)


def is_directive_text(value: str) -> bool:
    """A scalar that spells a directive: not a directive outside key position [PG C-E03-112/173]."""
    if not (value.startswith("${{") and value.endswith("}}")):
        return False
    inner = value[3:-2].strip()
    word = inner.split(None, 1)[0] if inner else ""
    return word in KEYWORDS


def first_directive(node: Any) -> Location | None:
    if isinstance(node, dict):
        key_locs = node.key_locs if isinstance(node, YMap) else {}
        for key, value in node.items():
            if key.startswith("${{") and is_directive_text(key.split(DIRECTIVE_DUPLICATE_MARK, 1)[0]):
                return key_locs.get(key) or location_of(node) or Location("<unknown>")
            found = first_directive(value)
            if found is not None:
                return found
    elif isinstance(node, list):
        for item in node:
            found = first_directive(item)
            if found is not None:
                return found
    return None
