"""Scoring servers as processes: the Azure ML inference server under gunicorn, bound to 127.0.0.1.

What the process backend runs (see `backends.py`), and the HTTP and log helpers both backends use.
`azmlinfsrv` always binds 0.0.0.0, so its WSGI app is run under gunicorn directly (the way the
environment notes prescribe). Processes are detached (own session) so they outlive the `az` command
that started them; they are identified by pid *and* start time so a recycled pid is never killed.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from emulator.azureml.errors import AzError
from emulator.processes import is_running, process_start_ticks, reap, stop_group

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


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


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


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "".join(text.splitlines(True)[-lines:]) if lines > 0 else text


def wait_healthy(server: ServerProcess, timeout: float = 180.0) -> float:
    """Seconds until GET / answers 200; raises with the server log tail if it dies or times out."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not is_running(server.pid, server.start_ticks):
            reap(server.pid)
            raise AzError(
                f"the scoring server exited before becoming healthy (log: {server.log_path})",
                hint=f"server log:\n{log_tail(server.log_path).rstrip()}",
            )
        try:
            status, _ = http_request("GET", server.base_url + "/", timeout=2.0)
            if status == 200:
                return time.monotonic() - started
        except OSError:
            pass
        time.sleep(0.2)
    stop_server(server.pid, server.start_ticks)
    raise AzError(
        f"the scoring server did not answer on {server.base_url}/ within {int(timeout)} s",
        hint=f"server log:\n{log_tail(server.log_path).rstrip()}",
    )


def stop_server(pid: int, start_ticks: int, grace: float = 10.0) -> bool:
    """Stop the server's whole process group (gunicorn master and workers); True if it was running."""
    return stop_group(pid, start_ticks, grace)


def http_request(
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, bytes]:
    """(status, body) of one HTTP request; HTTP error statuses are returned, not raised."""
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    try:
        with opener.open(request, timeout=timeout) as response:
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read())
