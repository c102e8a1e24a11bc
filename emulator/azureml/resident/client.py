"""The thin `az`: hand the call to the state folder's resident worker; when none runs, have this user's
zygote (a process that holds the imports and only forks) start one, starting the zygote first if needed.

Standard library only (the shim runs it with `python -S`): its whole cost is an interpreter start and a
socket round trip. The call (argv, environment, working directory, umask) travels as JSON, the caller's
stdin, stdout and stderr as file descriptors (SCM_RIGHTS), so the worker's child writes straight to the
caller's streams and only the exit code comes back. SIGINT, SIGTERM and SIGHUP are forwarded to the
child; if this process dies (even by SIGKILL) the socket closes and the child stops with its processes.

When the worker cannot serve (it fails to start, or `MLOPS_AZ_WORKER=off`), the call runs in this
process instead, as before the worker existed.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import signal
import socket
import struct
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

MODE_VAR = "MLOPS_AZ_WORKER"  # off: run every call in process (debugging)
IDLE_VAR = "MLOPS_AZ_WORKER_IDLE"  # seconds without a call before the worker exits
START_TIMEOUT_VAR = "MLOPS_AZ_WORKER_START_TIMEOUT"
DEFAULT_IDLE_SECONDS = 600.0
DEFAULT_START_SECONDS = 120.0
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PACKAGE = Path(__file__).resolve().parents[2]  # the `emulator` package this client belongs to
HEADER = struct.Struct(">I")
_LIGHT = {
    "version",
    "--version",
    "login",
    "logout",
    "account",
    "configure",
    "extension",
    "upgrade",
    "group",
    "-h",
    "--help",
}
_UNIX_PATH_MAX = 100  # sun_path is 108 bytes on Linux; longer paths go through /proc/self/fd


def disabled() -> bool:
    return os.environ.get(MODE_VAR, "").strip().lower() in ("off", "0", "no", "false")


def state_home(env: dict[str, str] | os._Environ[str], cwd: str) -> Path:
    """The state folder the call acts on, by the rule of `emulator.store.paths.state_home`."""
    return Path(os.path.realpath(os.path.join(cwd, env.get("MLOPS_HOME") or ".mlops")))


def worker_dir(home: Path) -> Path:
    return home / "azureml" / "worker"


def fingerprint() -> str:
    """Which emulator serves: the interpreter, the installed packages and this checkout's sources.

    A worker started from other code (an older checkout, an edited module, an upgraded package) has
    another fingerprint, so it never serves this client; it notices and exits on its own.
    """
    import hashlib

    digest = hashlib.blake2b(digest_size=8)
    # the environment's packages (sys.prefix names the venv only once `site` ran, and -S skips it)
    site = Path(sys.executable).parent.parent / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    site = site / "site-packages"
    for item in (sys.executable, sys.version, str(PACKAGE), _mtime(site)):
        digest.update(f"{item}\0".encode())
    for folder, dirs, files in os.walk(PACKAGE):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".json", ".yml")):
                path = os.path.join(folder, name)
                digest.update(f"{path}\0{_mtime(Path(path))}\0".encode())
    return digest.hexdigest()


def _mtime(path: Path) -> int:
    try:
        return os.stat(path).st_mtime_ns
    except OSError:
        return 0


def socket_path(home: Path, print_: str) -> Path:
    return worker_dir(home) / f"az-{print_}.sock"


@contextmanager
def _address(path: Path) -> Iterator[str]:
    """A socket address for `path`, also when the path is longer than a Unix socket address may be."""
    if len(os.fsencode(path)) < _UNIX_PATH_MAX:
        yield str(path)
        return
    folder = os.open(path.parent, os.O_RDONLY | os.O_DIRECTORY)
    try:
        yield f"/proc/self/fd/{folder}/{path.name}"
    finally:
        os.close(folder)


def connect(path: Path) -> socket.socket | None:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        with _address(path) as address:
            sock.connect(address)
        return sock
    except OSError:
        sock.close()
        return None


def send_message(sock: socket.socket, message: dict[str, Any], fds: Sequence[int] = ()) -> None:
    body = json.dumps(message).encode()
    if fds:
        socket.send_fds(sock, [HEADER.pack(len(body))], list(fds))
    else:
        sock.sendall(HEADER.pack(len(body)))
    sock.sendall(body)


def receive_message(sock: socket.socket, max_fds: int) -> tuple[dict[str, Any], list[int]]:
    head, fds, _flags, _address = socket.recv_fds(sock, HEADER.size, max_fds)
    head += _exactly(sock, HEADER.size - len(head))
    (length,) = HEADER.unpack(head)
    return json.loads(_exactly(sock, length)), fds


def _exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(min(65536, size - len(data)))
        if not chunk:
            raise ConnectionError("the peer closed the connection")
        data += chunk
    return data


class _Lines:
    """Reads the worker's short status lines (`started`, `exit N`)."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock, self.buffer = sock, b""

    def next(self) -> str | None:
        """The next line; None when the worker closed (or reset) the connection."""
        while b"\n" not in self.buffer:
            try:
                chunk = self.sock.recv(256)
            except OSError:
                chunk = b""
            if not chunk:
                return None
            self.buffer += chunk
        line, _, self.buffer = self.buffer.partition(b"\n")
        return line.decode()


def call(sock: socket.socket, argv: Sequence[str]) -> int | None:
    """Run one call on a connected worker; None when the worker refused it before it started."""
    umask = os.umask(0)
    os.umask(umask)
    request = {"op": "call", "argv": list(argv), "env": dict(os.environ), "umask": umask}
    fds = [fd if _is_open(fd) else os.open(os.devnull, os.O_RDWR) for fd in (0, 1, 2)]
    fds.append(os.open(".", os.O_RDONLY | os.O_DIRECTORY))  # the working directory, even if renamed
    try:
        send_message(sock, request, fds)
    except OSError:
        return None
    finally:
        for fd in fds[3:] + [fd for fd in fds[:3] if fd > 2]:
            os.close(fd)
    lines = _Lines(sock)
    if lines.next() != "started":
        return None
    previous = {sig: signal.signal(sig, _forwarder(sock)) for sig in FORWARDED}
    try:
        while True:
            line = lines.next()
            if not line:
                sys.stderr.write("ERROR: the az call ended without an exit status (its process was killed)\n")
                return 1
            if line.startswith("exit "):
                return int(line.split()[1])
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _is_open(fd: int) -> bool:
    try:
        os.fstat(fd)
        return True
    except OSError:
        return False


def _forwarder(sock: socket.socket) -> Callable[[int, Any], None]:
    def forward(signum: int, _frame: Any) -> None:
        try:
            sock.sendall(f"signal {signum}\n".encode())
        except OSError:
            pass

    return forward


def _idle_seconds() -> float:
    try:
        return float(os.environ.get(IDLE_VAR, DEFAULT_IDLE_SECONDS))
    except ValueError:
        return DEFAULT_IDLE_SECONDS


def _start_timeout() -> float:
    try:
        return float(os.environ.get(START_TIMEOUT_VAR, DEFAULT_START_SECONDS))
    except ValueError:
        return DEFAULT_START_SECONDS


def zygote_dir() -> Path:
    """Where this user's zygote listens: `$XDG_RUNTIME_DIR/mlops-emulator`, else the user's cache."""
    runtime = os.environ.get("XDG_RUNTIME_DIR")
    if runtime and os.path.isdir(runtime):
        return Path(runtime) / "mlops-emulator"
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(cache) / "mlops-emulator" / "az"


def zygote_path(print_: str) -> Path:
    return zygote_dir() / f"zygote-{print_}.sock"


def ensure_worker(home: Path, print_: str) -> socket.socket | None:
    """A connection to the state folder's worker, started first if none runs.

    None when no worker can serve: the zygote failed to start (then `zygote-<print>.failed` beside its
    log keeps later calls from trying again with the same code), or the worker it forked died.
    """
    sock = connect(socket_path(home, print_))
    if sock is not None:
        return sock
    return start_worker(home, print_)


def start_worker(home: Path, print_: str) -> socket.socket | None:
    """Have this user's zygote fork the state folder's worker (starting the zygote first if none runs);
    a connection once the worker listens.

    One start at a time, per state folder and for the zygote: the starter holds the folder's
    `start.lock` and hands it to the process it starts (a descriptor passed along), which lets go once
    it listens, or dies: whoever waits for the lock then finds the socket.
    """
    folder = _private(worker_dir(home))
    path = socket_path(home, print_)
    deadline = time.monotonic() + _start_timeout()
    with _start_lock(folder, deadline) as held:
        sock = connect(path) if held else None  # another call may have started it while this one waited
        if sock is not None or not held:
            return sock
        zygote = start_zygote(print_, deadline)
        if zygote is None:
            return None
        with zygote:
            send_message(zygote, {"op": "spawn", "home": str(home), "idle": _idle_seconds()}, [held])
    with _start_lock(folder, deadline) as held:  # free once the worker listens, or died
        return connect(path) if held else None


def start_zygote(print_: str, deadline: float | None) -> socket.socket | None:
    """A connection to this user's zygote, started first if none runs; with no `deadline`, start it in
    the background (None)."""
    path = zygote_path(print_)
    sock = connect(path)
    if sock is not None:
        return sock
    folder = _private(zygote_dir())
    failed = folder / f"zygote-{print_}.failed"
    if failed.exists():
        return None
    with _start_lock(folder, deadline) as held:
        sock = connect(path) if held else None
        if sock is not None or not held:
            return sock
        process = _spawn(["--zygote", print_, str(held)], folder / f"zygote-{print_}.log", held)
    if deadline is None:
        return None
    with _start_lock(folder, deadline) as held:
        sock = connect(path) if held else None
    if sock is None and process.poll() is not None:
        failed.touch()
    return sock


def _private(folder: Path) -> Path:
    """The folder, made if missing, readable by this user only; refused if someone else owns it."""
    folder.mkdir(parents=True, exist_ok=True)
    if folder.stat().st_uid != os.getuid():
        raise PermissionError(errno.EPERM, "not owned by this user", str(folder))
    os.chmod(folder, 0o700)
    return folder


@contextmanager
def _start_lock(folder: Path, deadline: float | None) -> Iterator[int]:
    """The start lock's descriptor once held (0 if not: busy past the deadline, or at once when None)."""
    lock = os.open(folder / "start.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is None or time.monotonic() > deadline:
                    yield 0
                    return
                time.sleep(0.02)
        yield lock
    finally:
        os.close(lock)


def _spawn(args: list[str], log_path: Path, lock: int) -> Any:
    import subprocess

    log = open(log_path, "wb")  # noqa: SIM115 - handed to the process
    try:
        return subprocess.Popen(
            [sys.executable, "-P", "-m", "emulator.azureml.resident.server", *args],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd="/",
            pass_fds=(lock,),  # it holds the start lock until it listens
            start_new_session=True,  # not in the caller's process group: a step's cancellation spares it
        )
    finally:
        log.close()


def stop_workers(home: Path, timeout: float = 10.0) -> int:
    """Ask every worker of the state folder (whatever its version) to exit; returns how many were asked."""
    folder = worker_dir(home)
    asked = []
    for path in sorted(folder.glob("az-*.sock")) if folder.is_dir() else []:
        sock = connect(path)
        if sock is None:
            continue
        with sock:
            try:
                send_message(sock, {"op": "stop"})
                asked.append(path)
            except OSError:
                continue
    deadline = time.monotonic() + timeout
    while any(p.exists() for p in asked) and time.monotonic() < deadline:
        time.sleep(0.05)
    return len(asked)


def prestart() -> None:
    """Start this user's zygote in the background (a run about to call `az`), unless disabled."""
    if disabled():
        return
    try:
        sock = start_zygote(fingerprint(), None)
    except OSError:
        return
    if sock is not None:
        sock.close()


def run_in_process(argv: Sequence[str]) -> int:
    """The call in this process; re-executed with `site` when the shim started Python without it."""
    if sys.flags.no_site:
        os.environ[MODE_VAR] = "off"
        os.execv(sys.executable, [sys.executable, "-P", "-m", "emulator.azureml", *argv])
    from emulator.azureml.az.cli import main as az_main

    return az_main(argv)


def _light(args: Sequence[str]) -> bool:
    """Commands that import neither azure-ai-ml nor MLflow (a pipeline's `az extension add`, `az
    configure`): in process they cost ~0.2 s, so they never wait for a zygote that is still starting."""
    return not args or args[0] in _LIGHT


def _zygote_ready(print_: str) -> bool:
    """Whether this user's zygote listens: then a worker starts in ~0.1 s and serves each later call
    of the job in ~0.05 s, cheaper than light calls in process from the first one on."""
    sock = connect(zygote_path(print_))
    if sock is None:
        return False
    sock.close()
    return True


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not disabled():
        try:
            home = state_home(os.environ, os.getcwd())
            print_ = fingerprint()
            if _light(args) and not socket_path(home, print_).exists() and not _zygote_ready(print_):
                return run_in_process(args)
            for _attempt in range(2):  # a worker exiting as the call came in refuses it: start another
                sock = ensure_worker(home, print_)
                if sock is None:
                    break
                with sock:
                    code = call(sock, args)
                if code is not None:
                    return code
        except OSError as exc:  # no working directory, a read-only or foreign state folder
            if exc.errno not in (errno.ENOENT, errno.EACCES, errno.EPERM, errno.ENAMETOOLONG, errno.EROFS):
                raise
    return run_in_process(args)
