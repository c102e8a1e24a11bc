"""Dependency graphs of stages and jobs: edges, order and cycles.

Stages depend on the previous stage unless `dependsOn` says otherwise (`dependsOn: []` = none);
jobs in a stage are independent unless `dependsOn` is given [DOC yaml-schema stages-stage.md,
phases.md; semantics notes 1.8].
"""

from __future__ import annotations

import heapq
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from emulator import manual_validation as manual
from emulator import task_catalog
from emulator.errors import ExpressionError, Location, MlopsError, PipelineError, did_you_mean
from emulator.expressions import parse
from emulator.model import Hook, Job, Pipeline, ScopeVariable, Stage, Step, VariableGroup
from emulator.records import JobRecord, StageRecord, StepRecord


@dataclass(frozen=True)
class Graph:
    """Nodes in authored order and, for each, the nodes it depends on (canonical names)."""

    nodes: tuple[str, ...]
    depends_on: Mapping[str, tuple[str, ...]]

    def order(self) -> tuple[str, ...]:
        """A topological order that keeps authored order among independent nodes: each time, the first
        authored node whose dependencies are all placed (Kahn's algorithm with a heap: linear in the
        pipeline's size, so 10,000 stages are ordered in milliseconds)."""
        index = {n: i for i, n in enumerate(self.nodes)}
        waiting = {n: len(set(self.depends_on[n])) for n in self.nodes}
        dependents: dict[str, list[str]] = {n: [] for n in self.nodes}
        for n in self.nodes:
            for d in set(self.depends_on[n]):
                dependents[d].append(n)
        ready = [i for i, n in enumerate(self.nodes) if waiting[n] == 0]
        heapq.heapify(ready)
        done: list[str] = []
        while ready:
            node = self.nodes[heapq.heappop(ready)]
            done.append(node)
            for after in dependents[node]:
                waiting[after] -= 1
                if waiting[after] == 0:
                    heapq.heappush(ready, index[after])
        if len(done) != len(self.nodes):  # pragma: no cover - cycles are rejected when the graph is built
            raise AssertionError("cycle")
        return tuple(done)

    def dependents(self, name: str) -> tuple[str, ...]:
        return tuple(n for n in self.nodes if name in self.depends_on[n])


def stage_dependencies(stages: Sequence[Stage]) -> dict[str, tuple[str, ...]]:
    """Each stage's direct dependencies, with the implicit 'previous stage' default applied."""
    canonical = {s.name.lower(): s.name for s in stages}
    deps: dict[str, tuple[str, ...]] = {}
    for i, stage in enumerate(stages):
        if stage.depends_on is None:
            deps[stage.name] = (stages[i - 1].name,) if i > 0 else ()
        else:
            deps[stage.name] = tuple(canonical[d.lower()] for d in stage.depends_on)
    return deps


def _graph(
    names: Sequence[str], deps: Mapping[str, tuple[str, ...]], locations: Mapping[str, Location], what: str
) -> Graph:
    cycle = find_cycle(names, deps)
    if cycle:
        path = " -> ".join(cycle)
        raise PipelineError(
            f"The {what} dependency graph has a cycle: {path}",
            locations[cycle[0]],
            hint=f"remove one of the dependsOn entries between {', '.join(sorted(set(cycle)))}",
        )
    return Graph(tuple(names), dict(deps))


def stage_graph(pipeline: Pipeline) -> Graph:
    deps = stage_dependencies(pipeline.stages)
    return _graph(
        [s.name for s in pipeline.stages], deps, {s.name: s.location for s in pipeline.stages}, "stage"
    )


def job_graph(stage: Stage) -> Graph:
    canonical = {j.name.lower(): j.name for j in stage.jobs}
    deps = {j.name: tuple(canonical[d.lower()] for d in j.depends_on) for j in stage.jobs}
    return _graph([j.name for j in stage.jobs], deps, {j.name: j.location for j in stage.jobs}, "job")


def find_cycle(names: Sequence[str], deps: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """The members of one cycle, first repeated at the end (a -> b -> a), or None. A depth-first walk
    with its own stack, so a chain of 10,000 stages does not exhaust Python's."""
    state: dict[str, int] = {}
    for name in names:
        if name in state:
            continue
        state[name] = 1
        path = [name]
        todo = [iter(deps.get(name, ()))]
        while todo:
            dep = next(todo[-1], None)
            if dep is None:
                todo.pop()
                state[path.pop()] = 2
            elif state.get(dep) == 1:
                return [*path[path.index(dep) :], dep]
            elif dep not in state:
                state[dep] = 1
                path.append(dep)
                todo.append(iter(deps.get(dep, ())))
    return None


def check(
    pipeline: Pipeline, tasks: Sequence[str] | None = None, problems: bool = True
) -> tuple[Graph, dict[str, Graph]]:
    """What the service checks before a run starts [DOC process/runs.md]: the dependency graphs (a
    cycle is named), the syntax of every condition and `$[ ]` value, where each task may run, and,
    given the tasks the emulator adds to Microsoft's in-box ones (plug-ins, tasks.yml stand-ins),
    that every step's task exists ("A task is missing"). `problems=False`: the graphs only."""
    graphs = stage_graph(pipeline), {s.name: job_graph(s) for s in pipeline.stages}
    for problem in plan_problems(pipeline, tasks) if problems else ():
        raise problem
    return graphs


def plan_problems(pipeline: Pipeline, tasks: Sequence[str] | None = None) -> Iterator[MlopsError]:
    """Every problem `check` refuses a pipeline for, after the graphs (for `mlops validate`, which
    reports them all instead of the first)."""
    yield from expression_problems(pipeline)
    yield from agentless_problems(pipeline)
    if tasks is not None:
        yield from task_problems(pipeline, tasks)


def is_server_task(task: str) -> bool:
    """A task that runs in the service (an agentless job) per its definition's `runsOn`
    [DOC process/phases.md "Agentless jobs"; task.json runsOn Server/ServerGate]."""
    definition = task_catalog.load().get(task)
    return definition is not None and definition.server


def agentless_problems(pipeline: Pipeline) -> Iterator[MlopsError]:
    """Server tasks only in agentless jobs (`pool: server`), and only they there."""
    for stage in pipeline.stages:
        for job in stage.jobs:
            server = job.server and not job.deployment
            for step in job.all_steps():
                task = step.task.lower()
                known = task_catalog.load().get(step.task) is not None
                if server and (task == "checkout" or (known and not is_server_task(step.task))):
                    what = "a checkout" if task == "checkout" else f"task '{step.task}'"
                    yield PipelineError(
                        f"Job {job.name} is agentless (pool: server): {what} needs an agent",
                        step.location,
                        expected="tasks that run in the service: " + ", ".join(_server_tasks()),
                        hint="move the step to a job that runs on an agent pool",
                    )
                if not server and is_server_task(step.task):
                    yield PipelineError(
                        f"Task '{step.task}' runs only in an agentless job",
                        step.location,
                        hint=f"put it in a job with 'pool: server' (job {job.name} runs on an agent)",
                    )
                macros = any("$(" in str(v) for v in step.inputs.values())
                if task in {t.lower() for t in manual.TASKS} and not macros:
                    try:
                        manual.parse(step.task, step.inputs, step.timeout_minutes, step.location)
                    except MlopsError as exc:
                        yield exc


def _server_tasks() -> list[str]:
    return [k for k in task_catalog.load().names() if is_server_task(k)]


def _all_steps(pipeline: Pipeline) -> list[tuple[Stage, Job, Step]]:
    return [(s, j, st) for s in pipeline.stages for j in s.jobs for st in j.all_steps()]


@dataclass(frozen=True)
class RuntimeExpression:
    """A condition, a `$[ ]` variable value or a `matrix: $[ ]`: parsed before the run, evaluated when
    its unit runs, with what that unit can see (`scope`: "stage", "job", "step", "stage variables",
    "job variables", "pipeline variables")."""

    text: str
    location: Location
    what: str  # "condition of stage Build", for messages
    scope: str
    stage: Stage | None = None
    job: Job | None = None


def runtime_expressions(pipeline: Pipeline) -> Iterator[RuntimeExpression]:
    """Every expression of the pipeline that is evaluated at run time, in document order."""

    def values(
        variables: Sequence[ScopeVariable], scope: str, stage: Stage | None, job: Job | None
    ) -> Iterator[RuntimeExpression]:
        for var in variables:
            if isinstance(var, VariableGroup):
                continue
            text = var.value.strip() if isinstance(var.value, str) else ""
            if text.startswith("$[") and text.endswith("]"):
                where = f"value of variable {var.name}"
                yield RuntimeExpression(text[2:-1], var.location.shifted(2), where, scope, stage, job)

    yield from values(pipeline.variables, "pipeline variables", None, None)
    for stage in pipeline.stages:
        if stage.condition:
            where = stage.condition_location or stage.location
            what = f"condition of stage {stage.name}"
            yield RuntimeExpression(stage.condition, where, what, "stage", stage)
        yield from values(stage.variables, "stage variables", stage, None)
        for job in stage.jobs:
            if job.condition:
                where = job.condition_location or job.location
                what = f"condition of job {job.name}"
                yield RuntimeExpression(job.condition, where, what, "job", stage, job)
            if job.matrix_expression is not None:
                what = f"matrix of job {job.name}"
                text = job.matrix_expression
                yield RuntimeExpression(text, job.location, what, "job variables", stage, job)
            yield from values(job.variables, "job variables", stage, job)
            for step in job.all_steps():
                if step.condition:
                    where = step.condition_location or step.location
                    yield RuntimeExpression(
                        step.condition, where, f"condition of step {step.ident}", "step", stage, job
                    )


def expression_problems(pipeline: Pipeline) -> Iterator[MlopsError]:
    """Conditions and runtime-expression variables parse (they are evaluated only when they run)."""
    for expr in runtime_expressions(pipeline):
        try:
            parse(expr.text, expr.location)
        except ExpressionError as exc:
            yield ExpressionError(
                f"The {expr.what} is not a valid expression: {exc.message}",
                exc.location or expr.location,
                expected=exc.expected,
                hint=exc.hint,
            )


def task_problems(pipeline: Pipeline, tasks: Sequence[str]) -> Iterator[MlopsError]:
    """Every `task:` names a task that exists (Name@major, any case): one of Microsoft's in-box tasks
    (the catalog) or one the emulator was given (`tasks`: plug-ins, tasks.yml stand-ins). In-box tasks
    are never refused here, with local behaviour or not: that is for run time."""
    catalog = task_catalog.load()
    known = {t.lower() for t in tasks}
    for _, _, step in _all_steps(pipeline):
        if step.task in ("checkout", "download-none", "getPackage") or step.task.lower() in known:
            continue
        if catalog.get(step.task) is not None:
            continue
        everything = sorted({*catalog.names(), *tasks}, key=str.lower)
        same = [t for t in everything if t.split("@")[0].lower() == step.task.split("@")[0].lower()]
        yield PipelineError(
            f"A task is missing: the pipeline references a task called '{step.task}', which is neither "
            "one of Microsoft's in-box tasks nor one given to the emulator",
            step.location,
            hint=(f"this task exists as {', '.join(same)}" if same else None)
            or did_you_mean(step.task, everything)
            or "a Marketplace task: give it a local stand-in in tasks.yml, or add it through the "
            "'mlops.tasks' entry-point group (see emulator/tasks/base.py)",
        )


# ---- runtime jobs: what a job becomes when it runs ------------------------------------------------
DEFAULT_JOB_NAME = "__default"


@dataclass(frozen=True)
class RuntimeStep:
    """One step as it runs: deployment hooks and canary increments repeat a YAML step."""

    index: int  # position in the runtime job (the record's order)
    step: Step
    hook: str | None = None  # lifecycle hook of a deployment job
    iteration: str | None = None  # canary increment or rolling target
    job_name: str = DEFAULT_JOB_NAME  # System.JobName while it runs: outputs are prefixed with it
    extra_prefixes: tuple[str, ...] = ()  # more output prefixes (runOnce with a resourceType)
    synthetic: bool = False  # added by the agent (checkout, artifact download)

    @property
    def ident(self) -> str:
        """The step's reference name (`name:`), or a stable generated one."""
        if self.step.name:
            return self.step.name
        if self.synthetic:
            return "checkout" if self.step.task == "checkout" else "download"
        return self.step.ident

    def output_prefixes(self) -> tuple[str, ...]:
        """How other jobs see this step's output variables: `<prefix>.<step>.<var>` ('' = none)."""
        first = "" if self.job_name == DEFAULT_JOB_NAME else f"{self.job_name}."
        return (first, *(f"{p}." for p in self.extra_prefixes))


@dataclass(frozen=True)
class RuntimeJob:
    """A job as it runs: a matrix leg or parallel slice of a YAML job, or the job itself."""

    stage: str
    job: Job
    name: str  # unique in the stage: `J`, or `J.<leg>` (System.JobIdentifier style)
    leg: str  # System.JobName: __default, the leg, jobN, or the deployment's name
    display_name: str
    position: int  # System.JobPositionInPhase (1-based)
    total: int  # System.TotalJobsInPhase
    matrix: Mapping[str, str]  # the leg's variables
    steps: tuple[RuntimeStep, ...]

    @property
    def identifier(self) -> str:
        """System.JobIdentifier: `<stage>.<job>.<leg>` (`Build.Job.__default`) [DOC predefined variables]."""
        return f"{self.stage}.{self.job.name}.{self.leg}"


def _synthetic(
    task: str, job: Job, display: str, inputs: Mapping[str, Any], checkout: str | None = None
) -> Step:
    return Step(
        index=-1,
        task=task,
        name=None,
        display_name=display,
        inputs=inputs,
        env={},
        condition=None,
        continue_on_error=False,
        enabled=True,
        timeout_minutes=0,
        location=job.location,
        checkout=checkout,
    )


def runtime_steps(job: Job) -> tuple[RuntimeStep, ...]:
    """The steps a job runs, in order, with the agent's additions.

    Regular jobs get `checkout: self` first unless they have a checkout step
    [DOC repos/pipeline-options-for-git.md] or are agentless (no sources); deployment jobs never get
    one, and their `deploy` hook
    gets a download of the current run's artifacts unless it has a `download` step
    [DOC process/deployment-jobs.md]. Strategies
    [DOC deployment-jobs.md]: runOnce runs each hook once; rolling once per batch (locally: one target,
    the environment's resource or the environment); canary runs preDeploy once, then deploy,
    routeTraffic and postRouteTraffic for each increment; on.success/on.failure come last.
    """
    out: list[RuntimeStep] = []

    def add(step: Step, **kw: Any) -> None:
        out.append(RuntimeStep(len(out), step, **kw))

    if not job.deployment:
        if not job.server and not any(s.task == "checkout" for s in job.steps):
            add(_synthetic("checkout", job, "Checkout self", {}, "self"), synthetic=True)
        for step in job.steps:
            add(step)
        return tuple(out)
    strategy = (job.strategy or "runOnce").lower()
    env = job.environment
    resource = (env.resource_name or env.name) if env is not None else "local"

    def hook_steps(
        hook: Hook, job_name: str, iteration: str | None = None, extra: tuple[str, ...] = ()
    ) -> None:
        steps = list(hook.steps)
        if hook.name == "deploy" and not any(
            s.task in ("download-none", "DownloadPipelineArtifact@2") for s in steps
        ):
            add(
                _synthetic(
                    "DownloadPipelineArtifact@2", job, "Download pipeline artifacts", {"buildType": "current"}
                ),
                hook=hook.name,
                iteration=iteration,
                job_name=job_name,
                extra_prefixes=extra,
                synthetic=True,
            )
        for step in steps:
            add(step, hook=hook.name, iteration=iteration, job_name=job_name, extra_prefixes=extra)

    main = [h for h in job.hooks if not h.name.startswith("on.")]
    after = [h for h in job.hooks if h.name.startswith("on.")]
    if strategy == "canary":
        for hook in main:
            if hook.name == "preDeploy":
                hook_steps(hook, job.name)
        for increment in job.increments:
            for hook in main:
                if hook.name != "preDeploy":
                    hook_steps(hook, f"{hook.name}_{increment}", str(increment))
    elif strategy == "rolling":
        for hook in main:
            hook_steps(hook, f"{hook.name}_{resource}", resource)
    else:
        typed = env is not None and bool(env.resource_type)
        for hook in main:
            hook_steps(hook, job.name, extra=(f"{hook.name}_{resource}",) if typed else ())
    for hook in after:
        hook_steps(hook, job.name)
    return tuple(out)


def expand_job(
    stage: str, job: Job, matrix: Mapping[str, Mapping[str, str]] | None = None
) -> tuple[RuntimeJob, ...]:
    """A job's runtime jobs: one per matrix leg (`J.<leg>`, System.JobName = leg) or parallel slice
    (`J.job1`…), else the job itself (System.JobName `__default`; a deployment's is its own name).

    [DOC process/phases.md "Multi-job configuration"; variables.md: outputs of legs and slices are
    prefixed with the leg or slice name]. `matrix` is the evaluated `matrix: $[ ]`, when there is one.
    """
    steps = runtime_steps(job)
    legs = matrix if matrix is not None else job.matrix
    if legs is not None:
        total = len(legs)
        return tuple(
            RuntimeJob(
                stage,
                job,
                f"{job.name}.{leg}",
                leg,
                f"{job.display_name} {leg}",
                i + 1,
                total,
                dict(values),
                steps,
            )
            for i, (leg, values) in enumerate(legs.items())
        )
    if job.parallel is not None and job.parallel > 1:
        total = job.parallel
        return tuple(
            RuntimeJob(
                stage, job, f"{job.name}.job{i}", f"job{i}", f"{job.display_name} {i}", i, total, {}, steps
            )
            for i in range(1, total + 1)
        )
    leg = job.name if job.deployment else DEFAULT_JOB_NAME
    return (RuntimeJob(stage, job, job.name, leg, job.display_name, 1, 1, {}, steps),)


def job_record(rjob: RuntimeJob) -> JobRecord:
    """The record skeleton of one runtime job."""
    job = rjob.job
    return {
        "name": rjob.name,
        "phase": job.name,
        "leg": rjob.leg,
        "identifier": rjob.identifier,
        "displayName": rjob.display_name,
        "state": "pending",
        "result": None,
        "deployment": job.deployment,
        "environment": job.environment.name if job.environment else None,
        "strategy": job.strategy,
        "matrix": dict(rjob.matrix) if rjob.matrix else None,
        "position": rjob.position,
        "total": rjob.total,
        "outputs": {},
        "attempt": 0,
        "steps": [step_record(s) for s in rjob.steps],
    }


def pending_matrix_record(job: Job) -> JobRecord:
    """A placeholder for a job whose matrix is a runtime expression (replaced by its legs when known)."""
    return {
        "name": job.name,
        "phase": job.name,
        "leg": None,
        "identifier": None,
        "displayName": job.display_name,
        "state": "pending",
        "result": None,
        "deployment": False,
        "environment": None,
        "strategy": None,
        "matrix": None,
        "matrixExpression": job.matrix_expression,
        "outputs": {},
        "attempt": 0,
        "steps": [],
    }


def step_record(s: RuntimeStep) -> StepRecord:
    return {
        "index": s.index,
        "name": s.ident,
        "displayName": s.step.display_name,
        "task": s.step.task,
        "hook": s.hook,
        "iteration": s.iteration,
        "result": None,
    }


def initial_record(pipeline: Pipeline) -> list[StageRecord]:
    """The stage/job/step skeleton of a run record, before anything ran."""
    deps = stage_dependencies(pipeline.stages)
    stages: list[StageRecord] = []
    for s in pipeline.stages:
        jobs: list[JobRecord] = []
        for j in s.jobs:
            if j.matrix_expression is not None:
                jobs.append(pending_matrix_record(j))
            else:
                jobs.extend(job_record(r) for r in expand_job(s.name, j))
        stages.append(
            {
                "name": s.name,
                "displayName": s.display_name,
                "dependsOn": list(deps[s.name]),
                "state": "pending",
                "result": None,
                "jobs": jobs,
            }
        )
    return stages
