"""Scoring servers as processes: the Azure ML inference server under gunicorn, bound to 127.0.0.1.

What the process backend runs (see `backends.py`), and the HTTP and log helpers both backends use.
`azmlinfsrv` always binds 0.0.0.0, so its WSGI app is run under gunicorn directly (the way the
environment notes prescribe). Processes are detached (own session) so they outlive the `az` command
that started them; they are identified by pid *and* start time so a recycled pid is never killed.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from emulator.azureml.compute.loopback import free_port as free_port
from emulator.azureml.compute.loopback import http_request as http_request
from emulator.azureml.compute.loopback import log_tail as log_tail
from emulator.azureml.compute.loopback import wait_answering
from emulator.processes import process_start_ticks, stop_group

APP = "azureml_inference_server_http.server.entry:app"
_CLEAN_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "MLFLOW_RUN_ID", "MLFLOW_EXPERIMENT_NAME")


@dataclass(frozen=True)
class ServerProcess:
    """A started server: enough to find, probe and stop it later from another process."""

    pid: int
    start_ticks: int
    port: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_server(
    *,
    python: Path,
    entry_script: Path,
    model_dir: Path,
    cwd: Path,
    log_path: Path,
    environment: dict[str, str],
    port: int | None = None,
    workers: int = 1,
    timeout: int = 120,
) -> ServerProcess:
    """Start gunicorn with the inference server app, detached, logging to `log_path`."""
    chosen = port or free_port()
    env = {k: v for k, v in os.environ.items() if k not in _CLEAN_ENV}
    env.update(environment)
    env["AZUREML_ENTRY_SCRIPT"] = str(entry_script)
    env["AZUREML_MODEL_DIR"] = str(model_dir)
    env["AZUREML_SOURCE_DIRECTORY"] = str(cwd)
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["PYTHONUNBUFFERED"] = "1"
    env["PATH"] = str(python.parent) + os.pathsep + env.get("PATH", "")
    command = [
        str(python),
        "-m",
        "gunicorn",
        "-b",
        f"127.0.0.1:{chosen}",
        "-w",
        str(workers),
        "--timeout",
        str(timeout),
        "--chdir",
        str(cwd),
        APP,
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "ab") as log:
        log.write(("$ " + " ".join(command) + "\n").encode())
        log.flush()
        process = subprocess.Popen(
            command,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ticks = process_start_ticks(process.pid) or 0
    return ServerProcess(pid=process.pid, start_ticks=ticks, port=chosen, log_path=log_path)


def wait_healthy(server: ServerProcess, timeout: float = 180.0) -> float:
    """Seconds until GET / answers 200; raises with the server log tail if it dies or times out."""
    return wait_answering(
        server.pid, server.start_ticks, server.base_url + "/", server.log_path, "the scoring server", timeout
    )


def stop_server(pid: int, start_ticks: int, grace: float = 10.0) -> bool:
    """Stop the server's whole process group (gunicorn master and workers); True if it was running."""
    return stop_group(pid, start_ticks, grace)
