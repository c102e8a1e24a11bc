"""Pictures of a pipeline: stages, jobs, dependencies and gates as Mermaid text, SVG and PNG.

The graph is built from the expanded pipeline model (and, for a run, its record), so what is drawn is
what the emulator executes. The SVG renderer is a small layered-DAG layout of our own: stages are
columns ordered by dependency depth, jobs are boxes inside their stage ordered the same way, and a
stage that targets an environment carries a gate badge. It needs no network service (wikis render
the Mermaid text themselves); PNG is the SVG rasterised with cairosvg.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape, quoteattr

from emulator import extras
from emulator.errors import MlopsError
from emulator.model import Pipeline, Stage
from emulator.plan import job_graph, stage_dependencies

# fill, stroke, text colour for each result (None: not run / no run given).
PALETTE: dict[str | None, tuple[str, str, str]] = {
    "succeeded": ("#dcfce7", "#16a34a", "#14532d"),
    "succeededWithIssues": ("#fef9c3", "#ca8a04", "#713f12"),
    "failed": ("#fee2e2", "#dc2626", "#7f1d1d"),
    "canceled": ("#fae8ff", "#a21caf", "#701a75"),
    "skipped": ("#f3f4f6", "#9ca3af", "#4b5563"),
    "running": ("#dbeafe", "#2563eb", "#1e3a8a"),
    "paused": ("#cffafe", "#0891b2", "#164e63"),
    None: ("#ffffff", "#64748b", "#0f172a"),
}
GATE_PALETTE: dict[str | None, tuple[str, str, str]] = {
    "passed": PALETTE["succeeded"],
    "rejected": PALETTE["failed"],
    "pending": PALETTE["paused"],
    None: ("#ede9fe", "#7c3aed", "#3b0764"),
}
ICON = {
    "succeeded": "✔",
    "succeededWithIssues": "!",
    "failed": "✘",
    "canceled": "⊘",
    "skipped": "–",
    "running": "▶",
    "paused": "⏸",
    "passed": "✔",
    "rejected": "✘",
    "pending": "⏸",
}
FORMATS = ("mmd", "svg", "png")


@dataclass(frozen=True)
class GateNode:
    """The checks of one environment a stage targets; evaluated before any of the stage's jobs run."""

    environment: str
    checks: tuple[str, ...]  # human descriptions, e.g. "approval: alice, bob"
    status: str | None = None  # passed | rejected | pending (from a run's checks audit)

    def label(self) -> str:
        return f"{self.environment} · {'; '.join(self.checks) or 'no checks'}"


@dataclass(frozen=True)
class JobNode:
    name: str
    display_name: str
    depends_on: tuple[str, ...]
    layer: int
    steps: int
    deployment: bool = False
    environment: str | None = None
    result: str | None = None
    server: bool = False  # agentless (pool: server)
    validations: int = 0  # ManualValidation steps: the job waits for a person


@dataclass(frozen=True)
class StageNode:
    name: str
    display_name: str
    depends_on: tuple[str, ...]
    layer: int
    jobs: tuple[JobNode, ...]
    gates: tuple[GateNode, ...]
    result: str | None = None


@dataclass(frozen=True)
class PipelineGraph:
    title: str
    stages: tuple[StageNode, ...]
    colored: bool = False  # True when results come from a run

    def stage(self, name: str) -> StageNode:
        return next(s for s in self.stages if s.name == name)


# ---- building -----------------------------------------------------------------------------------
def _layers(names: Sequence[str], deps: Mapping[str, tuple[str, ...]]) -> dict[str, int]:
    """Longest-path depth of each node (graphs are acyclic: plan.check rejects cycles first)."""
    layer: dict[str, int] = {}

    def depth(name: str) -> int:
        if name not in layer:
            layer[name] = 1 + max((depth(d) for d in deps.get(name, ())), default=-1)
        return layer[name]

    for n in names:
        depth(n)
    return layer


def describe_checks(config: Any) -> tuple[str, ...]:
    """Short descriptions of an environment's checks (config: gates.environments.EnvironmentConfig).

    Duck-typed on the check's `type` and fields, so new check kinds still draw (by their type name).
    """
    out: list[str] = []
    for check in getattr(config, "checks", ()) or ():
        kind = str(getattr(check, "type", "check"))
        if kind == "approval":
            who = ", ".join(getattr(check, "approvers", ())) or "anyone"
            need = int(getattr(check, "min_approvers", 1))
            out.append(f"approval: {who}" + (f" ({need} needed)" if need > 1 else ""))
        elif kind == "branchControl":
            out.append("branch: " + ", ".join(getattr(check, "allowed_branches", ())))
        elif kind == "businessHours":
            days = getattr(check, "days", ())
            span = f"{days[0]}–{days[-1]} " if days else ""
            out.append(f"business hours {span}{getattr(check, 'start', '')}–{getattr(check, 'end', '')}")
        elif kind == "exclusiveLock":
            out.append("exclusive lock")
        elif kind == "requiredTemplate":
            out.append("required template: " + ", ".join(getattr(check, "templates", ())))
        else:
            out.append(f"{kind} (not emulated)" if hasattr(check, "settings") else kind)
    return tuple(out)


def _gate_statuses(record: Mapping[str, Any] | None) -> dict[tuple[str, str], str]:
    """The latest check status of each (stage, environment), lower-cased keys."""
    statuses: dict[tuple[str, str], str] = {}
    for entry in (record or {}).get("checks") or ():
        key = (str(entry.get("stage", "")).lower(), str(entry.get("environment", "")).lower())
        statuses[key] = str(entry.get("status"))
    return statuses


def _record_results(record: Mapping[str, Any] | None) -> tuple[dict[str, Any], dict[tuple[str, str], Any]]:
    stages: dict[str, Any] = {}
    jobs: dict[tuple[str, str], Any] = {}
    for s in (record or {}).get("stages") or ():
        stages[s["name"]] = s.get("result") or ("running" if s.get("state") == "running" else None)
        for j in s.get("jobs") or ():
            running = "running" if j.get("state") == "running" else None
            jobs[(s["name"], j["name"])] = j.get("result") or running
    return stages, jobs


def build_graph(
    pipeline: Pipeline,
    environments: Any = None,
    record: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> PipelineGraph:
    """The drawable graph of a pipeline; `environments` (gates.environments.Environments) names the
    checks on each gate, `record` (a run's run.json) colours nodes by result."""
    stage_deps = stage_dependencies(pipeline.stages)
    stage_layer = _layers([s.name for s in pipeline.stages], stage_deps)
    stage_results, job_results = _record_results(record)
    gate_status = _gate_statuses(record)
    waiting = (record or {}).get("waiting") or {}
    stages: list[StageNode] = []
    for stage in pipeline.stages:
        stages.append(
            _stage_node(
                stage,
                stage_deps[stage.name],
                stage_layer[stage.name],
                environments,
                stage_results,
                job_results,
                gate_status,
                waiting,
            )
        )
    name = title or pipeline.name or (record or {}).get("pipeline") or "pipeline"
    return PipelineGraph(str(name), tuple(stages), colored=record is not None)


def _stage_node(
    stage: Stage,
    deps: tuple[str, ...],
    layer: int,
    environments: Any,
    stage_results: Mapping[str, Any],
    job_results: Mapping[tuple[str, str], Any],
    gate_status: Mapping[tuple[str, str], str],
    waiting: Mapping[str, Any],
) -> StageNode:
    graph = job_graph(stage)
    job_layer = _layers(graph.nodes, graph.depends_on)
    jobs = tuple(
        JobNode(
            name=j.name,
            display_name=j.display_name,
            depends_on=graph.depends_on[j.name],
            layer=job_layer[j.name],
            steps=len(j.all_steps()),
            deployment=j.deployment,
            environment=j.environment.name if j.environment else None,
            result=job_results.get((stage.name, j.name)),
            server=j.server,
            validations=sum(1 for s in j.all_steps() if s.task.lower().startswith("manualvalidation@")),
        )
        for j in stage.jobs
    )
    gates: list[GateNode] = []
    for env_name in dict.fromkeys(e.name for e in stage.environments()):
        config = environments.get(env_name) if environments is not None else None
        status = gate_status.get((stage.name.lower(), env_name.lower()))
        waits_here = str(waiting.get("environment", "")).lower() == env_name.lower()
        if waiting.get("stage") == stage.name and waits_here:
            status = "pending"
        gates.append(GateNode(config.name if config else env_name, describe_checks(config), status))
    result = stage_results.get(stage.name)
    if result is None and any(g.status == "pending" for g in gates):
        result = "paused"
    return StageNode(stage.name, stage.display_name, deps, layer, jobs, tuple(gates), result)


# ---- Mermaid ------------------------------------------------------------------------------------
def _mm_label(*lines: str) -> str:
    """A quoted Mermaid label: quotes and angle brackets as entity codes, lines joined by <br/>."""
    return (
        '"'
        + "<br/>".join(t.replace('"', "#quot;").replace("<", "#lt;").replace(">", "#gt;") for t in lines)
        + '"'
    )


def _mm_id(*parts: str) -> str:
    """A Mermaid node id: word characters only (environment names may hold '-' or '.')."""
    return re.sub(r"\W", "_", "__".join(parts))


def to_mermaid(graph: PipelineGraph) -> str:
    """Mermaid flowchart text (`.mmd`): a subgraph per stage, gates as hexagons, classes per result."""
    lines = ["flowchart LR", f"  %% {graph.title}"]
    used: dict[str, list[str]] = {}
    for stage in graph.stages:
        sid = _mm_id("S", stage.name)
        lines.append(f"  subgraph {sid}[{_mm_label(stage.display_name)}]")
        lines.append("    direction LR")
        for gate in stage.gates:
            gid = _mm_id("G", stage.name, gate.environment)
            lines.append(f"    {gid}{{{{{_mm_label('gate ' + gate.environment, *gate.checks)}}}}}")
            if gate.status:
                used.setdefault(f"gate_{gate.status}", []).append(gid)
        for job in stage.jobs:
            jid = _mm_id("J", stage.name, job.name)
            extra = (f"deployment → {job.environment}",) if job.deployment and job.environment else ()
            lines.append(f"    {jid}[{_mm_label(job.display_name, *extra)}]")
            if job.result:
                used.setdefault(job.result, []).append(jid)
        for gate in stage.gates:
            gid = _mm_id("G", stage.name, gate.environment)
            for job in stage.jobs:
                if job.environment and job.environment.lower() == gate.environment.lower():
                    lines.append(f"    {gid} -.-> {_mm_id('J', stage.name, job.name)}")
        for job in stage.jobs:
            for dep in job.depends_on:
                lines.append(f"    {_mm_id('J', stage.name, dep)} --> {_mm_id('J', stage.name, job.name)}")
        lines.append("  end")
        if stage.result:
            used.setdefault(stage.result, []).append(sid)
    for stage in graph.stages:
        for dep in stage.depends_on:
            lines.append(f"  {_mm_id('S', dep)} --> {_mm_id('S', stage.name)}")
    for cls, ids in used.items():
        key = cls[5:] if cls.startswith("gate_") else cls
        fill, stroke, color = (GATE_PALETTE if cls.startswith("gate_") else PALETTE).get(key, PALETTE[None])
        lines.append(f"  classDef {cls} fill:{fill},stroke:{stroke},color:{color}")
        lines.append(f"  class {','.join(ids)} {cls}")
    return "\n".join(lines) + "\n"


# ---- SVG ----------------------------------------------------------------------------------------
FONT = "DejaVu Sans, Verdana, Helvetica, Arial, sans-serif"
JOB_W, JOB_H, JOB_GAP_X, JOB_GAP_Y = 210, 46, 40, 14
PAD, HEADER, GATE_H, GATE_GAP = 14, 34, 24, 6
STAGE_GAP_X, STAGE_GAP_Y, MARGIN, TITLE_H = 64, 28, 20, 34
MAX_STAGE_W, LEGEND_H, CHANNEL_GAP = 460, 26, 10
# Glyphs DejaVu Sans has (what cairo and most browsers fall back to): no emoji-only symbols.
SVG_ICON = {**ICON, "paused": "‖", "pending": "‖"}


def _fit(text: str, width: float, size: float) -> str:
    """Truncate text with an ellipsis so it fits `width` pixels (average glyph ≈ 0.6 em)."""
    limit = max(3, int(width / (size * 0.56)))
    return text if len(text) <= limit else text[: limit - 1] + "…"


@dataclass
class _Box:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def mid_y(self) -> float:
        return self.y + self.h / 2


@dataclass
class _StageLayout:
    node: StageNode
    box: _Box
    jobs: dict[str, _Box]
    gates: list[_Box]


def _gate_text(gate: GateNode) -> str:
    status = f" · {SVG_ICON.get(gate.status, '')} {gate.status}" if gate.status else ""
    return gate.label() + status


def _stage_size(stage: StageNode) -> tuple[float, float, dict[str, tuple[float, float]]]:
    """Width, height and each job's offset inside the stage box."""
    columns: dict[int, list[JobNode]] = {}
    for job in stage.jobs:
        columns.setdefault(job.layer, []).append(job)
    ncols = max(columns, default=-1) + 1
    jobs_w = max(ncols * JOB_W + max(ncols - 1, 0) * JOB_GAP_X, JOB_W)
    wanted = [len(_gate_text(g)) * 11 * 0.6 + 40 for g in stage.gates]
    wanted.append(len(stage.display_name) * 13 * 0.65 + (len(stage.result or "") + 2) * 7 + 16)
    inner_w = max(jobs_w, min(max(wanted), MAX_STAGE_W))
    inner_h = max((len(c) * JOB_H + (len(c) - 1) * JOB_GAP_Y for c in columns.values()), default=JOB_H)
    top = HEADER + len(stage.gates) * (GATE_H + GATE_GAP)
    offsets: dict[str, tuple[float, float]] = {}
    for layer, jobs in columns.items():
        col_h = len(jobs) * JOB_H + (len(jobs) - 1) * JOB_GAP_Y
        y0 = top + (inner_h - col_h) / 2
        for i, job in enumerate(jobs):
            offsets[job.name] = (
                PAD + (inner_w - jobs_w) / 2 + layer * (JOB_W + JOB_GAP_X),
                y0 + i * (JOB_H + JOB_GAP_Y),
            )
    return inner_w + 2 * PAD, top + inner_h + PAD, offsets


def layout(graph: PipelineGraph) -> tuple[float, float, list[_StageLayout]]:
    """Positions of every stage, job and gate badge; stages in columns by dependency depth."""
    sizes = {s.name: _stage_size(s) for s in graph.stages}
    columns: dict[int, list[StageNode]] = {}
    for s in graph.stages:
        columns.setdefault(s.layer, []).append(s)
    out: list[_StageLayout] = []
    x = float(MARGIN)
    height = 0.0
    for layer in sorted(columns):
        col_w = max(sizes[s.name][0] for s in columns[layer])
        y = float(MARGIN + TITLE_H)
        for s in columns[layer]:
            w, h, offsets = sizes[s.name]
            box = _Box(x, y, col_w, h)
            jobs = {
                n: _Box(x + ox + (col_w - w) / 2, y + oy, JOB_W, JOB_H) for n, (ox, oy) in offsets.items()
            }
            gates = [
                _Box(x + PAD, y + HEADER + i * (GATE_H + GATE_GAP), col_w - 2 * PAD, GATE_H)
                for i in range(len(s.gates))
            ]
            out.append(_StageLayout(s, box, jobs, gates))
            y += h + STAGE_GAP_Y
        height = max(height, y - STAGE_GAP_Y)
        x += col_w + STAGE_GAP_X
    width = max(x - STAGE_GAP_X + MARGIN, 320.0)
    return width, max(height + MARGIN, float(MARGIN + TITLE_H + JOB_H)), out


def _arrow(x1: float, y1: float, x2: float, y2: float, cls: str, marker: str) -> str:
    dx = max((x2 - x1) / 2, 16)
    return (
        f'<path class="{cls}" d="M{x1:.1f},{y1:.1f} C{x1 + dx:.1f},{y1:.1f} {x2 - dx:.1f},{y2:.1f} '
        f'{x2:.1f},{y2:.1f}" fill="none" marker-end="url(#{marker})"/>'
    )


def _text(
    x: float, y: float, text: str, size: float, color: str, weight: str = "normal", anchor: str = "start"
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" font-weight="{weight}" fill="{color}" '
        f'text-anchor="{anchor}">{escape(text)}</text>'
    )


def _lock(x: float, y: float, color: str) -> str:
    """A small padlock drawn with primitives (fonts with a lock glyph are not everywhere)."""
    return (
        f'<path d="M{x + 2:.1f},{y + 6:.1f} v-2.5 a3.5,3.5 0 0 1 7,0 v2.5" fill="none" stroke="{color}" '
        f'stroke-width="1.6"/><rect x="{x:.1f}" y="{y + 6:.1f}" width="11" height="8" rx="1.5" '
        f'fill="{color}"/>'
    )


def to_svg(graph: PipelineGraph, id_prefix: str = "g") -> str:
    """A standalone SVG document (also valid inline in HTML); `id_prefix` keeps ids unique per page."""
    width, height, stages = layout(graph)
    by_name = {s.node.name: s for s in stages}
    # Edges that skip a column run in channels below the stages, so they don't hide behind boxes.
    skips = [
        (dep, s) for s in stages for dep in s.node.depends_on if s.node.layer - by_name[dep].node.layer > 1
    ]
    bottom = max((s.box.y + s.box.h for s in stages), default=height - MARGIN)
    if skips:
        height = max(height, bottom + 10 + CHANNEL_GAP * len(skips) + MARGIN)
    if graph.colored:
        width = max(width, MARGIN * 2 + 590.0)
        height += LEGEND_H
    marker = f"{id_prefix}-arrow"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" role="img" '
        f"aria-label={quoteattr('Pipeline ' + graph.title)} "
        f'font-family="{FONT}" class="mlops-graph">',
        f"<title>{escape(graph.title)}</title>",
        f'<defs><marker id="{marker}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#475569"/></marker></defs>',
        f'<rect x="0" y="0" width="{width:.0f}" height="{height:.0f}" fill="#ffffff"/>',
        _text(MARGIN, MARGIN + 16, _fit(graph.title, width - 2 * MARGIN, 15), 15, "#0f172a", "bold"),
    ]
    # Arrows first, so boxes sit on top of any arrow that crosses them.
    for s in stages:
        for dep in s.node.depends_on:
            if (dep, s) in skips:
                continue
            d = by_name[dep].box
            parts.append(_arrow(d.right, d.mid_y, s.box.x, s.box.mid_y, "stage-edge", marker))
    for k, (dep, s) in enumerate(skips):
        d, t = by_name[dep].box, s.box
        x1, x2, y = d.right - 24 - 8 * k, t.x + 24 + 8 * k, bottom + 10 + CHANNEL_GAP * (k + 1)
        parts.append(
            f'<path class="stage-edge" d="M{x1:.1f},{d.y + d.h:.1f} V{y - 6:.1f} Q{x1:.1f},{y:.1f} '
            f"{x1 + 6:.1f},{y:.1f} H{x2 - 6:.1f} Q{x2:.1f},{y:.1f} {x2:.1f},{y - 6:.1f} "
            f'V{t.y + t.h:.1f}" fill="none" marker-end="url(#{marker})"/>'
        )
    for s in stages:
        fill, stroke, color = PALETTE.get(s.node.result, PALETTE[None])
        b = s.box
        parts.append(
            f'<g class="stage" data-name={quoteattr(s.node.name)} data-result='
            f"{quoteattr(s.node.result or '')}>"
        )
        tip = f"Stage {s.node.name}" + (f" · {s.node.result}" if s.node.result else "")
        parts.append(f"<title>{escape(tip)}</title>")
        stage_fill = fill if graph.colored and s.node.result else "#f8fafc"
        parts.append(
            f'<rect x="{b.x:.1f}" y="{b.y:.1f}" width="{b.w:.1f}" height="{b.h:.1f}" rx="10" '
            f'fill="{stage_fill}" stroke="{stroke}" stroke-width="1.5"/>'
        )
        badge = f"{SVG_ICON.get(s.node.result or '', '')} {s.node.result}" if s.node.result else ""
        title_w = b.w - 2 * PAD - (len(badge) * 7 + 8 if badge else 0)
        parts.append(_text(b.x + PAD, b.y + 22, _fit(s.node.display_name, title_w, 13), 13, color, "bold"))
        if badge:
            parts.append(_text(b.right - PAD, b.y + 22, badge, 11, stroke, "bold", "end"))
        for gate, gb in zip(s.node.gates, s.gates, strict=True):
            gfill, gstroke, gcolor = GATE_PALETTE.get(gate.status, GATE_PALETTE[None])
            parts.append(
                f'<g class="gate" data-environment={quoteattr(gate.environment)} '
                f"data-status={quoteattr(gate.status or '')}><title>{escape('Gate ' + gate.label())}"
                "</title>"
            )
            parts.append(
                f'<rect x="{gb.x:.1f}" y="{gb.y:.1f}" width="{gb.w:.1f}" height="{gb.h:.1f}" '
                f'rx="12" fill="{gfill}" stroke="{gstroke}"/>'
            )
            parts.append(_lock(gb.x + 9, gb.y + 4, gstroke))
            parts.append(_text(gb.x + 27, gb.y + 16, _fit(_gate_text(gate), gb.w - 36, 11), 11, gcolor))
            parts.append("</g>")
        for job in s.node.jobs:
            jb = s.jobs[job.name]
            for dep in job.depends_on:
                db = s.jobs[dep]
                parts.append(_arrow(db.right, db.mid_y, jb.x, jb.mid_y, "job-edge", marker))
        for job in s.node.jobs:
            jb = s.jobs[job.name]
            jfill, jstroke, jcolor = PALETTE.get(job.result, PALETTE[None])
            detail = (
                f"deployment → {job.environment}"
                if job.deployment and job.environment
                else f"{job.steps} step{'s' if job.steps != 1 else ''}"
            )
            if job.result:
                detail = f"{SVG_ICON.get(job.result, '')} {job.result} · {detail}"
            parts.append(
                f'<g class="job" data-stage={quoteattr(s.node.name)} '
                f"data-name={quoteattr(job.name)} "
                f"data-result={quoteattr(job.result or '')}>"
            )
            parts.append(f"<title>{escape(f'Job {s.node.name}.{job.name}: {job.display_name}')}</title>")
            parts.append(
                f'<rect x="{jb.x:.1f}" y="{jb.y:.1f}" width="{jb.w:.1f}" height="{jb.h:.1f}" rx="6" '
                f'fill="{jfill}" stroke="{jstroke}" stroke-width="1.3"/>'
            )
            name = _fit(job.display_name, jb.w - 20, 12)
            parts.append(_text(jb.x + 10, jb.y + 19, name, 12, jcolor, "bold"))
            parts.append(_text(jb.x + 10, jb.y + 36, _fit(detail, jb.w - 20, 10.5), 10.5, jcolor))
            parts.append("</g>")
        parts.append("</g>")
    if graph.colored:
        parts.append(_legend(height - MARGIN - 12))
    parts.append(
        "<style>.stage-edge{stroke:#475569;stroke-width:1.6}.job-edge{stroke:#64748b;"
        "stroke-width:1.2}</style>"
    )
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _legend(y: float) -> str:
    items = ["succeeded", "succeededWithIssues", "failed", "skipped", "canceled", "paused"]
    x = float(MARGIN)
    out = []
    for name in items:
        fill, stroke, _ = PALETTE[name]
        out.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="12" height="12" rx="2" fill="{fill}" '
            f'stroke="{stroke}"/>' + _text(x + 16, y + 10, name, 10, "#334155")
        )
        x += len(name) * 6.2 + 30
    return '<g class="legend">' + "".join(out) + "</g>"


# ---- PNG and files ------------------------------------------------------------------------------
def svg_to_png(svg: str, scale: float = 2.0) -> bytes:
    """Rasterise with cairosvg (a pip dependency; needs the cairo library from Debian's libcairo2)."""
    try:
        import cairosvg
    except (ImportError, OSError) as exc:
        raise MlopsError(
            f"PNG output needs cairosvg (the 'png' extra) and the cairo library: {exc}",
            None,
            hint=f"pip install {extras.install_spec('png')}; on Debian: apt-get install -y "
            "libcairo2 (or write .svg / .mmd instead)",
        ) from None
    png = cairosvg.svg2png(bytestring=svg.encode("utf-8"), scale=scale)
    assert isinstance(png, bytes)
    return png


def output_format(path: str, explicit: str | None = None) -> str:
    """The format to write: --format, else the file's extension (.mmd/.mermaid, .svg, .png)."""
    name = path.rsplit("/", 1)[-1]
    fmt = (explicit or (name.rsplit(".", 1)[-1] if "." in name else "")).lower()
    fmt = {"mermaid": "mmd"}.get(fmt, fmt)
    if fmt not in FORMATS:
        raise MlopsError(
            f"Can't tell the graph format of '{path}'",
            None,
            expected="a file name ending in .mmd, .svg or .png (or --format mmd|svg|png)",
        )
    return fmt


def render(graph: PipelineGraph, fmt: str) -> bytes:
    """The graph in format `fmt` (mmd, svg or png) as bytes ready to write."""
    if fmt == "mmd":
        return to_mermaid(graph).encode("utf-8")
    svg = to_svg(graph)
    return svg.encode("utf-8") if fmt == "svg" else svg_to_png(svg)
