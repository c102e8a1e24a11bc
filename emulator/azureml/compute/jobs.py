"""Command jobs run locally: snapshot the code, materialise inputs and outputs, bind MLflow, run, record.

What Azure ML does on a compute node is reproduced on this machine: the `code` folder is copied into
the job folder, `${{inputs.x}}`/`${{outputs.y}}` become local paths or literal values, the command
runs under `bash -c` with MLflow pointed at a run created for the job (so `mlflow.start_run()` in the
user's script attaches to it), and the outcome is recorded in `azureml_dir()/jobs/<name>/job.json`.

The bindings are `bindings.py`, the interpreter the command runs with `runtimes.py`. Pipeline jobs
(`pipelines.py`) and batch scoring jobs (`batch.py`) are built from the same pieces: `CommandJob` +
`prepare_runtime` + `run_command_job`; `submit.py` is `az ml job create`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.azureml.assets import tracking
from emulator.azureml.assets.job_records import (
    claim_job_dir,
    job_dir,
    job_file,
    job_output_path,
    job_store,
    load_job,
    run_artifact_dir,
    update_job,
)
from emulator.azureml.assets.records import utc_now, write_json
from emulator.azureml.assets.snapshots import code_filter
from emulator.azureml.assets.workspace import Workspace, compute_names, creation_context
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.compute import tracking_server
from emulator.azureml.compute.bindings import (
    JobInput,
    check_command_references,
    literal,
    output_records,
    resolve_inputs,
    substitute,
)
from emulator.azureml.compute.runtimes import Runtime, machine_environment
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzError, AzNotFoundError, JobFailedError
from emulator.errors import Location
from emulator.processes import identity_running, is_running, kill_group, process_identity, process_start_ticks

TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding", "Paused")
SUPERVISOR = "emulator.supervisor"  # the az process running the job (process_identity): it records the end
REASON = "emulator.failure_reason"
INTERRUPTED = (
    "the az call running the job was interrupted (its pipeline step was canceled, or the pipeline runner "
    "that started the step ended), and the job with it"
)


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


# --- running ----------------------------------------------------------------------------------


def _snapshot_code(ctx: Context, source: Path, target: Path) -> None:
    """Copy the code folder like Azure ML uploads it (`snapshots.code_filter`)."""
    if source.is_dir():
        shutil.copytree(source, target, ignore=code_filter(source, ctx.home, target), symlinks=True)
    else:
        target.mkdir(parents=True)
        shutil.copy2(source, target / source.name)


def default_experiment_name(cwd: Path) -> str:
    """Azure ML names the experiment after the working directory the job is submitted from."""
    return cwd.resolve().name.replace(" ", "") or "Default"


def _job_environment(
    job: CommandJob, ws: Workspace, runtime: Runtime, run_id: str | None, tracking_uri: str
) -> dict[str, str]:
    """What Azure ML gives a job: its `environment_variables`, the AZUREML_* and MLflow settings of the
    run, its environment's interpreter first on PATH; nothing of the step that ran `az ml job create`."""
    env = machine_environment(runtime.python.parent)
    env.update(tracking.client_credentials(tracking_uri))
    for key, value in job.environment_variables.items():
        env[str(key)] = value
    env["VIRTUAL_ENV"] = str(runtime.prefix)
    env["MLFLOW_TRACKING_URI"] = tracking_uri
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


def start_mlflow_run(
    ctx: Context, job_name: str, experiment: str, tags: dict[str, str] | None = None
) -> tuple[str, str]:
    """(run id, experiment id) of a new MLflow run named after the job."""
    mlflow = tracking.client(ctx)
    experiment_id = tracking.experiment_id(ctx, mlflow, experiment)
    all_tags = {"azureml.job_name": job_name, "mlflow.user": "emulator", **(tags or {})}
    with tracking.store_lock(ctx):
        run = tracking.with_retry(lambda: mlflow.create_run(experiment_id, run_name=job_name, tags=all_tags))
    return str(run.info.run_id), experiment_id


def end_mlflow_run(ctx: Context, run_id: str, status: str, reason: str | None = None) -> None:
    mlflow = tracking.client(ctx)
    state = {"Completed": "FINISHED", "Canceled": "KILLED"}.get(status, "FAILED")
    with tracking.store_lock(ctx):
        if reason:
            tracking.with_retry(lambda: mlflow.set_tag(run_id, REASON, reason))
        tracking.with_retry(lambda: mlflow.set_terminated(run_id, state))


def end_job(ctx: Context, name: str, status: str, reason: str) -> None:
    """Record the end of a job that cannot finish by itself: its status and why (in its properties and
    at the end of its log, as Azure ML reports a lost job), and its MLflow run's status. A job that has
    ended meanwhile is left as it is."""
    ended = utc_now()
    changed = False

    def end(record: dict[str, Any]) -> None:
        nonlocal changed
        if str(record.get("status")) in TERMINAL:
            return
        changed = True
        record["status"] = status
        created = (record.get("creation_context") or {}).get("created_at") or ended
        record["creation_context"] = creation_context(created, ended)
        properties = record.setdefault("properties", {})
        properties["EndTimeUtc"] = ended
        properties[REASON] = reason
        for key in ("emulator.pid", "emulator.start_ticks", SUPERVISOR):
            properties.pop(key, None)

    record = update_job(ctx, name, end)
    if not changed:
        return
    log = job_dir(ctx, name) / "user_logs" / "std_log.txt"
    if log.parent.is_dir():
        with log.open("a", encoding="utf-8") as handle:
            handle.write(f"\n{status}: {reason}\n")
    run_id = (record.get("properties") or {}).get("mlflow.runId")
    if run_id:
        end_mlflow_run(ctx, str(run_id), status, reason)


class CallerGone(KeyboardInterrupt):
    """Raised in an `az` call served by the resident worker when its caller was killed outright
    (SIGKILL): the job ends as it would have with an `az` process of its own that was killed."""


def _lost_reason(supervisor: str) -> str:
    return (
        f"the az process that ran the job (pid {supervisor}) ended before the job did (killed, or "
        "the machine restarted); its processes were stopped"
    )


def abandon_job(ctx: Context, name: str, exc: BaseException) -> None:
    """End a job its `az` stops running because of `exc`: Canceled when interrupted, else Failed."""
    if isinstance(exc, CallerGone):
        end_job(ctx, name, "Failed", _lost_reason(str(os.getpid())))
    elif isinstance(exc, KeyboardInterrupt | SystemExit):
        end_job(ctx, name, "Canceled", INTERRUPTED)
    else:
        end_job(ctx, name, "Failed", f"the emulator could not run the job: {type(exc).__name__}: {exc}")


def run_command_job(
    ctx: Context,
    ws: Workspace,
    job: CommandJob,
    runtime: Runtime,
    *,
    log: Sink | None = None,
    progress: Sink | None = None,
    raise_on_failure: bool = True,
) -> dict[str, Any]:
    """Run a command job to completion and return its record (JobFailedError on failure, if asked)."""
    tracking_uri = tracking_server.job_tracking_uri(ctx, runtime.prefix, progress)
    folder = claim_job_dir(ctx, job.name)
    code_dir = folder / "code"
    if job.code is not None:
        _snapshot_code(ctx, job.code, code_dir)
    else:
        code_dir.mkdir()
    output_paths, outputs = output_records(job.outputs, job.name, folder)
    input_values = {i.name: shlex.quote(i.value) if i.is_path else i.value for i in job.inputs}
    command = substitute(job.command, input_values, output_paths)
    run_tags = dict(job.run_tags)
    if job.parent is not None:
        run_tags["mlflow.parentRunId"] = job.parent.run_id
        run_tags["azureml.pipeline_step"] = job.parent.step
    run_id, experiment_id = start_mlflow_run(ctx, job.name, job.experiment, run_tags)
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
            SUPERVISOR: process_identity(),
        },
        "resourceGroup": ws.resource_group,
        "resources": job.resources or {"instance_count": 1},
        "services": {
            "Tracking": {"endpoint": tracking_uri, "type": "Tracking"},
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

    env = _job_environment(job, ws, runtime, run_id, tracking_uri)
    log_path.parent.mkdir(parents=True, exist_ok=True)

    def started(pid: int, ticks: int) -> None:
        def mark(current: dict[str, Any]) -> None:
            current["properties"]["emulator.pid"] = pid
            current["properties"]["emulator.start_ticks"] = ticks

        update_job(ctx, job.name, mark)

    try:
        exit_code = _run(command, code_dir, env, log_path, log, started)
    except BaseException as exc:  # interrupted (Ctrl-C, SIGTERM of the step): the job was stopped with us
        abandon_job(ctx, job.name, exc)
        raise
    finished = utc_now()

    def finish(current: dict[str, Any]) -> None:
        canceled = current.get("status") == "CancelRequested"
        current["status"] = "Canceled" if canceled else ("Completed" if exit_code == 0 else "Failed")
        current["creation_context"] = creation_context(created, finished)
        current["properties"]["EndTimeUtc"] = finished
        current["properties"]["emulator.exit_code"] = str(exit_code)
        for key in ("emulator.pid", "emulator.start_ticks", SUPERVISOR):
            current["properties"].pop(key, None)

    record = update_job(ctx, job.name, finish)
    end_mlflow_run(ctx, run_id, str(record["status"]))
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
    sink: Sink | None,
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


def command_job_from_spec(ctx: Context, spec: Spec, *, name: str, experiment: str) -> CommandJob:
    check_command_references(spec)
    inputs = resolve_inputs(ctx, spec)
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


def check_compute(ctx: Context, ws: Workspace, compute: Any, location: Location, warn: Sink | None) -> None:
    """Warn when the job targets a compute the workspace does not have (once any compute is recorded)."""
    if warn is None or not isinstance(compute, str) or compute in ("local", "serverless"):
        return
    known = compute_names(ctx, ws)
    wanted = compute.removeprefix("azureml:")
    if known and wanted not in known:
        warn(
            f"{location}: compute {wanted!r} does not exist in workspace {ws.name} (Azure ML would fail the "
            f"job; computes: {', '.join(sorted(known))}); the emulator runs it on this machine anyway"
        )


def cancel_job(ctx: Context, name: str) -> None:
    """Cancel a running job (and the running steps of a pipeline); a finished one is an error."""
    record = load_job(ctx, name)
    status = str(record.get("status"))
    if status in TERMINAL:
        raise AzError(
            f"job {name} has already finished (status {status}); only a running job can be canceled",
            hint="the emulator runs jobs synchronously: `az ml job create` returns once the job has ended",
        )
    if record.get("type") == "pipeline" and record.get("jobs"):
        update_job(ctx, name, lambda r: r.update(status="CancelRequested"))
        for info in (record.get("jobs") or {}).values():
            child = info.get("name") if isinstance(info, dict) else None
            if child and job_file(ctx, child).is_file():
                if str(load_job(ctx, child).get("status")) not in TERMINAL:
                    cancel_job(ctx, child)
        return
    properties = record.get("properties") or {}
    pid, ticks = properties.get("emulator.pid"), properties.get("emulator.start_ticks")
    update_job(ctx, name, lambda r: r.update(status="CancelRequested"))
    if isinstance(pid, int) and isinstance(ticks, int) and is_running(pid, ticks):
        kill_group(pid)
        return
    # no live process (the `az` that ran it was killed): nothing will finish the record but us
    end_job(ctx, name, "Canceled", "canceled by `az ml job cancel`; no process was running it")


def settle_lost_jobs(ctx: Context) -> None:
    """Jobs still "Running" whose `az` process is gone (killed with SIGKILL, the machine restarted):
    stop what is left of their processes and mark them Failed (Canceled if a cancel was asked) with the
    reason, their MLflow runs too. Steps first, then the pipelines they belong to."""
    lost = [record for record in job_store(ctx).all() if _lost(record)]
    for record in sorted(lost, key=lambda r: r.get("type") == "pipeline" and bool(r.get("jobs"))):
        properties = record.get("properties") or {}
        pid, ticks = properties.get("emulator.pid"), properties.get("emulator.start_ticks")
        if isinstance(pid, int) and isinstance(ticks, int) and is_running(pid, ticks):
            kill_group(pid, grace=0)
        supervisor = str(properties[SUPERVISOR]).partition(":")[0]
        status = "Canceled" if record.get("status") == "CancelRequested" else "Failed"
        if record.get("jobs"):
            _settle_steps(ctx, str(record["name"]))
        end_job(ctx, str(record["name"]), status, _lost_reason(supervisor))


def _lost(record: dict[str, Any]) -> bool:
    supervisor = (record.get("properties") or {}).get(SUPERVISOR)
    running = str(record.get("status")) not in TERMINAL
    return running and isinstance(supervisor, str) and not identity_running(supervisor)


def _settle_steps(ctx: Context, pipeline: str) -> None:
    """A lost pipeline's steps take their jobs' (settled) statuses; steps that never started, Canceled."""

    def settle(record: dict[str, Any]) -> None:
        for info in record["jobs"].values():
            child = info.get("name")
            if str(info.get("status")) in TERMINAL:
                continue
            found = load_job(ctx, child).get("status") if child and job_file(ctx, child).is_file() else None
            info["status"] = str(found) if found in TERMINAL else "Canceled"

    update_job(ctx, pipeline, settle)


def _copy_into(source: Path, destination: Path) -> None:
    destination.mkdir(parents=True, exist_ok=True)
    if source.is_dir():
        shutil.copytree(source, destination, dirs_exist_ok=True, symlinks=False)
    elif source.exists():
        shutil.copy2(source, destination / source.name)


def download_job(
    ctx: Context,
    name: str,
    download_path: Path,
    *,
    output_name: str | None = None,
    everything: bool = False,
) -> list[str]:
    """Copy a finished job's logs/artifacts (`artifacts/`) and named outputs (`named-outputs/<o>/`).

    The layout is azure-ai-ml's: the default output (logs and MLflow artifacts) goes to
    `<path>/artifacts/`, a named output to `<path>/named-outputs/<name>/`. Returns what was written.
    """
    record = load_job(ctx, name)
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
            _download_artifacts(ctx, record, target)
        else:
            target = download_path / "named-outputs" / item
            _copy_into(job_output_path(ctx, name, item), target)
        written.append(str(target))
    return written


def _download_artifacts(ctx: Context, record: dict[str, Any], target: Path) -> None:
    """Logs (`user_logs/`), the MLflow run's artifacts and the job's ./outputs folder, as on Azure."""
    name = str(record["name"])
    target.mkdir(parents=True, exist_ok=True)
    if record.get("type") == "pipeline" and record.get("jobs"):
        for step, info in (record.get("jobs") or {}).items():
            child = info.get("name") if isinstance(info, dict) else None
            if child and job_file(ctx, child).is_file():
                _copy_into(job_dir(ctx, child) / "user_logs", target / "user_logs" / step)
        return
    _copy_into(job_dir(ctx, name) / "user_logs", target / "user_logs")
    local_outputs = job_dir(ctx, name) / "code" / "outputs"
    if local_outputs.is_dir():
        _copy_into(local_outputs, target / "outputs")
    artifacts = run_artifact_dir(ctx, record)
    if artifacts is not None and artifacts.is_dir():
        _copy_into(artifacts, target)
