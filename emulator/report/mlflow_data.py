"""What MLflow knows about a pipeline run: the registered model, its training run's metrics and plots.

A run record does not name the model directly; the pipeline's outputs do, the way the recipes pass
them between stages: an output ending in `modelVersion` (e.g. `RegisterModel.register.modelVersion`)
and one ending in `jobName` (the Azure ML job, whose MLflow run carries the tag `azureml.job_name`).
When no output names a model, the runs logged while the pipeline ran are shown instead.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import os
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from emulator import extras
from emulator.store.paths import mlflow_tracking_uri

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

IMAGE_TYPES = (".png", ".jpg", ".jpeg", ".gif", ".svg")
MAX_IMAGE_BYTES = 5 * 1024 * 1024
PLOTS_DIR = "plots"


@dataclass(frozen=True)
class Plot:
    path: str  # artifact path, e.g. plots/roc_curve.png
    data_uri: str  # data:image/png;base64,...


@dataclass(frozen=True)
class TrainingRun:
    run_id: str
    name: str
    experiment: str
    status: str
    metrics: Mapping[str, float]
    params: Mapping[str, str]
    plots: tuple[Plot, ...]
    job_name: str | None = None


@dataclass(frozen=True)
class ModelVersion:
    name: str
    version: str  # the Azure version string (azureml.version tag) or MLflow's
    run_id: str | None
    tags: Mapping[str, str]
    found_by: str  # how it was matched to the pipeline run


@dataclass(frozen=True)
class MlflowFindings:
    model: ModelVersion | None = None
    runs: tuple[TrainingRun, ...] = ()
    note: str | None = None  # why nothing (or less) was found
    tracking_uri: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)


def _outputs(record: Mapping[str, Any], suffix: str) -> list[str]:
    """Values of the run's output variables whose name ends with `suffix` (case-insensitive)."""
    found: list[str] = []
    for stage in record.get("stages") or []:
        for job in stage.get("jobs") or []:
            for key, value in (job.get("outputs") or {}).items():
                if str(key).lower().endswith(suffix.lower()) and value not in (None, "", "***"):
                    found.append(str(value))
    return list(dict.fromkeys(found))


def _millis(stamp: Any) -> int | None:
    try:
        return int(datetime.fromisoformat(str(stamp)).timestamp() * 1000)
    except (TypeError, ValueError):
        return None


def _client(home: Path) -> MlflowClient | None:
    uri = mlflow_tracking_uri(home)
    if uri.startswith("sqlite:") and not Path(uri.removeprefix("sqlite:///")).is_file():
        return None  # no store yet: don't create one just to read it
    extras.require("azureml", "the model, metrics and plots from MLflow", "mlflow")
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_ENABLE_ARTIFACTS_PROGRESS_BAR", "false")  # stderr stays for messages
    from mlflow.tracking import MlflowClient

    for name in ("mlflow", "alembic", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)
    return MlflowClient(tracking_uri=uri, registry_uri=uri)


def find(home: Path, record: Mapping[str, Any], max_runs: int = 5) -> MlflowFindings:
    """The model the pipeline run registered, and the training runs behind it (never raises)."""
    uri = mlflow_tracking_uri(home)
    try:
        client = _client(home)
        if client is None:
            return MlflowFindings(note=f"no MLflow store at {uri}", tracking_uri=uri)
        return _find(client, record, max_runs, uri)
    except extras.MissingExtraError as exc:
        return MlflowFindings(note=f"{exc.message} ({exc.hint})", tracking_uri=uri)
    except Exception as exc:  # noqa: BLE001 - a report shows what it can; MLflow raises many kinds
        return MlflowFindings(
            note=f"MLflow could not be read ({type(exc).__name__}: {exc})", tracking_uri=uri
        )


def _find(client: MlflowClient, record: Mapping[str, Any], max_runs: int, uri: str) -> MlflowFindings:
    versions = _outputs(record, "modelVersion")
    job_names = _outputs(record, "jobName")
    experiments = [e.experiment_id for e in client.search_experiments()]
    job_runs: list[Any] = []
    for job_name in job_names if experiments else []:
        safe = job_name.replace("'", "")
        job_runs += client.search_runs(experiments, f"tags.`azureml.job_name` = '{safe}'")
    model = (
        _match_model(client, versions, str(record.get("id", "")), {r.info.run_id for r in job_runs})
        if versions
        else None
    )
    runs: list[Any] = []
    if model is not None and model.run_id:
        runs.append(client.get_run(model.run_id))
    runs += [r for r in job_runs if r.info.run_id not in {x.info.run_id for x in runs}]
    note = None
    if not runs and experiments:
        start = _millis(record.get("startedAt"))
        end = _millis(record.get("finishedAt") or record.get("updatedAt"))
        if start is not None:
            window = f"attributes.start_time >= {start}"
            if end:
                window += f" AND attributes.start_time <= {end}"
            runs = list(
                client.search_runs(
                    experiments, window, max_results=max_runs, order_by=["attributes.start_time DESC"]
                )
            )
            note = "no output names a model: showing the MLflow runs started while the pipeline ran"
    if versions and model is None:
        note = f"model version {', '.join(versions)} is not in the registry at {uri}"
    if not runs and note is None:
        note = "no MLflow runs belong to this pipeline run"
    return MlflowFindings(model, tuple(_training_run(client, r) for r in runs[:max_runs]), note, uri)


def _match_model(
    client: MlflowClient, versions: list[str], run_id: str, training: set[str]
) -> ModelVersion | None:
    """The registered version named by the outputs; ties broken by the build tag and the training run."""
    best: tuple[int, int, Any] | None = None
    for mv in client.search_model_versions(max_results=10000):
        tags = dict(mv.tags or {})
        azure_version = str(tags.get("azureml.version") or mv.version)
        if azure_version not in versions:
            continue
        score = (2 if tags.get("build") == run_id else 0) + (1 if mv.run_id in training else 0)
        key = (score, int(mv.creation_timestamp or 0), mv)
        if best is None or key[:2] > best[:2]:
            best = key
    if best is None:
        return None
    mv = best[2]
    tags = dict(mv.tags or {})
    how = {3: "build tag and training run", 2: "build tag", 1: "training run"}.get(best[0], "version only")
    return ModelVersion(
        str(mv.name),
        str(tags.get("azureml.version") or mv.version),
        mv.run_id,
        {k: str(v) for k, v in tags.items() if not k.startswith("azureml.")},
        how,
    )


def _training_run(client: MlflowClient, run: Any) -> TrainingRun:
    experiment = client.get_experiment(run.info.experiment_id)
    return TrainingRun(
        run_id=run.info.run_id,
        name=str(run.info.run_name or run.info.run_id),
        experiment=str(experiment.name),
        status=str(run.info.status),
        metrics=dict(sorted(run.data.metrics.items())),
        params=dict(sorted(run.data.params.items())),
        plots=tuple(_plots(client, run.info.run_id)),
        job_name=run.data.tags.get("azureml.job_name"),
    )


def _image_paths(client: MlflowClient, run_id: str, path: str, depth: int = 0) -> Iterable[str]:
    for info in client.list_artifacts(run_id, path):
        if info.is_dir and depth < 2:
            yield from _image_paths(client, run_id, info.path, depth + 1)
        elif info.path.lower().endswith(IMAGE_TYPES) and (info.file_size or 0) <= MAX_IMAGE_BYTES:
            yield info.path


def _plots(client: MlflowClient, run_id: str) -> list[Plot]:
    """Images the training logged under plots/, as data URIs (the report must be self-contained)."""
    out: list[Plot] = []
    with tempfile.TemporaryDirectory(prefix="mlops-report-") as tmp:
        for path in sorted(_image_paths(client, run_id, PLOTS_DIR)):
            local = Path(client.download_artifacts(run_id, path, tmp))
            data = local.read_bytes()
            if len(data) > MAX_IMAGE_BYTES:
                continue
            mime = mimetypes.guess_type(local.name)[0] or "application/octet-stream"
            out.append(Plot(path, f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"))
    return out
