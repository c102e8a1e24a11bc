"""`az ml job create`: a command or a pipeline job from its validated YAML, run to completion."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.azureml.assets.job_records import check_new_job_name
from emulator.azureml.assets.names import generate_job_name
from emulator.azureml.assets.workspace import Workspace
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.compute.jobs import (
    check_compute,
    command_job_from_spec,
    default_experiment_name,
    run_command_job,
)
from emulator.azureml.compute.pipelines import create_pipeline_job
from emulator.azureml.compute.runtimes import prepare_runtime
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzNotEmulatedError


def create_job(
    ctx: Context,
    ws: Workspace,
    spec: Spec,
    *,
    cwd: Path,
    name: str | None = None,
    experiment_name: str | None = None,
    log: Sink | None = None,
    warn: Sink | None = None,
    progress: Sink | None = None,
) -> dict[str, Any]:
    """Run a command or pipeline job to completion and return its record (JobFailedError on failure)."""
    job_type = str(spec.data.get("type", "command"))
    job_name = check_new_job_name(ctx, name or str(spec.data.get("name") or generate_job_name()))
    experiment = experiment_name or str(spec.data.get("experiment_name") or default_experiment_name(cwd))
    if job_type == "pipeline":
        return create_pipeline_job(
            ctx, ws, spec, name=job_name, experiment=experiment, log=log, warn=warn, progress=progress
        )
    if job_type != "command":
        raise AzNotEmulatedError(
            f"{job_type} jobs are not emulated yet (command and pipeline jobs run locally)",
            spec.location("type"),
            hint="express it as a command job, or a pipeline of command steps",
        )
    job = command_job_from_spec(ctx, spec, name=job_name, experiment=experiment)
    check_compute(ctx, ws, job.compute, spec.location("compute"), warn)
    runtime = prepare_runtime(
        ctx, job.environment, spec.base_dir, spec.location("environment"), warn=warn, progress=progress
    )
    return run_command_job(ctx, ws, job, runtime, log=log, progress=progress)
