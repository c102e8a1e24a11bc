"""Process identity and process-group stops, shared by pipeline steps (`runtime`) and the emulated
Azure ML (jobs, scoring servers, endpoint fronts).

Everything the emulator starts runs in a process group of its own, so a stop reaches the whole tree
it started. A process another `az` or `mlops` process started is known by its pid *and* its start
time (`process_start_ticks`), or by a marker in its environment (`process_alive`), so a recycled pid
is never signalled.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

TERM_GRACE_SECONDS = 5.0


def process_start_ticks(pid: int) -> int | None:
    """Field 22 of /proc/<pid>/stat (start time in clock ticks), or None if the pid is gone/zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat[stat.rfind(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return None
    return int(fields[19])


def is_running(pid: int, start_ticks: int) -> bool:
    """Whether the process that had `start_ticks` when it was recorded still runs."""
    return pid > 0 and process_start_ticks(pid) == start_ticks


def process_alive(pid: int, marker: str | None = None) -> bool:
    """Whether `pid` runs (a zombie does not) and, if given, has `marker` in its environment (so a
    reused pid is left alone)."""
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    try:
        if Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
            return False
    except (OSError, IndexError):
        pass
    if marker is None:
        return True
    try:
        return marker.encode() in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return False


def kill_group(
    pid: int, grace: float = TERM_GRACE_SECONDS, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """SIGTERM the process group, then SIGKILL whatever is left after `grace` seconds.

    Without `proc` (a child of ours to wait for) only the SIGTERM is sent (SIGKILL when `grace` is 0).
    """
    try:
        os.killpg(pid, signal.SIGTERM if grace > 0 else signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        return
    if proc is None or grace <= 0:
        return
    try:
        proc.wait(timeout=grace)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def reap(pid: int) -> None:
    """Collect our own child's exit status so it does not linger as a zombie."""
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        pass


def stop_group(pid: int, start_ticks: int, grace: float = 10.0) -> bool:
    """Stop the recorded process's whole group, waiting until it is empty; True if it was running.

    SIGTERM first, SIGKILL after `grace` seconds; then whatever is left of the group (workers may
    outlive their master for a moment) is killed until `killpg` finds no process, so callers can
    rely on "no process left".
    """
    if not is_running(pid, start_ticks):
        return False
    try:
        os.killpg(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        reap(pid)
        if not is_running(pid, start_ticks):
            break
        time.sleep(0.1)
    else:
        try:
            os.killpg(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        reap(pid)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            break
        reap(pid)
        time.sleep(0.05)
    return True
