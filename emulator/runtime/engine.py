"""The run-time engine: stages, gates, jobs and steps in dependency order, with a resumable record.

Order of work per the service [DOC process/runs.md]: pick the stages whose dependencies are done,
evaluate each stage's condition, then its environments' checks (before any of its jobs), then each
job's condition and steps. Everything a run learns is written to its record as it goes, so a paused
or interrupted run continues after the last completed job.
"""

from __future__ import annotations

import os
import socket
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import ExpressionError, Location, MlopsError
from emulator.expressions import CaseInsensitiveDict, EvalContext, evaluate_text, to_bool, to_string
from emulator.gates import checks as gate_checks
from emulator.gates.environments import Environments
from emulator.model import Job, Pipeline, Stage, Step, Variable
from emulator.plan import Graph, job_graph, stage_dependencies, stage_graph
from emulator.runtime import conditions as cond
from emulator.runtime.counters import Counters
from emulator.runtime.events import Reporter
from emulator.runtime.logcommands import FormatCommand, LogCommand, parse_line
from emulator.runtime.process import Cancellation, run_streaming
from emulator.runtime.variables import VariableSet, env_name, mask
from emulator.runtime.workspace import Workspace, checkout
from emulator.store.files import utc_now
from emulator.store.runs import Run
from emulator.tasks.base import Registry, StepContext, TaskOutcome

PAUSED = "paused"


@dataclass(frozen=True)
class RunOptions:
    home: Path
    repo_root: Path
    environments: Environments
    requester: str
    check_policy: str = "fail"
    queue_variables: Mapping[str, str] = field(default_factory=dict)
    az_bin: Path | None = None          # folder holding the `az` shim, put first on PATH


@dataclass
class JobState:
    """What one job knows while it runs."""

    stage: Stage
    job: Job
    record: dict[str, Any]
    variables: VariableSet
    workspace: Workspace
    status: str = cond.SUCCEEDED
    outputs: dict[str, str] = field(default_factory=dict)


def _find(items: list[dict[str, Any]], name: str) -> dict[str, Any]:
    return next(i for i in items if i["name"] == name)


def initial_record(pipeline: Pipeline) -> list[dict[str, Any]]:
    """The stage/job/step skeleton of a run record, before anything ran."""
    return [{
        "name": s.name, "displayName": s.display_name, "state": "pending", "result": None,
        "jobs": [{
            "name": j.name, "displayName": j.display_name, "state": "pending", "result": None,
            "deployment": j.deployment, "environment": j.environment.name if j.environment else None,
            "outputs": {},
            "steps": [{"index": st.index, "name": st.ident, "displayName": st.display_name, "task": st.task,
                       "result": None} for st in j.all_steps()],
        } for j in s.jobs],
    } for s in pipeline.stages]


class Engine:
    """Executes a pipeline model against a run record."""

    def __init__(self, run: Run, pipeline: Pipeline, options: RunOptions, reporter: Reporter,
                 registry: Registry, cancellation: Cancellation | None = None) -> None:
        self.run = run
        self.pipeline = pipeline
        self.options = options
        self.reporter = reporter
        self.registry = registry
        self.cancellation = cancellation or Cancellation()
        self.counters = Counters(options.home, str(run.data.get("pipeline", "")), run.id)
        self.secrets: set[str] = set()

    # ---- the run ------------------------------------------------------------------------------
    def execute(self) -> str:
        data = self.run.data
        data["status"] = "running"
        data.setdefault("startedAt", utc_now())
        data["waiting"] = None
        self.run.save()
        graph = stage_graph(self.pipeline)
        deps = stage_dependencies(self.pipeline.stages)
        try:
            for name in graph.order():
                stage = self.pipeline.stage(name)
                srec = _find(data["stages"], stage.name)
                if srec["state"] == "completed":
                    continue
                if self._run_stage(stage, srec, deps[stage.name]) == PAUSED:
                    data["status"] = PAUSED
                    data["result"] = PAUSED
                    self.run.save()
                    return PAUSED
        except KeyboardInterrupt:
            self.cancellation.cancel()
            self._cancel_rest()
        result = cond.worst([s["result"] or cond.SKIPPED for s in data["stages"]])
        if self.cancellation.requested:
            result = cond.CANCELED
        if result == cond.SKIPPED:
            result = cond.SUCCEEDED
        data["status"] = "completed"
        data["result"] = result
        data["finishedAt"] = utc_now()
        self.run.save()
        return result

    def _cancel_rest(self) -> None:
        for srec in self.run.data["stages"]:
            if srec["state"] != "completed":
                srec["state"] = "completed"
                for jrec in srec["jobs"]:
                    if jrec["state"] != "completed":
                        jrec["state"] = "completed"
                        jrec["result"] = cond.CANCELED
                        for st in jrec["steps"]:
                            st["result"] = st["result"] or cond.CANCELED
                srec["result"] = cond.worst([j["result"] for j in srec["jobs"]]) if srec["jobs"] else cond.CANCELED
        self.run.save()

    # ---- stages -------------------------------------------------------------------------------
    def _stage_context(self) -> dict[str, Any]:
        """`dependencies` for stage conditions: every finished stage's result and outputs."""
        out: dict[str, Any] = {}
        for srec in self.run.data["stages"]:
            outputs = CaseInsensitiveDict({f"{j['name']}.{k}": v for j in srec["jobs"]
                                           for k, v in j["outputs"].items()})
            out[srec["name"]] = CaseInsensitiveDict({"result": cond.expression_result(srec["result"]),
                                                     "outputs": outputs})
        return out

    def _run_stage(self, stage: Stage, srec: dict[str, Any], deps: tuple[str, ...]) -> str | None:
        results = {s["name"]: s["result"] for s in self.run.data["stages"]}
        direct = {d: results.get(d) for d in deps}
        variables = self._base_variables(stage)
        named = {"dependencies": CaseInsensitiveDict(self._stage_context()),
                 "stageDependencies": self._stage_dependencies(),
                 "variables": self._variables_view(variables)}
        functions = cond.status_functions(direct, results, self.cancellation.requested)
        condition = stage.condition or "succeeded()"
        if not self._condition(condition, named, functions, stage.location, f"stage {stage.name}"):
            self._skip_stage(stage, srec, f"condition '{condition}' was false")
            return None
        for env in dict.fromkeys(e.name.lower() for e in stage.environments()):
            outcome = self._gate(stage, env)
            if outcome.status == "pending":
                return PAUSED
            if outcome.status == "rejected":
                srec["state"] = "completed"
                srec["result"] = cond.FAILED
                srec["message"] = f"Environment '{outcome.environment}': {outcome.message}"
                for jrec in srec["jobs"]:
                    jrec.update(state="completed", result=cond.SKIPPED)
                    for st in jrec["steps"]:
                        st["result"] = cond.SKIPPED
                self.run.save()
                self.reporter.stage_finished(stage, cond.FAILED, srec["message"])
                return None
        if srec["state"] == "pending":
            srec["startedAt"] = utc_now()
        srec["state"] = "running"
        self.run.save()
        self.reporter.stage_started(stage)
        graph = job_graph(stage)
        for job_name in graph.order():
            job = next(j for j in stage.jobs if j.name == job_name)
            jrec = _find(srec["jobs"], job.name)
            if jrec["state"] == "completed":
                continue
            self._run_job(stage, job, jrec, srec, graph)
            if self.cancellation.requested:
                break
        srec["state"] = "completed"
        srec["result"] = cond.worst([j["result"] or cond.SKIPPED for j in srec["jobs"]])
        if self.cancellation.requested:
            srec["result"] = cond.CANCELED
        srec["finishedAt"] = utc_now()
        self.run.save()
        self.reporter.stage_finished(stage, srec["result"], srec.get("message"))
        return None

    def _skip_stage(self, stage: Stage, srec: dict[str, Any], why: str) -> None:
        srec.update(state="completed", result=cond.SKIPPED, message=why)
        for jrec in srec["jobs"]:
            jrec.update(state="completed", result=cond.SKIPPED)
            for st in jrec["steps"]:
                st["result"] = cond.SKIPPED
        self.run.save()
        self.reporter.stage_finished(stage, cond.SKIPPED, why)

    def _gate(self, stage: Stage, env: str) -> gate_checks.GateOutcome:
        envs = self.options.environments
        config = envs.get(env)
        context = gate_checks.GateContext(home=self.options.home, check_policy=self.options.check_policy)
        outcome = gate_checks.evaluate(config, stage.name, self.run.data, envs, context)
        if config is None:
            outcome = gate_checks.GateOutcome("passed", env, "environment has no checks configured")
        self.run.data.setdefault("checks", []).append({
            "stage": stage.name, "environment": config.name if config else env, "status": outcome.status,
            "message": outcome.message, "at": utc_now(), "approvedBy": list(outcome.decided_by),
            "results": gate_checks.summary(outcome.results)})
        if outcome.status == "pending":
            check = outcome.check
            self.run.data["waiting"] = {
                "stage": stage.name, "environment": outcome.environment, "message": outcome.message,
                "approvers": list(check.approvers) if check else [],
                "instructions": check.instructions if check else None,
            }
        self.run.save()
        self.reporter.gate(stage, outcome)
        return outcome

    # ---- variables ----------------------------------------------------------------------------
    def _base_variables(self, stage: Stage | None) -> VariableSet:
        vs = VariableSet()
        vs.update(self._predefined().items())
        vs.update(self.options.queue_variables.items())
        for var in self.pipeline.variables:
            vs.set(var.name, _text(var.value), readonly=var.readonly)
        if stage is not None:
            vs.set("System.StageName", stage.name)
            vs.set("System.StageDisplayName", stage.display_name)
            vs.set("System.StageAttempt", "1")
        return vs

    def _variables_view(self, vs: VariableSet) -> CaseInsensitiveDict:
        return CaseInsensitiveDict(vs.as_dict())

    def _apply_variables(self, vs: VariableSet, variables: tuple[Variable, ...], named: dict[str, Any],
                         what: str) -> None:
        for var in variables:
            value = _text(var.value)
            stripped = value.strip()
            if stripped.startswith("$[") and stripped.endswith("]"):
                ctx_named = dict(named)
                ctx_named["variables"] = self._variables_view(vs)
                value = to_string(self._evaluate(stripped[2:-1], ctx_named, self.counters.functions(),
                                                 var.location.shifted(2)))
            vs.set(var.name, value, readonly=var.readonly)

    def _stage_dependencies(self) -> CaseInsensitiveDict:
        out: dict[str, Any] = {}
        for srec in self.run.data["stages"]:
            out[srec["name"]] = CaseInsensitiveDict({
                j["name"]: CaseInsensitiveDict({"result": cond.expression_result(j["result"]),
                                                "outputs": CaseInsensitiveDict(j["outputs"])})
                for j in srec["jobs"]})
        return CaseInsensitiveDict(out)

    def _predefined(self) -> dict[str, str]:
        data = self.run.data
        git = data.get("git") or {}
        branch = git.get("branch") or "main"
        return {
            "Build.BuildId": self.run.id, "Build.BuildNumber": data.get("buildNumber", self.run.id),
            "Build.DefinitionName": data.get("definitionName", ""), "Build.Reason": "Manual",
            "Build.SourceBranch": f"refs/heads/{branch}", "Build.SourceBranchName": branch.split("/")[-1],
            "Build.SourceVersion": git.get("commit") or "", "Build.Repository.Name": self.options.repo_root.name,
            "Build.Repository.Provider": "TfsGit", "Build.RequestedFor": self.options.requester,
            "Build.QueuedBy": self.options.requester, "System.TeamProject": "local",
            "System.CollectionUri": "https://dev.azure.com/local/", "System.DefinitionId": "1",
            "System.HostType": "build", "System.JobAttempt": "1", "System.PhaseAttempt": "1",
            "Agent.OS": "Linux", "Agent.OSArchitecture": "X64", "Agent.Name": "mlops-local",
            "Agent.MachineName": socket.gethostname(), "Agent.Id": "1", "TF_BUILD": "True",
        }

    # ---- jobs ---------------------------------------------------------------------------------
    def _run_job(self, stage: Stage, job: Job, jrec: dict[str, Any], srec: dict[str, Any], graph: Graph) -> None:
        results = {j["name"]: j["result"] for j in srec["jobs"]}
        direct = {d: results.get(d) for d in graph.depends_on[job.name]}
        job_deps = CaseInsensitiveDict({
            j["name"]: CaseInsensitiveDict({"result": cond.expression_result(j["result"]),
                                            "outputs": CaseInsensitiveDict(j["outputs"])})
            for j in srec["jobs"]})
        named: dict[str, Any] = {"dependencies": job_deps, "stageDependencies": self._stage_dependencies()}
        vs = self._base_variables(stage)
        try:
            self._apply_variables(vs, stage.variables, named, f"stage {stage.name}")
            self._apply_variables(vs, job.variables, named, f"job {job.name}")
        except MlopsError as exc:
            self._fail_job_early(stage, job, jrec, exc)
            return
        condition = job.condition or "succeeded()"
        functions = cond.status_functions(direct, results, self.cancellation.requested)
        named_cond = {**named, "variables": self._variables_view(vs)}
        if not self._condition(condition, named_cond, functions, job.location, f"job {job.name}"):
            jrec.update(state="completed", result=cond.SKIPPED, message=f"condition '{condition}' was false")
            for st in jrec["steps"]:
                st["result"] = cond.SKIPPED
            self.run.save()
            self.reporter.job_finished(stage, job, cond.SKIPPED)
            return
        if job.matrix:
            self._fail_job_early(stage, job, jrec, MlopsError(
                "strategy: matrix is not supported by the emulator yet", job.location))
            return
        if job.server:
            self._fail_job_early(stage, job, jrec, MlopsError(
                "Agentless jobs (pool: server) are not supported by the emulator yet", job.location))
            return
        ws = Workspace(self.run.workspace(stage.name, job.name))
        ws.create()
        self._job_variables(vs, stage, job, ws)
        state = JobState(stage, job, jrec, vs, ws)
        jrec.update(state="running", startedAt=utc_now(), result=None)
        self.run.save()
        self.reporter.job_started(stage, job)
        deadline = time.monotonic() + job.timeout_minutes * 60 if job.timeout_minutes > 0 else None
        if job.deployment:
            self._run_deployment(state, deadline)
        else:
            if not any(s.task == "checkout" for s in job.steps):
                self._checkout(state)
            for step in job.steps:
                self._run_step(state, step, deadline)
        result = state.status
        if result == cond.FAILED and job.continue_on_error:
            result = cond.WITH_ISSUES
        jrec.update(state="completed", result=result, finishedAt=utc_now(), outputs=state.outputs)
        self.run.save()
        self.reporter.job_finished(stage, job, result)

    def _fail_job_early(self, stage: Stage, job: Job, jrec: dict[str, Any], exc: MlopsError) -> None:
        jrec.update(state="completed", result=cond.FAILED, message=exc.render(), finishedAt=utc_now())
        for st in jrec["steps"]:
            st["result"] = st["result"] or cond.SKIPPED
        self.run.save()
        self.reporter.job_finished(stage, job, cond.FAILED)

    def _job_variables(self, vs: VariableSet, stage: Stage, job: Job, ws: Workspace) -> None:
        root = str(ws.root)
        for name, value in {
            "Pipeline.Workspace": root, "Agent.BuildDirectory": root, "Agent.WorkFolder": str(ws.root.parent),
            "Agent.TempDirectory": str(ws.temp), "Agent.ToolsDirectory": str(ws.root.parent / "_tool"),
            "Agent.HomeDirectory": str(self.options.home), "Agent.JobName": job.display_name,
            "Agent.JobStatus": "Succeeded",
            "Build.SourcesDirectory": str(ws.sources), "Build.Repository.LocalPath": str(ws.sources),
            "System.DefaultWorkingDirectory": str(ws.sources),
            "Build.ArtifactStagingDirectory": str(ws.staging), "Build.StagingDirectory": str(ws.staging),
            "Build.BinariesDirectory": str(ws.binaries), "Common.TestResultsDirectory": str(ws.test_results),
            "System.JobName": job.name, "System.JobDisplayName": job.display_name, "System.PhaseName": job.name,
            "System.PhaseDisplayName": job.display_name, "System.JobId": f"{stage.name}.{job.name}",
        }.items():
            vs.set(name, value)
        if job.environment is not None:
            vs.set("Environment.Name", job.environment.name)
            vs.set("Environment.ResourceName", job.environment.resource_name or "")
            vs.set("Strategy.Name", job.strategy or "runOnce")

    def _run_deployment(self, state: JobState, deadline: float | None) -> None:
        for hook in state.job.hooks:
            if hook.name == "on.success" and state.status not in cond.SUCCESS:
                self._skip_steps(state, hook.steps)
                continue
            if hook.name == "on.failure" and state.status != cond.FAILED:
                self._skip_steps(state, hook.steps)
                continue
            for step in hook.steps:
                self._run_step(state, step, deadline, always=hook.name == "on.failure")

    def _skip_steps(self, state: JobState, steps: tuple[Step, ...]) -> None:
        for step in steps:
            state.record["steps"][step.index]["result"] = cond.SKIPPED

    # ---- steps --------------------------------------------------------------------------------
    def _checkout(self, state: JobState) -> None:
        count = checkout(self.options.repo_root, state.workspace.sources)
        state.record.setdefault("checkout", {"files": count, "from": str(self.options.repo_root)})

    def _run_step(self, state: JobState, step: Step, deadline: float | None, always: bool = False) -> None:
        srec = state.record["steps"][step.index]
        if srec.get("result") is not None and srec.get("finishedAt"):
            return
        stage, job = state.stage, state.job
        if not step.enabled:
            srec.update(result=cond.SKIPPED, message="step is disabled")
            return
        condition = step.condition or ("always()" if always else "succeeded()")
        functions = cond.step_functions(state.status, self.cancellation.requested)
        named = {"variables": self._variables_view(state.variables)}
        try:
            run_it = self._condition(condition, named, functions, step.location, f"step {step.ident}")
        except MlopsError as exc:
            srec.update(result=cond.FAILED, message=exc.render())
            state.status = cond.FAILED
            return
        if not run_it:
            srec.update(result=cond.SKIPPED)
            self.run.save()
            self.reporter.step_finished(stage, job, step, cond.SKIPPED, 0.0, None)
            return
        log_path = self.run.log_path(stage.name, job.name, step.index, step.ident)
        srec.update(startedAt=utc_now(), log=str(log_path.relative_to(self.run.dir)))
        self.run.save()
        self.reporter.step_started(stage, job, step)
        started = time.monotonic()
        with log_path.open("w", encoding="utf-8") as log:
            outcome = self._execute_step(state, step, log, deadline)
        if outcome.result == cond.FAILED and step.continue_on_error:
            outcome = TaskOutcome(cond.WITH_ISSUES, outcome.message)
        srec.update(result=outcome.result, finishedAt=utc_now(), message=outcome.message,
                    seconds=round(time.monotonic() - started, 3))
        if outcome.result == cond.FAILED:
            state.status = cond.FAILED
        elif outcome.result == cond.CANCELED:
            state.status = cond.CANCELED
        elif outcome.result == cond.WITH_ISSUES and state.status == cond.SUCCEEDED:
            state.status = cond.WITH_ISSUES
        state.variables.set("Agent.JobStatus", cond.expression_result(state.status))
        self.run.save()
        self.reporter.step_finished(stage, job, step, outcome.result, time.monotonic() - started, outcome.message)

    def _execute_step(self, state: JobState, step: Step, log: Any, deadline: float | None) -> TaskOutcome:
        stage, job = state.stage, state.job
        srec = state.record["steps"][step.index]
        issues: list[dict[str, str]] = srec.setdefault("issues", [])
        completion: dict[str, str] = {}

        def write(line: str, kind: str) -> None:
            masked = mask(line, self.secrets | set(state.variables.secret_values()))
            log.write(masked + "\n")
            log.flush()
            self.reporter.step_line(stage, job, step, masked, kind)

        def on_line(line: str, is_err: bool) -> None:
            command = parse_line(line)
            if isinstance(command, LogCommand):
                self._log_command(state, step, command, issues, completion, write)
                return
            if isinstance(command, FormatCommand):
                write(command.message, command.kind)
                return
            write(line, "err" if is_err else "out")

        try:
            if step.task == "checkout":
                if (step.checkout or "self").lower() == "none":
                    write("Skipping checkout (checkout: none)", "section")
                    return TaskOutcome(cond.SUCCEEDED)
                if (step.checkout or "self").lower() != "self":
                    raise MlopsError(f"checkout of repository '{step.checkout}' is not supported yet",
                                     step.location, hint="use checkout: self")
                count = checkout(self.options.repo_root, state.workspace.sources)
                write(f"Copied {count} files of {self.options.repo_root} to {state.workspace.sources}", "section")
                return TaskOutcome(cond.SUCCEEDED)
            if step.task == "download-none":
                return TaskOutcome(cond.SUCCEEDED)
            task = self.registry.get(step.task, step.location)
            env = self._step_env(state, step)
            step_timeout = step.timeout_minutes * 60 if step.timeout_minutes > 0 else None
            remaining = deadline - time.monotonic() if deadline is not None else None
            limits = [t for t in (step_timeout, remaining) if t is not None]
            timeout = min(limits) if limits else None

            def run_process(argv: Any, cwd: Path, penv: Mapping[str, str]) -> Any:
                return run_streaming(argv, cwd, penv, on_line, timeout, self.cancellation)

            ctx = StepContext(
                task=step.task, inputs=state.variables.expand_any(dict(step.inputs)), env=env,
                sources_dir=state.workspace.sources, temp_dir=state.workspace.temp,
                pipeline_workspace=state.workspace.root, artifacts_dir=self.run.dir / "artifacts",
                location=step.location, run=run_process, log=lambda text: write(text, "command"))
            outcome = task(ctx)
        except MlopsError as exc:
            write(exc.render(), "error")
            return TaskOutcome(cond.FAILED, exc.message)
        if completion and outcome.result not in (cond.CANCELED,):
            wanted = completion["result"].lower()
            mapped = {"succeeded": cond.SUCCEEDED, "succeededwithissues": cond.WITH_ISSUES, "failed": cond.FAILED}
            outcome = TaskOutcome(mapped.get(wanted, outcome.result), completion.get("message") or outcome.message)
        return outcome

    def _step_env(self, state: JobState, step: Step) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_INTERNAL")}
        env.update(state.variables.environment())
        for key, value in step.env.items():
            env[key] = state.variables.expand(value)
        env["MLOPS_HOME"] = str(self.options.home)
        env["MLOPS_RUN_ID"] = self.run.id
        env["MLFLOW_DISABLE_TELEMETRY"] = "true"
        path = env.get("PATH", "")
        extra = [str(self.options.az_bin)] if self.options.az_bin else []
        extra += state.record.get("prependPath", [])
        env["PATH"] = os.pathsep.join([*extra, path]) if extra else path
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env

    def _log_command(self, state: JobState, step: Step, command: LogCommand, issues: list[dict[str, str]],
                     completion: dict[str, str], write: Any) -> None:
        key = f"{command.area}.{command.action}"
        if key == "task.setvariable":
            name = command.properties.get("variable", "")
            if not name:
                write("##[warning]task.setvariable needs a 'variable' property", "warning")
                return
            secret = command.flag("issecret")
            value = command.message
            if secret:
                self.secrets.add(value)
            if command.flag("isoutput"):
                if not step.name:
                    write(f"##[warning]Output variable '{name}' needs a step 'name:' to be referenced", "warning")
                ref = f"{step.ident}.{name}"
                state.variables.set(ref, value, secret=secret)
                out_key = f"{state.job.name}.{ref}" if state.job.deployment else ref
                state.outputs[out_key] = "***" if secret else value
            else:
                if name.lower() in state.variables.readonly:
                    write(f"##[warning]Variable '{name}' is read-only and was not changed", "warning")
                    return
                state.variables.set(name, value, secret=secret)
            write(f"##[debug]Set variable {name}{' (output)' if command.flag('isoutput') else ''}", "debug")
        elif key == "task.setsecret":
            self.secrets.add(command.message)
        elif key in ("task.logissue", "task.issue"):
            kind = command.properties.get("type", "warning").lower()
            issues.append({"type": kind, "message": mask(command.message, self.secrets)})
            write(command.message, "error" if kind == "error" else "warning")
        elif key == "task.complete":
            completion["result"] = command.properties.get("result", "Succeeded")
            completion["message"] = command.message
        elif key == "task.prependpath":
            state.record.setdefault("prependPath", []).insert(0, command.message)
        elif key == "build.updatebuildnumber":
            self.run.data["buildNumber"] = command.message
        else:
            write(f"##[debug]logging command {key} is not emulated yet; ignored", "debug")

    # ---- expressions --------------------------------------------------------------------------
    def _evaluate(self, text: str, named: Mapping[str, Any], functions: Mapping[str, Any], loc: Location) -> Any:
        return evaluate_text(text, EvalContext(named=named, functions=functions, location=loc), loc)

    def _condition(self, text: str, named: Mapping[str, Any], functions: Mapping[str, Any], loc: Location,
                   what: str) -> bool:
        all_functions = {**self.counters.functions(), **functions}
        try:
            return to_bool(self._evaluate(text, named, all_functions, loc))
        except ExpressionError as exc:
            raise ExpressionError(f"Condition of {what}: {exc.message}", exc.location or loc,
                                  expected=exc.expected, hint=exc.hint) from None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return to_string(value)


def python_bin() -> str:
    return str(Path(sys.executable).parent)
