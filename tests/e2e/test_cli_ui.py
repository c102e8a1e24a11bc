"""`mlops ui`: the MLflow UI on 127.0.0.1 over the state folder's store; Ctrl-C stops it and its workers."""

from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _env(home: Path) -> dict[str, str]:
    env = {**os.environ, "MLOPS_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true", "PYTHONPATH": str(REPO)}
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def _start_ui(folder: Path, port: int, output: int) -> subprocess.Popen[str]:
    """`mlops ui` in `folder` with a state folder of its own; its output to `output` (PIPE: readable)."""
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "ui", "--port", str(port)],
        cwd=folder,
        env=_env(folder / "home"),
        stdout=output,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_ui_serves_the_store_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    proc = _start_ui(tmp_path, port, subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    seen = ""
    try:
        deadline = time.monotonic() + 150
        assert proc.stdout is not None
        while f"MLflow UI: {url}" not in seen:
            assert time.monotonic() < deadline, f"no URL printed:\n{seen}"
            assert proc.poll() is None, f"ui exited {proc.returncode}:\n{seen}"
            # raw reads: a buffered readline() would keep a second line that came in the same chunk out
            # of select()'s sight until more output arrives
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                seen += os.read(proc.stdout.fileno(), 65536).decode(errors="replace")
        with urllib.request.urlopen(url + "/health", timeout=10) as response:  # noqa: S310 - loopback
            assert response.status == 200
        with urllib.request.urlopen(url + "/", timeout=10) as response:  # noqa: S310 - loopback
            assert b"<html" in response.read().lower()
        assert (tmp_path / "home" / "mlflow.db").is_file()
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0, seen + out
        assert "Stopping the MLflow UI" in seen + out
        assert not _listening(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def test_ui_refuses_a_busy_port(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        proc = subprocess.run(
            [sys.executable, "-m", "emulator", "ui", "--port", str(port)],
            cwd=tmp_path,
            env=_env(tmp_path / "home"),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert proc.returncode == 2
    assert f"Port {port} on 127.0.0.1 is already in use" in proc.stderr
    assert f"mlops ui --port {port + 1}" in proc.stderr


def test_the_server_goes_with_a_killed_ui(tmp_path: Path) -> None:
    """`kill -9` of `mlops ui` leaves no MLflow server holding the port (it runs in a session of its own,
    so that Ctrl-C reaches only `mlops ui`; a watchdog stops it)."""
    import psutil

    port = _free_port()
    proc = _start_ui(tmp_path, port, subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 150
        while not _listening(port):
            assert time.monotonic() < deadline and proc.poll() is None, "the UI did not start"
            time.sleep(0.3)
        server = [p for p in psutil.Process(proc.pid).children() if "mlflow" in " ".join(p.cmdline())]
        assert len(server) == 1
        group = os.getpgid(server[0].pid)
        proc.kill()
        proc.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _members(group):
            assert time.monotonic() < deadline, "the MLflow server outlived the killed `mlops ui`"
            time.sleep(0.2)
        assert not _listening(port)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=30)


def _members(group: int) -> list[int]:
    """The live (not zombie) processes of process group `group`."""
    import psutil

    found = []
    for process in psutil.process_iter():
        try:
            if os.getpgid(process.pid) == group and process.status() != psutil.STATUS_ZOMBIE:
                found.append(process.pid)
        except (ProcessLookupError, psutil.NoSuchProcess):
            continue
    return found
