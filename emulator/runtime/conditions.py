"""Status functions for `condition:` and the results they read.

[DOC process/conditions.md, expressions.md "Job status check functions"]: with no arguments they
look at the direct dependencies (stages, jobs) or at the job so far (steps); with arguments, at the
named stages/jobs. A custom condition replaces the default `succeeded()`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emulator.expressions import to_string

SUCCEEDED = "succeeded"
WITH_ISSUES = "succeededWithIssues"
FAILED = "failed"
CANCELED = "canceled"
SKIPPED = "skipped"
SUCCESS = frozenset({SUCCEEDED, WITH_ISSUES})

EXPRESSION_NAMES = {SUCCEEDED: "Succeeded", WITH_ISSUES: "SucceededWithIssues", FAILED: "Failed",
                    CANCELED: "Canceled", SKIPPED: "Skipped"}


def expression_result(result: str | None) -> str:
    """A result as expressions compare it (`eq(dependencies.A.result, 'Succeeded')`)."""
    return EXPRESSION_NAMES.get(result or "", "")


def status_functions(direct: Mapping[str, str | None], known: Mapping[str, str | None],
                     canceled: bool) -> dict[str, Callable[..., Any]]:
    """Functions for a stage or job condition: `direct` = its dependencies' results, `known` = all."""

    def results(args: tuple[Any, ...]) -> list[str | None]:
        if not args:
            return list(direct.values())
        lowered = {k.lower(): v for k, v in known.items()}
        return [lowered.get(to_string(a).lower()) for a in args]

    def succeeded(*args: Any) -> bool:
        return not canceled and all(r in SUCCESS for r in results(args))

    def failed(*args: Any) -> bool:
        return not canceled and any(r == FAILED for r in results(args))

    def succeeded_or_failed(*args: Any) -> bool:
        return not canceled and all(r in SUCCESS or r == FAILED for r in results(args))

    return {"succeeded": succeeded, "failed": failed, "succeededOrFailed": succeeded_or_failed,
            "always": lambda: True, "canceled": lambda: canceled}


def step_functions(job_status: str, canceled: bool) -> dict[str, Callable[..., Any]]:
    """Functions for a step condition: they look at the job so far."""
    return {
        "succeeded": lambda: not canceled and job_status in SUCCESS,
        "failed": lambda: not canceled and job_status == FAILED,
        "succeededOrFailed": lambda: not canceled,
        "always": lambda: True,
        "canceled": lambda: canceled,
    }


def worst(results: list[str]) -> str:
    """Roll results up: failed > canceled > succeededWithIssues > succeeded; all skipped -> skipped."""
    ran = [r for r in results if r != SKIPPED]
    if not ran:
        return SKIPPED
    for r in (FAILED, CANCELED, WITH_ISSUES):
        if r in ran:
            return r
    return SUCCEEDED
