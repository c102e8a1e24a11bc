"""Model assets in the MLflow model registry: register (copying files into registry-owned storage), show,
list, and resolve `azureml:name:version` / `name@latest` references to files on disk.

Azure ML's own registry is MLflow-compatible, so the emulator keeps models where MLflow tools can see
them. Azure-only attributes (type, the Azure version string, the source job) are MLflow tags under
`azureml.`; user tags are stored as plain tags.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlparse

import yaml

from emulator.azureml.assets import tracking
from emulator.azureml.assets.digests import content_digest
from emulator.azureml.assets.job_records import load_job
from emulator.azureml.assets.names import check_asset_name
from emulator.azureml.assets.records import utc_now
from emulator.azureml.assets.uris import parse_asset_reference, resolve_job_uri
from emulator.azureml.assets.workspace import Workspace, creation_context
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzArgumentError, AzError, AzNotFoundError
from emulator.errors import Location

if TYPE_CHECKING:
    from mlflow.entities.model_registry import ModelVersion as MlflowModelVersion
    from mlflow.tracking import MlflowClient

MODEL_TYPES = ("custom_model", "mlflow_model", "triton_model")
_TAG = "azureml."


@dataclass(frozen=True)
class RegisteredModel:
    """A model version as the emulator uses it: its Azure identity and where its files are."""

    name: str
    version: str
    mlflow_version: str
    model_type: str
    files: Path
    run_id: str | None

    @property
    def model_dir(self) -> Path:
        """AZUREML_MODEL_DIR: the folder that contains the model folder (or file), as on Azure ML."""
        return self.files.parent


@dataclass(frozen=True)
class StepAttempt:
    """The pipeline step (and which attempt of its job) that runs this `az`: `$MLOPS_STEP` and
    `$MLOPS_STEP_ATTEMPT`, which the runner sets for each step."""

    key: str
    attempt: str

    @classmethod
    def current(cls, ctx: Context) -> StepAttempt | None:
        step, attempt = os.environ.get("MLOPS_STEP"), os.environ.get("MLOPS_STEP_ATTEMPT")
        if not step or not attempt:
            return None
        # run ids repeat across state folders, which may share one MLflow server
        key = hashlib.sha256(f"{ctx.home.resolve()}\0{step}".encode()).hexdigest()[:32]
        return cls(key, attempt)


def _azure_version(mv: MlflowModelVersion) -> str:
    return str(mv.tags.get(_TAG + "version") or mv.version)


def _flavors(files: Path) -> dict[str, Any] | None:
    mlmodel = files / "MLmodel" if files.is_dir() else None
    if mlmodel is None or not mlmodel.is_file():
        return None
    try:
        data = yaml.safe_load(mlmodel.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        return None
    flavors = data.get("flavors") if isinstance(data, dict) else None
    return {str(k): {} for k in flavors} if isinstance(flavors, dict) else None


_MLFLOW_SOURCES = ("runs:", "models:", "mlflow-artifacts:")


def local_files(ctx: Context, mv: MlflowModelVersion) -> Path | None:
    """Where a version's files are on this machine without fetching them: a path or `file:` URI, or an
    `mlflow-artifacts:` URI of the state folder's own tracking server (which stores them under
    `mlartifacts/`); None for a source that must be downloaded (`runs:/`, `models:/`, a team server's)."""
    source = str(mv.source)
    if source.startswith("file:"):
        return Path(unquote(urlparse(source).path))
    if source.startswith("mlflow-artifacts:"):
        if tracking.is_local_store(ctx.tracking_uri):
            return ctx.mlflow_artifacts / unquote(urlparse(source).path).lstrip("/")
        return None
    if "://" in source or source.startswith(_MLFLOW_SOURCES):
        return None
    return Path(source)


def _model_type(tags: dict[str, str], files: Path | None, source: str) -> str:
    """The Azure type: the emulator's tag, else mlflow_model for what MLflow itself registered
    (`mlflow.register_model`, as Azure ML shows such versions)."""
    if _TAG + "type" in tags:
        return tags[_TAG + "type"]
    if source.startswith(_MLFLOW_SOURCES) or (files is not None and (files / "MLmodel").is_file()):
        return "mlflow_model"
    return "custom_model"


def _created_at(tags: dict[str, str], mv: MlflowModelVersion) -> str:
    if tags.get(_TAG + "created_at"):
        return tags[_TAG + "created_at"]
    if mv.creation_timestamp:
        return datetime.fromtimestamp(int(mv.creation_timestamp) / 1000, UTC).isoformat()
    return utc_now()


def mlflow_environment(files: Path) -> dict[str, Any] | None:
    """The conda specification an MLflow model carries (what Azure ML builds a no-code deployment's
    environment from): its `conda.yaml`, else `python_env.yaml` + `requirements.txt` in conda form."""
    folder = files if files.is_dir() else files.parent
    conda = folder / "conda.yaml"
    try:
        if conda.is_file():
            loaded = yaml.safe_load(conda.read_text(encoding="utf-8"))
            return loaded if isinstance(loaded, dict) else None
        requirements = folder / "requirements.txt"
        if not requirements.is_file():
            return None
        pip = [line.strip() for line in requirements.read_text(encoding="utf-8").splitlines()]
        python_env = folder / "python_env.yaml"
        described = yaml.safe_load(python_env.read_text(encoding="utf-8")) if python_env.is_file() else None
    except (OSError, yaml.YAMLError):
        return None
    python = described.get("python") if isinstance(described, dict) else None
    dependencies: list[Any] = [f"python={python}"] if python else []
    return {"dependencies": [*dependencies, "pip", {"pip": [p for p in pip if p and not p.startswith("#")]}]}


def _view(ctx: Context, ws: Workspace, mv: MlflowModelVersion) -> dict[str, Any]:
    """The JSON `az ml model show` prints for a version."""
    tags = dict(mv.tags or {})
    version = _azure_version(mv)
    created = _created_at(tags, mv)
    files = local_files(ctx, mv)
    record: dict[str, Any] = {
        "creation_context": creation_context(created),
        "description": mv.description or None,
        "id": ws.asset_id("models", mv.name, version),
        "name": mv.name,
        "path": str(files if files is not None else mv.source),
        "properties": {
            "mlflow.model_version": str(mv.version),
            **({"mlflow.run_id": mv.run_id} if mv.run_id else {}),
            **({"emulator.source_path": tags[_TAG + "source_path"]} if _TAG + "source_path" in tags else {}),
        },
        "resourceGroup": ws.resource_group,
        "stage": "Archived" if tags.get(_TAG + "archived") == "true" else "Development",
        "tags": {k: v for k, v in tags.items() if not k.startswith(_TAG)},
        "type": _model_type(tags, files, str(mv.source)),
        "version": version,
    }
    if tags.get(_TAG + "job_name"):
        record["job_name"] = tags[_TAG + "job_name"]
    flavors = _flavors(files) if files is not None else None
    if flavors is not None:
        record["flavors"] = flavors
    return record


def _all_versions(mlflow: MlflowClient, name: str) -> list[MlflowModelVersion]:
    versions = tracking.with_retry(lambda: mlflow.search_model_versions(f"name = '{name}'"))
    return sorted(versions, key=lambda mv: int(mv.version))


def _copy_into_registry(ctx: Context, source: Path, name: str) -> Path:
    target_parent = ctx.mlflow_artifacts / "models" / name / uuid.uuid4().hex[:12]
    target_parent.mkdir(parents=True)
    target = target_parent / source.name
    if source.is_dir():
        shutil.copytree(source, target, symlinks=False)
    else:
        shutil.copy2(source, target)
    return target


def _upload(
    ctx: Context, mlflow: MlflowClient, name: str, source: Path, run_id: str | None
) -> tuple[str, str]:
    """(source URI, run id) of the files uploaded to a tracking server, which registers only files it
    stores, under the run that produced them (a job's) or a run made for the upload."""
    made = run_id is None
    if run_id is None:
        experiment = tracking.experiment_id(ctx, mlflow, "azureml-model-uploads")
        run_id = str(mlflow.create_run(experiment, run_name=f"upload {name}").info.run_id)
    folder = f"registered-models/{name}/{uuid.uuid4().hex[:12]}"
    if source.is_dir():
        mlflow.log_artifacts(run_id, str(source), folder)
    else:
        mlflow.log_artifact(run_id, str(source), folder)
    if made:
        mlflow.set_terminated(run_id)
    return f"{mlflow.get_run(run_id).info.artifact_uri.rstrip('/')}/{folder}", run_id


def _materialise_source(ctx: Context, path: str, cwd: Path) -> tuple[Path, str | None, str | None]:
    """(local files, source job name, MLflow run id) for a local path, job output URI or runs:/ URI."""
    if path.startswith("azureml://jobs/"):
        job_name, local = resolve_job_uri(ctx, path)
        run_id = (load_job(ctx, job_name).get("properties") or {}).get("mlflow.runId")
        return local, job_name, run_id
    if path.startswith("runs:/"):
        parsed = path[len("runs:/") :].strip("/").split("/", 1)
        run_id = parsed[0]
        import mlflow.artifacts

        staging = ctx.mlflow_artifacts / "staging" / uuid.uuid4().hex[:12]
        staging.mkdir(parents=True)
        try:
            downloaded = mlflow.artifacts.download_artifacts(
                artifact_uri=path, dst_path=str(staging), tracking_uri=ctx.tracking_uri
            )
        except Exception as exc:  # noqa: BLE001 - any MLflow failure is a user-facing error
            shutil.rmtree(staging, ignore_errors=True)
            raise AzNotFoundError(f"cannot fetch {path}: {exc}") from None
        return Path(downloaded), None, run_id
    if path.startswith("file://"):
        path = unquote(urlparse(path).path)
    elif "://" in path or path.startswith("azureml:"):
        raise AzArgumentError(
            f"argument --path: {path!r} is not reachable from the emulator",
            expected="a local path, azureml://jobs/<job>/outputs/<output>[/<path>] or runs:/<run-id>/<path>",
        )
    local = (cwd / path).resolve()
    if not local.exists():
        raise AzArgumentError(f"argument --path: no such file or directory: {local}")
    return local, None, None


def create_model(
    ctx: Context,
    ws: Workspace,
    *,
    name: str,
    path: str,
    model_type: str = "custom_model",
    version: str | None = None,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    cwd: Path,
    step: StepAttempt | None = None,
    warn: Sink | None = None,
) -> dict[str, Any]:
    """Register a model version; the files are copied so deleting the job later does not break it.

    From a pipeline step (`step`), a registration is idempotent across the attempts of the step's job:
    a step run again after an interruption gets, call by call, the versions its earlier attempts
    registered with the same name and files, and registers only when none is left. Within one attempt
    every call registers, as on Azure.
    """
    check_asset_name(name, "model")
    if model_type not in MODEL_TYPES:
        raise AzArgumentError(
            f"argument --type: invalid choice: {model_type!r}", expected=", ".join(MODEL_TYPES)
        )
    source, job_name, run_id = _materialise_source(ctx, path, cwd)
    if model_type == "mlflow_model" and not (source / "MLmodel").is_file():
        raise AzError(
            f"an mlflow_model must have an MLmodel file at the root of its path; none in {source}",
            hint="point --path at the folder mlflow.<flavor>.save_model wrote, or use --type custom_model",
        )
    mlflow = tracking.client(ctx)
    all_tags = {str(k): str(v) for k, v in (tags or {}).items()}
    if step is not None:
        all_tags[_TAG + "step"] = step.key
        all_tags[_TAG + "step_attempts"] = step.attempt
        all_tags[_TAG + "content"] = content_digest(source)
        with tracking.store_lock(ctx):
            earlier = _earlier_attempt(mlflow, name, version, all_tags, step)
        if earlier is not None:
            if warn is not None:
                warn(
                    f"model {name} version {_azure_version(earlier)} was registered with the same files "
                    "by an earlier attempt of this step (the run was interrupted and resumed): it is "
                    "returned instead of a new version"
                )
            return _view(ctx, ws, earlier)
    files: Path | None = None
    if tracking.is_server(ctx.tracking_uri):
        stored, run_id = _upload(ctx, mlflow, name, source, run_id)
    else:
        files = _copy_into_registry(ctx, source, name)
        stored = str(files)
    all_tags[_TAG + "type"] = model_type
    all_tags[_TAG + "created_at"] = utc_now()
    all_tags[_TAG + "source_path"] = path
    if job_name:
        all_tags[_TAG + "job_name"] = job_name
    try:
        with tracking.store_lock(ctx):
            from mlflow.exceptions import MlflowException

            try:
                tracking.with_retry(lambda: mlflow.get_registered_model(name))
            except MlflowException:
                try:
                    tracking.with_retry(lambda: mlflow.create_registered_model(name))
                except MlflowException as exc:  # another process (a team mate) created it meanwhile
                    if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                        raise
            if version is not None:
                if any(_azure_version(mv) == str(version) for mv in _all_versions(mlflow, name)):
                    raise AzError(
                        f"model {name} version {version} already exists",
                        hint="model versions are immutable: omit --version to get the next one",
                    )
                all_tags[_TAG + "version"] = str(version)
            created = tracking.with_retry(
                lambda: mlflow.create_model_version(
                    name, stored, run_id=run_id, tags=all_tags, description=description or None
                )
            )
    except BaseException:
        if files is not None:
            shutil.rmtree(files.parent, ignore_errors=True)
        raise
    return _view(ctx, ws, created)


def _earlier_attempt(
    mlflow: MlflowClient, name: str, version: str | None, tags: dict[str, str], step: StepAttempt | None
) -> MlflowModelVersion | None:
    """The first version an earlier attempt of `step` registered with these files that this attempt has
    not had yet, now marked as had (call with the store lock held)."""
    if step is None:
        return None
    for mv in _all_versions(mlflow, name):
        mine = mv.tags or {}
        attempts = str(mine.get(_TAG + "step_attempts", "")).split(",")
        if (
            mine.get(_TAG + "step") == step.key
            and mine.get(_TAG + "content") == tags[_TAG + "content"]
            and step.attempt not in attempts
            and (version is None or _azure_version(mv) == str(version))
        ):
            claimed = ",".join([*attempts, step.attempt])
            tracking.with_retry(
                partial(mlflow.set_model_version_tag, name, mv.version, _TAG + "step_attempts", claimed)
            )
            return mv
    return None


def _find(mlflow: MlflowClient, name: str, version: str | None, label: str | None) -> MlflowModelVersion:
    versions = _all_versions(mlflow, name)
    if not versions:
        raise AzNotFoundError(
            f"model {name!r} was not found in the emulated workspace",
            hint="register it with `az ml model create --name <name> --path <path>`",
        )
    if version is None:
        if label not in (None, "latest"):
            raise AzArgumentError(f"label {label!r} is not supported; only 'latest' is")
        active = [mv for mv in versions if not _archived(mv)]
        if not active:
            raise AzNotFoundError(
                f"every version of model {name!r} is archived",
                hint=f"restore one with `az ml model restore -n {name} -v <version>`",
            )
        return active[-1]
    for mv in versions:
        if _azure_version(mv) == str(version):
            return mv
    raise AzNotFoundError(
        f"model {name!r} has no version {version!r}",
        hint=f"versions: {', '.join(_azure_version(mv) for mv in versions)}",
    )


def show_model(
    ctx: Context, ws: Workspace, name: str, version: str | None = None, label: str | None = None
) -> dict[str, Any]:
    if version is None and label is None:
        raise AzArgumentError("either --version/-v or --label/-l is required")
    return _view(ctx, ws, _find(tracking.client(ctx), name, version, label))


def _archived(mv: MlflowModelVersion) -> bool:
    return str((mv.tags or {}).get(_TAG + "archived", "")) == "true"


def list_models(
    ctx: Context, ws: Workspace, name: str | None = None, include_archived: bool = False
) -> list[dict[str, Any]]:
    """Every version of `name` (newest first), or the latest version of each model; archived ones only
    with `include_archived`."""
    mlflow = tracking.client(ctx)
    if name is not None:
        versions = [mv for mv in _all_versions(mlflow, name) if include_archived or not _archived(mv)]
        return [_view(ctx, ws, mv) for mv in reversed(versions)]
    result = []
    for registered in tracking.with_retry(lambda: mlflow.search_registered_models()):
        versions = [
            mv for mv in _all_versions(mlflow, registered.name) if include_archived or not _archived(mv)
        ]
        if versions:
            latest = _view(ctx, ws, versions[-1])
            result.append(
                {
                    "creation_context": latest["creation_context"],
                    "description": latest["description"],
                    "latest_version": latest["version"],
                    "name": registered.name,
                    "tags": latest["tags"],
                }
            )
    return sorted(result, key=lambda r: str(r["name"]))


def parse_reference(reference: str) -> tuple[str, str | None, str | None]:
    return parse_asset_reference(reference, "models", "model")


def resolve_model(ctx: Context, reference: str, location: Location | None = None) -> RegisteredModel:
    """The registered version a deployment's `model:` reference means, with its files."""
    name, version, label = parse_reference(reference)
    if version is None and label is None:
        label = "latest"
    try:
        mv = _find(tracking.client(ctx), name, version, label)
    except AzNotFoundError as exc:
        raise AzNotFoundError(exc.message, location, hint=exc.hint) from None
    files = local_files(ctx, mv) or _download(ctx, name, mv)
    if not files.exists():
        raise AzError(f"the files of model {name}:{_azure_version(mv)} are missing: {files}", location)
    return RegisteredModel(
        name=name,
        version=_azure_version(mv),
        mlflow_version=str(mv.version),
        model_type=_model_type(dict(mv.tags or {}), files, str(mv.source)),
        files=files,
        run_id=mv.run_id,
    )


def _download(ctx: Context, name: str, mv: MlflowModelVersion) -> Path:
    """The files of a version registered with a `runs:/`, `models:/` or remote source, fetched once into
    the state folder (`mlartifacts/downloads/<name>/<mlflow version>/<name>/`)."""
    target = ctx.mlflow_artifacts / "downloads" / name / str(mv.version)
    done = target / ".complete"
    if done.is_file():
        return Path(done.read_text(encoding="utf-8").strip())
    import mlflow.artifacts

    staging = target.with_name(f".{target.name}-{uuid.uuid4().hex[:8]}")
    (staging / name).mkdir(parents=True)  # the model folder inside AZUREML_MODEL_DIR, as on Azure
    try:
        fetched = mlflow.artifacts.download_artifacts(
            artifact_uri=f"models:/{name}/{mv.version}",
            dst_path=str(staging / name),
            tracking_uri=ctx.tracking_uri,
        )
    except Exception as exc:  # noqa: BLE001 - any MLflow failure is a user-facing error
        shutil.rmtree(staging, ignore_errors=True)
        raise AzNotFoundError(f"cannot fetch the files of model {name}:{_azure_version(mv)}: {exc}") from None
    relative = Path(fetched).resolve().relative_to(staging.resolve())
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    files = target / relative
    done.write_text(str(files), encoding="utf-8")
    return files


def update_model(
    ctx: Context,
    ws: Workspace,
    name: str,
    version: str,
    *,
    description: str | None = None,
    tags: dict[str, str] | None = None,
    remove_tags: list[str] | None = None,
) -> dict[str, Any]:
    """Change a version's description and tags (the only mutable parts of a model version)."""
    mlflow = tracking.client(ctx)
    mv = _find(mlflow, name, version, None)
    with tracking.store_lock(ctx):
        if description is not None:
            tracking.with_retry(
                lambda: mlflow.update_model_version(name, mv.version, description=description)
            )
        for key, value in (tags or {}).items():
            if key.startswith(_TAG):
                raise AzArgumentError(f"tag {key!r} is reserved by the emulator")
            tracking.with_retry(partial(mlflow.set_model_version_tag, name, mv.version, key, value))
        for key in remove_tags or []:
            if key in (mv.tags or {}) and not key.startswith(_TAG):
                tracking.with_retry(partial(mlflow.delete_model_version_tag, name, mv.version, key))
    return _view(ctx, ws, _find(mlflow, name, version, None))


def set_archived(ctx: Context, name: str, version: str | None, archived: bool) -> None:
    """Archive (or restore) one version, or all versions of the model when `version` is None."""
    mlflow = tracking.client(ctx)
    versions = _all_versions(mlflow, name)
    if not versions:
        _find(mlflow, name, version, None)
    targets = [mv for mv in versions if version is None or _azure_version(mv) == str(version)]
    if not targets:
        _find(mlflow, name, version, None)
    with tracking.store_lock(ctx):
        for mv in targets:
            if archived:
                tracking.with_retry(
                    partial(mlflow.set_model_version_tag, name, mv.version, _TAG + "archived", "true")
                )
            elif _archived(mv):
                tracking.with_retry(
                    partial(mlflow.delete_model_version_tag, name, mv.version, _TAG + "archived")
                )
