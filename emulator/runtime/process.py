"""Run one step's process: stream its output line by line, stop it on timeout or cancellation.

Each step runs in its own process group (so Ctrl-C in the terminal reaches the runner, which decides
what to stop, and a stop reaches the whole tree the step started). Output is read with a selector on
both pipes in the calling thread: no reader threads per step, which keeps the per-step cost low.
"""

from __future__ import annotations

import errno
import os
import selectors
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from emulator.processes import TERM_GRACE_SECONDS, kill_group

POLL_SECONDS = 0.1
ETXTBSY_RETRIES = 10  # spawning a program another thread's child still holds open for writing

TIMEOUT = "timeout"
CANCEL = "cancel"


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int
    timed_out: bool
    canceled: bool
    wrote_stderr: bool


class Cancellation:
    """Set once, seen by everything below it: a run's cancellation is the parent of each job's.

    `cancel()` is the service's cancel (conditions are re-evaluated, `always()` work still runs);
    `abort()` stops everything at once (a second Ctrl-C).
    """

    def __init__(self, parent: Cancellation | None = None) -> None:
        self._event = threading.Event()
        self._abort = threading.Event()
        self.parent = parent
        self.reason: str | None = None

    def cancel(self, reason: str | None = None) -> None:
        if not self._event.is_set():
            self.reason = reason
        self._event.set()

    def abort(self) -> None:
        self._event.set()
        self._abort.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set() or (self.parent is not None and self.parent.requested)

    @property
    def aborted(self) -> bool:
        return self._abort.is_set() or (self.parent is not None and self.parent.aborted)


def _spawn(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> subprocess.Popen[bytes]:
    """Popen, retried while the program is "busy" (ETXTBSY): a file written just before (a tool
    wrapper of UsePythonVersion) stays open for writing in a child that another job's thread forked
    until that child reaches exec, a few milliseconds at most."""
    for attempt in range(ETXTBSY_RETRIES + 1):
        try:
            return subprocess.Popen(
                list(argv),
                cwd=str(cwd),
                env=dict(env),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            if exc.errno != errno.ETXTBSY or attempt == ETXTBSY_RETRIES:
                raise
            time.sleep(0.02 * (attempt + 1))
    raise AssertionError("unreachable")  # pragma: no cover


def run_streaming(
    argv: Sequence[str],
    cwd: Path,
    env: Mapping[str, str],
    on_line: Callable[[str, bool], None],
    stop: Callable[[], str | None],
    on_start: Callable[[int], None] | None = None,
    abort: Callable[[], bool] | None = None,
) -> ProcessResult:
    """Run argv in its own process group; on_line(text, is_stderr) gets each output line.

    `stop()` is polled while the process runs: `"timeout"` or `"cancel"` stops it (SIGTERM, then
    SIGKILL after a grace period); `abort()` true kills it at once.
    """
    proc = _spawn(argv, cwd, env)
    if on_start is not None:
        on_start(proc.pid)
    assert proc.stdout is not None and proc.stderr is not None
    sel = selectors.DefaultSelector()
    partial: dict[bool, bytes] = {False: b"", True: b""}
    for stream, is_err in ((proc.stdout, False), (proc.stderr, True)):
        os.set_blocking(stream.fileno(), False)
        sel.register(stream, selectors.EVENT_READ, is_err)
    wrote_stderr = False
    stopped: str | None = None

    def emit(data: bytes, is_err: bool, final: bool = False) -> None:
        nonlocal wrote_stderr
        buf = partial[is_err] + data
        *lines, rest = buf.split(b"\n")
        if final and rest:
            lines.append(rest)
            rest = b""
        partial[is_err] = rest
        for raw in lines:
            text = raw.decode("utf-8", errors="replace").rstrip("\r")
            wrote_stderr = wrote_stderr or (is_err and bool(text.strip()))
            on_line(text, is_err)

    try:
        while sel.get_map():
            for key, _ in sel.select(timeout=POLL_SECONDS):
                is_err = bool(key.data)
                try:
                    chunk = os.read(key.fd, 65536)
                except BlockingIOError:
                    continue
                if chunk:
                    emit(chunk, is_err)
                else:
                    sel.unregister(key.fileobj)
                    emit(b"", is_err, final=True)
            if stopped is None:
                if abort is not None and abort():
                    stopped = CANCEL
                    kill_group(proc.pid, grace=0)
                else:
                    stopped = stop()
                    if stopped is not None:
                        threading.Thread(
                            target=kill_group, args=(proc.pid, TERM_GRACE_SECONDS, proc), daemon=True
                        ).start()
            elif abort is not None and abort():
                kill_group(proc.pid, grace=0)
    finally:
        sel.close()
        proc.stdout.close()
        proc.stderr.close()
    code = proc.wait()
    if stopped is None and (abort is not None and abort()):
        stopped = CANCEL
    return ProcessResult(code, stopped == TIMEOUT, stopped == CANCEL, wrote_stderr)


def wait_until(predicate: Callable[[], bool], seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.02)
    return predicate()
