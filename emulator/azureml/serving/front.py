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

Deployments listen on unix sockets in their own folders (`emulator.socket` in their records), so the
front is the only way to them, as azureml-fe is on Azure; a backend that can only listen on TCP records
its `scoring_uri` instead. The HTTP server and the client to the deployments are aiohttp (a C parser,
keep-alive, pipelining, chunked bodies, `Expect: 100-continue`); benchmarks/scoring.py measures it
against the hand-written HTTP/1.1 front it replaced. The front exits on its own when its endpoint record
disappears or names another front process.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

from aiohttp import (
    ClientError,
    ClientSession,
    ClientTimeout,
    DummyCookieJar,
    TCPConnector,
    UnixConnector,
    web,
)

from emulator.azureml.assets.records import read_json, write_text

DEPLOYMENT_HEADER = "azureml-model-deployment"
NO_ROUTE = (
    "No valid deployments to route to. Please check that the endpoint has at least one deployment with "
    "positive weight values or use a deployment specific header to route."
)
SERVER = "azureml-frontend-emulated"
MAX_BODY_BYTES = 100 * 1024 * 1024
# Python's json parser (the scoring script's) fails near 1,000 levels with a RecursionError, which the
# inference server turns into a 500; the front refuses such bodies first, with a 400 that says why.
MAX_JSON_DEPTH = 512
_JSON_TOKENS = re.compile(rb'"(?:[^"\\]|\\.)*"|[\[\]{}]', re.DOTALL)
_TIMEOUT = ClientTimeout(total=None, sock_connect=10, sock_read=300)
_WATCH_SECONDS = 2.0
_GRACE_SECONDS = 30.0
_MIRROR_CONCURRENCY = 2


class _Cached:
    """A JSON record re-read only when its file's mtime/size changes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._value: dict[str, Any] | None = None

    def get(self) -> dict[str, Any] | None:
        try:
            stat = self.path.stat()
        except OSError:
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            value = read_json(self.path)
            self._value = value if isinstance(value, dict) else None
            self._stamp = stamp
        return self._value


class Front:
    """Routing state: the endpoint record, its deployments' records, one client session per target."""

    def __init__(self, home: Path, endpoint: str) -> None:
        self.home = home
        self.endpoint = endpoint
        self.folder = home / "azureml" / "endpoints" / endpoint
        self.record = _Cached(self.folder / "endpoint.json")
        self._deployments: dict[str, _Cached] = {}
        self._sessions: dict[str, ClientSession] = {}
        self._mirrors: set[asyncio.Task[None]] = set()
        self._mirror_slots = asyncio.Semaphore(_MIRROR_CONCURRENCY)

    def deployment(self, name: str) -> dict[str, Any] | None:
        cached = self._deployments.get(name)
        if cached is None:
            path = self.folder / "deployments" / name / "deployment.json"
            cached = self._deployments[name] = _Cached(path)
        return cached.get()

    def _session(self, socket_path: str | None) -> ClientSession:
        key = socket_path or ""
        session = self._sessions.get(key)
        if session is None or session.closed:
            connector = UnixConnector(path=socket_path) if socket_path else TCPConnector()
            session = self._sessions[key] = ClientSession(
                connector=connector,
                timeout=_TIMEOUT,
                auto_decompress=False,
                skip_auto_headers=["User-Agent"],
                cookie_jar=DummyCookieJar(),  # a proxy keeps no cookies: one client's would reach others
            )
        return session

    def target(self, name: str) -> tuple[ClientSession, str, str] | None:
        """(session, base URL, scoring path) of a deployment, or None if it records no server."""
        local = (self.deployment(name) or {}).get("emulator") or {}
        socket_path, uri = local.get("socket"), local.get("scoring_uri")
        if isinstance(socket_path, str) and socket_path:
            return self._session(socket_path), "http://deployment", "/score"
        if isinstance(uri, str) and uri.startswith("http://"):
            base, _, path = uri[len("http://") :].partition("/")
            return self._session(None), f"http://{base}", f"/{path}"
        return None

    async def forward(
        self, deployment: str, method: str, path: str, body: bytes, headers: dict[str, str]
    ) -> tuple[int, bytes, str]:
        """(status, body, content type) of the request sent to `deployment`."""
        target = self.target(deployment)
        if target is not None:
            session, base, score_path = target
            upstream = score_path if method == "POST" and path.split("?")[0] in ("/score", "/") else path
            try:
                async with session.request(
                    method, base + upstream, data=body, headers=headers, allow_redirects=False
                ) as response:
                    answer = await response.read()
                    return response.status, answer, response.headers.get("Content-Type", "application/json")
            except (TimeoutError, ClientError, OSError):
                pass
        message = f"deployment {deployment!r} of endpoint {self.endpoint!r} is not running: no server answers"
        return 503, _error(message), "application/json"

    def mirror(self, deployment: str, path: str, body: bytes, headers: dict[str, str]) -> None:
        """Send a copy in the background (a few at a time); its answer and failure are ignored."""

        async def send() -> None:
            async with self._mirror_slots:
                await self.forward(deployment, "POST", path, body, headers)

        task = asyncio.get_running_loop().create_task(send())
        self._mirrors.add(task)
        task.add_done_callback(self._mirrors.discard)


def _error(message: str) -> bytes:
    return json.dumps({"message": message}).encode()


def _answer(status: int, message: str) -> web.Response:
    return web.Response(status=status, body=_error(message), content_type="application/json")


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


def json_too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether JSON `body` nests arrays/objects more than `limit` levels (strings are skipped).

    Counting brackets first keeps the common case to two C-speed scans."""
    if body.count(b"[") + body.count(b"{") <= limit:
        return False
    depth = 0
    for token in _JSON_TOKENS.finditer(body):
        char = token.group()
        if char in (b"[", b"{"):
            depth += 1
            if depth > limit:
                return True
        elif char in (b"]", b"}"):
            depth -= 1
    return False


_FRONT = web.AppKey("front", Front)


async def _route(request: web.Request) -> web.Response:
    front: Front = request.app[_FRONT]
    record = front.record.get()
    if record is None:
        return _answer(404, f"endpoint {front.endpoint!r} does not exist")
    if request.method == "GET" and request.path in ("/", ""):
        return web.Response(text="Healthy")
    if not _authorized(record, request.headers.get("Authorization")):
        return _answer(401, "Unauthorized: a valid endpoint key is required")
    wanted = request.headers.get(DEPLOYMENT_HEADER)
    if wanted:
        if front.deployment(wanted) is None:
            return _answer(404, f"deployment {wanted!r} was not found")
        chosen: str | None = wanted
    else:
        chosen = _choose(record)
    if chosen is None:
        return _answer(404, NO_ROUTE)
    body = await request.read()
    content_type = request.headers.get("Content-Type") or "application/json"
    if "json" in content_type.lower() and json_too_deep(body):
        return _answer(
            400,
            f"the request body nests JSON more than {MAX_JSON_DEPTH} levels deep; the scoring script's JSON "
            "parser cannot read it",
        )
    headers = {"Content-Type": content_type, DEPLOYMENT_HEADER: chosen}
    if not wanted:
        for mirror, share in (record.get("mirror_traffic") or {}).items():
            if int(share) > 0 and random.random() * 100 < int(share):
                front.mirror(str(mirror), request.path_qs, body, headers)
    status, answer, answer_type = await front.forward(chosen, request.method, request.path_qs, body, headers)
    return web.Response(
        status=status, body=answer, headers={"Content-Type": answer_type, DEPLOYMENT_HEADER: chosen}
    )


async def _server_header(request: web.Request, response: web.StreamResponse) -> None:
    response.headers["Server"] = SERVER


async def _watch(front: Front, started: float) -> None:
    """Exit when the endpoint is deleted or another front took over (after a start-up grace)."""
    while True:
        await asyncio.sleep(_WATCH_SECONDS)
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


async def serve(home: Path, endpoint: str, port: int, ready: Path | None) -> None:
    front = Front(home, endpoint)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app[_FRONT] = front
    app.router.add_route("*", "/{path:.*}", _route)
    app.on_response_prepare.append(_server_header)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", port, reuse_address=True)
        await site.start()
    except OSError:
        site = web.TCPSite(runner, "127.0.0.1", 0, reuse_address=True)  # the old port is taken: take another
        await site.start()
    actual = int(runner.addresses[0][1])
    if ready is not None:
        write_text(ready, json.dumps({"pid": os.getpid(), "port": actual}))
    sys.stderr.write(f"front of endpoint {endpoint} listening on http://127.0.0.1:{actual}/score\n")
    sys.stderr.flush()
    await _watch(front, time.monotonic())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m emulator.azureml.serving.front")
    parser.add_argument("endpoint")
    parser.add_argument("--home", required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--ready")
    args = parser.parse_args(argv)
    asyncio.run(serve(Path(args.home), args.endpoint, args.port, Path(args.ready) if args.ready else None))
    return 0


if __name__ == "__main__":
    sys.exit(main())
