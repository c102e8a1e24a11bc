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


def _listening(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(1)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def test_ui_serves_the_store_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "ui", "--port", str(port)],
        cwd=tmp_path,
        env=_env(tmp_path / "home"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    seen = ""
    try:
        deadline = time.monotonic() + 150
        assert proc.stdout is not None
        while f"MLflow UI: {url}" not in seen:
            assert time.monotonic() < deadline, f"no URL printed:\n{seen}"
            assert proc.poll() is None, f"ui exited {proc.returncode}:\n{seen}"
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if ready:
                seen += proc.stdout.readline()
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
