"""What serves an online deployment: a process from an isolated virtualenv, or a container of an
inference image, behind one `Backend` protocol.

When a Docker daemon answers (see `docker_daemon`), a deployment runs as a container of an inference
image — the package's image when the environment is a model package, else an image built the same
way from environment + model + code (cached by context digest, so a deployment of what was packaged
reuses the package's image); without one, the same gunicorn command runs as a process from an
isolated virtualenv. The record names its backend in `emulator.mode` and keeps what the backend needs
to find its server again (pid and start time, container id, log), so stopping a deployment and reading
its log later take the record alone.
"""

from __future__ import annotations

import contextlib
import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from emulator.azureml.assets.environments import EnvironmentSpec
from emulator.azureml.assets.records import utc_now
from emulator.azureml.assets.snapshots import code_filter
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.compute import envbuild
from emulator.azureml.compute.envbuild import EnvPlan
from emulator.azureml.context import Context, Sink
from emulator.azureml.serving import containers, docker_daemon, docker_images, dockerlint, packaging, server
from emulator.azureml.serving.containers import RunningContainer
from emulator.azureml.serving.docker_daemon import Daemon
from emulator.azureml.serving.server import ServerProcess
from emulator.processes import is_running, stop_group


@dataclass(frozen=True)
class ResolvedModel:
    """The model a deployment serves: its reference as printed, and AZUREML_MODEL_DIR."""

    reference: str
    model_dir: Path
    inline_source: Path | None = None
    name: str = "inline"
    version: str = "1"
    registered_files: Path | None = None
    model_type: str = "custom_model"

    @property
    def files(self) -> Path:
        """The model folder (or file) itself, as it goes into an image."""
        if self.inline_source is not None:
            return self.inline_source
        if self.registered_files is not None:
            return self.registered_files
        entries = sorted(self.model_dir.iterdir()) if self.model_dir.is_dir() else []
        return entries[0] if len(entries) == 1 else self.model_dir

    def materialise(self) -> None:
        """Copy an inline model next to the deployment (registered models are used in place)."""
        if self.inline_source is None:
            return
        shutil.rmtree(self.model_dir, ignore_errors=True)
        self.model_dir.mkdir(parents=True)
        target = self.model_dir / self.inline_source.name
        if self.inline_source.is_dir():
            shutil.copytree(self.inline_source, target)
        else:
            shutil.copy2(self.inline_source, target)


@dataclass(frozen=True)
class ScoringCode:
    folder: Path
    scoring_script: str


@dataclass(frozen=True)
class Deployment:
    """A deployment's YAML made concrete: what a backend builds and starts."""

    spec: Spec
    endpoint: str
    name: str
    environment: EnvironmentSpec
    plan: EnvPlan
    code: ScoringCode
    model: ResolvedModel
    env_vars: dict[str, str]
    workdir: Path

    @property
    def workers(self) -> int:
        return int(self.env_vars.get("WORKER_COUNT", "1") or 1)

    @property
    def log_path(self) -> Path:
        return self.workdir / "server.log"

    def socket_folder(self) -> Path:
        """Where its server's unix socket goes (one folder per deployment of a state folder)."""
        return server.socket_folder(str(self.workdir.resolve()))


@dataclass(frozen=True)
class Started:
    """A server just started: the code it serves and the record's `emulator` slot that finds it again."""

    code_dir: Path
    local: dict[str, Any]


class Backend(Protocol):
    """One way of serving deployments; every method but `start` takes the record's `emulator` slot."""

    def start(self, ctx: Context, deployment: Deployment, replace: Callable[[], object]) -> Started:
        """Build what serves `deployment` (the old server keeps serving meanwhile), call `replace` to
        stop the server it replaces, then start the new one."""
        ...

    def wait_healthy(self, local: dict[str, Any]) -> float:
        """Seconds until the server answers GET / with 200; raises with its log if it dies or times out."""
        ...

    def stop(self, local: dict[str, Any]) -> bool:
        """Stop the server (a container is removed, its log kept); True if it was running."""
        ...

    def logs(self, local: dict[str, Any], lines: int) -> str:
        """The server's log (the last `lines` lines, or all)."""
        ...


def _log_tail(local: dict[str, Any], lines: int) -> str:
    log = Path(str(local.get("log") or ""))
    return server.log_tail(log, lines) if log.name else ""


@dataclass(frozen=True)
class ProcessBackend:
    """gunicorn with the inference server app, run from the environment's isolated virtualenv."""

    reason: str = ""
    progress: Sink | None = None

    def start(self, ctx: Context, deployment: Deployment, replace: Callable[[], object]) -> Started:
        built = envbuild.ensure_environment(ctx, deployment.plan, log=self.progress)
        if self.progress:
            how = "reused" if built.reused else f"built in {built.seconds:.1f} s"
            self.progress(f"Environment {built.key} {how}: {built.path}\n")
        replace()
        code_dir = deployment.workdir / "code"
        _copy_code(deployment.code.folder, code_dir)
        deployment.model.materialise()
        deployment.log_path.unlink(missing_ok=True)
        started = server.start_server(
            python=built.python,
            entry_script=code_dir / deployment.code.scoring_script,
            model_dir=deployment.model.model_dir,
            cwd=code_dir,
            log_path=deployment.log_path,
            socket_path=deployment.socket_folder() / server.SOCKET_NAME,
            environment=deployment.env_vars,
            workers=deployment.workers,
        )
        return Started(
            code_dir,
            {
                "mode": "process",
                "mode_reason": self.reason,
                "pid": started.pid,
                "start_ticks": started.start_ticks,
                "socket": str(started.socket),
                "env_key": built.key,
                "env_path": str(built.path),
                "env_reused": built.reused,
                "env_seconds": round(built.seconds, 2),
                "model_dir": str(deployment.model.model_dir),
                "entry_script": str(code_dir / deployment.code.scoring_script),
                "log": str(deployment.log_path),
                "started_at": utc_now(),
            },
        )

    def wait_healthy(self, local: dict[str, Any]) -> float:
        process = ServerProcess(local["pid"], local["start_ticks"], Path(local["socket"]), Path(local["log"]))
        return server.wait_healthy(process)

    def stop(self, local: dict[str, Any]) -> bool:
        """Stop the server's process group; when the pid is the main process of one of the emulator's
        containers, the container is removed through the daemon instead (a bare kill would leave an
        exited container)."""
        pid, ticks = local.get("pid"), local.get("start_ticks")
        if not isinstance(pid, int) or not isinstance(ticks, int) or not is_running(pid, ticks):
            return False
        if containers.container_of_pid(pid) is not None and containers.stop_by_pid(pid):
            return True
        return stop_group(pid, ticks)

    def logs(self, local: dict[str, Any], lines: int) -> str:
        return _log_tail(local, lines)


@dataclass(frozen=True)
class ContainerBackend:
    """A container of an inference image, run by a Docker daemon on the host network."""

    daemon: Daemon
    reason: str = ""
    progress: Sink | None = None
    warn: Sink | None = None

    def start(self, ctx: Context, deployment: Deployment, replace: Callable[[], object]) -> Started:
        built, context, digest = self._image(deployment)
        replace()
        deployment.log_path.unlink(missing_ok=True)
        container = containers.run_container(
            self.daemon,
            built.image_id,
            home=ctx.home,
            endpoint=deployment.endpoint,
            deployment=deployment.name,
            environment=deployment.env_vars,
            socket_folder=deployment.socket_folder(),
            workers=deployment.workers,
        )
        return Started(
            Path(context) / "code",
            {
                "mode": "container",
                "mode_reason": self.reason,
                "container_id": container.container_id,
                "container_name": container.name,
                "docker_host": self.daemon.host,
                "image": built.tag,
                "image_id": built.image_id,
                "image_cache_hit": built.cache_hit,
                "image_build_seconds": round(built.seconds, 1),
                "image_size_bytes": built.size,
                "base_image": built.base.as_record(),
                "source_commit": built.commit,
                "context": context,
                "context_digest": digest,
                "pid": container.pid,
                "start_ticks": container.start_ticks,
                "socket": str(container.socket),
                "model_dir": str(deployment.model.model_dir),
                "entry_script": f"{packaging.APP_ROOT}/code/{deployment.code.scoring_script}",
                "log": str(deployment.log_path),
                "started_at": utc_now(),
            },
        )

    def _image(self, deployment: Deployment) -> tuple[docker_images.BuiltImage, str, str]:
        """(image, context folder, context digest) for the deployment: the package's image when the
        environment is a package and the YAML adds no model or code of its own; else an image built from
        environment + model + code, reused when one with the same context digest exists."""
        spec, environment = deployment.spec, deployment.environment
        code, model = deployment.code, deployment.model
        ignore = dockerlint.waivers({str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()})
        package = environment.package
        own_inputs = spec.data.get("model") is not None or spec.data.get("code_configuration") is not None
        if package and not own_inputs:
            for reference in (package.get("image_id"), environment.image, package.get("image")):
                found = docker_images.reuse(self.daemon, str(reference)) if reference else None
                if found is not None:
                    if self.progress:
                        self.progress(f"Serving the package image {found.tag} ({found.image_id})\n")
                    return found, str(package.get("context")), str(package.get("digest"))
        commit = docker_images.source_commit(spec.base_dir, code.folder)
        if package and not own_inputs and Path(str(package.get("context", ""))).is_dir():
            context = Path(str(package["context"]))
            digest, tag = str(package["digest"]), str(environment.image or package.get("image"))
        else:
            inputs = packaging.ContextInputs(
                base_image=environment.image or packaging.DEFAULT_BASE_IMAGE,
                model_name=model.name,
                model_version=model.version,
                model_files=model.files,
                code_folder=code.folder,
                scoring_script=code.scoring_script,
                conda=environment.conda,
                env_vars={},
            )
            source = f"environment {environment.reference}"
            written = packaging.write_context(deployment.workdir, "image-context", inputs, source=source)
            context, digest = written.path, written.digest
            tag = packaging.image_tag(f"{environment.name or 'inline'}-{model.name}", written)
        warn = self.warn
        built = docker_images.ensure_image(
            self.daemon,
            context,
            digest=digest,
            tag=tag,
            commit=commit,
            lint=lambda: docker_images.lint_context(context, ignore, strict=False, warn=warn),
            progress=self.progress,
            warn=warn,
        )
        return built, str(context), digest

    def wait_healthy(self, local: dict[str, Any]) -> float:
        socket = Path(local["socket"])
        started = RunningContainer(
            local["container_id"], local["container_name"], socket, local["pid"], local["start_ticks"]
        )
        return containers.wait_healthy(self.daemon, started)

    def stop(self, local: dict[str, Any]) -> bool:
        log = Path(str(local["log"])) if local.get("log") else None
        return containers.remove(self.daemon, str(local["container_id"]), log)

    def logs(self, local: dict[str, Any], lines: int) -> str:
        return containers.logs(self.daemon, str(local["container_id"]), lines) or _log_tail(local, lines)


def _copy_code(source: Path, target: Path) -> None:
    """Copy the scoring code as Azure ML uploads it (`snapshots.code_filter`), never the folder that
    holds the copy (the deployment's, inside the state folder when the code folder holds `.mlops/`)."""
    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
    shutil.copytree(source, staging, ignore=code_filter(source, target.parent))
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


def serving_backend(progress: Sink | None, warn: Sink | None) -> Backend:
    """A container backend when a Docker daemon answers (and `MLOPS_DOCKER` allows it), else processes."""
    daemon, why = docker_daemon.connect()
    if daemon is not None:
        return ContainerBackend(daemon, why, progress, warn)
    return ProcessBackend(why, progress)


def recorded_backend(local: dict[str, Any]) -> Backend:
    """The backend of a recorded deployment; a container whose daemon no longer answers is handled by
    its host process, as processes are."""
    if local.get("mode") == "container" and local.get("container_id"):
        daemon = containers.daemon_for(local)
        if daemon is not None:
            return ContainerBackend(daemon)
    return ProcessBackend()


def _local(record: dict[str, Any]) -> dict[str, Any]:
    local = record.get("emulator")
    return local if isinstance(local, dict) else {}


def deployment_running(record: dict[str, Any]) -> bool:
    """Whether the deployment's server (process or container main process) is alive."""
    local = _local(record)
    pid, ticks = local.get("pid"), local.get("start_ticks")
    return isinstance(pid, int) and isinstance(ticks, int) and is_running(pid, ticks)


def stop_deployment(record: dict[str, Any]) -> bool:
    """Stop a deployment of either mode; a container is removed (its log kept in `emulator.log`), the
    socket and its folder too.

    True if something was running.
    """
    local = _local(record)
    stopped = recorded_backend(local).stop(local)
    if local.get("socket"):
        socket = Path(str(local["socket"]))
        socket.unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            socket.parent.rmdir()
    return stopped


def deployment_log(record: dict[str, Any], lines: int = 0) -> str:
    """The server's log: the live container's, else the log file (a stopped container's is kept)."""
    local = _local(record)
    return recorded_backend(local).logs(local, lines)
