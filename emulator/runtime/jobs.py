"""One runtime job on the local "agent": its workspace, its steps in order, logging commands, outputs.

What the agent does [AGENT StepsRunner.cs, TaskCommandExtension.cs; DOC process/runs.md, conditions.md]:
* steps run one after another, each in its own process; `Agent.JobStatus` starts Succeeded and merges
  every SucceededWithIssues/Failed step result (it never goes back); a step's condition (default
  `succeeded()`) reads it; an error in a condition fails the step;
* a job cancellation (run canceled, or the job's `timeoutInMinutes`) makes the job Canceled: the
  running step is stopped unless its condition is still true, later steps run only if their condition
  allows it (`always()`, `canceled()`);
* a step's `timeoutInMinutes` fails the step ("The task has timed out."); `continueOnError` turns a
  failed step into SucceededWithIssues; `retryCountOnTaskFailure` reruns a failed task;
* `##vso[...]` lines are commands, not output; variables set by a step are seen by later steps only.
Deployment jobs: each lifecycle hook is its own agent job [DOC deployment-jobs.md], so variables set in
one hook do not reach the next; a hook runs only while the deployment has not failed; on.success or
on.failure runs last.
"""

from __future__ import annotations

import os
import shutil
import time
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import replace
from itertools import groupby
from pathlib import Path
from typing import IO, cast

from emulator.errors import MlopsError
from emulator.model import Job, Stage, Step
from emulator.plan import DEFAULT_JOB_NAME, RuntimeJob, RuntimeStep
from emulator.processes import RUNNER_VARIABLE, process_identity
from emulator.records import JobRecord, StepRecord
from emulator.runtime import conditions as cond
from emulator.runtime.agentless import WAITING, run_task
from emulator.runtime.contexts import step_context
from emulator.runtime.interrupted import ATTEMPT_MARKER
from emulator.runtime.logcommands import FormatCommand, LogCommand, parse_line
from emulator.runtime.process import CANCEL, TIMEOUT, Cancellation, ProcessResult, run_streaming
from emulator.runtime.services import JobServices
from emulator.runtime.variables import VariableSet
from emulator.runtime.workspace import Workspace, copy_repository, plan_checkout
from emulator.store.files import utc_now
from emulator.tasks.base import StepContext, TaskOutcome

ON_HOOKS = ("on.success", "on.failure")


class JobRunner:
    """Runs one runtime job; everything it learns goes to the job's record under the run's lock."""

    def __init__(
        self,
        services: JobServices,
        stage: Stage,
        rjob: RuntimeJob,
        jrec: JobRecord,
        variables: VariableSet,
        resumed: bool = False,
    ) -> None:
        self.services = services
        self.server = rjob.job.server and not rjob.job.deployment  # agentless: runs in the "service"
        self.resumed = resumed  # an agentless job that waited: its finished steps keep their results
        self.run = services.run
        self.stage = stage
        self.rjob = rjob
        self.jrec = jrec
        self.base = variables
        self.view: Job = replace(rjob.job, name=rjob.name, display_name=rjob.display_name)
        # a job that starts after the run was canceled (its condition allowed it) runs normally: only
        # jobs running when the cancel comes are canceled [DOC conditions.md "Job example 1"]
        self.cancel = Cancellation(parent=None if services.cancellation.requested else services.cancellation)
        self.outputs: dict[str, str] = {}
        self.secret_outputs: dict[str, str] = {}
        self.prepend_path: list[str] = []
        self.deadline: float | None = None
        self.cancel_deadline: float | None = None
        self.timed_out = False
        self.workspace = Workspace(self.run.workspace(stage.name, rjob.name))

    # ---- the job ----------------------------------------------------------------------------------
    def execute(self) -> str:
        job = self.rjob.job
        started = time.monotonic()
        minute = self.services.options.minute_seconds
        self.deadline = started + job.timeout_minutes * minute if job.timeout_minutes > 0 else None
        if not self.server:
            if self.workspace.root.exists():  # an interrupted attempt: the job reruns from its start
                shutil.rmtree(self.workspace.root, ignore_errors=True)
            self.workspace.create()
        self.services.predefined.agent(self.base, self.stage, self.rjob, self.workspace)
        with self.run.lock:
            if self.resumed:
                self.jrec.update({"state": "running", "result": None})
            else:
                self.jrec.update(
                    {
                        "state": "running",
                        "startedAt": utc_now(),
                        "result": None,
                        "attempt": int(self.jrec.get("attempt") or 0) + 1,
                    }
                )
            self.jrec.pop("finishedAt", None)
            self.run.save(self.jrec)
        self.run.event("jobStarted", stage=self.stage.name, job=self.rjob.name, attempt=self.jrec["attempt"])
        self.services.reporter.job_started(self.stage, self.view)
        try:
            if job.containers:
                status = self._refuse_containers()
            else:
                status = (
                    self._deployment()
                    if job.deployment
                    else self._steps(self.rjob.steps, self.base.copy(), cond.SUCCEEDED)
                )
        except Exception as exc:  # noqa: BLE001 - an emulator bug must not take the run down
            status = cond.FAILED
            self._job_message(f"internal error in the emulator: {exc}\n{traceback.format_exc()}")
        if status == WAITING:
            return self._wait()
        result = status
        if self.timed_out:
            result = cond.CANCELED
            self._job_message(
                f"The job running on agent mlops-local ran longer than the maximum time of "
                f"{job.timeout_minutes} minutes."
            )
        elif status == cond.FAILED and job.continue_on_error:
            result = cond.WITH_ISSUES
        if not self.server:
            shutil.rmtree(self.workspace.temp, ignore_errors=True)  # the agent cleans _temp after each job
        outputs = self.services.secrets.recorded_outputs(
            f"{self.stage.name}/{self.rjob.name}", self.outputs, self.secret_outputs
        )
        with self.run.lock:
            self.jrec.update(
                {
                    "state": "completed",
                    "result": result,
                    "finishedAt": utc_now(),
                    "seconds": round(time.monotonic() - started, 3),
                    "outputs": outputs,
                }
            )
            if self.timed_out:
                self.jrec["timedOut"] = True
            self.run.save(self.jrec)
        self.run.event(
            "jobFinished",
            stage=self.stage.name,
            job=self.rjob.name,
            result=result,
            attempt=self.jrec["attempt"],
        )
        self.services.reporter.job_finished(self.stage, self.view, result)
        return result

    def _wait(self) -> str:
        """The job waits for a person (a manual validation): the run pauses once nothing else can run."""
        step = next(s for s in self.jrec["steps"] if s.get("result") is None and s.get("waitingSince"))
        with self.run.lock:
            self.jrec["state"] = WAITING
            if not self.run.data.get("waiting"):
                validation = step.get("validation") or {}
                self.run.data["waiting"] = {
                    "stage": self.stage.name,
                    "job": self.rjob.name,
                    "kind": "manualValidation",
                    "environment": None,
                    "message": step.get("message"),
                    "approvers": list(validation.get("approvers") or []),
                    "instructions": validation.get("instructions") or None,
                }
            self.run.save(self.jrec)
        self.run.event("jobWaiting", stage=self.stage.name, job=self.rjob.name, step=step["index"])
        return WAITING

    def _refuse_containers(self) -> str:
        """A job that asks for a container or service containers fails before its first step: its steps
        are not run on this machine instead, where other tools (or none) would answer them."""
        job = self.rjob.job
        self._job_message(
            f"Job {job.name} runs in {', '.join(job.containers)}: the emulator does not run container jobs "
            "or service containers, and does not run their steps on this machine instead. Remove "
            "container:/services: to run the steps here (with this machine's tools), or run the "
            "pipeline on Azure DevOps."
        )
        self._skip(self.rjob.steps, "the job did not start: it runs in a container")
        return cond.FAILED

    def _job_message(self, text: str) -> None:
        with self.run.lock:
            previous = self.jrec.get("message")
            self.jrec["message"] = self.services.masker(f"{previous}\n{text}" if previous else text)

    def _deployment(self) -> str:
        """Hooks in order; each starts from the job's variables with a fresh Agent.JobStatus."""
        status = cond.SUCCEEDED
        groups: Iterator[tuple[tuple[str | None, str | None], Iterator[RuntimeStep]]] = groupby(
            self.rjob.steps, key=lambda s: (s.hook, s.iteration)
        )
        for (hook, _iteration), steps_iter in groups:
            steps = tuple(steps_iter)
            canceled = self.cancel.requested
            if hook == "on.success":
                run_it = status in cond.SUCCESS and not canceled
            elif hook == "on.failure":
                run_it = status == cond.FAILED and not canceled
            else:
                run_it = status in cond.SUCCESS and not canceled
            if not run_it:
                self._skip(
                    steps, f"the {hook} hook did not run (deployment {cond.expression_result(status)})"
                )
                continue
            variables = self.base.copy()
            self.services.predefined.hook(variables, self.rjob, steps[0])
            hook_status = self._steps(steps, variables, cond.SUCCEEDED)
            status = cond.merge(status, hook_status) if hook_status != cond.SUCCEEDED else status
        return status

    def _skip(self, steps: Sequence[RuntimeStep], why: str) -> None:
        with self.run.lock:
            for rstep in steps:
                self.jrec["steps"][rstep.index].update({"result": cond.SKIPPED, "message": why})
            self.run.save(self.jrec)

    def _steps(self, steps: Sequence[RuntimeStep], variables: VariableSet, status: str) -> str:
        for rstep in steps:
            if self.cancel.requested and status != cond.CANCELED:
                status = cond.CANCELED
            variables.set("Agent.JobStatus", cond.expression_result(status), readonly=True)
            status = self._step(rstep, variables, status)
            if status == WAITING:
                break
        return status

    # ---- a step -----------------------------------------------------------------------------------
    def _step(self, rstep: RuntimeStep, variables: VariableSet, status: str) -> str:
        step = rstep.step
        srec = self.jrec["steps"][rstep.index]
        if self.resumed and srec.get("result") is not None:  # done before the job waited
            done = str(srec["result"])
            seconds = float(srec.get("seconds") or 0.0)
            message = srec.get("message")
            self.services.reporter.step_finished(self.stage, self.view, step, done, seconds, message)
            return cond.merge(status, done) if done in (cond.WITH_ISSUES, cond.FAILED) else status
        if self.services.cancellation.aborted:
            with self.run.lock:
                srec.update({"result": cond.CANCELED, "message": "the run was stopped"})
            return cond.CANCELED
        if not step.enabled:
            with self.run.lock:
                srec.update({"result": cond.SKIPPED, "message": "the step is disabled (enabled: false)"})
            return status
        condition = step.condition or cond.DEFAULT_CONDITION
        try:
            run_it = self.services.condition(
                condition,
                step_context(variables),
                cond.step_functions(status),
                step.condition_location or step.location,
                f"step {rstep.ident}",
            )
        except MlopsError as exc:
            with self.run.lock:
                srec.update(
                    {
                        "result": cond.FAILED,
                        "message": self.services.masker(exc.render()),
                        "finishedAt": utc_now(),
                    }
                )
                self.run.save(self.jrec)
            self.services.reporter.step_finished(self.stage, self.view, step, cond.FAILED, 0.0, exc.message)
            return cond.merge(status, cond.FAILED)
        if not run_it:
            with self.run.lock:
                srec.update({"result": cond.SKIPPED, "message": f"condition '{condition}' was false"})
            self.services.reporter.step_finished(self.stage, self.view, step, cond.SKIPPED, 0.0, None)
            return status
        view = replace(step, display_name=self.services.masker(variables.expand(step.display_name)))
        log_path = self.run.log_path(self.stage.name, self.rjob.name, rstep.index, rstep.ident)
        started = time.monotonic()
        with self.run.lock:  # saved with the step's result: a crash reruns the whole job anyway
            srec.update(
                {
                    "startedAt": utc_now(),
                    "displayName": view.display_name,
                    "log": str(log_path.relative_to(self.run.dir)),
                    "result": None,
                }
            )
        self.services.reporter.step_started(self.stage, self.view, view)
        state = _StepState(self, rstep, view, variables, status, srec)
        with log_path.open("a" if self.resumed else "w", encoding="utf-8") as log:
            state.log = log
            outcome = state.execute()
            attempt = 0
            while outcome.result == cond.FAILED and attempt < step.retry_count and not self.cancel.requested:
                attempt += 1
                state.write(f"Retrying the task ({attempt} of {step.retry_count}) after it failed", "warning")
                state.completion = None
                outcome = state.execute()
        result = outcome.result
        message = outcome.message
        if result == WAITING:
            with self.run.lock:
                srec.update(cast(StepRecord, {"result": None, "message": message, **(outcome.data or {})}))
                self.run.save(self.jrec)
            self.services.reporter.step_finished(self.stage, self.view, view, WAITING, 0.0, message)
            return WAITING
        if result == cond.FAILED and step.continue_on_error:
            result = cond.WITH_ISSUES
        if result == cond.CANCELED:
            status = cond.CANCELED
        elif result in (cond.WITH_ISSUES, cond.FAILED):
            status = cond.merge(status, result)
        seconds = time.monotonic() - started
        mask = self.services.masker
        with self.run.lock:
            srec.update(
                {
                    "result": result,
                    "finishedAt": utc_now(),
                    "seconds": round(seconds, 3),
                    "message": mask(message) if message else None,
                }
            )
            if outcome.data:
                srec.update(mask.deep(dict(outcome.data)))
            self.run.save(self.jrec)
        self.run.event(
            "stepFinished", stage=self.stage.name, job=self.rjob.name, step=rstep.index, result=result
        )
        self.services.reporter.step_finished(
            self.stage, self.view, view, result, seconds, mask(message) if message else None
        )
        return status

    # ---- helpers used by _StepState ---------------------------------------------------------------
    def output_prefixes(self, rstep: RuntimeStep) -> tuple[str, ...]:
        """Other jobs see an output as `<System.JobName>.<step>.<var>`, without a prefix for `__default`
        [DOC variables.md: matrix legs and slices prefix it; deployment-jobs.md: the strategy's names]."""
        if self.rjob.job.deployment:
            return rstep.output_prefixes()
        return ("",) if self.rjob.leg == DEFAULT_JOB_NAME else (f"{self.rjob.leg}.",)

    def step_env(self, variables: VariableSet, rstep: RuntimeStep) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_INTERNAL")}
        env.update(variables.environment())
        for key, value in rstep.step.env.items():
            env[key] = variables.expand(value)
        options = self.services.options
        env["MLOPS_HOME"] = str(options.home)
        env["MLOPS_RUN_ID"] = self.run.id
        env[ATTEMPT_MARKER] = f"{self.stage.name}/{self.rjob.name}/{self.jrec.get('attempt')}"
        # who runs the step, and which attempt of which step it is: an `az` call ends when the runner is
        # gone, and registers a model once per step across a resume (emulator.azureml)
        env[RUNNER_VARIABLE] = process_identity()
        env["MLOPS_STEP"] = f"{self.run.id}/{self.stage.name}/{self.rjob.name}/{rstep.index}"
        env["MLOPS_STEP_ATTEMPT"] = str(self.jrec.get("attempt") or 1)
        env["MLFLOW_DISABLE_TELEMETRY"] = "true"
        extra = list(reversed(self.prepend_path))
        if options.az_bin:
            extra.append(str(options.az_bin))
        path = env.get("PATH", "")
        env["PATH"] = os.pathsep.join([*extra, path]) if extra else path
        env.setdefault("PYTHONUNBUFFERED", "1")
        return env


class _StepState:
    """One step while it runs: its log, the logging commands it sends, how it stops."""

    def __init__(
        self,
        runner: JobRunner,
        rstep: RuntimeStep,
        view: Step,
        variables: VariableSet,
        status: str,
        srec: StepRecord,
    ) -> None:
        self.runner = runner
        self.services = runner.services
        self.rstep = rstep
        self.view = view
        self.variables = variables
        self.srec = srec
        self.log: IO[str] | None = None
        self.completion: str | None = None
        self.completion_message: str | None = None
        self.debug = (variables.get("System.Debug") or "").strip().lower() == "true"
        self.deadline: float | None = None
        self.cancel_verdict: str | None = None

    # output -----------------------------------------------------------------------------------------
    def write(self, line: str, kind: str) -> None:
        masked = self.services.masker(line)
        if self.log is not None and (kind != "debug" or self.debug):
            prefix = {
                "error": "##[error]",
                "warning": "##[warning]",
                "debug": "##[debug]",
                "section": "##[section]",
                "group": "##[group]",
                "endgroup": "##[endgroup]",
            }.get(kind, "")
            self.log.write(prefix + masked + "\n")
        self.services.reporter.step_line(self.runner.stage, self.runner.view, self.view, masked, kind)

    def on_line(self, line: str, is_err: bool) -> None:
        command = parse_line(line)
        if isinstance(command, LogCommand):
            self.command(command)
        elif isinstance(command, FormatCommand):
            self.write(command.message, command.kind)
        else:
            self.write(line, "err" if is_err else "out")

    # stopping ---------------------------------------------------------------------------------------
    def stop(self) -> str | None:
        """Polled while the step's process runs: TIMEOUT, CANCEL or None (keep going)."""
        now = time.monotonic()
        runner = self.runner
        minute = self.services.options.minute_seconds
        if runner.deadline is not None and now > runner.deadline and not runner.timed_out:
            runner.timed_out = True
            runner.cancel.cancel("timeout")
            runner.cancel_deadline = now + runner.rjob.job.cancel_timeout_minutes * minute
            minutes = runner.rjob.job.timeout_minutes
            self.write(f"The job ran longer than its timeout of {minutes} minutes", "error")
            self.cancel_verdict = CANCEL
            return CANCEL
        if runner.cancel.requested and runner.cancel_deadline is None:
            runner.cancel_deadline = now + runner.rjob.job.cancel_timeout_minutes * minute
        if runner.cancel_deadline is not None and now > runner.cancel_deadline:
            self.cancel_verdict = CANCEL
            return CANCEL  # work that kept running after a cancel gets cancelTimeoutInMinutes, no more
        if self.deadline is not None and now > self.deadline:
            self.write(f"The task has timed out after {self.rstep.step.timeout_minutes} minutes", "error")
            return TIMEOUT
        if runner.cancel.requested and self.cancel_verdict is None:
            # the agent re-evaluates the running step's condition once when the job is canceled
            condition = self.rstep.step.condition or cond.DEFAULT_CONDITION
            try:
                keep = self.services.condition(
                    condition,
                    step_context(self.variables),
                    cond.step_functions(cond.CANCELED),
                    self.rstep.step.location,
                    f"step {self.rstep.ident}",
                )
            except MlopsError:
                keep = False
            self.cancel_verdict = "keep" if keep else CANCEL
            if not keep:
                self.write("The step was canceled.", "error")
        return CANCEL if self.cancel_verdict == CANCEL else None

    def run_process(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> ProcessResult:
        def started(pid: int) -> None:
            self.services.run.event(
                "process",
                stage=self.runner.stage.name,
                job=self.runner.rjob.name,
                step=self.rstep.index,
                pid=pid,
                attempt=self.runner.jrec.get("attempt"),
            )

        return run_streaming(
            argv, cwd, env, self.on_line, self.stop, started, abort=lambda: self.services.cancellation.aborted
        )

    # running ----------------------------------------------------------------------------------------
    def execute(self) -> TaskOutcome:
        step = self.rstep.step
        if step.timeout_minutes > 0:
            self.deadline = time.monotonic() + step.timeout_minutes * self.services.options.minute_seconds
        try:
            outcome = self._execute()
        except MlopsError as exc:
            self.write(exc.render(), "error")
            outcome = TaskOutcome(cond.FAILED, exc.message)
        except Exception as exc:  # noqa: BLE001 - a task's bug fails its step, not the run
            self.write(f"{type(exc).__name__}: {exc}", "error")
            self.write(traceback.format_exc(), "debug")
            outcome = TaskOutcome(cond.FAILED, f"{type(exc).__name__}: {exc}")
        if self.completion is not None and outcome.result != cond.CANCELED:
            outcome = TaskOutcome(
                cond.merge(self.completion, outcome.result),
                self.completion_message or outcome.message,
                outcome.data,
            )
        if self.runner.cancel.requested and self.cancel_verdict == CANCEL and outcome.result != cond.CANCELED:
            outcome = TaskOutcome(cond.CANCELED, "The operation was canceled.", outcome.data)
        return outcome

    def _execute(self) -> TaskOutcome:
        step = self.rstep.step
        if self.runner.server:
            return run_task(self)
        if step.task == "checkout":
            return self._checkout(step)
        if step.task == "download-none":
            self.write("Artifacts are not downloaded (download: none)", "section")
            return TaskOutcome(cond.SUCCEEDED)
        task = self.services.registry.get(step.task, step.location)
        return task(self.context())

    def context(self, agent: bool = True) -> StepContext:
        """What a task implementation gets. In an agentless job (`agent=False`) there is no agent:
        no workspace and no processes."""
        step = self.rstep.step
        ws = self.runner.workspace
        sources = Path(self.variables.get("Build.SourcesDirectory") or ws.sources)
        return StepContext(
            task=step.task,
            inputs=self.variables.expand_any(dict(step.inputs)),
            env=self.runner.step_env(self.variables, self.rstep),
            sources_dir=sources,
            temp_dir=ws.temp,
            pipeline_workspace=ws.root,
            artifacts_dir=self.services.run.artifacts_dir,
            location=step.location,
            run=self.run_process if agent else self._no_agent,
            log=lambda text: self.write(text, "command"),
            emit=self._emit,
            variables=self.variables.expanded(),
            connections=self.services.options.connections,
            step_name=step.name,
        )

    def _no_agent(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> ProcessResult:
        raise MlopsError(
            f"Task '{self.rstep.step.task}' runs in an agentless job: there is no agent to run a process on",
            self.rstep.step.location,
            hint="a tasks.yml stand-in for an agentless task sets its result and outputs, without a script",
        )

    def _emit(self, line: str) -> None:
        command = parse_line(line)
        if isinstance(command, LogCommand):
            self.command(command)

    def _checkout(self, step: Step) -> TaskOutcome:
        target = (step.checkout or "self").strip()
        if target.lower() == "none":
            self.write("Skipping checkout (checkout: none)", "section")
            return TaskOutcome(cond.SUCCEEDED)
        options = self.services.options
        hook = [s.step for s in self.runner.rjob.steps if s.hook == self.rstep.hook]
        checkouts = [s for s in hook if s.task == "checkout" and (s.checkout or "").lower() != "none"]
        ws = self.runner.workspace
        plan = plan_checkout(
            step,
            ws,
            options.repo_root,
            self.services.repositories,
            options.repositories,
            multiple=len(checkouts) > 1,
        )
        for name, value in plan.variables.items():
            self.runner.base.set(name, value, readonly=True)
            self.variables.set(name, value, readonly=True)
        if str(step.inputs.get("clean", "")).lower() == "true" and plan.dest.exists():
            shutil.rmtree(plan.dest)
        plan.dest.mkdir(parents=True, exist_ok=True)
        for note in plan.notes:
            self.write(note, "warning")
        count = copy_repository(plan.source, plan.dest, step.location, exclude=[options.home])
        self.write(f"Copied {count} files of {plan.source} to {plan.dest}", "section")
        return TaskOutcome(cond.SUCCEEDED)

    # logging commands -----------------------------------------------------------------------------
    def _issue(self, kind: str, message: str, **props: str | None) -> None:
        issue = {
            "type": kind,
            "message": self.services.masker(message),
            **{k: v for k, v in props.items() if v not in (None, "")},
        }
        with self.services.run.lock:
            self.srec.setdefault("issues", []).append(issue)
        self.write(message, "error" if kind == "error" else "warning")

    def _settable(self, name: str) -> bool:
        allowed = self.rstep.step.settable
        if allowed is None or name.lower() in {a.lower() for a in allowed}:
            return True
        self._issue("warning", f"Variable '{name}' can't be set by this step (target.settableVariables)")
        return False

    def command(self, cmd: LogCommand) -> None:
        handler = _HANDLERS.get(cmd.key)
        if handler is None:
            self._issue("warning", f"Logging command '{cmd.key}' is not recognized; it was ignored")
            return
        handler(self, cmd)

    def set_variable(self, cmd: LogCommand) -> None:
        name = cmd.get("variable") or ""
        if not name.strip():
            self._issue("error", "task.setvariable needs a 'variable' property")
            return
        value = cmd.message
        secret, output, readonly = cmd.flag("issecret"), cmd.flag("isoutput"), cmd.flag("isreadonly")
        if self.variables.is_readonly(name):
            self._issue("warning", f"Variable '{name}' is read-only and was not changed")
            return
        if not self._settable(name):
            return
        if secret:
            if "\n" in value:
                self._issue("error", "A secret variable can't have several lines")
                return
            self.services.secrets.remember(value)
        runner = self.runner
        if output:
            ident = self.rstep.ident
            if not self.rstep.step.name:
                self._issue(
                    "warning",
                    f"Output variable '{name}' was set by a step with no 'name:'; "
                    f"other jobs can't reference it",
                )
            self.variables.set(f"{ident}.{name}", value, secret=secret, readonly=readonly)
            runner.base.set(f"{ident}.{name}", value, secret=secret, readonly=readonly)
            for prefix in runner.output_prefixes(self.rstep):
                key = f"{prefix}{ident}.{name}"
                runner.outputs[key] = "***" if secret else value
                if secret:
                    runner.secret_outputs[key] = value
        else:
            self.variables.set(name, value, secret=secret, readonly=readonly)
        shown = "***" if secret else value
        self.write(f"Set variable {name}{' (output)' if output else ''} = {shown}", "debug")

    def set_secret(self, cmd: LogCommand) -> None:
        if cmd.message:
            self.services.secrets.remember(cmd.message)

    def log_issue(self, cmd: LogCommand) -> None:
        kind = (cmd.get("type") or "").strip().lower()
        if kind not in ("error", "warning"):
            self.write("Can't create TaskIssue from logging event (type must be error or warning)", "warning")
            return
        self._issue(
            kind,
            cmd.message,
            sourcepath=cmd.get("sourcepath"),
            linenumber=cmd.get("linenumber"),
            columnnumber=cmd.get("columnnumber"),
            code=cmd.get("code"),
        )

    def complete(self, cmd: LogCommand) -> None:
        # the docs make `result` optional (default Succeeded); the agent refuses a missing one
        result = cond.parse_result(cmd.get("result") or "Succeeded")
        if result is None or result not in (cond.SUCCEEDED, cond.WITH_ISSUES, cond.FAILED):
            self._issue(
                "error",
                f"task.complete needs result=Succeeded|SucceededWithIssues|Failed, "
                f"got '{cmd.get('result') or ''}'",
            )
            return
        self.completion = cond.merge(self.completion, result)
        self.completion_message = cmd.message or self.completion_message

    def set_progress(self, cmd: LogCommand) -> None:
        try:
            value = max(0, min(100, int(cmd.get("value") or "0")))
        except ValueError:
            value = 0
        with self.services.run.lock:
            self.srec["progress"] = {"value": value, "message": self.services.masker(cmd.message)}
        self.write(f"Progress {value}%: {cmd.message}", "debug")

    def prepend_path(self, cmd: LogCommand) -> None:
        if not cmd.message or not self._settable("PATH"):
            return
        paths = self.runner.prepend_path
        if cmd.message in paths:
            paths.remove(cmd.message)
        paths.append(cmd.message)

    def _attach(self, cmd: LogCommand, kind: str) -> None:
        source = Path(cmd.message.strip())
        if not source.is_file():
            self._issue("warning", f"{cmd.key}: file '{source}' does not exist")
            return
        folder = self.services.run.attachments_dir / self.runner.stage.name / self.runner.rjob.name
        folder.mkdir(parents=True, exist_ok=True)
        dest = folder / f"{self.rstep.index + 1:02d}-{cmd.get('name') or source.name}"
        shutil.copy2(source, dest)
        with self.services.run.lock:
            self.srec.setdefault("attachments", []).append(
                {
                    "type": kind,
                    "name": cmd.get("name") or source.name,
                    "path": str(dest.relative_to(self.services.run.dir)),
                }
            )
        self.write(f"Attached {source} ({kind})", "debug")

    def upload_file(self, cmd: LogCommand) -> None:
        self._attach(cmd, "file")

    def add_attachment(self, cmd: LogCommand) -> None:
        self._attach(cmd, cmd.get("type") or "attachment")

    def upload_summary(self, cmd: LogCommand) -> None:
        self._attach(cmd, "Distributedtask.Core.Summary")

    def upload_log(self, cmd: LogCommand) -> None:
        self._attach(cmd, "log")

    def artifact_upload(self, cmd: LogCommand) -> None:
        name = (cmd.get("artifactname") or "").strip()
        source = Path(cmd.message.strip())
        if not name:
            self._issue("error", "artifact.upload needs an 'artifactname' property")
            return
        if not source.exists():
            self._issue("error", f"artifact.upload: path '{source}' does not exist")
            return
        dest = self.services.run.artifacts_dir / name / (cmd.get("containerfolder") or "").strip("/")
        dest.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, dest / source.name, dirs_exist_ok=True)
        else:
            shutil.copy2(source, dest / source.name)
        self.write(f"Uploaded {source} to artifact '{name}'", "section")

    def update_build_number(self, cmd: LogCommand) -> None:
        number = cmd.message.strip()
        if not number:
            self._issue("error", "build.updatebuildnumber needs a build number")
            return
        self.services.set_build_number(number)
        for vs in (self.variables, self.runner.base):
            vs.set("Build.BuildNumber", number, readonly=True)
        self.write(f"Build number: {number}", "section")

    def add_build_tag(self, cmd: LogCommand) -> None:
        tag = cmd.message.strip()
        if not tag:
            return
        self.services.add_build_tag(tag)
        self.write(f"Build tag: {tag}", "debug")

    def ignored(self, cmd: LogCommand) -> None:
        self.write(f"Logging command '{cmd.key}' has no local effect; ignored", "debug")


_HANDLERS: dict[str, Callable[[_StepState, LogCommand], None]] = {
    "task.setvariable": _StepState.set_variable,
    "task.setsecret": _StepState.set_secret,
    "task.logissue": _StepState.log_issue,
    "task.issue": _StepState.log_issue,
    "task.complete": _StepState.complete,
    "task.setprogress": _StepState.set_progress,
    "task.prependpath": _StepState.prepend_path,
    "task.uploadfile": _StepState.upload_file,
    "task.addattachment": _StepState.add_attachment,
    "task.uploadsummary": _StepState.upload_summary,
    "task.logdetail": _StepState.ignored,
    "task.setendpoint": _StepState.ignored,
    "task.settaskvariable": _StepState.ignored,
    "artifact.upload": _StepState.artifact_upload,
    "artifact.associate": _StepState.ignored,
    "build.uploadlog": _StepState.upload_log,
    "build.updatebuildnumber": _StepState.update_build_number,
    "build.addbuildtag": _StepState.add_build_tag,
    "release.updatereleasename": _StepState.ignored,
}
