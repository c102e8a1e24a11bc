"""A run as one self-contained HTML page: graph, timeline, steps with log excerpts, approvals, model.

Everything is inline (CSS, JS, SVG, images as data URIs), so the file can be attached to a ticket or a
pull request, opened offline, and archived; the page references no external URL. The markup is in
templates/report.html.j2 and the templates it includes; this module shapes the run record into what
they show, as text (the templates escape it).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from markupsafe import Markup

from emulator import __version__
from emulator.report.logs import read_log
from emulator.report.mlflow_data import MlflowFindings
from emulator.report.templating import render
from emulator.report.timeline import gantt_svg
from emulator.report.times import duration, seconds_of

EXCERPT_LINES = 30  # log lines shown per step (the tail: where failures are)
MAX_METRICS = 60
PROBLEMS = ("failed", "canceled", "succeededWithIssues")  # steps shown open
LOG_MARKERS = (("##[error]", "err"), ("##[warning]", "warn"), ("##[command]", "cmd"))


@dataclass(frozen=True)
class ReportInput:
    """What the page is made of (gathered by emulator.report.html_report)."""

    record: Mapping[str, Any]
    run_dir: Path
    graph_svg: str | None  # markup from emulator.graph, which escapes its own labels
    graph_note: str | None
    mlflow: MlflowFindings | None
    generated_at: str


@dataclass(frozen=True)
class Header:
    run_id: str
    pipeline: str
    result: str | None
    meta: tuple[str, ...]


@dataclass(frozen=True)
class SummaryRow:
    label: str
    value: str
    command: str | None = None  # shown as code after the value


@dataclass(frozen=True)
class LogExcerpt:
    """The tail of a step's log: (css class or "", line) pairs and how many lines came before."""

    path: str
    earlier: int
    lines: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class StepView:
    name: str
    result: str | None
    took: str
    problem: bool
    notes: tuple[str, ...]  # its message (unless it succeeded) and its issues
    log: LogExcerpt | None  # None: the step did not run


@dataclass(frozen=True)
class JobView:
    anchor: str
    name: str
    environment: str | None
    result: str | None
    took: str
    message: str | None
    steps: tuple[StepView, ...]


@dataclass(frozen=True)
class StageView:
    anchor: str
    name: str
    result: str | None
    took: str
    message: str | None
    jobs: tuple[JobView, ...]


@dataclass(frozen=True)
class GateRow:
    """A row of the approvals section: an approval, a manual validation or a check evaluation."""

    at: str
    gate: str
    stage: str
    status: str
    by: str = ""
    message: str = ""


@dataclass(frozen=True)
class Approvals:
    decisions: tuple[GateRow, ...]
    validations: tuple[GateRow, ...]
    checks: tuple[GateRow, ...]


def _text(value: Any) -> str:
    return "" if value is None else str(value)


def _stamp(value: Any) -> str:
    return str(value)[:19]


def _log_excerpt(run_dir: Path, relative: str | None, lines: int) -> LogExcerpt | None:
    content = read_log(run_dir, relative)
    if content is None:
        return None
    shown = tuple(
        (next((kind for marker, kind in LOG_MARKERS if line.startswith(marker)), ""), line)
        for line in content[-lines:]
    )
    return LogExcerpt(_text(relative), max(len(content) - lines, 0), shown)


def _header(record: Mapping[str, Any]) -> Header:
    total = seconds_of(
        {
            "startedAt": record.get("startedAt"),
            "finishedAt": record.get("finishedAt") or record.get("updatedAt"),
        }
    )
    git = record.get("git") or {}
    meta = [f"requested by {_text(record.get('requestedBy'))}", f"started {_stamp(record.get('startedAt'))}"]
    if record.get("finishedAt"):
        meta.append(f"finished {_stamp(record.get('finishedAt'))}")
    if total is not None:
        meta.append(f"{'took' if record.get('finishedAt') else 'so far'} {duration(total)}")
    if git.get("commit"):
        branch = f" on {git['branch']}" if git.get("branch") else ""
        meta.append(f"commit {str(git['commit'])[:12]}{branch}")
    return Header(
        _text(record.get("id")),
        _text(record.get("pipeline")),
        record.get("result") or record.get("status"),
        tuple(meta),
    )


def _summary(record: Mapping[str, Any]) -> list[SummaryRow]:
    rows = [
        SummaryRow(f"parameter {key}", value if isinstance(value, str) else json.dumps(value))
        for key, value in (record.get("parameters") or {}).items()
    ]
    rows += [
        SummaryRow(f"variable {key}", _text(value)) for key, value in (record.get("variables") or {}).items()
    ]
    rows += [
        SummaryRow(f"output {s['name']}.{j['name']} · {key}", _text(value))
        for s in record.get("stages") or []
        for j in s.get("jobs") or []
        for key, value in (j.get("outputs") or {}).items()
    ]
    waiting = record.get("waiting")
    if waiting:
        environment = _text(waiting.get("environment"))
        rows.append(
            SummaryRow(
                "waiting for",
                f"stage {_text(waiting.get('stage'))}, environment {environment}: "
                f"{_text(waiting.get('message'))}. ",
                f"mlops approve {_text(record.get('id'))} --environment {environment} --as USER",
            )
        )
    return rows


def _step(step: Mapping[str, Any], run_dir: Path) -> StepView:
    result = step.get("result")
    message = [step["message"]] if step.get("message") and result != "succeeded" else []
    issues = [f"{_text(i.get('type'))}: {_text(i.get('message'))}" for i in step.get("issues") or []]
    return StepView(
        step.get("displayName") or step["name"],
        result,
        duration(seconds_of(step)),
        result in PROBLEMS,
        tuple(message + issues),
        _log_excerpt(run_dir, step.get("log"), EXCERPT_LINES),
    )


def _job(job: Mapping[str, Any], run_dir: Path) -> JobView:
    return JobView(
        job["name"],
        job.get("displayName") or job["name"],
        job.get("environment"),
        job.get("result"),
        duration(seconds_of(job)),
        job.get("message"),
        tuple(_step(step, run_dir) for step in job.get("steps") or []),
    )


def _stages(record: Mapping[str, Any], run_dir: Path) -> list[StageView]:
    return [
        StageView(
            stage["name"],
            stage.get("displayName") or stage["name"],
            stage.get("result"),
            duration(seconds_of(stage)),
            stage.get("message"),
            tuple(_job(job, run_dir) for job in stage.get("jobs") or []),
        )
        for stage in record.get("stages") or []
    ]


def _approvals(record: Mapping[str, Any]) -> Approvals | None:
    approvals = record.get("approvals") or []
    checks = record.get("checks") or []
    validations = record.get("validations") or []
    if not approvals and not checks and not validations:
        return None
    return Approvals(
        tuple(
            GateRow(
                _stamp(a.get("at")),
                f"manual validation of job {a['job']}" if a.get("job") else _text(a.get("environment")),
                _text(a.get("stage") or "any (queued)"),
                _text(a.get("decision")),
                _text(a.get("by")),
                _text(a.get("comment")),
            )
            for a in approvals
        ),
        tuple(
            GateRow(
                _stamp(v.get("at")),
                f"{_text(v.get('stage'))}.{_text(v.get('job'))}",
                "",
                _text(v.get("status")),
                message=_text(v.get("message")),
            )
            for v in validations
        ),
        tuple(
            GateRow(
                _stamp(c.get("at")),
                _text(c.get("environment")),
                _text(c.get("stage")),
                _text(c.get("status")),
                message=_text(c.get("message")),
            )
            for c in checks
        ),
    )


def render_html(data: ReportInput) -> str:
    """The whole page."""
    record = data.record
    gantt = gantt_svg(record)
    result = record.get("result") or record.get("status")
    return render(
        "report.html.j2",
        title=f"Run {record.get('id')} · {record.get('pipeline')} · {result}",
        header=_header(record),
        summary=_summary(record),
        graph_svg=Markup(data.graph_svg) if data.graph_svg else None,
        graph_note=_text(data.graph_note),
        timeline=Markup(gantt) if gantt else None,
        stages=_stages(record, data.run_dir),
        approvals=_approvals(record),
        mlflow=data.mlflow,
        max_items=MAX_METRICS,
        version=__version__,
        generated_at=_stamp(data.generated_at),
        source=data.run_dir / "run.json",
    )
