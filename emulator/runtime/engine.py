"""The run-time engine: stages and jobs in dependency order, in parallel, with a resumable record.

Order of work per the service [DOC process/runs.md; semantics notes 1.1, 1.8]: a stage starts when all
the stages it depends on are finished (by default the previous one; `dependsOn: []` none); its
condition is evaluated (default `succeeded()`), then the checks of the environments its jobs target;
then its jobs start as soon as the jobs they depend on are finished (jobs of a stage are independent
by default), each expanded into its matrix legs or slices, each with its own condition. Independent
stages and jobs run side by side, at most `parallel` jobs at a time (the agents of the local pool).
A stage waiting on an approval does not stop independent ones; the run pauses when nothing else can.

Everything a run learns is written to its record as it goes, one journal line per change (see
store/journal.py). After a crash (even kill -9), resume continues after the last completed job: a job
that was running reruns from its start (its leftover processes are stopped first, the attempt is kept
as failed); a completed job never runs again.

The cost of an event does not grow with the pipeline: only stages whose dependencies have finished are
looked at (a heap in authored order), a job that finishes wakes only its own stage, a free agent only
the first stage that waits for one, and what a status function reads of the stages above a stage is
the set of results among them, built from its direct dependencies.

Ctrl-C cancels as the service does: running steps are stopped unless their condition still holds
(`always()`), and later work runs only if its condition allows it. A second Ctrl-C stops everything.
"""

from __future__ import annotations

import heapq
import signal
import threading
from collections.abc import Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import replace
from typing import Any

from emulator.errors import MlopsError, PipelineError
from emulator.gates import checks as gate_checks
from emulator.model import Job, Pipeline, Stage, matrix_legs
from emulator.plan import RuntimeJob, expand_job, job_graph, job_record, stage_dependencies, stage_graph
from emulator.plan import initial_record as plan_initial_record
from emulator.records import JobRecord, StageRecord
from emulator.runtime import conditions as cond
from emulator.runtime import interrupted, selection
from emulator.runtime.contexts import RunContexts, phase_result, variables_view
from emulator.runtime.counters import Counters
from emulator.runtime.events import Reporter
from emulator.runtime.jobs import JobRunner
from emulator.runtime.json_net import lenient_json
from emulator.runtime.options import RunOptions, default_parallel
from emulator.runtime.predefined import ACCESS_TOKEN, Predefined
from emulator.runtime.process import Cancellation
from emulator.runtime.rerun import reset_job
from emulator.runtime.run_variables import RunVariables
from emulator.runtime.secrets import RunSecrets
from emulator.runtime.services import JobServices
from emulator.runtime.variables import VariableSet
from emulator.store.files import utc_now
from emulator.store.runs import Run
from emulator.tasks.base import Registry

PAUSED = "paused"
POLL_SECONDS = 0.25
ACTIVE = ("queued", "running")


def initial_record(pipeline: Pipeline) -> list[StageRecord]:
    """The stage/job/step skeleton of a run record, before anything ran (see plan.initial_record)."""
    return plan_initial_record(pipeline)


def _find(items: list[JobRecord], name: str) -> JobRecord:
    return next(i for i in items if i["name"] == name)


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
        self.cancellation = cancellation or Cancellation()
        self.counters = Counters(options.home, str(run.data.get("pipeline", "")), run.id)
        self.parallel = (
            options.parallel
            if options.parallel > 0
            else int(run.data.get("parallel") or 0) or default_parallel()
        )
        self.stage_deps = stage_dependencies(pipeline.stages)
        self.job_graphs = {s.name: job_graph(s) for s in pipeline.stages}
        self.job_orders = {name: graph.order() for name, graph in self.job_graphs.items()}
        self.secrets = RunSecrets(
            run, options.secret_variables, [ACCESS_TOKEN, *options.variable_groups.secrets(pipeline.groups())]
        )
        self.masker = self.secrets.masker
        self.predefined = Predefined(
            run, pipeline, options.repo_root, options.requester, options.home, self.counters, self.secrets
        )
        self.contexts = RunContexts(run, self.stage_deps, self.job_graphs, self.secrets)
        self.variables = RunVariables(
            run, pipeline, options, self.counters, self.secrets, self.predefined, self.contexts.pipeline
        )
        self.services = JobServices(
            run,
            options,
            pipeline.repositories,
            registry,
            reporter,
            self.cancellation,
            self.secrets,
            self.predefined,
            self.counters,
        )
        self._stages = {s.name: s for s in pipeline.stages}
        self._order = {name: i for i, name in enumerate(stage_graph(pipeline).order())}
        self._srecs = {srec["name"]: srec for srec in run.data["stages"]}
        self._dependents: dict[str, list[str]] = {name: [] for name in self._stages}
        for name, deps in self.stage_deps.items():
            for dep in dict.fromkeys(deps):
                self._dependents[dep].append(name)
        self._blocked: dict[str, int] = {}  # stage -> how many of its dependencies are not finished
        self._attention: list[tuple[int, str]] = []  # stages to look at, a heap in authored order
        self._queued: set[str] = set()
        self._starved: list[tuple[int, str]] = []  # running stages with jobs waiting for a free agent
        self._upstream: dict[str, frozenset[str | None]] = {}  # results that occur above a stage
        self._canceled_seen = self._aborted_seen = False
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
                data["buildNumber"] = self.secrets.recorded_build_number(self.predefined.build_number())
            self.variables.queue_time_warnings()
            self.run.save()
            self._plan()
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
                    self._look_at(stage_name)
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
            if waiting and not canceled and error is None:
                data["status"] = PAUSED
                data["result"] = PAUSED
                self.run.save()
                self.run.event("paused", stage=(data.get("waiting") or {}).get("stage"))
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
            data.update({"status": "completed", "result": result, "finishedAt": utc_now(), "waiting": None})
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
                    jrec.update({"state": "completed", "result": cond.CANCELED})
                    for st in jrec["steps"]:
                        st["result"] = st.get("result") or cond.CANCELED
            srec.update(
                {
                    "state": "completed",
                    "result": (
                        cond.worst(j["result"] for j in srec["jobs"]) if srec["jobs"] else cond.CANCELED
                    ),
                    "finishedAt": utc_now(),
                }
            )
            if srec["result"] == cond.SKIPPED:
                srec["result"] = cond.CANCELED

    def _recover(self) -> None:
        """After an interruption: a job that was queued or running starts again from scratch; the attempt
        that was cut is kept, failed, as the service keeps a job whose agent stopped answering."""
        why = interrupted.message(self.run.data)
        for srec in self.run.data["stages"]:
            for jrec in srec["jobs"]:
                if jrec["state"] not in ACTIVE:
                    continue
                interrupted.stop_leftovers(self.run, self.options.home, srec["name"], jrec)
                kept_as = cond.FAILED if jrec["state"] == "running" else None
                reset_job(jrec, kept_as, why, self.run.data.get("updatedAt"))
                self.secrets.forget_job(f"{srec['name']}/{jrec['name']}")
                self.run.event("jobReset", stage=srec["name"], job=jrec["name"], attempt=jrec.get("attempt"))

    # ---- scheduling ---------------------------------------------------------------------------
    def _plan(self) -> None:
        """Which stages can be looked at now: those whose dependencies have all finished."""
        for name, deps in self.stage_deps.items():
            self._blocked[name] = sum(
                1 for d in dict.fromkeys(deps) if self._srecs[d]["state"] != "completed"
            )
            if self._blocked[name] == 0 and self._srecs[name]["state"] != "completed":
                self._look_at(name)

    def _look_at(self, name: str) -> None:
        if name not in self._queued:
            self._queued.add(name)
            heapq.heappush(self._attention, (self._order[name], name))

    def _schedule(self, pool: ThreadPoolExecutor) -> bool:
        """Start, skip or finish whatever can be (holding the run's lock); True if anything changed."""
        self._wake_on_cancel()
        changed = False
        while True:
            if not self._attention and self._starved and len(self._running) < self.parallel:
                _, name = heapq.heappop(self._starved)
                self._look_at(name)
            if not self._attention:
                return changed
            _, name = heapq.heappop(self._attention)
            self._queued.discard(name)
            stage, srec = self._stages[name], self._srecs[name]
            touched = False
            if srec["state"] in ("pending", "waiting"):
                touched = self._try_start_stage(stage, srec)
            if srec["state"] == "running":
                touched |= self._schedule_jobs(stage, srec, pool)
                if touched and srec["state"] == "running":
                    self._look_at(name)  # until nothing more happens in it
            if srec["state"] == "completed":
                for after in self._dependents[name]:
                    self._blocked[after] -= 1
                    if self._blocked[after] == 0:
                        self._look_at(after)
            changed |= touched

    def _wake_on_cancel(self) -> None:
        """A cancel (or a stop) reaches the stages that wait: each is looked at once more."""
        if (
            self.cancellation.requested
            and not self._canceled_seen
            or (self.cancellation.aborted and not self._aborted_seen)
        ):
            self._canceled_seen = self.cancellation.requested
            self._aborted_seen = self.cancellation.aborted
            for name, srec in self._srecs.items():
                if srec["state"] != "completed" and self._blocked.get(name) == 0:
                    self._look_at(name)

    def _upstream_of(self, name: str) -> cond.Upstream:
        """What the status functions of a stage's condition read of the stages above it (all finished:
        a stage is looked at once its dependencies are)."""
        todo = [name]
        while todo:  # the results above each stage, from those above its dependencies (no recursion)
            current = todo[-1]
            missing = [d for d in self.stage_deps[current] if d not in self._upstream]
            if missing:
                todo += missing
                continue
            todo.pop()
            kinds: set[str | None] = set()
            for dep in self.stage_deps[current]:  # a stage left out at queue time holds nothing back
                own = () if selection.deselected(self._srecs[dep]) else (self._srecs[dep]["result"],)
                kinds |= {*own, *self._upstream[dep]}
            self._upstream[current] = frozenset(kinds)

        def result_of(other: str) -> str | None:
            above = cond.ancestors(name, self.stage_deps)
            match = next((a for a in above if a.lower() == other.lower()), None)
            return self._srecs[match]["result"] if match else None

        return cond.Upstream(self._upstream[name], result_of)

    def _try_start_stage(self, stage: Stage, srec: StageRecord) -> bool:
        if selection.deselected(srec):
            self._skip_stage(stage, srec, selection.why("Stage"))
            return True
        if self.cancellation.aborted:
            self._skip_stage(stage, srec, "the run was stopped", cond.CANCELED)
            return True
        if srec["state"] == "pending":
            if stage.condition is None and self.cancellation.requested:  # succeeded() is false once canceled
                self._skip_stage(stage, srec, f"condition '{cond.DEFAULT_CONDITION}' was false")
                return True
            condition = stage.condition or cond.DEFAULT_CONDITION
            try:
                ok = self.services.condition(
                    condition,
                    self.contexts.stage_condition(stage, self.variables.run_scope()),
                    cond.status_functions(self._upstream_of(stage.name), self.cancellation.requested),
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
        # `environment: $(name)`: macros resolve against the variables known when the run is queued
        # (pipeline-level, queue-time, predefined), not stage or job ones [DOC process/environments.md
        # "Environment creation happens at compile time, so we have to use variables"; docs issue 5940]
        known = self.variables.run_scope()
        targets = (known.expand(e.name).lower() for e in selection.gating_environments(stage, srec))
        for env in dict.fromkeys(targets):
            outcome = self._gate(stage, env, srec)
            if outcome.status == "pending":
                srec["state"] = "waiting"
                self.run.save(srec)
                return False
            if outcome.status == "rejected":
                self._skip_stage(
                    stage, srec, f"Environment '{outcome.environment}': {outcome.message}", cond.FAILED
                )
                return True
        srec.update({"state": "running", "startedAt": srec.get("startedAt") or utc_now()})
        srec.pop("message", None)
        waiting = self.run.data.get("waiting")
        if waiting and waiting.get("stage") == stage.name:
            self.run.data["waiting"] = None
        self.run.save(srec)
        self.run.event("stageStarted", stage=stage.name)
        self.reporter.stage_started(stage)
        return True

    def _skip_stage(self, stage: Stage, srec: StageRecord, why: str, result: str = cond.SKIPPED) -> None:
        """A stage that does not run: its jobs and steps are skipped (nothing under a skipped parent runs)."""
        srec.update(
            {
                "state": "completed",
                "result": result,
                "message": self.masker(why),
                "finishedAt": utc_now(),
            }
        )
        for jrec in srec["jobs"]:
            jrec.update({"state": "completed", "result": cond.SKIPPED})
            for st in jrec["steps"]:
                st["result"] = cond.SKIPPED
        self.run.save(srec)
        self.run.event("stageFinished", stage=stage.name, result=result)
        self.reporter.stage_finished(stage, result, srec["message"])

    def _schedule_jobs(self, stage: Stage, srec: StageRecord, pool: ThreadPoolExecutor) -> bool:
        changed = False
        graph = self.job_graphs[stage.name]
        starved = False
        for phase in self.job_orders[stage.name]:
            job = next(j for j in stage.jobs if j.name == phase)
            records = [j for j in srec["jobs"] if j.get("phase", j["name"]) == phase]
            for jrec in records:  # a manual validation waits: decided since? (once per execution)
                key = (stage.name, jrec["name"])
                revisit = jrec["state"] == "waiting" and key not in self._revisited
                if revisit and not self.cancellation.requested:
                    if len(self._running) >= self.parallel:
                        starved = True
                        break
                    self._start_job(stage, srec, job, jrec, pool, resumed=True)
                    changed = True
            pending = [j for j in records if j["state"] == "pending"]
            if not pending:
                continue
            if not all(phase_result(srec, d) is not None for d in graph.depends_on[phase]):
                continue
            if self.cancellation.aborted:
                for jrec in pending:
                    self._skip_job(stage, job, jrec, "the run was stopped", cond.CANCELED)
                changed = True
                continue
            for jrec in pending:
                if selection.deselected(jrec):  # left out at queue time: skipped once its turn comes
                    self._skip_job(stage, job, jrec, selection.why("Job"))
                    changed = True
                    continue
                if jrec.get("matrixExpression") is not None and jrec.get("leg") is None:
                    changed |= self._expand_dynamic_matrix(stage, job, srec, jrec)
                    break
                if len(self._running) >= self.parallel:
                    starved = True
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
            return True
        if starved:
            heapq.heappush(self._starved, (self._order[stage.name], stage.name))
        return changed

    def _finish_stage(self, stage: Stage, srec: StageRecord) -> None:
        result = cond.worst(j["result"] for j in srec["jobs"])
        srec.update({"state": "completed", "result": result, "finishedAt": utc_now()})
        self.run.save(srec)
        self.run.event("stageFinished", stage=stage.name, result=result)
        self.reporter.stage_finished(stage, result, srec.get("message"))

    def _runtime_job(self, stage: Stage, job: Job, srec: StageRecord, jrec: JobRecord) -> RuntimeJob:
        legs: Mapping[str, Mapping[str, str]] | None = None
        if job.matrix_expression is not None:
            legs = {
                str(j["leg"]): j.get("matrix") or {}
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

    def _expand_dynamic_matrix(self, stage: Stage, job: Job, srec: StageRecord, jrec: JobRecord) -> bool:
        """`matrix: $[ ... ]`: evaluated once its dependencies are done; the legs replace the placeholder."""
        assert job.matrix_expression is not None
        try:
            named = self.contexts.job(stage, job, self._stage_variables(stage))
            functions = self.counters.functions()
            value = self.services.evaluate(job.matrix_expression, named, functions, job.location)
            if isinstance(value, str):
                value = lenient_json(value) if value.strip() else {}
            legs = matrix_legs(dict(value) if isinstance(value, Mapping) else value, job.location)
        except (MlopsError, ValueError) as exc:
            message = exc.render() if isinstance(exc, MlopsError) else f"The matrix is not valid JSON: {exc}"
            jrec.update(
                {
                    "state": "completed",
                    "result": cond.FAILED,
                    "message": self.masker(message),
                    "finishedAt": utc_now(),
                }
            )
            self.run.save(jrec)
            self.reporter.job_finished(stage, job, cond.FAILED)
            return True
        index = srec["jobs"].index(jrec)
        if not legs:
            jrec.update({"state": "completed", "result": cond.SKIPPED, "message": "the matrix has no legs"})
            self.run.save(jrec)
            return True
        new = [job_record(r) for r in expand_job(stage.name, job, legs)]
        srec["jobs"][index : index + 1] = new
        self.run.save(srec)
        return True

    def _start_job(
        self,
        stage: Stage,
        srec: StageRecord,
        job: Job,
        jrec: JobRecord,
        pool: ThreadPoolExecutor,
        resumed: bool = False,
    ) -> None:
        rjob = self._runtime_job(stage, job, srec, jrec)
        view = replace(job, name=rjob.name, display_name=rjob.display_name)
        try:
            variables = self._stage_variables(stage)
            named = self.contexts.job(stage, job, variables)
            self.variables.apply(variables, job.variables, named, static_only=True)
            variables.update(rjob.matrix.items())
            condition = job.condition or cond.DEFAULT_CONDITION
            graph = self.job_graphs[stage.name]
            results = {
                d: phase_result(srec, d)
                for d in cond.ancestors(job.name, graph.depends_on)
                if not selection.phase_deselected(srec, d)
            }
            ok = resumed or self.services.condition(
                condition,
                {**named, "variables": variables_view(variables)},
                cond.status_functions(results, self.cancellation.requested),
                job.condition_location or job.location,
                f"job {job.name}",
            )
            if not ok:
                self._skip_job(stage, view, jrec, f"condition '{condition}' was false")
                return
            self.variables.apply(variables, job.variables, named)
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
                {
                    "state": "completed",
                    "result": cond.FAILED,
                    "message": self.masker(exc.render()),
                    "finishedAt": utc_now(),
                }
            )
            for st in jrec["steps"]:
                st["result"] = st.get("result") or cond.SKIPPED
            self.run.save(jrec)
            self.run.event("jobFinished", stage=stage.name, job=jrec["name"], result=cond.FAILED)
            self.reporter.job_finished(stage, view, cond.FAILED)
            return
        jrec["state"] = "queued"
        self._revisited.add((stage.name, jrec["name"]))
        runner = JobRunner(self.services, stage, rjob, jrec, variables, resumed=resumed)
        future = pool.submit(runner.execute)
        self._running[future] = (stage.name, rjob.name)

    def _skip_job(
        self, stage: Stage, job: Job, jrec: JobRecord, why: str, result: str = cond.SKIPPED
    ) -> None:
        jrec.update({"state": "completed", "result": result, "message": why, "finishedAt": utc_now()})
        for st in jrec["steps"]:
            st["result"] = st.get("result") or cond.SKIPPED
        self.run.save(jrec)
        self.run.event("jobFinished", stage=stage.name, job=jrec["name"], result=result)
        self.reporter.job_finished(stage, job, result)

    def _fail_job(self, stage_name: str, job_name: str, message: str) -> None:
        with self.run.lock:
            jrec = _find(self._srecs[stage_name]["jobs"], job_name)
            if jrec["state"] != "completed":
                jrec.update(
                    {
                        "state": "completed",
                        "result": cond.FAILED,
                        "message": message,
                        "finishedAt": utc_now(),
                    }
                )
                self.run.save(jrec)

    # ---- gates --------------------------------------------------------------------------------
    def _gate(self, stage: Stage, env: str, srec: StageRecord) -> gate_checks.GateOutcome:
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
        self.run.save(srec)
        self.reporter.gate(stage, outcome)
        return outcome

    def _stage_variables(self, stage: Stage) -> VariableSet:
        return self.variables.stage_scope(stage, self.contexts.stage_variables(stage))
