"""Status functions and result roll-up [DOC expressions.md#job-status-functions; AGENT TaskResultUtil]."""

from __future__ import annotations

import pytest

from emulator.runtime import conditions as cond
from emulator.runtime.conditions import CANCELED, FAILED, SKIPPED, SUCCEEDED, WITH_ISSUES


@pytest.mark.parametrize(
    ("current", "coming", "merged"),
    [
        (None, FAILED, FAILED),
        (SUCCEEDED, WITH_ISSUES, WITH_ISSUES),
        (WITH_ISSUES, SUCCEEDED, WITH_ISSUES),
        (FAILED, SUCCEEDED, FAILED),
        (SUCCEEDED, FAILED, FAILED),
        (CANCELED, FAILED, CANCELED),
        (SKIPPED, SUCCEEDED, SKIPPED),
        (FAILED, CANCELED, CANCELED),
    ],
)
def test_merge_never_goes_back(current: str | None, coming: str, merged: str) -> None:
    assert cond.merge(current, coming) == merged


def test_worst() -> None:
    assert cond.worst([SUCCEEDED, SKIPPED]) == SUCCEEDED
    assert cond.worst([SKIPPED, SKIPPED]) == SKIPPED
    assert cond.worst([]) == SKIPPED
    assert cond.worst([WITH_ISSUES, SUCCEEDED]) == WITH_ISSUES
    assert cond.worst([CANCELED, WITH_ISSUES]) == CANCELED
    assert cond.worst([CANCELED, FAILED, None]) == FAILED


def test_no_argument_forms_look_at_the_whole_graph() -> None:
    f = cond.status_functions({"B": SUCCEEDED, "A": FAILED}, canceled=False)
    assert not f["succeeded"]()
    assert f["succeeded"]("B")
    assert f["failed"]() and f["failed"]("a") and not f["failed"]("B")
    assert f["succeededOrFailed"]()
    assert f["always"]() and not f["canceled"]()


def test_skipped_and_unknown_satisfy_nothing_but_always() -> None:
    f = cond.status_functions({"A": SKIPPED}, canceled=False)
    assert not f["succeeded"]() and not f["failed"]() and not f["succeededOrFailed"]()
    assert not f["succeeded"]("Nope") and not f["failed"]("Nope")
    assert f["always"]()


def test_nothing_to_depend_on_means_succeeded() -> None:
    f = cond.status_functions({}, canceled=False)
    assert f["succeeded"]() and not f["failed"]() and f["succeededOrFailed"]()


def test_cancellation_turns_status_functions_off() -> None:
    f = cond.status_functions({"A": SUCCEEDED}, canceled=True)
    assert not f["succeeded"]() and not f["failed"]() and not f["succeededOrFailed"]()
    assert f["canceled"]() and f["always"]()


@pytest.mark.parametrize(
    ("status", "true"),
    [
        (SUCCEEDED, {"succeeded", "succeededOrFailed", "always"}),
        (WITH_ISSUES, {"succeeded", "succeededOrFailed", "always"}),
        (FAILED, {"failed", "succeededOrFailed", "always"}),
        (CANCELED, {"canceled", "always"}),
    ],
)
def test_step_functions_read_the_job_status(status: str, true: set[str]) -> None:
    f = cond.step_functions(status)
    assert {name for name, fn in f.items() if fn()} == true


def test_expression_names_and_parsing() -> None:
    assert cond.expression_result(WITH_ISSUES) == "SucceededWithIssues"
    assert cond.expression_result(None) == ""
    assert cond.parse_result("failed") == FAILED and cond.parse_result("PartiallySucceeded") == WITH_ISSUES
    assert cond.parse_result("nonsense") is None


def test_ancestors() -> None:
    deps = {"D": ("B", "C"), "B": ("A",), "C": ("A",), "A": ()}
    assert cond.ancestors("D", deps) == ["B", "C", "A"]
    assert cond.ancestors("A", deps) == []
