"""Step log excerpts for reports: the tail of a log file, without terminal colour codes."""

from __future__ import annotations

import re
from pathlib import Path

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def strip_ansi(text: str) -> str:
    return _ANSI.sub("", text)


def read_log(run_dir: Path | str, relative: str | None) -> list[str] | None:
    """The lines of a step's log (path relative to the run folder), or None when there is none."""
    if not relative:
        return None
    path = Path(run_dir) / relative
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    return strip_ansi(text).splitlines()


def log_tail(run_dir: Path | str, relative: str | None, lines: int) -> str:
    """The last `lines` lines, with a note of how many came before."""
    content = read_log(run_dir, relative)
    if content is None:
        return "(no log)"
    head = [f"… {len(content) - lines} earlier lines in {relative}"] if len(content) > lines else []
    return "\n".join(head + content[-lines:])
