"""The front of an online endpoint: key auth, traffic split, deployment header, mirror traffic.

`python -m emulator.azureml.serving.front <endpoint> --home <state folder> [--port P] [--ready FILE]` serves
`http://127.0.0.1:<port>/score` the way an Azure ML managed online endpoint does, in its own detached
process (started by `endpoints.ensure_front`, recorded in the endpoint's `emulator.front` slot):

- `auth_mode: key` (and `aml_token`): `Authorization: Bearer <primaryKey|secondaryKey>`, else 401;
- the `azureml-model-deployment` header routes to that deployment, even at 0% traffic;
- otherwise a deployment is drawn by the endpoint's traffic weights, read from the endpoint record at
  request time (re-read when the file changes), so `update --traffic` needs no restart;
- `mirror_traffic` copies that share of the (header-less) requests to the mirror deployment in the
  background; its answer is ignored.

HTTP/1.1 is spoken directly on the sockets (keep-alive on both sides, messages written in one piece
with TCP_NODELAY, a minimal parser instead of the stdlib's email-based one), one thread per client
connection: the front adds well under a millisecond of CPU per request (see benchmarks/scoring.py).
The front exits on its own when its endpoint record disappears or names another front process.

Only the standard library and the emulator's storage helpers are imported: the front starts fast.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import socketserver
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http import HTTPStatus
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from emulator.azureml.assets.records import read_json, write_text

DEPLOYMENT_HEADER = "azureml-model-deployment"
NO_ROUTE = (
    "No valid deployments to route to. Please check that the endpoint has at least one deployment with "
    "positive weight values or use a deployment specific header to route."
)
_WATCH_SECONDS = 2.0
_GRACE_SECONDS = 30.0


class _Cached:
    """A JSON record re-read only when its file's mtime/size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._value: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def get(self) -> dict[str, Any] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            with self._lock:
                if stamp != self._stamp:
                    value = read_json(self.path)
                    self._value = value if isinstance(value, dict) else None
                    self._stamp = stamp
        return self._value


class Front:
    """Routing state shared by the connection threads."""

    def __init__(self, home: Path, endpoint: str) -> None:
        self.home = home
        self.endpoint = endpoint
        self.folder = home / "azureml" / "endpoints" / endpoint
        self.record = _Cached(self.folder / "endpoint.json")
        self._deployments: dict[str, _Cached] = {}
        self._lock = threading.Lock()
        self.mirror_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="mirror")
        self.local = threading.local()

    def deployment(self, name: str) -> dict[str, Any] | None:
        cached = self._deployments.get(name)
        if cached is None:
            with self._lock:
                cached = self._deployments.setdefault(
                    name, _Cached(self.folder / "deployments" / name / "deployment.json")
                )
        return cached.get()

    def target(self, name: str) -> tuple[str, int, str] | None:
        """(host, port, path) of a deployment's scoring URL, or None if it has none."""
        record = self.deployment(name)
        local = (record or {}).get("emulator") or {}
        uri = local.get("scoring_uri")
        if isinstance(uri, str) and uri.startswith("http://"):
            parsed = urlparse(uri)
            return parsed.hostname or "127.0.0.1", int(parsed.port or 80), parsed.path or "/score"
        port = local.get("port")
        return ("127.0.0.1", int(port), "/score") if isinstance(port, int) else None

    def _upstream(self, host: str, port: int) -> _Upstream:
        pool: dict[tuple[str, int], _Upstream] | None = getattr(self.local, "pool", None)
        if pool is None:
            pool = self.local.pool = {}
        conn = pool.get((host, port))
        if conn is None:
            conn = pool[(host, port)] = _Upstream(host, port)
        return conn

    def forward(
        self, deployment: str, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, str]:
        """(status, body, content type) of the request sent to `deployment`."""
        target = self.target(deployment)
        if target is None:
            message = f"deployment {deployment!r} was not found under endpoint {self.endpoint!r}"
            return 404, _error(message), "application/json"
        host, port, score_path = target
        upstream_path = score_path if method == "POST" and path.split("?")[0] in ("/score", "/") else path
        upstream = self._upstream(host, port)
        try:
            return upstream.exchange(method, upstream_path, body, headers)
        except (OSError, ValueError):
            upstream.close()
        message = (
            f"deployment {deployment!r} of endpoint {self.endpoint!r} is not running (its server on "
            f"{host}:{port} does not answer)"
        )
        return 503, _error(message), "application/json"

    def mirror(self, deployment: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        def send() -> None:
            try:
                self.forward(deployment, "POST", path, body, headers)
            except Exception:  # noqa: BLE001 - a mirror's failure never reaches the caller
                pass

        self.mirror_pool.submit(send)


class _Upstream:
    """One keep-alive HTTP/1.1 connection to a deployment, with a minimal (fast) response parser.

    The scoring server (gunicorn's sync worker) closes connections after each answer; the connection
    is then reopened for the next request. A request on a reused connection that fails before any
    answer is retried once on a fresh one (the server may have closed it meanwhile).
    """

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.sock: socket.socket | None = None
        self.buffer = b""

    def close(self) -> None:
        if self.sock is not None:
            try:
                self.sock.close()
            except OSError:
                pass
        self.sock = None
        self.buffer = b""

    def _connect(self) -> socket.socket:
        sock = socket.create_connection((self.host, self.port), timeout=300)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        self.buffer = b""
        return sock

    def exchange(
        self, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, str]:
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        lines.append(f"Content-Length: {len(body)}")
        request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body
        reused = self.sock is not None
        try:
            sock = self.sock or self._connect()
            sock.sendall(request)
            answer = self._read_response(sock, method)
        except (OSError, ValueError):
            self.close()
            if not reused:
                raise
            sock = self._connect()
            sock.sendall(request)
            answer = self._read_response(sock, method)
        return answer

    def _read_response(self, sock: socket.socket, method: str) -> tuple[int, bytes, str]:
        head, rest = _read_head(sock, self.buffer)
        lines = head.split(b"\r\n")
        parts = lines[0].split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/"):
            raise ValueError("malformed status line")
        status = int(parts[1])
        fields = _fields(lines[1:])
        body, rest = _read_body(sock, fields, rest, until_close=True, no_body=method == "HEAD")
        self.buffer = rest
        keep = parts[0] == b"HTTP/1.1" and fields.get("connection", "").lower() != "close"
        if not keep:
            self.close()
        return status, body, fields.get("content-type") or "application/json"


_MAX_HEAD = 64 * 1024
_QUICKACK: int | None = getattr(socket, "TCP_QUICKACK", None)  # Linux


def _recv(sock: socket.socket, size: int = 65536) -> bytes:
    """recv, acknowledging at once what arrives: a peer that writes a message in two pieces (headers,
    then body), with Nagle's algorithm holding the second until the first is acknowledged, would
    otherwise wait for our delayed ACK, about 40 ms per message."""
    if _QUICKACK is not None:
        sock.setsockopt(socket.IPPROTO_TCP, _QUICKACK, 1)
    return sock.recv(size)


def _read_head(sock: socket.socket, buffer: bytes) -> tuple[bytes, bytes]:
    """(head without the blank line, what was read after it)."""
    data = buffer
    while True:
        end = data.find(b"\r\n\r\n")
        if end >= 0:
            return data[:end], data[end + 4 :]
        if len(data) > _MAX_HEAD:
            raise ValueError("header too large")
        chunk = _recv(sock)
        if not chunk:
            if data:
                raise ValueError("connection closed in the middle of a message head")
            raise ConnectionResetError("connection closed")
        data += chunk


def _fields(lines: list[bytes]) -> dict[str, str]:
    fields: dict[str, str] = {}
    for line in lines:
        name, sep, value = line.partition(b":")
        if sep:
            fields[name.strip().lower().decode("latin-1")] = value.strip().decode("latin-1")
    return fields


def _read_exact(sock: socket.socket, data: bytes, size: int) -> tuple[bytes, bytes]:
    chunks = [data]
    have = len(data)
    while have < size:
        chunk = _recv(sock, max(65536, size - have))
        if not chunk:
            raise ValueError("connection closed in the middle of a body")
        chunks.append(chunk)
        have += len(chunk)
    joined = b"".join(chunks)
    return joined[:size], joined[size:]


def _read_line(sock: socket.socket, data: bytes) -> tuple[bytes, bytes]:
    while b"\r\n" not in data:
        chunk = _recv(sock)
        if not chunk:
            raise ValueError("connection closed in the middle of a chunked body")
        data += chunk
    line, _, rest = data.partition(b"\r\n")
    return line, rest


def _read_body(
    sock: socket.socket, fields: dict[str, str], rest: bytes, *, until_close: bool, no_body: bool = False
) -> tuple[bytes, bytes]:
    """(body, bytes after it) per Content-Length, chunked encoding, or (responses) until close."""
    if no_body:
        return b"", rest
    if "chunked" in fields.get("transfer-encoding", "").lower():
        parts: list[bytes] = []
        while True:
            line, rest = _read_line(sock, rest)
            size = int(line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                while True:  # trailers, up to the blank line
                    line, rest = _read_line(sock, rest)
                    if not line:
                        return b"".join(parts), rest
            chunk, rest = _read_exact(sock, rest, size + 2)
            parts.append(chunk[:-2])
    if "content-length" in fields:
        return _read_exact(sock, rest, int(fields["content-length"]))
    if not until_close:
        return b"", rest
    chunks = [rest]
    while True:
        chunk = _recv(sock)
        if not chunk:
            return b"".join(chunks), b""
        chunks.append(chunk)


def _error(message: str) -> bytes:
    return json.dumps({"message": message}).encode()


def _authorized(record: dict[str, Any], header: str | None) -> bool:
    if str(record.get("auth_mode", "key")).lower() not in ("key", "aml_token", "aad_token"):
        return True
    if not header or not header.startswith("Bearer "):
        return False
    token = header[len("Bearer ") :].strip()
    keys = record.get("keys") or {}
    return bool(token) and token in (keys.get("primaryKey"), keys.get("secondaryKey"))


def _choose(record: dict[str, Any]) -> str | None:
    weights = [(str(k), int(v)) for k, v in (record.get("traffic") or {}).items() if int(v) > 0]
    if not weights:
        return None
    if len(weights) == 1:
        return weights[0][0]
    names, values = zip(*sorted(weights), strict=True)
    return str(random.choices(names, weights=values, k=1)[0])


def _reason(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def _response(status: int, body: bytes, content_type: str, extra: dict[str, str], close: bool) -> bytes:
    reason = _reason(status)
    head = [
        f"HTTP/1.1 {status} {reason}",
        f"Content-Type: {content_type or 'application/json'}",
        f"Content-Length: {len(body)}",
        "Server: azureml-frontend-emulated",
    ]
    head += [f"{k}: {v}" for k, v in extra.items()]
    if close:
        head.append("Connection: close")
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + body


class _Connection(socketserver.BaseRequestHandler):
    """One client connection: HTTP/1.1 requests read and answered in a loop (keep-alive)."""

    front: Front

    def handle(self) -> None:
        sock: socket.socket = self.request
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.settimeout(600)
        pending = b""
        while True:
            try:
                head, pending = _read_head(sock, pending)
            except (OSError, ValueError):
                return
            lines = head.split(b"\r\n")
            request_line = lines[0].decode("latin-1").split()
            if len(request_line) != 3:
                sock.sendall(_response(400, _error("malformed request line"), "", {}, True))
                return
            method, path, version = request_line
            fields = _fields(lines[1:])
            if fields.get("expect", "").lower() == "100-continue":
                sock.sendall(b"HTTP/1.1 100 Continue\r\n\r\n")
            try:
                body, pending = _read_body(sock, fields, pending, until_close=False)
            except (OSError, ValueError):
                return
            connection = fields.get("connection", "").lower()
            close = connection == "close" or (version == "HTTP/1.0" and connection != "keep-alive")
            status, answer, content_type, extra = self.route(method, path, body, fields)
            try:
                sock.sendall(_response(status, answer, content_type, extra, close))
            except OSError:
                return
            if close:
                return

    def route(
        self, method: str, path: str, body: bytes, fields: dict[str, str]
    ) -> tuple[int, bytes, str, dict[str, str]]:
        front = self.front
        record = front.record.get()
        if record is None:
            return 404, _error(f"endpoint {front.endpoint!r} does not exist"), "", {}
        if method == "GET" and path.split("?")[0] in ("/", ""):
            return 200, b"Healthy", "text/plain", {}
        if not _authorized(record, fields.get("authorization")):
            return 401, _error("Unauthorized: a valid endpoint key is required"), "", {}
        wanted = fields.get(DEPLOYMENT_HEADER)
        if wanted:
            if front.deployment(wanted) is None:
                return 404, _error(f"deployment {wanted!r} was not found"), "", {}
            chosen: str | None = wanted
        else:
            chosen = _choose(record)
        if chosen is None:
            return 404, _error(NO_ROUTE), "", {}
        headers = {
            "Content-Type": fields.get("content-type") or "application/json",
            DEPLOYMENT_HEADER: chosen,
        }
        if not wanted:
            for mirror, share in (record.get("mirror_traffic") or {}).items():
                if int(share) > 0 and random.random() * 100 < int(share):
                    front.mirror(str(mirror), path, body, headers)
        status, answer, content_type = front.forward(chosen, method, path, body, headers)
        return status, answer, content_type, {DEPLOYMENT_HEADER: chosen}


class _Server(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


def _watch(front: Front, started: float) -> None:
    """Exit when the endpoint is deleted or another front took over (after a start-up grace)."""
    while True:
        time.sleep(_WATCH_SECONDS)
        if not front.home.exists():
            os._exit(0)
        record = read_json(front.folder / "endpoint.json") if front.folder.exists() else None
        if record is None:
            if time.monotonic() - started > _WATCH_SECONDS:
                os._exit(0)
            continue
        slot = ((record.get("emulator") or {}).get("front")) or {}
        pid = slot.get("pid")
        if pid is not None and pid != os.getpid() and time.monotonic() - started > _GRACE_SECONDS:
            os._exit(0)


def serve(home: Path, endpoint: str, port: int, ready: Path | None) -> None:
    front = Front(home, endpoint)
    handler = type("Handler", (_Connection,), {"front": front})
    try:
        server = _Server(("127.0.0.1", port), handler)
    except OSError:
        server = _Server(("127.0.0.1", 0), handler)  # the old port is taken: take another
    actual = int(server.server_address[1])
    if ready is not None:
        write_text(ready, json.dumps({"pid": os.getpid(), "port": actual}))
    sys.stderr.write(f"front of endpoint {endpoint} listening on http://127.0.0.1:{actual}/score\n")
    sys.stderr.flush()
    threading.Thread(target=_watch, args=(front, time.monotonic()), daemon=True).start()
    server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.azureml.serving.front")
    parser.add_argument("endpoint")
    parser.add_argument("--home", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready")
    args = parser.parse_args(argv)
    serve(Path(args.home), args.endpoint, args.port, Path(args.ready) if args.ready else None)
    return 0


if __name__ == "__main__":
    sys.exit(main())
