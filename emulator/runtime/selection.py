"""Which stages and jobs a run executes: Azure's "Stages to run", chosen when the run is queued.

[DOC process/stages.md; REST pipelines/runs/run-pipeline `stagesToSkip`; release-notes 2024 sprint-242
"Unskippable stages"]: a stage left out of "Stages to run" does not run (it shows as skipped); a stage
with `isSkippable: false` "will always execute and can't be deselected". A selected stage that depends
on a deselected one still runs: the deselected stage is left out of what its status functions read, so
its default `succeeded()` holds (a stage skipped by its own condition, by contrast, satisfies nothing but
`always()`) [issue MicrosoftDocs/azure-devops-docs#12846: "If the pipeline is queued so that only the
second stage runs, it actually runs"]. `dependencies.<stage>.result` of a deselected stage is `Skipped`
and it has no outputs.

Jobs (`--job`) are an emulator extension (the Azure UI selects stages only), by the same rules one
level down: a job that is not selected is skipped and does not hold back the jobs that depend on it; a
stage none of whose jobs is selected is deselected; only the environments of selected jobs gate a stage.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator.errors import MlopsError, did_you_mean
from emulator.model import Environment, Pipeline, Stage
from emulator.records import StageRecord

NOT_SELECTED = "not selected to run when the run was queued"


@dataclass(frozen=True)
class Selection:
    """What `mlops run --stage/--skip-stage/--job` asks for (names as the user typed them)."""

    stages: tuple[str, ...] = ()  # only these stages (and the unskippable ones)
    skip_stages: tuple[str, ...] = ()
    jobs: tuple[str, ...] = ()  # only these jobs: JOB or STAGE.JOB

    def __bool__(self) -> bool:
        return bool(self.stages or self.skip_stages or self.jobs)


def _stage_named(pipeline: Pipeline, name: str, option: str) -> Stage:
    try:
        return pipeline.stage(name)
    except KeyError:
        names = [s.name for s in pipeline.stages]
        raise MlopsError(
            f"{option} {name}: the pipeline has no stage '{name}'",
            None,
            expected="one of: " + ", ".join(names),
            hint=did_you_mean(name, names) or "mlops list PIPELINE shows the stages and jobs",
        ) from None


def _jobs_named(pipeline: Pipeline, name: str) -> set[tuple[str, str]]:
    stage_part, dot, job_part = name.rpartition(".")
    stages = [_stage_named(pipeline, stage_part, "--job")] if dot else list(pipeline.stages)
    found = {(s.name, j.name) for s in stages for j in s.jobs if j.name.lower() == job_part.lower()}
    if not found:
        names = [f"{s.name}.{j.name}" for s in stages for j in s.jobs]
        raise MlopsError(
            f"--job {name}: the pipeline has no job '{name}'",
            None,
            expected="JOB or STAGE.JOB, one of: " + ", ".join(names),
            hint=did_you_mean(name, names + [j.name for s in stages for j in s.jobs])
            or "mlops list PIPELINE shows the stages and jobs",
        )
    return found


def resolve(pipeline: Pipeline, selection: Selection) -> tuple[list[str], list[tuple[str, str]]]:
    """The stages and (stage, job) pairs left out of the run, in pipeline order. Raises an MlopsError
    for an unknown name (with a did-you-mean) or an unskippable stage named in --skip-stage."""
    selected = {_stage_named(pipeline, n, "--stage").name for n in selection.stages}
    skipped: set[str] = set()
    for name in selection.skip_stages:
        stage = _stage_named(pipeline, name, "--skip-stage")
        if not stage.skippable:
            raise MlopsError(
                f"--skip-stage {name}: stage {stage.name} has 'isSkippable: false': it always runs",
                stage.location,
                hint="Azure DevOps does not let it be deselected in Stages to run either",
            )
        skipped.add(stage.name)
    jobs = set().union(*(_jobs_named(pipeline, n) for n in selection.jobs)) if selection.jobs else set()
    out_stages: list[str] = []
    out_jobs: list[tuple[str, str]] = []
    for stage in pipeline.stages:
        wanted = (not selected or stage.name in selected) and stage.name not in skipped
        if jobs and not any(s == stage.name for s, _ in jobs):
            wanted = False
        if not wanted and stage.skippable:
            out_stages.append(stage.name)
        elif jobs and stage.skippable:
            out_jobs += [(stage.name, j.name) for j in stage.jobs if (stage.name, j.name) not in jobs]
    return out_stages, out_jobs


def mark(stages: list[StageRecord], left_out: tuple[Sequence[str], Sequence[tuple[str, str]]]) -> None:
    """Record what is left out before the run starts (`deselected`). The engine skips it when its turn
    comes, after what it depends on has finished: what depends on it waits for that too."""
    out_stages, out_jobs = set(left_out[0]), set(left_out[1])
    for srec in stages:
        if srec["name"] in out_stages:
            srec["deselected"] = True
        for jrec in srec["jobs"]:
            if srec["name"] in out_stages or (srec["name"], jrec.get("phase", jrec["name"])) in out_jobs:
                jrec["deselected"] = True


def why(kind: str) -> str:
    """What a skipped stage or job left out says."""
    return f"{kind} {NOT_SELECTED}"


def deselected(record: Mapping[str, Any]) -> bool:
    """Was this stage or job record left out when the run was queued?"""
    return bool(record.get("deselected"))


def phase_deselected(srec: Mapping[str, Any], phase: str) -> bool:
    """Is this YAML job (all its matrix legs or slices) left out?"""
    records = [j for j in srec["jobs"] if j.get("phase", j["name"]) == phase]
    return bool(records) and all(deselected(j) for j in records)


def gating_environments(stage: Stage, srec: Mapping[str, Any]) -> list[Environment]:
    """The environments whose checks gate the stage: those of the jobs that will run."""
    return [
        j.environment for j in stage.jobs if j.environment is not None and not phase_deselected(srec, j.name)
    ]


def describe(left_out: tuple[Iterable[str], Iterable[tuple[str, str]]]) -> dict[str, list[str]]:
    """What the record keeps of the selection (Azure's run resource names it `stagesToSkip`)."""
    return {"stagesToSkip": list(left_out[0]), "jobsToSkip": [f"{s}.{j}" for s, j in left_out[1]]}
