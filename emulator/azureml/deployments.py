"""Online deployments served for real: resolve model, environment and scoring code, build the isolated
environment, start the inference server, wait until it is healthy, record it.

Replacing a deployment of the same name builds the new environment first (the old server keeps
serving meanwhile), then stops the old process and starts the new one.
"""

from __future__ import annotations

import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml import endpoints, envbuild, serving
from emulator.azureml.environments import EnvironmentSpec, resolve_environment
from emulator.azureml.errors import AzError, AzNotEmulatedError, AzNotFoundError, AzSpecError
from emulator.azureml.models import resolve_model
from emulator.azureml.names import check_endpoint_name
from emulator.azureml.storage import locked, read_json, utc_now, write_json
from emulator.azureml.workspace import Workspace, creation_context
from emulator.azureml.yamlspec import Spec

Sink = Callable[[str], None]


@dataclass(frozen=True)
class ResolvedModel:
    """The model a deployment serves: its reference as printed, and AZUREML_MODEL_DIR."""

    reference: str
    model_dir: Path
    inline_source: Path | None = None

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
            reference=ws.asset_id("models", model.name, model.version), model_dir=model.model_dir
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
        built = envbuild.ensure_environment(plan, log=progress, home=home)
        if progress:
            how = "reused" if built.reused else f"built in {built.seconds:.1f} s"
            progress(f"Environment {built.key} {how}: {built.path}\n")
        if previous is not None:
            endpoints.stop_deployment_process(previous)
        code_dir = workdir / "code"
        _copy_code(code.folder, code_dir)
        model.materialise()
        log_path = workdir / "server.log"
        log_path.unlink(missing_ok=True)
        env_vars = {str(k): str(v) for k, v in (spec.data.get("environment_variables") or {}).items()}
        workers = int(env_vars.get("WORKER_COUNT", "1") or 1)
        server = serving.start_server(
            python=built.python,
            entry_script=code_dir / code.scoring_script,
            model_dir=model.model_dir,
            cwd=code_dir,
            log_path=log_path,
            environment=env_vars,
            workers=workers,
        )
        started = time.monotonic()
        created_at = ((previous or {}).get("creation_context") or {}).get("created_at") or utc_now()
        record: dict[str, Any] = {
            "app_insights_enabled": bool(spec.data.get("app_insights_enabled", False)),
            "code_configuration": {"code": str(code_dir), "scoring_script": code.scoring_script},
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
            "emulator": {
                "mode": "process",
                "pid": server.pid,
                "start_ticks": server.start_ticks,
                "port": server.port,
                "scoring_uri": f"{server.base_url}/score",
                "env_key": built.key,
                "env_path": str(built.path),
                "env_reused": built.reused,
                "env_seconds": round(built.seconds, 2),
                "model_dir": str(model.model_dir),
                "entry_script": str(code_dir / code.scoring_script),
                "log": str(log_path),
                "started_at": utc_now(),
            },
        }
        write_json(record_path, record)
        try:
            seconds = serving.wait_healthy(server)
        except AzError:
            serving.stop_server(server.pid, server.start_ticks)
            record["provisioning_state"] = "Failed"
            write_json(record_path, record)
            raise
        record["provisioning_state"] = "Succeeded"
        record["emulator"]["healthy_seconds"] = round(seconds or time.monotonic() - started, 2)
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
    log = Path(str((record.get("emulator") or {}).get("log") or ""))
    return serving.log_tail(log, lines if lines is not None else 0) if log.name else ""


def delete_deployment(endpoint: str, name: str, home: Path | None = None) -> None:
    """Stop the server, drop the deployment from the traffic map and remove it."""
    record = endpoints.load_deployment(endpoint, name, home)
    path = endpoints.deployment_file(endpoint, name, home)
    with locked(path):
        endpoints.stop_deployment_process(record)
    endpoint_path = endpoints.endpoint_file(endpoint, home)
    with locked(endpoint_path):
        current = endpoints.load_endpoint(endpoint, home)
        traffic = dict(current.get("traffic") or {})
        if name in traffic:
            traffic.pop(name)
            current["traffic"] = traffic
            write_json(endpoint_path, current)
    shutil.rmtree(endpoints.deployment_dir(endpoint, name, home), ignore_errors=True)
