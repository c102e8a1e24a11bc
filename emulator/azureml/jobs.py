"""Command jobs run locally: snapshot the code, materialise inputs and outputs, bind MLflow, run, record.

What Azure ML does on a compute node is reproduced on this machine: the `code` folder is copied into
the job folder, `${{inputs.x}}`/`${{outputs.y}}` become local paths or literal values, the command
runs under `bash -c` with MLflow pointed at a run created for the job (so `mlflow.start_run()` in the
user's script attaches to it), and the outcome is recorded in `azureml_dir()/jobs/<name>/job.json`.

Where the command runs (`$MLOPS_JOB_ENV_MANAGER`, since `az ml job create` has no such flag):
`isolated` (the default) builds the job's environment from its conda file into a virtualenv cached by
hash (the same cache as deployments, so a job and the deployment of its model share one build);
`local` runs it with the emulator's own interpreter, as fast as it gets and with no isolation.

Pipeline jobs (`pipelines.py`) and batch scoring jobs (`batch.py`) are built from the same pieces:
`CommandJob` + `prepare_runtime` + `run_command_job`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.azureml import envbuild
from emulator.azureml.assets import data, tracking
from emulator.azureml.assets.environments import (
    environment_is_registered,
    parse_reference,
    resolve_environment,
)
from emulator.azureml.assets.job_records import (
    check_new_job_name,
    claim_job_dir,
    job_dir,
    job_file,
    job_output_path,
    load_job,
    run_artifact_dir,
    update_job,
)
from emulator.azureml.assets.names import generate_job_name
from emulator.azureml.assets.records import utc_now, write_json
from emulator.azureml.assets.uris import resolve_datastore_uri, resolve_job_uri
from emulator.azureml.assets.workspace import Workspace, compute_names, creation_context
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.errors import (
    AzArgumentError,
    AzError,
    AzNotEmulatedError,
    AzNotFoundError,
    AzSpecError,
    JobFailedError,
)
from emulator.errors import Location, did_you_mean
from emulator.processes import is_running, kill_group, process_start_ticks
from emulator.store.paths import mlflow_tracking_uri, state_home

REFERENCE_RE = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
OPTIONAL_RE = re.compile(r"\$\[\[(.*?)\]\]", re.S)
DATA_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model")
LITERAL_TYPES = ("string", "number", "integer", "boolean")
TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")
ENV_MANAGER_VAR = "MLOPS_JOB_ENV_MANAGER"
ENV_MANAGERS = ("isolated", "local")
_SNAPSHOT_IGNORE = {"__pycache__", ".git", ".venv", ".mlops", "node_modules", ".pytest_cache", ".mypy_cache"}
_CLEAN_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP")

LogSink = Callable[[str], None]


@dataclass(frozen=True)
class JobInput:
    """One resolved input: a literal value, or a local path standing in for the mounted data."""

    name: str
    value: str
    is_path: bool
    record: dict[str, Any] | str


@dataclass(frozen=True)
class Runtime:
    """The interpreter a job runs with: an isolated environment built from its conda file, or ours."""

    manager: str
    prefix: Path
    python: Path
    env_key: str | None
    source: str


@dataclass(frozen=True)
class ParentRun:
    """The pipeline job a step belongs to, and its MLflow run (the step's run is nested under it)."""

    job_name: str
    run_id: str
    step: str


@dataclass(frozen=True)
class CommandJob:
    """Everything needed to run one command job, whatever it came from (command, pipeline step, batch)."""

    name: str
    command: str
    code: Path | None
    inputs: tuple[JobInput, ...]
    outputs: dict[str, Any]
    environment: Any
    environment_variables: dict[str, str]
    experiment: str
    display_name: str | None = None
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    compute: Any = "local"
    resources: Any = None
    source_file: str | None = None
    parent: ParentRun | None = None
    job_type: str = "command"
    extra: dict[str, Any] = field(default_factory=dict)
    run_tags: dict[str, str] = field(default_factory=dict)


# --- checks ----------------------------------------------------------------------------------------


def locate_in_file(spec: Spec, token: str, after: tuple[str | int, ...]) -> Location:
    """The position of `token` in the YAML text at or after the node at `after` (for block scalars)."""
    anchor = spec.location(*after)
    try:
        lines = spec.path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return anchor
    for index in range(max(anchor.line - 1, 0), len(lines)):
        col = lines[index].find(token)
        if col >= 0:
            return Location(str(spec.path), index + 1, col + 1)
    return anchor


def check_references(
    command: Any,
    declared_inputs: set[str],
    declared_outputs: set[str],
    spec: Spec,
    at: tuple[str | int, ...],
    what: str = "job",
) -> None:
    """Every `${{inputs.x}}`/`${{outputs.y}}` of `command` must be declared (the SDK does not check this)."""
    where = ".".join(str(p) for p in at)
    if not isinstance(command, str):
        raise AzSpecError(f"invalid {what} specification: {where}: a command is required", spec.location(*at))
    declared = {"inputs": declared_inputs, "outputs": declared_outputs}
    optional_spans = [m.span() for m in OPTIONAL_RE.finditer(command)]
    for match in REFERENCE_RE.finditer(command):
        group, name = match.group(1), match.group(2)
        if name in declared[group]:
            continue
        if any(start <= match.start() < end for start, end in optional_spans):
            continue
        suggestion = did_you_mean(name, sorted(declared[group]))
        declared_list = ", ".join(sorted(declared[group])) or "none"
        raise AzSpecError(
            f"invalid {what} specification: {where}: {match.group(0)} refers to {group[:-1]} {name!r}, "
            f"which the job does not declare under `{group}:` (declared: {declared_list})",
            locate_in_file(spec, match.group(0), at),
            hint=suggestion or f"declare it under `{group}:` or remove it from the command",
            field=where,
        )


def check_command_references(spec: Spec) -> None:
    check_references(
        spec.data.get("command"),
        set((spec.data.get("inputs") or {}).keys()),
        set((spec.data.get("outputs") or {}).keys()),
        spec,
        ("command",),
    )


# --- materialising inputs and outputs -----------------------------------------------------------


def literal(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def resolve_data_path(
    path: str, kind: str, base_dir: Path, what: str, location: Location | None, home: Path | None
) -> Path:
    """The local path a data input of type `kind` at `path` stands for (checked against the type)."""
    if path.startswith("azureml://jobs/"):
        resolved = resolve_job_uri(path, home)[1]
    elif path.startswith("azureml://"):
        resolved = resolve_datastore_uri(path, location, home)
    elif path.startswith("azureml:"):
        asset = data.resolve_data(path, location, home)
        resolved = asset.local
    else:
        if path.startswith("file://"):
            path = path[len("file://") :]
        elif "://" in path:
            raise AzNotEmulatedError(
                f"{what}: remote data ({path}) is not reachable from the emulator",
                location,
                hint="use a local path relative to the YAML file, a data asset (azureml:<name>:<version>) "
                "or azureml://jobs/<job>/outputs/<output>",
            )
        resolved = (base_dir / path).resolve()
        if not resolved.exists():
            raise AzSpecError(
                f"invalid job specification: {what}: no such file or directory: {resolved}",
                location,
                hint="relative paths inside an Azure ML YAML are resolved from the folder of the YAML file",
                field=what,
            )
    if kind in ("uri_file", "uri_folder", "mltable"):
        try:
            return data.check_type(kind, resolved, what)
        except AzError as exc:
            raise AzSpecError(exc.message, location, hint=exc.hint, field=what) from None
    return resolved


def resolve_input(
    name: str,
    raw: Any,
    base_dir: Path,
    location: Callable[..., Location],
    home: Path | None,
    prefix: str = "inputs",
) -> JobInput | None:
    """One declared input: a literal value, or data (`path:`) made local. None for an empty input."""
    if isinstance(raw, dict):
        kind = str(raw.get("type", "uri_folder"))
        if kind in LITERAL_TYPES or ("path" not in raw and ("value" in raw or "default" in raw)):
            value = literal(raw.get("value", raw.get("default")))
            return JobInput(name, value, False, value)
        if kind not in DATA_TYPES or "path" not in raw:
            raise AzSpecError(
                f"invalid job specification: {prefix}.{name}: an input needs a `path` (data) or a value",
                location(name),
                field=f"{prefix}.{name}",
            )
        local = resolve_data_path(
            str(raw["path"]), kind, base_dir, f"{prefix}.{name}.path", location(name, "path"), home
        )
        record = {"type": kind, "path": str(raw["path"]), "mode": raw.get("mode", "ro_mount")}
        record["local_path"] = str(local)
        return JobInput(name, str(local), True, record)
    if raw is None:
        return None
    value = literal(raw)
    return JobInput(name, value, False, value)


def resolve_inputs(spec: Spec, home: Path | None = None) -> list[JobInput]:
    resolved: list[JobInput] = []
    for name, raw in (spec.data.get("inputs") or {}).items():
        item = resolve_input(name, raw, spec.base_dir, lambda *p: spec.location("inputs", *p), home)
        if item is not None:
            resolved.append(item)
    return resolved


def substitute(command: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """Replace bindings; an optional `$[[ … ]]` block is kept only when all its inputs are given."""
    table = {"inputs": inputs, "outputs": outputs}

    def optional(match: re.Match[str]) -> str:
        inner = match.group(1)
        refs = REFERENCE_RE.findall(inner)
        return inner if all(name in table[group] for group, name in refs) else ""

    command = OPTIONAL_RE.sub(optional, command)
    return REFERENCE_RE.sub(lambda m: table[m.group(1)].get(m.group(2), m.group(0)), command)


def _snapshot_code(source: Path, target: Path) -> None:
    """Copy the code folder like Azure ML uploads it (without caches, VCS data or the state folder)."""
    state = state_home()

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = {n for n in names if n in _SNAPSHOT_IGNORE or n.endswith(".pyc")}
        skipped |= {n for n in names if (Path(folder) / n).resolve() == state}
        return skipped

    if source.is_dir():
        shutil.copytree(source, target, ignore=ignore, symlinks=True)
    else:
        target.mkdir(parents=True)
        shutil.copy2(source, target / source.name)


# --- where the command runs --------------------------------------------------------------------


def env_manager() -> str:
    """`$MLOPS_JOB_ENV_MANAGER`: `isolated` (default) or `local`."""
    value = (os.environ.get(ENV_MANAGER_VAR) or "isolated").strip().lower()
    if value not in ENV_MANAGERS:
        raise AzArgumentError(
            f"{ENV_MANAGER_VAR}={value!r} is not a valid environment manager",
            expected=" or ".join(ENV_MANAGERS),
            hint="isolated: build the job's environment from its conda file (cached); "
            "local: run with the emulator's Python",
        )
    return value


def local_runtime(source: str) -> Runtime:
    return Runtime("local", Path(sys.prefix), Path(sys.executable), None, source)


def prepare_runtime(
    environment: Any,
    base_dir: Path,
    location: Location | None,
    *,
    warn: LogSink | None = None,
    progress: LogSink | None = None,
    home: Path | None = None,
) -> Runtime:
    """The interpreter for a job whose YAML says `environment:` (built now if not cached)."""
    def say(message: str) -> None:
        if warn is not None:
            warn(message)

    if env_manager() == "local":
        if isinstance(environment, str) and not environment_is_registered(environment, home):
            say(
                f"environment {environment!r} is not registered in the emulated workspace (Azure ML would "
                f"fail the job); it runs with the emulator's Python ({ENV_MANAGER_VAR}=local)"
            )
        return local_runtime(f"the emulator's Python ({ENV_MANAGER_VAR}=local)")
    if environment is None:
        say("the job names no environment; it runs with the emulator's Python")
        return local_runtime("the emulator's Python (no environment)")
    if isinstance(environment, str):
        name = parse_reference(environment)[0]
        if name.startswith("AzureML-") and not environment_is_registered(environment, home):
            say(
                f"curated environment {environment!r} is not available offline; the job runs with the "
                "emulator's Python (register an equivalent image + conda_file to isolate it)"
            )
            return local_runtime(f"the emulator's Python (curated {environment} is not available offline)")
    try:
        spec = resolve_environment(environment, base_dir, location, home)
    except AzNotFoundError as exc:
        raise AzNotFoundError(
            exc.message,
            exc.location,
            hint=f"{exc.hint}; or run jobs with the emulator's Python: {ENV_MANAGER_VAR}=local",
        ) from None
    if not spec.conda:
        say(
            f"environment {spec.reference} has no conda_file (image {spec.image or '(none)'} cannot be "
            "reproduced locally); the job runs with the emulator's Python"
        )
        return local_runtime(f"the emulator's Python ({spec.reference} is image-only)")
    plan = envbuild.plan_environment(spec.conda, source=f"environment {spec.reference}")
    for message in plan.warnings:
        say(message)
    built = envbuild.ensure_environment(plan, log=progress, home=home)
    if progress is not None:
        how = "reused" if built.reused else f"built in {built.seconds:.1f} s"
        progress(f"Job environment {spec.reference}: {built.key} {how} ({built.path})\n")
    return Runtime("isolated", built.path, built.python, built.key, f"environment {spec.reference}")


# --- running ----------------------------------------------------------------------------------


def default_experiment_name(cwd: Path) -> str:
    """Azure ML names the experiment after the working directory the job is submitted from."""
    return cwd.resolve().name.replace(" ", "") or "Default"


def _job_environment(
    job: CommandJob, ws: Workspace, runtime: Runtime, run_id: str | None, home: Path | None
) -> dict[str, str]:
    env = dict(os.environ)
    if runtime.manager == "isolated":
        for key in _CLEAN_ENV:
            env.pop(key, None)
    for key, value in job.environment_variables.items():
        env[str(key)] = value
    env["PATH"] = str(runtime.python.parent) + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = str(runtime.prefix)
    env["PYTHONUNBUFFERED"] = "1"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["MLFLOW_TRACKING_URI"] = mlflow_tracking_uri(home)
    env["MLFLOW_EXPERIMENT_NAME"] = job.experiment
    if run_id:
        env["MLFLOW_RUN_ID"] = run_id
    env["AZUREML_RUN_ID"] = job.name
    env["AZUREML_ARM_SUBSCRIPTION"] = ws.subscription
    env["AZUREML_ARM_RESOURCEGROUP"] = ws.resource_group
    env["AZUREML_ARM_WORKSPACE_NAME"] = ws.name
    env["AZUREML_ARM_PROJECT_NAME"] = job.experiment
    env["AZUREML_EXPERIMENT_NAME"] = job.experiment
    if job.parent is not None:
        env["AZUREML_ROOT_RUN_ID"] = job.parent.job_name
    return env


def output_records(
    outputs: dict[str, Any], job_name: str, folder: Path
) -> tuple[dict[str, str], dict[str, Any]]:
    """(command bindings, record entries) for the declared outputs; their folders are created."""
    paths: dict[str, str] = {}
    records: dict[str, Any] = {}
    for out_name, raw in outputs.items():
        kind = str(raw.get("type", "uri_folder")) if isinstance(raw, dict) else "uri_folder"
        out_dir = folder / "outputs" / out_name
        out_dir.mkdir(parents=True)
        local = out_dir / out_name if kind == "uri_file" else out_dir
        paths[out_name] = shlex.quote(str(local))
        records[out_name] = {
            "local_path": str(local),
            "mode": (raw or {}).get("mode", "rw_mount") if isinstance(raw, dict) else "rw_mount",
            "path": f"azureml://jobs/{job_name}/outputs/{out_name}",
            "type": kind,
        }
    records["default"] = {
        "mode": "rw_mount",
        "path": f"azureml://jobs/{job_name}/outputs/artifacts",
        "type": "uri_folder",
    }
    return paths, records


def start_mlflow_run(
    job_name: str, experiment: str, home: Path | None, tags: dict[str, str] | None = None
) -> tuple[str, str]:
    """(run id, experiment id) of a new MLflow run named after the job."""
    mlflow = tracking.client(home)
    experiment_id = tracking.experiment_id(mlflow, experiment, home)
    all_tags = {"azureml.job_name": job_name, "mlflow.user": "emulator", **(tags or {})}
    with tracking.store_lock(home):
        run = tracking.with_retry(lambda: mlflow.create_run(experiment_id, run_name=job_name, tags=all_tags))
    return str(run.info.run_id), experiment_id


def end_mlflow_run(run_id: str, status: str, home: Path | None) -> None:
    mlflow = tracking.client(home)
    state = {"Completed": "FINISHED", "Canceled": "KILLED"}.get(status, "FAILED")
    with tracking.store_lock(home):
        tracking.with_retry(lambda: mlflow.set_terminated(run_id, state))


def run_command_job(
    ws: Workspace,
    job: CommandJob,
    runtime: Runtime,
    *,
    log: LogSink | None = None,
    home: Path | None = None,
    raise_on_failure: bool = True,
) -> dict[str, Any]:
    """Run a command job to completion and return its record (JobFailedError on failure, if asked)."""
    folder = claim_job_dir(job.name, home)
    code_dir = folder / "code"
    if job.code is not None:
        _snapshot_code(job.code, code_dir)
    else:
        code_dir.mkdir()
    output_paths, outputs = output_records(job.outputs, job.name, folder)
    input_values = {i.name: shlex.quote(i.value) if i.is_path else i.value for i in job.inputs}
    command = substitute(job.command, input_values, output_paths)
    run_tags = dict(job.run_tags)
    if job.parent is not None:
        run_tags["mlflow.parentRunId"] = job.parent.run_id
        run_tags["azureml.pipeline_step"] = job.parent.step
    run_id, experiment_id = start_mlflow_run(job.name, job.experiment, home, run_tags)
    created = utc_now()
    log_path = folder / "user_logs" / "std_log.txt"
    record: dict[str, Any] = {
        "code": str(code_dir) if job.code is not None else None,
        "command": job.command,
        "compute": job.compute,
        "creation_context": creation_context(created),
        "description": job.description,
        "display_name": job.display_name or job.name,
        "environment": job.environment if isinstance(job.environment, str | None) else "(inline environment)",
        "environment_variables": dict(job.environment_variables),
        "experiment_name": job.experiment,
        "id": ws.asset_id("jobs", job.name),
        "inputs": {i.name: i.record for i in job.inputs},
        "name": job.name,
        "outputs": outputs,
        "parameters": {},
        "properties": {
            "StartTimeUtc": created,
            "emulator.job_dir": str(folder),
            "emulator.command": command,
            "emulator.env_manager": runtime.manager,
            "emulator.python": str(runtime.python),
            "emulator.runtime": runtime.source,
            "mlflow.runId": run_id,
            "mlflow.experimentId": experiment_id,
        },
        "resourceGroup": ws.resource_group,
        "resources": job.resources or {"instance_count": 1},
        "services": {
            "Tracking": {"endpoint": mlflow_tracking_uri(home), "type": "Tracking"},
            "Studio": {"endpoint": log_path.as_uri(), "type": "Studio"},
        },
        "status": "Running",
        "tags": dict(job.tags),
        "type": job.job_type,
        **job.extra,
    }
    if runtime.env_key:
        record["properties"]["emulator.env_key"] = runtime.env_key
    if job.source_file:
        record["properties"]["emulator.source_file"] = job.source_file
    if job.parent is not None:
        record["parent_job_name"] = job.parent.job_name
    write_json(folder / "job.json", record)

    env = _job_environment(job, ws, runtime, run_id, home)
    log_path.parent.mkdir(parents=True, exist_ok=True)

    def started(pid: int, ticks: int) -> None:
        def mark(current: dict[str, Any]) -> None:
            current["properties"]["emulator.pid"] = pid
            current["properties"]["emulator.start_ticks"] = ticks

        update_job(job.name, mark, home)

    try:
        exit_code = _run(command, code_dir, env, log_path, log, started)
    except BaseException:  # interrupted (Ctrl-C, SIGTERM of the step): the job was stopped with us
        update_job(job.name, lambda r: r.update(status="Canceled"), home)
        end_mlflow_run(run_id, "Canceled", home)
        raise
    finished = utc_now()

    def finish(current: dict[str, Any]) -> None:
        canceled = current.get("status") == "CancelRequested"
        current["status"] = "Canceled" if canceled else ("Completed" if exit_code == 0 else "Failed")
        current["creation_context"] = creation_context(created, finished)
        current["properties"]["EndTimeUtc"] = finished
        current["properties"]["emulator.exit_code"] = str(exit_code)
        current["properties"].pop("emulator.pid", None)
        current["properties"].pop("emulator.start_ticks", None)

    record = update_job(job.name, finish, home)
    end_mlflow_run(run_id, str(record["status"]), home)
    if record["status"] != "Completed" and raise_on_failure:
        raise job_failure(record, log_path)
    return record


def job_failure(record: dict[str, Any], log_path: Path) -> JobFailedError:
    name = record["name"]
    if record.get("status") == "Canceled":
        return JobFailedError(f"Execution canceled. Job {name} was canceled.")
    code = (record.get("properties") or {}).get("emulator.exit_code")
    try:
        tail = "".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines(True)[-15:])
    except OSError:
        tail = ""
    return JobFailedError(
        f"Execution failed: the command exited with code {code}. Job {name} failed.",
        hint=f"full log: {log_path}\n--- last lines ---\n{tail.rstrip()}",
    )


def _run(
    command: str,
    cwd: Path,
    env: dict[str, str],
    log_path: Path,
    sink: LogSink | None,
    started: Callable[[int, int], None] | None = None,
) -> int:
    with open(log_path, "w", encoding="utf-8") as log:
        process = subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            bufsize=1,
            start_new_session=True,  # its own process group, so `az ml job cancel` can stop all of it
        )
        try:
            if started is not None:
                started(process.pid, process_start_ticks(process.pid) or 0)
            assert process.stdout is not None
            for line in process.stdout:
                log.write(line)
                log.flush()
                if sink is not None:
                    sink(line)
            return process.wait()
        except BaseException:
            kill_group(process.pid)
            process.wait()
            raise


# --- az ml job create / cancel / download --------------------------------------------------------


def command_job_from_spec(spec: Spec, *, name: str, experiment: str, home: Path | None) -> CommandJob:
    check_command_references(spec)
    inputs = resolve_inputs(spec, home)
    code = spec.data.get("code")
    return CommandJob(
        name=name,
        command=str(spec.data["command"]),
        code=(spec.base_dir / str(code)).resolve() if code else None,
        inputs=tuple(inputs),
        outputs=dict(spec.data.get("outputs") or {}),
        environment=spec.data.get("environment"),
        environment_variables={
            str(k): literal(v) for k, v in (spec.data.get("environment_variables") or {}).items()
        },
        experiment=experiment,
        display_name=spec.data.get("display_name"),
        description=spec.data.get("description"),
        tags={str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
        compute=spec.data.get("compute", "local"),
        resources=spec.data.get("resources"),
        source_file=str(spec.path),
    )


def create_job(
    ws: Workspace,
    spec: Spec,
    *,
    cwd: Path,
    name: str | None = None,
    experiment_name: str | None = None,
    log: LogSink | None = None,
    warn: LogSink | None = None,
    progress: LogSink | None = None,
    home: Path | None = None,
) -> dict[str, Any]:
    """Run a command or pipeline job to completion and return its record (JobFailedError on failure)."""
    job_type = str(spec.data.get("type", "command"))
    job_name = check_new_job_name(name or str(spec.data.get("name") or generate_job_name()), home)
    experiment = experiment_name or str(spec.data.get("experiment_name") or default_experiment_name(cwd))
    if job_type == "pipeline":
        from emulator.azureml.pipelines import create_pipeline_job

        return create_pipeline_job(
            ws, spec, name=job_name, experiment=experiment, log=log, warn=warn, progress=progress, home=home
        )
    if job_type != "command":
        raise AzNotEmulatedError(
            f"{job_type} jobs are not emulated yet (command and pipeline jobs run locally)",
            spec.location("type"),
            hint="express it as a command job, or a pipeline of command steps",
        )
    job = command_job_from_spec(spec, name=job_name, experiment=experiment, home=home)
    check_compute(ws, job.compute, spec.location("compute"), warn, home)
    runtime = prepare_runtime(
        job.environment, spec.base_dir, spec.location("environment"), warn=warn, progress=progress, home=home
    )
    return run_command_job(ws, job, runtime, log=log, home=home)


def check_compute(
    ws: Workspace, compute: Any, location: Location, warn: LogSink | None, home: Path | None
) -> None:
    """Warn when the job targets a compute the workspace does not have (once any compute is recorded)."""
    if warn is None or not isinstance(compute, str) or compute in ("local", "serverless"):
        return
    known = compute_names(ws, home)
    wanted = compute.removeprefix("azureml:")
    if known and wanted not in known:
        warn(
            f"{location}: compute {wanted!r} does not exist in workspace {ws.name} (Azure ML would fail the "
            f"job; computes: {', '.join(sorted(known))}); the emulator runs it on this machine anyway"
        )


def cancel_job(name: str, home: Path | None = None) -> None:
    """Cancel a running job (and the running steps of a pipeline); a finished one is an error."""
    record = load_job(name, home)
    status = str(record.get("status"))
    if status in TERMINAL:
        raise AzError(
            f"job {name} has already finished (status {status}); only a running job can be canceled",
            hint="the emulator runs jobs synchronously: `az ml job create` returns once the job has ended",
        )
    if record.get("type") == "pipeline" and record.get("jobs"):
        update_job(name, lambda r: r.update(status="CancelRequested"), home)
        for info in (record.get("jobs") or {}).values():
            child = info.get("name") if isinstance(info, dict) else None
            if child and job_file(child, home).is_file():
                if str(load_job(child, home).get("status")) not in TERMINAL:
                    cancel_job(child, home)
        return
    properties = record.get("properties") or {}
    pid, ticks = properties.get("emulator.pid"), properties.get("emulator.start_ticks")
    update_job(name, lambda r: r.update(status="CancelRequested"), home)
    if isinstance(pid, int) and isinstance(ticks, int) and is_running(pid, ticks):
        kill_group(pid)
        return
    # no live process (the `az` that ran it was killed): nothing will finish the record but us
    update_job(name, lambda r: r.update(status="Canceled"), home)


def _copy_into(source: Path, destination: Path) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True, symlinks=False)
    elif source.exists():
        shutil.copy2(source, destination / source.name)


def download_job(
    name: str,
    download_path: Path,
    *,
    output_name: str | None = None,
    everything: bool = False,
    home: Path | None = None,
) -> list[str]:
    """Copy a finished job's logs/artifacts (`artifacts/`) and named outputs (`named-outputs/<o>/`).

    The layout is azure-ai-ml's: the default output (logs and MLflow artifacts) goes to
    `<path>/artifacts/`, a named output to `<path>/named-outputs/<name>/`. Returns what was written.
    """
    record = load_job(name, home)
    status = str(record.get("status"))
    if status not in TERMINAL:
        raise AzError(
            f"This job is in state {status}. Download is allowed only in states {', '.join(TERMINAL)}"
        )
    outputs = [o for o in (record.get("outputs") or {}) if o != "default"]
    wanted: list[str] = []
    if output_name is not None and output_name != "default":
        if output_name not in outputs:
            raise AzNotFoundError(
                f"job {name!r} has no output {output_name!r}",
                hint=f"its outputs are: {', '.join(sorted(outputs)) or '(none)'}",
            )
        wanted = [output_name]
    elif everything:
        wanted = ["default", *outputs]
    else:
        wanted = ["default"]
    written: list[str] = []
    for item in wanted:
        if item == "default":
            target = download_path / "artifacts"
            _download_artifacts(record, target, home)
        else:
            target = download_path / "named-outputs" / item
            _copy_into(job_output_path(name, item, home), target)
        written.append(str(target))
    return written


def _download_artifacts(record: dict[str, Any], target: Path, home: Path | None) -> None:
    """Logs (`user_logs/`), the MLflow run's artifacts and the job's ./outputs folder, as on Azure."""
    name = str(record["name"])
    target.mkdir(parents=True, exist_ok=True)
    if record.get("type") == "pipeline" and record.get("jobs"):
        for step, info in (record.get("jobs") or {}).items():
            child = info.get("name") if isinstance(info, dict) else None
            if child and job_file(child, home).is_file():
                _copy_into(job_dir(child, home) / "user_logs", target / "user_logs" / step)
        return
    _copy_into(job_dir(name, home) / "user_logs", target / "user_logs")
    local_outputs = job_dir(name, home) / "code" / "outputs"
    if local_outputs.is_dir():
        _copy_into(local_outputs, target / "outputs")
    artifacts = run_artifact_dir(record, home)
    if artifacts is not None and artifacts.is_dir():
        _copy_into(artifacts, target)
