"""Job records: `azureml_dir()/jobs/<name>/job.json`, the job's log, outputs and MLflow artifacts.

What `az ml job show|list|stream` read and `azureml://jobs/<job>/outputs/<o>` points at; running a
job (writing these records) is `compute.jobs`.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

from emulator.azureml.assets import tracking
from emulator.azureml.assets.names import check_asset_name
from emulator.azureml.assets.records import RecordStore
from emulator.azureml.context import Context
from emulator.azureml.errors import AzError, AzNotFoundError


def _missing(name: str) -> AzNotFoundError:
    return AzNotFoundError(
        f"job {name!r} was not found in the emulated workspace",
        hint="list jobs with `az ml job list --query [].name -o tsv`",
    )


def job_store(ctx: Context) -> RecordStore:
    return RecordStore(ctx.azureml / "jobs", "job.json", _missing)


def job_dir(ctx: Context, name: str) -> Path:
    return job_store(ctx).folder(name)


def job_file(ctx: Context, name: str) -> Path:
    return job_store(ctx).path(name)


def job_output_path(ctx: Context, job_name: str, output: str) -> Path:
    """Where output `output` of job `job_name` lives on disk (`azureml://jobs/<job>/outputs/<output>`)."""
    record = load_job(ctx, job_name)
    outputs = record.get("outputs") or {}
    if output not in outputs or output == "default":
        raise AzNotFoundError(
            f"job {job_name!r} has no output {output!r}",
            hint=f"its outputs are: {', '.join(sorted(o for o in outputs if o != 'default')) or '(none)'}",
        )
    return job_dir(ctx, job_name) / "outputs" / output


def run_artifact_dir(ctx: Context, record: dict[str, Any]) -> Path | None:
    """The folder of the job's MLflow run artifacts, when the store is the local one."""
    run_id = (record.get("properties") or {}).get("mlflow.runId")
    if not run_id or not tracking.is_local_store(ctx.tracking_uri):
        return None
    uri = tracking.client(ctx).get_run(run_id).info.artifact_uri
    return Path(unquote(urlparse(uri).path)) if uri.startswith("file:") else None


def job_artifact_path(ctx: Context, job_name: str, sub: str) -> Path:
    """`outputs/artifacts/paths/<p>`: the run's MLflow artifacts, a model it logged, or its ./outputs."""
    record = load_job(ctx, job_name)
    relative = sub[len("paths/") :] if sub.startswith("paths/") else sub
    relative = relative.strip("/")
    candidates: list[Path] = []
    run_id = (record.get("properties") or {}).get("mlflow.runId")
    if run_id and tracking.is_local_store(ctx.tracking_uri):
        mlflow = tracking.client(ctx)
        run = mlflow.get_run(run_id)
        uri = run.info.artifact_uri
        if uri.startswith("file:"):
            candidates.append(Path(unquote(urlparse(uri).path)) / relative)
        try:
            for logged in mlflow.search_logged_models(
                experiment_ids=[run.info.experiment_id], filter_string=f"source_run_id = '{run_id}'"
            ):
                if logged.name == relative.split("/")[0] and logged.artifact_location.startswith("file:"):
                    candidates.append(Path(unquote(urlparse(logged.artifact_location).path)))
        except Exception:  # noqa: BLE001 - older stores have no logged models
            pass
    candidates.append(job_dir(ctx, job_name) / "code" / relative)
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise AzNotFoundError(
        f"azureml://jobs/{job_name}/outputs/artifacts/{sub}: the job logged no artifact {relative!r}",
        hint="artifacts come from MLflow (mlflow.log_artifact/log_model) or the job's ./outputs folder",
    )


def load_job(ctx: Context, name: str) -> dict[str, Any]:
    return job_store(ctx).load(name)


def list_jobs(ctx: Context, parent: str | None = None) -> list[dict[str, Any]]:
    """Top-level job records (or the child jobs of pipeline `parent`), newest first, as `az ml job list`."""
    if parent is not None:
        load_job(ctx, parent)
    records = [r for r in job_store(ctx).all() if r.get("parent_job_name") == parent]
    records.sort(key=lambda r: r.get("creation_context", {}).get("created_at", ""), reverse=True)
    return records


def job_log(ctx: Context, name: str) -> str:
    record = load_job(ctx, name)
    if record.get("type") == "pipeline" and record.get("jobs"):
        parts = []
        for step, info in record["jobs"].items():
            child = info.get("name") if isinstance(info, dict) else None
            if child and job_file(ctx, child).is_file():
                parts.append(f"--- step {step} (job {child}, {info.get('status')}) ---\n")
                parts.append(job_log(ctx, child))
        own = job_dir(ctx, name) / "user_logs" / "std_log.txt"
        if own.exists() and not parts:
            parts.append(own.read_text(encoding="utf-8", errors="replace"))
        return "".join(parts)
    path = job_dir(ctx, name) / "user_logs" / "std_log.txt"
    return path.read_text(encoding="utf-8", errors="replace") if path.exists() else ""


def check_new_job_name(ctx: Context, name: str) -> str:
    check_asset_name(name, "job")
    if job_dir(ctx, name).exists():
        raise AzError(
            f"a job named {name!r} already exists in the workspace",
            hint="job names are unique: omit --name to get a generated one",
        )
    return name


def claim_job_dir(ctx: Context, name: str) -> Path:
    folder = job_dir(ctx, name)
    folder.parent.mkdir(parents=True, exist_ok=True)
    try:
        folder.mkdir()
    except FileExistsError:
        raise AzError(
            f"a job named {name!r} already exists in the workspace",
            hint="job names are unique: omit --name to get a generated one",
        ) from None
    return folder


def update_job(ctx: Context, name: str, change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    """Read-modify-write a job record under its lock; returns the new record."""
    return job_store(ctx).update(name, change)
