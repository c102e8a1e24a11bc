"""Run one step's process: stream its output line by line, honour timeouts and cancellation."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class ProcessResult:
    exit_code: int
    timed_out: bool
    canceled: bool
    wrote_stderr: bool


class Cancellation:
    """Shared between the runner and running processes: set once, stops everything."""

    def __init__(self) -> None:
        self._event = threading.Event()

    def cancel(self) -> None:
        self._event.set()

    @property
    def requested(self) -> bool:
        return self._event.is_set()


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()


def run_streaming(argv: Sequence[str], cwd: Path, env: Mapping[str, str], on_line: Callable[[str, bool], None],
                  timeout_seconds: float | None, cancellation: Cancellation) -> ProcessResult:
    """Run argv in its own process group; on_line(text, is_stderr) gets each output line."""
    proc = subprocess.Popen(list(argv), cwd=str(cwd), env=dict(env), stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, start_new_session=True)
    lines: queue.Queue[tuple[str, bool] | None] = queue.Queue()

    def pump(stream: object, is_err: bool) -> None:
        assert stream is not None
        for raw in iter(stream.readline, b""):  # type: ignore[attr-defined]
            lines.put((raw.decode("utf-8", errors="replace").rstrip("\r\n"), is_err))
        lines.put(None)

    readers = [threading.Thread(target=pump, args=(proc.stdout, False), daemon=True),
               threading.Thread(target=pump, args=(proc.stderr, True), daemon=True)]
    for r in readers:
        r.start()
    deadline = time.monotonic() + timeout_seconds if timeout_seconds else None
    open_streams = 2
    wrote_stderr = timed_out = canceled = False
    while open_streams:
        try:
            item = lines.get(timeout=0.2)
        except queue.Empty:
            item = False  # type: ignore[assignment]
        if item is None:
            open_streams -= 1
        elif item:
            text, is_err = item
            wrote_stderr = wrote_stderr or (is_err and bool(text.strip()))
            on_line(text, is_err)
        if cancellation.requested and not canceled:
            canceled = True
            _kill_group(proc)
        if deadline is not None and time.monotonic() > deadline and not timed_out:
            timed_out = True
            _kill_group(proc)
    code = proc.wait()
    for r in readers:
        r.join(timeout=1)
    return ProcessResult(code, timed_out, canceled, wrote_stderr)
