"""The emulated `az` commands: their options (as the real CLI spells them) and thin handlers.

Handlers only translate arguments into calls on the core modules (jobs, models, endpoints…) and
return the result to render; they never print (progress and warnings go through the Invocation).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from emulator.azureml.assets import job_records
from emulator.azureml.assets.workspace import (
    DEFAULT_LOCATION,
    SUBSCRIPTION_ID,
    Workspace,
    account_record,
    load_defaults,
    save_defaults,
)
from emulator.azureml.assets.yamlspec import Spec, load_spec, parse_set_values, resolve_file
from emulator.azureml.cli import Command, Invocation, Option
from emulator.azureml.errors import AzArgumentError, AzError, AzNotEmulatedError

ML_EXTENSION_VERSION = "2.39.0"
NAME = Option(("--name", "-n"), "name", help="name")
NAME_REQUIRED = Option(("--name", "-n"), "name", required=True, help="name")
FILE = Option(("--file", "-f"), "file", help="local path to the YAML file")
FILE_REQUIRED = Option(("--file", "-f"), "file", required=True, help="local path to the YAML file")
SET = Option(("--set",), "set", kind="multi", help="override YAML fields: PATH=VALUE (dotted paths)")
VERSION = Option(("--version", "-v"), "version", help="version")
LABEL = Option(("--label", "-l"), "label", help="label (only 'latest')")
YES = Option(("--yes", "-y"), "yes", kind="flag", help="do not prompt for confirmation")
NO_WAIT = Option(("--no-wait",), "no_wait", kind="flag", help="accepted; the emulator always waits")
ENDPOINT = Option(("--endpoint-name", "-e"), "endpoint_name", help="online endpoint name")
ENDPOINT_REQUIRED = Option(
    ("--endpoint-name", "-e"), "endpoint_name", required=True, help="online endpoint name"
)


def _spec(inv: Invocation, kind: str, extra: list[tuple[str, Any]] | None = None) -> Spec:
    path = resolve_file(str(inv.arg("file")), inv.cwd)
    overrides = parse_set_values(inv.arg("set"))
    return load_spec(kind, path, overrides + (extra or []))


def _confirm(inv: Invocation, what: str) -> None:
    """az prompts before deleting; without a terminal it refuses unless --yes is given."""
    if inv.arg("yes"):
        return
    if not sys.stdin.isatty():
        raise AzArgumentError(
            "Unable to prompt for confirmation as no tty available. Use --yes.",
            hint=f"add --yes to delete {what} without a prompt",
        )
    inv.stderr.write(f"Are you sure you want to delete {what}? (y/n): ")
    inv.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise AzError("Operation cancelled.")


# --- az extension / login / account / configure / version -------------------------------------


def _extension_record() -> dict[str, Any]:
    return {
        "experimental": False,
        "extensionType": "whl",
        "name": "ml",
        "path": str(Path(__file__).parent),
        "preview": False,
        "version": ML_EXTENSION_VERSION,
        "metadata": {"summary": "Azure ML CLI v2, emulated locally by the MLOps emulator"},
    }


def _check_extension(name: str) -> None:
    if name != "ml":
        raise AzNotEmulatedError(
            f"the extension {name!r} is not emulated; only 'ml' (Azure ML CLI v2) is",
        )


def extension_add(inv: Invocation) -> Any:
    _check_extension(str(inv.arg("name", "")))
    return None


def extension_show(inv: Invocation) -> Any:
    _check_extension(str(inv.arg("name", "")))
    return _extension_record()


def extension_list(inv: Invocation) -> Any:
    return [_extension_record()]


def login(inv: Invocation) -> Any:
    inv.warn("the Azure ML emulator needs no login: every command runs locally against the state folder")
    return [account_record(inv.options.get("subscription"))]


def account_show(inv: Invocation) -> Any:
    return account_record(inv.options.get("subscription"))


def account_set(inv: Invocation) -> Any:
    return None


def configure(inv: Invocation) -> Any:
    if inv.arg("list_defaults"):
        return [
            {"name": k, "source": "emulator config", "value": v} for k, v in sorted(load_defaults().items())
        ]
    pairs = inv.arg("defaults") or []
    if not pairs:
        raise AzArgumentError(
            "az configure is only emulated with --defaults KEY=VALUE ... or --list-defaults",
            hint="for example: az configure --defaults group=my-rg workspace=my-ws",
        )
    values: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise AzArgumentError(f"argument --defaults: expected KEY=VALUE, got {pair!r}")
        values[key.strip()] = value.strip()
    save_defaults(values)
    return None


def version(inv: Invocation) -> Any:
    return {"azure-cli": "2.67.0", "emulated": True, "extensions": {"ml": ML_EXTENSION_VERSION}}


# --- az ml job -----------------------------------------------------------------------------------


def job_create(inv: Invocation) -> Any:
    from emulator.azureml.compute import submit

    ws = inv.workspace()
    extra: list[tuple[str, Any]] = []
    if inv.arg("name"):
        extra.append(("name", inv.arg("name")))
    if inv.arg("experiment_name"):
        extra.append(("experiment_name", inv.arg("experiment_name")))
    spec = _spec(inv, "job", extra)
    sink = inv.stream_sink() if inv.arg("stream") else None
    return submit.create_job(
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
    return job_records.load_job(str(inv.arg("name")))


def job_list(inv: Invocation) -> Any:

    inv.workspace()
    records = job_records.list_jobs(parent=inv.arg("parent_job_name"))
    limit = inv.arg("max_results")
    if limit is not None and not inv.arg("all_results"):
        records = records[: int(limit)]
    return records


def job_stream(inv: Invocation) -> Any:

    inv.workspace()
    text = job_records.job_log(str(inv.arg("name")))
    inv.stdout.write(text)
    record = job_records.load_job(str(inv.arg("name")))
    if record.get("status") in ("Failed", "Canceled"):
        raise AzError(f"Execution failed. Job {record['name']} {str(record['status']).lower()}.")
    return None


def job_cancel(inv: Invocation) -> Any:
    from emulator.azureml.compute import jobs

    inv.workspace()
    jobs.cancel_job(str(inv.arg("name")))
    return None


def job_download(inv: Invocation) -> Any:
    from emulator.azureml.compute import jobs

    inv.workspace()
    target = Path(str(inv.arg("download_path", ".")))
    if not target.is_absolute():
        target = inv.cwd / target
    written = jobs.download_job(
        str(inv.arg("name")), target, output_name=inv.arg("output_name"), everything=bool(inv.arg("all"))
    )
    for folder in written:
        inv.progress(f"Downloaded to {folder}\n")
    return None


# --- az ml environment ---------------------------------------------------------------------------


def environment_create(inv: Invocation) -> Any:
    from emulator.azureml.assets import environments

    ws = inv.workspace()
    extra = [(k, inv.arg(k)) for k in ("name", "version") if inv.arg(k)]
    spec = _spec(inv, "environment", extra)
    return environments.create_environment(ws, spec, name=inv.arg("name"), version=inv.arg("version"))


def environment_show(inv: Invocation) -> Any:
    from emulator.azureml.assets import environments

    inv.workspace()
    if inv.arg("version") is None and inv.arg("label") is None:
        raise AzArgumentError("either --version/-v or --label/-l is required")
    return environments.show_environment(str(inv.arg("name")), inv.arg("version"), inv.arg("label"))


def environment_list(inv: Invocation) -> Any:
    from emulator.azureml.assets import environments

    inv.workspace()
    return environments.list_environments(inv.arg("name"))


# --- az ml model ---------------------------------------------------------------------------------


def _tags(values: list[str] | None) -> dict[str, str]:
    tags: dict[str, str] = {}
    for item in values or []:
        key, _, value = item.partition("=")
        tags[key] = value
    return tags


def model_create(inv: Invocation) -> Any:
    from emulator.azureml.assets import models

    ws = inv.workspace()
    name, path, model_type = inv.arg("name"), inv.arg("path"), inv.arg("type")
    version, description = inv.arg("version"), inv.arg("description")
    tags = _tags(inv.arg("tags"))
    base = inv.cwd
    if inv.arg("file"):
        spec = _spec(inv, "model")
        data = spec.data
        name = name or data.get("name")
        model_type = model_type or data.get("type")
        version = version or (str(data["version"]) if data.get("version") is not None else None)
        description = description or data.get("description")
        tags = {**{str(k): str(v) for k, v in (data.get("tags") or {}).items()}, **tags}
        if path is None and data.get("path") is not None:
            path = str(data["path"])
            base = spec.base_dir
    if not name:
        raise AzArgumentError("the following arguments are required: --name/-n")
    if not path:
        raise AzArgumentError("the following arguments are required: --path/-p")
    return models.create_model(
        ws,
        name=str(name),
        path=str(path),
        model_type=str(model_type or "custom_model"),
        version=version,
        description=description,
        tags=tags,
        cwd=base,
    )


def model_show(inv: Invocation) -> Any:
    from emulator.azureml.assets import models

    return models.show_model(inv.workspace(), str(inv.arg("name")), inv.arg("version"), inv.arg("label"))


def model_list(inv: Invocation) -> Any:
    from emulator.azureml.assets import models

    return models.list_models(inv.workspace(), inv.arg("name"), bool(inv.arg("include_archived")))


def _updates(inv: Invocation) -> tuple[str | None, dict[str, str], list[str]]:
    """(description, tags to set, tags to remove) from --set PATH=VALUE, --tags K=V and --remove tags.K."""
    description = inv.arg("description")
    tags = _tags(inv.arg("tags"))
    for key, value in parse_set_values(inv.arg("set")):
        if key == "description":
            description = "" if value is None else str(value)
        elif key == "tags" and isinstance(value, dict):
            tags.update({str(k): str(v) for k, v in value.items()})
        elif key.startswith("tags."):
            tags[key[len("tags.") :]] = str(value)
        else:
            raise AzArgumentError(
                f"argument --set: {key!r} cannot be updated",
                hint="only description and tags (tags.<key>=<value>) of a version can change",
            )
    removed = []
    for item in inv.arg("remove") or []:
        if not item.startswith("tags."):
            raise AzArgumentError(f"argument --remove: {item!r} cannot be removed", expected="tags.<key>")
        removed.append(item[len("tags.") :])
    return description, tags, removed


def model_update(inv: Invocation) -> Any:
    from emulator.azureml.assets import models

    ws = inv.workspace()
    description, tags, removed = _updates(inv)
    return models.update_model(
        ws,
        str(inv.arg("name")),
        str(inv.arg("version")),
        description=description,
        tags=tags,
        remove_tags=removed,
    )


def model_archive(inv: Invocation, archived: bool = True) -> Any:
    from emulator.azureml.assets import models

    inv.workspace()
    models.set_archived(str(inv.arg("name")), inv.arg("version"), archived)
    return None


def model_restore(inv: Invocation) -> Any:
    return model_archive(inv, archived=False)


# --- az ml data ----------------------------------------------------------------------------------


def data_create(inv: Invocation) -> Any:
    from emulator.azureml.assets import data

    ws = inv.workspace()
    name, path, kind = inv.arg("name"), inv.arg("path"), inv.arg("type")
    version, description = inv.arg("version"), inv.arg("description")
    tags = _tags(inv.arg("tags"))
    base, source = inv.cwd, None
    if inv.arg("file"):
        extra = [(k, inv.arg(k)) for k in ("name", "version", "path", "type", "description") if inv.arg(k)]
        spec = _spec(inv, "data", extra)
        values = spec.data
        name = name or values.get("name")
        kind = kind or values.get("type")
        version = version or (str(values["version"]) if values.get("version") is not None else None)
        description = description or values.get("description")
        tags = {**{str(k): str(v) for k, v in (values.get("tags") or {}).items()}, **tags}
        if path is None and values.get("path") is not None:
            path = str(values["path"])
            base = spec.base_dir
        source = str(spec.path)
    if not name:
        raise AzArgumentError("the following arguments are required: --name/-n")
    if not path:
        raise AzArgumentError("the following arguments are required: --path/-p")
    return data.create_data(
        ws,
        name=str(name),
        path=str(path),
        kind=str(kind or "uri_folder"),
        version=str(version) if version is not None else None,
        description=description,
        tags=tags,
        base=base,
        source_file=source,
    )


def data_show(inv: Invocation) -> Any:
    from emulator.azureml.assets import data

    inv.workspace()
    return data.show_data(str(inv.arg("name")), inv.arg("version"), inv.arg("label"))


def data_list(inv: Invocation) -> Any:
    from emulator.azureml.assets import data

    inv.workspace()
    return data.list_data(inv.arg("name"), bool(inv.arg("include_archived")))


def data_archive(inv: Invocation, archived: bool = True) -> Any:
    from emulator.azureml.assets import data

    inv.workspace()
    data.set_archived(str(inv.arg("name")), inv.arg("version"), archived)
    return None


def data_restore(inv: Invocation) -> Any:
    return data_archive(inv, archived=False)


# --- az group / az ml workspace / az ml compute (records only) ----------------------------------


def _group_name(inv: Invocation) -> str:
    name = inv.arg("name") or inv.options.get("resource_group")
    if not name:
        raise AzArgumentError("the following arguments are required: --name/--resource-group/-n/-g")
    return str(name)


def group_create(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    location = inv.arg("location")
    if not location:
        raise AzArgumentError("the following arguments are required: --location/-l")
    return workspace.create_group(
        _group_name(inv), str(location), _tags(inv.arg("tags")), inv.options.get("subscription")
    )


def group_show(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    return workspace.show_group(_group_name(inv))


def group_exists(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    return workspace.group_exists(_group_name(inv))


def group_list(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    return workspace.list_groups()


def group_delete(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    name = _group_name(inv)
    workspace.show_group(name)
    _confirm(
        inv, f"resource group {name} (records only: endpoints, jobs and models stay in the state folder)"
    )
    workspace.delete_group(name)
    return None


def _workspace_target(inv: Invocation) -> Workspace:
    """The workspace `az ml workspace …` addresses: -n (else -w, else the default), -g (else default)."""
    defaults = load_defaults()
    name = inv.arg("name") or inv.options.get("workspace_name") or defaults.get("workspace")
    group = inv.options.get("resource_group") or defaults.get("group")
    if not name:
        raise AzArgumentError(
            "the following arguments are required: --name/-n",
            hint="or set a default with `az configure --defaults workspace=<name>`",
        )
    if not group:
        raise AzArgumentError(
            "the following arguments are required: --resource-group/-g",
            hint="or set a default with `az configure --defaults group=<name>`",
        )
    return Workspace(
        subscription=inv.options.get("subscription") or SUBSCRIPTION_ID,
        resource_group=str(group),
        name=str(name),
        location=str(inv.arg("location") or defaults.get("location", DEFAULT_LOCATION)),
    )


def workspace_show(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    ws = _workspace_target(inv)
    return workspace.show_workspace(ws.name, ws.resource_group, inv.options.get("subscription"))


def workspace_create(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    extra: dict[str, Any] = {}
    if inv.arg("file"):
        spec = _spec(inv, "workspace", [("name", inv.arg("name"))] if inv.arg("name") else [])
        for key in ("name", "location", "display_name", "description", "tags", "hbi_workspace"):
            if spec.data.get(key) is not None:
                extra[key] = spec.data[key]
        if spec.data.get("resource_group") and not inv.options.get("resource_group"):
            inv.options["resource_group"] = spec.data["resource_group"]
        if not inv.arg("name") and extra.get("name"):
            inv.args["name"] = extra["name"]
    for key in ("location", "display_name", "description"):
        if inv.arg(key):
            extra[key] = inv.arg(key)
    if inv.arg("tags"):
        extra["tags"] = _tags(inv.arg("tags"))
    ws = _workspace_target(inv)
    extra.pop("name", None)
    inv.warn(f"workspace {ws.name} is a record: {workspace.WORKSPACE_NOTE}")
    return workspace.create_workspace(ws, extra)


def workspace_list(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    return workspace.list_workspaces(inv.options.get("resource_group"))


def workspace_delete(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    ws = _workspace_target(inv)
    workspace.show_workspace(ws.name, ws.resource_group)
    _confirm(inv, f"workspace {ws.name}")
    workspace.delete_workspace(ws.name, ws.resource_group)
    return None


def compute_create(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    ws = inv.workspace()
    values: dict[str, Any] = {}
    if inv.arg("file"):
        spec = _spec(inv, "compute", [("name", inv.arg("name"))] if inv.arg("name") else [])
        values.update(spec.data)
    flags = {
        "name": "name",
        "type": "type",
        "size": "size",
        "min_instances": "min_instances",
        "max_instances": "max_instances",
        "idle_time_before_scale_down": "idle_time_before_scale_down",
        "tier": "tier",
        "location": "location",
        "description": "description",
    }
    for dest, key in flags.items():
        if inv.arg(dest) is not None:
            values[key] = inv.arg(dest)
    for key in ("min_instances", "max_instances", "idle_time_before_scale_down"):
        if values.get(key) is not None and not str(values[key]).isdigit():
            raise AzArgumentError(f"argument --{key.replace('_', '-')}: invalid int value: {values[key]!r}")
    if not values.get("name"):
        raise AzArgumentError("the following arguments are required: --name/-n (or --file)")
    if inv.arg("tags"):
        values["tags"] = _tags(inv.arg("tags"))
    inv.warn(f"compute {values['name']} is a record only: {workspace.COMPUTE_NOTE}")
    return workspace.create_compute(ws, values)


def compute_show(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    return workspace.show_compute(inv.workspace(), str(inv.arg("name")))


def compute_list(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    return workspace.list_computes(inv.workspace(), inv.arg("type"))


def compute_delete(inv: Invocation) -> Any:
    from emulator.azureml.assets import workspace

    ws = inv.workspace()
    workspace.show_compute(ws, str(inv.arg("name")))
    _confirm(inv, f"compute {inv.arg('name')}")
    workspace.delete_compute(ws, str(inv.arg("name")))
    return None


def model_package(inv: Invocation) -> Any:
    from emulator.azureml.serving import packaging

    ws = inv.workspace()
    spec = _spec(inv, "model_package")
    inv.warn("This command is in preview (az ml model package); the emulator writes a Docker build context.")
    return packaging.package_model(ws, name=str(inv.arg("name")), version=inv.arg("version"), spec=spec)


# --- az ml online-endpoint ------------------------------------------------------------------------


def endpoint_create(inv: Invocation) -> Any:
    from emulator.azureml.serving import endpoints

    ws = inv.workspace()
    extra = [("name", inv.arg("name"))] if inv.arg("name") else []
    spec = _spec(inv, "online_endpoint", extra)
    return endpoints.create_endpoint(ws, spec, name=inv.arg("name"))


def endpoint_show(inv: Invocation) -> Any:
    from emulator.azureml.serving import endpoints

    inv.workspace()
    return endpoints.show_endpoint(str(inv.arg("name")))


def endpoint_list(inv: Invocation) -> Any:
    from emulator.azureml.serving import endpoints

    inv.workspace()
    return endpoints.list_endpoint_views()


def endpoint_delete(inv: Invocation) -> Any:
    from emulator.azureml.serving import endpoints

    inv.workspace()
    name = str(inv.arg("name"))
    endpoints.load_endpoint(name)
    _confirm(inv, f"online endpoint {name} and all its deployments")
    endpoints.delete_endpoint(name)
    return None


def endpoint_update(inv: Invocation) -> Any:
    from emulator.azureml.serving import endpoints

    ws = inv.workspace()
    name = inv.arg("name")
    if inv.arg("file"):
        extra = [("name", name)] if name else []
        spec = _spec(inv, "online_endpoint", extra)
        name = name or spec.data.get("name")
        endpoints.load_endpoint(str(name))
        endpoints.create_endpoint(ws, spec, name=str(name))
    if not name:
        raise AzArgumentError("the following arguments are required: --name/-n (or --file)")
    traffic = endpoints.parse_traffic(str(inv.arg("traffic"))) if inv.arg("traffic") else None
    mirror = (
        endpoints.parse_traffic(str(inv.arg("mirror_traffic")), "--mirror-traffic")
        if inv.arg("mirror_traffic") is not None
        else None
    )
    return endpoints.update_endpoint(ws, str(name), traffic=traffic, mirror_traffic=mirror)


def endpoint_invoke(inv: Invocation) -> Any:
    from emulator.azureml.serving import endpoints

    inv.workspace()
    request = Path(str(inv.arg("request_file")))
    if not request.is_absolute():
        request = inv.cwd / request
    _, body = endpoints.invoke(str(inv.arg("name")), request, deployment=inv.arg("deployment_name"))
    return body


def endpoint_credentials(inv: Invocation) -> Any:
    from emulator.azureml.serving import endpoints

    inv.workspace()
    return endpoints.get_credentials(str(inv.arg("name")))


# --- az ml online-deployment ----------------------------------------------------------------------


def _deployment_overrides(inv: Invocation) -> list[tuple[str, Any]]:
    extra: list[tuple[str, Any]] = []
    if inv.arg("name"):
        extra.append(("name", inv.arg("name")))
    if inv.arg("endpoint_name"):
        extra.append(("endpoint_name", inv.arg("endpoint_name")))
    return extra


def deployment_create(inv: Invocation, must_exist: bool = False) -> Any:
    from emulator.azureml.serving import deployments

    ws = inv.workspace()
    if inv.arg("local"):
        inv.warn("--local: every deployment of the emulator runs locally already (as a process, not Docker)")
    spec = _spec(inv, "online_deployment", _deployment_overrides(inv))
    return deployments.create_deployment(
        ws,
        spec,
        all_traffic=bool(inv.arg("all_traffic")),
        must_exist=must_exist,
        progress=inv.progress,
        warn=inv.warn,
    )


def deployment_update(inv: Invocation) -> Any:
    return deployment_create(inv, must_exist=True)


def deployment_show(inv: Invocation) -> Any:
    from emulator.azureml.serving import deployments

    inv.workspace()
    return deployments.show_deployment(str(inv.arg("endpoint_name")), str(inv.arg("name")))


def deployment_list(inv: Invocation) -> Any:
    from emulator.azureml.serving import deployments

    inv.workspace()
    return deployments.list_deployments(str(inv.arg("endpoint_name")))


def deployment_logs(inv: Invocation) -> Any:
    from emulator.azureml.serving import deployments

    inv.workspace()
    lines = inv.arg("lines")
    if lines is not None and not str(lines).isdigit():
        raise AzArgumentError(f"argument --lines/-l: invalid int value: {lines!r}")
    return deployments.get_logs(
        str(inv.arg("endpoint_name")), str(inv.arg("name")), int(lines) if lines is not None else None
    )


def deployment_delete(inv: Invocation) -> Any:
    from emulator.azureml.serving import deployments, endpoints

    inv.workspace()
    endpoint, name = str(inv.arg("endpoint_name")), str(inv.arg("name"))
    endpoints.load_deployment(endpoint, name)
    _confirm(inv, f"deployment {name} of online endpoint {endpoint}")
    deployments.delete_deployment(endpoint, name)
    return None


# --- az ml batch-endpoint / batch-deployment ------------------------------------------------------


def batch_endpoint_create(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    ws = inv.workspace()
    extra = [("name", inv.arg("name"))] if inv.arg("name") else []
    spec = _spec(inv, "batch_endpoint", extra)
    return batch.create_endpoint(ws, spec, name=inv.arg("name"))


def batch_endpoint_update(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    ws = inv.workspace()
    name = inv.arg("name")
    if inv.arg("file"):
        extra = [("name", name)] if name else []
        spec = _spec(inv, "batch_endpoint", extra)
        name = name or spec.data.get("name")
        batch.load_endpoint(str(name))
        return batch.create_endpoint(ws, spec, name=str(name))
    if not name:
        raise AzArgumentError("the following arguments are required: --name/-n (or --file)")
    record = batch.load_endpoint(str(name))
    for key, value in parse_set_values(inv.arg("set")):
        if key == "defaults.deployment_name":
            record = batch.set_default(str(name), str(value))
        else:
            raise AzArgumentError(
                f"argument --set: {key!r} cannot be updated without --file",
                hint="use --set defaults.deployment_name=<deployment>, or --file <endpoint.yml>",
            )
    return record


def batch_endpoint_show(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    inv.workspace()
    return batch.load_endpoint(str(inv.arg("name")))


def batch_endpoint_list(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    inv.workspace()
    return batch.list_endpoints()


def batch_endpoint_delete(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    inv.workspace()
    name = str(inv.arg("name"))
    batch.load_endpoint(name)
    _confirm(inv, f"batch endpoint {name} and all its deployments")
    batch.delete_endpoint(name)
    return None


def batch_endpoint_invoke(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    ws = inv.workspace()
    if inv.arg("output_path"):
        raise AzNotEmulatedError(
            "--output-path is not emulated: predictions go to the job's output `score`",
            hint="fetch them with `az ml job download -n <job> --output-name score`",
        )
    if not inv.arg("input"):
        raise AzArgumentError("the following arguments are required: --input")
    size = inv.arg("mini_batch_size")
    if size is not None and not str(size).isdigit():
        raise AzArgumentError(f"argument --mini-batch-size: invalid int value: {size!r}")
    return batch.invoke(
        ws,
        str(inv.arg("name")),
        input_path=str(inv.arg("input")),
        input_type=inv.arg("input_type"),
        deployment=inv.arg("deployment_name"),
        experiment=inv.arg("experiment_name"),
        mini_batch_size=int(size) if size is not None else None,
        cwd=inv.cwd,
        log=None,
        warn=inv.warn,
        progress=inv.progress,
    )


def batch_endpoint_list_jobs(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    inv.workspace()
    return batch.list_jobs(str(inv.arg("name")))


def batch_deployment_create(inv: Invocation, must_exist: bool = False) -> Any:
    from emulator.azureml.compute import batch

    ws = inv.workspace()
    spec = _spec(inv, "batch_deployment", _deployment_overrides(inv))
    return batch.create_deployment(
        ws, spec, set_default_deployment=bool(inv.arg("set_default")), must_exist=must_exist
    )


def batch_deployment_update(inv: Invocation) -> Any:
    return batch_deployment_create(inv, must_exist=True)


def batch_deployment_show(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    inv.workspace()
    return batch.load_deployment(str(inv.arg("endpoint_name")), str(inv.arg("name")))


def batch_deployment_list(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    inv.workspace()
    return batch.list_deployment_views(str(inv.arg("endpoint_name")))


def batch_deployment_delete(inv: Invocation) -> Any:
    from emulator.azureml.compute import batch

    inv.workspace()
    endpoint, name = str(inv.arg("endpoint_name")), str(inv.arg("name"))
    batch.load_deployment(endpoint, name)
    _confirm(inv, f"deployment {name} of batch endpoint {endpoint}")
    batch.delete_deployment(endpoint, name)
    return None


BATCH_ENDPOINT = Option(("--endpoint-name", "-e"), "endpoint_name", help="batch endpoint name")
BATCH_ENDPOINT_REQUIRED = Option(
    ("--endpoint-name", "-e"), "endpoint_name", required=True, help="batch endpoint name"
)

COMMANDS: tuple[Command, ...] = (
    Command(
        ("extension", "add"),
        extension_add,
        "Install an extension (only 'ml' exists; it is built in).",
        (
            NAME_REQUIRED,
            YES,
            Option(("--upgrade",), "upgrade", kind="flag", help="accepted"),
            Option(("--version",), "ext_version", help="accepted"),
        ),
        workspace=False,
    ),
    Command(
        ("extension", "show"), extension_show, "Show the 'ml' extension.", (NAME_REQUIRED,), workspace=False
    ),
    Command(("extension", "list"), extension_list, "List extensions.", (), workspace=False),
    Command(
        ("login",),
        login,
        "No-op: the emulator needs no login.",
        (
            Option(("--service-principal",), "sp", kind="flag", help="accepted"),
            Option(("--identity",), "identity", kind="flag", help="accepted"),
            Option(("--username", "-u"), "username", help="accepted"),
            Option(("--password", "-p"), "password", help="accepted"),
            Option(("--tenant", "-t"), "tenant", help="accepted"),
            Option(("--federated-token",), "federated_token", help="accepted"),
            Option(("--allow-no-subscriptions",), "allow_no", kind="flag", help="accepted"),
        ),
        workspace=False,
    ),
    Command(("account", "show"), account_show, "Show the local fake subscription.", (), workspace=False),
    Command(
        ("account", "set"),
        account_set,
        "Accepted; the emulator has one subscription.",
        (Option(("--subscription", "-s", "--name", "-n"), "sub", help="accepted"),),
        workspace=False,
    ),
    Command(
        ("configure",),
        configure,
        "Persist defaults (group, workspace, location).",
        (
            Option(("--defaults", "-d"), "defaults", kind="multi", help="KEY=VALUE ..."),
            Option(("--list-defaults", "-l"), "list_defaults", kind="flag", help="list the defaults"),
            Option(("--scope",), "scope", help="accepted"),
        ),
        workspace=False,
    ),
    Command(("version",), version, "Show versions.", (), workspace=False),
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
    Command(
        ("ml", "environment", "create"),
        environment_create,
        "Register an environment version.",
        (FILE_REQUIRED, NAME, VERSION, SET),
    ),
    Command(
        ("ml", "environment", "show"),
        environment_show,
        "Show an environment version.",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(("ml", "environment", "list"), environment_list, "List environments.", (NAME,)),
    Command(
        ("ml", "model", "create"),
        model_create,
        "Register a model version in the MLflow registry.",
        (
            NAME,
            Option(
                ("--path", "-p"), "path", help="local path, azureml://jobs/<job>/outputs/<output> or runs:/"
            ),
            Option(
                ("--type", "-t"),
                "type",
                choices=("custom_model", "mlflow_model", "triton_model"),
                help="type",
            ),
            VERSION,
            Option(("--description", "-d"), "description", help="description"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
            FILE,
            SET,
        ),
    ),
    Command(("ml", "model", "show"), model_show, "Show a model version.", (NAME_REQUIRED, VERSION, LABEL)),
    Command(
        ("ml", "model", "list"),
        model_list,
        "List models (or the versions of one); archived versions are hidden.",
        (
            NAME,
            Option(("--include-archived",), "include_archived", kind="flag", help="list archived ones too"),
        ),
    ),
    Command(
        ("ml", "model", "update"),
        model_update,
        "Change a model version's description or tags.",
        (
            NAME_REQUIRED,
            Option(("--version", "-v"), "version", required=True, help="version"),
            SET,
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ... (added or replaced)"),
            Option(("--description", "-d"), "description", help="new description"),
            Option(("--remove",), "remove", kind="multi", help="tags.<key> to remove"),
            Option(("--add",), "add", kind="multi", help="accepted"),
        ),
    ),
    Command(
        ("ml", "model", "archive"),
        model_archive,
        "Archive a model version (or every version): hidden from list and from @latest.",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(
        ("ml", "model", "restore"),
        model_restore,
        "Restore an archived model version (or every version).",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(
        ("ml", "data", "create"),
        data_create,
        "Register a data asset version (files copied into the emulated datastore).",
        (
            NAME,
            FILE,
            SET,
            VERSION,
            Option(("--path", "-p"), "path", help="local file/folder, azureml://jobs/<job>/outputs/<o>"),
            Option(("--type", "-t"), "type", choices=("uri_file", "uri_folder", "mltable"), help="type"),
            Option(("--description", "-d"), "description", help="description"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
            Option(("--datastore",), "datastore", help="accepted (one local datastore)"),
            Option(("--skip-validation",), "skip_validation", kind="flag", help="accepted"),
        ),
    ),
    Command(("ml", "data", "show"), data_show, "Show a data asset version.", (NAME_REQUIRED, VERSION, LABEL)),
    Command(
        ("ml", "data", "list"),
        data_list,
        "List data assets (or the versions of one); archived versions are hidden.",
        (
            NAME,
            Option(("--include-archived",), "include_archived", kind="flag", help="list archived ones too"),
        ),
    ),
    Command(
        ("ml", "data", "archive"),
        data_archive,
        "Archive a data asset version (or every version).",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(
        ("ml", "data", "restore"),
        data_restore,
        "Restore an archived data asset version (or every version).",
        (NAME_REQUIRED, VERSION, LABEL),
    ),
    Command(
        ("ml", "workspace", "show"),
        workspace_show,
        "Show the workspace, with mlflow_tracking_uri = the local MLflow store.",
        (NAME,),
        workspace=False,
    ),
    Command(
        ("ml", "workspace", "create"),
        workspace_create,
        "Record a workspace (everything stays in the one local state folder).",
        (
            NAME,
            FILE,
            SET,
            Option(("--location", "-l"), "location", help="location"),
            Option(("--display-name",), "display_name", help="display name"),
            Option(("--description",), "description", help="description"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
            NO_WAIT,
            Option(("--update-dependent-resources", "-u"), "update_deps", kind="flag", help="accepted"),
        ),
        workspace=False,
    ),
    Command(("ml", "workspace", "list"), workspace_list, "List workspace records.", (), workspace=False),
    Command(
        ("ml", "workspace", "delete"),
        workspace_delete,
        "Delete a workspace record (assets in the state folder stay).",
        (
            NAME,
            YES,
            NO_WAIT,
            Option(("--all-resources",), "all_resources", kind="flag", help="accepted"),
            Option(("--permanently-delete",), "permanently_delete", kind="flag", help="accepted"),
        ),
        workspace=False,
    ),
    Command(
        ("ml", "compute", "create"),
        compute_create,
        "Record a compute target (not provisioned: jobs run on this machine).",
        (
            NAME,
            FILE,
            SET,
            NO_WAIT,
            Option(
                ("--type", "-t"),
                "type",
                choices=("amlcompute", "computeinstance", "virtualmachine", "kubernetes"),
                help="compute type",
            ),
            Option(("--size", "-s"), "size", help="VM size"),
            Option(("--min-instances",), "min_instances", help="minimum nodes"),
            Option(("--max-instances",), "max_instances", help="maximum nodes"),
            Option(("--idle-time-before-scale-down",), "idle_time_before_scale_down", help="seconds"),
            Option(("--tier",), "tier", help="dedicated or low_priority"),
            Option(("--location", "-l"), "location", help="location"),
            Option(("--description", "-d"), "description", help="description"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
        ),
    ),
    Command(("ml", "compute", "show"), compute_show, "Show a compute record.", (NAME_REQUIRED,)),
    Command(
        ("ml", "compute", "list"),
        compute_list,
        "List compute records.",
        (Option(("--type", "-t"), "type", help="only this type"),),
    ),
    Command(
        ("ml", "compute", "delete"),
        compute_delete,
        "Delete a compute record.",
        (NAME_REQUIRED, YES, NO_WAIT),
    ),
    Command(
        ("group", "create"),
        group_create,
        "Record a resource group.",
        (
            NAME,
            Option(("--location", "-l"), "location", help="location"),
            Option(("--tags",), "tags", kind="multi", help="KEY=VALUE ..."),
            Option(("--managed-by",), "managed_by", help="accepted"),
        ),
        workspace=False,
    ),
    Command(("group", "show"), group_show, "Show a resource group record.", (NAME,), workspace=False),
    Command(
        ("group", "exists"), group_exists, "true if the resource group is recorded.", (NAME,), workspace=False
    ),
    Command(("group", "list"), group_list, "List resource group records.", (), workspace=False),
    Command(
        ("group", "delete"),
        group_delete,
        "Delete a resource group record and the workspace/compute records in it.",
        (NAME, YES, NO_WAIT, Option(("--force-deletion-types", "-f"), "force", help="accepted")),
        workspace=False,
    ),
    Command(
        ("ml", "model", "package"),
        model_package,
        "Package a model as an online-servable Docker build context (preview).",
        (
            NAME_REQUIRED,
            Option(("--version", "-v"), "version", required=True, help="version"),
            FILE_REQUIRED,
            Option(("--skip-validation",), "skip_validation", kind="flag", help="accepted"),
        ),
    ),
    Command(
        ("ml", "online-endpoint", "create"),
        endpoint_create,
        "Create (or update) an online endpoint.",
        (FILE_REQUIRED, NAME, SET, NO_WAIT, Option(("--auth-mode",), "auth_mode", help="accepted")),
    ),
    Command(("ml", "online-endpoint", "show"), endpoint_show, "Show an online endpoint.", (NAME_REQUIRED,)),
    Command(("ml", "online-endpoint", "list"), endpoint_list, "List online endpoints.", ()),
    Command(
        ("ml", "online-endpoint", "delete"),
        endpoint_delete,
        "Stop all deployments of an endpoint and delete it.",
        (NAME_REQUIRED, YES, NO_WAIT),
    ),
    Command(
        ("ml", "online-endpoint", "update"),
        endpoint_update,
        "Update traffic (or the endpoint from a file).",
        (
            NAME,
            FILE,
            SET,
            NO_WAIT,
            Option(("--traffic", "-r"), "traffic", help='e.g. "blue=90 green=10"'),
            Option(("--mirror-traffic",), "mirror_traffic", help='e.g. "green=10" (copies 10% to green)'),
        ),
    ),
    Command(
        ("ml", "online-endpoint", "invoke"),
        endpoint_invoke,
        "Send a request to the endpoint and print the response.",
        (
            NAME_REQUIRED,
            Option(("--request-file", "-r"), "request_file", required=True, help="JSON request body file"),
            Option(("--deployment-name", "-d"), "deployment_name", help="route to this deployment"),
        ),
    ),
    Command(
        ("ml", "online-endpoint", "get-credentials"),
        endpoint_credentials,
        "Show the endpoint's keys.",
        (NAME_REQUIRED,),
    ),
    Command(
        ("ml", "batch-endpoint", "create"),
        batch_endpoint_create,
        "Create (or update) a batch endpoint record.",
        (FILE_REQUIRED, NAME, SET, NO_WAIT),
    ),
    Command(
        ("ml", "batch-endpoint", "update"),
        batch_endpoint_update,
        "Update a batch endpoint (--file, or --set defaults.deployment_name=<dep>).",
        (NAME, FILE, SET, NO_WAIT),
    ),
    Command(
        ("ml", "batch-endpoint", "show"), batch_endpoint_show, "Show a batch endpoint.", (NAME_REQUIRED,)
    ),
    Command(("ml", "batch-endpoint", "list"), batch_endpoint_list, "List batch endpoints.", ()),
    Command(
        ("ml", "batch-endpoint", "delete"),
        batch_endpoint_delete,
        "Delete a batch endpoint and its deployments.",
        (NAME_REQUIRED, YES, NO_WAIT),
    ),
    Command(
        ("ml", "batch-endpoint", "invoke"),
        batch_endpoint_invoke,
        "Score a file, folder or data asset now, as a local job (predictions in its output `score`).",
        (
            NAME_REQUIRED,
            Option(
                ("--deployment-name", "-d"), "deployment_name", help="deployment (default: the endpoint's)"
            ),
            Option(
                ("--input", "-i"), "input", help="local file/folder, azureml:<data>:<version>, job output"
            ),
            Option(
                ("--input-type", "-t"), "input_type", choices=("uri_file", "uri_folder"), help="input type"
            ),
            Option(("--experiment-name",), "experiment_name", help="experiment (default: the endpoint name)"),
            Option(("--mini-batch-size",), "mini_batch_size", help="files per run() call"),
            Option(("--instance-count",), "instance_count", help="accepted (mini-batches run one by one)"),
            Option(("--output-path",), "output_path", help="not emulated"),
            NO_WAIT,
        ),
    ),
    Command(
        ("ml", "batch-endpoint", "list-jobs"),
        batch_endpoint_list_jobs,
        "List the scoring jobs of a batch endpoint.",
        (NAME_REQUIRED,),
    ),
    Command(
        ("ml", "batch-deployment", "create"),
        batch_deployment_create,
        "Record a batch deployment (it runs when the endpoint is invoked).",
        (
            FILE_REQUIRED,
            NAME,
            BATCH_ENDPOINT,
            SET,
            NO_WAIT,
            Option(("--set-default",), "set_default", kind="flag", help="make it the endpoint's default"),
        ),
    ),
    Command(
        ("ml", "batch-deployment", "update"),
        batch_deployment_update,
        "Replace an existing batch deployment from a file.",
        (
            FILE_REQUIRED,
            NAME,
            BATCH_ENDPOINT,
            SET,
            NO_WAIT,
            Option(("--set-default",), "set_default", kind="flag", help="make it the endpoint's default"),
        ),
    ),
    Command(
        ("ml", "batch-deployment", "show"),
        batch_deployment_show,
        "Show a batch deployment.",
        (NAME_REQUIRED, BATCH_ENDPOINT_REQUIRED),
    ),
    Command(
        ("ml", "batch-deployment", "list"),
        batch_deployment_list,
        "List a batch endpoint's deployments.",
        (BATCH_ENDPOINT_REQUIRED,),
    ),
    Command(
        ("ml", "batch-deployment", "delete"),
        batch_deployment_delete,
        "Delete a batch deployment.",
        (NAME_REQUIRED, BATCH_ENDPOINT_REQUIRED, YES, NO_WAIT),
    ),
    Command(
        ("ml", "online-deployment", "create"),
        deployment_create,
        "Create a deployment and serve it on 127.0.0.1.",
        (
            FILE_REQUIRED,
            NAME,
            ENDPOINT,
            SET,
            NO_WAIT,
            Option(("--all-traffic",), "all_traffic", kind="flag", help="send 100% of the traffic to it"),
            Option(("--local",), "local", kind="flag", help="accepted (everything is local)"),
            Option(("--skip-script-validation",), "skip_script_validation", kind="flag", help="accepted"),
            Option(("--package-model",), "package_model", kind="flag", help="accepted"),
        ),
    ),
    Command(
        ("ml", "online-deployment", "update"),
        deployment_update,
        "Replace an existing deployment from a file.",
        (
            FILE_REQUIRED,
            NAME,
            ENDPOINT,
            SET,
            NO_WAIT,
            Option(("--local",), "local", kind="flag", help="accepted (everything is local)"),
        ),
    ),
    Command(
        ("ml", "online-deployment", "show"),
        deployment_show,
        "Show a deployment.",
        (NAME_REQUIRED, ENDPOINT_REQUIRED),
    ),
    Command(
        ("ml", "online-deployment", "list"),
        deployment_list,
        "List an endpoint's deployments.",
        (ENDPOINT_REQUIRED,),
    ),
    Command(
        ("ml", "online-deployment", "get-logs"),
        deployment_logs,
        "Show the scoring server's log.",
        (
            NAME_REQUIRED,
            ENDPOINT_REQUIRED,
            Option(("--lines", "-l"), "lines", help="number of lines from the end"),
            Option(("--container", "-c"), "container", help="accepted"),
        ),
    ),
    Command(
        ("ml", "online-deployment", "delete"),
        deployment_delete,
        "Stop and delete a deployment.",
        (NAME_REQUIRED, ENDPOINT_REQUIRED, YES, NO_WAIT),
    ),
)
