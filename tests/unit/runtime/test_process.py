"""A step's process: lines from both streams, partial lines, timeouts, stops and aborts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from emulator.processes import process_alive
from emulator.runtime.process import CANCEL, TIMEOUT, Cancellation, run_streaming

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses


def _run(script: str, stop=lambda: None, abort=None):  # type: ignore[no-untyped-def]
    lines: list[tuple[str, bool]] = []
    pids: list[int] = []
    result = run_streaming(
        ["bash", "-c", script],
        Path.cwd(),
        dict(os.environ),
        lambda text, err: lines.append((text, err)),
        stop,
        pids.append,
        abort,
    )
    return result, lines, pids


def test_lines_from_both_streams_and_a_last_partial_line() -> None:
    result, lines, pids = _run("echo out; echo err >&2; printf 'no newline'")
    assert result.exit_code == 0 and result.wrote_stderr and not result.timed_out
    assert ("out", False) in lines and ("err", True) in lines and ("no newline", False) in lines
    assert pids and pids[0] > 0


def test_exit_code_and_crlf() -> None:
    result, lines, _ = _run("printf 'a\\r\\nb\\n'; exit 3")
    assert result.exit_code == 3
    assert [t for t, _ in lines] == ["a", "b"]


def test_stop_on_timeout_kills_the_group() -> None:
    start = time.monotonic()
    deadline = start + 0.3
    result, _, pids = _run(
        "sleep 30 & sleep 30; echo never", stop=lambda: TIMEOUT if time.monotonic() > deadline else None
    )
    assert result.timed_out and not result.canceled
    assert time.monotonic() - start < 10
    assert not process_alive(pids[0])


def test_cancel_and_abort() -> None:
    flag = Cancellation()
    flag.cancel()
    result, _, _ = _run("sleep 30", stop=lambda: CANCEL if flag.requested else None)
    assert result.canceled
    parent = Cancellation()
    child = Cancellation(parent)
    parent.abort()
    assert child.requested and child.aborted
    start = time.monotonic()
    result, _, _ = _run("trap '' TERM; sleep 30", abort=lambda: child.aborted)
    assert result.canceled and time.monotonic() - start < 5


def test_process_alive_checks_the_environment_marker() -> None:
    assert process_alive(os.getpid())
    assert not process_alive(os.getpid(), "MLOPS_RUN_ID=certainly-not-this")


def test_a_program_still_open_for_writing_is_run_once_it_is_closed(tmp_path: Path) -> None:
    """ETXTBSY: another thread's child may hold a just-written tool wrapper open for a moment."""
    import threading

    wrapper = tmp_path / "python"
    handle = wrapper.open("w")
    handle.write("#!/bin/sh\necho wrapped\n")
    handle.flush()
    wrapper.chmod(0o755)
    threading.Timer(0.1, handle.close).start()
    lines: list[tuple[str, bool]] = []
    result = run_streaming(
        [str(wrapper)], tmp_path, dict(os.environ), lambda text, err: lines.append((text, err)), lambda: None
    )
    assert result.exit_code == 0 and ("wrapped", False) in lines
