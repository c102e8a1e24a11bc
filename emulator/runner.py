"""Orchestration used by the CLI and the test kit: compile a pipeline, start, decide, resume.

This is an edge module: it ties the pure core (templates, model, plan) to the effects (run store,
engine, the `az` shim). It renders nothing.
"""

from __future__ import annotations

import gc
import getpass
import hashlib
import os
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from emulator.errors import Location, MlopsError, RunError, did_you_mean
from emulator.gates import approvals, manual
from emulator.gates import environments as envfile
from emulator.gitmeta import read_head
from emulator.model import Pipeline, build
from emulator.normalize import normalize
from emulator.plan import check
from emulator.records import RunRecord
from emulator.runtime import interrupted, rerun
from emulator.runtime import repositories as repofile
from emulator.runtime import selection as run_selection
from emulator.runtime import variable_groups as groupfile
from emulator.runtime.engine import Engine, initial_record
from emulator.runtime.events import Reporter
from emulator.runtime.options import RunOptions
from emulator.runtime.process import Cancellation
from emulator.store import runs as runstore
from emulator.store.files import utc_now
from emulator.tasks import standins
from emulator.tasks.registry import default_registry
from emulator.templates import Expanded, expand_pipeline
from emulator.templates.references import find_repo_root
from emulator.validation import check_decisions
from emulator.yamlio import YMap, dumps, load_file, loads, no_cyclic_gc

EXIT_OK, EXIT_FAILED, EXIT_BAD_INPUT, EXIT_PAUSED = 0, 1, 2, 3
ENVIRONMENTS_SNAPSHOT = "environments.yml"  # the environments file as it was when the run was queued


def default_user() -> str:
    """Who is acting: $MLOPS_USER, else git's user.name, else the login name."""
    if os.environ.get("MLOPS_USER"):
        return os.environ["MLOPS_USER"]
    return git_user_name() or getpass.getuser()


def git_user_name() -> str | None:
    """`git config user.name`, when git has one."""
    try:
        out = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=5)
    except (OSError, subprocess.SubprocessError):
        return None
    name = out.stdout.strip() if out.returncode == 0 else ""
    return name or None


def git_info(repo_root: Path) -> dict[str, str]:
    head = read_head(repo_root)
    return {"commit": head.commit, "branch": head.branch}


def template_variables(repo_root: Path, pipeline: Path, requester: str) -> dict[str, str]:
    """Predefined variables the service makes available to `${{ variables.x }}` [DOC variables-hosted]."""
    info = git_info(repo_root)
    branch = info["branch"] if info["branch"] not in ("", "HEAD") else "main"
    return {
        "Build.DefinitionName": pipeline.stem,
        "Build.DefinitionVersion": "1",
        "Build.Reason": "Manual",
        "Build.SourceBranch": f"refs/heads/{branch}",
        "Build.SourceBranchName": branch.split("/")[-1],
        "Build.SourceVersion": info["commit"],
        "Build.QueuedBy": requester,
        "Build.QueuedById": requester,
        "Build.RequestedFor": requester,
        "Build.RequestedForId": requester,
        "System.TeamProject": "local",
    }


@dataclass(frozen=True)
class Compiled:
    """A pipeline ready to run: expanded, normalized, modelled, graph-checked."""

    expanded: Expanded
    document: YMap
    pipeline: Pipeline
    environments: envfile.Environments
    environments_path: Path | None
    tasks_path: Path | None = None  # tasks.yml: stand-ins for tasks without local behaviour
    variable_groups: groupfile.VariableGroups = groupfile.NONE
    repositories: Mapping[str, Path] = field(default_factory=dict)  # lower-case alias -> local folder

    def checkout_problems(self) -> tuple[list[MlopsError], list[MlopsError]]:
        """(checkouts of an undeclared repository, which the service refuses; checkouts of a repository
        with no local folder, which Azure accepts but a local run cannot do: `mlops validate` warns)."""
        return repofile.check_checkouts(self.pipeline, self.repositories)

    def undefined_groups(self) -> list[MlopsError]:
        """`- group:` items the variable groups file does not define (warnings in `mlops validate`: the
        YAML is fine, the local stand-in is missing)."""
        names = [(g.name, g.location) for g in self.pipeline.groups()]
        return groupfile.check_defined(self.variable_groups, names)


def compile_pipeline(
    path: Path,
    parameters: Mapping[str, str] | None = None,
    repos: Mapping[str, Path] | None = None,
    requester: str | None = None,
    environments_file: Path | None = None,
    tasks_file: Path | None = None,
    variable_groups_file: Path | None = None,
    check_plan: bool = True,
) -> Compiled:
    """Expand and model a pipeline; raises located MlopsErrors. `check_plan=False` leaves what
    `plan.plan_problems` finds (beyond the graphs) to the caller: `mlops validate` reports them all.

    `repos`: `--repo` folders, over those of a repositories.yml beside the pipeline."""
    if not path.is_file():
        nearby = [p.name for p in path.parent.glob("*.y*ml")] if path.parent.is_dir() else []
        raise RunError(
            f"Pipeline file {path} not found",
            Location(str(path)),
            hint=did_you_mean(path.name, nearby)
            or "give the path of an Azure Pipelines YAML file, e.g. mlops_pipelines/BasicBuildRelease.yml",
        )
    repo_root = find_repo_root(path.resolve())
    user = requester or default_user()
    folders = repofile.merged(repofile.load(repofile.find_file(path.resolve(), repo_root)), repos or {})
    expanded = expand_pipeline(path, parameters, folders, template_variables(repo_root, path, user))
    tasks_path = tasks_file or standins.find_file(path.resolve(), repo_root)
    with no_cyclic_gc():  # big trees of small acyclic nodes (see yamlio.no_cyclic_gc)
        document = normalize(expanded.document)
        pipeline = build(document)
        check(
            pipeline,
            default_registry(standins.load(tasks_path)).names() if check_plan else None,
            problems=check_plan,
        )
    env_path = environments_file or envfile.find_file(path.resolve(), repo_root)
    environments = envfile.load(env_path)
    groups_path = variable_groups_file or groupfile.find_file(path.resolve(), repo_root)
    return Compiled(
        expanded,
        document,
        pipeline,
        environments,
        env_path.resolve() if env_path else None,
        tasks_path.resolve() if tasks_path else None,
        groupfile.load(groups_path.resolve() if groups_path else None),
        folders,
    )


def local_tasks(compiled: Compiled) -> list[str]:
    """The tasks with local behaviour for this pipeline: the emulator's, plug-ins, tasks.yml stand-ins."""
    return default_registry(standins.load(compiled.tasks_path)).names()


@dataclass(frozen=True)
class RunRequest:
    pipeline: Path
    parameters: Mapping[str, str] = field(default_factory=dict)
    variables: Mapping[str, str] = field(default_factory=dict)
    repos: Mapping[str, Path] = field(default_factory=dict)
    approve: Sequence[str] = ()
    reject: Sequence[str] = ()
    user: str | None = None
    comment: str | None = None
    check_policy: str = "fail"
    environments_file: Path | None = None
    variable_groups_file: Path | None = None
    parallel: int | None = None  # jobs at once (None: the number of CPU cores)
    secret_variables: Mapping[str, str] = field(default_factory=dict)  # queue-time secrets, never recorded
    task_policy: str = "fail"  # tasks without local behaviour: fail or skip
    tasks_file: Path | None = None
    selection: run_selection.Selection = field(default_factory=run_selection.Selection)  # "Stages to run"


def _options(
    home: Path, repo_root: Path, environments: envfile.Environments, data: Mapping[str, Any]
) -> RunOptions:
    from emulator.azureml import write_az_shim
    from emulator.tasks import connections

    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    write_az_shim(bin_dir)
    files = [Path(str(data[k])) if data.get(k) else None for k in ("pipelineFile", "environmentsFile")]
    groups = data.get("variableGroupsFile")
    return RunOptions(
        home=home,
        repo_root=repo_root,
        environments=environments,
        requester=str(data.get("requestedBy", "")),
        check_policy=str(data.get("checkPolicy", "fail")),
        queue_variables=dict(data.get("variables") or {}),
        az_bin=bin_dir,
        parallel=int(data.get("parallel") or 0),
        connections=connections.for_pipeline(files[0], files[1], repo_root),
        variable_groups=groupfile.load(Path(groups) if groups else None),
        repositories={str(k): Path(v) for k, v in (data.get("repositories") or {}).items()},
    )


def start(
    request: RunRequest, home: Path, reporter: Reporter, cancellation: Cancellation | None = None
) -> runstore.Run:
    """Compile and run a pipeline; returns the run (its record says the result)."""
    user = request.user or default_user()
    compiled = compile_pipeline(
        request.pipeline,
        request.parameters,
        request.repos,
        user,
        request.environments_file,
        tasks_file=request.tasks_file,
        variable_groups_file=request.variable_groups_file,
    )
    undeclared, unmapped = compiled.checkout_problems()
    problems = [*undeclared, *unmapped, *compiled.undefined_groups()]
    if problems:
        raise problems[0]
    repo_root = compiled.expanded.repo_root
    for problem in check_decisions(compiled.pipeline, compiled.environments, request.approve, request.reject):
        raise RunError(problem.message, None, expected=problem.expected, hint=problem.hint)
    decisions = [
        _pre_decision(compiled.environments, env, "approved", user, request.comment)
        for env in request.approve
    ]
    decisions += [
        _pre_decision(compiled.environments, env, "rejected", user, request.comment) for env in request.reject
    ]
    left_out = run_selection.resolve(compiled.pipeline, request.selection)
    stages = initial_record(compiled.pipeline)
    run_selection.mark(stages, left_out)
    extends = _extends_chain(compiled.expanded.source, compiled.expanded.repo_root)
    source = compiled.expanded.source
    try:
        shown = str(source.relative_to(repo_root))
    except ValueError:
        shown = str(source)
    run = runstore.create(
        home,
        {
            "pipeline": shown,
            "pipelineFile": str(source),
            "repoRoot": str(repo_root),
            "environmentsFile": str(compiled.environments_path) if compiled.environments_path else None,
            "variableGroupsFile": compiled.variable_groups.source_path,
            "repositories": {
                k: str(v)
                for k, v in repofile.checkout_folders(compiled.pipeline, compiled.repositories).items()
            },
            "definitionName": source.stem,
            "parameters": {k: _jsonable(v) for k, v in compiled.expanded.parameters.items()},
            "variables": dict(request.variables),
            "requestedBy": user,
            "checkPolicy": request.check_policy,
            "taskPolicy": request.task_policy,
            "tasksFile": str(compiled.tasks_path) if compiled.tasks_path else None,
            "git": git_info(repo_root),
            "templates": list(compiled.expanded.files),
            "status": "queued",
            "result": None,
            "approvals": [],
            "checks": [],
            "extends": extends,
            "stages": stages,
            **(run_selection.describe(left_out) if request.selection else {}),
        },
    )
    run.data["approvals"] = [approvals.sign(home, {**d, "run": run.id}) for d in decisions]
    run.pipeline_file.write_text(dumps(compiled.document), encoding="utf-8")
    run.data["pipelineDigest"] = _digest(run.pipeline_file)
    if compiled.environments_path is not None:
        snapshot = run.dir / ENVIRONMENTS_SNAPSHOT
        snapshot.write_bytes(compiled.environments_path.read_bytes())
        run.data["environmentsDigest"] = _digest(snapshot)
    if request.parallel:
        run.data["parallel"] = request.parallel
    run.save()
    if request.secret_variables:
        run.save_secrets({"variables": dict(request.secret_variables)})
    with run.exclusive(wait=False):
        run = runstore.load(home, run.id)  # the record as it is now that this process holds the run
        _trusted(run, "run")
        return _engine(run, compiled.pipeline, compiled.environments, home, reporter, cancellation)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _trusted(run: runstore.Run, action: str) -> None:
    """Refuse to act on a run whose record or pipeline was edited by hand (the environments snapshot
    is checked where it is read, `_environments_of`). Called with the run's lock held, on the record as
    loaded under it: what is checked is what is used."""
    problem = run.tampering()
    if problem:
        raise RunError(
            f"Refusing to {action} run {run.id}: {problem}",
            Location(str(run.record_path)),
            hint="runs are changed only through mlops; start a new run with mlops run",
        )


def _pre_decision(
    envs: envfile.Environments, env: str, decision: str, user: str, comment: str | None
) -> dict[str, Any]:
    config = envs.get(env)
    approvals.validate_decision(config, envs, user, user)
    assert config is not None
    return {
        "environment": config.name,
        "stage": None,
        "decision": decision,
        "by": user,
        "at": utc_now(),
        "comment": comment or f"{decision} when the run was queued",
        "source": "queue",
    }


def _extends_chain(pipeline: Path, repo_root: Path) -> list[str]:
    """The templates the pipeline extends, outermost first, as paths from the repository root."""
    chain: list[str] = []
    current = pipeline
    for _ in range(100):
        if b"extends" not in current.read_bytes():  # most pipelines: no need to parse them again
            break
        doc = load_file(current)
        spec = doc.get("extends") if isinstance(doc, dict) else None
        ref = spec.get("template") if isinstance(spec, dict) else None
        if not isinstance(ref, str) or "${{" in ref:
            break
        path_part, _, alias = ref.partition("@")
        if alias and alias.lower() != "self":
            chain.append(ref)
            break
        target = (
            (repo_root / path_part.lstrip("/")) if path_part.startswith("/") else (current.parent / path_part)
        )
        target = target.resolve()
        try:
            chain.append(str(target.relative_to(repo_root)))
        except ValueError:
            chain.append(str(target))
        if not target.is_file():
            break
        current = target
    return chain


def _engine(
    run: runstore.Run,
    pipeline: Pipeline,
    environments: envfile.Environments,
    home: Path,
    reporter: Reporter,
    cancellation: Cancellation | None,
) -> runstore.Run:
    """Execute a run whose lock this process holds and whose record it has verified."""
    if run.data.get("status") == "completed":
        return run
    options = _options(home, Path(run.data["repoRoot"]), environments, run.data)
    _check_groups(pipeline, options.variable_groups)
    if _calls_az(pipeline):  # the az worker imports while the first steps run
        from emulator.azureml.resident.client import prestart

        prestart()
    tasks_file = run.data.get("tasksFile")
    registry = default_registry(
        standins.load(Path(tasks_file) if tasks_file else None), str(run.data.get("taskPolicy") or "fail")
    )
    with _frozen_heap():
        Engine(run, pipeline, options, reporter, registry, cancellation).execute()
    return run


@contextmanager
def _frozen_heap() -> Iterator[None]:
    """Keep what exists before the run (the pipeline's tree and model: millions of objects for 10,000
    stages) out of the cyclic garbage collector's passes while the run executes; each full pass over
    them cost a few hundred milliseconds, and they came often enough to double a big run's time."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


_AZ_COMMAND = re.compile(r"(^|[\s;&|(`$])az\s")


def _calls_az(pipeline: Pipeline) -> bool:
    return any(
        step.task.lower().startswith("azurecli@")
        or any(isinstance(v, str) and _AZ_COMMAND.search(v) for v in step.inputs.values())
        for stage in pipeline.stages
        for job in stage.jobs
        for step in job.all_steps()
    )


def _check_groups(pipeline: Pipeline, groups: groupfile.VariableGroups) -> None:
    """Every variable group the pipeline names is defined and its values can be read (`env:` ones
    from the environment), before a job starts: the service refuses to queue such a run."""
    for ref in pipeline.groups():
        groups.values(groups.require(ref.name, ref.location))


def _environments_of(run: runstore.Run) -> envfile.Environments:
    """The checks of the environments file as it is now plus those the run was queued with.

    Decisions are always checked against the current rules, and a check cannot be removed from a
    queued run by editing the file (see environments.strictest). The snapshot is read once and checked
    against its digest in the (verified) record.
    """
    source = run.data.get("environmentsFile")
    now = envfile.load(Path(source)) if source and Path(source).is_file() else envfile.EMPTY
    snapshot = run.dir / ENVIRONMENTS_SNAPSHOT
    expected = run.data.get("environmentsDigest")
    if not snapshot.is_file() and not expected:
        return now
    raw = snapshot.read_bytes() if snapshot.is_file() else b""
    if expected and hashlib.sha256(raw).hexdigest() != expected:
        raise RunError(
            f"Refusing to use run {run.id}: the environments snapshot {snapshot} was changed outside mlops",
            Location(str(snapshot)),
        )
    return envfile.strictest(envfile.loads(raw.decode("utf-8"), str(snapshot)), now)


def check_resumable(run: runstore.Run) -> None:
    """A finished run is not resumed: say so before anything else."""
    if run.data.get("status") == "completed":
        raise RunError(
            f"Run {run.id} has already finished ({run.data.get('result')})",
            None,
            hint="start a new run with mlops run",
        )


def resume(
    run_id: str, home: Path, reporter: Reporter, cancellation: Cancellation | None = None
) -> runstore.Run:
    """Continue a paused or interrupted run from its record, with the YAML it was queued with.

    Everything is read under the run's lock and checked before it is used: the record (signed), the
    expanded pipeline (its digest) and the environments snapshot (its digest)."""
    run = runstore.load(home, run_id)
    with run.exclusive(wait=False):
        run = runstore.load(home, run_id)
        _trusted(run, "resume")
        check_resumable(run)
        document = loads(run.pipeline_text(), str(run.pipeline_file), text_scalars=True)
        pipeline = build(document)
        check(pipeline)
        return _engine(run, pipeline, _environments_of(run), home, reporter, cancellation)


def rerun_failed(
    run_id: str,
    home: Path,
    reporter: Reporter,
    user: str,
    secret_variables: Mapping[str, str] | None = None,
    cancellation: Cancellation | None = None,
) -> runstore.Run:
    """Azure's "Rerun failed jobs": a new attempt of a finished run, with the YAML it was queued with;
    succeeded jobs keep their results and outputs, failed and canceled ones (and what they held back)
    run again (see runtime/rerun.py). Queue-time secrets are not kept once a run ends: give them again."""
    run = runstore.load(home, run_id)
    with run.exclusive(wait=False):
        run = runstore.load(home, run_id)
        _trusted(run, "rerun")
        status, result = run.data.get("status"), run.data.get("result")
        if status != "completed":
            raise RunError(
                f"Run {run.id} has not finished (status: {shown(run).get('status')})",
                None,
                hint=f"mlops resume {run.id} continues it",
            )
        if result in ("succeeded", "succeededWithIssues"):
            raise RunError(
                f"Run {run.id} {result}: it has no failed job to rerun",
                None,
                hint="start a new run with mlops run",
            )
        pipeline = build(loads(run.pipeline_text(), str(run.pipeline_file), text_scalars=True))
        check(pipeline)
        now = utc_now()
        jobs = rerun.reset_failed(run.data, pipeline, now)
        if not jobs:
            raise RunError(f"Run {run.id} has no failed or canceled job to rerun", None)
        rerun.keep_logs(run.dir, jobs, run.data)
        run.data.update({"status": "queued", "result": None, "waiting": None})
        for key in ("finishedAt", "message"):
            cast("dict[str, Any]", run.data).pop(key, None)
        names = [f"{s}.{j}" for s, j in jobs]
        run.data.setdefault("reruns", []).append({"at": now, "by": user, "jobs": names})
        run.save()
        if secret_variables:
            run.save_secrets({"variables": dict(secret_variables)})
        run.event("rerun", jobs=len(jobs), by=user)
        return _engine(run, pipeline, _environments_of(run), home, reporter, cancellation)


@dataclass(frozen=True)
class Wait:
    """One thing a paused run waits on: an environment's checks before a stage, or a job's manual
    validation."""

    stage: str
    environment: str | None = None
    job: str | None = None

    def describe(self) -> str:
        if self.job is not None:
            return f"the manual validation of job {self.stage}.{self.job}"
        return f"environment '{self.environment}' (stage {self.stage})"

    def option(self) -> str:
        if self.job is not None:
            return f"--job {self.stage}.{self.job}"
        return f"--environment {self.environment}"

    def matches(self, environment: str | None, job: str | None) -> bool:
        """Named by `--job STAGE.JOB` (or `JOB`), or by `--environment ENV`; by nothing: anything."""
        if job is not None:
            names = (str(self.job).lower(), f"{self.stage}.{self.job}".lower())
            return self.job is not None and job.lower() in names
        if environment is not None:
            return self.environment is not None and self.environment.lower() == environment.lower()
        return True


def waits(data: Mapping[str, Any]) -> list[Wait]:
    """What a paused run waits on, from its record."""
    out: list[Wait] = []
    for srec in data.get("stages") or ():
        if srec.get("state") == "waiting":
            latest = {  # the last evaluation of each environment's checks for this stage
                str(c.get("environment")): c.get("status")
                for c in data.get("checks") or ()
                if c.get("stage") == srec["name"]
            }
            pending = [env for env, status in latest.items() if status == "pending"]
            out += [Wait(srec["name"], environment=env) for env in pending]
        jobs = srec.get("jobs") or ()
        out += [Wait(srec["name"], job=j["name"]) for j in jobs if j.get("state") == "waiting"]
    return out


def _choose(run: runstore.Run, environment: str | None, job: str | None, verb: str) -> Wait:
    pending = waits(run.data) if run.data.get("status") == "paused" else []
    if not pending:
        raise RunError(f"Run {run.id} is not waiting for a decision (status: {run.data.get('status')})", None)
    hints = "; ".join(f"mlops {verb} {run.id} {w.option()} --as USER" for w in pending)
    found = [w for w in pending if w.matches(environment, job)]
    if len(found) == 1:
        return found[0]
    what = ", ".join(w.describe() for w in pending)
    if not found:
        asked = f"job {job}" if job is not None else f"environment '{environment}'"
        raise RunError(f"Run {run.id} is waiting for {what}, not for {asked}", None, hint=hints)
    raise RunError(f"Run {run.id} waits for more than one decision: {what}", None, hint=hints)


def decide(
    run_id: str,
    home: Path,
    environment: str | None,
    decision: str,
    user: str,
    comment: str | None = None,
    job: str | None = None,
) -> dict[str, Any]:
    """Record an approval or rejection for what a paused run waits on (an environment's checks or a
    manual validation), after checking that `user` may decide on it.

    Everything happens under the run's lock, on the record as loaded under it and verified: a record
    edited while the command waited for the lock is refused, never signed. (What the run waits for is
    looked at once before, so a decision on a run that is not waiting fails at once.)"""
    run = runstore.load(home, run_id)
    _choose(run, environment, job, "approve" if decision == "approved" else "reject")
    with run.exclusive():
        run = runstore.load(home, run_id)
        _trusted(run, "decide on")
        entry = _decision(run, home, environment, decision, user, comment, job)
        run.data.setdefault("approvals", []).append(entry)
        run.save()
    return entry


def _decision(
    run: runstore.Run,
    home: Path,
    environment: str | None,
    decision: str,
    user: str,
    comment: str | None,
    job: str | None,
) -> dict[str, Any]:
    wait = _choose(run, environment, job, "approve" if decision == "approved" else "reject")
    envs = _environments_of(run)
    requester = str(run.data.get("requestedBy", ""))
    entry: dict[str, Any] = {"run": run.id, "stage": wait.stage}
    if wait.job is not None:
        jobs = next(s["jobs"] for s in run.data["stages"] if s["name"] == wait.stage)
        steps = next(j["steps"] for j in jobs if j["name"] == wait.job)
        waiting = [st for st in steps if st.get("waitingSince") and st.get("result") is None]
        step: Mapping[str, Any] = waiting[0] if waiting else {}
        rules = step.get("validation") or {}
        why = manual.refusal(
            list(rules.get("approvers") or []),
            bool(rules.get("allowApproversToApproveTheirOwnRuns", True)),
            user,
            requester,
            envs.members,
        )
        if why is not None:
            raise RunError(
                f"Decision refused: {why}",
                None,
                hint="decide with --as USER for a user listed in the task's approvers input",
            )
        entry.update(environment=None, job=wait.job)
    else:
        config = envs.get(str(wait.environment))
        earlier = [
            str(a.get("by"))
            for a in run.data.get("approvals", [])
            if a.get("decision") == "approved"
            and str(a.get("environment", "")).lower() == str(wait.environment).lower()
            and a.get("stage") in (None, wait.stage)
            and approvals.authentic(home, a, run.id)
        ]
        approvals.validate_decision(config, envs, user, requester, earlier)
        assert config is not None
        entry["environment"] = config.name
    entry.update(decision=decision, by=user, at=utc_now(), comment=comment or "", source="command")
    return approvals.sign(home, entry)


def shown(run: runstore.Run) -> RunRecord:
    """The record as it should be shown: a run that says "running" while no mlops process holds it was
    interrupted (see runtime/interrupted.py)."""
    if run.data.get("status") in ("running", "queued") and not run.executing():
        return interrupted.view(run.data)
    return run.data


def summary(run: runstore.Run) -> dict[str, Any]:
    """The run as `--json` prints it: results named as Azure DevOps names them."""
    data = shown(run)
    return {
        "id": data["id"],
        "pipeline": data.get("pipeline"),
        "result": data.get("result"),
        "status": data.get("status"),
        "requestedBy": data.get("requestedBy"),
        "parameters": data.get("parameters", {}),
        "startedAt": data.get("startedAt"),
        "finishedAt": data.get("finishedAt"),
        "waiting": data.get("waiting"),
        "message": data.get("message"),
        "stages": [
            {
                "name": s["name"],
                "displayName": s.get("displayName"),
                "state": s.get("state"),
                "result": s.get("result"),
                "message": s.get("message"),
                "jobs": [
                    {
                        "name": j["name"],
                        "state": j.get("state"),
                        "result": j.get("result"),
                        "environment": j.get("environment"),
                        "outputs": j.get("outputs", {}),
                        "message": j.get("message"),
                        "attempts": j.get("attempts", []),
                        "steps": [
                            {
                                "name": st["name"],
                                "displayName": st.get("displayName"),
                                "result": st.get("result"),
                                "log": st.get("log"),
                                "message": st.get("message"),
                                "issues": st.get("issues", []),
                            }
                            for st in j["steps"]
                        ],
                    }
                    for j in s["jobs"]
                ],
            }
            for s in data.get("stages", [])
        ],
        "approvals": [
            {k: a.get(k) for k in ("environment", "stage", "job", "decision", "by", "at", "comment")}
            for a in data.get("approvals", [])
        ],
        "checks": data.get("checks", []),
        "validations": data.get("validations", []),
    }


def exit_code(result: str | None) -> int:
    if result in ("succeeded", "succeededWithIssues"):
        return EXIT_OK
    if result == "paused":
        return EXIT_PAUSED
    return EXIT_FAILED


def _jsonable(value: Any) -> Any:
    from emulator.yamlio import plain

    return plain(value)
