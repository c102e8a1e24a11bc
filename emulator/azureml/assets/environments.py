"""Environment assets: versioned records of an image and a conda spec, and resolution of references.

`azureml:credit-env@latest`, `azureml:credit-env:3`, `credit-env:3` (the SDK strips `azureml:`), full
ARM ids and inline `{image, conda_file}` mappings all resolve to an `EnvironmentSpec`, the input of the
isolated-environment builder and of the packager; environments Azure ML provides (curated ones, the
`azureml` registry's) resolve to their local equivalents (`curated.py`) unless the workspace has one of
that name.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from emulator.azureml.assets.curated import is_curated_reference, resolve_curated
from emulator.azureml.assets.names import check_asset_name
from emulator.azureml.assets.records import RecordStore, locked, read_json, utc_now, write_json
from emulator.azureml.assets.uris import parse_asset_reference
from emulator.azureml.assets.workspace import Workspace, creation_context
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.context import Context
from emulator.azureml.errors import AzError, AzNotEmulatedError, AzNotFoundError, AzSpecError
from emulator.errors import Location


@dataclass(frozen=True)
class EnvironmentSpec:
    """What an environment means for running code: a base image and a conda specification."""

    name: str | None
    version: str | None
    image: str | None
    conda: dict[str, Any] | None
    reference: str
    package: dict[str, Any] | None = None
    substitution: str | None = None  # what runs instead of an environment Azure ML provides


def environment_store(ctx: Context) -> RecordStore:
    """`azureml_dir()/environments/<name>/<version>.json`."""
    return RecordStore(ctx.azureml / "environments")


def create_environment(
    ctx: Context,
    ws: Workspace,
    spec: Spec,
    *,
    name: str | None = None,
    version: str | None = None,
) -> dict[str, Any]:
    """Register a new environment version (auto-incremented from 1 when not given)."""
    entity = spec.entity
    raw_name = name or spec.data.get("name")
    if not raw_name:
        raise AzSpecError(
            "invalid environment specification: name: an environment needs a name",
            spec.location(),
            hint="add `name:` to the YAML or pass --name",
        )
    env_name = check_asset_name(str(raw_name), "environment")
    if spec.data.get("build"):
        raise AzNotEmulatedError(
            "environments built from a Docker build context (`build:`) are not emulated yet",
            spec.location("build"),
            hint="use `image:` with `conda_file:`",
        )
    conda = entity.conda_file if isinstance(getattr(entity, "conda_file", None), dict) else None
    requested = str(version or spec.data.get("version") or "") or None
    store = environment_store(ctx)
    with locked(store.folder(env_name)):
        if requested is None:
            requested = store.next_version(env_name)
        path = store.version_path(env_name, requested)
        previous = read_json(path)
        content = {
            "conda_file": conda,
            "image": spec.data.get("image"),
            "description": spec.data.get("description"),
            "tags": {str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
        }
        if previous is not None:
            if all(previous.get(k) == v for k, v in content.items()):
                return dict(previous)
            raise AzError(
                f"environment {env_name} version {requested} already exists with different content",
                hint="environment versions are immutable: omit the version to get the next one",
            )
        created = utc_now()
        record: dict[str, Any] = {
            **content,
            "creation_context": creation_context(created),
            "id": ws.asset_id("environments", env_name, requested),
            "name": env_name,
            "os_type": spec.data.get("os_type", "linux"),
            "resourceGroup": ws.resource_group,
            "version": requested,
            "properties": {"emulator.source_file": str(spec.path)},
        }
        if spec.data.get("inference_config"):
            record["inference_config"] = spec.data["inference_config"]
        write_json(path, record)
    return record


def register_environment_record(
    ctx: Context,
    ws: Workspace,
    name: str,
    image: str | None,
    conda: dict[str, Any] | None,
    extra: dict[str, Any],
) -> dict[str, Any]:
    """Register a new version produced by the emulator itself (e.g. a model package)."""
    store = environment_store(ctx)
    with locked(store.folder(name)):
        version = store.next_version(name)
        created = utc_now()
        record: dict[str, Any] = {
            "conda_file": conda,
            "creation_context": creation_context(created),
            "description": extra.pop("description", None),
            "id": ws.asset_id("environments", name, version),
            "image": image,
            "name": name,
            "os_type": "linux",
            "resourceGroup": ws.resource_group,
            "tags": extra.pop("tags", {}),
            "version": version,
            **extra,
        }
        write_json(store.version_path(name, version), record)
    return record


def show_environment(
    ctx: Context, name: str, version: str | None = None, label: str | None = None
) -> dict[str, Any]:
    versions = environment_store(ctx).versions(name)
    if not versions:
        raise AzNotFoundError(
            f"environment {name!r} was not found in the emulated workspace",
            hint="register it with `az ml environment create --file <env.yml>`",
        )
    if version is None:
        if label not in (None, "latest"):
            raise AzNotEmulatedError(f"label {label!r} is not supported; only 'latest' is")
        return versions[-1]
    for record in versions:
        if str(record.get("version")) == str(version):
            return record
    raise AzNotFoundError(
        f"environment {name!r} has no version {version!r}",
        hint=f"versions: {', '.join(str(r['version']) for r in versions)}",
    )


def list_environments(ctx: Context, name: str | None = None) -> list[dict[str, Any]]:
    """Latest version of each environment, or every version of `name` (as `az ml environment list`)."""
    store = environment_store(ctx)
    if name is not None:
        return list(reversed(store.versions(name)))
    result: list[dict[str, Any]] = []
    for environment in store.names():
        versions = store.versions(environment)
        if versions:
            latest = versions[-1]
            result.append(
                {
                    "name": latest["name"],
                    "latest_version": latest["version"],
                    "creation_context": latest["creation_context"],
                    "description": latest.get("description"),
                    "tags": latest.get("tags", {}),
                }
            )
    return result


def parse_reference(reference: str) -> tuple[str, str | None, str | None]:
    """(name, version, label) of an environment reference; raises on a malformed one."""
    return parse_asset_reference(reference, "environments", "environment", AzSpecError)


def environment_is_registered(ctx: Context, reference: str) -> bool:
    if reference.strip().startswith("azureml://registries/"):
        return False
    try:
        name, version, label = parse_reference(reference)
        show_environment(ctx, name, version, label)
    except AzError:
        return False
    return True


def resolve_environment(
    ctx: Context, value: Any, base_dir: Path, location: Location | None = None
) -> EnvironmentSpec:
    """An environment reference or inline mapping from a job/deployment YAML, made concrete."""
    if isinstance(value, str):
        if is_curated_reference(value) and not environment_is_registered(ctx, value):
            curated = resolve_curated(value, location)
            return EnvironmentSpec(
                name=None,
                version=None,
                image=curated.image,
                conda=curated.conda,
                reference=value.strip(),
                substitution=curated.substitution(value.strip()),
            )
        name, version, label = parse_reference(value)
        try:
            record = show_environment(ctx, name, version, label)
        except AzNotFoundError as exc:
            raise AzNotFoundError(exc.message, location, hint=exc.hint) from None
        return EnvironmentSpec(
            name=name,
            version=str(record["version"]),
            image=record.get("image"),
            conda=record.get("conda_file"),
            reference=f"azureml:{name}:{record['version']}",
            package=record.get("package"),
        )
    if isinstance(value, dict):
        conda_raw = value.get("conda_file")
        conda: dict[str, Any] | None
        if isinstance(conda_raw, dict):
            conda = conda_raw
        elif isinstance(conda_raw, str):
            conda_path = (base_dir / conda_raw).resolve()
            try:
                loaded = yaml.safe_load(conda_path.read_text(encoding="utf-8"))
            except (OSError, yaml.YAMLError) as exc:
                raise AzSpecError(
                    f"environment.conda_file: cannot read {conda_path}: {exc}", location
                ) from None
            conda = loaded if isinstance(loaded, dict) else None
        else:
            conda = None
        return EnvironmentSpec(
            name=None, version=None, image=value.get("image"), conda=conda, reference="(inline environment)"
        )
    raise AzSpecError(
        "environment: expected a reference (azureml:<name>:<version>) or an inline environment", location
    )
