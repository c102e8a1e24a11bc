"""The pipeline model: frozen dataclasses built from the full-YAML document, each with its location."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import Location, PipelineError
from emulator.yamlio import YMap, location_of, plain

_BOOL_TRUE = {"true", "y", "yes", "on"}
_BOOL_FALSE = {"false", "n", "no", "off"}
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
HOOKS = ("preDeploy", "deploy", "routeTraffic", "postRouteTraffic")


def as_bool(value: Any, loc: Location, what: str) -> bool:
    """Booleans as the schema accepts them (true/y/yes/on, false/n/no/off, any case)."""
    if isinstance(value, bool):
        return value
    if value is None:
        return False
    text = str(value).strip().lower()
    if text in _BOOL_TRUE:
        return True
    if text in _BOOL_FALSE:
        return False
    raise PipelineError(f"'{what}' must be a boolean, got '{value}'", loc, expected="true or false")


def as_int(value: Any, loc: Location, what: str, default: int) -> int:
    if value is None or value == "":
        return default
    try:
        return int(float(str(value)))
    except ValueError:
        raise PipelineError(f"'{what}' must be a number, got '{value}'", loc) from None


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


@dataclass(frozen=True)
class Variable:
    name: str
    value: str | list[Any] | dict[str, Any]  # text, or an object a template expression produced
    readonly: bool
    location: Location


@dataclass(frozen=True)
class VariableGroup:
    """`- group: NAME`: the variables of a variable group, at this point of the scope's list. The
    values live outside YAML (Azure DevOps's Library; locally `variable-groups.yml`)."""

    name: str
    location: Location


ScopeVariable = Variable | VariableGroup


@dataclass(frozen=True)
class Repository:
    """A repository a job can check out: a `resources.repositories` entry or an inline `git://` one."""

    alias: str  # how steps name it (`checkout: alias`; inline: `git://project/repo`)
    name: str  # `project/repo` or `owner/repo`
    type: str  # git, github, bitbucket, ...
    ref: str | None
    location: Location

    @property
    def folder(self) -> str:
        """The folder multi-checkout puts it in: the repository's name, not its alias [DOC
        repos/multi-repo-checkout.md "Checkout path"]."""
        return self.name.rstrip("/").rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Step:
    index: int  # position in its job (0-based), stable across resumes
    task: str  # e.g. CmdLine@2; "checkout" for checkout steps
    name: str | None  # the reference name used for output variables
    display_name: str
    inputs: Mapping[str, Any]
    env: Mapping[str, str]
    condition: str | None
    continue_on_error: bool
    enabled: bool
    timeout_minutes: int
    location: Location
    checkout: str | None = None  # for checkout steps: self | none | alias
    retry_count: int = 0  # retryCountOnTaskFailure
    condition_location: Location | None = None  # where the condition's text starts
    settable: tuple[str, ...] | None = None  # target.settableVariables (None: any; (): none)

    @property
    def ident(self) -> str:
        return self.name or f"step{self.index + 1}"


@dataclass(frozen=True)
class Environment:
    """`environment: name[.resource]` or `{name, resourceName, resourceType, tags}`."""

    name: str
    resource_name: str | None
    location: Location
    resource_type: str | None = None
    tags: tuple[str, ...] = ()


@dataclass(frozen=True)
class Hook:
    name: str  # preDeploy, deploy, routeTraffic, postRouteTraffic, on.success, on.failure
    steps: tuple[Step, ...]
    server: bool = False  # `pool: server` on the hook


@dataclass(frozen=True)
class Job:
    name: str
    display_name: str
    depends_on: tuple[str, ...]
    condition: str | None
    continue_on_error: bool
    timeout_minutes: int
    variables: tuple[ScopeVariable, ...]
    steps: tuple[Step, ...]  # regular jobs
    pool: Any
    location: Location
    deployment: bool = False
    environment: Environment | None = None
    strategy: str | None = None  # runOnce | rolling | canary (deployment jobs)
    hooks: tuple[Hook, ...] = ()
    matrix: Mapping[str, Mapping[str, str]] | None = None
    matrix_expression: str | None = None  # `matrix: $[ ... ]`, evaluated when the job is ready to run
    parallel: int | None = None  # `strategy: parallel: N` (slices job1..jobN)
    max_parallel: int = 0  # matrix legs / rolling targets at once (0: no limit)
    increments: tuple[int, ...] = ()  # canary increments
    cancel_timeout_minutes: int = 5
    condition_location: Location | None = None  # where the condition's text starts
    server: bool = False  # agentless job (pool: server)
    containers: tuple[str, ...] = ()  # `container:` and `services:` as written ("container python:3.11")

    def all_steps(self) -> tuple[Step, ...]:
        if not self.deployment:
            return self.steps
        return tuple(s for h in self.hooks for s in h.steps)


@dataclass(frozen=True)
class Stage:
    name: str
    display_name: str
    depends_on: tuple[str, ...] | None  # None: the previous stage (the default)
    condition: str | None
    variables: tuple[ScopeVariable, ...]
    jobs: tuple[Job, ...]
    location: Location
    condition_location: Location | None = None  # where the condition's text starts
    skippable: bool = True  # `isSkippable: false`: can't be deselected in "Stages to run"

    def environments(self) -> tuple[Environment, ...]:
        return tuple(j.environment for j in self.jobs if j.environment is not None)


@dataclass(frozen=True)
class Pipeline:
    name: str | None
    variables: tuple[ScopeVariable, ...]
    stages: tuple[Stage, ...]
    location: Location
    document: YMap = field(compare=False, repr=False)
    repositories: Mapping[str, Repository] = field(default_factory=dict)  # lower-case alias -> resource

    def groups(self) -> tuple[VariableGroup, ...]:
        """Every `- group:` reference, pipeline scope first."""
        scopes = [
            self.variables,
            *(s.variables for s in self.stages),
            *(j.variables for s in self.stages for j in s.jobs),
        ]
        return tuple(v for scope in scopes for v in scope if isinstance(v, VariableGroup))

    def stage(self, name: str) -> Stage:
        for stage in self.stages:
            if stage.name.lower() == name.lower():
                return stage
        raise KeyError(name)


def build(doc: YMap) -> Pipeline:
    """The model of a normalized (full-YAML) document; checks names and references."""
    stages = tuple(_stage(s, i) for i, s in enumerate(doc.get("stages") or ()))
    _unique([s.name for s in stages], [s.location for s in stages], "stage")
    names = {s.name.lower() for s in stages}
    for s in stages:
        for dep in s.depends_on or ():
            if dep.lower() not in names:
                raise PipelineError(
                    f"Stage {s.name} depends on unknown stage {dep}.",
                    s.location,
                    hint=_hint(dep, [x.name for x in stages]),
                )
    name = doc.get("name")
    resources = doc.get("resources")
    repositories = _repositories(resources.get("repositories") if isinstance(resources, dict) else None)
    for stage in stages:
        for job in stage.jobs:
            for step in job.all_steps():
                inline = inline_repository(step)
                if inline is not None:
                    repositories.setdefault(inline.alias.lower(), inline)
    return Pipeline(
        as_text(name) if name is not None else None,
        _variables(doc.get("variables")),
        stages,
        doc.loc,
        doc,
        repositories,
    )


def _repositories(node: Any) -> dict[str, Repository]:
    """`resources.repositories` [DOC yaml-schema resources-repositories-repository.md]."""
    out: dict[str, Repository] = {}
    for item in node if isinstance(node, list) else ():
        if not isinstance(item, dict) or not as_text(item.get("repository")):
            continue
        alias = as_text(item["repository"])
        loc = location_of(item) or Location("<pipeline>")
        name = as_text(item.get("name")) or alias
        ref = as_text(item.get("ref")) or None
        out[alias.lower()] = Repository(alias, name, as_text(item.get("type")) or "git", ref, loc)
    return out


INLINE_PREFIX = "git://"


def checkout_key(target: str) -> str:
    """The key of `Pipeline.repositories` a `checkout:` value names (an inline one without its ref)."""
    text = target.strip()
    if text.lower().startswith(INLINE_PREFIX):
        text = text.partition("@")[0]
    return text.lower()


def inline_repository(step: Step) -> Repository | None:
    """`checkout: git://project/repo[@ref]`: an Azure Repos repository named in the step itself [DOC
    repos/multi-repo-checkout.md "Inline syntax checkout"]."""
    target = step.checkout or ""
    if not target.lower().startswith(INLINE_PREFIX):
        return None
    name, _, ref = target[len(INLINE_PREFIX) :].partition("@")
    if name.count("/") != 1 or not all(name.split("/")):
        raise PipelineError(
            f"'{target}' is not a repository Azure Repos can check out",
            step.location,
            expected="checkout: git://Project/Repository[@ref]",
        )
    return Repository(f"{INLINE_PREFIX}{name}", name, "git", ref or None, step.location)


def _hint(name: str, candidates: list[str]) -> str | None:
    from emulator.errors import did_you_mean

    return did_you_mean(name, candidates)


def _unique(names: list[str], locs: list[Location], what: str) -> None:
    seen: dict[str, Location] = {}
    for n, loc in zip(names, locs, strict=True):
        if n.lower() in seen:
            raise PipelineError(
                f"The {what} name {n} appears more than once. {what.capitalize()} names must be "
                f"unique within the {'pipeline' if what == 'stage' else 'stage'}.",
                loc,
                hint=f"first used at {seen[n.lower()]}",
            )
        seen[n.lower()] = loc


def _check_name(name: str, loc: Location, what: str) -> None:
    if not _NAME.match(name):
        raise PipelineError(
            f"{what.capitalize()} name '{name}' is invalid",
            loc,
            expected="letters, digits and '_', not starting with a digit",
        )


def _depends(node: YMap) -> tuple[str, ...] | None:
    if "dependsOn" not in node:
        return None
    value = node["dependsOn"]
    if value is None or value == "":
        return ()
    if isinstance(value, list):
        return tuple(as_text(v) for v in value)
    return (as_text(value),)


def _variables(node: Any) -> tuple[ScopeVariable, ...]:
    out: list[ScopeVariable] = []
    for item in node or ():
        loc = location_of(item) or Location("<pipeline>")
        if "group" in item:
            out.append(VariableGroup(as_text(item["group"]), loc))
            continue
        value = item.get("value")
        out.append(
            Variable(
                as_text(item["name"]),
                value if isinstance(value, dict | list) else as_text(value),
                as_bool(item.get("readonly"), loc, "readonly"),
                loc,
            )
        )
    return tuple(out)


def _stage(node: YMap, index: int) -> Stage:
    name = default_name(node.get("stage"), "Stage", index)
    _check_name(name, node.loc, "stage")
    jobs = tuple(_job(j, i) for i, j in enumerate(node.get("jobs") or ()))
    _unique([j.name for j in jobs], [j.location for j in jobs], "job")
    job_names = {j.name.lower() for j in jobs}
    for j in jobs:
        for dep in j.depends_on:
            if dep.lower() not in job_names:
                raise PipelineError(
                    f"Job {j.name} depends on unknown job {dep}.",
                    j.location,
                    hint=_hint(dep, [x.name for x in jobs]),
                )
    return Stage(
        name,
        as_text(node.get("displayName")) or name,
        _depends(node),
        _condition(node),
        _variables(node.get("variables")),
        jobs,
        node.loc,
        _condition_loc(node),
        as_bool(
            node.get("isSkippable", True),
            node.value_loc("isSkippable") if "isSkippable" in node else node.loc,
            "isSkippable",
        ),
    )


def _condition_loc(node: YMap) -> Location | None:
    return node.value_loc("condition") if "condition" in node else None


def _condition(node: YMap) -> str | None:
    cond = node.get("condition")
    return None if cond is None or as_text(cond).strip() == "" else as_text(cond)


def _job(node: YMap, index: int) -> Job:
    deployment = "deployment" in node
    name = default_name(node.get("deployment" if deployment else "job"), "Job", index)
    _check_name(name, node.loc, "job")
    if deployment and name.lower() in ("deploy", "deployment"):
        raise PipelineError(f"'{name}' is a reserved word and can't be a deployment name", node.loc)
    pool = plain(node.get("pool"))
    server = _is_server(pool)
    common: dict[str, Any] = dict(
        name=name,
        display_name=as_text(node.get("displayName")) or name,
        depends_on=_depends(node) or (),
        condition=_condition(node),
        condition_location=_condition_loc(node),
        continue_on_error=as_bool(
            node.get("continueOnError"), node.value_loc("continueOnError"), "continueOnError"
        ),
        timeout_minutes=as_int(
            node.get("timeoutInMinutes"), node.value_loc("timeoutInMinutes"), "timeoutInMinutes", 60
        ),
        cancel_timeout_minutes=as_int(
            node.get("cancelTimeoutInMinutes"),
            node.value_loc("cancelTimeoutInMinutes"),
            "cancelTimeoutInMinutes",
            5,
        ),
        variables=_variables(node.get("variables")),
        pool=pool,
        location=node.loc,
        server=server,
        containers=_containers(node),
    )
    if not deployment:
        strategy_node = node.get("strategy")
        extra = _job_strategy(strategy_node, node.value_loc("strategy")) if strategy_node is not None else {}
        return Job(steps=_steps(node.get("steps"), 0), **extra, **common)
    environment = _environment(node.get("environment"), node.value_loc("environment"))
    strategy = node.get("strategy")
    if strategy in (None, ""):
        # `strategy` is optional [DOC yaml-schema jobs-deployment.md]: a deployment job without one
        # targets its environment (its checks gate the stage) and runs no steps, the usual way to ask
        # for an approval in a stage of its own.
        strategy = {"runOnce": {}}
    if not isinstance(strategy, dict):
        raise PipelineError(
            f"Deployment {name} needs a 'strategy' (runOnce, rolling or canary)",
            node.loc,
            expected="strategy:\n  runOnce:\n    deploy:\n      steps: ...",
        )
    strategy_name = next(iter(strategy))
    body = strategy[strategy_name] or {}
    hooks: list[Hook] = []
    offset = 0

    def add_hook(hook_name: str, hook_node: Any) -> None:
        nonlocal offset
        hook_node = hook_node or {}
        hook_steps = _steps(hook_node.get("steps"), offset)
        offset += len(hook_steps)
        hook_pool = plain(hook_node.get("pool"))
        hooks.append(Hook(hook_name, hook_steps, _is_server(hook_pool) if hook_pool is not None else server))

    for hook_name in HOOKS:
        if hook_name in body:
            add_hook(hook_name, body[hook_name])
    on = body.get("on")
    for outcome in ("success", "failure"):
        if isinstance(on, dict) and outcome in on:
            add_hook(f"on.{outcome}", on[outcome])
    increments: tuple[int, ...] = ()
    if strategy_name == "canary":
        raw = body.get("increments") or []
        if not isinstance(raw, list) or not raw:
            raise PipelineError(
                f"The canary strategy of {name} needs 'increments', e.g. [10, 20]",
                location_of(body) or node.loc,
                expected="increments: [10, 20]",
            )
        increments = tuple(as_int(v, node.loc, "increments", 0) for v in raw)
    max_parallel = 0
    if strategy_name == "rolling" and body.get("maxParallel") not in (None, ""):
        max_parallel = as_int(str(body.get("maxParallel")).rstrip("%"), node.loc, "maxParallel", 0)
    return Job(
        steps=(),
        deployment=True,
        environment=environment,
        strategy=strategy_name,
        hooks=tuple(hooks),
        increments=increments,
        max_parallel=max_parallel,
        **common,
    )


def default_name(raw: Any, kind: str, index: int) -> str:
    """The name of a stage or job: as written, or for an unnamed one (`- stage:`, `- job:`, accepted
    by the service and kept empty in its final YAML [PG C-E04-004]) `Stage`/`Job` for the first and
    `Stage<n>`/`Job<n>` after it, so that runs, logs and `dependsOn` messages can name it [UNVERIFIED:
    the service's generated names are not documented]."""
    text = as_text(raw)
    if text != "":
        return text
    return kind if index == 0 else f"{kind}{index}"


def _is_server(pool: Any) -> bool:
    return (isinstance(pool, str) and pool.lower() == "server") or (
        isinstance(pool, dict) and str(pool.get("name", "")).lower() == "server"
    )


def _environment(env: Any, loc: Location) -> Environment | None:
    """The string form `env[.resource]` and the object form `{name, resourceName, resourceType, tags}`."""
    if env is None:
        return None
    if isinstance(env, dict):
        name = as_text(env.get("name"))
        if not name:
            raise PipelineError(
                "An environment needs a 'name'",
                location_of(env) or loc,
                expected="environment:\n  name: test",
            )
        tags = env.get("tags")
        tag_list = (
            [as_text(t) for t in tags]
            if isinstance(tags, list)
            else [t.strip() for t in as_text(tags).split(",") if t.strip()]
        )
        return Environment(
            name,
            as_text(env.get("resourceName")) or None,
            location_of(env) or loc,
            as_text(env.get("resourceType")) or None,
            tuple(tag_list),
        )
    env_name, _, resource = as_text(env).partition(".")
    return Environment(env_name, resource or None, loc)


def _job_strategy(node: Any, loc: Location) -> dict[str, Any]:
    """`strategy:` of a regular job: a matrix (mapping, or `$[ ]` evaluated at run time) or `parallel: N`."""
    if not isinstance(node, dict):
        raise PipelineError("A job 'strategy' must be a mapping with 'matrix' or 'parallel'", loc)
    out: dict[str, Any] = {}
    if node.get("maxParallel") not in (None, ""):
        out["max_parallel"] = as_int(node.get("maxParallel"), loc, "maxParallel", 0)
    if "parallel" in node and node.get("parallel") not in (None, ""):
        count = as_int(node.get("parallel"), loc, "parallel", 1)
        if count < 1:
            raise PipelineError(f"'parallel' must be at least 1, got {count}", loc)
        out["parallel"] = count
    if "matrix" in node:
        matrix = node["matrix"]
        if isinstance(matrix, str):
            text = matrix.strip()
            if not (text.startswith("$[") and text.endswith("]")):
                raise PipelineError(
                    "A matrix must be a mapping of legs, or a runtime expression $[ ... ]",
                    loc,
                    expected="matrix:\n  linux:\n    imageName: ubuntu-latest",
                )
            out["matrix_expression"] = text[2:-1]
        elif isinstance(matrix, dict):
            out["matrix"] = matrix_legs(plain(matrix), loc)
        elif matrix is not None:
            raise PipelineError("A matrix must be a mapping of legs", loc)
    return out


def matrix_legs(matrix: Any, loc: Location) -> Mapping[str, Mapping[str, str]]:
    """Leg name -> its variables, with names checked as the schema does [DOC jobs-job-strategy.md]."""
    if not isinstance(matrix, Mapping):
        raise PipelineError(f"A matrix must be a mapping of legs, got {type(matrix).__name__}", loc)
    legs: dict[str, Mapping[str, str]] = {}
    for leg, values in matrix.items():
        leg = str(leg)
        if not re.match(r"^[A-Za-z][A-Za-z0-9_]*$", leg) or len(leg) > 100:
            raise PipelineError(
                f"Matrix leg name '{leg}' is invalid",
                loc,
                expected="letters, digits and '_', starting with a letter, at most 100 chars",
            )
        if values is not None and not isinstance(values, Mapping):
            raise PipelineError(f"Matrix leg '{leg}' must be a mapping of variables", loc)
        legs[leg] = {str(k): as_text(v) for k, v in (values or {}).items()}
    return legs


def _steps(node: Any, offset: int) -> tuple[Step, ...]:
    out: list[Step] = []
    names: dict[str, Location] = {}
    for i, item in enumerate(node or ()):
        step = _step(item, offset + i)
        if step.name:
            if not _NAME.match(step.name):
                raise PipelineError(
                    f"Step name '{step.name}' is invalid",
                    step.location,
                    expected="letters, digits and '_', not starting with a digit",
                )
            if step.name.lower() in names:
                raise PipelineError(
                    f"The step name {step.name} appears more than once",
                    step.location,
                    hint=f"first used at {names[step.name.lower()]}",
                )
            names[step.name.lower()] = step.location
        out.append(step)
    return tuple(out)


def _step(node: YMap, index: int) -> Step:
    loc = node.loc
    name = as_text(node.get("name")) or None
    common: dict[str, Any] = dict(
        index=index,
        name=name,
        condition=_condition(node),
        condition_location=_condition_loc(node),
        continue_on_error=as_bool(
            node.get("continueOnError"), node.value_loc("continueOnError"), "continueOnError"
        ),
        enabled=as_bool(node.get("enabled", True), node.value_loc("enabled"), "enabled"),
        timeout_minutes=as_int(
            node.get("timeoutInMinutes"), node.value_loc("timeoutInMinutes"), "timeoutInMinutes", 0
        ),
        env={str(k): as_text(v) for k, v in (node.get("env") or {}).items()},
        location=loc,
        retry_count=as_int(
            node.get("retryCountOnTaskFailure"),
            node.value_loc("retryCountOnTaskFailure"),
            "retryCountOnTaskFailure",
            0,
        ),
        settable=_settable(node.get("target")),
    )
    if "checkout" in node:
        target = as_text(node["checkout"])
        return Step(
            task="checkout",
            display_name=as_text(node.get("displayName")) or f"Checkout {target}",
            inputs={k: plain(v) for k, v in node.items() if k not in ("checkout",)},
            checkout=target,
            **common,
        )
    if "getPackage" in node:  # a package of resources.packages (Azure Artifacts): run time decides
        return Step(
            task="getPackage",
            display_name=as_text(node.get("displayName")) or "Get package",
            inputs={k: plain(v) for k, v in node.items()},
            **common,
        )
    if "download" in node:  # `download: none` only (other forms became DownloadPipelineArtifact@2)
        return Step(task="download-none", display_name="Download (none)", inputs={}, **common)
    task = as_text(node.get("task"))
    if "@" not in task:
        raise PipelineError(
            f"Task '{task}' needs a major version, e.g. '{task}@2'",
            node.value_loc("task"),
            expected="Name@major",
        )
    inputs = {
        str(k): v if isinstance(v, dict | list) else as_text(v) for k, v in (node.get("inputs") or {}).items()
    }
    display = as_text(node.get("displayName")) or _default_display(task, inputs)
    return Step(task=task, display_name=display, inputs=inputs, **common)


def _containers(node: YMap) -> tuple[str, ...]:
    """What a job asks to run in: its container and its service containers [DOC process/container-phases.md,
    process/service-containers.md], by alias or image as written."""

    def named(value: Any) -> str:
        value = plain(value)
        if isinstance(value, dict):
            return as_text(value.get("alias") or value.get("image") or value)
        return as_text(value)

    out = [f"container {named(node['container'])}"] if node.get("container") not in (None, "") else []
    services = node.get("services")
    if isinstance(services, dict):
        out += [f"service {k}: {named(v)}" for k, v in services.items()]
    return tuple(out)


def _settable(target: Any) -> tuple[str, ...] | None:
    """`target: {settableVariables: none | [names]}` [DOC variables.md "Configure settable variables"]."""
    if not isinstance(target, dict) or "settableVariables" not in target:
        return None
    value = target.get("settableVariables")
    if value is None or (isinstance(value, str) and value.strip().lower() == "none"):
        return ()
    if isinstance(value, dict) and "none" in value:
        return ()
    if isinstance(value, list):
        return tuple(as_text(v) for v in value)
    return (as_text(value),)


def _default_display(task: str, inputs: Mapping[str, Any]) -> str:
    script = inputs.get("script") or inputs.get("inlineScript")
    if task in ("CmdLine@2", "Bash@3", "AzureCLI@2", "PowerShell@2") and isinstance(script, str) and script:
        first = next((ln.strip() for ln in script.splitlines() if ln.strip()), "")
        return f"{task.split('@')[0]}: {first[:60]}"
    return task.split("@")[0]
