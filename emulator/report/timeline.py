"""A Gantt chart of a run as inline SVG: a row per job (steps as segments), approvals as markers.

Times come from the run record's ISO timestamps; a paused run ends at its last update. Long waits for
approvals show as gaps between stages, which is the point: they are part of the lead time.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from emulator.graph import FONT, PALETTE

LABEL_W, CHART_W, ROW_H, BAR_H, TOP, BOTTOM = 230, 720, 24, 16, 28, 16


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


def gantt_svg(record: Mapping[str, Any]) -> str | None:
    """The run's jobs on a time axis, or None when nothing has run yet."""
    rows: list[tuple[str, str, Mapping[str, Any]]] = []   # (kind, label, item)
    stamps: list[datetime] = []
    for stage in record.get("stages") or []:
        jobs = [j for j in stage.get("jobs") or [] if _time(j.get("startedAt"))]
        if not jobs:
            continue
        rows.append(("stage", stage.get("displayName") or stage["name"], stage))
        for job in jobs:
            rows.append(("job", job.get("displayName") or job["name"], job))
            stamps += [t for t in (_time(job.get("startedAt")), _time(job.get("finishedAt"))) if t]
    if not rows:
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

    height = TOP + len(rows) * ROW_H + (ROW_H if approvals else 0) + BOTTOM
    width = LABEL_W + CHART_W + 20
    out = [f'<svg width="{width}" height="{height}" viewBox="0 0 {width} {height}" font-family="{FONT}" '
           'class="gantt" role="img" aria-label="Timeline of the run">',
           f'<rect x="0" y="0" width="{width}" height="{height}" fill="#ffffff"/>']
    tick = _nice_step(span)
    n = 0
    while n * tick <= span + 1e-9:
        tx = LABEL_W + n * tick * scale
        out.append(f'<line x1="{tx:.1f}" y1="{TOP - 6}" x2="{tx:.1f}" y2="{height - BOTTOM}" '
                   'stroke="#e2e8f0"/>'
                   f'<text x="{tx:.1f}" y="{TOP - 10}" font-size="10" fill="#64748b" text-anchor="middle">'
                   f"{_clock(n * tick)}</text>")
        n += 1
    for i, (kind, label, item) in enumerate(rows):
        y = TOP + i * ROW_H
        t0, t1 = _time(item.get("startedAt")), _time(item.get("finishedAt")) or end
        weight = "bold" if kind == "stage" else "normal"
        indent = 8 if kind == "stage" else 22
        out.append(f'<text x="{indent}" y="{y + 16}" font-size="11" font-weight="{weight}" fill="#0f172a">'
                   f"{escape(_fit(label, LABEL_W - indent - 8))}</text>")
        if t0 is None:
            continue
        result = item.get("result") or ("running" if item.get("state") == "running" else None)
        fill, stroke, _ = PALETTE.get(result, PALETTE[None])
        x0, w = x(t0), max(x(t1) - x(t0), 2.0)
        secs = max((t1 - t0).total_seconds(), 0.0)
        if kind == "stage":
            out.append(f'<rect class="bar stage-bar" x="{x0:.1f}" y="{y + 9}" width="{w:.1f}" height="6" '
                       f'rx="3" fill="{stroke}" opacity="0.5">'
                       f"<title>{escape(label)}: {_clock(secs)}</title></rect>")
            continue
        out.append(f'<g class="bar job-bar" data-result={quoteattr(result or "")}>'
                   f'<rect x="{x0:.1f}" y="{y + 4}" width="{w:.1f}" height="{BAR_H}" rx="3" fill="{fill}" '
                   f'stroke="{stroke}"><title>{escape(label)}: {escape(str(result))}, {_clock(secs)}</title>'
                   "</rect>")
        for step in item.get("steps") or []:
            s0, s1 = _time(step.get("startedAt")), _time(step.get("finishedAt"))
            if s0 is None or s1 is None:
                continue
            sfill = PALETTE.get(step.get("result"), PALETTE[None])[1]
            sw = max(x(s1) - x(s0), 1.0)
            name = step.get("displayName") or step.get("name")
            out.append(f'<rect x="{x(s0):.1f}" y="{y + BAR_H - 1}" width="{sw:.1f}" height="3" '
                       f'fill="{sfill}">'
                       f"<title>{escape(str(name))}: {escape(str(step.get('result')))}, "
                       f"{_clock(float(step.get('seconds') or 0))}</title></rect>")
        out.append("</g>")
    if approvals:
        y = TOP + len(rows) * ROW_H
        out.append(f'<text x="8" y="{y + 16}" font-size="11" font-weight="bold" fill="#0f172a">'
                   "approvals</text>")
        for a in approvals:
            at = _time(a.get("at"))
            if at is None:
                continue
            ax = x(max(at, start))
            color = PALETTE["succeeded" if a.get("decision") == "approved" else "failed"][1]
            tip = f"{a.get('environment')}: {a.get('decision')} by {a.get('by')} at {a.get('at')}"
            out.append(f'<path class="approval-mark" d="M{ax:.1f},{y + 4} l6,8 l-6,8 l-6,-8 z" '
                       f'fill="{color}">'
                       f"<title>{escape(tip)}</title></path>")
    out.append("</svg>")
    return "\n".join(out)
