"""The emulated `az` commands: their options (as the real CLI spells them) and thin handlers.

Handlers only translate arguments into calls on the core modules (jobs, models, endpoints…) and
return the result to render; they never print (progress and warnings go through the Invocation).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from emulator.azureml.cli import Command, Invocation, Option
from emulator.azureml.errors import AzArgumentError, AzError, AzNotEmulatedError
from emulator.azureml.workspace import account_record, load_defaults, save_defaults
from emulator.azureml.yamlspec import Spec, load_spec, parse_set_values, resolve_file

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
    from emulator.azureml import jobs

    ws = inv.workspace()
    extra: list[tuple[str, Any]] = []
    if inv.arg("name"):
        extra.append(("name", inv.arg("name")))
    if inv.arg("experiment_name"):
        extra.append(("experiment_name", inv.arg("experiment_name")))
    spec = _spec(inv, "job", extra)
    sink = inv.stream_sink() if inv.arg("stream") else None
    return jobs.create_job(
        ws,
        spec,
        cwd=inv.cwd,
        name=inv.arg("name"),
        experiment_name=inv.arg("experiment_name"),
        log=sink,
        warn=inv.warn,
    )


def job_show(inv: Invocation) -> Any:
    from emulator.azureml import jobs

    inv.workspace()
    return jobs.load_job(str(inv.arg("name")))


def job_list(inv: Invocation) -> Any:
    from emulator.azureml import jobs

    inv.workspace()
    records = jobs.list_jobs()
    limit = inv.arg("max_results")
    if limit is not None and not inv.arg("all_results"):
        records = records[: int(limit)]
    return records


def job_stream(inv: Invocation) -> Any:
    from emulator.azureml import jobs

    inv.workspace()
    text = jobs.job_log(str(inv.arg("name")))
    inv.stdout.write(text)
    record = jobs.load_job(str(inv.arg("name")))
    if record.get("status") == "Failed":
        raise AzError(f"Execution failed. Job {record['name']} failed.")
    return None


# --- az ml environment ---------------------------------------------------------------------------


def environment_create(inv: Invocation) -> Any:
    from emulator.azureml import environments

    ws = inv.workspace()
    extra = [(k, inv.arg(k)) for k in ("name", "version") if inv.arg(k)]
    spec = _spec(inv, "environment", extra)
    return environments.create_environment(ws, spec, name=inv.arg("name"), version=inv.arg("version"))


def environment_show(inv: Invocation) -> Any:
    from emulator.azureml import environments

    inv.workspace()
    if inv.arg("version") is None and inv.arg("label") is None:
        raise AzArgumentError("either --version/-v or --label/-l is required")
    return environments.show_environment(str(inv.arg("name")), inv.arg("version"), inv.arg("label"))


def environment_list(inv: Invocation) -> Any:
    from emulator.azureml import environments

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
    from emulator.azureml import models

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
    from emulator.azureml import models

    return models.show_model(inv.workspace(), str(inv.arg("name")), inv.arg("version"), inv.arg("label"))


def model_list(inv: Invocation) -> Any:
    from emulator.azureml import models

    return models.list_models(inv.workspace(), inv.arg("name"))


def model_package(inv: Invocation) -> Any:
    from emulator.azureml import packaging

    ws = inv.workspace()
    spec = _spec(inv, "model_package")
    inv.warn("This command is in preview (az ml model package); the emulator writes a Docker build context.")
    return packaging.package_model(ws, name=str(inv.arg("name")), version=inv.arg("version"), spec=spec)


# --- az ml online-endpoint ------------------------------------------------------------------------


def endpoint_create(inv: Invocation) -> Any:
    from emulator.azureml import endpoints

    ws = inv.workspace()
    extra = [("name", inv.arg("name"))] if inv.arg("name") else []
    spec = _spec(inv, "online_endpoint", extra)
    return endpoints.create_endpoint(ws, spec, name=inv.arg("name"))


def endpoint_show(inv: Invocation) -> Any:
    from emulator.azureml import endpoints

    inv.workspace()
    return endpoints.show_endpoint(str(inv.arg("name")))


def endpoint_list(inv: Invocation) -> Any:
    from emulator.azureml import endpoints

    inv.workspace()
    return endpoints.list_endpoint_views()


def endpoint_delete(inv: Invocation) -> Any:
    from emulator.azureml import endpoints

    inv.workspace()
    name = str(inv.arg("name"))
    endpoints.load_endpoint(name)
    _confirm(inv, f"online endpoint {name} and all its deployments")
    endpoints.delete_endpoint(name)
    return None


def endpoint_update(inv: Invocation) -> Any:
    from emulator.azureml import endpoints

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
    if inv.arg("mirror_traffic"):
        raise AzNotEmulatedError("--mirror-traffic is not emulated yet")
    return endpoints.update_endpoint(ws, str(name), traffic=traffic)


def endpoint_invoke(inv: Invocation) -> Any:
    from emulator.azureml import endpoints

    inv.workspace()
    request = Path(str(inv.arg("request_file")))
    if not request.is_absolute():
        request = inv.cwd / request
    _, body = endpoints.invoke(str(inv.arg("name")), request, deployment=inv.arg("deployment_name"))
    return body


def endpoint_credentials(inv: Invocation) -> Any:
    from emulator.azureml import endpoints

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
    from emulator.azureml import deployments

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
    from emulator.azureml import deployments

    inv.workspace()
    return deployments.show_deployment(str(inv.arg("endpoint_name")), str(inv.arg("name")))


def deployment_list(inv: Invocation) -> Any:
    from emulator.azureml import deployments

    inv.workspace()
    return deployments.list_deployments(str(inv.arg("endpoint_name")))


def deployment_logs(inv: Invocation) -> Any:
    from emulator.azureml import deployments

    inv.workspace()
    lines = inv.arg("lines")
    if lines is not None and not str(lines).isdigit():
        raise AzArgumentError(f"argument --lines/-l: invalid int value: {lines!r}")
    return deployments.get_logs(
        str(inv.arg("endpoint_name")), str(inv.arg("name")), int(lines) if lines is not None else None
    )


def deployment_delete(inv: Invocation) -> Any:
    from emulator.azureml import deployments, endpoints

    inv.workspace()
    endpoint, name = str(inv.arg("endpoint_name")), str(inv.arg("name"))
    endpoints.load_deployment(endpoint, name)
    _confirm(inv, f"deployment {name} of online endpoint {endpoint}")
    deployments.delete_deployment(endpoint, name)
    return None


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
        ),
    ),
    Command(("ml", "job", "stream"), job_stream, "Print a job's log.", (NAME_REQUIRED,)),
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
    Command(("ml", "model", "list"), model_list, "List models (or the versions of one).", (NAME,)),
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
            Option(("--mirror-traffic",), "mirror_traffic", help="not emulated"),
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
