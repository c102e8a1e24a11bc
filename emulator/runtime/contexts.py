"""What a run-time expression reads where it stands: the named values handed to the evaluator for a
condition, a `$[ ]` variable or a dynamic matrix [DOC expressions.md "Dependencies", "Stage to stage
dependencies"; conditions.md].

A stage reads `dependencies.<stage>` (result, outputs named `<job>.<step>.<var>`) of the stages it
depends on directly; a job reads `dependencies.<job>` of the jobs it depends on and
`stageDependencies.<stage>.<job>` of those stages; a step reads `variables` only. Outputs are the real
values (the record shows secret ones masked: see secrets.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from emulator.expressions import CaseInsensitiveDict
from emulator.model import Job, Stage
from emulator.plan import Graph
from emulator.records import JobRecord, StageRecord
from emulator.runtime import conditions as cond
from emulator.runtime.secrets import RunSecrets
from emulator.runtime.variables import VariableSet
from emulator.store.files import utc_now
from emulator.store.runs import Run


def variables_view(vs: VariableSet) -> CaseInsensitiveDict:
    """What `variables['x']` reads in an expression."""
    return CaseInsensitiveDict(vs.as_dict())


def step_context(vs: VariableSet) -> dict[str, Any]:
    """A step's condition reads its job's variables, nothing else."""
    return {"variables": variables_view(vs)}


def phase_result(srec: StageRecord, phase: str) -> str | None:
    """A YAML job's result: its legs rolled up; None while any of them is not finished."""
    records = [j for j in srec["jobs"] if j.get("phase", j["name"]) == phase]
    if any(j["state"] != "completed" for j in records):
        return None
    return cond.worst(j["result"] for j in records)


class RunContexts:
    """The contexts of one run's stages and jobs, read from its record as it stands."""

    def __init__(
        self,
        run: Run,
        stage_deps: Mapping[str, tuple[str, ...]],
        job_graphs: Mapping[str, Graph],
        secrets: RunSecrets,
    ) -> None:
        self.run = run
        self.stage_deps = stage_deps
        self.job_graphs = job_graphs
        self.secrets = secrets
        self._srecs = {srec["name"]: srec for srec in run.data["stages"]}

    def pipeline(self) -> CaseInsensitiveDict:
        started = self.run.data.get("startedAt") or utc_now()
        try:
            start = datetime.fromisoformat(started)
        except ValueError:
            start = datetime.now(UTC)
        return CaseInsensitiveDict({"startTime": start})

    def stage_condition(self, stage: Stage, variables: VariableSet) -> dict[str, Any]:
        """A stage's condition reads the run's variables, not the stage's own."""
        return {
            "dependencies": self._stage_dependencies(stage),
            "variables": variables_view(variables),
            "pipeline": self.pipeline(),
        }

    def stage_variables(self, stage: Stage) -> dict[str, Any]:
        """What a stage's `$[ ]` variables read besides the variables set before them."""
        return {
            "dependencies": self._stage_dependencies(stage),
            "stageDependencies": self._stage_job_dependencies(stage),
            "pipeline": self.pipeline(),
        }

    def job(self, stage: Stage, job: Job, variables: VariableSet) -> dict[str, Any]:
        """What a job's condition, `$[ ]` variables and dynamic matrix read."""
        srec = self._srecs[stage.name]
        deps = self.job_graphs[stage.name].depends_on[job.name]
        return {
            "dependencies": CaseInsensitiveDict({d: self._phase(stage.name, srec, d) for d in deps}),
            "stageDependencies": self._stage_job_dependencies(stage),
            "variables": variables_view(variables),
            "pipeline": self.pipeline(),
        }

    def _job_outputs(self, stage: str, jrec: JobRecord) -> dict[str, str]:
        return self.secrets.outputs_of(f"{stage}/{jrec['name']}", jrec.get("outputs") or {})

    def _phase(self, stage: str, srec: StageRecord, phase: str) -> CaseInsensitiveDict:
        records = [j for j in srec["jobs"] if j.get("phase", j["name"]) == phase]
        outputs: dict[str, str] = {}
        for jrec in records:
            outputs.update(self._job_outputs(stage, jrec))
        result = phase_result(srec, phase)
        return CaseInsensitiveDict(
            {"result": cond.expression_result(result), "outputs": CaseInsensitiveDict(outputs)}
        )

    def _stage_dependencies(self, stage: Stage) -> CaseInsensitiveDict:
        """`dependencies` in a stage's condition and variables: the stages it depends on directly, with
        outputs named `<job>.<step>.<var>` [DOC expressions.md "Stage to stage dependencies"]."""
        out: dict[str, Any] = {}
        for dep in self.stage_deps[stage.name]:
            srec = self._srecs[dep]
            outputs: dict[str, str] = {}
            for jrec in srec["jobs"]:
                phase = jrec.get("phase", jrec["name"])
                for key, value in self._job_outputs(dep, jrec).items():
                    outputs[f"{phase}.{key}"] = value
            out[dep] = CaseInsensitiveDict(
                {"result": cond.expression_result(srec["result"]), "outputs": CaseInsensitiveDict(outputs)}
            )
        return CaseInsensitiveDict(out)

    def _stage_job_dependencies(self, stage: Stage) -> CaseInsensitiveDict:
        """`stageDependencies.<stage>.<job>` in a job: only stages this stage depends on directly
        [DOC variables.md: "Output variables are only visible to stages that depend on the producer"]."""
        out: dict[str, Any] = {}
        for dep in self.stage_deps[stage.name]:
            srec = self._srecs[dep]
            phases = dict.fromkeys(j.get("phase", j["name"]) for j in srec["jobs"])
            out[dep] = CaseInsensitiveDict({p: self._phase(dep, srec, p) for p in phases})
        return CaseInsensitiveDict(out)
