"""Pipeline artifacts: PublishPipelineArtifact@1 and DownloadPipelineArtifact@2 (current run), and
PublishBuildArtifacts@1 to the pipeline (`publishLocation: Container`), stored the same way: locally
there is one artifact store per run [DOC tasks/reference/publish-build-artifacts-v1.md]. Its artifact
named `CodeAnalysisLogs` is where the SARIF SAST Scans Tab looks for `*.sarif` files.

Artifacts are stored in the run's folder; a download of the current run copies them into
$(Pipeline.Workspace)/<artifact> (or into `path` when one artifact is named) as the agent does
[DOC artifacts/pipeline-artifacts.md, tasks/utility/publish-pipeline-artifact.md]. An artifact with no
name is named after System.JobIdentifier with characters outside `[A-Za-z0-9 -.]` dropped and a final
`.default` removed (the task's own rule).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from emulator.errors import PipelineError
from emulator.tasks.base import StepContext, TaskOutcome
from emulator.tasks.files import select


def default_name(job_identifier: str) -> str:
    name = re.sub(r"[^a-zA-Z0-9 \-.]", "", job_identifier)
    return name[: -len(".default")] if name.endswith(".default") else name


def publish(ctx: StepContext) -> TaskOutcome:
    source = ctx.path_input("targetPath") or ctx.path_input("path") or ctx.pipeline_workspace
    name = (
        ctx.input("artifactName")
        or ctx.input("artifact")
        or default_name(ctx.variable("System.JobIdentifier") or "drop")
    )
    return _publish(ctx, source, name)


def publish_build(ctx: StepContext) -> TaskOutcome:
    """PublishBuildArtifacts@1: `PathtoPublish` (default the staging directory) as `ArtifactName`."""
    location = (ctx.input("publishLocation", "Container") or "Container").lower()
    if location != "container":
        raise PipelineError(
            "PublishBuildArtifacts@1 with publishLocation: FilePath (a file share) is not supported by the "
            "emulator",
            ctx.location,
            hint="publishLocation: Container publishes to the pipeline, as the emulator does",
        )
    source = ctx.path_input("PathtoPublish") or Path(ctx.variable("Build.ArtifactStagingDirectory") or ".")
    return _publish(ctx, source, ctx.input("ArtifactName", "drop") or "drop")


def _publish(ctx: StepContext, source: Path, name: str) -> TaskOutcome:
    if not re.fullmatch(r"[^\\/:*?\"<>|]+", name):
        raise PipelineError(f"Artifact name '{name}' is not valid", ctx.location)
    if not source.exists():
        raise PipelineError(f"Path does not exist: {source}", ctx.location)
    dest = ctx.artifacts_dir / name
    try:
        dest.mkdir(parents=True)
    except FileExistsError:
        return TaskOutcome("failed", f"An artifact named '{name}' was already published in this run.")
    if source.is_dir():
        shutil.copytree(source, dest, dirs_exist_ok=True)
    else:
        shutil.copy2(source, dest / source.name)
    files = sum(1 for p in dest.rglob("*") if p.is_file())
    ctx.log(f"Published artifact '{name}' from {source} ({files} files)")
    return TaskOutcome("succeeded", data={"artifact": name, "files": files})


def download(ctx: StepContext) -> TaskOutcome:
    build_type = (ctx.input("buildType", "current") or "current").lower()
    if build_type != "current":
        raise PipelineError(
            "Downloading artifacts of other pipelines is not supported by the emulator",
            ctx.location,
            hint="download: current",
        )
    name = ctx.input("artifactName") or ctx.input("artifact")
    target = ctx.path_input("targetPath") or ctx.path_input("path") or ctx.path_input("downloadPath")
    patterns = (ctx.input("itemPattern") or ctx.input("patterns") or "**").splitlines()
    names = [name] if name else sorted(p.name for p in ctx.artifacts_dir.glob("*") if p.is_dir())
    if not names:
        ctx.log("No artifacts were published in this run so far; nothing to download")
    for artifact in names:
        src = ctx.artifacts_dir / artifact
        if not src.is_dir():
            return TaskOutcome("failed", f"Artifact '{artifact}' was not published in this run.")
        dest: Path = target if (target and name) else (target or ctx.pipeline_workspace) / artifact
        count = 0
        for path in select(src, patterns):
            out = dest / path.relative_to(src)
            out.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(path, out)
            count += 1
        dest.mkdir(parents=True, exist_ok=True)
        ctx.log(f"Downloaded artifact '{artifact}' to {dest} ({count} files)")
    return TaskOutcome("succeeded")
