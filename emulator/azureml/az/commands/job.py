"""`az ml job`: run command and pipeline jobs locally, show, list, stream, cancel and download them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.azureml.assets import job_records
from emulator.azureml.az.commands.arguments import (
    FILE_REQUIRED,
    NAME,
    NAME_REQUIRED,
    NO_WAIT,
    SET,
    read_spec,
)
from emulator.azureml.az.parser import Command, Invocation, Option
from emulator.azureml.compute import jobs, submit
from emulator.azureml.errors import AzError


def job_create(inv: Invocation) -> Any:
    ws = inv.workspace()
    extra: list[tuple[str, Any]] = []
    if inv.arg("name"):
        extra.append(("name", inv.arg("name")))
    if inv.arg("experiment_name"):
        extra.append(("experiment_name", inv.arg("experiment_name")))
    spec = read_spec(inv, "job", extra)
    jobs.settle_lost_jobs(inv.ctx)  # a step rerun after a crash: its first job is marked, not left Running
    sink = inv.stream_sink() if inv.arg("stream") else None
    return submit.create_job(
        inv.ctx,
        ws,
        spec,
        cwd=inv.cwd,
        name=inv.arg("name"),
        experiment_name=inv.arg("experiment_name"),
        log=sink,
        warn=inv.warn,
        progress=inv.progress,
    )


def job_show(inv: Invocation) -> Any:
    inv.workspace()
    jobs.settle_lost_jobs(inv.ctx)
    return job_records.load_job(inv.ctx, str(inv.arg("name")))


def job_list(inv: Invocation) -> Any:
    inv.workspace()
    jobs.settle_lost_jobs(inv.ctx)
    records = job_records.list_jobs(inv.ctx, parent=inv.arg("parent_job_name"))
    limit = inv.arg("max_results")
    if limit is not None and not inv.arg("all_results"):
        records = records[: int(limit)]
    return records


def job_stream(inv: Invocation) -> Any:
    inv.workspace()
    text = job_records.job_log(inv.ctx, str(inv.arg("name")))
    inv.stdout.write(text)
    record = job_records.load_job(inv.ctx, str(inv.arg("name")))
    if record.get("status") in ("Failed", "Canceled"):
        raise AzError(f"Execution failed. Job {record['name']} {str(record['status']).lower()}.")
    return None


def job_cancel(inv: Invocation) -> Any:
    inv.workspace()
    jobs.cancel_job(inv.ctx, str(inv.arg("name")))
    return None


def job_download(inv: Invocation) -> Any:
    inv.workspace()
    target = Path(str(inv.arg("download_path", ".")))
    if not target.is_absolute():
        target = inv.cwd / target
    written = jobs.download_job(
        inv.ctx,
        str(inv.arg("name")),
        target,
        output_name=inv.arg("output_name"),
        everything=bool(inv.arg("all")),
    )
    for folder in written:
        inv.progress(f"Downloaded to {folder}\n")
    return None


COMMANDS: tuple[Command, ...] = (
    Command(
        ("ml", "job", "create"),
        job_create,
        "Run a command job locally and record it.",
        (
            FILE_REQUIRED,
            NAME,
            SET,
            Option(("--stream", "-s"), "stream", kind="flag", help="stream the job log, then print the job"),
            Option(("--experiment-name",), "experiment_name", help="MLflow experiment (default: cwd name)"),
            Option(("--web", "-e"), "web", kind="flag", help="accepted"),
            Option(("--skip-validation",), "skip_validation", kind="flag", help="accepted"),
            Option(("--save-as", "-a"), "save_as", help="accepted"),
        ),
    ),
    Command(("ml", "job", "show"), job_show, "Show a job.", (NAME_REQUIRED,)),
    Command(
        ("ml", "job", "list"),
        job_list,
        "List jobs, newest first.",
        (
            Option(("--max-results", "-r"), "max_results", help="at most this many"),
            Option(("--all-results",), "all_results", kind="flag", help="no limit"),
            Option(
                ("--parent-job-name", "-p"), "parent_job_name", help="list the steps of this pipeline job"
            ),
            Option(("--include-archived",), "include_archived", kind="flag", help="accepted"),
            Option(("--archived-only",), "archived_only", kind="flag", help="accepted"),
        ),
    ),
    Command(("ml", "job", "stream"), job_stream, "Print a job's log.", (NAME_REQUIRED,)),
    Command(
        ("ml", "job", "cancel"),
        job_cancel,
        "Cancel a running job (jobs run synchronously: a finished job cannot be canceled).",
        (NAME_REQUIRED, NO_WAIT),
    ),
    Command(
        ("ml", "job", "download"),
        job_download,
        "Download a job's logs and artifacts (artifacts/) or named outputs (named-outputs/<o>/).",
        (
            NAME_REQUIRED,
            Option(("--output-name",), "output_name", help="the named output to download"),
            Option(("--download-path", "-p"), "download_path", help="destination folder (default: .)"),
            Option(("--all",), "all", kind="flag", help="logs, artifacts and every named output"),
        ),
    ),
)
