"""The MLflow store behind jobs and models: one client, quiet logs, and writes serialised on sqlite.

sqlite allows one writer at a time and MLflow's first connection runs schema migrations, so
concurrent `az` processes take an fcntl lock around registry writes and retry on
`database is locked` with backoff.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from emulator.azureml.assets.records import locked
from emulator.azureml.context import Context
from emulator.azureml.errors import AzError
from emulator.store.paths import user_cache

if TYPE_CHECKING:
    from mlflow.tracking import MlflowClient

T = TypeVar("T")
# The settings of an MLflow client that reach a team tracking server (mlflow's own variable names).
_CLIENT_SETTINGS = (
    "MLFLOW_TRACKING_USERNAME",
    "MLFLOW_TRACKING_PASSWORD",
    "MLFLOW_TRACKING_TOKEN",
    "MLFLOW_TRACKING_INSECURE_TLS",
    "MLFLOW_TRACKING_SERVER_CERT_PATH",
    "MLFLOW_TRACKING_CLIENT_CERT_PATH",
)


def is_local_store(uri: str) -> bool:
    return uri.startswith("sqlite:")


def is_server(uri: str) -> bool:
    """Whether `uri` is a tracking server (a team's, over HTTP) rather than a store opened directly."""
    return uri.startswith(("http://", "https://"))


def client_credentials(uri: str) -> dict[str, str]:
    """What a job logging to `uri` needs to reach it when it is a team's tracking server (as Azure ML
    hands a job its workspace's token): this environment's MLflow client settings; nothing for the
    state folder's store or its own server (on 127.0.0.1)."""
    if not is_server(uri) or uri.startswith(("http://127.0.0.1:", "http://localhost:")):
        return {}
    return {k: v for k, v in os.environ.items() if k in _CLIENT_SETTINGS}


def quiet_mlflow() -> None:
    """MLflow logs migrations and hints at INFO on stderr, and prints run URLs of a tracking server on
    stdout; az output must stay clean."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    os.environ.setdefault("MLFLOW_SUPPRESS_PRINTING_URL_TO_STDOUT", "true")
    for name in ("mlflow", "alembic", "alembic.runtime.migration"):
        logging.getLogger(name).setLevel(logging.WARNING)


@contextmanager
def store_lock(ctx: Context) -> Iterator[None]:
    """Serialise writes to the sqlite store of the state folder (a no-op for a team server)."""
    uri = ctx.tracking_uri
    if not is_local_store(uri):
        yield
        return
    with locked(ctx.home / "mlflow.db"):
        yield


def with_retry(action: Callable[[], T], attempts: int = 8) -> T:
    """Run `action`, retrying with jittered backoff while sqlite reports it is locked."""
    delay = 0.1
    for attempt in range(attempts):
        try:
            return action()
        except Exception as exc:  # noqa: BLE001 - MLflow wraps OperationalError in MlflowException
            if "database is locked" not in str(exc) or attempt == attempts - 1:
                raise
            time.sleep(delay + random.uniform(0, delay))
            delay *= 2
    raise AssertionError("unreachable")


def client(ctx: Context) -> MlflowClient:
    """An MlflowClient on the state folder's store (created, and migrated, under the store lock)."""
    quiet_mlflow()
    from mlflow.tracking import MlflowClient

    quiet_mlflow()  # importing mlflow configures its loggers at INFO again

    uri = ctx.tracking_uri
    if not is_local_store(uri):
        return MlflowClient(tracking_uri=uri, registry_uri=uri)
    ctx.home.mkdir(parents=True, exist_ok=True)
    try:
        with store_lock(ctx):
            if uri.startswith("sqlite:///") and uri.removeprefix("sqlite:///") not in ("", ":memory:"):
                _seed(Path(uri.removeprefix("sqlite:///")))
            made = with_retry(lambda: MlflowClient(tracking_uri=uri, registry_uri=uri))
            with_retry(lambda: made.search_experiments(max_results=1))
    except Exception as exc:  # noqa: BLE001 - MlflowException: report it without a traceback
        if "database schema" not in str(exc):
            raise
        raise AzError(
            f"the MLflow store {uri} was written by another MLflow version than this one "
            f"({_mlflow_version()}): {str(exc).split('.')[0]}",
            hint="delete the state folder (or its mlflow.db) to start afresh, "
            f"or migrate it with `mlflow db upgrade {uri}`",
        ) from None
    return made


def _seed(db: Path) -> None:
    """Start a new sqlite store as a copy of an empty one at MLflow's newest schema.

    Opening a new store runs MLflow's 60-odd schema migrations (about half a second, paid by every new
    state folder); the migrated empty schema is a pure function of the MLflow version, so it is made
    once per user and version and copied. MLflow then adds the default experiment with this store's
    artifact root, as it does after migrating. Anything unexpected leaves the store to MLflow."""
    if db.exists():
        return
    try:
        from mlflow.store.db import utils as db_utils

        initialize: Callable[[Any], None] = db_utils._initialize_tables
    except (ImportError, AttributeError):
        return
    template = user_cache() / "mlflow" / f"empty-{_mlflow_version()}.db"
    copy = db.with_name(f".{db.name}.{os.getpid()}.tmp")
    try:
        if not _is_sqlite(template):
            _make_empty_store(template, initialize)
        shutil.copyfile(template, copy)
        os.replace(copy, db)
    except Exception:  # noqa: BLE001 - a faster start only: MLflow migrates a new store itself
        copy.unlink(missing_ok=True)
        logging.getLogger(__name__).debug("no seeded MLflow store", exc_info=True)


def _make_empty_store(template: Path, initialize: Callable[[Any], None]) -> None:
    """Write `template`: an empty store migrated by MLflow's own `initialize` (one writer at a time)."""
    import sqlalchemy

    template.parent.mkdir(parents=True, exist_ok=True)
    with locked(template):
        if _is_sqlite(template):  # made by a concurrent call while this one waited
            return
        staging = template.with_name(f".{template.name}.{os.getpid()}.tmp")
        engine = sqlalchemy.create_engine(f"sqlite:///{staging}")
        try:
            initialize(engine)
            engine.dispose()
            os.replace(staging, template)
        finally:
            engine.dispose()  # a no-op after the first: here for a failed initialize
            staging.unlink(missing_ok=True)


def _is_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(16) == b"SQLite format 3\x00"
    except OSError:
        return False


def _mlflow_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mlflow")
    except PackageNotFoundError:
        return "unknown"


def experiment_id(ctx: Context, mlflow: MlflowClient, name: str) -> str:
    """The id of experiment `name`, created with its artifacts inside the state folder if new."""
    with store_lock(ctx):
        existing = with_retry(lambda: mlflow.get_experiment_by_name(name))
        if existing is not None:
            return str(existing.experiment_id)
        location = None
        if not is_server(ctx.tracking_uri):  # a database has no artifact root of its own: the state folder's
            location = (ctx.mlflow_artifacts / "experiments" / name).as_uri()
        try:
            return str(with_retry(lambda: mlflow.create_experiment(name, artifact_location=location)))
        except Exception as exc:  # noqa: BLE001 - MlflowException; a shared store has no lock of ours
            made = with_retry(lambda: mlflow.get_experiment_by_name(name))
            if getattr(exc, "error_code", None) != "RESOURCE_ALREADY_EXISTS" or made is None:
                raise
            return str(made.experiment_id)  # another state folder (a team mate) created it meanwhile
