"""Process identity and process-group stops, shared by pipeline steps (`runtime`) and the emulated
Azure ML (jobs, scoring servers, endpoint fronts).

Everything the emulator starts runs in a process group of its own, so a stop reaches the whole tree
it started. A process another `az` or `mlops` process started is known by its pid *and* its start
time (`process_start_ticks`), or by a marker in its environment (`process_alive`), so a recycled pid
is never signalled. psutil reads both, on Linux and macOS alike.

`process_identity()` writes both as one string (`<pid>:<start ticks>`) for records and environment
variables. A process that must not outlive the pipeline runner that started it (an `az` call of a
step) finds the runner's identity in `$MLOPS_RUNNER`, and `exit_with_runner` ends it once the runner
is gone: a `kill -9` of `mlops` leaves no `az` behind to act on the workspace.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time

import psutil

TERM_GRACE_SECONDS = 5.0
RUNNER_VARIABLE = "MLOPS_RUNNER"
_GONE = (psutil.STATUS_ZOMBIE, psutil.STATUS_DEAD)


def process_start_ticks(pid: int) -> int | None:
    """The process's start time in hundredths of a second since the epoch, or None if the pid is gone
    (or a zombie). With the pid it names one process: a recycled pid has another start time."""
    try:
        process = psutil.Process(pid)
        if process.status() in _GONE:
            return None
        return round(float(process.create_time()) * 100)
    except psutil.Error:
        return None


def is_running(pid: int, start_ticks: int) -> bool:
    """Whether the process that had `start_ticks` when it was recorded still runs."""
    return pid > 0 and process_start_ticks(pid) == start_ticks


def process_alive(pid: int, marker: str | None = None) -> bool:
    """Whether `pid` runs (a zombie does not) and, if given, has `marker` (`NAME=VALUE`) in its
    environment (so a reused pid is left alone)."""
    try:
        process = psutil.Process(pid)
        if process.status() in _GONE:
            return False
        if marker is None:
            return True
        name, _, value = marker.partition("=")
        return bool(process.environ().get(name) == value)
    except psutil.Error:
        return False


def process_identity(pid: int | None = None) -> str:
    """`<pid>:<start ticks>` of process `pid` (this one by default): names it for other processes."""
    pid = os.getpid() if pid is None else pid
    return f"{pid}:{process_start_ticks(pid) or 0}"


def identity_running(identity: str) -> bool:
    """Whether the process `process_identity` named still runs (True for what it did not write)."""
    pid, _, ticks = identity.partition(":")
    try:
        return is_running(int(pid), int(ticks))
    except ValueError:
        return True


def exit_with_runner(poll_seconds: float = 0.5) -> str | None:
    """If `$MLOPS_RUNNER` names a pipeline runner, SIGTERM this process once that runner is gone.

    Returns the runner's identity when it is already gone (the caller should not start), else None.
    The watch is a daemon thread; SIGTERM lets the process unwind (stop what it started, record it).
    """
    identity = os.environ.get(RUNNER_VARIABLE, "")
    if not identity:
        return None
    if not identity_running(identity):
        return identity

    def watch() -> None:
        while identity_running(identity):
            time.sleep(poll_seconds)
        os.kill(os.getpid(), signal.SIGTERM)

    threading.Thread(target=watch, name="runner-watch", daemon=True).start()
    return None


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


def guard_group(pgid: int) -> subprocess.Popen[bytes]:
    """A watchdog that stops process group `pgid` once this process is gone, however it ended.

    A server started in a session of its own (so a terminal's Ctrl-C reaches only its owner, who stops
    it in order) would outlive an owner killed with SIGKILL, holding its port. The watchdog, in a
    session of its own too, polls its parent; the owner stops it (SIGTERM) after stopping the group."""
    return subprocess.Popen(
        [sys.executable, "-P", "-m", "emulator.processes", "guard", str(os.getpid()), str(pgid)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )


def _guard(owner: int, pgid: int, poll_seconds: float = 0.5) -> None:
    signal.signal(signal.SIGTERM, lambda *_: os._exit(0))  # the owner stopped the group itself
    while os.getppid() == owner:
        time.sleep(poll_seconds)
    try:
        os.killpg(pgid, signal.SIGTERM)
        for _ in range(int(TERM_GRACE_SECONDS / 0.1)):
            time.sleep(0.1)
            os.killpg(pgid, 0)
        os.killpg(pgid, signal.SIGKILL)
    except ProcessLookupError:
        pass


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "guard":
        _guard(int(sys.argv[2]), int(sys.argv[3]))
