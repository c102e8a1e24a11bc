"""Independent jobs run side by side up to --parallel; dependent ones wait [DOC process/phases.md]."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from emulator.store.runs import Run

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

PIPELINE = """
jobs:
- job: A
  steps:
  - bash: sleep 0.6
- job: B
  steps:
  - bash: sleep 0.6
- job: C
  dependsOn: [A, B]
  steps:
  - bash: echo done
"""


def _spans(run: Run) -> dict[str, tuple[str, str]]:
    started: dict[str, str] = {}
    spans: dict[str, tuple[str, str]] = {}
    for e in run.timeline():
        if e["event"] == "jobStarted":
            started[e["job"]] = e["at"]
        elif e["event"] == "jobFinished" and e["job"] in started:
            spans[e["job"]] = (started[e["job"]], e["at"])
    return spans


def test_parallel_two_overlaps(run_pipeline: Callable[..., Run]) -> None:
    run = run_pipeline(PIPELINE, parallel=2)
    spans = _spans(run)
    assert run.data["result"] == "succeeded" and run.data["parallel"] == 2
    assert spans["A"][0] < spans["B"][1] and spans["B"][0] < spans["A"][1]  # overlap
    assert spans["C"][0] >= max(spans["A"][1], spans["B"][1])


def test_parallel_one_is_sequential(run_pipeline: Callable[..., Run]) -> None:
    run = run_pipeline(PIPELINE, parallel=1)
    spans = _spans(run)
    first, second = sorted([spans["A"], spans["B"]])
    assert first[1] <= second[0]
