"""`az ml online-endpoint` and `az ml online-deployment`: endpoints behind a local front, deployments
served for real."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.azureml.az.commands.arguments import (
    FILE,
    FILE_REQUIRED,
    NAME,
    NAME_REQUIRED,
    NO_WAIT,
    SET,
    YES,
    confirm_delete,
    deployment_overrides,
    read_spec,
)
from emulator.azureml.az.parser import Command, Invocation, Option
from emulator.azureml.errors import AzArgumentError
from emulator.azureml.serving import deployments, endpoints

ENDPOINT = Option(("--endpoint-name", "-e"), "endpoint_name", help="online endpoint name")
ENDPOINT_REQUIRED = Option(
    ("--endpoint-name", "-e"), "endpoint_name", required=True, help="online endpoint name"
)


def endpoint_create(inv: Invocation) -> Any:
    ws = inv.workspace()
    extra = [("name", inv.arg("name"))] if inv.arg("name") else []
    spec = read_spec(inv, "online_endpoint", extra)
    return endpoints.create_endpoint(inv.ctx, ws, spec, name=inv.arg("name"))


def endpoint_show(inv: Invocation) -> Any:
    inv.workspace()
    return endpoints.show_endpoint(inv.ctx, str(inv.arg("name")))


def endpoint_list(inv: Invocation) -> Any:
    inv.workspace()
    return endpoints.list_endpoint_views(inv.ctx)


def endpoint_delete(inv: Invocation) -> Any:
    inv.workspace()
    name = str(inv.arg("name"))
    endpoints.load_endpoint(inv.ctx, name)
    confirm_delete(inv, f"online endpoint {name} and all its deployments")
    endpoints.delete_endpoint(inv.ctx, name)
    return None


def endpoint_update(inv: Invocation) -> Any:
    ws = inv.workspace()
    name = inv.arg("name")
    if inv.arg("file"):
        extra = [("name", name)] if name else []
        spec = read_spec(inv, "online_endpoint", extra)
        name = name or spec.data.get("name")
        endpoints.load_endpoint(inv.ctx, str(name))
        endpoints.create_endpoint(inv.ctx, ws, spec, name=str(name))
    if not name:
        raise AzArgumentError("the following arguments are required: --name/-n (or --file)")
    traffic = endpoints.parse_traffic(str(inv.arg("traffic"))) if inv.arg("traffic") else None
    mirror = (
        endpoints.parse_traffic(str(inv.arg("mirror_traffic")), "--mirror-traffic")
        if inv.arg("mirror_traffic") is not None
        else None
    )
    return endpoints.update_endpoint(inv.ctx, ws, str(name), traffic=traffic, mirror_traffic=mirror)


def endpoint_invoke(inv: Invocation) -> Any:
    inv.workspace()
    request = Path(str(inv.arg("request_file")))
    if not request.is_absolute():
        request = inv.cwd / request
    _, body = endpoints.invoke(inv.ctx, str(inv.arg("name")), request, deployment=inv.arg("deployment_name"))
    return body


def endpoint_credentials(inv: Invocation) -> Any:
    inv.workspace()
    return endpoints.get_credentials(inv.ctx, str(inv.arg("name")))


def deployment_create(inv: Invocation, must_exist: bool = False) -> Any:
    ws = inv.workspace()
    if inv.arg("local"):
        inv.warn("--local: every deployment of the emulator runs locally already (as a process, not Docker)")
    spec = read_spec(inv, "online_deployment", deployment_overrides(inv))
    return deployments.create_deployment(
        inv.ctx,
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
    inv.workspace()
    return deployments.show_deployment(inv.ctx, str(inv.arg("endpoint_name")), str(inv.arg("name")))


def deployment_list(inv: Invocation) -> Any:
    inv.workspace()
    return deployments.list_deployments(inv.ctx, str(inv.arg("endpoint_name")))


def deployment_logs(inv: Invocation) -> Any:
    inv.workspace()
    lines = inv.arg("lines")
    if lines is not None and not str(lines).isdigit():
        raise AzArgumentError(f"argument --lines/-l: invalid int value: {lines!r}")
    return deployments.get_logs(
        inv.ctx,
        str(inv.arg("endpoint_name")),
        str(inv.arg("name")),
        int(lines) if lines is not None else None,
    )


def deployment_delete(inv: Invocation) -> Any:
    inv.workspace()
    endpoint, name = str(inv.arg("endpoint_name")), str(inv.arg("name"))
    endpoints.load_deployment(inv.ctx, endpoint, name)
    confirm_delete(inv, f"deployment {name} of online endpoint {endpoint}")
    deployments.delete_deployment(inv.ctx, endpoint, name)
    return None


COMMANDS: tuple[Command, ...] = (
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
