"""Durations from run records (ISO timestamps), shared by the console summary and the reports."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any


def duration(seconds: float | None) -> str:
    """1.2s, 3m04s, 1h02m: short enough for a tree and a table."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def seconds_of(item: Mapping[str, Any]) -> float | None:
    """An item's `seconds`, else finishedAt - startedAt, else None (not finished)."""
    if item.get("seconds") is not None:
        return float(item["seconds"])
    try:
        start = datetime.fromisoformat(str(item["startedAt"]))
        end = datetime.fromisoformat(str(item["finishedAt"]))
    except (KeyError, ValueError):
        return None
    return max((end - start).total_seconds(), 0.0)


def durations(record: Mapping[str, Any]) -> dict[tuple[str, ...], float]:
    """Seconds per stage (name,) and job (stage, job) from a run record's timestamps."""
    out: dict[tuple[str, ...], float] = {}
    for s in record.get("stages") or []:
        if (sec := seconds_of(s)) is not None:
            out[(s["name"],)] = sec
        for j in s.get("jobs") or []:
            if (sec := seconds_of(j)) is not None:
                out[(s["name"], j["name"])] = sec
    return out
