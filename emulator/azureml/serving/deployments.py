"""Online deployments served for real: resolve model, environment and scoring code, build what serves
them, start the inference server, wait until it is healthy, record it.

What serves them is a backend (`backends.py`): a container of an inference image when a Docker
daemon answers, else a process from an isolated virtualenv; both follow the same steps here.

Replacing a deployment of the same name builds the new image or environment first (the old server
keeps serving meanwhile), then stops the old server and starts the new one.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

from emulator.azureml.assets.environments import EnvironmentSpec, resolve_environment
from emulator.azureml.assets.models import mlflow_environment, resolve_model
from emulator.azureml.assets.names import check_endpoint_name
from emulator.azureml.assets.records import locked, read_json, utc_now, write_json
from emulator.azureml.assets.workspace import Workspace, creation_context
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.compute import envbuild
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzError, AzNotEmulatedError, AzNotFoundError, AzSpecError
from emulator.azureml.serving import endpoints
from emulator.azureml.serving.backends import (
    Deployment,
    ResolvedModel,
    ScoringCode,
    deployment_log,
    serving_backend,
    stop_deployment,
)

MLFLOW_SCORE = Path(__file__).with_name("mlflow_score.py")


def _resolve_model(
    ctx: Context, ws: Workspace, spec: Spec, package: dict[str, Any] | None, workdir: Path
) -> ResolvedModel:
    """The deployment's model; a model package (`package`, from the environment) brings its own."""
    value = spec.data.get("model")
    location = spec.location("model")
    if value is None and package:
        context = Path(str(package["context"]))
        return ResolvedModel(reference=str(package["model"]), model_dir=context / "model")
    if value is None:
        raise AzNotEmulatedError(
            "a deployment without `model:` is not emulated yet",
            spec.location(),
            hint="set `model: azureml:<name>:<version>` (or --set model=azureml:<name>@latest)",
        )
    if isinstance(value, str):
        model = resolve_model(ctx, value, location)
        return ResolvedModel(
            reference=ws.asset_id("models", model.name, model.version),
            model_dir=model.model_dir,
            name=model.name,
            version=model.version,
            registered_files=model.files,
            model_type=model.model_type,
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
            reference=f"(inline model {source.name})",
            model_dir=workdir / "model",
            inline_source=source,
            model_type=str(value.get("type") or "custom_model"),
        )
    raise AzSpecError("model: expected azureml:<name>:<version> or a mapping with `path:`", location)


def _resolve_code(spec: Spec, environment: EnvironmentSpec) -> ScoringCode:
    config = spec.data.get("code_configuration")
    if config is None and environment.package:
        context = Path(str(environment.package["context"]))
        return ScoringCode(folder=context / "code", scoring_script=str(environment.package["scoring_script"]))
    if not isinstance(config, dict) or not config.get("scoring_script"):
        raise AzSpecError(
            "invalid online deployment specification: a deployment with `environment:` needs "
            "code_configuration with a scoring script (only an MLflow model deploys without both)",
            spec.location(),
            hint="add code_configuration: {code: <folder>, scoring_script: score.py}",
            field="code_configuration",
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


def _resolve_environment(ctx: Context, spec: Spec) -> EnvironmentSpec:
    value = spec.data.get("environment")
    if value is None:
        raise AzSpecError(
            "invalid online deployment specification: a deployment with code_configuration needs "
            "`environment:` (only an MLflow model deploys without both)",
            spec.location(),
            hint="set environment: azureml:<name>@latest with a conda_file listing the scoring dependencies",
            field="environment",
        )
    return resolve_environment(ctx, value, spec.base_dir, spec.location("environment"))


def _no_code(spec: Spec, model: ResolvedModel, workdir: Path) -> tuple[EnvironmentSpec, ScoringCode]:
    """What Azure ML generates for an MLflow model deployed with neither environment nor scoring
    script: an environment from the model's own conda specification (plus what serving needs) and a
    scoring script with Azure's request/response contract for MLflow models (`mlflow_score.py`)."""
    if model.model_type != "mlflow_model":
        raise AzSpecError(
            "invalid online deployment specification: a deployment without environment and "
            f"code_configuration needs an MLflow model; {model.name}:{model.version} is a {model.model_type}",
            spec.location("model"),
            hint="add environment: and code_configuration: (a scoring script), or register the model with "
            "--type mlflow_model",
            field="model",
        )
    conda = mlflow_environment(model.files)
    if conda is None:
        raise AzError(
            f"the MLflow model {model.name}:{model.version} has no conda.yaml nor requirements.txt to "
            "build its environment from",
            spec.location("model"),
            hint="log the model with mlflow.<flavor>.log_model/save_model, which writes them",
        )
    pip = next((d.get("pip") for d in conda.get("dependencies") or [] if isinstance(d, dict)), None) or []
    names = {re.split(r"[=<>!~\[; ]", str(p), maxsplit=1)[0].strip().lower() for p in pip}
    if not names & {"mlflow", "mlflow-skinny"}:  # the scoring script loads the model with MLflow
        conda = {**conda, "dependencies": [*(conda.get("dependencies") or []), {"pip": ["mlflow-skinny"]}]}
    environment = EnvironmentSpec(
        name=None,
        version=None,
        image=None,
        conda=conda,
        reference=f"(the environment of MLflow model {model.name}:{model.version})",
    )
    folder = workdir / "no-code"
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy2(MLFLOW_SCORE, folder / MLFLOW_SCORE.name)
    return environment, ScoringCode(folder=folder, scoring_script=MLFLOW_SCORE.name)


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
    ctx: Context,
    ws: Workspace,
    spec: Spec,
    *,
    all_traffic: bool = False,
    must_exist: bool = False,
    progress: Sink | None = None,
    warn: Sink | None = None,
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
    endpoints.load_endpoint(ctx, endpoint_name)
    workdir = endpoints.deployment_dir(ctx, endpoint_name, name)
    record_path = endpoints.deployment_file(ctx, endpoint_name, name)
    workdir.mkdir(parents=True, exist_ok=True)
    with locked(record_path):
        previous = read_json(record_path)
        if must_exist and previous is None:
            raise AzNotFoundError(
                f"deployment {name!r} does not exist under endpoint {endpoint_name!r}",
                hint="create it with `az ml online-deployment create`",
            )
        no_code = spec.data.get("environment") is None and spec.data.get("code_configuration") is None
        if no_code:
            model = _resolve_model(ctx, ws, spec, None, workdir)
            environment, code = _no_code(spec, model, workdir)
        else:
            environment = _resolve_environment(ctx, spec)
            code = _resolve_code(spec, environment)
            model = _resolve_model(ctx, ws, spec, environment.package, workdir)
        plan = envbuild.plan_environment(environment.conda, source=f"environment {environment.reference}")
        for message in (environment.substitution, *plan.warnings):
            if warn and message:
                warn(message)
        env_vars = {str(k): str(v) for k, v in (spec.data.get("environment_variables") or {}).items()}
        served_vars = {**env_vars, "MLFLOW_MODEL_FOLDER": model.files.name} if no_code else env_vars
        deployment = Deployment(
            spec, endpoint_name, name, environment, plan, code, model, served_vars, workdir
        )
        backend = serving_backend(progress, warn)
        started = backend.start(ctx, deployment, lambda: previous is not None and stop_deployment(previous))
        record = _record(
            ws,
            spec,
            name=name,
            endpoint_name=endpoint_name,
            environment=environment,
            model=model,
            code_dir=started.code_dir,
            scoring_script=code.scoring_script,
            env_vars=env_vars,
            previous=previous,
            local=started.local,
        )
        write_json(record_path, record)
        try:
            seconds = backend.wait_healthy(started.local)
        except AzError:
            backend.stop(started.local)
            record["provisioning_state"] = "Failed"
            write_json(record_path, record)
            raise
        record["provisioning_state"] = "Succeeded"
        record["emulator"]["healthy_seconds"] = round(seconds, 2)
        write_json(record_path, record)
    if all_traffic:
        endpoints.set_traffic(ctx, endpoint_name, {name: 100})
    return endpoints.deployment_view(record)


def show_deployment(ctx: Context, endpoint: str, name: str) -> dict[str, Any]:
    return endpoints.deployment_view(endpoints.load_deployment(ctx, endpoint, name))


def list_deployments(ctx: Context, endpoint: str) -> list[dict[str, Any]]:
    endpoints.load_endpoint(ctx, endpoint)
    return [endpoints.deployment_view(r) for r in endpoints.deployment_records(ctx, endpoint)]


def get_logs(ctx: Context, endpoint: str, name: str, lines: int | None = None) -> str:
    record = endpoints.load_deployment(ctx, endpoint, name)
    return deployment_log(record, lines if lines is not None else 0)


def delete_deployment(ctx: Context, endpoint: str, name: str) -> None:
    """Stop the server (a container is removed), drop the deployment from the traffic map, remove it."""
    record = endpoints.load_deployment(ctx, endpoint, name)
    path = endpoints.deployment_file(ctx, endpoint, name)
    with locked(path):
        stop_deployment(record)
    endpoint_path = endpoints.endpoint_file(ctx, endpoint)
    with locked(endpoint_path):
        current = endpoints.load_endpoint(ctx, endpoint)
        traffic = dict(current.get("traffic") or {})
        if name in traffic:
            traffic.pop(name)
            current["traffic"] = traffic
            endpoints.save_endpoint(ctx, endpoint, current)
    shutil.rmtree(endpoints.deployment_dir(ctx, endpoint, name), ignore_errors=True)
