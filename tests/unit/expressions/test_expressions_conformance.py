"""Runs the conformance table (expression_cases.py): value, or error fragment and column."""

from __future__ import annotations

import pytest
from expression_cases import CASES, Case, Err, make_context

from emulator.errors import ExpressionError
from emulator.expressions import evaluate_text

CONTEXT = make_context()


def _same(actual: object, expected: object) -> bool:
    if isinstance(expected, bool) or isinstance(actual, bool):
        return type(actual) is type(expected) and actual == expected
    return actual == expected


def test_table_is_large_and_cited() -> None:
    assert len(CASES) >= 120
    assert all(case.source.strip() for case in CASES)
    assert len({case.expr for case in CASES}) == len(CASES), "duplicate rows"


@pytest.mark.parametrize("case", CASES, ids=[c.expr[:60] for c in CASES])
def test_case(case: Case) -> None:
    if isinstance(case.expect, Err):
        with pytest.raises(ExpressionError) as info:
            evaluate_text(case.expr, CONTEXT)
        err = info.value
        assert case.expect.fragment in err.message, f"{err.message!r} ({case.source})"
        assert err.location is not None
        if case.expect.col is not None:
            assert err.location.col == case.expect.col, f"{err.location} ({case.source})"
    else:
        actual = evaluate_text(case.expr, CONTEXT)
        assert _same(actual, case.expect), f"{actual!r} != {case.expect!r} ({case.source})"
