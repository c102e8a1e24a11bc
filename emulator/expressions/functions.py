"""The built-in functions, with the docs' semantics and the measured corrections.

Each function receives the evaluator and its unevaluated arguments, because several of them
decide what to evaluate (`and`/`or`/`in`/`coalesce` short-circuit, `format` only evaluates the
arguments it references). Arguments they skip are still *checked* (`Evaluator.skip`) so that an
unknown function or named value is an error even in a branch that is not taken, as it is in the
service, whose parser rejects them before anything runs.

Runtime-only functions (`always`, `canceled`, `failed`, `succeeded`, `succeededOrFailed`,
`counter`) are not here: the caller supplies them in `EvalContext.functions` where they exist.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from emulator.errors import ExpressionError

from .limits import check_length
from .nodes import Expr
from .values import (
    ARRAY,
    DATETIME,
    NET_WHITESPACE,
    OBJECT,
    STRING,
    cast_error,
    compare,
    equals,
    fold,
    format_datetime_custom,
    kind_of,
    to_bool,
    to_string,
    try_to_string,
    utf16_length,
)


class Evaluator(Protocol):
    """What a built-in may ask of the evaluator."""

    def eval(self, node: Expr) -> Any:
        """Evaluate one argument."""

    def skip(self, nodes: Iterable[Expr]) -> None:
        """Check arguments that are not evaluated (unknown names and functions still fail)."""


Impl = Callable[[Evaluator, tuple[Expr, ...]], Any]


@dataclass(frozen=True, slots=True)
class Builtin:
    """A built-in function: its canonical name, arity (max None = unbounded) and implementation."""

    name: str
    min_args: int
    max_args: int | None
    impl: Impl
    signature: str


def _and(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    for i, arg in enumerate(args):
        if not to_bool(ev.eval(arg)):
            ev.skip(args[i + 1 :])
            return False
    return True


def _or(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    for i, arg in enumerate(args):
        if to_bool(ev.eval(arg)):
            ev.skip(args[i + 1 :])
            return True
    return False


def _not(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return not to_bool(ev.eval(args[0]))


def _xor(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return to_bool(ev.eval(args[0])) != to_bool(ev.eval(args[1]))


def _eq(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return equals(ev.eval(args[0]), ev.eval(args[1]))


def _ne(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return not equals(ev.eval(args[0]), ev.eval(args[1]))


def _gt(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return compare(ev.eval(args[0]), ev.eval(args[1])) > 0


def _ge(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return compare(ev.eval(args[0]), ev.eval(args[1])) >= 0


def _lt(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return compare(ev.eval(args[0]), ev.eval(args[1])) < 0


def _le(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return compare(ev.eval(args[0]), ev.eval(args[1])) <= 0


def _in(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    left = ev.eval(args[0])
    for i in range(1, len(args)):
        if equals(left, ev.eval(args[i])):
            ev.skip(args[i + 1 :])
            return True
    return False


def _not_in(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    return not _in(ev, args)


def _contains(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    # Docs: "Casts parameters to String"; an array on the left is therefore an error [PG].
    left = ev.eval(args[0])
    if kind_of(left) in (ARRAY, OBJECT):
        raise cast_error(left, STRING, hint="to look for an element use containsValue(collection, value)")
    haystack = to_string(left)
    needle = to_string(ev.eval(args[1]))
    return needle in haystack or fold(needle) in fold(haystack)


def _contains_value(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    collection = ev.eval(args[0])
    kind = kind_of(collection)
    if kind != ARRAY and kind != OBJECT:
        ev.skip(args[1:])
        return False
    needle = ev.eval(args[1])
    items = collection.values() if kind == OBJECT else collection
    # Each item is converted to the type of the right parameter (docs containsValue).
    return any(equals(needle, item) for item in items)


def _starts_with(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    text = to_string(ev.eval(args[0]))
    prefix = to_string(ev.eval(args[1]))
    return text.startswith(prefix) or fold(text).startswith(fold(prefix))


def _ends_with(ev: Evaluator, args: tuple[Expr, ...]) -> bool:
    text = to_string(ev.eval(args[0]))
    suffix = to_string(ev.eval(args[1]))
    return text.endswith(suffix) or fold(text).endswith(fold(suffix))


def _coalesce(ev: Evaluator, args: tuple[Expr, ...]) -> Any:
    value: Any = None
    for i, arg in enumerate(args):
        value = ev.eval(arg)
        if value is None or (value == "" and kind_of(value) == STRING):
            continue
        ev.skip(args[i + 1 :])
        return value
    return value


def _parse_format(fmt: str, supplied: int) -> list[str | tuple[int, str]]:
    """Split a format string into literal text and (argument index, specifiers) holes."""

    def invalid() -> ExpressionError:
        return ExpressionError(
            f"The following format string is invalid: {fmt}",
            hint="placeholders look like {0}; write a literal brace as {{ or }}",
        )

    segments: list[str | tuple[int, str]] = []
    index = 0
    while index < len(fmt):
        lbrace = fmt.find("{", index)
        rbrace = fmt.find("}", index)
        if lbrace >= 0 and (rbrace < 0 or rbrace > lbrace):
            if fmt[lbrace + 1 : lbrace + 2] == "{":
                segments.append(fmt[index : lbrace + 1])
                index = lbrace + 2
                continue
            end = lbrace + 1
            while end < len(fmt) and "0" <= fmt[end] <= "9":
                end += 1
            digits = fmt[lbrace + 1 : end].lstrip("0") or ("0" if end > lbrace + 1 else "")
            if rbrace <= lbrace + 1 or not digits or len(digits) > 3 or int(digits) > 255:
                raise invalid()  # the index is a .NET Byte
            arg_index = int(digits)
            specifiers: list[str] = []
            pos = end
            if pos < len(fmt) and fmt[pos] == ":":
                pos += 1
                while True:
                    if pos >= len(fmt):
                        raise invalid()
                    if fmt[pos] != "}":
                        specifiers.append(fmt[pos])
                        pos += 1
                    elif fmt[pos + 1 : pos + 2] == "}":
                        specifiers.append("}")
                        pos += 2
                    else:
                        break
            elif pos >= len(fmt) or fmt[pos] != "}":
                raise invalid()
            if arg_index >= supplied:
                raise ExpressionError(
                    f"The following format string references more arguments than were supplied: {fmt}"
                )
            if lbrace > index:
                segments.append(fmt[index:lbrace])
            segments.append((arg_index, "".join(specifiers)))
            index = pos + 1
        elif rbrace >= 0:
            if fmt[rbrace + 1 : rbrace + 2] != "}":
                raise invalid()
            segments.append(fmt[index : rbrace + 1])
            index = rbrace + 2
        else:
            segments.append(fmt[index:])
            break
    return segments


def _format(ev: Evaluator, args: tuple[Expr, ...]) -> str:
    fmt = to_string(ev.eval(args[0]))
    segments = _parse_format(fmt, len(args) - 1)
    cache: dict[int, tuple[Any, str]] = {}
    out: list[str] = []
    size = 0
    for segment in segments:
        if isinstance(segment, str):
            out.append(segment)
        else:
            arg_index, specifiers = segment
            if arg_index not in cache:
                value = ev.eval(args[arg_index + 1])
                cache[arg_index] = (value, to_string(value))
            value, text = cache[arg_index]
            if not specifiers:
                out.append(text)
            elif kind_of(value) == DATETIME:
                out.append(format_datetime_custom(value, specifiers))
            else:
                raise ExpressionError(
                    f"The format specifiers '{specifiers}' are not valid for objects of type "
                    f"'{kind_of(value)}'"
                )
        size += len(out[-1])
        check_length(size, "The result of format()")
    ev.skip(arg for i, arg in enumerate(args[1:]) if i not in cache)
    return "".join(out)


def _join(ev: Evaluator, args: tuple[Expr, ...]) -> str:
    items = ev.eval(args[1])
    if kind_of(items) == ARRAY:
        if len(items) > 1:
            separator = to_string(ev.eval(args[0]))
        else:
            ev.skip(args[:1])
            separator = ""
        # Complex items become '' (docs join).
        texts = [try_to_string(item) or "" for item in items]
        check_length(sum(map(len, texts)) + len(separator) * (len(texts) - 1), "The result of join()")
        return separator.join(texts)
    ev.skip(args[:1])
    return try_to_string(items) or ""


def _split(ev: Evaluator, args: tuple[Expr, ...]) -> list[str]:
    text = to_string(ev.eval(args[0]))
    delimiter = to_string(ev.eval(args[1]))
    if delimiter == "":
        return [text]  # .NET String.Split with an empty separator does not split
    return text.split(delimiter)


def _replace(ev: Evaluator, args: tuple[Expr, ...]) -> str:
    text = to_string(ev.eval(args[0]))
    old = to_string(ev.eval(args[1]))
    new = to_string(ev.eval(args[2]))
    if old == "":
        # .NET String.Replace rejects an empty oldValue [UNVERIFIED how the service words it].
        raise ExpressionError(
            "String cannot be of zero length. (Parameter 'oldValue')",
            hint="the second parameter of replace() must not be empty",
        )
    if len(new) > len(old):
        check_length(len(text) + text.count(old) * (len(new) - len(old)), "The result of replace()")
    return text.replace(old, new)  # case-sensitive, as measured [PG]


def _net_case(text: str, upper: bool) -> str:
    if text.isascii():
        return text.upper() if upper else text.lower()
    out = []
    for c in text:
        mapped = c.upper() if upper else c.lower()
        out.append(mapped if len(mapped) == 1 else c)  # .NET maps one char to one char
    return "".join(out)


def _lower(ev: Evaluator, args: tuple[Expr, ...]) -> str:
    return _net_case(to_string(ev.eval(args[0])), upper=False)


def _upper(ev: Evaluator, args: tuple[Expr, ...]) -> str:
    return _net_case(to_string(ev.eval(args[0])), upper=True)


def _length(ev: Evaluator, args: tuple[Expr, ...]) -> int:
    value = ev.eval(args[0])
    kind = kind_of(value)
    if kind == ARRAY or kind == OBJECT:
        return len(value)
    return utf16_length(try_to_string(value) or "")


def _json_default(value: Any) -> Any:
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, _dt.datetime):
        return value.isoformat()
    return str(value)


def _convert_to_json(ev: Evaluator, args: tuple[Expr, ...]) -> str:
    value = ev.eval(args[0])
    try:
        text = json.dumps(value, indent=2, ensure_ascii=False, default=_json_default)
    except (ValueError, TypeError, RecursionError) as err:
        raise ExpressionError(f"Unable to convert the value to JSON: {err}") from None
    check_length(len(text), "The result of convertToJson()")
    return text


def _iif(ev: Evaluator, args: tuple[Expr, ...]) -> Any:
    # Both branches are evaluated, as the service does [PG C-E02-049; RS iif-functions-ado-no-short-circuit]:
    # iif(true, 'a', parameters.missing) is an error.
    condition = to_bool(ev.eval(args[0]))
    when_true = ev.eval(args[1])
    when_false = ev.eval(args[2])
    return when_true if condition else when_false


def _trim(ev: Evaluator, args: tuple[Expr, ...]) -> str:
    return to_string(ev.eval(args[0])).strip(NET_WHITESPACE)


def _b(name: str, min_args: int, max_args: int | None, impl: Impl, signature: str) -> tuple[str, Builtin]:
    return name.lower(), Builtin(name, min_args, max_args, impl, signature)


BUILTINS: dict[str, Builtin] = dict(
    [
        _b("and", 2, None, _and, "and(a, b, ...)"),
        _b("or", 2, None, _or, "or(a, b, ...)"),
        _b("not", 1, 1, _not, "not(a)"),
        _b("xor", 2, 2, _xor, "xor(a, b)"),
        _b("eq", 2, 2, _eq, "eq(a, b)"),
        _b("ne", 2, 2, _ne, "ne(a, b)"),
        _b("gt", 2, 2, _gt, "gt(a, b)"),
        _b("ge", 2, 2, _ge, "ge(a, b)"),
        _b("lt", 2, 2, _lt, "lt(a, b)"),
        _b("le", 2, 2, _le, "le(a, b)"),
        _b("in", 2, None, _in, "in(needle, candidate, ...)"),
        _b("notIn", 2, None, _not_in, "notIn(needle, candidate, ...)"),
        _b("contains", 2, 2, _contains, "contains(text, part)"),
        _b("containsValue", 2, 2, _contains_value, "containsValue(arrayOrObject, value)"),
        _b("startsWith", 2, 2, _starts_with, "startsWith(text, prefix)"),
        _b("endsWith", 2, 2, _ends_with, "endsWith(text, suffix)"),
        _b("coalesce", 2, None, _coalesce, "coalesce(a, b, ...)"),
        _b("format", 1, None, _format, "format('text {0}', arg0, ...)"),
        _b("join", 2, 2, _join, "join(separator, array)"),
        _b("split", 2, 2, _split, "split(text, delimiter)"),
        _b("replace", 3, 3, _replace, "replace(text, old, new)"),
        _b("lower", 1, 1, _lower, "lower(text)"),
        _b("upper", 1, 1, _upper, "upper(text)"),
        _b("length", 1, 1, _length, "length(textArrayOrObject)"),
        _b("convertToJson", 1, 1, _convert_to_json, "convertToJson(value)"),
        _b("iif", 3, 3, _iif, "iif(condition, whenTrue, whenFalse)"),
        _b("trim", 1, 1, _trim, "trim(text)"),
    ]
)
"""Built-in functions by lower-cased name (function names ignore case)."""

STATUS_FUNCTIONS = frozenset({"always", "canceled", "failed", "succeeded", "succeededorfailed"})
"""Job-status functions: only in conditions (docs "Job status check functions")."""

RUNTIME_ONLY_FUNCTIONS = STATUS_FUNCTIONS | {"counter"}
"""Functions that exist only at run time; template expressions never supply them."""
