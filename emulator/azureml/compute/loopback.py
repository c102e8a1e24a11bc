"""Talking to the emulator's own servers, on 127.0.0.1 or a unix socket: a free port, one HTTP request
(never via a proxy), waiting until a server it started answers.

Shared by what serves deployments (`serving/`) and the MLflow tracking server jobs log to
(`tracking_server.py`), which is why it lives in this layer.
"""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.request
from pathlib import Path

from emulator.azureml.errors import AzError
from emulator.processes import is_running, reap, stop_group

HOST = "127.0.0.1"


def free_port() -> int:
    """A port free on 127.0.0.1 right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


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


class UnixConnection(http.client.HTTPConnection):
    """An http.client connection to a server on a unix socket."""

    def __init__(self, path: Path, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self.path = path

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(self.timeout)
        self.sock.connect(str(self.path))


def unix_request(
    socket_path: Path,
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> tuple[int, bytes]:
    """(status, body) of one HTTP request to the server on `socket_path` (OSError if none answers)."""
    connection = UnixConnection(socket_path, timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def answers(target: str | Path) -> bool:
    """Whether GET `target` (a URL, or the `/` of a unix socket) answers 200."""
    try:
        if isinstance(target, Path):
            return unix_request(target, "GET", "/", timeout=2.0)[0] == 200
        return http_request("GET", target, timeout=2.0)[0] == 200
    except OSError:
        return False


def log_tail(path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log (all of it for 0); empty when there is none."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "".join(text.splitlines(True)[-lines:]) if lines > 0 else text


def wait_answering(
    pid: int, start_ticks: int, target: str | Path, log: Path, what: str, timeout: float
) -> float:
    """Seconds until GET `target` (a URL, or the `/` of a unix socket) answers 200. If the process dies
    first, or `timeout` runs out (the process is then stopped), an AzError says so with its log's tail."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if not is_running(pid, start_ticks):
            reap(pid)
            raise AzError(
                f"{what} exited before it answered (log: {log})", hint=f"its log:\n{log_tail(log).rstrip()}"
            )
        if answers(target):
            return time.monotonic() - started
        time.sleep(0.2)
    stop_group(pid, start_ticks)
    raise AzError(
        f"{what} did not answer on {target} within {int(timeout)} s",
        hint=f"its log:\n{log_tail(log).rstrip()}",
    )
