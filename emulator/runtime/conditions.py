"""Status functions for `condition:` and how results roll up.

[DOC process/expressions.md "Job status check functions", process/conditions.md]
* Stages and jobs: with no arguments `succeeded()`/`failed()`/`succeededOrFailed()` look at every
  stage/job in the dependency graph above the unit (direct and indirect: "If the previous job succeeded
  but a dependency further upstream failed, succeeded('previousJobName') will return true. When you just
  use dependsOn, it will fail"); with arguments, at the named ones. An unknown name or a skipped one
  satisfies nothing but `always()` [PG C-E02-060..072]. All but `always()`/`canceled()` are false once
  the run is canceled.
* Steps: they read `Agent.JobStatus` of the job so far [AGENT StepsRunner.cs; DOC expressions.md]:
  `succeeded()` = Succeeded|SucceededWithIssues, `failed()` = Failed, `canceled()` = Canceled.
* A custom condition replaces the default `succeeded()`.
* Results merge as the agent's `TaskResultUtil.MergeTaskResults`: a job can never go back to success.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.expressions import to_string

SUCCEEDED = "succeeded"
WITH_ISSUES = "succeededWithIssues"
FAILED = "failed"
CANCELED = "canceled"
SKIPPED = "skipped"
SUCCESS = frozenset({SUCCEEDED, WITH_ISSUES})

EXPRESSION_NAMES = {
    SUCCEEDED: "Succeeded",
    WITH_ISSUES: "SucceededWithIssues",
    FAILED: "Failed",
    CANCELED: "Canceled",
    SKIPPED: "Skipped",
}
_BY_EXPRESSION_NAME = {v.lower(): k for k, v in EXPRESSION_NAMES.items()} | {
    "partiallysucceeded": WITH_ISSUES
}
_RANK = {SUCCEEDED: 0, WITH_ISSUES: 1, FAILED: 2, CANCELED: 3, SKIPPED: 4}

DEFAULT_CONDITION = "succeeded()"


def expression_result(result: str | None) -> str:
    """A result as expressions compare it (`eq(dependencies.A.result, 'Succeeded')`)."""
    return EXPRESSION_NAMES.get(result or "", "")


def parse_result(text: str) -> str | None:
    """`Succeeded`, `SucceededWithIssues`, `Failed`… (any case) as a result, or None."""
    return _BY_EXPRESSION_NAME.get(text.strip().lower())


def merge(current: str | None, coming: str) -> str:
    """The agent's MergeTaskResults: canceled/skipped stick; otherwise the worse of the two wins."""
    if current is None:
        return coming
    if _RANK[current] > _RANK[FAILED]:
        return current
    return coming if _RANK[coming] >= _RANK[current] else current


@dataclass(frozen=True)
class Upstream:
    """What a stage's or job's status functions read of the units above it (direct and indirect): which
    results occur among them, and the result of one of them by name (None: not above it, or unfinished).

    Why not a mapping of every result: in a chain of N stages each one has N ancestors; the engine keeps
    the set of results that occur above each stage instead, built from its direct dependencies."""

    kinds: frozenset[str | None]
    result_of: Callable[[str], str | None]

    @classmethod
    def of(cls, results: Mapping[str, str | None]) -> Upstream:
        lowered = {k.lower(): v for k, v in results.items()}
        return cls(frozenset(results.values()), lambda name: lowered.get(name.lower()))


def status_functions(
    graph: Mapping[str, str | None] | Upstream, canceled: bool
) -> dict[str, Callable[..., Any]]:
    """Functions for a stage or job condition.

    `graph`: every stage (or job of the stage) this unit depends on, directly or indirectly, with its
    result (None if it has none yet), as a mapping or an Upstream.
    """
    up = graph if isinstance(graph, Upstream) else Upstream.of(graph)

    def all_in(args: tuple[Any, ...], ok: frozenset[str]) -> bool:
        if not args:
            return up.kinds <= ok
        return all(up.result_of(to_string(a)) in ok for a in args)

    def succeeded(*args: Any) -> bool:
        return not canceled and all_in(args, SUCCESS)

    def failed(*args: Any) -> bool:
        if not args:
            return not canceled and FAILED in up.kinds
        return not canceled and any(up.result_of(to_string(a)) == FAILED for a in args)

    def succeeded_or_failed(*args: Any) -> bool:
        return not canceled and all_in(args, SUCCESS | {FAILED})

    def always() -> bool:
        return True

    def is_canceled() -> bool:
        return canceled

    return {
        "succeeded": succeeded,
        "failed": failed,
        "succeededOrFailed": succeeded_or_failed,
        "always": always,
        "canceled": is_canceled,
    }


def step_functions(job_status: str) -> dict[str, Callable[..., Any]]:
    """Functions for a step condition: they read Agent.JobStatus (canceled once the job is)."""

    def succeeded() -> bool:
        return job_status in SUCCESS

    def failed() -> bool:
        return job_status == FAILED

    def succeeded_or_failed() -> bool:
        return job_status in SUCCESS or job_status == FAILED

    def always() -> bool:
        return True

    def canceled() -> bool:
        return job_status == CANCELED

    return {
        "succeeded": succeeded,
        "failed": failed,
        "succeededOrFailed": succeeded_or_failed,
        "always": always,
        "canceled": canceled,
    }


def worst(results: Iterable[str | None]) -> str:
    """Roll results up (steps → job, jobs → stage, stages → run): failed > canceled >
    succeededWithIssues > succeeded; skipped ones do not count; all skipped → skipped."""
    ran = [r for r in results if r is not None and r != SKIPPED]
    if not ran:
        return SKIPPED
    for r in (FAILED, CANCELED, WITH_ISSUES):
        if r in ran:
            return r
    return SUCCEEDED


def ancestors(name: str, depends_on: Mapping[str, tuple[str, ...]]) -> list[str]:
    """Every node `name` depends on, directly or indirectly, nearest first."""
    seen: dict[str, None] = {}
    todo = deque(depends_on.get(name, ()))
    while todo:
        node = todo.popleft()
        if node not in seen:
            seen[node] = None
            todo.extend(depends_on.get(node, ()))
    return list(seen)
