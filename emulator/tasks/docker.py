"""Docker@2 with the local Docker daemon: `build` and the build of `buildAndPush`, `start`, `stop`.

Inputs [DOC tasks/reference/docker-v2.md]: command (default buildAndPush), Dockerfile (default
`**/Dockerfile`, the first match), buildContext (default `**`: the Dockerfile's folder), repository,
tags (one per line, default $(Build.BuildId)), arguments, containerRegistry, container. Builds use the
host network (no bridge here). There is no registry to reach: `push` (and the push of `buildAndPush`)
keeps the image in the local daemon and says so (SucceededWithIssues); `login`/`logout` have nothing
to log in to. Without a daemon the step fails with how to start one.
"""

from __future__ import annotations

import shlex
import shutil

from emulator.errors import PipelineError
from emulator.tasks.base import StepContext, TaskOutcome, outcome_of
from emulator.tasks.files import select

COMMANDS = ("build", "push", "buildAndPush", "login", "logout", "start", "stop")


def _docker(ctx: StepContext, *args: str) -> TaskOutcome:
    argv = ["docker", *args]
    ctx.log(f"##[command]{' '.join(shlex.quote(a) for a in argv)}")
    return outcome_of(ctx.run(argv, ctx.sources_dir, {**ctx.env, "DOCKER_BUILDKIT": "0"}), tool="docker")


def _daemon(ctx: StepContext) -> None:
    if shutil.which("docker", path=ctx.env.get("PATH")) is None:
        raise PipelineError(f"{ctx.task} needs the docker client, which is not on PATH", ctx.location)
    probe = ctx.run(["docker", "version", "--format", "{{.Server.Version}}"], ctx.sources_dir, ctx.env)
    if probe.exit_code != 0:
        raise PipelineError(
            f"{ctx.task} needs a Docker daemon and none answers "
            f"(DOCKER_HOST={ctx.env.get('DOCKER_HOST', '')})",
            ctx.location,
            hint="start one (dockerd --bridge=none --iptables=false … -H unix://D/sock) and export "
            "DOCKER_HOST=unix://D/sock; see the README's Docker section",
        )


def _images(ctx: StepContext) -> list[str]:
    repository = (ctx.input("repository") or "").strip().lower()
    if not repository:
        raise PipelineError(
            f"{ctx.task} needs a repository to name the image",
            ctx.location,
            hint="add 'repository: my-image' under the step's inputs",
        )
    build_id = ctx.variable("Build.BuildId") or "1"
    tags = [t.strip() for t in (ctx.input("tags") or build_id).replace(",", "\n").splitlines() if t.strip()]
    return [f"{repository}:{tag}" for tag in tags]


def _build(ctx: StepContext) -> TaskOutcome:
    pattern = ctx.input("Dockerfile", "**/Dockerfile") or "**/Dockerfile"
    given = ctx.path_input("Dockerfile")
    found = [given] if given is not None and given.is_file() else select(ctx.sources_dir, [pattern])
    if not found:
        raise PipelineError(f"No Dockerfile matches '{pattern}' under {ctx.sources_dir}", ctx.location)
    dockerfile = found[0]
    context_input = ctx.input("buildContext", "**") or "**"
    context = dockerfile.parent if context_input.strip() in ("**", "") else ctx.path_input("buildContext")
    assert context is not None
    tags = [arg for image in _images(ctx) for arg in ("-t", image)]
    extra = shlex.split(ctx.input("arguments", "") or "")
    return _docker(ctx, "build", "--network", "host", "-f", str(dockerfile), *tags, *extra, str(context))


def docker(ctx: StepContext) -> TaskOutcome:
    command = ctx.input("command", "buildAndPush") or "buildAndPush"
    match = next((c for c in COMMANDS if c.lower() == command.lower()), None)
    if match is None:
        raise PipelineError(
            f"command '{command}' is not valid for {ctx.task}",
            ctx.location,
            expected="one of: " + ", ".join(COMMANDS),
        )
    if match in ("login", "logout"):
        ctx.log(f"docker {match}: there is no container registry to reach locally; nothing to do")
        return TaskOutcome("succeeded")
    _daemon(ctx)
    if match in ("start", "stop"):
        container = ctx.input("container", required=True) or ""
        return _docker(ctx, match, container)
    if match in ("build", "buildAndPush"):
        built = _build(ctx)
        if built.result != "succeeded" or match == "build":
            return built
    images = _images(ctx)
    for image in images:
        missing = ctx.run(["docker", "image", "inspect", image], ctx.sources_dir, ctx.env).exit_code != 0
        if missing:
            return TaskOutcome("failed", f"An image does not exist locally with the tag: {image}")
    message = (
        f"Not pushed: no container registry is reachable from the emulator; "
        f"{', '.join(images)} stay(s) in the local daemon"
    )
    ctx.emit(f"##vso[task.logissue type=warning]{message}")
    return TaskOutcome("succeededWithIssues", message, data={"images": images})
