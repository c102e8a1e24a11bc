"""The expression AST: small frozen nodes that carry their offset in the expression text.

Why offsets rather than Locations: one parsed expression (cached by text) is evaluated at many
places in many files; the caller's Location is applied only when an error is raised.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class LiteralNode:
    """A boolean, number, version or string literal (there is no null literal)."""

    value: Any
    offset: int


@dataclass(frozen=True, slots=True)
class NameNode:
    """A top-level named value: `parameters`, `variables`, `dependencies`, a loop variable, ..."""

    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class MemberNode:
    """Property dereference `target.name`; offset is that of the name."""

    target: Expr
    name: str
    offset: int


@dataclass(frozen=True, slots=True)
class IndexNode:
    """Indexer `target[index]`; offset is that of the `[`."""

    target: Expr
    index: Expr
    offset: int


@dataclass(frozen=True, slots=True)
class WildcardNode:
    """Filtered array `target.*` or `target[*]`; offset is that of the `*`."""

    target: Expr
    offset: int


@dataclass(frozen=True, slots=True)
class CallNode:
    """A function call; `key` is the lower-cased name (function names ignore case)."""

    name: str
    key: str
    args: tuple[Expr, ...]
    offset: int


Expr = LiteralNode | NameNode | MemberNode | IndexNode | WildcardNode | CallNode
