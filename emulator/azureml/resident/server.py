"""The resident `az` worker of one state folder: `python -m emulator.azureml.resident.server HOME PRINT
[LOCK_FD]` (the start lock its starter hands over; released once the worker listens).

It imports what `az` needs once (the command tables, azure-ai-ml and its YAML loaders, MLflow), then
listens on `HOME/azureml/worker/az-PRINT.sock` (mode 0600 in a 0700 folder) and forks a child per call.
Nothing runs in the worker itself, so every child starts from the same pristine state: a call cannot
leak globals, caches, environment or working directory into the next. Forking is only safe without
threads, so the worker refuses to serve if an import started one.

The worker exits when it is idle (`MLOPS_AZ_WORKER_IDLE` seconds, default 600), when asked
(`mlops endpoints down`, `mlops down`), when its state folder or socket disappears, and when the
emulator's code changes under it (a client with the new code starts a new worker).
"""

from __future__ import annotations

import atexit
import importlib
import io
import logging
import os
import signal
import socket
import socketserver
import sys
import tempfile
import threading
import time
import warnings
from pathlib import Path
from typing import Any

from emulator.azureml.resident.client import (
    FORWARDED,
    _address,
    _idle_seconds,
    fingerprint,
    receive_message,
    socket_path,
    worker_dir,
    zygote_path,
)

PRELOAD = (
    "emulator.azureml.az.cli",
    "mlflow",
    "mlflow.tracking",
    "mlflow.models",
    "mlflow.pyfunc",
    "mlflow.store.tracking.sqlalchemy_store",
    "mlflow.store.model_registry.sqlalchemy_store",
    "azure.ai.ml",
    "azure.ai.ml.entities",
    # what opening the sqlite MLflow store imports on first use
    "alembic.command",
    "alembic.config",
    "sqlalchemy.dialects.sqlite",
    "sqlalchemy.dialects.mssql",
    "sqlalchemy.dialects.mysql",
    "mlflow.store.tracking.sqlalchemy_workspace_store",
    "mlflow.store.model_registry.sqlalchemy_workspace_store",
    "encodings.utf_8_sig",
)
STALE_CHECK_SECONDS = 10.0
KILL_GRACE_SECONDS = 10.0  # after the caller died: CALLER_GONE, then this long before SIGKILL
CALLER_GONE = signal.SIGUSR1  # raises CallerGone in the call (a SIGKILL its caller could not forward)


class _Stop(Exception):
    pass


def preload() -> None:
    """Import what calls use and compute once what every call would recompute: the SDK's loaders build
    their schemas on first use, and MLflow reads its 60-odd migration scripts each time it opens a
    store to learn the newest schema revision (a pure function of the installed MLflow)."""
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in PRELOAD:
            try:
                importlib.import_module(name)
            except ImportError:  # an optional part of a library: the call imports what it needs
                continue
        from emulator.azureml.assets.yamlspec import KINDS, _loader

        for kind in KINDS:
            _loader(kind)
        from mlflow.store.db import utils as db_utils

        latest = getattr(db_utils, "_get_latest_schema_revision", None)
        if callable(latest):
            revision = latest()
            db_utils._get_latest_schema_revision = lambda: revision


class Worker(socketserver.ForkingMixIn, socketserver.UnixStreamServer):
    """A state folder's worker (`home`), or, without one, this user's zygote: it serves no call, it
    forks the workers of state folders (`spawn`), so a new state folder's worker starts warm."""

    block_on_close = False  # exiting never waits for calls in flight: they are processes of their own
    max_children = 256

    def __init__(self, home: Path | None, print_: str) -> None:
        path = socket_path(home, print_) if home is not None else zygote_path(print_)
        super().__init__(str(path), socketserver.BaseRequestHandler, False)
        self.home, self.print_, self.path = home, print_, path
        self.code_print = fingerprint()
        self.idle = _idle_seconds()
        self.last_activity = self.last_stale_check = time.monotonic()
        self.stopping = False
        self.inode = 0

    def server_bind(self) -> None:
        """Bind under a temporary name and rename into place: a client connects only once it listens."""
        temporary = self.path.with_name(f".{self.path.name}.{os.getpid()}")
        with _address(temporary) as address:
            self.socket.bind(address)
        self.socket.listen(self.request_queue_size)
        os.chmod(temporary, 0o600)
        os.replace(temporary, self.path)
        self.inode = os.stat(self.path).st_ino

    def server_activate(self) -> None:
        pass  # listening already, before the rename

    def process_request(self, request: Any, client_address: Any) -> None:
        request.settimeout(10)
        try:
            message, fds = receive_message(request, 4)
        except (OSError, ValueError):
            self.close_request(request)
            return
        self.last_activity = time.monotonic()
        if message.get("op") == "stop":
            self.stopping = True
        elif message.get("op") == "call" and len(fds) == 4 and self.home is not None:
            pid = os.fork()
            if pid == 0:
                serve_call(self, request, message, fds)  # never returns
            self.active_children = (self.active_children or set()) | {pid}
        elif message.get("op") == "spawn" and len(fds) == 1 and self.home is None:
            idle = float(message.get("idle") or self.idle)
            self.spawn(request, Path(str(message.get("home"))), fds[0], idle)
        for fd in fds:
            os.close(fd)
        self.close_request(request)

    def service_actions(self) -> None:
        super().service_actions()  # reaps finished children
        now = time.monotonic()
        if self.active_children:
            self.last_activity = now
        if self.stopping or (now - self.last_activity > self.idle):
            raise _Stop
        if (self.home is not None and not self.home.is_dir()) or _inode(self.path) != self.inode:
            raise _Stop
        if now - self.last_stale_check > STALE_CHECK_SECONDS:
            self.last_stale_check = now
            if fingerprint() != self.code_print:
                raise _Stop

    def spawn(self, request: socket.socket, home: Path, start_lock: int, idle: float) -> None:
        """Fork the worker of `home`, detached (a session of its own, re-parented to init)."""
        zygote = os.getpid()
        pid = os.fork()
        if pid:
            os.waitpid(pid, 0)
            return
        try:
            os.setsid()
            if os.fork():
                os._exit(0)
            self.socket.close()
            request.close()
            log_path = worker_dir(home) / f"az-{self.print_}.log"
            log = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            os.dup2(log, 1)
            os.dup2(log, 2)
            os.close(log)
            sys.stdout, sys.stderr = _text(1), _text(2)
            sys.stderr.write(f"worker of {home} (pid {os.getpid()}), forked by the zygote (pid {zygote})\n")
            code = serve(home, self.print_, start_lock, preloaded=True, idle=idle)
        except BaseException:  # noqa: BLE001 - a child of the zygote must never return into it
            code = 1
        os._exit(code)

    def retire(self) -> None:
        """Leave: unlink the socket so new calls start a new worker, and refuse the calls already queued
        (they were not started, so their clients retry)."""
        if _inode(self.path) == self.inode:
            self.path.unlink(missing_ok=True)
        self.socket.setblocking(False)
        while True:
            try:
                pending, _ = self.socket.accept()
            except OSError:
                break
            pending.close()
        self.server_close()


def _inode(path: Path) -> int:
    try:
        return os.stat(path).st_ino
    except OSError:
        return -1


# --- one call, in the forked child ---------------------------------------------------------------------


def serve_call(server: Worker, sock: socket.socket, message: dict[str, Any], fds: list[int]) -> None:
    """Become the caller's process: its session, streams, environment, directory and argv; run az."""
    code = 1
    try:
        os.setsid()  # a process group of its own, which the watcher can stop whole
        server.socket.close()
        sock.settimeout(None)
        for signum in FORWARDED:
            signal.signal(signum, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(CALLER_GONE, _caller_gone)
        _take_streams(fds)
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in dict(message.get("env") or {}).items()})
        os.fchdir(fds[3])
        os.close(fds[3])
        os.umask(int(message.get("umask", 0o022)))
        tempfile.tempdir = None  # recomputed from this call's TMPDIR
        argv = [str(a) for a in message.get("argv") or []]
        sys.argv = ["az", *argv]
        done = threading.Event()
        sock.sendall(b"started\n")
        threading.Thread(target=_watch, args=(sock, done), daemon=True).start()
        code = _run(argv)
        done.set()
    finally:
        for signum in FORWARDED:
            signal.signal(signum, signal.SIG_IGN)
        try:
            sock.sendall(f"exit {code}\n".encode())
        except OSError:
            pass
        os._exit(code)


def _take_streams(fds: list[int]) -> None:
    for target, fd in enumerate(fds[:3]):
        os.dup2(fd, target)
        os.close(fd)
    encoding = os.environ.get("PYTHONIOENCODING", "utf-8").split(":")[0] or "utf-8"
    sys.stdin = io.TextIOWrapper(open(0, "rb", closefd=False), encoding=encoding)
    sys.stdout, sys.stderr = _text(1, encoding), _text(2, encoding)


def _text(fd: int, encoding: str = "utf-8") -> io.TextIOWrapper:
    """A text stream on an inherited descriptor, buffered as Python buffers stdout (fd 1) and stderr."""
    return io.TextIOWrapper(
        open(fd, "wb", closefd=False),
        encoding=encoding,
        line_buffering=fd == 2 or os.isatty(fd),
        errors="backslashreplace" if fd == 2 else "strict",
    )


def _run(argv: list[str]) -> int:
    """az's main, then what the end of a process runs (atexit handlers, flushing the streams)."""
    from emulator.azureml.az.cli import main

    try:
        code = main(argv)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except KeyboardInterrupt:
        code = 130
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    return code


def _caller_gone(signum: int, frame: object) -> None:
    from emulator.azureml.compute.jobs import CallerGone  # imported by then: a call runs az's commands

    raise CallerGone


def _watch(sock: socket.socket, done: threading.Event) -> None:
    """Relay the caller's signals to the call; when the caller is gone, stop the call and its processes."""
    main = threading.main_thread().ident or 0
    buffer = b""
    while True:
        try:
            chunk = sock.recv(256)
        except OSError:
            chunk = b""
        if not chunk:
            break
        buffer += chunk
        while b"\n" in buffer:
            line, _, buffer = buffer.partition(b"\n")
            words = line.split()
            if len(words) == 2 and words[0] == b"signal" and words[1].isdigit():
                signal.pthread_kill(main, int(words[1]))  # the main thread: it may be blocked in a read
    if done.is_set():
        return
    signal.pthread_kill(main, CALLER_GONE)  # az unwinds: its jobs are stopped, and recorded as lost
    time.sleep(KILL_GRACE_SECONDS)
    os.killpg(0, signal.SIGKILL)


# --- the worker's life ---------------------------------------------------------------------------------


def serve(
    home: Path | None,
    print_: str,
    start_lock: int | None = None,
    preloaded: bool = False,
    idle: float | None = None,
) -> int:
    """Serve until a reason to leave; `start_lock`: the starter's lock, held until this one listens."""
    os.umask(0o077)
    if not preloaded:
        preload()
    if threading.active_count() > 1:
        logging.getLogger(__name__).error("an import started a thread; forking is unsafe: not serving")
        return 1
    server = Worker(home, print_)
    server.idle = idle if idle is not None else server.idle
    server.server_bind()
    if start_lock is not None:
        os.close(start_lock)
    signal.signal(signal.SIGTERM, lambda *_: setattr(server, "stopping", True))
    try:
        server.serve_forever(poll_interval=0.5)
    except _Stop:
        pass
    finally:
        server.retire()
    return 0


def main(argv: list[str]) -> int:
    """`HOME PRINT [LOCK_FD]`: a state folder's worker that imports for itself; `--zygote PRINT
    [LOCK_FD]`: this user's zygote."""
    if len(argv) not in (2, 3):
        sys.stderr.write(
            "usage: python -m emulator.azureml.resident.server (STATE_FOLDER | --zygote) PRINT [LOCK_FD]\n"
        )
        return 2
    home = None if argv[0] == "--zygote" else Path(argv[0])
    return serve(home, argv[1], int(argv[2]) if len(argv) == 3 else None)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
