"""The endpoint front on its own: HTTP details, auth, routing and mirroring, against stub deployments.

The stubs are tiny HTTP servers in this process that answer with their own name; the front is the real
detached process (`python -m emulator.azureml.serving.front`), started from a hand-written endpoint record.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from emulator.azureml.assets.records import write_json
from emulator.azureml.context import Context
from emulator.azureml.serving import endpoints

KEY = "k" * 32


class Stub:
    """A deployment stand-in: answers POST /score with {"deployment": name, "body": <request>}."""

    def __init__(self, name: str, close: bool = False) -> None:
        self.name = name
        self.requests: list[bytes] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0" if close else "HTTP/1.1"
            disable_nagle_algorithm = True  # as gunicorn and uvicorn do: a head and body written apart

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                return

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                stub.requests.append(body)
                if body == b"fail":
                    answer, status = b'{"error": "bad"}', 500
                else:
                    answer = json.dumps({"deployment": stub.name, "size": len(body)}).encode()
                    status = 200
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.server.server_address[1])
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def front(home: Path) -> Iterator[tuple[int, dict[str, Stub]]]:
    stubs = {"blue": Stub("blue"), "green": Stub("green", close=True)}
    for name, stub in stubs.items():
        write_json(
            endpoints.deployment_file(Context(home), "stub-ep", name),
            {"name": name, "emulator": {"scoring_uri": f"http://127.0.0.1:{stub.port}/score"}},
        )
    write_json(
        endpoints.endpoint_file(Context(home), "stub-ep"),
        {
            "name": "stub-ep",
            "auth_mode": "key",
            "keys": {"primaryKey": KEY, "secondaryKey": "s" * 32},
            "traffic": {"blue": 100},
            "mirror_traffic": {},
            "emulator": {"front": None},
        },
    )
    record = endpoints.ensure_front(Context(home), "stub-ep")
    try:
        yield int(record["emulator"]["front"]["port"]), stubs
    finally:
        endpoints.stop_front(endpoints.load_endpoint(Context(home), "stub-ep"))
        for stub in stubs.values():
            stub.close()


def set_record(home: Path, **changes: Any) -> None:
    record = endpoints.load_endpoint(Context(home), "stub-ep")
    record.update(changes)
    write_json(endpoints.endpoint_file(Context(home), "stub-ep"), record)


def request(
    port: int,
    body: bytes = b"{}",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    path: str = "/score",
) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path, body=body if method == "POST" else None, headers=headers or {})
        response = conn.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        conn.close()


AUTH = {"Authorization": f"Bearer {KEY}", "Content-Type": "application/json"}


def test_auth_routing_and_errors(front: tuple[int, dict[str, Stub]], home: Path) -> None:
    port, stubs = front
    assert request(port)[0] == 401
    assert request(port, headers={"Authorization": "Bearer wrong"})[0] == 401
    assert request(port, headers={"Authorization": KEY})[0] == 401  # the Bearer scheme is required
    status, headers, body = request(port, headers=AUTH)
    assert (status, headers["azureml-model-deployment"]) == (200, "blue")
    assert json.loads(body)["deployment"] == "blue"
    secondary = request(port, headers={"Authorization": "Bearer " + "s" * 32})
    assert secondary[0] == 200
    green = request(port, headers={**AUTH, "azureml-model-deployment": "green"})  # 0% traffic, by header
    assert green[0] == 200 and json.loads(green[2])["deployment"] == "green"
    assert request(port, headers={**AUTH, "azureml-model-deployment": "red"})[0] == 404
    failing = request(port, body=b"fail", headers=AUTH)
    assert failing[0] == 500 and failing[2] == b'{"error": "bad"}'  # the deployment's answer, as is
    set_record(home, traffic={})
    no_route = request(port, headers=AUTH)
    assert no_route[0] == 404 and b"No valid deployments to route to" in no_route[2]
    assert request(port, method="GET", path="/")[0] == 200  # liveness without a key


def test_weights_are_read_at_request_time(front: tuple[int, dict[str, Stub]], home: Path) -> None:
    port, _ = front
    set_record(home, traffic={"blue": 50, "green": 50})
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    counts: Counter[str] = Counter()
    for _ in range(200):  # one keep-alive connection throughout
        conn.request("POST", "/score", body=b"{}", headers=AUTH)
        response = conn.getresponse()
        response.read()
        counts[str(response.getheader("azureml-model-deployment"))] += 1
    conn.close()
    assert 60 <= counts["green"] <= 140 and counts["blue"] + counts["green"] == 200


def test_mirror_copies_a_share_in_the_background(front: tuple[int, dict[str, Stub]], home: Path) -> None:
    port, stubs = front
    set_record(home, mirror_traffic={"green": 50})
    for _ in range(100):
        status, headers, _ = request(port, headers=AUTH)
        assert status == 200 and headers["azureml-model-deployment"] == "blue"
    time.sleep(0.5)
    assert len(stubs["blue"].requests) == 100
    assert 25 <= len(stubs["green"].requests) <= 75
    before = len(stubs["green"].requests)
    request(port, headers={**AUTH, "azureml-model-deployment": "blue"})  # routed by header: no mirror
    time.sleep(0.2)
    assert len(stubs["green"].requests) == before


def test_http_details(front: tuple[int, dict[str, Stub]]) -> None:
    """Large bodies with Expect: 100-continue (curl), chunked bodies, pipelined keep-alive requests."""
    port, stubs = front
    big = b"x" * 300_000
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        head = (
            f"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
            f"Content-Length: {len(big)}\r\nExpect: 100-continue\r\n\r\n"
        )
        sock.sendall(head.encode())
        assert sock.recv(1024).startswith(b"HTTP/1.1 100 Continue")
        sock.sendall(big)
        answer = _read_all(sock)
        assert answer.startswith(b"HTTP/1.1 200 OK") and b'"size": 300000' in answer
    chunked = (
        f"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\n"
        "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    )
    one = f"POST /score HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {KEY}\r\nContent-Length: 2\r\n\r\n{{}}"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(
            (chunked + one + one.replace("HTTP/1.1\r\n", "HTTP/1.1\r\nConnection: close\r\n")).encode()
        )
        answers = _read_all(sock)
    assert answers.count(b"HTTP/1.1 200 OK") == 3 and b'"size": 11' in answers
    assert b"hello world" in stubs["blue"].requests


def test_a_dead_deployment_is_a_503(front: tuple[int, dict[str, Stub]]) -> None:
    port, stubs = front
    stubs["blue"].close()
    status, _, body = request(port, headers=AUTH)
    assert status == 503 and b"is not running" in body


def _read_all(sock: socket.socket) -> bytes:
    sock.settimeout(2)
    data = b""
    try:
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except TimeoutError:
        pass
    return data
