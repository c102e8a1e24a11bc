"""Pipeline artifacts: PublishPipelineArtifact@1 and DownloadPipelineArtifact@2 (current run).

Artifacts are stored in the run's folder; a download of the current run copies them into
$(Pipeline.Workspace)/<artifact> as the agent does [DOC artifacts/pipeline-artifacts.md].
"""

from __future__ import annotations

import shutil
from pathlib import Path

from emulator.errors import PipelineError
from emulator.tasks.base import StepContext, TaskOutcome


def publish(ctx: StepContext) -> TaskOutcome:
    source = ctx.path_input("targetPath") or ctx.path_input("path", required=True)
    assert source is not None
    name = ctx.input("artifactName") or ctx.input("artifact") or "drop"
    if not source.exists():
        raise PipelineError(f"Path does not exist: {source}", ctx.location)
    dest = ctx.artifacts_dir / name
    if dest.exists():
        return TaskOutcome("failed", f"An artifact named '{name}' was already published in this run.")
    if source.is_dir():
        shutil.copytree(source, dest)
    else:
        dest.mkdir(parents=True)
        shutil.copy2(source, dest / source.name)
    ctx.log(f"Published artifact '{name}' from {source}")
    return TaskOutcome("succeeded")


def download(ctx: StepContext) -> TaskOutcome:
    build_type = (ctx.input("buildType", "current") or "current").lower()
    if build_type != "current":
        raise PipelineError("Downloading artifacts of other pipelines is not supported by the emulator",
                            ctx.location, hint="download: current")
    name = ctx.input("artifactName") or ctx.input("artifact")
    target = ctx.path_input("targetPath") or ctx.path_input("path")
    names = [name] if name else sorted(p.name for p in ctx.artifacts_dir.glob("*") if p.is_dir())
    for artifact in names:
        src = ctx.artifacts_dir / artifact
        if not src.is_dir():
            return TaskOutcome("failed", f"Artifact '{artifact}' was not published in this run.")
        dest: Path = target if (target and name) else (target or ctx.pipeline_workspace) / artifact
        shutil.copytree(src, dest, dirs_exist_ok=True)
        ctx.log(f"Downloaded artifact '{artifact}' to {dest}")
    return TaskOutcome("succeeded")
