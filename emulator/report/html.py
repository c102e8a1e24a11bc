"""A run as one self-contained HTML page: graph, timeline, steps with log excerpts, approvals, model.

Everything is inline (CSS, JS, SVG, images as data URIs), so the file can be attached to a ticket or a
pull request, opened offline, and archived; the page references no external URL.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import __version__
from emulator.report.logs import read_log
from emulator.report.mlflow_data import MlflowFindings, TrainingRun
from emulator.report.timeline import gantt_svg
from emulator.report.times import duration, seconds_of

EXCERPT_LINES = 30          # log lines shown per step (the tail: where failures are)
MAX_METRICS = 60
NO_LOG = '<div class="muted nolog">no log (the step did not run)</div>'


@dataclass(frozen=True)
class ReportInput:
    """What the page is made of (gathered by emulator.report.build_html)."""

    record: Mapping[str, Any]
    run_dir: Path
    graph_svg: str | None
    graph_note: str | None
    mlflow: MlflowFindings | None
    generated_at: str


def _e(value: Any) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def _badge(result: str | None) -> str:
    shown = result or "not run"
    return f'<span class="badge r-{_e(result or "none")}">{_e(shown)}</span>'


def _anchor(*parts: str) -> str:
    return "-".join(p.replace(" ", "_") for p in parts)


CSS = """
:root{--fg:#0f172a;--muted:#64748b;--line:#e2e8f0;--bg:#f8fafc}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",
sans-serif;color:var(--fg);background:var(--bg)}
header{background:#0f172a;color:#fff;padding:18px 28px}header h1{margin:0 0 6px;font-size:20px}
header .meta{color:#cbd5e1;font-size:13px}header .meta span{margin-right:18px}
nav{padding:8px 28px;background:#fff;border-bottom:1px solid var(--line);position:sticky;top:0;z-index:2}
nav a{margin-right:16px;color:#2563eb;text-decoration:none}
main{padding:8px 28px 40px;max-width:1400px}
section{background:#fff;border:1px solid var(--line);border-radius:10px;padding:14px 18px;margin:16px 0}
h2{font-size:16px;margin:0 0 10px}h3{font-size:14px;margin:14px 0 6px}
.scroll{overflow-x:auto}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{text-align:left;padding:5px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{color:var(--muted);font-weight:600}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;
border:1px solid}
.r-succeeded{background:#dcfce7;color:#14532d;border-color:#16a34a}
.r-succeededWithIssues{background:#fef9c3;color:#713f12;border-color:#ca8a04}
.r-failed,.r-rejected{background:#fee2e2;color:#7f1d1d;border-color:#dc2626}
.r-canceled{background:#fae8ff;color:#701a75;border-color:#a21caf}
.r-skipped,.r-none{background:#f3f4f6;color:#4b5563;border-color:#9ca3af}
.r-paused,.r-pending,.r-running{background:#cffafe;color:#164e63;border-color:#0891b2}
.r-approved,.r-passed{background:#dcfce7;color:#14532d;border-color:#16a34a}
.job{border-left:3px solid var(--line);padding-left:12px;margin:10px 0}
details.step{margin:4px 0;border:1px solid var(--line);border-radius:6px;background:#fff}
details.step>summary{cursor:pointer;padding:5px 10px;list-style:none;display:flex;gap:10px;align-items:center}
details.step>summary::-webkit-details-marker{display:none}
details.step>summary .name{flex:1}details.step>summary .time{color:var(--muted);font-size:12px}
pre.log{margin:0;padding:8px 10px;background:#0f172a;color:#e2e8f0;font:12px/1.4 ui-monospace,Menlo,Consolas,
monospace;overflow-x:auto;border-radius:0 0 6px 6px;white-space:pre}
pre.log .err{color:#fca5a5}pre.log .warn{color:#fde68a}pre.log .cmd{color:#93c5fd}pre.log .more{color:#94a3b8}
.msg{color:#b91c1c;font-size:12px;padding:0 10px 6px}
.muted{color:var(--muted)}.plots{display:flex;flex-wrap:wrap;gap:16px}
.plots figure{margin:0;border:1px solid var(--line);border-radius:8px;padding:8px;background:#fff}
.plots img{max-width:420px;height:auto;display:block}.plots figcaption{font-size:12px;color:var(--muted)}
.toolbar button{margin-right:6px;font:inherit;font-size:12px;padding:3px 10px;border:1px solid var(--line);
border-radius:6px;background:#fff;cursor:pointer}
svg.mlops-graph g.job{cursor:pointer}svg.mlops-graph{max-width:100%;height:auto}
.nolog{padding:4px 10px;font-size:12px}
.kv td:first-child{color:var(--muted);width:220px}
"""

JS = """
(function () {
  'use strict';
  function all(sel) { return Array.prototype.slice.call(document.querySelectorAll(sel)); }
  function setOpen(open) { all('details.step').forEach(function (d) { d.open = open; }); }
  var expand = document.getElementById('expand-all');
  var collapse = document.getElementById('collapse-all');
  var failed = document.getElementById('only-problems');
  if (expand) { expand.addEventListener('click', function () { setOpen(true); }); }
  if (collapse) { collapse.addEventListener('click', function () { setOpen(false); }); }
  if (failed) {
    failed.addEventListener('click', function () {
      var on = failed.getAttribute('aria-pressed') !== 'true';
      failed.setAttribute('aria-pressed', on ? 'true' : 'false');
      failed.textContent = on ? 'Show all steps' : 'Only problems';
      all('details.step').forEach(function (d) {
        var r = d.getAttribute('data-result');
        var problem = r === 'failed' || r === 'succeededWithIssues' || r === 'canceled';
        d.style.display = (!on || problem) ? '' : 'none';
      });
    });
  }
  all('svg.mlops-graph g.job').forEach(function (g) {
    g.addEventListener('click', function () {
      var id = 'job-' + g.getAttribute('data-stage') + '-' + g.getAttribute('data-name');
      var target = document.getElementById(id);
      if (target) { target.scrollIntoView({behavior: 'smooth', block: 'start'}); }
    });
  });
  document.documentElement.setAttribute('data-report-ready', 'true');
})();
"""


def _log_excerpt(run_dir: Path, relative: str | None, lines: int) -> str:
    content = read_log(run_dir, relative)
    if content is None:
        return ""
    out = []
    if len(content) > lines:
        out.append(f'<span class="more">… {len(content) - lines} earlier lines in {_e(relative)} '
                   "(mlops logs shows them all)</span>")
    for line in content[-lines:]:
        cls = ("err" if line.startswith("##[error]") else "warn" if line.startswith("##[warning]")
               else "cmd" if line.startswith("##[command]") else "")
        out.append(f'<span class="{cls}">{_e(line)}</span>' if cls else _e(line))
    return '<pre class="log">' + "\n".join(out) + "</pre>"


def _header(record: Mapping[str, Any]) -> str:
    total = seconds_of({"startedAt": record.get("startedAt"),
                        "finishedAt": record.get("finishedAt") or record.get("updatedAt")})
    git = record.get("git") or {}
    meta = [f"requested by {_e(record.get('requestedBy'))}",
            f"started {_e(str(record.get('startedAt'))[:19])}"]
    if record.get("finishedAt"):
        meta.append(f"finished {_e(str(record.get('finishedAt'))[:19])}")
    if total is not None:
        meta.append(f"{'took' if record.get('finishedAt') else 'so far'} {_e(duration(total))}")
    if git.get("commit"):
        branch = f" on {_e(git.get('branch'))}" if git.get("branch") else ""
        meta.append(f"commit {_e(str(git['commit'])[:12])}{branch}")
    result = record.get("result") or record.get("status")
    return (f'<header><h1>Run {_e(record.get("id"))} · {_e(record.get("pipeline"))} {_badge(result)}</h1>'
            f'<div class="meta">{"".join(f"<span>{m}</span>" for m in meta)}</div></header>')


def _summary(record: Mapping[str, Any]) -> str:
    rows = []
    params = record.get("parameters") or {}
    for key, value in params.items():
        shown = value if isinstance(value, str) else json.dumps(value)
        rows.append(f"<tr><td>parameter {_e(key)}</td><td>{_e(shown)}</td></tr>")
    for key, value in (record.get("variables") or {}).items():
        rows.append(f"<tr><td>variable {_e(key)}</td><td>{_e(value)}</td></tr>")
    outputs = [(f"{s['name']}.{j['name']}", k, v) for s in record.get("stages") or []
               for j in s.get("jobs") or [] for k, v in (j.get("outputs") or {}).items()]
    for where, key, value in outputs:
        rows.append(f"<tr><td>output {_e(where)} · {_e(key)}</td><td>{_e(value)}</td></tr>")
    waiting = record.get("waiting")
    if waiting:
        rows.append(f"<tr><td>waiting for</td><td>stage {_e(waiting.get('stage'))}, environment "
                    f"{_e(waiting.get('environment'))}: {_e(waiting.get('message'))}. "
                    f"<code>mlops approve {_e(record.get('id'))} --environment "
                    f"{_e(waiting.get('environment'))} --as USER</code></td></tr>")
    if not rows:
        return ""
    return f'<section id="summary"><h2>Summary</h2><table class="kv">{"".join(rows)}</table></section>'


def _stages(record: Mapping[str, Any], run_dir: Path) -> str:
    parts = ['<section id="steps"><h2>Stages, jobs and steps</h2><div class="toolbar">'
             '<button id="expand-all" type="button">Expand all</button>'
             '<button id="collapse-all" type="button">Collapse all</button>'
             '<button id="only-problems" type="button" aria-pressed="false">Only problems</button></div>']
    for stage in record.get("stages") or []:
        secs = seconds_of(stage)
        parts.append(f'<h3 id="stage-{_e(stage["name"])}">'
                     f'Stage {_e(stage.get("displayName") or stage["name"])} '
                     f'{_badge(stage.get("result"))} <span class="muted">{_e(duration(secs))}</span></h3>')
        if stage.get("message"):
            parts.append(f'<div class="msg">{_e(stage["message"])}</div>')
        for job in stage.get("jobs") or []:
            env = f' → environment <b>{_e(job["environment"])}</b>' if job.get("environment") else ""
            parts.append(f'<div class="job" id="job-{_e(stage["name"])}-{_e(job["name"])}">'
                         f'<div>Job <b>{_e(job.get("displayName") or job["name"])}</b>{env} '
                         f'{_badge(job.get("result"))} '
                         f'<span class="muted">{_e(duration(seconds_of(job)))}</span></div>')
            if job.get("message"):
                parts.append(f'<pre class="log">{_e(job["message"])}</pre>')
            for step in job.get("steps") or []:
                result = step.get("result")
                problem = result in ("failed", "canceled", "succeededWithIssues")
                excerpt = _log_excerpt(run_dir, step.get("log"), EXCERPT_LINES)
                message = (f'<div class="msg">{_e(step["message"])}</div>'
                           if step.get("message") and result != "succeeded" else "")
                issues = "".join(f'<div class="msg">{_e(i.get("type"))}: {_e(i.get("message"))}</div>'
                                 for i in step.get("issues") or [])
                parts.append(
                    f'<details class="step" data-result="{_e(result or "none")}"{" open" if problem else ""}>'
                    f'<summary>{_badge(result)}'
                    f'<span class="name">{_e(step.get("displayName") or step["name"])}</span>'
                    f'<span class="time">{_e(duration(seconds_of(step)))}</span></summary>'
                    f'{message}{issues}{excerpt or NO_LOG}</details>')
            parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _approvals(record: Mapping[str, Any]) -> str:
    approvals = record.get("approvals") or []
    checks = record.get("checks") or []
    if not approvals and not checks and not record.get("validations"):
        return ""
    parts = ['<section id="approvals"><h2>Approvals and checks</h2>']
    if approvals:
        parts.append("<table><tr><th>gate</th><th>stage</th><th>decision</th><th>by</th><th>at</th>"
                     "<th>comment</th></tr>")
        for a in approvals:
            gate = f"manual validation of job {a['job']}" if a.get("job") else a.get("environment")
            parts.append(f"<tr><td>{_e(gate)}</td>"
                         f"<td>{_e(a.get('stage') or 'any (queued)')}</td>"
                         f"<td>{_badge(a.get('decision'))}</td><td>{_e(a.get('by'))}</td>"
                         f"<td>{_e(str(a.get('at'))[:19])}</td><td>{_e(a.get('comment'))}</td></tr>")
        parts.append("</table>")
    else:
        parts.append('<p class="muted">No approvals recorded.</p>')
    validations = record.get("validations") or []
    if validations:
        parts.append("<h3>Manual validations</h3><table><tr><th>at</th><th>job</th><th>status</th>"
                     "<th>message</th></tr>")
        for v in validations:
            parts.append(f"<tr><td>{_e(str(v.get('at'))[:19])}</td><td>{_e(v.get('stage'))}.{_e(v.get('job'))}"
                         f"</td><td>{_badge(v.get('status'))}</td><td>{_e(v.get('message'))}</td></tr>")
        parts.append("</table>")
    if checks:
        parts.append("<h3>Check evaluations</h3><table><tr><th>at</th><th>stage</th><th>environment</th>"
                     "<th>status</th><th>message</th></tr>")
        for c in checks:
            parts.append(f"<tr><td>{_e(str(c.get('at'))[:19])}</td><td>{_e(c.get('stage'))}</td>"
                         f"<td>{_e(c.get('environment'))}</td><td>{_badge(c.get('status'))}</td>"
                         f"<td>{_e(c.get('message'))}</td></tr>")
        parts.append("</table>")
    parts.append("</section>")
    return "".join(parts)


def _number(value: float) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _training_run(run: TrainingRun) -> str:
    parts = [f"<h3>MLflow run {_e(run.name)} <span class=muted>({_e(run.run_id)}, experiment "
             f"{_e(run.experiment)}{', job ' + _e(run.job_name) if run.job_name else ''}, {_e(run.status)})"
             "</span></h3>"]
    if run.metrics:
        parts.append('<table class="metrics"><tr><th>metric</th><th>value</th></tr>')
        for key, value in list(run.metrics.items())[:MAX_METRICS]:
            parts.append(f"<tr><td>{_e(key)}</td><td>{_e(_number(value))}</td></tr>")
        parts.append("</table>")
    if run.params:
        shown = ", ".join(f"{k}={v}" for k, v in list(run.params.items())[:MAX_METRICS])
        parts.append(f'<p class="muted">parameters: {_e(shown)}</p>')
    if run.plots:
        parts.append('<div class="plots">')
        for plot in run.plots:
            parts.append(f'<figure><img src="{plot.data_uri}" alt="{_e(plot.path)}">'
                         f"<figcaption>{_e(plot.path)}</figcaption></figure>")
        parts.append("</div>")
    return "".join(parts)


def _model(findings: MlflowFindings | None) -> str:
    if findings is None:
        return ""
    parts = ['<section id="model"><h2>Model</h2>']
    if findings.model is not None:
        m = findings.model
        tags = ", ".join(f"{k}={v}" for k, v in m.tags.items())
        parts.append(f'<table class="kv"><tr><td>registered model</td><td><b>{_e(m.name)}</b> version '
                     f"<b>{_e(m.version)}</b></td></tr>"
                     f"<tr><td>training run</td><td>{_e(m.run_id or '—')}</td></tr>"
                     f"<tr><td>tags</td><td>{_e(tags or '—')}</td></tr><tr><td>matched by</td>"
                     f"<td>{_e(m.found_by)}</td></tr></table>")
    if findings.note:
        parts.append(f'<p class="muted">{_e(findings.note)}</p>')
    for run in findings.runs:
        parts.append(_training_run(run))
    if findings.model is not None or findings.runs:
        parts.append(f'<p class="muted">MLflow store: {_e(findings.tracking_uri)} (browse it with '
                     "<code>mlops ui</code>)</p>")
    parts.append("</section>")
    return "".join(parts)


def render_html(data: ReportInput) -> str:
    """The whole page."""
    record = data.record
    nav = [("graph", "Graph"), ("timeline", "Timeline"), ("steps", "Steps"), ("approvals", "Approvals"),
           ("model", "Model")]
    graph = (f'<section id="graph"><h2>Pipeline</h2><div class="scroll">{data.graph_svg}</div></section>'
             if data.graph_svg else
             f'<section id="graph"><h2>Pipeline</h2><p class="muted">{_e(data.graph_note)}</p></section>')
    gantt = gantt_svg(record)
    timeline = (f'<section id="timeline"><h2>Timeline</h2><div class="scroll">{gantt}</div></section>'
                if gantt else '<section id="timeline"><h2>Timeline</h2><p class="muted">Nothing ran yet.</p>'
                              "</section>")
    body: Sequence[str] = [
        _header(record),
        "<nav>" + "".join(f'<a href="#{k}">{v}</a>' for k, v in nav) + "</nav>",
        "<main>", _summary(record), graph, timeline, _stages(record, data.run_dir), _approvals(record),
        _model(data.mlflow),
        f'<p class="muted">Generated by mlops {_e(__version__)} at {_e(data.generated_at[:19])} from '
        f"{_e(data.run_dir / 'run.json')}.</p>", "</main>",
    ]
    result = record.get("result") or record.get("status")
    title = f"Run {record.get('id')} · {record.get('pipeline')} · {result}"
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{_e(title)}</title><style>{CSS}</style></head><body>"
            + "".join(body) + f"<script>{JS}</script></body></html>\n")
