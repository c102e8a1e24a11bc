"""What `azureml:` references and `azureml://jobs|datastores` URIs stand for on this machine.

`azureml://jobs/<job>/outputs/<o>[/<path>]` is a job's output folder (or, for `artifacts`, its MLflow
artifacts); `azureml://[…/]datastores/<store>/paths/<p>` is a path in the emulated datastores under
`azureml_dir()/datastores/`, where `az ml data create` copies the files of data assets.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from emulator.azureml.assets.job_records import job_artifact_path, job_output_path
from emulator.azureml.context import Context
from emulator.azureml.errors import AzArgumentError, AzError, AzNotEmulatedError, AzNotFoundError
from emulator.errors import Location

ASSET_KINDS = ("data", "models", "environments")
_ASSET_RE = {
    kind: re.compile(
        r"^(?:azureml:)?(?:/subscriptions/[^/]+/resourceGroups/[^/]+/providers/[^/]+/workspaces/[^/]+/"
        + kind
        + r"/)?(?P<name>[A-Za-z0-9][A-Za-z0-9_.-]*?)"
        r"(?:(?::|/versions/)(?P<version>[^:@/]+)|@(?P<label>[A-Za-z0-9_-]+))?$"
    )
    for kind in ASSET_KINDS
}
JOB_OUTPUT_RE = re.compile(r"^azureml://jobs/([^/]+)/outputs/([^/]+)(?:/(.*))?$")
DEFAULT_DATASTORE = "workspaceblobstore"
_DATASTORE_RE = re.compile(
    r"^azureml://(?:subscriptions/[^/]+/resource[gG]roups/[^/]+/(?:providers/[^/]+/)?workspaces/[^/]+/)?"
    r"datastores/(?P<store>[^/]+)/paths/(?P<path>.*)$"
)


def parse_asset_reference(
    reference: str, kind: str, what: str, error: type[AzError] = AzArgumentError
) -> tuple[str, str | None, str | None]:
    """(name, version, label) of a reference to an asset of `kind`; `error` when it is malformed."""
    match = _ASSET_RE[kind].match(reference.strip())
    if not match:
        raise error(
            f"malformed {what} reference {reference!r}",
            expected="azureml:<name>:<version> or azureml:<name>@latest",
        )
    return match.group("name"), match.group("version"), match.group("label")


def resolve_job_uri(ctx: Context, uri: str) -> tuple[str, Path]:
    """(job name, local path) for `azureml://jobs/<job>/outputs/<output>[/subpath]`."""
    match = JOB_OUTPUT_RE.match(uri.rstrip("/"))
    if not match:
        raise AzArgumentError(
            f"unsupported job output URI {uri!r}",
            expected="azureml://jobs/<job-name>/outputs/<output-name>[/<path>]",
        )
    job_name, output, sub = match.group(1), match.group(2), match.group(3)
    if output == "artifacts":
        return job_name, job_artifact_path(ctx, job_name, sub or "")
    base = job_output_path(ctx, job_name, output)
    path = base / sub if sub else base
    if not path.exists():
        raise AzNotFoundError(f"{uri}: nothing at {path}", hint="check what the job wrote to that output")
    return job_name, path


def datastore_dir(ctx: Context, store: str = DEFAULT_DATASTORE) -> Path:
    return ctx.azureml / "datastores" / store


def resolve_datastore_uri(ctx: Context, uri: str, location: Location | None = None) -> Path:
    """The local path of `azureml://[…/]datastores/<store>/paths/<path>` in the emulated datastores."""
    match = _DATASTORE_RE.match(uri.rstrip("/"))
    if not match:
        raise AzNotEmulatedError(
            f"{uri}: only azureml://datastores/<store>/paths/<path> and azureml://jobs/<job>/outputs/<o> "
            "URIs are emulated",
            location,
        )
    local = datastore_dir(ctx, match.group("store")) / unquote(match.group("path"))
    if not local.exists():
        raise AzNotFoundError(
            f"{uri}: nothing at that path in the emulated datastore {match.group('store')!r} ({local})",
            location,
            hint="data reaches the emulated datastores through `az ml data create` or job outputs",
        )
    return local


def local_source(ctx: Context, path: str, base: Path, what: str) -> Path:
    """A local file/folder, `file://`, a job output or a datastore URI, as a path on this machine."""
    if path.startswith("azureml://jobs/"):
        return resolve_job_uri(ctx, path)[1]
    if path.startswith("azureml://"):
        return resolve_datastore_uri(ctx, path)
    if path.startswith("file://"):
        path = unquote(urlparse(path).path)
    elif "://" in path or path.startswith("azureml:"):
        raise AzNotEmulatedError(
            f"{what}: {path!r} is not reachable from the emulator (no cloud storage locally)",
            hint="use a local path, azureml://jobs/<job>/outputs/<output> or azureml://datastores/<s>/paths/<p>",
        )
    local = (base / path).resolve()
    if not local.exists():
        raise AzArgumentError(f"{what}: no such file or directory: {local}")
    return local
