"""Property tests: whatever the text, the result is a value or an ExpressionError that points into it."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import ExpressionError, Location
from emulator.expressions import (
    BUILTINS,
    CaseInsensitiveDict,
    EvalContext,
    StrictMapping,
    evaluate_text,
    find_template_expressions,
    to_string,
)

CONTEXT = EvalContext(
    {
        "parameters": StrictMapping({"a": "x", "n": 1, "list": ["p", "q"], "obj": {"k": [1, {"z": None}]}}),
        "variables": CaseInsensitiveDict({"v": "1,000", "empty": ""}),
        "deps": {"A": {"result": "Succeeded"}},
    }
)
BASE = Location("pipeline.yml", 5, 9)


def _check(text: str, location: Location | None) -> Any:
    try:
        return evaluate_text(text, CONTEXT, location)
    except ExpressionError as err:
        assert err.location is not None
        first = 1 if location is None else location.col
        assert err.location.file == ("<expression>" if location is None else location.file)
        assert first <= err.location.col <= first + len(text), (text, err.location, err.message)
        return err


ALPHABET = st.sampled_from(
    list("abcdeqnotrulf_-0123456789.,()[]*' \"=!&|{}$\t\n") + ["eq", "parameters", "variables"]
)


@given(st.text())
def test_arbitrary_text(text: str) -> None:
    _check(text, None)
    _check(text, BASE)


@given(st.lists(ALPHABET, max_size=40).map("".join))
def test_expression_alphabet_soup(text: str) -> None:
    _check(text, BASE)


def _leaf() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(
            ["true", "False", "1", "-2.5", ".5", "1.2.3", "''", "'a''b'", "'x,y'", "null", "1e3"]
        ),
        st.sampled_from(
            [
                "parameters.a",
                "parameters.n",
                "parameters.list",
                "parameters['list'][1]",
                "parameters.obj.k.*",
                "parameters.obj.*.*.z",
                "parameters.missing",
                "variables.v",
                "variables['nope'].x",
                "deps.A.result",
                "unknown.x",
            ]
        ),
    )


ARITY = {
    b.name: (b.min_args, b.max_args if b.max_args is not None else b.min_args + 2) for b in BUILTINS.values()
}
ARITY.update({"succeeded": (0, 2), "counter": (2, 2), "nosuch": (0, 1)})
BASES = st.sampled_from(
    ["parameters", "parameters.obj", "parameters.list", "variables", "deps.A", "split('a,b', ',')"]
)


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    def call(name: str) -> st.SearchStrategy[str]:
        low, high = ARITY[name]
        return st.lists(children, min_size=low, max_size=high).map(lambda args: f"{name}({', '.join(args)})")

    well_formed = st.sampled_from(sorted(ARITY)).flatmap(call)
    any_arity = st.tuples(st.sampled_from(sorted(ARITY)), st.lists(children, max_size=4)).map(
        lambda t: f"{t[0]}({', '.join(t[1])})"
    )
    index = st.tuples(BASES, children).map(lambda t: f"{t[0]}[{t[1]}]")
    return st.one_of(well_formed, well_formed, well_formed, any_arity, index)


GRAMMAR = st.recursive(_leaf(), _extend, max_leaves=30)
NOISE = st.sampled_from(["", "", "", ")", "(", ",", "]", "[", ".", "'", " == ", "-", "*", ".*"])


@given(GRAMMAR)
def test_grammar_generated(text: str) -> None:
    result = _check(text, BASE)
    if not isinstance(result, ExpressionError):
        try:
            to_string(result)
        except ExpressionError:
            pass


@given(GRAMMAR, st.integers(min_value=0, max_value=200), NOISE)
def test_grammar_with_damage(text: str, at: int, noise: str) -> None:
    at = min(at, len(text))
    _check(text[:at] + noise + text[at + 1 :], BASE)


@given(
    st.lists(st.sampled_from(["${{", "}}", "'", "''", "a", " ", "{", "}", "$", "x}"]), max_size=30).map(
        "".join
    )
)
def test_find_template_expressions(text: str) -> None:
    try:
        segments = find_template_expressions(text, BASE)
    except ExpressionError as err:
        assert err.location is not None
        assert BASE.col <= err.location.col < BASE.col + len(text)
        return
    rebuilt = "".join(s.text if s.kind == "text" else "${{" + s.text + "}}" for s in segments)
    assert rebuilt == text
    for seg in segments:
        assert text[seg.offset : seg.offset + len(seg.text)] == seg.text


@given(st.text())
def test_find_template_expressions_arbitrary(text: str) -> None:
    try:
        segments = find_template_expressions(text)
    except ExpressionError as err:
        assert err.location is not None and 1 <= err.location.col <= len(text)
        return
    for seg in segments:
        assert text[seg.offset : seg.offset + len(seg.text)] == seg.text
        if seg.kind == "expr":
            _check(seg.text, BASE.shifted(seg.offset))


JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=4), inner, max_size=4),
    max_leaves=12,
)
P_EXPRESSIONS = st.sampled_from(
    [
        "p",
        "p[0]",
        "p.a",
        "p.*",
        "p.*.*",
        "p[*][1]",
        "length(p)",
        "convertToJson(p)",
        "format('{0}', p)",
        "join(',', p)",
        "containsValue(p, p)",
        "eq(p, p)",
        "gt(p, 1)",
        "lt(1, p)",
        "contains(p, 'a')",
        "split(p, p)",
        "replace(p, 'a', p)",
        "in(p, 1, '', p)",
        "coalesce(p, p)",
        "upper(p)",
        "trim(p)",
        "startsWith(p, p)",
        "p[p]",
        "xor(p, not(p))",
    ]
)


@given(JSONISH, P_EXPRESSIONS)
def test_arbitrary_values(value: Any, text: str) -> None:
    try:
        evaluate_text(text, EvalContext({"p": value}), BASE)
    except ExpressionError as err:
        assert err.location is not None and BASE.col <= err.location.col <= BASE.col + len(text)
