"""A Gantt chart of a run as inline SVG: a row per job (steps as segments), approvals as markers.

Times come from the run record's ISO timestamps; a paused run ends at its last update. Long waits for
approvals show as gaps between stages, which is the point: they are part of the lead time.
The geometry is computed here; the markup is in templates/timeline.svg.j2.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from emulator.graph import FONT, PALETTE
from emulator.report.templating import render

LABEL_W, CHART_W, ROW_H, BAR_H, TOP, BOTTOM = 230, 720, 24, 16, 28, 16


@dataclass(frozen=True)
class Segment:
    """A step inside its job's bar."""

    x: float
    width: float
    fill: str
    title: str


@dataclass(frozen=True)
class Mark:
    """An approval on the approvals row."""

    x: float
    fill: str
    title: str


@dataclass(frozen=True)
class Bar:
    x: float
    width: float
    fill: str
    stroke: str
    result: str
    title: str
    steps: tuple[Segment, ...]


@dataclass(frozen=True)
class Row:
    """A stage (a thin bar of its jobs' span) or a job (a bar with its steps) on the time axis."""

    stage: bool
    label: str
    indent: int
    y: int
    bar: Bar | None


def _time(stamp: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(stamp)) if stamp else None
    except ValueError:
        return None


def _nice_step(span: float) -> float:
    """A tick spacing in seconds that gives 4–10 ticks over `span`."""
    for step in (1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400):
        if span / step <= 10:
            return float(step)
    return 86400.0 * max(1, int(span / 86400 / 10) + 1)


def _clock(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f}s"
    if seconds < 3600:
        return f"{int(seconds // 60)}m{int(seconds % 60):02d}s" if seconds % 60 else f"{int(seconds // 60)}m"
    if seconds < 86400:
        return f"{int(seconds // 3600)}h{int(seconds % 3600 // 60):02d}m"
    return f"{int(seconds // 86400)}d{int(seconds % 86400 // 3600):02d}h"


def _fit(text: str, width: float, size: float = 11) -> str:
    limit = max(3, int(width / (size * 0.58)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _steps(job: Mapping[str, Any], x: Callable[[datetime], float]) -> tuple[Segment, ...]:
    segments = []
    for step in job.get("steps") or []:
        s0, s1 = _time(step.get("startedAt")), _time(step.get("finishedAt"))
        if s0 is None or s1 is None:
            continue
        name = step.get("displayName") or step.get("name")
        fill = PALETTE.get(step.get("result"), PALETTE[None])[1]
        segments.append(
            Segment(
                x(s0),
                max(x(s1) - x(s0), 1.0),
                fill,
                f"{name}: {step.get('result')}, {_clock(float(step.get('seconds') or 0))}",
            )
        )
    return tuple(segments)


def gantt_svg(record: Mapping[str, Any]) -> str | None:
    """The run's jobs on a time axis, or None when nothing has run yet."""
    items: list[tuple[bool, str, Mapping[str, Any]]] = []  # (is a stage, label, stage or job)
    stamps: list[datetime] = []
    for stage in record.get("stages") or []:
        jobs = [j for j in stage.get("jobs") or [] if _time(j.get("startedAt"))]
        if not jobs:
            continue
        items.append((True, stage.get("displayName") or stage["name"], stage))
        for job in jobs:
            items.append((False, job.get("displayName") or job["name"], job))
            stamps += [t for t in (_time(job.get("startedAt")), _time(job.get("finishedAt"))) if t]
    if not items:
        return None
    approvals = [a for a in record.get("approvals") or [] if _time(a.get("at"))]
    start = min(stamps)
    end_candidates = [*stamps, *(t for a in approvals if (t := _time(a.get("at"))) and t >= start)]
    if record.get("status") != "completed" and _time(record.get("updatedAt")):
        end_candidates.append(_time(record.get("updatedAt")))  # type: ignore[arg-type]
    end = max(t for t in end_candidates if t is not None)
    span = max((end - start).total_seconds(), 1.0)
    scale = CHART_W / span

    def x(t: datetime) -> float:
        return LABEL_W + max((t - start).total_seconds(), 0.0) * scale

    rows: list[Row] = []
    for i, (stage, label, item) in enumerate(items):
        indent = 8 if stage else 22
        t0, t1 = _time(item.get("startedAt")), _time(item.get("finishedAt")) or end
        bar = None
        if t0 is not None:
            result = item.get("result") or ("running" if item.get("state") == "running" else None)
            fill, stroke, _ = PALETTE.get(result, PALETTE[None])
            secs = _clock(max((t1 - t0).total_seconds(), 0.0))
            bar = Bar(
                x(t0),
                max(x(t1) - x(t0), 2.0),
                fill,
                stroke,
                result or "",
                f"{label}: {secs}" if stage else f"{label}: {result}, {secs}",
                () if stage else _steps(item, x),
            )
        rows.append(Row(stage, _fit(label, LABEL_W - indent - 8), indent, TOP + i * ROW_H, bar))
    marks = [
        Mark(
            x(max(at, start)),
            PALETTE["succeeded" if a.get("decision") == "approved" else "failed"][1],
            f"{a.get('environment')}: {a.get('decision')} by {a.get('by')} at {a.get('at')}",
        )
        for a in approvals
        if (at := _time(a.get("at")))
    ]
    height = TOP + len(rows) * ROW_H + (ROW_H if approvals else 0) + BOTTOM
    tick = _nice_step(span)
    ticks: list[tuple[float, str]] = []
    while len(ticks) * tick <= span + 1e-9:
        ticks.append((LABEL_W + len(ticks) * tick * scale, _clock(len(ticks) * tick)))
    return render(
        "timeline.svg.j2",
        width=LABEL_W + CHART_W + 20,
        height=height,
        font=FONT,
        top=TOP,
        bottom=BOTTOM,
        bar_h=BAR_H,
        ticks=ticks,
        rows=rows,
        approvals=marks,
        approvals_y=TOP + len(rows) * ROW_H,
    )
