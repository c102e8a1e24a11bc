"""The run-time engine: stages and jobs in dependency order, in parallel, with a resumable record.

Order of work per the service [DOC process/runs.md; semantics notes 1.1, 1.8]: a stage starts when all
the stages it depends on are finished (by default the previous one; `dependsOn: []` none); its
condition is evaluated (default `succeeded()`), then the checks of the environments its jobs target;
then its jobs start as soon as the jobs they depend on are finished (jobs of a stage are independent
by default), each expanded into its matrix legs or slices, each with its own condition. Independent
stages and jobs run side by side, at most `parallel` jobs at a time (the agents of the local pool).
A stage waiting on an approval does not stop independent ones; the run pauses when nothing else can.

Everything a run learns is written to its record as it goes. After a crash (even kill -9), resume
continues after the last completed job: a job that was running reruns from its start (its leftover
processes are stopped first); a completed job never runs again.

Ctrl-C cancels as the service does: running steps are stopped unless their condition still holds
(`always()`), and later work runs only if its condition allows it. A second Ctrl-C stops everything.
"""

from __future__ import annotations

import json
import os
import platform
import re
import signal
import socket
import threading
import uuid
import zlib
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulator.errors import ExpressionError, Location, MlopsError, PipelineError
from emulator.expressions import CaseInsensitiveDict, EvalContext, evaluate_text, to_bool, to_string
from emulator.gates import checks as gate_checks
from emulator.gates.environments import Environments
from emulator.model import Job, Pipeline, Stage, Variable, matrix_legs
from emulator.plan import (
    RuntimeJob,
    RuntimeStep,
    expand_job,
    job_graph,
    job_record,
    stage_dependencies,
    stage_graph,
)
from emulator.plan import initial_record as plan_initial_record
from emulator.runtime import conditions as cond
from emulator.runtime.counters import Counters
from emulator.runtime.events import Reporter
from emulator.runtime.jobs import JobRunner
from emulator.runtime.process import Cancellation, kill_group, process_alive
from emulator.runtime.secrets import RunSecrets
from emulator.runtime.variables import VariableSet
from emulator.runtime.workspace import Workspace
from emulator.store.files import utc_now
from emulator.store.runs import Run
from emulator.tasks.base import Registry, ServiceConnections

PAUSED = "paused"
ACCESS_TOKEN = "local-emulator-access-token"  # System.AccessToken: a secret, mapped only through env:
POLL_SECONDS = 0.25
ACTIVE = ("queued", "running")


def default_minute_seconds() -> float:
    """How long a minute of `timeoutInMinutes` lasts: 60 s, unless MLOPS_INTERNAL_MINUTE_SECONDS says
    otherwise (a knob for the emulator's own tests, so timeouts can be exercised in seconds)."""
    try:
        return float(os.environ.get("MLOPS_INTERNAL_MINUTE_SECONDS", "60"))
    except ValueError:
        return 60.0


@dataclass(frozen=True)
class RunOptions:
    home: Path
    repo_root: Path
    environments: Environments
    requester: str
    check_policy: str = "fail"
    queue_variables: Mapping[str, str] = field(default_factory=dict)
    az_bin: Path | None = None  # folder holding the `az` shim, put first on PATH
    parallel: int = 0  # jobs at once (0: the number of CPU cores)
    secret_variables: Mapping[str, str] = field(default_factory=dict)  # queue-time secrets
    connections: ServiceConnections | None = None
    minute_seconds: float = field(default_factory=default_minute_seconds)  # a timeoutInMinutes minute


def default_parallel() -> int:
    return os.cpu_count() or 1


def initial_record(pipeline: Pipeline) -> list[dict[str, Any]]:
    """The stage/job/step skeleton of a run record, before anything ran (see plan.initial_record)."""
    return plan_initial_record(pipeline)


def lenient_json(text: str) -> Any:
    """JSON as the service's parser (Json.NET) reads it: single-quoted strings are accepted too, as in
    the docs' `{'a':{'myvar':'A'}}` matrix example."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    out: list[str] = []
    i = 0
    while i < len(text):
        c = text[i]
        if c == '"':
            end = i + 1
            while end < len(text) and text[end] != '"':
                end += 2 if text[end] == "\\" else 1
            out.append(text[i:end + 1])
            i = end + 1
        elif c == "'":
            end = i + 1
            chars: list[str] = []
            while end < len(text) and text[end] != "'":
                if text[end] == "\\" and end + 1 < len(text):
                    end += 1
                chars.append(text[end])
                end += 1
            out.append(json.dumps("".join(chars)))
            i = end + 1
        else:
            out.append(c)
            i += 1
    return json.loads("".join(out))


def _find(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(i for i in items if i["name"] == name)


def _text(value: Any) -> str:
    return value if isinstance(value, str) else to_string(value)


class Engine:
    """Executes a pipeline model against a run record."""

    def __init__(
        self,
        run: Run,
        pipeline: Pipeline,
        options: RunOptions,
        reporter: Reporter,
        registry: Registry,
        cancellation: Cancellation | None = None,
    ) -> None:
        self.run = run
        self.pipeline = pipeline
        self.options = options
        self.reporter = reporter
        self.registry = registry
        self.cancellation = cancellation or Cancellation()
        self.counters = Counters(options.home, str(run.data.get("pipeline", "")), run.id)
        self.parallel = (
            options.parallel
            if options.parallel > 0
            else int(run.data.get("parallel") or 0) or default_parallel()
        )
        self.stage_deps = stage_dependencies(pipeline.stages)
        self.stage_order = stage_graph(pipeline).order()
        self.job_graphs = {s.name: job_graph(s) for s in pipeline.stages}
        self.secrets = RunSecrets(run, options.secret_variables, [ACCESS_TOKEN])
        self.masker = self.secrets.masker
        self._gated: set[str] = set()
        self._revisited: set[tuple[str, str]] = set()  # waiting jobs looked at again in this execution
        self._running: dict[Future[str], tuple[str, str]] = {}

    # ---- the run ------------------------------------------------------------------------------
    def execute(self) -> str:
        with self._signals():
            try:
                return self._execute()
            except KeyboardInterrupt:
                self.cancellation.abort()
                return self._finish()
            except MlopsError as exc:  # the run can't go on (e.g. its name expands beyond the limits):
                self.cancellation.abort()  # it ends failed with the reason, never left "running"
                return self._finish(error=self.masker(exc.render()))

    @contextmanager
    def _signals(self) -> Iterator[None]:
        """Ctrl-C (and SIGTERM): the first cancels the run, the second stops everything at once."""
        if threading.current_thread() is not threading.main_thread():
            yield
            return

        def handler(signum: int, frame: Any) -> None:
            if self.cancellation.requested:
                self.cancellation.abort()
            else:
                self.cancellation.cancel("user")

        previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            yield
        finally:
            for sig, old in previous.items():
                signal.signal(sig, old)

    def _execute(self) -> str:
        data = self.run.data
        with self.run.lock:
            resumed = data.get("status") not in (None, "queued")
            data["status"] = "running"
            data.setdefault("startedAt", utc_now())
            data["waiting"] = None
            data["parallel"] = self.parallel
            self._recover()
            if not data.get("buildNumber") or data.get("buildNumber") == self.run.id:
                data["buildNumber"] = self.secrets.recorded_build_number(self._build_number())
            self._queue_time_warnings()
            self.run.save()
        self.run.event("resumed" if resumed else "started", parallel=self.parallel)
        pool = ThreadPoolExecutor(max_workers=self.parallel, thread_name_prefix="mlops-job")
        try:
            while True:
                with self.run.lock:
                    progressed = self._schedule(pool)
                if not self._running:
                    if progressed:
                        continue
                    break
                done, _ = wait(list(self._running), timeout=POLL_SECONDS, return_when=FIRST_COMPLETED)
                for future in done:
                    stage_name, job_name = self._running.pop(future)
                    error = future.exception()
                    if error is not None:  # JobRunner catches everything; this is a last resort
                        self._fail_job(stage_name, job_name, f"internal error in the emulator: {error}")
        finally:
            pool.shutdown(wait=True)
        return self._finish()

    def _finish(self, error: str | None = None) -> str:
        data = self.run.data
        canceled = self.cancellation.requested and error is None
        with self.run.lock:
            stages = data["stages"]
            waiting = [s for s in stages if s["state"] == "waiting"] + [
                j for s in stages for j in s["jobs"] if j["state"] == "waiting"
            ]
            if waiting and not canceled:
                data["status"] = PAUSED
                data["result"] = PAUSED
                self.run.save()
                self.run.event(
                    "paused", stage=data.get("waiting", {}).get("stage") if data.get("waiting") else None
                )
                return PAUSED
            self._cancel_rest()
            result = cond.worst(s["result"] for s in stages)
            if error is not None:
                result = cond.FAILED
                data["message"] = error
            elif canceled:
                result = cond.CANCELED
            elif result == cond.CANCELED:  # a job timed out: the run failed
                result = cond.FAILED
            elif result == cond.SKIPPED:
                result = cond.SUCCEEDED
            data.update(status="completed", result=result, finishedAt=utc_now(), waiting=None)
            self.run.save()
            self.secrets.forget()  # the run can no longer resume: no secret stays at rest
        self.run.event("finished", result=result)
        return result

    def _cancel_rest(self) -> None:
        """Whatever did not run once the run stops for good is canceled."""
        for srec in self.run.data["stages"]:
            if srec["state"] == "completed":
                continue
            for jrec in srec["jobs"]:
                if jrec["state"] != "completed":
                    jrec.update(state="completed", result=cond.CANCELED)
                    for st in jrec["steps"]:
                        st["result"] = st.get("result") or cond.CANCELED
            srec.update(
                state="completed",
                result=cond.worst(j["result"] for j in srec["jobs"]) if srec["jobs"] else cond.CANCELED,
                finishedAt=utc_now(),
            )
            if srec["result"] == cond.SKIPPED:
                srec["result"] = cond.CANCELED

    def _recover(self) -> None:
        """After an interruption: a job that was queued or running starts again from scratch."""
        for srec in self.run.data["stages"]:
            for jrec in srec["jobs"]:
                if jrec["state"] not in ACTIVE:
                    continue
                self._stop_leftovers(srec["name"], jrec)
                jrec.update(state="pending", result=None, outputs={})
                for key in ("startedAt", "finishedAt", "message", "seconds", "timedOut"):
                    jrec.pop(key, None)
                for st in jrec["steps"]:
                    keep = {
                        k: st[k]
                        for k in ("index", "name", "displayName", "task", "hook", "iteration")
                        if k in st
                    }
                    st.clear()
                    st.update(keep, result=None)
                self.secrets.forget_job(f"{srec['name']}/{jrec['name']}")
                self.run.event("jobReset", stage=srec["name"], job=jrec["name"], attempt=jrec.get("attempt"))

    def _stop_leftovers(self, stage: str, jrec: dict[str, Any]) -> None:
        """Processes an interrupted attempt left behind (recorded in the timeline) are stopped."""
        marker = f"MLOPS_RUN_ID={self.run.id}"
        for event in self.run.timeline():
            if (
                event.get("event") == "process"
                and event.get("stage") == stage
                and event.get("job") == jrec["name"]
                and event.get("attempt") == jrec.get("attempt")
            ):
                pid = int(event.get("pid") or 0)
                if pid > 0 and process_alive(pid, marker):
                    kill_group(pid, grace=0)

    # ---- scheduling ---------------------------------------------------------------------------
    def _schedule(self, pool: ThreadPoolExecutor) -> bool:
        """Start, skip or finish whatever can be (holding the run's lock); True if anything changed."""
        any_change = False
        changed = True
        while changed:
            changed = False
            for name in self.stage_order:
                stage = self.pipeline.stage(name)
                srec = _find(self.run.data["stages"], stage.name)
                if srec["state"] in ("pending", "waiting"):
                    changed |= self._try_start_stage(stage, srec)
                if srec["state"] == "running":
                    changed |= self._schedule_jobs(stage, srec, pool)
            any_change |= changed
        return any_change

    def _stage_done(self, name: str) -> bool:
        return bool(_find(self.run.data["stages"], name)["state"] == "completed")

    def _try_start_stage(self, stage: Stage, srec: dict[str, Any]) -> bool:
        if not all(self._stage_done(d) for d in self.stage_deps[stage.name]):
            return False
        if self.cancellation.aborted:
            self._skip_stage(stage, srec, "the run was stopped", cond.CANCELED)
            return True
        if srec["state"] == "pending":
            condition = stage.condition or cond.DEFAULT_CONDITION
            results = {
                d: _find(self.run.data["stages"], d)["result"]
                for d in cond.ancestors(stage.name, self.stage_deps)
            }
            try:
                named = {
                    "dependencies": self._stage_dependencies_context(stage),
                    "variables": self.variables_view(self._run_variables()),
                    "pipeline": self._pipeline_context(),
                }
                ok = self.condition(
                    condition,
                    named,
                    cond.status_functions(results, self.cancellation.requested),
                    stage.condition_location or stage.location,
                    f"stage {stage.name}",
                )
            except MlopsError as exc:
                self._skip_stage(stage, srec, exc.render(), cond.FAILED)
                return True
            if not ok:
                self._skip_stage(stage, srec, f"condition '{condition}' was false")
                return True
            srec["conditionMet"] = True
        elif self.cancellation.requested:  # waiting on a check when the run was canceled
            self._skip_stage(
                stage, srec, "the run was canceled while the stage waited for its checks", cond.CANCELED
            )
            return True
        if stage.name in self._gated:
            return False
        self._gated.add(stage.name)
        for env in dict.fromkeys(e.name.lower() for e in stage.environments()):
            outcome = self._gate(stage, env)
            if outcome.status == "pending":
                srec["state"] = "waiting"
                self.run.save()
                return False
            if outcome.status == "rejected":
                self._skip_stage(
                    stage, srec, f"Environment '{outcome.environment}': {outcome.message}", cond.FAILED
                )
                return True
        srec.update(state="running", startedAt=srec.get("startedAt") or utc_now())
        srec.pop("message", None)
        if self.run.data.get("waiting") and self.run.data["waiting"].get("stage") == stage.name:
            self.run.data["waiting"] = None
        self.run.save()
        self.run.event("stageStarted", stage=stage.name)
        self.reporter.stage_started(stage)
        return True

    def _skip_stage(self, stage: Stage, srec: dict[str, Any], why: str, result: str = cond.SKIPPED) -> None:
        """A stage that does not run: its jobs and steps are skipped (nothing under a skipped parent runs)."""
        srec.update(state="completed", result=result, message=self.masker(why), finishedAt=utc_now())
        for jrec in srec["jobs"]:
            jrec.update(state="completed", result=cond.SKIPPED)
            for st in jrec["steps"]:
                st["result"] = cond.SKIPPED
        self.run.save()
        self.run.event("stageFinished", stage=stage.name, result=result)
        self.reporter.stage_finished(stage, result, srec["message"])

    def _schedule_jobs(self, stage: Stage, srec: dict[str, Any], pool: ThreadPoolExecutor) -> bool:
        changed = False
        graph = self.job_graphs[stage.name]
        for phase in graph.order():
            job = next(j for j in stage.jobs if j.name == phase)
            records = [j for j in srec["jobs"] if j.get("phase", j["name"]) == phase]
            for jrec in records:  # a manual validation waits: decided since? (once per execution)
                key = (stage.name, jrec["name"])
                revisit = jrec["state"] == "waiting" and key not in self._revisited
                if revisit and not self.cancellation.requested:
                    if len(self._running) >= self.parallel:
                        break
                    self._start_job(stage, srec, job, jrec, pool, resumed=True)
                    changed = True
            pending = [j for j in records if j["state"] == "pending"]
            if not pending:
                continue
            if not all(self._phase_result(srec, d) is not None for d in graph.depends_on[phase]):
                continue
            if self.cancellation.aborted:
                for jrec in pending:
                    self._skip_job(stage, job, jrec, "the run was stopped", cond.CANCELED)
                changed = True
                continue
            for jrec in pending:
                if jrec.get("matrixExpression") is not None and jrec.get("leg") is None:
                    changed |= self._expand_dynamic_matrix(stage, job, srec, jrec)
                    break
                if len(self._running) >= self.parallel:
                    break
                if (
                    job.max_parallel > 0
                    and sum(1 for j in records if j["state"] in ACTIVE) >= job.max_parallel
                ):
                    break
                self._start_job(stage, srec, job, jrec, pool)
                changed = True
        if all(j["state"] == "completed" for j in srec["jobs"]):
            self._finish_stage(stage, srec)
            changed = True
        return changed

    def _finish_stage(self, stage: Stage, srec: dict[str, Any]) -> None:
        result = cond.worst(j["result"] for j in srec["jobs"])
        srec.update(state="completed", result=result, finishedAt=utc_now())
        self.run.save()
        self.run.event("stageFinished", stage=stage.name, result=result)
        self.reporter.stage_finished(stage, result, srec.get("message"))

    def _phase_result(self, srec: dict[str, Any], phase: str) -> str | None:
        """A YAML job's result: its legs rolled up; None while any of them is not finished."""
        records = [j for j in srec["jobs"] if j.get("phase", j["name"]) == phase]
        if any(j["state"] != "completed" for j in records):
            return None
        return cond.worst(j["result"] for j in records)

    def _runtime_job(self, stage: Stage, job: Job, srec: dict[str, Any], jrec: dict[str, Any]) -> RuntimeJob:
        legs: Mapping[str, Mapping[str, str]] | None = None
        if job.matrix_expression is not None:
            legs = {
                j["leg"]: j.get("matrix") or {}
                for j in srec["jobs"]
                if j.get("phase") == job.name and j.get("leg") is not None
            }
        for rjob in expand_job(stage.name, job, legs):
            if rjob.name == jrec["name"]:
                return rjob
        raise PipelineError(
            f"The run record names job {jrec['name']} that the pipeline does not have",
            job.location,
            hint="the pipeline changed since the run was queued",
        )

    def _expand_dynamic_matrix(
        self, stage: Stage, job: Job, srec: dict[str, Any], jrec: dict[str, Any]
    ) -> bool:
        """`matrix: $[ ... ]`: evaluated once its dependencies are done; the legs replace the placeholder."""
        assert job.matrix_expression is not None
        try:
            named = self._job_named(stage, job, self._stage_variables(stage))
            value = self._evaluate(job.matrix_expression, named, self.counters.functions(), job.location)
            if isinstance(value, str):
                value = lenient_json(value) if value.strip() else {}
            legs = matrix_legs(dict(value) if isinstance(value, Mapping) else value, job.location)
        except (MlopsError, ValueError) as exc:
            message = exc.render() if isinstance(exc, MlopsError) else f"The matrix is not valid JSON: {exc}"
            jrec.update(
                state="completed", result=cond.FAILED, message=self.masker(message), finishedAt=utc_now()
            )
            self.run.save()
            self.reporter.job_finished(stage, job, cond.FAILED)
            return True
        index = srec["jobs"].index(jrec)
        if not legs:
            jrec.update(state="completed", result=cond.SKIPPED, message="the matrix has no legs")
            self.run.save()
            return True
        new = [job_record(r) for r in expand_job(stage.name, job, legs)]
        srec["jobs"][index : index + 1] = new
        self.run.save()
        return True

    def _start_job(
        self,
        stage: Stage,
        srec: dict[str, Any],
        job: Job,
        jrec: dict[str, Any],
        pool: ThreadPoolExecutor,
        resumed: bool = False,
    ) -> None:
        rjob = self._runtime_job(stage, job, srec, jrec)
        view = replace(job, name=rjob.name, display_name=rjob.display_name)
        try:
            variables = self._stage_variables(stage)
            named = self._job_named(stage, job, variables)
            self._apply_variables(variables, job.variables, named, static_only=True)
            variables.update(rjob.matrix.items())
            condition = job.condition or cond.DEFAULT_CONDITION
            graph = self.job_graphs[stage.name]
            results = {d: self._phase_result(srec, d) for d in cond.ancestors(job.name, graph.depends_on)}
            ok = resumed or self.condition(
                condition,
                {**named, "variables": self.variables_view(variables)},
                cond.status_functions(results, self.cancellation.requested),
                job.condition_location or job.location,
                f"job {job.name}",
            )
            if not ok:
                self._skip_job(stage, view, jrec, f"condition '{condition}' was false")
                return
            self._apply_variables(variables, job.variables, named)
            variables.update(rjob.matrix.items())
            if job.deployment and (job.server or any(h.server for h in job.hooks)):
                raise MlopsError(
                    "Agentless deployment jobs and lifecycle hooks (pool: server) are not supported by the "
                    "emulator",
                    job.location,
                    hint="use a regular job with pool: server for a manual validation",
                )
        except MlopsError as exc:
            jrec.update(
                state="completed", result=cond.FAILED, message=self.masker(exc.render()), finishedAt=utc_now()
            )
            for st in jrec["steps"]:
                st["result"] = st.get("result") or cond.SKIPPED
            self.run.save()
            self.run.event("jobFinished", stage=stage.name, job=jrec["name"], result=cond.FAILED)
            self.reporter.job_finished(stage, view, cond.FAILED)
            return
        jrec["state"] = "queued"
        self._revisited.add((stage.name, jrec["name"]))
        runner = JobRunner(self, stage, rjob, jrec, variables, resumed=resumed)
        future = pool.submit(runner.execute)
        self._running[future] = (stage.name, rjob.name)

    def _skip_job(
        self, stage: Stage, job: Job, jrec: dict[str, Any], why: str, result: str = cond.SKIPPED
    ) -> None:
        jrec.update(state="completed", result=result, message=why, finishedAt=utc_now())
        for st in jrec["steps"]:
            st["result"] = st.get("result") or cond.SKIPPED
        self.run.save()
        self.run.event("jobFinished", stage=stage.name, job=jrec["name"], result=result)
        self.reporter.job_finished(stage, job, result)

    def _fail_job(self, stage_name: str, job_name: str, message: str) -> None:
        with self.run.lock:
            srec = _find(self.run.data["stages"], stage_name)
            jrec = _find(srec["jobs"], job_name)
            if jrec["state"] != "completed":
                jrec.update(state="completed", result=cond.FAILED, message=message, finishedAt=utc_now())
                self.run.save()

    # ---- gates --------------------------------------------------------------------------------
    def _gate(self, stage: Stage, env: str) -> gate_checks.GateOutcome:
        envs = self.options.environments
        config = envs.get(env)
        context = gate_checks.GateContext(home=self.options.home, check_policy=self.options.check_policy)
        outcome = gate_checks.evaluate(config, stage.name, self.run.data, envs, context)
        if config is None:
            outcome = gate_checks.GateOutcome("passed", env, "environment has no checks configured")
        self.run.data.setdefault("checks", []).append(
            {
                "stage": stage.name,
                "environment": config.name if config else env,
                "status": outcome.status,
                "message": outcome.message,
                "at": utc_now(),
                "approvedBy": list(outcome.decided_by),
                "results": gate_checks.summary(outcome.results),
            }
        )
        if outcome.status == "pending" and not self.run.data.get("waiting"):
            check = outcome.check
            self.run.data["waiting"] = {
                "stage": stage.name,
                "environment": outcome.environment,
                "message": outcome.message,
                "approvers": list(check.approvers) if check else [],
                "instructions": check.instructions if check else None,
            }
        self.run.save()
        self.reporter.gate(stage, outcome)
        return outcome

    # ---- expression contexts ------------------------------------------------------------------
    def _pipeline_context(self) -> CaseInsensitiveDict:
        started = self.run.data.get("startedAt") or utc_now()
        try:
            start = datetime.fromisoformat(started)
        except ValueError:
            start = datetime.now(UTC)
        return CaseInsensitiveDict({"startTime": start})

    def _job_outputs(self, stage: str, jrec: dict[str, Any]) -> dict[str, str]:
        return self.secrets.outputs_of(f"{stage}/{jrec['name']}", jrec.get("outputs") or {})

    def _phase_context(self, stage: str, srec: dict[str, Any], phase: str) -> CaseInsensitiveDict:
        records = [j for j in srec["jobs"] if j.get("phase", j["name"]) == phase]
        outputs: dict[str, str] = {}
        for jrec in records:
            outputs.update(self._job_outputs(stage, jrec))
        result = self._phase_result(srec, phase)
        return CaseInsensitiveDict(
            {"result": cond.expression_result(result), "outputs": CaseInsensitiveDict(outputs)}
        )

    def _stage_dependencies_context(self, stage: Stage) -> CaseInsensitiveDict:
        """`dependencies` in a stage's condition and variables: the stages it depends on directly, with
        outputs named `<job>.<step>.<var>` [DOC expressions.md "Stage to stage dependencies"]."""
        out: dict[str, Any] = {}
        for dep in self.stage_deps[stage.name]:
            srec = _find(self.run.data["stages"], dep)
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
            srec = _find(self.run.data["stages"], dep)
            phases = dict.fromkeys(j.get("phase", j["name"]) for j in srec["jobs"])
            out[dep] = CaseInsensitiveDict({p: self._phase_context(dep, srec, p) for p in phases})
        return CaseInsensitiveDict(out)

    def _job_named(self, stage: Stage, job: Job, variables: VariableSet) -> dict[str, Any]:
        srec = _find(self.run.data["stages"], stage.name)
        deps = self.job_graphs[stage.name].depends_on[job.name]
        return {
            "dependencies": CaseInsensitiveDict({d: self._phase_context(stage.name, srec, d) for d in deps}),
            "stageDependencies": self._stage_job_dependencies(stage),
            "variables": self.variables_view(variables),
            "pipeline": self._pipeline_context(),
        }

    # ---- variables ----------------------------------------------------------------------------
    def variables_view(self, vs: VariableSet) -> CaseInsensitiveDict:
        return CaseInsensitiveDict(vs.as_dict())

    def _run_variables(self) -> VariableSet:
        """Predefined < queue-time < pipeline YAML [DOC variables.md "Expansion of variables"]."""
        vs = VariableSet()
        vs.update(self._predefined().items(), readonly=True)
        vs.set("System.Debug", "false")
        vs.set("System.AccessToken", ACCESS_TOKEN, secret=True, readonly=True)
        vs.update(self.options.queue_variables.items())
        for name, value in self.secrets.variables.items():
            vs.set(name, value, secret=True)
        self._apply_variables(vs, self.pipeline.variables, {"pipeline": self._pipeline_context()})
        return vs

    def _stage_variables(self, stage: Stage) -> VariableSet:
        vs = self._run_variables()
        for name, value in {
            "System.StageName": stage.name,
            "System.StageDisplayName": stage.display_name,
            "System.StageAttempt": "1",
            "System.StageId": self._uuid(stage.name),
        }.items():
            vs.set(name, value, readonly=True)
        named = {
            "dependencies": self._stage_dependencies_context(stage),
            "stageDependencies": self._stage_job_dependencies(stage),
            "pipeline": self._pipeline_context(),
        }
        self._apply_variables(vs, stage.variables, named)
        return vs

    def _apply_variables(
        self,
        vs: VariableSet,
        variables: tuple[Variable, ...],
        named: Mapping[str, Any],
        static_only: bool = False,
    ) -> None:
        """Set a scope's variables in order; `$[ ]` values are evaluated with what is known so far."""
        for var in variables:
            value = _text(var.value)
            stripped = value.strip()
            if stripped.startswith("$[") and stripped.endswith("]"):
                if static_only:
                    continue
                ctx_named = {**named, "variables": self.variables_view(vs)}
                value = to_string(
                    self._evaluate(
                        stripped[2:-1], ctx_named, self.counters.functions(), var.location.shifted(2)
                    )
                )
            if vs.is_readonly(var.name) and var.name.lower() not in ("system.debug",):
                continue
            vs.set(var.name, value, readonly=var.readonly, location=var.location)

    def _queue_time_warnings(self) -> None:
        """Queue-time values lose to YAML-defined ones [DOC variables.md "Allow at queue time"]."""
        yaml_names = {v.name.lower() for v in self.pipeline.variables}
        yaml_names |= {v.name.lower() for s in self.pipeline.stages for v in s.variables}
        yaml_names |= {v.name.lower() for s in self.pipeline.stages for j in s.jobs for v in j.variables}
        warnings = self.run.data.setdefault("warnings", [])
        for name in self.options.queue_variables:
            if name.lower() in yaml_names:
                text = (
                    f"Variable '{name}' is defined in the YAML, so its queue-time value is not used "
                    "(YAML-defined variables can't be overridden at queue time)"
                )
                if text not in warnings:
                    warnings.append(text)

    def _uuid(self, *parts: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(["mlops", self.run.id, *parts])))

    def _predefined(self) -> dict[str, str]:
        data = self.run.data
        git = data.get("git") or {}
        branch = git.get("branch") if git.get("branch") not in (None, "", "HEAD") else "main"
        repo = self.options.repo_root
        machine = platform.machine().lower()
        return {
            "Build.BuildId": self.run.id,
            "Build.BuildNumber": str(self.secrets.build_number(data.get("buildNumber")) or self.run.id),
            "Build.BuildUri": f"vstfs:///Build/Build/{self.run.id}",
            "Build.DefinitionName": data.get("definitionName", ""),
            "Build.DefinitionVersion": "1",
            "Build.Reason": "Manual",
            "Build.SourceBranch": f"refs/heads/{branch}",
            "Build.SourceBranchName": str(branch).split("/")[-1],
            "Build.SourceVersion": git.get("commit") or "",
            "Build.SourceVersionMessage": git.get("message") or "",
            "Build.Repository.Name": repo.name,
            "Build.Repository.ID": self._uuid("repository"),
            "Build.Repository.Provider": "TfsGit",
            "Build.Repository.Uri": repo.as_uri(),
            "Build.RequestedFor": self.options.requester,
            "Build.RequestedForId": self.options.requester,
            "Build.RequestedForEmail": "",
            "Build.QueuedBy": self.options.requester,
            "Build.QueuedById": self.options.requester,
            "System.TeamProject": "local",
            "System.TeamProjectId": self._uuid("project"),
            "System.CollectionUri": "https://dev.azure.com/local/",
            "System.TeamFoundationCollectionUri": "https://dev.azure.com/local/",
            "System.CollectionId": self._uuid("collection"),
            "System.DefinitionId": "1",
            "System.DefinitionName": data.get("definitionName", ""),
            "System.HostType": "build",
            "System.ServerType": "Hosted",
            "System.PlanId": self._uuid("plan"),
            "System.IsScheduled": "False",
            "System.PipelineStartTime": str(data.get("startedAt") or ""),
            "System.JobAttempt": "1",
            "System.PhaseAttempt": "1",
            "Agent.OS": {"Linux": "Linux", "Darwin": "Darwin", "Windows": "Windows_NT"}.get(
                platform.system(), "Linux"
            ),
            "Agent.OSArchitecture": {
                "x86_64": "X64",
                "amd64": "X64",
                "aarch64": "ARM64",
                "arm64": "ARM64",
            }.get(machine, machine.upper()),
            "Agent.Name": "mlops-local",
            "Agent.MachineName": socket.gethostname(),
            "Agent.Id": "1",
            "Agent.Version": "4.0.0",
            "Agent.HomeDirectory": str(self.options.home),
            "TF_BUILD": "True",
        }

    def _build_number(self) -> str:
        """The run's name from the pipeline's `name:` (default `$(Date:yyyyMMdd).$(Rev:r)`)
        [DOC process/run-number.md]: date tokens, `$(Rev:r)` counted per distinct name, variables."""
        from emulator.expressions.values import format_datetime_custom

        fmt = self.pipeline.name or "$(Date:yyyyMMdd).$(Rev:r)"
        now = datetime.now(UTC)

        def date(m: re.Match[str]) -> str:
            try:
                return format_datetime_custom(now, m.group(1))
            except ExpressionError:
                return m.group(0)

        text = re.sub(r"\$\(Date:([^)]+)\)", date, fmt)
        simple = {
            "dayofmonth": f"{now.day}",
            "dayofyear": f"{now.timetuple().tm_yday}",
            "hours": f"{now.hour}",
            "minutes": f"{now.minute}",
            "month": f"{now.month}",
            "seconds": f"{now.second}",
            "year:yy": f"{now.year % 100:02d}",
            "year:yyyy": f"{now.year}",
            "builddefinitionname": str(self.run.data.get("definitionName", "")),
            "buildid": self.run.id,
            "teamproject": "local",
            "sourcebranchname": self._predefined()["Build.SourceBranchName"],
        }
        text = re.sub(r"\$\(([A-Za-z:]+)\)", lambda m: simple.get(m.group(1).lower(), m.group(0)), text)
        rev = re.search(r"\$\(Rev:(r+)\)", text)
        if rev:
            value = self.counters.next(text, 1, kind="rev")
            text = text.replace(rev.group(0), f"{value:0{len(rev.group(1))}d}")
        vs = VariableSet()
        vs.update(self._predefined().items())
        for var in self.pipeline.variables:
            vs.set(var.name, _text(var.value))
        text = vs.expand(text)
        return re.sub(r'["/:<>\\|?@*]', "_", text).strip() or self.run.id

    def agent_variables(self, vs: VariableSet, stage: Stage, rjob: RuntimeJob, ws: Workspace) -> None:
        """What the agent sets when the job starts [DOC predefined variables]; read-only."""
        root = str(ws.root)
        job = rjob.job
        values = {
            "Pipeline.Workspace": root,
            "Agent.BuildDirectory": root,
            "Agent.WorkFolder": str(ws.root.parent),
            "Agent.TempDirectory": str(ws.temp),
            "Agent.ToolsDirectory": str(ws.root.parent / "_tool"),
            "Agent.JobName": rjob.display_name,
            "Agent.JobStatus": "Succeeded",
            "Build.SourcesDirectory": str(ws.sources),
            "Build.Repository.LocalPath": str(ws.sources),
            "System.DefaultWorkingDirectory": str(ws.sources),
            "Build.ArtifactStagingDirectory": str(ws.staging),
            "Build.StagingDirectory": str(ws.staging),
            "System.ArtifactsDirectory": str(ws.staging),
            "Build.BinariesDirectory": str(ws.binaries),
            "Common.TestResultsDirectory": str(ws.test_results),
            "System.JobName": rjob.leg,
            "System.JobDisplayName": rjob.display_name,
            "System.JobId": self._uuid(stage.name, rjob.name),
            "System.JobIdentifier": rjob.identifier,
            "System.JobPositionInPhase": str(rjob.position),
            "System.TotalJobsInPhase": str(rjob.total),
            "System.PhaseName": job.name,
            "System.PhaseDisplayName": job.display_name,
            "System.PhaseId": self._uuid(stage.name, job.name),
        }
        if job.environment is not None:
            env = job.environment
            values.update(
                {
                    "Environment.Name": env.name,
                    "Environment.Id": str(zlib.crc32(env.name.lower().encode()) % 10000),
                    "Environment.ResourceName": env.resource_name or "",
                    "Environment.ResourceId": env.resource_name
                    and self._uuid("resource", env.resource_name)
                    or "",
                    "Strategy.Name": job.strategy or "runOnce",
                    "Strategy.Action": "deploy",
                }
            )
        for name, value in values.items():
            vs.set(name, value, readonly=True)

    def hook_variables(self, vs: VariableSet, rjob: RuntimeJob, first: RuntimeStep) -> None:
        """Per lifecycle hook: its job name (output prefix), the canary increment, the rolling target."""
        vs.set("System.JobName", first.job_name, readonly=True)
        cycle = {"preDeploy": "PreIteration", "on.success": "PostIteration", "on.failure": "PostIteration"}
        vs.set("Strategy.CycleName", cycle.get(first.hook or "", "Iteration"), readonly=True)
        if rjob.job.strategy == "canary" and first.iteration is not None:
            vs.set("Strategy.Increment", first.iteration, readonly=True)
        if rjob.job.strategy == "rolling" and first.iteration is not None:
            vs.set("Environment.ResourceName", first.iteration, readonly=True)

    # ---- secrets --------------------------------------------------------------------------------
    def recorded_outputs(
        self, stage: str, job: str, outputs: Mapping[str, str], secret_outputs: Mapping[str, str]
    ) -> dict[str, str]:
        """A job's outputs as its record shows them (masked); later jobs read the real values."""
        return self.secrets.recorded_outputs(f"{stage}/{job}", outputs, secret_outputs)

    def remember_secret_value(self, value: str) -> None:
        self.secrets.remember(value)

    def set_build_number(self, number: str) -> None:
        """`build.updatebuildnumber`: the record shows it masked; Build.BuildNumber is the real one."""
        with self.run.lock:
            self.run.data["buildNumber"] = self.secrets.recorded_build_number(number)

    def add_build_tag(self, tag: str) -> None:
        with self.run.lock:
            tags = self.run.data.setdefault("tags", [])
            if self.masker(tag) not in tags:
                tags.append(self.masker(tag))

    # ---- expressions --------------------------------------------------------------------------
    def _evaluate(
        self, text: str, named: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]], loc: Location
    ) -> Any:
        return evaluate_text(text, EvalContext(named=named, functions=functions, location=loc), loc)

    def condition(
        self,
        text: str,
        named: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]],
        loc: Location,
        what: str,
    ) -> bool:
        all_functions = {**self.counters.functions(), **functions}
        try:
            return to_bool(self._evaluate(text, named, all_functions, loc))
        except ExpressionError as exc:
            raise ExpressionError(
                f"Condition of {what}: {exc.message}",
                exc.location or loc,
                expected=exc.expected,
                hint=exc.hint,
            ) from None
