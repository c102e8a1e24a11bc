"""The state folder's MLflow store served over HTTP, as Azure ML serves its workspace's tracking URI.

A job's environment pins its own MLflow (mlops-v2's pins mlflow 2.9.2), and an MLflow client of
another version cannot open the emulator's store directly (mlflow-skinny has no SQLAlchemy; a full
MLflow 2 does not know MLflow 3's schema revision). Over HTTP any client version talks to the server,
so jobs get `MLFLOW_TRACKING_URI=http://127.0.0.1:<port>` of a real `mlflow server`:

- started on demand by the first job that needs it, one per state folder, and reused: its pid, start
  time and port are recorded in `mlflow-server.json` (a lock on that file stops two `az` processes
  from starting two servers); `mlops down` and `mlops endpoints down` stop it;
- serving the state folder's store (`mlflow.db`, artifacts in `mlartifacts/`), or the database
  `$MLFLOW_TRACKING_URI` names (e.g. a team's PostgreSQL);
- not started when `$MLFLOW_TRACKING_URI` is already an HTTP server (a team's: jobs get that URI), nor
  for a job whose MLflow is the emulator's own (its Python, `MLOPS_JOB_ENV_MANAGER=local`, or an
  environment with the same full MLflow version) or that has none: such a job opens the store
  directly, and no job waits for a server it does not need.
"""

from __future__ import annotations

import functools
import importlib.metadata
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.assets import tracking
from emulator.azureml.assets.records import locked, read_json, utc_now, write_json
from emulator.azureml.compute.loopback import HOST, free_port, wait_answering
from emulator.azureml.compute.runtimes import machine_environment
from emulator.azureml.context import Context, Sink
from emulator.processes import is_running, process_start_ticks, stop_group

RECORD = "mlflow-server.json"
LOG = "mlflow-server.log"
READY_SECONDS = 120.0
_NOT_INHERITED = ("MLFLOW_TRACKING_URI", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_ID")


@dataclass(frozen=True)
class TrackingServer:
    """A running `mlflow server`: enough to find, probe and stop it from another process."""

    pid: int
    start_ticks: int
    port: int
    backend: str

    @property
    def uri(self) -> str:
        return f"http://{HOST}:{self.port}"


def record_path(ctx: Context) -> Path:
    return ctx.home / RECORD


def log_path(ctx: Context) -> Path:
    return ctx.home / LOG


def _from_record(data: Any) -> TrackingServer | None:
    if not isinstance(data, dict):
        return None
    pid, ticks, port = data.get("pid"), data.get("start_ticks"), data.get("port")
    if not (isinstance(pid, int) and isinstance(ticks, int) and isinstance(port, int)):
        return None
    return TrackingServer(pid, ticks, port, str(data.get("backend") or ""))


def running_server(ctx: Context) -> TrackingServer | None:
    """The state folder's server if its recorded process still runs."""
    found = _from_record(read_json(record_path(ctx)))
    if found is None or not is_running(found.pid, found.start_ticks):
        return None
    return found


def opens_store_directly(prefix: Path) -> bool:
    """Whether the Python environment at `prefix` has the emulator's own full MLflow, or none at all."""
    sites = prefix.glob("lib/python*/site-packages")
    installed = {info.name.lower() for site in sites for info in site.glob("mlflow*")}
    if not any(name.endswith(".dist-info") for name in installed):
        return True
    return f"mlflow-{_our_mlflow()}.dist-info" in installed


@functools.lru_cache(maxsize=1)
def _our_mlflow() -> str:
    return importlib.metadata.version("mlflow")


def job_tracking_uri(ctx: Context, runtime_prefix: Path, progress: Sink | None = None) -> str:
    """The MLFLOW_TRACKING_URI a job gets: a team server's as is; the store itself for a job whose
    MLflow is ours (or absent); else the state folder's tracking server (started now if needed)."""
    uri = ctx.tracking_uri
    if tracking.is_server(uri) or opens_store_directly(runtime_prefix):
        return uri
    return ensure_server(ctx, progress).uri


def ensure_server(ctx: Context, progress: Sink | None = None) -> TrackingServer:
    """The running server of the state folder, started (and waited for) if there is none."""
    backend = ctx.tracking_uri
    found = running_server(ctx)
    if found is not None and found.backend == backend:
        return found
    with locked(record_path(ctx)):
        found = running_server(ctx)
        if found is not None and found.backend == backend:
            return found
        if found is not None:  # it serves another store than $MLFLOW_TRACKING_URI names now
            stop_group(found.pid, found.start_ticks)
        if tracking.is_local_store(backend):
            tracking.client(ctx)  # create and migrate the store first, under its lock
        ctx.mlflow_artifacts.mkdir(parents=True, exist_ok=True)
        started = time.monotonic()
        server = _start(ctx, backend)
        if progress is not None:
            progress(f"Starting the MLflow tracking server of {ctx.home} on {server.uri} …\n")
        wait_answering(
            server.pid,
            server.start_ticks,
            server.uri + "/health",
            log_path(ctx),
            f"the MLflow tracking server of {ctx.home}",
            READY_SECONDS,
        )
        write_json(
            record_path(ctx),
            {
                "pid": server.pid,
                "start_ticks": server.start_ticks,
                "port": server.port,
                "backend": backend,
                "artifacts": str(ctx.mlflow_artifacts),
                "uri": server.uri,
                "log": str(log_path(ctx)),
                "started_at": utc_now(),
                "ready_seconds": round(time.monotonic() - started, 1),
            },
        )
        if progress is not None:
            progress(f"MLflow tracking server ready in {time.monotonic() - started:.1f} s: {server.uri}\n")
        return server


def server_command(ctx: Context, backend: str, port: int) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        backend,
        "--artifacts-destination",
        str(ctx.mlflow_artifacts),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
    ]


def _start(ctx: Context, backend: str) -> TrackingServer:
    port = free_port()
    # the machine's basics and what reaches the store (MLflow's and libpq's settings, e.g. PGPASSWORD);
    # nothing else of the pipeline step whose `az` starts it
    env = machine_environment(Path(sys.executable).parent)
    env.update(
        (k, v) for k, v in os.environ.items() if k.startswith(("MLFLOW_", "PG")) and k not in _NOT_INHERITED
    )
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"  # no queue of GenAI jobs: six fewer processes
    with open(log_path(ctx), "ab") as log:
        log.write(f"--- {utc_now()} port {port}\n".encode())
        log.flush()
        process = subprocess.Popen(
            server_command(ctx, backend, port),
            cwd=ctx.home,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # outlives this `az`; stopped as a group by `mlops down`
        )
    return TrackingServer(process.pid, process_start_ticks(process.pid) or 0, port, backend)


def stop_server(ctx: Context) -> bool:
    """Stop the state folder's server (its whole process group); True if it was running."""
    with locked(record_path(ctx)):
        found = _from_record(read_json(record_path(ctx)))
        stopped = found is not None and stop_group(found.pid, found.start_ticks)
        record_path(ctx).unlink(missing_ok=True)
    return stopped
