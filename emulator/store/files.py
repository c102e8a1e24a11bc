"""Records on disk shared by concurrent pipeline runs: atomic JSON writes and file locks.

Several `az` processes (parallel jobs, concurrent pipeline runs) touch the same state folder, so every
record is written to a temporary file and renamed into place, and read-modify-write sequences hold
an exclusive lock (`filelock`, an OS lock that dies with its process) on a sibling `.lock` file.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout


def utc_now() -> str:
    """An ISO 8601 timestamp like the ones Azure ML returns (UTC, microseconds, `+00:00`)."""
    return datetime.now(UTC).isoformat()


def write_json(path: Path, data: Any, mode: int = 0o644) -> None:
    """Write `data` as JSON so that readers see either the old or the new file, never half of one.

    Records are ordinary files (0644); one holding credentials is written with `mode=0o600`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True)
            handle.write("\n")
        os.chmod(tmp, mode)  # mkstemp makes 0600
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: Path, text: str) -> None:
    """Atomic counterpart of `Path.write_text`."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    """The JSON in `path`, or None when the file does not exist."""
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except FileNotFoundError:
        return None


@contextmanager
def locked(path: Path, *, wait: bool = True) -> Iterator[None]:
    """Hold an exclusive lock named after `path` (the lock file is `path` + `.lock`); with `wait=False`
    raise `LockBusy` at once when another process (or thread) holds it."""
    lock_path = path.with_name(path.name + ".lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(lock_path, timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        raise LockBusy(str(lock_path)) from None
    try:
        yield
    finally:
        lock.release()


class LockBusy(Exception):
    """The lock is held elsewhere (raised by `locked(..., wait=False)`)."""
