"""A new attempt of a finished run: Azure's "Rerun failed jobs".

[DOC process/stages.md, pipelines/get-started/multi-stage-pipelines-experience.md "Rerun failed jobs";
the System.StageAttempt/System.JobAttempt predefined variables]: the run keeps its id; jobs that
succeeded keep their results and output variables and do not run again; failed and canceled jobs run
again, and so does what their failure held back (jobs and stages that were skipped or canceled after
them), with their conditions evaluated anew. The checks of a stage that runs again are evaluated again
and need new decisions: approvals given to an earlier attempt do not count (`rerunAt`).

This module changes the record only; the runner runs the engine on it as it does for `resume`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, cast

from emulator.model import Pipeline
from emulator.plan import job_graph, stage_dependencies, stage_graph
from emulator.records import JobRecord, RunRecord
from emulator.runtime import conditions as cond
from emulator.runtime.selection import deselected

_RAN_ONLY = ("startedAt", "finishedAt", "message", "seconds", "timedOut")
_STEP_KEYS = ("index", "name", "displayName", "task", "hook", "iteration")


def reset_job(record: JobRecord, kept_as: str | None, why: str | None, finished_at: Any) -> None:
    """The job runs again from its start; an attempt that ran is kept (`kept_as`: its result) in
    `attempts`, as the service keeps every attempt of a job."""
    jrec = cast("dict[str, Any]", record)  # the same dicts, emptied in place: the journal knows them
    if kept_as is not None:
        jrec.setdefault("attempts", []).append(
            {
                "attempt": jrec.get("attempt"),
                "result": kept_as,
                "startedAt": jrec.get("startedAt"),
                "finishedAt": finished_at,
                "message": why,
            }
        )
    jrec.update(state="pending", result=None, outputs={})
    for key in _RAN_ONLY:
        jrec.pop(key, None)
    for st in jrec["steps"]:
        keep = {k: st[k] for k in _STEP_KEYS if k in st}
        st.clear()
        st.update(keep, result=None)


def reset_failed(data: RunRecord, pipeline: Pipeline, now: str) -> list[tuple[str, str]]:
    """Make a finished run's record ready for its next attempt; returns the (stage, job) reset.

    A stage runs again when it did not succeed, or when a stage it depends on runs again and it did
    not succeed either; in such a stage every job that did not succeed (and was not left out when the
    run was queued) is reset, so a job skipped behind a failed one runs (or is skipped) anew."""
    srecs = {s["name"]: s for s in data["stages"]}
    deps = stage_dependencies(pipeline.stages)
    again: set[str] = set()
    reset: list[tuple[str, str]] = []
    for name in stage_graph(pipeline).order():
        srec = srecs[name]
        if deselected(srec) or srec.get("result") in cond.SUCCESS:
            continue
        if srec.get("result") == cond.SKIPPED and not any(d in again for d in deps[name]):
            continue  # skipped by its own condition, not because of what runs again
        jobs = [j for j in srec["jobs"] if not deselected(j) and j.get("result") not in cond.SUCCESS]
        for jrec in _in_job_order(pipeline, name, jobs):
            ran = jrec.get("result") in (cond.FAILED, cond.CANCELED) and jrec.get("attempt")
            reset_job(jrec, jrec["result"] if ran else None, jrec.get("message"), jrec.get("finishedAt"))
            reset.append((name, jrec["name"]))
        again.add(name)
        srec.update({"state": "pending", "result": None, "rerunAt": now})
        for key in ("finishedAt", "message", "conditionMet"):
            cast("dict[str, Any]", srec).pop(key, None)
    return reset


def _in_job_order(pipeline: Pipeline, stage: str, jobs: list[JobRecord]) -> list[JobRecord]:
    order = {n: i for i, n in enumerate(job_graph(pipeline.stage(stage)).order())}
    return sorted(jobs, key=lambda j: order.get(j.get("phase", j["name"]), 0))


def keep_logs(run_dir: Path, jobs: list[tuple[str, str]], records: Mapping[str, Any]) -> None:
    """The logs of an attempt stay beside the next one's: logs/<stage>/<job>.attempt<N>/."""
    for stage, job in jobs:
        folder = run_dir / "logs" / stage / job
        srec = next(s for s in records["stages"] if s["name"] == stage)
        jrec = next(j for j in srec["jobs"] if j["name"] == job)
        attempts = jrec.get("attempts") or []
        if not folder.is_dir() or not attempts:
            continue
        kept = folder.with_name(f"{job}.attempt{attempts[-1].get('attempt')}")
        folder.rename(kept)
        attempts[-1]["logs"] = str(kept.relative_to(run_dir))
