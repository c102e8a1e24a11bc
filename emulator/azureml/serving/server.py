"""Scoring servers as processes: the Azure ML inference server under gunicorn, on a unix socket.

What the process backend runs (see `backends.py`), and the socket and log helpers both backends use.
A deployment listens on a unix socket in a folder only this user can enter (`socket_folder`), never on
a TCP port: the endpoint's front is the only way to it, as azureml-fe is on Azure, so its key is never
bypassed. (`azmlinfsrv` would bind 0.0.0.0, so its WSGI app is run under gunicorn directly.) Servers
get the environment Azure ML gives a deployment, nothing of the step that ran `az`. Processes are
detached (own session) so they outlive the `az` command that started them; they are identified by
pid *and* start time so a recycled pid is never killed.
"""

from __future__ import annotations

import hashlib
import os
import stat
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from emulator.azureml.compute.loopback import log_tail as log_tail
from emulator.azureml.compute.loopback import wait_answering
from emulator.azureml.compute.runtimes import machine_environment
from emulator.azureml.errors import AzError
from emulator.processes import process_start_ticks, stop_group

APP = "azureml_inference_server_http.server.entry:app"
SOCKET_NAME = "server.sock"


@dataclass(frozen=True)
class ServerProcess:
    """A started server: enough to find, probe and stop it later from another process."""

    pid: int
    start_ticks: int
    socket: Path
    log_path: Path


def socket_folder(key: str) -> Path:
    """A folder for one deployment's socket, inside `<runtime dir>/mlops-<uid>` (mode 0700, checked):
    short enough for a socket path (about 100 bytes at most), and closed to other users."""
    base = Path(os.environ.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()) / f"mlops-{os.getuid()}"
    base.mkdir(mode=0o700, exist_ok=True)
    info = base.lstat()
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid() or stat.S_IMODE(info.st_mode) & 0o077:
        raise AzError(
            f"{base} must be a folder of yours that only you can enter; it is not",
            hint="remove it (deployments create it again with mode 0700), or set XDG_RUNTIME_DIR",
        )
    folder = base / hashlib.sha256(key.encode()).hexdigest()[:16]
    folder.mkdir(mode=0o700, exist_ok=True)
    return folder


def start_server(
    *,
    python: Path,
    entry_script: Path,
    model_dir: Path,
    cwd: Path,
    log_path: Path,
    socket_path: Path,
    environment: dict[str, str],
    workers: int = 1,
    timeout: int = 120,
) -> ServerProcess:
    """Start gunicorn with the inference server app on `socket_path`, detached, logging to `log_path`."""
    env = machine_environment(python.parent)
    env.update(environment)
    env["AZUREML_ENTRY_SCRIPT"] = str(entry_script)
    env["AZUREML_MODEL_DIR"] = str(model_dir)
    env["AZUREML_SOURCE_DIRECTORY"] = str(cwd)
    command = [
        str(python),
        "-m",
        "gunicorn",
        "-b",
        f"unix:{socket_path}",
        "-w",
        str(workers),
        "--timeout",
        str(timeout),
        "--chdir",
        str(cwd),
        APP,
    ]
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # A socket left at this path (a server of a state folder deleted without `mlops down`) would answer
    # the health check until gunicorn replaces it: only the new server may answer there.
    socket_path.unlink(missing_ok=True)
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
    return ServerProcess(pid=process.pid, start_ticks=ticks, socket=socket_path, log_path=log_path)


def wait_healthy(server: ServerProcess, timeout: float = 180.0) -> float:
    """Seconds until GET / answers 200; raises with the server log tail if it dies or times out."""
    return wait_answering(
        server.pid, server.start_ticks, server.socket, server.log_path, "the scoring server", timeout
    )


def stop_server(pid: int, start_ticks: int, grace: float = 10.0) -> bool:
    """Stop the server's whole process group (gunicorn master and workers); True if it was running."""
    return stop_group(pid, start_ticks, grace)
