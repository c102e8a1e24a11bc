"""Batch endpoints and deployments: records, and `invoke` as a local batch scoring job.

A batch endpoint is a record in `azureml_dir()/batch-endpoints/<name>/endpoint.json`, its deployments
records beside it (with a copy of their scoring code). Nothing serves them: `az ml batch-endpoint
invoke` runs a job on this machine (see `batch_driver.py` for the `init()`/`run(mini_batch)` contract and
the MLflow no-code scoring), with the deployment's environment (isolated, or the emulator's Python with
`MLOPS_JOB_ENV_MANAGER=local`), writing `predictions.csv` to the job's output `score`. The job is an
ordinary job record: `az ml job show|stream|download` work on it.

Mini-batches run one after the other in one process: `resources.instance_count` and
`max_concurrency_per_instance` are recorded, not applied.
"""

from __future__ import annotations

import shlex
import shutil
import uuid
from pathlib import Path
from typing import Any

import yaml

from emulator.azureml.assets import job_records
from emulator.azureml.assets.endpoint_records import EndpointRecords
from emulator.azureml.assets.environments import resolve_environment
from emulator.azureml.assets.models import mlflow_environment, resolve_model
from emulator.azureml.assets.names import check_endpoint_name, generate_job_name
from emulator.azureml.assets.records import locked, read_json, utc_now, write_json
from emulator.azureml.assets.snapshots import code_filter
from emulator.azureml.assets.workspace import Workspace, creation_context
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.compute import bindings, jobs, runtimes
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzArgumentError, AzError, AzNotEmulatedError, AzNotFoundError, AzSpecError

DRIVER = Path(__file__).with_name("batch_driver.py")
OUTPUT_NAME = "score"


def load_endpoint(ctx: Context, name: str) -> dict[str, Any]:
    return EndpointRecords.batch(ctx).endpoints.load(name)


def load_deployment(ctx: Context, endpoint: str, name: str) -> dict[str, Any]:
    return EndpointRecords.batch(ctx).load_deployment(endpoint, name)


def create_endpoint(ctx: Context, ws: Workspace, spec: Spec, *, name: str | None = None) -> dict[str, Any]:
    """Create (or update in place) a batch endpoint record."""
    endpoint_name = check_endpoint_name(str(name or spec.data.get("name") or ""), "batch endpoint")
    path = EndpointRecords.batch(ctx).endpoints.path(endpoint_name)
    with locked(path):
        previous = read_json(path) or {}
        created = (previous.get("creation_context") or {}).get("created_at") or utc_now()
        defaults = dict(previous.get("defaults") or {"deployment_name": None})
        wanted = (spec.data.get("defaults") or {}).get("deployment_name")
        if wanted:
            _check_deployment(ctx, endpoint_name, str(wanted))
            defaults["deployment_name"] = str(wanted)
        record: dict[str, Any] = {
            "auth_mode": str(spec.data.get("auth_mode", "aad_token")),
            "creation_context": creation_context(created, utc_now()),
            "defaults": defaults,
            "description": spec.data.get("description"),
            "id": ws.resource_id("batchEndpoints", endpoint_name),
            "location": ws.location,
            "name": endpoint_name,
            "properties": {"emulator.source_file": str(spec.path)},
            "provisioning_state": "Succeeded",
            "resourceGroup": ws.resource_group,
            "scoring_uri": f"local://batch-endpoints/{endpoint_name}/jobs",
            "tags": {str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
        }
        write_json(path, record)
    return record


def _check_deployment(ctx: Context, endpoint: str, name: str) -> None:
    if EndpointRecords.batch(ctx).deployments(endpoint).get(name) is None:
        raise AzError(
            f"batch endpoint {endpoint!r} has no deployment {name!r} to make the default",
            hint=f"create it with `az ml batch-deployment create -e {endpoint} --file <deployment.yml>`",
        )


def set_default(ctx: Context, endpoint: str, deployment: str) -> dict[str, Any]:
    path = EndpointRecords.batch(ctx).endpoints.path(endpoint)
    with locked(path):
        record = load_endpoint(ctx, endpoint)
        _check_deployment(ctx, endpoint, deployment)
        record["defaults"] = {"deployment_name": deployment}
        write_json(path, record)
    return record


def list_endpoints(ctx: Context) -> list[dict[str, Any]]:
    return EndpointRecords.batch(ctx).endpoints.all()


def delete_endpoint(ctx: Context, name: str) -> None:
    path = EndpointRecords.batch(ctx).endpoints.path(name)
    with locked(path):
        load_endpoint(ctx, name)
        shutil.rmtree(path.parent, ignore_errors=True)
    path.with_name(path.name + ".lock").unlink(missing_ok=True)


def create_deployment(
    ctx: Context,
    ws: Workspace,
    spec: Spec,
    *,
    set_default_deployment: bool = False,
    must_exist: bool = False,
) -> dict[str, Any]:
    """Record a batch deployment: its model, scoring code (copied), environment and settings."""
    name = check_endpoint_name(str(spec.data.get("name") or ""), "deployment")
    endpoint_name = str(spec.data.get("endpoint_name") or "")
    if not endpoint_name:
        raise AzSpecError(
            "invalid batch deployment specification: endpoint_name: the deployment names no endpoint",
            spec.location(),
            hint="add `endpoint_name:` to the YAML or pass --endpoint-name/-e",
        )
    load_endpoint(ctx, endpoint_name)
    path = EndpointRecords.batch(ctx).deployments(endpoint_name).path(name)
    if must_exist and read_json(path) is None:
        raise AzNotFoundError(
            f"deployment {name!r} does not exist under batch endpoint {endpoint_name!r}",
            hint="create it with `az ml batch-deployment create`",
        )
    model_ref = spec.data.get("model")
    if not isinstance(model_ref, str):
        raise AzSpecError(
            "invalid batch deployment specification: model: expected azureml:<name>:<version> "
            "(inline models are not emulated for batch deployments)",
            spec.location("model"),
            field="model",
        )
    model = resolve_model(ctx, model_ref, spec.location("model"))
    config = spec.data.get("code_configuration")
    scoring_script: str | None = None
    code_source: Path | None = None
    if isinstance(config, dict) and config.get("scoring_script"):
        code_source = (spec.base_dir / str(config.get("code", "."))).resolve()
        scoring_script = str(config["scoring_script"])
        if not (code_source / scoring_script).is_file():
            raise AzSpecError(
                "invalid batch deployment specification: code_configuration.scoring_script: "
                f"no such file: {code_source / scoring_script}",
                spec.location("code_configuration", "scoring_script"),
                hint="scoring_script is relative to code_configuration.code, relative to the YAML file",
                field="code_configuration.scoring_script",
            )
    elif model.model_type != "mlflow_model":
        raise AzSpecError(
            "invalid batch deployment specification: a deployment without code_configuration needs an "
            f"MLflow model; {model.name}:{model.version} is a {model.model_type}",
            spec.location("model"),
            hint="add code_configuration with a scoring script (init()/run(mini_batch)), or register the "
            "model with --type mlflow_model",
        )
    environment = spec.data.get("environment")
    if spec.data.get("type") == "pipeline":
        raise AzNotEmulatedError(
            "pipeline component batch deployments are not emulated yet (model deployments are)",
            spec.location("type"),
        )
    if environment is not None and not isinstance(environment, str):
        environment = _inline_environment(environment, spec)
    if environment is None and scoring_script is not None:
        raise AzSpecError(
            "invalid batch deployment specification: environment: a deployment with a scoring script needs "
            "an environment",
            spec.location(),
            field="environment",
        )
    if isinstance(environment, str):  # registered, or one Azure ML provides: refused now if neither
        resolve_environment(ctx, environment, spec.base_dir, spec.location("environment"))
    folder = EndpointRecords.batch(ctx).deployments(endpoint_name).folder(name)
    folder.mkdir(parents=True, exist_ok=True)
    code_dir: Path | None = None
    if code_source is not None:
        code_dir = folder / "code"
        staging = folder / f".code-{uuid.uuid4().hex[:8]}"
        shutil.copytree(code_source, staging, ignore=code_filter(code_source, ctx.home, folder))
        if code_dir.exists():
            shutil.rmtree(code_dir)
        staging.rename(code_dir)
    raw_settings = spec.data.get("settings")
    block: dict[str, Any] = raw_settings if isinstance(raw_settings, dict) else {}
    settings = {
        key: block.get(key, spec.data.get(key))
        for key in (
            "mini_batch_size",
            "output_action",
            "output_file_name",
            "error_threshold",
            "logging_level",
            "max_concurrency_per_instance",
            "retry_settings",
        )
        if block.get(key, spec.data.get(key)) is not None
    }
    previous = read_json(path) or {}
    created = (previous.get("creation_context") or {}).get("created_at") or utc_now()
    record: dict[str, Any] = {
        "code_configuration": {"code": str(code_dir), "scoring_script": scoring_script} if code_dir else None,
        "compute": spec.data.get("compute"),
        "creation_context": creation_context(created, utc_now()),
        "description": spec.data.get("description"),
        "endpoint_name": endpoint_name,
        "environment": environment,
        "environment_variables": {
            str(k): str(v) for k, v in (spec.data.get("environment_variables") or {}).items()
        },
        "error_threshold": int(str(settings["error_threshold"])) if "error_threshold" in settings else -1,
        "id": ws.resource_id(f"batchEndpoints/{endpoint_name}/deployments", name),
        "logging_level": str(settings.get("logging_level", "info")),
        "max_concurrency_per_instance": int(settings.get("max_concurrency_per_instance") or 1),
        "mini_batch_size": int(settings.get("mini_batch_size") or 10),
        "model": ws.asset_id("models", model.name, model.version),
        "name": name,
        "output_action": str(settings.get("output_action", "append_row")).lower(),
        "output_file_name": str(settings.get("output_file_name", "predictions.csv")),
        "properties": {"emulator.source_file": str(spec.path)},
        "provisioning_state": "Succeeded",
        "resourceGroup": ws.resource_group,
        "resources": spec.data.get("resources") or {"instance_count": 1},
        "retry_settings": settings.get("retry_settings") or {"max_retries": 3, "timeout": 30},
        "tags": {str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
        "type": str(spec.data.get("type", "model")),
        "emulator": {
            "model_dir": str(model.model_dir),
            "model_files": str(model.files),
            "note": "runs as a local job on `invoke`; mini-batches run one after the other",
        },
    }
    with locked(path):
        write_json(path, record)
    if set_default_deployment:
        set_default(ctx, endpoint_name, name)
    return record


def _inline_environment(value: Any, spec: Spec) -> dict[str, Any]:
    """An inline environment with its conda file read now (the deployment record keeps the content)."""
    if not isinstance(value, dict):
        raise AzSpecError("environment: expected a reference or a mapping", spec.location("environment"))
    result = dict(value)
    conda = value.get("conda_file")
    if isinstance(conda, str):
        conda_path = (spec.base_dir / conda).resolve()
        try:
            result["conda_file"] = yaml.safe_load(conda_path.read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            raise AzSpecError(
                f"environment.conda_file: cannot read {conda_path}: {exc}", spec.location("environment")
            ) from None
    return result


def list_deployment_views(ctx: Context, endpoint: str) -> list[dict[str, Any]]:
    load_endpoint(ctx, endpoint)
    return EndpointRecords.batch(ctx).deployments(endpoint).all()


def delete_deployment(ctx: Context, endpoint: str, name: str) -> None:
    load_deployment(ctx, endpoint, name)
    path = EndpointRecords.batch(ctx).endpoints.path(endpoint)
    with locked(path):
        record = load_endpoint(ctx, endpoint)
        if (record.get("defaults") or {}).get("deployment_name") == name:
            record["defaults"] = {"deployment_name": None}
            write_json(path, record)
    shutil.rmtree(EndpointRecords.batch(ctx).deployments(endpoint).folder(name), ignore_errors=True)


def _runtime_for(
    ctx: Context,
    deployment: dict[str, Any],
    warn: Sink | None,
    progress: Sink | None,
) -> runtimes.Runtime:
    environment = deployment.get("environment")
    if environment is not None:
        return runtimes.prepare_runtime(ctx, environment, Path("/"), None, warn=warn, progress=progress)
    # MLflow no-code: Azure ML builds the environment from the model's own conda.yaml
    files = Path(str((deployment.get("emulator") or {}).get("model_files", "")))
    conda = mlflow_environment(files) if files.is_dir() else None
    inline = {"conda_file": conda} if conda else None
    if inline is None and warn is not None:
        warn(
            "the MLflow model has no conda.yaml nor requirements.txt; batch scoring runs with the "
            "emulator's Python"
        )
    return runtimes.prepare_runtime(ctx, inline, Path("/"), None, warn=warn, progress=progress)


def invoke(
    ctx: Context,
    ws: Workspace,
    endpoint: str,
    *,
    input_path: str,
    input_type: str | None = None,
    deployment: str | None = None,
    experiment: str | None = None,
    mini_batch_size: int | None = None,
    cwd: Path,
    log: Sink | None = None,
    warn: Sink | None = None,
    progress: Sink | None = None,
) -> dict[str, Any]:
    """Run the batch scoring job now; returns its job record (JobFailedError if it fails)."""
    record = load_endpoint(ctx, endpoint)
    chosen = deployment or (record.get("defaults") or {}).get("deployment_name")
    if not chosen:
        raise AzError(
            f"batch endpoint {endpoint!r} has no default deployment",
            hint="pass --deployment-name, or create the deployment with --set-default "
            f"(or `az ml batch-endpoint update -n {endpoint} --set defaults.deployment_name=<dep>`)",
        )
    dep = load_deployment(ctx, endpoint, str(chosen))
    local = bindings.resolve_data_path(ctx, input_path, input_type or "", cwd, "argument --input", None)
    kind = input_type or ("uri_file" if local.is_file() else "uri_folder")
    if kind not in ("uri_file", "uri_folder"):
        raise AzArgumentError(
            f"argument --input-type: invalid choice: {kind!r}", expected="uri_file, uri_folder"
        )
    local = bindings.resolve_data_path(ctx, input_path, kind, cwd, "argument --input", None)
    name = job_records.check_new_job_name(ctx, generate_job_name())
    runtime = _runtime_for(ctx, dep, warn, progress)
    code = dep.get("code_configuration") or {}
    script = Path(str(code["code"])) / str(code["scoring_script"]) if code.get("scoring_script") else None
    model_dir = str((dep.get("emulator") or {}).get("model_dir"))
    # the driver runs from a folder of its own: beside this module, `jobs.py` & co. would shadow
    # the libraries of the same name for the scoring script
    driver = EndpointRecords.batch(ctx).deployments(endpoint).folder(str(chosen)) / "runtime" / DRIVER.name
    driver.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(DRIVER, driver)
    parts = [
        "python",
        shlex.quote(str(driver)),
        "--input ${{inputs.input_data}}",
        "--output ${{outputs.score}}",
        "--model-dir",
        shlex.quote(model_dir),
        "--mini-batch-size",
        str(mini_batch_size or dep.get("mini_batch_size") or 10),
        "--output-action",
        shlex.quote(str(dep.get("output_action", "append_row"))),
        "--output-file-name",
        shlex.quote(str(dep.get("output_file_name", "predictions.csv"))),
        "--error-threshold",
        str(dep.get("error_threshold", -1)),
    ]
    if script is not None:
        parts += ["--scoring-script", f"{shlex.quote(script.name)}"]
    environment_variables = {**dict(dep.get("environment_variables") or {}), "AZUREML_MODEL_DIR": model_dir}
    job = jobs.CommandJob(
        name=name,
        command=" ".join(parts),
        code=Path(str(code["code"])) if code.get("code") else None,
        inputs=(
            bindings.JobInput(
                "input_data",
                str(local),
                True,
                {"type": kind, "path": input_path, "mode": "ro_mount", "local_path": str(local)},
            ),
        ),
        outputs={OUTPUT_NAME: {"type": "uri_folder"}},
        environment=dep.get("environment") if isinstance(dep.get("environment"), str) else None,
        environment_variables=environment_variables,
        experiment=experiment or endpoint,
        display_name=f"batchjob-{uuid.uuid4().hex[:8]}",
        description=f"Batch scoring with deployment {chosen} of endpoint {endpoint}",
        tags={
            "azureml.batchrun": "true",
            "azureml.jobtype": "azureml.batchjob",
            "azureml.endpoint": endpoint,
            "azureml.deployment": str(chosen),
        },
        compute=dep.get("compute") or "local",
        resources=dep.get("resources"),
        job_type="pipeline",
        extra={"emulator_batch": {"endpoint": endpoint, "deployment": chosen, "input_type": kind}},
    )
    return jobs.run_command_job(ctx, ws, job, runtime, log=log, progress=progress)


def list_jobs(ctx: Context, endpoint: str) -> list[dict[str, Any]]:
    load_endpoint(ctx, endpoint)
    records = job_records.list_jobs(ctx)
    return [r for r in records if (r.get("tags") or {}).get("azureml.endpoint") == endpoint]
