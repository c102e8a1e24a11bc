"""to_string / to_bool / to_number, Version and CaseInsensitiveDict."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from emulator.errors import ExpressionError, Location
from emulator.expressions import (
    CaseInsensitiveDict,
    EvalContext,
    StrictMapping,
    Version,
    evaluate_text,
    kind_of,
    to_bool,
    to_number,
    to_string,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (True, "True"),  # docs expressions.md#type-casting (2022: 'True'); notes 1.4
        (False, "False"),
        (None, ""),
        (1, "1"),
        (1.0, "1"),  # notes 1.5 [PG C-E02-022]
        (0.5, "0.5"),
        (-2.50, "-2.5"),
        (1 / 3, "0.3333333"),  # Decimal.ToString("0.#######")
        (0.00000004, "0"),
        (0.00000005, "0.0000001"),  # midpoint rounds away from zero
        (1e20, "100000000000000000000"),
        (123456789012345678901234567890, "123456789012345678901234567890"),
        ("text", "text"),
        (Version(1, 2, 3), "1.2.3"),
        (Version(1, 2), "1.2"),
        (dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.UTC), "2024-01-02 03:04:05+00:00"),
    ],
)
def test_to_string(value: Any, text: str) -> None:
    assert to_string(value) == text


@pytest.mark.parametrize(
    ("value", "kind"), [({"a": 1}, "Object"), ([1], "Array"), (CaseInsensitiveDict(), "Object")]
)
def test_to_string_rejects_collections(value: Any, kind: str) -> None:
    # notes 1.4 "Lone vs mixed": an Object/Array in mixed text errors with this text.
    with pytest.raises(ExpressionError) as info:
        to_string(value, location=Location("f.yml", 2, 5))
    assert info.value.message == f"Unable to convert from {kind} to String. Value: {kind}"
    assert info.value.location == Location("f.yml", 2, 5)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, False),
        (False, False),
        (True, True),
        (0, False),
        (0.0, False),
        (-1, True),
        ("", False),
        ("false", True),
        ("0", True),
        (Version(0, 0), True),
        ([], True),
        ({}, True),
        (dt.datetime(2024, 1, 1), True),
    ],
)
def test_to_bool(value: Any, expected: bool) -> None:
    assert to_bool(value) is expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, 1.0),
        (False, 0.0),
        (None, 0.0),
        ("", 0.0),
        (" 12 ", 12.0),
        ("1,000.5", 1000.5),
        ("-.5", -0.5),
        ("+3", 3.0),
        (7, 7.0),
    ],
)
def test_to_number(value: Any, expected: float) -> None:
    result = to_number(value)
    assert isinstance(result, float)
    assert result == expected


@pytest.mark.parametrize(
    "value", ["abc", "1e3", "0x10", ",1", "1 000", "- 1", "NaN", [1], {"a": 1}, Version(1, 2)]
)
def test_to_number_rejects(value: Any) -> None:
    with pytest.raises(ExpressionError, match="Unable to convert from .* to Number"):
        to_number(value)


def test_kind_of() -> None:
    values: tuple[Any, ...] = (None, True, 1, 1.5, "s", Version(1, 2), [], {}, dt.datetime(2024, 1, 1))
    assert [kind_of(v) for v in values] == [
        "Null",
        "Boolean",
        "Number",
        "Number",
        "String",
        "Version",
        "Array",
        "Object",
        "DateTime",
    ]


def test_version_parse_and_order() -> None:
    assert Version.parse("1.2") == Version(1, 2)
    assert Version.parse("1.2.3.4") == Version(1, 2, 3, 4)
    assert Version.parse("1") is None
    assert Version.parse("1.2.3.4.5") is None
    assert Version.parse("1.-2") is None
    assert Version.parse("1.2147483648") is None
    assert Version(1, 2) < Version(1, 2, 0) < Version(1, 2, 0, 0) < Version(1, 10)
    assert str(Version(1, 0, 0)) == "1.0.0"


class TestCaseInsensitiveDict:
    def test_lookup_ignores_case_and_keeps_order_and_spelling(self) -> None:
        d = CaseInsensitiveDict({"Build.SourceBranch": "main", "zeta": 1, "Alpha": 2})
        assert d["build.sourcebranch"] == "main"
        assert d["BUILD.SOURCEBRANCH"] == "main"
        assert list(d) == ["Build.SourceBranch", "zeta", "Alpha"]
        assert "ALPHA" in d and "beta" not in d
        assert 3 not in d  # type: ignore[comparison-overlap]
        assert d.get("nope") is None and d.get("nope", 5) == 5
        assert d.original_key("alpha") == "Alpha"
        assert len(d) == 3

    def test_set_existing_key_keeps_authored_spelling_and_position(self) -> None:
        d = CaseInsensitiveDict([("Foo", 1), ("bar", 2)])
        d["FOO"] = 10
        assert list(d.items()) == [("Foo", 10), ("bar", 2)]
        del d["BAR"]
        assert dict(d) == {"Foo": 10}

    def test_missing_key_is_keyerror_for_python_code(self) -> None:
        with pytest.raises(KeyError):
            CaseInsensitiveDict()["x"]
        with pytest.raises(KeyError):
            StrictMapping()["x"]

    def test_equality_ignores_key_case(self) -> None:
        assert CaseInsensitiveDict({"A": 1}) == {"a": 1}
        assert CaseInsensitiveDict({"A": 1}) != {"a": 2}
        assert CaseInsensitiveDict({"A": 1}) != {"a": 1, "b": 2}

    def test_copy_keeps_strictness(self) -> None:
        strict = StrictMapping({"a": 1})
        assert strict.strict and strict.copy().strict
        assert not CaseInsensitiveDict({"a": 1}).copy().strict
        assert CaseInsensitiveDict({"a": 1}, strict=True).strict
        assert "strict=True" in repr(strict)

    def test_strictness_only_changes_expression_misses(self) -> None:
        ctx = EvalContext({"parameters": StrictMapping({"Name": "x"}), "variables": CaseInsensitiveDict()})
        assert evaluate_text("parameters.NAME", ctx) == "x"
        assert evaluate_text("variables.nope", ctx) is None
        with pytest.raises(ExpressionError, match="Key not found 'nope'"):
            evaluate_text("parameters['nope']", ctx)
