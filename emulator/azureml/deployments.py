"""Online deployments served for real: resolve model, environment and scoring code, build what serves
them, start the inference server, wait until it is healthy, record it.

Two modes, recorded as `emulator.mode`: when a Docker daemon answers (see `docker_daemon`), the
deployment runs as a container of an inference image — the package's image when the environment is a
model package, else an image built the same way from environment + model + code (cached by context
digest, so a deployment of what was packaged reuses the package's image); without one, the same
gunicorn command runs as a process from an isolated virtualenv.

Replacing a deployment of the same name builds the new image or environment first (the old server
keeps serving meanwhile), then stops the old server and starts the new one.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml import (
    containers,
    docker_daemon,
    docker_images,
    dockerlint,
    endpoints,
    packaging,
    serving,
)
from emulator.azureml.assets.environments import EnvironmentSpec, resolve_environment
from emulator.azureml.assets.models import resolve_model
from emulator.azureml.assets.names import check_endpoint_name
from emulator.azureml.assets.records import locked, read_json, utc_now, write_json
from emulator.azureml.assets.workspace import Workspace, creation_context
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.compute import envbuild
from emulator.azureml.docker_daemon import Daemon
from emulator.azureml.errors import AzError, AzNotEmulatedError, AzNotFoundError, AzSpecError
from emulator.store.paths import state_home

Sink = Callable[[str], None]


@dataclass(frozen=True)
class ResolvedModel:
    """The model a deployment serves: its reference as printed, and AZUREML_MODEL_DIR."""

    reference: str
    model_dir: Path
    inline_source: Path | None = None
    name: str = "inline"
    version: str = "1"
    registered_files: Path | None = None

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


def _resolve_model(
    ws: Workspace, spec: Spec, environment: EnvironmentSpec, workdir: Path, home: Path | None
) -> ResolvedModel:
    value = spec.data.get("model")
    location = spec.location("model")
    if value is None and environment.package:
        context = Path(str(environment.package["context"]))
        return ResolvedModel(reference=str(environment.package["model"]), model_dir=context / "model")
    if value is None:
        raise AzNotEmulatedError(
            "a deployment without `model:` is not emulated yet",
            spec.location(),
            hint="set `model: azureml:<name>:<version>` (or --set model=azureml:<name>@latest)",
        )
    if isinstance(value, str):
        model = resolve_model(value, location, home)
        return ResolvedModel(
            reference=ws.asset_id("models", model.name, model.version),
            model_dir=model.model_dir,
            name=model.name,
            version=model.version,
            registered_files=model.files,
        )
    if isinstance(value, dict) and value.get("path"):
        source = (spec.base_dir / str(value["path"])).resolve()
        if not source.exists():
            raise AzSpecError(
                f"invalid online deployment specification: model.path: no such file or directory: {source}",
                spec.location("model", "path"),
                field="model.path",
            )
        return ResolvedModel(
            reference=f"(inline model {source.name})", model_dir=workdir / "model", inline_source=source
        )
    raise AzSpecError("model: expected azureml:<name>:<version> or a mapping with `path:`", location)


def _resolve_code(spec: Spec, environment: EnvironmentSpec) -> ScoringCode:
    config = spec.data.get("code_configuration")
    if config is None and environment.package:
        context = Path(str(environment.package["context"]))
        return ScoringCode(folder=context / "code", scoring_script=str(environment.package["scoring_script"]))
    if not isinstance(config, dict) or not config.get("scoring_script"):
        raise AzNotEmulatedError(
            "no-code deployments (without code_configuration) are not emulated yet",
            spec.location(),
            hint="add code_configuration: {code: <folder>, scoring_script: score.py}",
        )
    folder = (spec.base_dir / str(config.get("code", "."))).resolve()
    script = folder / str(config["scoring_script"])
    if not script.is_file():
        raise AzSpecError(
            "invalid online deployment specification: code_configuration.scoring_script: "
            f"no such file: {script}",
            spec.location("code_configuration", "scoring_script"),
            hint="scoring_script is relative to code_configuration.code, which is relative to the YAML file",
            field="code_configuration.scoring_script",
        )
    return ScoringCode(folder=folder, scoring_script=str(config["scoring_script"]))


def _resolve_environment(spec: Spec, home: Path | None) -> EnvironmentSpec:
    value = spec.data.get("environment")
    if value is None:
        raise AzNotEmulatedError(
            "a deployment without `environment:` (MLflow no-code deployment) is not emulated yet",
            spec.location(),
            hint="set environment: azureml:<name>@latest with a conda_file listing the scoring dependencies",
        )
    return resolve_environment(value, spec.base_dir, spec.location("environment"), home)


def _copy_code(source: Path, target: Path) -> None:
    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
    shutil.copytree(source, staging, ignore=shutil.ignore_patterns("__pycache__", ".git", "*.pyc"))
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)


def _deployment_image(
    daemon: Daemon,
    spec: Spec,
    environment: EnvironmentSpec,
    code: ScoringCode,
    model: ResolvedModel,
    workdir: Path,
    progress: Sink | None,
    warn: Sink | None,
) -> tuple[docker_images.BuiltImage, str, str]:
    """(image, context folder, context digest) for the deployment: the package's image when the
    environment is a package and the YAML adds no model or code of its own; else an image built from
    environment + model + code, reused when one with the same context digest exists."""
    ignore = dockerlint.waivers({str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()})
    package = environment.package
    own_inputs = spec.data.get("model") is not None or spec.data.get("code_configuration") is not None
    if package and not own_inputs:
        for reference in (package.get("image_id"), environment.image, package.get("image")):
            found = docker_images.reuse(daemon, str(reference)) if reference else None
            if found is not None:
                if progress:
                    progress(f"Serving the package image {found.tag} ({found.image_id})\n")
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
        written = packaging.write_context(workdir, "image-context", inputs, source=source)
        context, digest = written.path, written.digest
        tag = packaging.image_tag(f"{environment.name or 'inline'}-{model.name}", written)
    built = docker_images.ensure_image(
        daemon,
        context,
        digest=digest,
        tag=tag,
        commit=commit,
        lint=lambda: docker_images.lint_context(context, ignore, strict=False, warn=warn),
        progress=progress,
        warn=warn,
    )
    return built, str(context), digest


def _record(
    ws: Workspace,
    spec: Spec,
    *,
    name: str,
    endpoint_name: str,
    environment: EnvironmentSpec,
    model: ResolvedModel,
    code_dir: Path,
    scoring_script: str,
    env_vars: dict[str, str],
    previous: dict[str, Any] | None,
    local: dict[str, Any],
) -> dict[str, Any]:
    """The deployment record as az shows it; the emulator's own fields go under `emulator`."""
    created_at = ((previous or {}).get("creation_context") or {}).get("created_at") or utc_now()
    return {
        "app_insights_enabled": bool(spec.data.get("app_insights_enabled", False)),
        "code_configuration": {"code": str(code_dir), "scoring_script": scoring_script},
        "creation_context": creation_context(created_at, utc_now()),
        "description": spec.data.get("description"),
        "egress_public_network_access": spec.data.get("egress_public_network_access", "enabled"),
        "endpoint_name": endpoint_name,
        "environment": environment.reference
        if environment.name is None
        else ws.asset_id("environments", environment.name, environment.version),
        "environment_variables": env_vars,
        "id": ws.resource_id(f"onlineEndpoints/{endpoint_name}/deployments", name),
        "instance_count": int(spec.data.get("instance_count", 1) or 1),
        "instance_type": spec.data.get("instance_type"),
        "liveness_probe": spec.data.get("liveness_probe") or {},
        "model": model.reference,
        "name": name,
        "properties": {"emulator.source_file": str(spec.path)},
        "provisioning_state": "Creating",
        "readiness_probe": spec.data.get("readiness_probe") or {},
        "request_settings": spec.data.get("request_settings") or {},
        "resourceGroup": ws.resource_group,
        "scale_settings": spec.data.get("scale_settings") or {"type": "default"},
        "tags": {str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
        "type": "managed",
        "emulator": local,
    }


def create_deployment(
    ws: Workspace,
    spec: Spec,
    *,
    all_traffic: bool = False,
    must_exist: bool = False,
    progress: Sink | None = None,
    warn: Sink | None = None,
    home: Path | None = None,
) -> dict[str, Any]:
    """Create (or replace) a deployment and serve it; returns the deployment record."""
    name = check_endpoint_name(str(spec.data.get("name") or ""), "deployment")
    endpoint_name = str(spec.data.get("endpoint_name") or "")
    if not endpoint_name:
        raise AzSpecError(
            "invalid online deployment specification: endpoint_name: the deployment names no endpoint",
            spec.location(),
            hint="add `endpoint_name:` to the YAML or pass --endpoint-name/-e",
        )
    endpoints.load_endpoint(endpoint_name, home)
    workdir = endpoints.deployment_dir(endpoint_name, name, home)
    record_path = endpoints.deployment_file(endpoint_name, name, home)
    workdir.mkdir(parents=True, exist_ok=True)
    with locked(record_path):
        previous = read_json(record_path)
        if must_exist and previous is None:
            raise AzNotFoundError(
                f"deployment {name!r} does not exist under endpoint {endpoint_name!r}",
                hint="create it with `az ml online-deployment create`",
            )
        environment = _resolve_environment(spec, home)
        code = _resolve_code(spec, environment)
        plan = envbuild.plan_environment(environment.conda, source=f"environment {environment.reference}")
        for message in plan.warnings:
            if warn:
                warn(message)
        model = _resolve_model(ws, spec, environment, workdir, home)
        env_vars = {str(k): str(v) for k, v in (spec.data.get("environment_variables") or {}).items()}
        workers = int(env_vars.get("WORKER_COUNT", "1") or 1)
        daemon, why = docker_daemon.connect()
        log_path = workdir / "server.log"
        common = {
            "ws": ws,
            "spec": spec,
            "name": name,
            "endpoint_name": endpoint_name,
            "environment": environment,
            "model": model,
            "env_vars": env_vars,
            "previous": previous,
        }
        if daemon is not None:
            built, context, digest = _deployment_image(
                daemon, spec, environment, code, model, workdir, progress, warn
            )
            if previous is not None:
                serving.stop_deployment(previous)
            log_path.unlink(missing_ok=True)
            container = containers.run_container(
                daemon,
                built.image_id,
                home=(home or state_home()),
                endpoint=endpoint_name,
                deployment=name,
                environment=env_vars,
                workers=workers,
            )
            record = _record(
                code_dir=Path(context) / "code",
                scoring_script=code.scoring_script,
                local={
                    "mode": "container",
                    "mode_reason": why,
                    "container_id": container.container_id,
                    "container_name": container.name,
                    "docker_host": daemon.host,
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
                    "port": container.port,
                    "scoring_uri": f"{container.base_url}/score",
                    "model_dir": str(model.model_dir),
                    "entry_script": f"{packaging.APP_ROOT}/code/{code.scoring_script}",
                    "log": str(log_path),
                    "started_at": utc_now(),
                },
                **common,
            )
            write_json(record_path, record)
            try:
                seconds = containers.wait_healthy(daemon, container)
            except AzError:
                containers.remove(daemon, container.container_id, log_path)
                record["provisioning_state"] = "Failed"
                write_json(record_path, record)
                raise
        else:
            built_env = envbuild.ensure_environment(plan, log=progress, home=home)
            if progress:
                how = "reused" if built_env.reused else f"built in {built_env.seconds:.1f} s"
                progress(f"Environment {built_env.key} {how}: {built_env.path}\n")
            if previous is not None:
                serving.stop_deployment(previous)
            code_dir = workdir / "code"
            _copy_code(code.folder, code_dir)
            model.materialise()
            log_path.unlink(missing_ok=True)
            server = serving.start_server(
                python=built_env.python,
                entry_script=code_dir / code.scoring_script,
                model_dir=model.model_dir,
                cwd=code_dir,
                log_path=log_path,
                environment=env_vars,
                workers=workers,
            )
            record = _record(
                code_dir=code_dir,
                scoring_script=code.scoring_script,
                local={
                    "mode": "process",
                    "mode_reason": why,
                    "pid": server.pid,
                    "start_ticks": server.start_ticks,
                    "port": server.port,
                    "scoring_uri": f"{server.base_url}/score",
                    "env_key": built_env.key,
                    "env_path": str(built_env.path),
                    "env_reused": built_env.reused,
                    "env_seconds": round(built_env.seconds, 2),
                    "model_dir": str(model.model_dir),
                    "entry_script": str(code_dir / code.scoring_script),
                    "log": str(log_path),
                    "started_at": utc_now(),
                },
                **common,
            )
            write_json(record_path, record)
            try:
                seconds = serving.wait_healthy(server)
            except AzError:
                serving.stop_server(server.pid, server.start_ticks)
                record["provisioning_state"] = "Failed"
                write_json(record_path, record)
                raise
        record["provisioning_state"] = "Succeeded"
        record["emulator"]["healthy_seconds"] = round(seconds, 2)
        write_json(record_path, record)
    if all_traffic:
        endpoints.set_traffic(endpoint_name, {name: 100}, home)
    return endpoints.deployment_view(record)


def show_deployment(endpoint: str, name: str, home: Path | None = None) -> dict[str, Any]:
    return endpoints.deployment_view(endpoints.load_deployment(endpoint, name, home))


def list_deployments(endpoint: str, home: Path | None = None) -> list[dict[str, Any]]:
    endpoints.load_endpoint(endpoint, home)
    return [endpoints.deployment_view(r) for r in endpoints.deployment_records(endpoint, home)]


def get_logs(endpoint: str, name: str, lines: int | None = None, home: Path | None = None) -> str:
    record = endpoints.load_deployment(endpoint, name, home)
    return serving.deployment_log(record, lines if lines is not None else 0)


def delete_deployment(endpoint: str, name: str, home: Path | None = None) -> None:
    """Stop the server (a container is removed), drop the deployment from the traffic map, remove it."""
    record = endpoints.load_deployment(endpoint, name, home)
    path = endpoints.deployment_file(endpoint, name, home)
    with locked(path):
        serving.stop_deployment(record)
    endpoint_path = endpoints.endpoint_file(endpoint, home)
    with locked(endpoint_path):
        current = endpoints.load_endpoint(endpoint, home)
        traffic = dict(current.get("traffic") or {})
        if name in traffic:
            traffic.pop(name)
            current["traffic"] = traffic
            write_json(endpoint_path, current)
    shutil.rmtree(endpoints.deployment_dir(endpoint, name, home), ignore_errors=True)
