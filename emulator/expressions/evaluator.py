"""Evaluation of a parsed expression against named values and caller-supplied functions.

Why a recursive walk over the cached AST: templates evaluate very many small expressions; a walk
with `type(node) is ...` dispatch and no per-node allocation is the cheapest honest design.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import ExpressionError, Location, did_you_mean

from .functions import BUILTINS, STATUS_FUNCTIONS
from .nodes import CallNode, Expr, IndexNode, LiteralNode, MemberNode, NameNode, WildcardNode
from .parser import parse, syntax_error_location
from .values import ARRAY, OBJECT, CaseInsensitiveDict, fold, kind_of, try_to_number, try_to_string

_MISSING: Any = object()


@dataclass(frozen=True)
class EvalContext:
    """What an expression can see.

    `named`: the top-level names (`parameters`, `variables`, `dependencies`, `stageDependencies`,
    `pipeline`, loop variables, ...), looked up ignoring case. `functions`: functions the caller
    supplies beyond the built-ins (status functions and `counter` at run time); a call to anything
    else is "Unrecognized function name". `location`: where the expression text starts, for errors.
    """

    named: Mapping[str, Any]
    functions: Mapping[str, Callable[..., Any]] = field(default_factory=dict)
    location: Location | None = None


class FilteredArray(list[Any]):
    """The result of `x.*`: a property or index applied to it is applied to each of its items."""

    __slots__ = ()


_ARITY_CACHE: dict[Any, tuple[int, int | None] | None] = {}


def _arity(fn: Callable[..., Any]) -> tuple[int, int | None] | None:
    """(min, max) positional parameters of a supplied function, or None if it can't be told."""
    try:
        return _ARITY_CACHE[fn]
    except KeyError:
        pass
    except TypeError:  # unhashable callable
        return None
    result: tuple[int, int | None] | None
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        result = None
    else:
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        required = sum(1 for p in positional if p.default is p.empty)
        variadic = any(p.kind is p.VAR_POSITIONAL for p in params)
        result = (required, None if variadic else len(positional))
    if len(_ARITY_CACHE) < 4096:
        _ARITY_CACHE[fn] = result
    return result


def _unknown_function_hint(name: str, candidates: Iterable[str]) -> str | None:
    key = name.lower()
    if key in STATUS_FUNCTIONS:
        return (
            "status functions (always, canceled, failed, succeeded, succeededOrFailed) are only "
            "available at run time: in a condition: or a $[ ] expression, not in ${{ }}"
        )
    if key == "counter":
        return "counter() is only available at run time, in a variable defined as $[ counter(prefix, seed) ]"
    return did_you_mean(name, list(candidates))


class _Evaluation:
    """One evaluation: the context and the Location errors are relative to."""

    __slots__ = ("ctx", "base")

    def __init__(self, ctx: EvalContext, base: Location | None) -> None:
        self.ctx = ctx
        self.base = base

    def error(self, message: str, offset: int, hint: str | None = None) -> ExpressionError:
        return ExpressionError(message, syntax_error_location(offset, self.base), hint=hint)

    def relocate(self, err: ExpressionError, offset: int) -> ExpressionError:
        return ExpressionError(
            err.message,
            syntax_error_location(offset, self.base),
            expected=err.expected,
            hint=err.hint,
        )

    # --- the walk ------------------------------------------------------------------------------

    def eval(self, node: Expr) -> Any:
        if isinstance(node, LiteralNode):
            return node.value
        if isinstance(node, CallNode):
            return self.call(node)
        if isinstance(node, MemberNode):
            return self.lookup(self.eval(node.target), node.name, node.offset)
        if isinstance(node, NameNode):
            return self.name(node)
        if isinstance(node, IndexNode):
            target = self.eval(node.target)
            return self.lookup(target, self.eval(node.index), node.offset)
        return self.wildcard(self.eval(node.target))

    def name(self, node: NameNode) -> Any:
        named = self.ctx.named
        try:
            return named[node.name]
        except KeyError:
            pass
        wanted = fold(node.name)
        for key, value in named.items():
            if isinstance(key, str) and fold(key) == wanted:
                return value
        if node.name.lower() == "null":
            hint: str | None = (
                "there is no null literal; a missing key (variables['noSuch']) evaluates to Null"
            )
        else:
            names = [str(key) for key in named]
            hint = did_you_mean(node.name, names) or (
                "available here: " + ", ".join(names) if names else None
            )
        raise self.error(f"Unrecognized value: '{node.name}'", node.offset, hint)

    def lookup(self, target: Any, index: Any, offset: int) -> Any:
        """`target.name` / `target[index]`: a miss is Null (except in a strict mapping)."""
        if type(target) is FilteredArray:
            return self.lookup_each(target, index)
        kind = kind_of(target)
        if kind == OBJECT:
            key = index if type(index) is str else try_to_string(index)
            if key is None:
                return None
            if isinstance(target, CaseInsensitiveDict):
                value = target.get(key, _MISSING)
                if value is _MISSING:
                    if target.strict:
                        raise self.error(
                            f"Key not found '{key}'",
                            offset,
                            did_you_mean(key, list(target)) or "parameters must be declared to be read",
                        )
                    return None
                return value
            try:
                return target[key]
            except (KeyError, TypeError):
                return None
        if kind == ARRAY:
            number = try_to_number(index)
            if number is None or not 0 <= number < len(target):  # also rejects NaN
                return None
            return target[int(number)]
        return None

    def lookup_each(self, items: FilteredArray, index: Any) -> FilteredArray:
        """Apply a property or index to every item of a filtered array, dropping misses."""
        result = FilteredArray()
        key: str | None = _MISSING
        number: int | float | None = _MISSING
        for item in items:
            kind = kind_of(item)
            if kind == OBJECT:
                if key is _MISSING:
                    key = try_to_string(index)
                if key is not None:
                    value = item.get(key, _MISSING) if isinstance(item, Mapping) else _MISSING
                    if value is not _MISSING:
                        result.append(value)
            elif kind == ARRAY:
                if number is _MISSING:
                    number = try_to_number(index)
                if number is not None and 0 <= number < len(item):
                    result.append(item[int(number)])
        return result

    def wildcard(self, target: Any) -> FilteredArray:
        """`x.*` / `x[*]`: the items of an array or the values of an object, flattened one level
        when applied to a filtered array; anything else gives an empty array."""
        if type(target) is FilteredArray:
            result = FilteredArray()
            for item in target:
                kind = kind_of(item)
                if kind == OBJECT:
                    result.extend(item.values())
                elif kind == ARRAY:
                    result.extend(item)
            return result
        kind = kind_of(target)
        if kind == OBJECT:
            return FilteredArray(target.values())
        if kind == ARRAY:
            return FilteredArray(target)
        return FilteredArray()

    def supplied(self, node: CallNode) -> Callable[..., Any]:
        functions = self.ctx.functions
        fn = functions.get(node.name) if functions else None
        if fn is None and functions:
            for name, candidate in functions.items():
                if isinstance(name, str) and name.lower() == node.key:
                    fn = candidate
                    break
        if fn is None:
            names = [b.name for b in BUILTINS.values()] + list(functions)
            raise self.error(
                f"Unrecognized function name: '{node.name}'",
                node.offset,
                _unknown_function_hint(node.name, names),
            )
        arity = _arity(fn)
        if arity is not None:
            least, most = arity
            if len(node.args) < least:
                raise self.error(f"Too few parameters supplied: '{node.name}'", node.offset)
            if most is not None and len(node.args) > most:
                raise self.error(f"Too many parameters supplied: '{node.name}'", node.offset)
        return fn

    def call(self, node: CallNode) -> Any:
        builtin = BUILTINS.get(node.key)
        try:
            if builtin is not None:
                return builtin.impl(self, node.args)
            fn = self.supplied(node)
            return fn(*[self.eval(arg) for arg in node.args])
        except ExpressionError as err:
            if err.location is None:
                raise self.relocate(err, node.offset) from None
            raise

    # --- checking what is not evaluated ------------------------------------------------------------

    def skip(self, nodes: Iterable[Expr]) -> None:
        for node in nodes:
            self.check(node)

    def check(self, node: Expr) -> None:
        """Fail on unknown names and functions in an argument that is not evaluated."""
        if isinstance(node, NameNode):
            self.name(node)
        elif isinstance(node, CallNode):
            if node.key not in BUILTINS:
                self.supplied(node)
            self.skip(node.args)
        elif isinstance(node, IndexNode):
            self.check(node.target)
            self.check(node.index)
        elif isinstance(node, (MemberNode, WildcardNode)):
            self.check(node.target)


def _finish(value: Any) -> Any:
    return list(value) if type(value) is FilteredArray else value


def evaluate(expr: Expr, context: EvalContext) -> Any:
    """Evaluate a parsed expression. Errors point into the expression relative to
    `context.location` (or `<expression>:1:<col>` without one)."""
    return _finish(_Evaluation(context, context.location).eval(expr))


def check_names(expr: Expr, context: EvalContext) -> None:
    """Raise, without evaluating anything, what evaluation would raise for a function or a top-level
    name the context does not have (`mlops validate` checks run-time expressions this way)."""
    _Evaluation(context, context.location).check(expr)


def evaluate_text(text: str, context: EvalContext, location: Location | None = None) -> Any:
    """Parse (cached by text) and evaluate; `location` overrides `context.location`."""
    base = location if location is not None else context.location
    return _finish(_Evaluation(context, base).eval(parse(text, base)))
