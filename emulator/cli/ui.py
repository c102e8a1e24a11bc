"""`mlops ui`: the MLflow UI over the state folder's store, on 127.0.0.1 only, until Ctrl-C.

The server runs as a child process in its own process group, so Ctrl-C (or SIGTERM) stops it and all
of its workers, and nothing is left listening after the command returns.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType

from rich.console import Console

from emulator import extras
from emulator.errors import MlopsError
from emulator.processes import guard_group, kill_group, reap
from emulator.store.paths import mlflow_artifacts_dir, mlflow_tracking_uri

HOST = "127.0.0.1"
READY_TIMEOUT = 120.0


def server_command(home: Path, port: int) -> list[str]:
    """The `mlflow server` command line for the state folder's sqlite store and artifact folder."""
    return [
        sys.executable,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        mlflow_tracking_uri(home),
        "--default-artifact-root",
        mlflow_artifacts_dir(home).as_uri(),
        "--host",
        HOST,
        "--port",
        str(port),
        "--workers",
        "1",
    ]


def _port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url + "/health", timeout=2) as response:  # noqa: S310 - loopback only
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _stop(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM the server's process group, then SIGKILL what is left of it after 10 s: the server's
    children (uvicorn's workers) must not outlive it, holding the port or the caller's streams."""
    kill_group(proc.pid, grace=10.0, proc=proc)
    reap(proc.pid)


def serve(home: Path, port: int, console: Console) -> int:
    """Start the UI, print its URL, and wait until Ctrl-C or SIGTERM; returns the exit code."""
    uri = mlflow_tracking_uri(home)
    if not uri.startswith("sqlite:"):
        console.print(f"MLFLOW_TRACKING_URI points at {uri}: open that server's UI instead.", highlight=False)
        return 0
    extras.require("azureml", "mlops ui (the MLflow UI)", "mlflow")
    if not 0 < port < 65536:
        raise MlopsError(f"--port {port} is not a TCP port", None, expected="a number from 1 to 65535")
    if not _port_free(port):
        raise MlopsError(
            f"Port {port} on {HOST} is already in use",
            None,
            hint=f"pass another one, e.g. mlops ui --port {port + 1}",
        )
    home.mkdir(parents=True, exist_ok=True)
    mlflow_artifacts_dir(home).mkdir(parents=True, exist_ok=True)
    url = f"http://{HOST}:{port}"
    # no queue of GenAI jobs (MLflow 3 starts seven huey consumers for it): the UI only reads the store
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false"}
    proc = subprocess.Popen(server_command(home, port), env=env, start_new_session=True)
    guard = guard_group(proc.pid)  # the server goes when this process goes, even by SIGKILL

    def on_term(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    # Ctrl-C and SIGTERM stop it even where it started with SIGINT ignored (a `cmd &` of a script)
    previous = {sig: signal.signal(sig, on_term) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        console.print(f"Starting the MLflow UI over {uri} …", highlight=False)
        deadline = time.monotonic() + READY_TIMEOUT
        while not _ready(url):
            if proc.poll() is not None:
                raise MlopsError(
                    f"The MLflow server stopped (exit code {proc.returncode}) before it was ready",
                    None,
                    hint="its messages are above; try another --port",
                )
            if time.monotonic() > deadline:
                raise MlopsError(
                    f"The MLflow server did not answer on {url} within {READY_TIMEOUT:.0f} s", None
                )
            time.sleep(0.3)
        console.print(f"[bold green]MLflow UI:[/bold green] {url}  (Ctrl-C stops it)", highlight=False)
        proc.wait()
        return 0 if proc.returncode in (0, -signal.SIGTERM) else 1
    except KeyboardInterrupt:
        console.print("Stopping the MLflow UI", highlight=False)
        return 0
    finally:
        _stop(proc)
        guard.terminate()
        guard.wait()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
