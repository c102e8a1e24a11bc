"""The public API: parse/evaluate/evaluate_text, locations, caller-supplied functions, the AST."""

from __future__ import annotations

import dataclasses
import time
from typing import Any

import pytest

from emulator.errors import ExpressionError, Location
from emulator.expressions import (
    CallNode,
    CaseInsensitiveDict,
    EvalContext,
    IndexNode,
    LiteralNode,
    MemberNode,
    NameNode,
    StrictMapping,
    WildcardNode,
    evaluate,
    evaluate_text,
    parse,
)

CTX = EvalContext({"parameters": StrictMapping({"env": "prod", "n": 2}), "variables": CaseInsensitiveDict()})


def test_parse_builds_frozen_nodes_with_offsets() -> None:
    expr = parse("eq(parameters['env'], variables.x.*)")
    assert isinstance(expr, CallNode) and expr.name == "eq" and expr.offset == 0
    index, wildcard = expr.args
    assert isinstance(index, IndexNode) and index.offset == 13
    assert isinstance(index.target, NameNode) and index.target.offset == 3
    assert isinstance(index.index, LiteralNode) and index.index.value == "env"
    assert isinstance(wildcard, WildcardNode) and wildcard.offset == 34
    assert isinstance(wildcard.target, MemberNode) and wildcard.target.name == "x"
    with pytest.raises(dataclasses.FrozenInstanceError):
        expr.name = "ne"  # type: ignore[misc]


def test_parse_is_cached_by_text() -> None:
    assert parse("eq(1, 2)") is parse("eq(1, 2)")


def test_syntax_error_column_is_inside_the_expression() -> None:
    with pytest.raises(ExpressionError) as info:
        parse("eq(1,)", Location("azure-pipelines.yml", 7, 12))
    assert info.value.location == Location("azure-pipelines.yml", 7, 17)
    assert "Located at position 6 within expression: eq(1,)" in info.value.message
    with pytest.raises(ExpressionError) as info:
        parse("eq(1,)")
    assert info.value.location == Location("<expression>", 1, 6)


def test_evaluation_errors_use_the_context_location_or_the_override() -> None:
    ctx = dataclasses.replace(CTX, location=Location("t.yml", 3, 5))
    with pytest.raises(ExpressionError) as info:
        evaluate(parse("parameters.nope"), ctx)
    assert info.value.location == Location("t.yml", 3, 16)
    with pytest.raises(ExpressionError) as info:
        evaluate_text("parameters.nope", ctx, Location("u.yml", 1, 1))
    assert info.value.location == Location("u.yml", 1, 12)


def test_top_level_names_ignore_case_in_a_plain_dict() -> None:
    ctx = EvalContext({"Parameters": {"a": 1}})
    assert evaluate_text("parameters.a", ctx) == 1
    assert evaluate_text("PARAMETERS['a']", ctx) == 1


def test_unknown_name_hint() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_text("paramters.env", CTX)
    assert info.value.message == "Unrecognized value: 'paramters'"
    assert info.value.hint == "did you mean 'parameters'?"


def test_status_function_hint_at_template_time() -> None:
    with pytest.raises(ExpressionError) as info:
        evaluate_text("and(succeeded(), eq(1, 1))", CTX)
    assert info.value.message == "Unrecognized function name: 'succeeded'"
    assert info.value.hint is not None and "only available at run time" in info.value.hint
    with pytest.raises(ExpressionError) as info:
        evaluate_text("counter('a', 1)", CTX)
    assert info.value.hint is not None and "$[ counter(prefix, seed) ]" in info.value.hint


def test_supplied_functions_are_called_with_values_and_ignore_case() -> None:
    calls: list[tuple[Any, ...]] = []

    def succeeded(*names: str) -> bool:
        calls.append(names)
        return True

    ctx = dataclasses.replace(
        CTX, functions={"succeeded": succeeded, "Counter": lambda prefix, seed: seed + 1}
    )
    assert evaluate_text("and(Succeeded(), eq(parameters.env, 'prod'))", ctx) is True
    assert evaluate_text("succeeded('A', format('{0}', 'B'))", ctx) is True
    assert calls == [(), ("A", "B")]
    assert evaluate_text("counter(parameters.env, 100)", ctx) == 101


def test_supplied_function_arity_and_errors_get_a_location() -> None:
    def boom(value: Any) -> Any:
        raise ExpressionError(f"bad {value}")

    ctx = dataclasses.replace(CTX, functions={"counter": lambda prefix, seed: 0, "boom": boom})
    with pytest.raises(ExpressionError, match="Too few parameters supplied: 'counter'"):
        evaluate_text("counter('x')", ctx)
    with pytest.raises(ExpressionError, match="Too many parameters supplied: 'counter'"):
        evaluate_text("counter('x', 1, 2)", ctx)
    with pytest.raises(ExpressionError) as info:
        evaluate_text("not(boom(1))", ctx)
    assert info.value.message == "bad 1"
    assert info.value.location == Location("<expression>", 1, 5)


def test_skipped_branches_are_still_checked() -> None:
    # The service rejects unknown names and functions while parsing, so a branch that is not
    # taken does not hide them (notes 1.4: syntax errors are fatal even in a false `if`).
    with pytest.raises(ExpressionError, match="Unrecognized value: 'nope'"):
        evaluate_text("and(false, nope.x)", CTX)
    with pytest.raises(ExpressionError, match="Unrecognized function name: 'always'"):
        evaluate_text("coalesce('a', always())", CTX)
    with pytest.raises(ExpressionError, match="Unrecognized function name: 'x'"):
        evaluate_text("format('{0}', 'a', x())", CTX)
    # ...but a missing *key* in a branch that is not taken is fine [RS referenced-missing-parameter-ok].
    assert evaluate_text("or(true, parameters.missing)", CTX) is True


def test_filtered_array_result_is_a_plain_list() -> None:
    ctx = EvalContext({"foo": [{"id": 1, "x": [1, 2]}, {"id": 2, "x": [3]}, "s"]})
    result = evaluate_text("foo.*.id", ctx)
    assert type(result) is list and result == [1, 2]
    assert evaluate_text("foo.*.x.*", ctx) == [1, 2, 3]
    assert evaluate_text("foo.*.x[0]", ctx) == [1, 3]
    assert evaluate_text("length(foo.*.nope)", ctx) == 0
    assert evaluate_text("foo[0].nope.*", ctx) == []


def test_evaluation_is_fast_enough_for_templates() -> None:
    texts = ["eq(parameters.env, 'prod')", "parameters.n", "and(ne(parameters.n, 3), not(variables.x))"]
    for text in texts:
        evaluate_text(text, CTX)
    count = 30_000
    start = time.perf_counter()
    for i in range(count):
        evaluate_text(texts[i % 3], CTX)
    per_second = count / (time.perf_counter() - start)
    assert per_second > 20_000, f"{per_second:.0f} evaluations/s"
