"""Lexer and parser for the Azure Pipelines expression language.

The grammar follows the service's parser (the one the docs describe and [PG C-E02-001..014]
measured): literals, named values, `.name` / `.*` / `[index]` / `[*]` access, and function calls;
no operators and no parenthesised grouping. Error texts use the service's wording
("Unexpected symbol: ')'. Located at position 6 within expression: eq(1,)."), and every error
carries the offset of the offending token so the caller can point at the right column.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from emulator.errors import ExpressionError, Location

from .functions import BUILTINS
from .nodes import CallNode, Expr, IndexNode, LiteralNode, MemberNode, NameNode, WildcardNode
from .values import NET_WHITESPACE, Version, parse_number_literal

MAX_DEPTH = 50
"""Open functions plus open indexers; the 50th is an error (actions/runner ExpressionConstants)."""

_PUNCTUATION = frozenset("[(]),.")
_STOPS = _PUNCTUATION | frozenset(NET_WHITESPACE)
_WHITESPACE = frozenset(NET_WHITESPACE)
_IDENT_START = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ_")
_IDENT_CHARS = _IDENT_START | frozenset("0123456789")
_OPERATOR_CHARS = frozenset("=!&|<>+~^%/?:")

_NO_OPERATORS_HINT = (
    "Azure Pipelines expressions have no operators; use functions: eq(a, b), ne(a, b), "
    "and(a, b), or(a, b), not(a), gt(a, b)"
)


class ExpressionSyntaxError(Exception):
    """A parse failure at an offset; parse() turns it into an ExpressionError with a Location."""

    def __init__(self, message: str, offset: int, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset
        self.hint = hint


@dataclass(frozen=True, slots=True)
class _Token:
    kind: str  # '[' '(' ']' ')' ',' '*' '.' str num ver bool id prop bad
    raw: str
    offset: int
    value: object = None


def _is_identifier(word: str) -> bool:
    return bool(word) and word[0] in _IDENT_START and all(c in _IDENT_CHARS for c in word)


def tokenize(text: str) -> list[_Token]:
    """Split an expression into tokens the way the service's lexer does.

    Notable rules: a word runs to the next white space or punctuation (so `a-b`, `==` and `1e3`
    are single, malformed words); `.` starts a number only where a value may start.
    """
    tokens: list[_Token] = []
    n = len(text)
    i = 0
    last: _Token | None = None
    while True:
        while i < n and text[i] in _WHITESPACE:
            i += 1
        if i >= n:
            return tokens
        c = text[i]
        start = i
        if c in "[(]),*":
            token = _Token(c, c, i)
            i += 1
        elif c == "'":
            i += 1
            chars: list[str] = []
            closed = False
            while i < n:
                ch = text[i]
                i += 1
                if ch == "'":
                    if i < n and text[i] == "'":
                        i += 1
                    else:
                        closed = True
                        break
                chars.append(ch)
            raw = text[start:i]
            token = _Token("str", raw, start, "".join(chars)) if closed else _Token("bad", raw, start)
        elif c == "." and last is not None and last.kind not in (",", "[", "("):
            token = _Token(".", c, i)
            i += 1
        elif c == "-" or c == "." or "0" <= c <= "9":
            i += 1
            while i < n and (text[i] not in _STOPS or text[i] == "."):
                i += 1
            raw = text[start:i]
            token = _number_token(raw, start)
        else:
            i += 1
            while i < n and text[i] not in _STOPS:
                i += 1
            raw = text[start:i]
            if not _is_identifier(raw):
                token = _Token("bad", raw, start)
            elif last is not None and last.kind == ".":
                token = _Token("prop", raw, start)
            elif raw.lower() == "true":
                token = _Token("bool", raw, start, True)
            elif raw.lower() == "false":
                token = _Token("bool", raw, start, False)
            else:
                token = _Token("id", raw, start)
        tokens.append(token)
        last = token


def _number_token(raw: str, offset: int) -> _Token:
    if raw.count(".") >= 2:
        version = Version.parse(raw) if all(c in "0123456789." for c in raw) else None
        return _Token("ver", raw, offset, version) if version else _Token("bad", raw, offset)
    number = parse_number_literal(raw)
    return _Token("bad", raw, offset) if number is None else _Token("num", raw, offset, number)


class _Parser:
    """Recursive descent over the token list; depth is bounded by MAX_DEPTH, so is recursion."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = tokenize(text)
        self.pos = 0

    def fail(self, description: str, token: _Token, hint: str | None = None) -> ExpressionSyntaxError:
        message = (
            f"{description}: '{token.raw}'. Located at position {token.offset + 1} "
            f"within expression: {self.text}."
        )
        return ExpressionSyntaxError(message, token.offset, hint)

    def unexpected(self, token: _Token) -> ExpressionSyntaxError:
        hint = None
        if token.kind == "(":
            hint = "parentheses only follow a function name; expressions have no grouping"
        elif token.kind == "bad":
            return self.unrecognized(token)
        elif token.kind in ("str", "num", "ver", "bool", "id"):
            hint = "a value can't follow another value; inside a function, separate arguments with ','"
        return self.fail("Unexpected symbol", token, hint)

    def unrecognized(self, token: _Token, *, after_dot: bool = False) -> ExpressionSyntaxError:
        raw = token.raw
        hint: str | None = None
        if raw[0] in _OPERATOR_CHARS:
            hint = _NO_OPERATORS_HINT
        elif raw[0] == '"':
            hint = "strings are written in single quotes: 'text' (a quote inside is written '')"
        elif raw[0] == "'":
            hint = "the string is not closed; write a single quote inside a string as ''"
        elif raw[0] in "-.0123456789":
            hint = "numbers look like 1, -1.5 or .5 (no exponent, no hex); versions like 1.2.3 or 1.2.3.4"
        elif "-" in raw and raw[0] in _IDENT_START:
            hint = f"'-' is not allowed in a property name; use the indexer: ['{raw}']"
        if after_dot:
            return self.fail("Unexpected symbol", token, hint)
        return self.fail("Unrecognized value", token, hint)

    def peek(self) -> _Token | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def parse(self) -> Expr:
        if not self.tokens:
            raise ExpressionSyntaxError(
                "Expected an expression", 0, "write a literal, a named value or a function call"
            )
        node = self.value(0, None)
        token = self.peek()
        if token is not None:
            raise self.unexpected(token)
        return node

    def end_of_input(self, container: _Token | None) -> ExpressionSyntaxError:
        if container is None:
            return ExpressionSyntaxError("Unexpected end of expression", len(self.text))
        if container.kind == "[":
            return self.fail("Unclosed indexer", container, "add the closing ']'")
        return self.fail("Unclosed function", container, "add the closing ')'")

    def value(self, depth: int, container: _Token | None) -> Expr:
        token = self.peek()
        if token is None:
            raise self.end_of_input(container)
        self.pos += 1
        kind = token.kind
        if kind in ("str", "num", "ver", "bool"):
            return LiteralNode(token.value, token.offset)
        if kind == "bad":
            raise self.unrecognized(token)
        if kind != "id":
            raise self.unexpected(token)
        following = self.peek()
        node: Expr
        if following is not None and following.kind == "(":
            node = self.call(token, depth)
        elif token.raw.lower() in BUILTINS:
            raise self.fail(
                "Expected '(' to follow a function",
                token,
                f"call it: {BUILTINS[token.raw.lower()].name}(...)",
            )
        else:
            node = NameNode(token.raw, token.offset)
        return self.postfix(node, depth)

    def call(self, name: _Token, depth: int) -> Expr:
        if depth + 1 >= MAX_DEPTH:
            raise self.depth_error(name)
        self.pos += 1  # the '('
        args: list[Expr] = []
        token = self.peek()
        if token is not None and token.kind == ")":
            self.pos += 1
        else:
            while True:
                args.append(self.value(depth + 1, name))
                token = self.peek()
                if token is None:
                    raise self.end_of_input(name)
                self.pos += 1
                if token.kind == ")":
                    break
                if token.kind != ",":
                    raise self.unexpected(token)
        key = name.raw.lower()
        builtin = BUILTINS.get(key)
        if builtin is not None:
            if len(args) < builtin.min_args:
                raise self.arity_error("Too few parameters supplied", name, builtin.signature)
            if builtin.max_args is not None and len(args) > builtin.max_args:
                raise self.arity_error("Too many parameters supplied", name, builtin.signature)
        return CallNode(name.raw, key, tuple(args), name.offset)

    def arity_error(self, description: str, name: _Token, signature: str) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(
            f"{description}: '{name.raw}'. Located at position {name.offset + 1} within expression: "
            f"{self.text}.",
            name.offset,
            f"usage: {signature}",
        )

    def depth_error(self, token: _Token) -> ExpressionSyntaxError:
        return ExpressionSyntaxError(
            f"Exceeded max expression depth {MAX_DEPTH}",
            token.offset,
            f"functions and indexers may nest at most {MAX_DEPTH - 1} deep",
        )

    def postfix(self, node: Expr, depth: int) -> Expr:
        while True:
            token = self.peek()
            if token is None:
                return node
            if token.kind == ".":
                self.pos += 1
                name = self.peek()
                if name is None:
                    raise self.fail("Expected a property name to follow the dereference operator '.'", token)
                self.pos += 1
                if name.kind == "prop":
                    node = MemberNode(node, name.raw, name.offset)
                elif name.kind == "*":
                    node = WildcardNode(node, name.offset)
                else:
                    raise (
                        self.unexpected(name)
                        if name.kind != "bad"
                        else self.unrecognized(name, after_dot=True)
                    )
            elif token.kind == "[":
                if depth + 1 >= MAX_DEPTH:
                    raise self.depth_error(token)
                self.pos += 1
                inner = self.peek()
                if inner is not None and inner.kind == "*":
                    self.pos += 1
                    node = WildcardNode(node, inner.offset)
                else:
                    node = IndexNode(node, self.value(depth + 1, token), token.offset)
                close = self.peek()
                if close is None:
                    raise self.end_of_input(token)
                self.pos += 1
                if close.kind != "]":
                    raise self.unexpected(close)
            else:
                return node


@functools.lru_cache(maxsize=8192)
def parse_offsets(text: str) -> Expr:
    """Parse without a Location (cached by text); raises ExpressionSyntaxError with an offset."""
    return _Parser(text).parse()


def syntax_error_location(offset: int, location: Location | None) -> Location:
    """The column of an offset inside the expression text."""
    if location is None:
        return Location("<expression>", 1, offset + 1)
    return location.shifted(offset)


def parse(text: str, location: Location | None = None) -> Expr:
    """Parse an expression (the text inside `${{ }}`, `$[ ]` or a `condition:`).

    `location` is where the first character of `text` sits in its file; a syntax error points at
    the offending column inside the expression.
    """
    try:
        return parse_offsets(text)
    except ExpressionSyntaxError as err:
        raise ExpressionError(
            err.message, syntax_error_location(err.offset, location), hint=err.hint
        ) from None
