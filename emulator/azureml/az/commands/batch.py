"""`az ml batch-endpoint` and `az ml batch-deployment`: records, and `invoke` as a local batch scoring job."""

from __future__ import annotations

from typing import Any

from emulator.azureml.assets.yamlspec import parse_set_values
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
from emulator.azureml.compute import batch
from emulator.azureml.errors import AzArgumentError, AzNotEmulatedError

BATCH_ENDPOINT = Option(("--endpoint-name", "-e"), "endpoint_name", help="batch endpoint name")
BATCH_ENDPOINT_REQUIRED = Option(
    ("--endpoint-name", "-e"), "endpoint_name", required=True, help="batch endpoint name"
)


def batch_endpoint_create(inv: Invocation) -> Any:
    ws = inv.workspace()
    extra = [("name", inv.arg("name"))] if inv.arg("name") else []
    spec = read_spec(inv, "batch_endpoint", extra)
    return batch.create_endpoint(inv.ctx, ws, spec, name=inv.arg("name"))


def batch_endpoint_update(inv: Invocation) -> Any:
    ws = inv.workspace()
    name = inv.arg("name")
    if inv.arg("file"):
        extra = [("name", name)] if name else []
        spec = read_spec(inv, "batch_endpoint", extra)
        name = name or spec.data.get("name")
        batch.load_endpoint(inv.ctx, str(name))
        return batch.create_endpoint(inv.ctx, ws, spec, name=str(name))
    if not name:
        raise AzArgumentError("the following arguments are required: --name/-n (or --file)")
    record = batch.load_endpoint(inv.ctx, str(name))
    for key, value in parse_set_values(inv.arg("set")):
        if key == "defaults.deployment_name":
            record = batch.set_default(inv.ctx, str(name), str(value))
        else:
            raise AzArgumentError(
                f"argument --set: {key!r} cannot be updated without --file",
                hint="use --set defaults.deployment_name=<deployment>, or --file <endpoint.yml>",
            )
    return record


def batch_endpoint_show(inv: Invocation) -> Any:
    inv.workspace()
    return batch.load_endpoint(inv.ctx, str(inv.arg("name")))


def batch_endpoint_list(inv: Invocation) -> Any:
    inv.workspace()
    return batch.list_endpoints(inv.ctx)


def batch_endpoint_delete(inv: Invocation) -> Any:
    inv.workspace()
    name = str(inv.arg("name"))
    batch.load_endpoint(inv.ctx, name)
    confirm_delete(inv, f"batch endpoint {name} and all its deployments")
    batch.delete_endpoint(inv.ctx, name)
    return None


def batch_endpoint_invoke(inv: Invocation) -> Any:
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
        inv.ctx,
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
    inv.workspace()
    return batch.list_jobs(inv.ctx, str(inv.arg("name")))


def batch_deployment_create(inv: Invocation, must_exist: bool = False) -> Any:
    ws = inv.workspace()
    spec = read_spec(inv, "batch_deployment", deployment_overrides(inv))
    return batch.create_deployment(
        inv.ctx, ws, spec, set_default_deployment=bool(inv.arg("set_default")), must_exist=must_exist
    )


def batch_deployment_update(inv: Invocation) -> Any:
    return batch_deployment_create(inv, must_exist=True)


def batch_deployment_show(inv: Invocation) -> Any:
    inv.workspace()
    return batch.load_deployment(inv.ctx, str(inv.arg("endpoint_name")), str(inv.arg("name")))


def batch_deployment_list(inv: Invocation) -> Any:
    inv.workspace()
    return batch.list_deployment_views(inv.ctx, str(inv.arg("endpoint_name")))


def batch_deployment_delete(inv: Invocation) -> Any:
    inv.workspace()
    endpoint, name = str(inv.arg("endpoint_name")), str(inv.arg("name"))
    batch.load_deployment(inv.ctx, endpoint, name)
    confirm_delete(inv, f"deployment {name} of batch endpoint {endpoint}")
    batch.delete_deployment(inv.ctx, endpoint, name)
    return None


COMMANDS: tuple[Command, ...] = (
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
)
