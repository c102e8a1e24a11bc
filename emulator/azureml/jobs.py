"""Command jobs run locally: snapshot the code, materialise inputs and outputs, bind MLflow, run, record.

What Azure ML does on a compute node is reproduced on this machine: the `code` folder is copied into
the job folder, `${{inputs.x}}`/`${{outputs.y}}` become local paths or literal values, the command
runs under `bash -c` with MLflow pointed at a run created for the job (so `mlflow.start_run()` in the
user's script attaches to it), and the outcome is recorded in `azureml_dir()/jobs/<name>/job.json`.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml import tracking
from emulator.azureml.errors import (
    AzArgumentError,
    AzError,
    AzNotEmulatedError,
    AzNotFoundError,
    AzSpecError,
    JobFailedError,
)
from emulator.azureml.names import check_asset_name, generate_job_name
from emulator.azureml.storage import read_json, utc_now, write_json
from emulator.azureml.workspace import Workspace, creation_context
from emulator.azureml.yamlspec import Spec
from emulator.errors import Location
from emulator.store.paths import azureml_dir, mlflow_tracking_uri, state_home

REFERENCE_RE = re.compile(r"\$\{\{\s*(inputs|outputs)\.([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")
OPTIONAL_RE = re.compile(r"\$\[\[(.*?)\]\]", re.S)
DATA_TYPES = ("uri_file", "uri_folder", "mltable", "mlflow_model", "custom_model", "triton_model")
LITERAL_TYPES = ("string", "number", "integer", "boolean")
JOB_OUTPUT_RE = re.compile(r"^azureml://jobs/([^/]+)/outputs/([^/]+)(?:/(.*))?$")
_SNAPSHOT_IGNORE = {"__pycache__", ".git", ".venv", ".mlops", "node_modules", ".pytest_cache", ".mypy_cache"}

LogSink = Callable[[str], None]


@dataclass(frozen=True)
class JobInput:
    """One resolved input: a literal value, or a local path standing in for the mounted data."""

    name: str
    value: str
    is_path: bool
    record: dict[str, Any] | str


def jobs_dir(home: Path | None = None) -> Path:
    return azureml_dir(home) / "jobs"


def job_dir(name: str, home: Path | None = None) -> Path:
    return jobs_dir(home) / name


def job_output_path(job_name: str, output: str, home: Path | None = None) -> Path:
    """Where output `output` of job `job_name` lives on disk (`azureml://jobs/<job>/outputs/<output>`)."""
    record = load_job(job_name, home)
    outputs = record.get("outputs") or {}
    if output not in outputs:
        raise AzNotFoundError(
            f"job {job_name!r} has no output {output!r}",
            hint=f"its outputs are: {', '.join(sorted(outputs)) or '(none)'}",
        )
    return job_dir(job_name, home) / "outputs" / output


def resolve_job_uri(uri: str, home: Path | None = None) -> tuple[str, Path]:
    """(job name, local path) for `azureml://jobs/<job>/outputs/<output>[/subpath]`."""
    match = JOB_OUTPUT_RE.match(uri.rstrip("/"))
    if not match:
        raise AzArgumentError(
            f"unsupported job output URI {uri!r}",
            expected="azureml://jobs/<job-name>/outputs/<output-name>[/<path>]",
        )
    job_name, output, sub = match.group(1), match.group(2), match.group(3)
    if output == "artifacts":
        return job_name, _job_artifact_path(job_name, sub or "", home)
    base = job_output_path(job_name, output, home)
    path = base / sub if sub else base
    if not path.exists():
        raise AzNotFoundError(f"{uri}: nothing at {path}", hint="check what the job wrote to that output")
    return job_name, path


def _job_artifact_path(job_name: str, sub: str, home: Path | None) -> Path:
    """`outputs/artifacts/paths/<p>`: the run's MLflow artifacts, a model it logged, or its ./outputs."""
    record = load_job(job_name, home)
    relative = sub[len("paths/") :] if sub.startswith("paths/") else sub
    relative = relative.strip("/")
    candidates: list[Path] = []
    run_id = (record.get("properties") or {}).get("mlflow.runId")
    if run_id and tracking.is_local_store(mlflow_tracking_uri(home)):
        mlflow = tracking.client(home)
        run = mlflow.get_run(run_id)
        uri = run.info.artifact_uri
        if uri.startswith("file:"):
            from urllib.parse import unquote, urlparse

            candidates.append(Path(unquote(urlparse(uri).path)) / relative)
        try:
            for logged in mlflow.search_logged_models(
                experiment_ids=[run.info.experiment_id], filter_string=f"source_run_id = '{run_id}'"
            ):
                if logged.name == relative.split("/")[0] and logged.artifact_location.startswith("file:"):
                    from urllib.parse import unquote, urlparse

                    candidates.append(Path(unquote(urlparse(logged.artifact_location).path)))
        except Exception:  # noqa: BLE001 - older stores have no logged models
            pass
    candidates.append(job_dir(job_name, home) / "code" / relative)
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise AzNotFoundError(
        f"azureml://jobs/{job_name}/outputs/artifacts/{sub}: the job logged no artifact {relative!r}",
        hint="artifacts come from MLflow (mlflow.log_artifact/log_model) or the job's ./outputs folder",
    )


def load_job(name: str, home: Path | None = None) -> dict[str, Any]:
    record = read_json(job_dir(name, home) / "job.json")
    if record is None:
        raise AzNotFoundError(
            f"job {name!r} was not found in the emulated workspace",
            hint="list jobs with `az ml job list --query [].name -o tsv`",
        )
    return dict(record)


def list_jobs(home: Path | None = None) -> list[dict[str, Any]]:
    """All job records, newest first (as `az ml job list`)."""
    records = []
    root = jobs_dir(home)
    if root.is_dir():
        for entry in root.iterdir():
            record = read_json(entry / "job.json")
            if record is not None:
                records.append(record)
    records.sort(key=lambda r: r.get("creation_context", {}).get("created_at", ""), reverse=True)
    return records


def job_log(name: str, home: Path | None = None) -> str:
    load_job(name, home)
    path = job_dir(name, home) / "user_logs" / "std_log.txt"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


# --- checks ----------------------------------------------------------------------------------------


def _locate_in_file(spec: Spec, token: str, after: tuple[str, ...]) -> Location:
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


def check_command_references(spec: Spec) -> None:
    """Every `${{inputs.x}}`/`${{outputs.y}}` must be declared (the SDK does not check this)."""
    command = spec.data.get("command")
    if not isinstance(command, str):
        raise AzSpecError("invalid job specification: command: a command is required", spec.location())
    declared = {
        "inputs": set((spec.data.get("inputs") or {}).keys()),
        "outputs": set((spec.data.get("outputs") or {}).keys()),
    }
    optional_spans = [m.span() for m in OPTIONAL_RE.finditer(command)]
    for match in REFERENCE_RE.finditer(command):
        group, name = match.group(1), match.group(2)
        if name in declared[group]:
            continue
        if any(start <= match.start() < end for start, end in optional_spans):
            continue
        from emulator.errors import did_you_mean

        suggestion = did_you_mean(name, sorted(declared[group]))
        declared_list = ", ".join(sorted(declared[group])) or "none"
        raise AzSpecError(
            f"invalid job specification: command: {match.group(0)} refers to {group[:-1]} {name!r}, "
            f"which the job does not declare under `{group}:` (declared: {declared_list})",
            _locate_in_file(spec, match.group(0), ("command",)),
            hint=suggestion or f"declare it under `{group}:` or remove it from the command",
            field="command",
        )


# --- materialising inputs and outputs -----------------------------------------------------------


def _literal(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    return str(value)


def _resolve_path(spec: Spec, name: str, path: str, home: Path | None) -> Path:
    location = spec.location("inputs", name, "path")
    if path.startswith("azureml://jobs/"):
        return resolve_job_uri(path, home)[1]
    if path.startswith("azureml:"):
        raise AzNotEmulatedError(
            f"inputs.{name}.path: data asset references ({path}) are not emulated yet",
            location,
            hint="point the input at a local file or folder (relative to the YAML file) for now",
        )
    if path.startswith("file://"):
        path = path[len("file://") :]
    elif "://" in path:
        raise AzNotEmulatedError(
            f"inputs.{name}.path: remote data ({path}) is not reachable from the emulator",
            location,
            hint="use a local path relative to the YAML file",
        )
    resolved = (spec.base_dir / path).resolve()
    if not resolved.exists():
        raise AzSpecError(
            f"invalid job specification: inputs.{name}.path: no such file or directory: {resolved}",
            location,
            hint="relative paths inside an Azure ML YAML are resolved from the folder of the YAML file",
            field=f"inputs.{name}.path",
        )
    return resolved


def resolve_inputs(spec: Spec, home: Path | None = None) -> list[JobInput]:
    resolved: list[JobInput] = []
    for name, raw in (spec.data.get("inputs") or {}).items():
        if isinstance(raw, dict):
            kind = str(raw.get("type", "uri_folder"))
            if kind in LITERAL_TYPES or ("path" not in raw and ("value" in raw or "default" in raw)):
                value = _literal(raw.get("value", raw.get("default")))
                resolved.append(JobInput(name, value, False, value))
                continue
            if kind not in DATA_TYPES or "path" not in raw:
                raise AzSpecError(
                    f"invalid job specification: inputs.{name}: an input needs a `path` (data) or a value",
                    spec.location("inputs", name),
                    field=f"inputs.{name}",
                )
            local = _resolve_path(spec, name, str(raw["path"]), home)
            record = {"type": kind, "path": str(raw["path"]), "mode": raw.get("mode", "ro_mount")}
            record["local_path"] = str(local)
            resolved.append(JobInput(name, str(local), True, record))
        elif raw is None:
            continue
        else:
            value = _literal(raw)
            resolved.append(JobInput(name, value, False, value))
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


# --- running ----------------------------------------------------------------------------------


def default_experiment_name(cwd: Path) -> str:
    """Azure ML names the experiment after the working directory the job is submitted from."""
    return cwd.resolve().name.replace(" ", "") or "Default"


def _job_environment(
    spec: Spec, ws: Workspace, name: str, experiment: str, run_id: str | None, home: Path | None
) -> dict[str, str]:
    env = dict(os.environ)
    for key, value in (spec.data.get("environment_variables") or {}).items():
        env[str(key)] = _literal(value)
    interpreter_bin = str(Path(sys.executable).parent)
    env["PATH"] = interpreter_bin + os.pathsep + env.get("PATH", "")
    env["VIRTUAL_ENV"] = sys.prefix
    env["PYTHONUNBUFFERED"] = "1"
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["MLFLOW_TRACKING_URI"] = mlflow_tracking_uri(home)
    env["MLFLOW_EXPERIMENT_NAME"] = experiment
    if run_id:
        env["MLFLOW_RUN_ID"] = run_id
    env["AZUREML_RUN_ID"] = name
    env["AZUREML_ARM_SUBSCRIPTION"] = ws.subscription
    env["AZUREML_ARM_RESOURCEGROUP"] = ws.resource_group
    env["AZUREML_ARM_WORKSPACE_NAME"] = ws.name
    env["AZUREML_ARM_PROJECT_NAME"] = experiment
    env["AZUREML_EXPERIMENT_NAME"] = experiment
    return env


def _claim_job_dir(name: str, home: Path | None) -> Path:
    folder = job_dir(name, home)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir()
    except FileExistsError:
        raise AzError(
            f"a job named {name!r} already exists in the workspace",
            hint="job names are unique: omit --name to get a generated one",
        ) from None
    return folder


def create_job(
    ws: Workspace,
    spec: Spec,
    *,
    cwd: Path,
    name: str | None = None,
    experiment_name: str | None = None,
    log: LogSink | None = None,
    warn: LogSink | None = None,
    home: Path | None = None,
) -> dict[str, Any]:
    """Run a command job to completion and return its record (raises JobFailedError on failure)."""
    job_type = str(spec.data.get("type", "command"))
    if job_type != "command":
        raise AzNotEmulatedError(
            f"{job_type} jobs are not emulated yet (only command jobs run locally)",
            spec.location("type"),
            hint="split the pipeline into command jobs, one `az ml job create` each",
        )
    check_command_references(spec)
    inputs = resolve_inputs(spec, home)
    job_name = check_asset_name(name or str(spec.data.get("name") or generate_job_name()), "job")
    experiment = experiment_name or str(spec.data.get("experiment_name") or default_experiment_name(cwd))
    environment = spec.data.get("environment")
    if warn is not None and isinstance(environment, str):
        from emulator.azureml.environments import environment_is_registered

        if not environment_is_registered(environment, home):
            warn(
                f"environment {environment!r} is not registered in the emulated workspace; "
                "the job runs with the emulator's Python (environment isolation for jobs is not emulated yet)"
            )

    folder = _claim_job_dir(job_name, home)
    code_dir = folder / "code"
    code = spec.data.get("code")
    if code:
        _snapshot_code((spec.base_dir / str(code)).resolve(), code_dir)
    else:
        code_dir.mkdir()
    outputs_spec = spec.data.get("outputs") or {}
    output_paths: dict[str, str] = {}
    output_records: dict[str, Any] = {}
    for out_name, raw in outputs_spec.items():
        kind = str(raw.get("type", "uri_folder")) if isinstance(raw, dict) else "uri_folder"
        out_dir = folder / "outputs" / out_name
        out_dir.mkdir(parents=True)
        local = out_dir / out_name if kind == "uri_file" else out_dir
        output_paths[out_name] = shlex.quote(str(local))
        output_records[out_name] = {
            "local_path": str(local),
            "mode": (raw or {}).get("mode", "rw_mount") if isinstance(raw, dict) else "rw_mount",
            "path": f"azureml://jobs/{job_name}/outputs/{out_name}",
            "type": kind,
        }
    output_records["default"] = {
        "mode": "rw_mount",
        "path": f"azureml://jobs/{job_name}/outputs/artifacts",
        "type": "uri_folder",
    }
    input_values = {i.name: shlex.quote(i.value) if i.is_path else i.value for i in inputs}
    command = substitute(str(spec.data["command"]), input_values, output_paths)

    mlflow = tracking.client(home)
    experiment_id = tracking.experiment_id(mlflow, experiment, home)
    with tracking.store_lock(home):
        run = tracking.with_retry(
            lambda: mlflow.create_run(
                experiment_id,
                run_name=job_name,
                tags={"azureml.job_name": job_name, "mlflow.user": "emulator"},
            )
        )
    run_id = run.info.run_id
    created = utc_now()
    record: dict[str, Any] = {
        "code": str(code_dir) if code else None,
        "command": spec.data["command"],
        "compute": spec.data.get("compute", "local"),
        "creation_context": creation_context(created),
        "description": spec.data.get("description"),
        "display_name": spec.data.get("display_name") or job_name,
        "environment": environment,
        "environment_variables": {
            k: _literal(v) for k, v in (spec.data.get("environment_variables") or {}).items()
        },
        "experiment_name": experiment,
        "id": ws.asset_id("jobs", job_name),
        "inputs": {i.name: i.record for i in inputs},
        "name": job_name,
        "outputs": output_records,
        "parameters": {},
        "properties": {
            "StartTimeUtc": created,
            "emulator.job_dir": str(folder),
            "emulator.command": command,
            "emulator.source_file": str(spec.path),
            "mlflow.runId": run_id,
            "mlflow.experimentId": experiment_id,
        },
        "resourceGroup": ws.resource_group,
        "resources": spec.data.get("resources") or {"instance_count": 1},
        "services": {
            "Tracking": {"endpoint": mlflow_tracking_uri(home), "type": "Tracking"},
            "Studio": {"endpoint": (folder / "user_logs" / "std_log.txt").as_uri(), "type": "Studio"},
        },
        "status": "Running",
        "tags": {str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
        "type": "command",
    }
    write_json(folder / "job.json", record)

    env = _job_environment(spec, ws, job_name, experiment, run_id, home)
    log_path = folder / "user_logs" / "std_log.txt"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    exit_code = _run(command, code_dir, env, log_path, log)

    status = "Completed" if exit_code == 0 else "Failed"
    with tracking.store_lock(home):
        tracking.with_retry(lambda: mlflow.set_terminated(run_id, "FINISHED" if exit_code == 0 else "FAILED"))
    finished = utc_now()
    record["status"] = status
    record["creation_context"] = creation_context(created, finished)
    record["properties"]["EndTimeUtc"] = finished
    record["properties"]["emulator.exit_code"] = str(exit_code)
    write_json(folder / "job.json", record)
    if exit_code != 0:
        tail = "".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines(True)[-15:])
        raise JobFailedError(
            f"Execution failed: the command exited with code {exit_code}. Job {job_name} failed.",
            hint=f"full log: {log_path}\n--- last lines ---\n{tail.rstrip()}",
        )
    return record


def _run(command: str, cwd: Path, env: dict[str, str], log_path: Path, sink: LogSink | None) -> int:
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
        )
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            log.flush()
            if sink is not None:
                sink(line)
        return process.wait()
