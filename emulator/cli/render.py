"""How runs look in a terminal and in CI logs.

Two reporters implement the engine's Reporter protocol (emulator/runtime/events.py):

- `PlainReporter`: one line per event, step output prefixed with `│`. Used when the console is not an
  interactive terminal (CI logs, pipes), so logs stay greppable and diffable; its output is
  snapshot-tested, keep it stable.
- `LiveReporter`: a live rich tree of stages → jobs → steps with states, durations and spinners; step
  output streams under its step (the last lines while it runs, folded when it succeeds, the tail kept
  when it fails); finished stages are printed once into the scrollback.

Both are thread-safe: jobs may run in parallel threads, so every event takes a lock, and the live
display never calls the console while holding it (rich's own refresh thread takes the console lock and
then asks us for the renderable: holding ours while printing would deadlock).
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.markup import escape
from rich.markup import render as render_markup
from rich.panel import Panel
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from emulator.records import RunRecord
from emulator.report.times import duration

if TYPE_CHECKING:  # annotations only: the gates and model modules stay free to move things
    from emulator.gates.checks import GateOutcome
    from emulator.model import Job, Stage, Step

STYLE = {
    "succeeded": "green",
    "succeededWithIssues": "yellow",
    "failed": "red",
    "canceled": "magenta",
    "skipped": "dim",
    "paused": "cyan",
    "running": "blue",
    "interrupted": "red",
    None: "dim",
}
ICON = {
    "succeeded": "✔",
    "succeededWithIssues": "!",
    "failed": "✘",
    "canceled": "⊘",
    "skipped": "–",
    "paused": "⏸",
    "interrupted": "✘",
}
LINE_STYLE = {
    "error": "red",
    "warning": "yellow",
    "err": "",
    "command": "blue",
    "section": "bold",
    "debug": "dim",
    "error-more": "red",
    "warning-more": "yellow",
}  # -more: a message's next lines
SPINNER = "⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏"
RUNNING_TAIL = 5  # output lines shown under a running step
FAILED_TAIL = 15  # output lines kept under a failed step
MAX_ISSUES = 5  # errors/warnings kept visible under a step, even when folded


def result_text(result: str | None) -> str:
    style = STYLE.get(result, "white")
    return f"[{style}]{ICON.get(result or '', '·')} {result or 'pending'}[/{style}]"


def wants_live(console: Console, progress: str = "auto") -> bool:
    """Live display only on an interactive terminal, never in CI (CI=true) unless asked for."""
    if progress != "auto":
        return progress == "live"
    return bool(console.is_interactive) and not os.environ.get("CI")


class PlainReporter:
    """Streams the run as plain lines: stages, jobs, steps with their output, gates, results."""

    def __init__(self, console: Console, quiet: bool = False, verbose: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.verbose = verbose
        self._lock = threading.Lock()

    def __enter__(self) -> PlainReporter:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        return None

    def _print(self, text: str, **kw: Any) -> None:
        with self._lock:
            if kw or self.console.is_terminal or self.console.record:
                self.console.print(text, highlight=False, **kw)
            else:  # a pipe or a file shows no style: the text of the markup, 4x faster than print()
                self.console.file.write(render_markup(text).plain + "\n")

    def stage_started(self, stage: Stage) -> None:
        self._print(f"[bold]▶ Stage {escape(stage.display_name)}[/bold]")

    def stage_finished(self, stage: Stage, result: str, message: str | None) -> None:
        extra = f" — {escape(message)}" if message else ""
        self._print(f"{result_text(result)} [bold]Stage {escape(stage.display_name)}[/bold]{extra}")

    def job_started(self, stage: Stage, job: Job) -> None:
        env = f" → environment [cyan]{escape(job.environment.name)}[/cyan]" if job.environment else ""
        self._print(f"  [bold]▶ Job {escape(job.display_name)}[/bold]{env}")

    def job_finished(self, stage: Stage, job: Job, result: str) -> None:
        self._print(f"  {result_text(result)} Job {escape(job.display_name)}")

    def step_started(self, stage: Stage, job: Job, step: Step) -> None:
        self._print(f"    [bold]▶ {escape(step.display_name)}[/bold]")

    def step_line(self, stage: Stage, job: Job, step: Step, line: str, kind: str) -> None:
        if self.quiet and kind not in ("error", "warning"):
            return
        if kind == "debug" and not self.verbose:
            return
        style = LINE_STYLE.get(kind, "")
        prefix = escape({"error": "##[error]", "warning": "##[warning]"}.get(kind, ""))
        for part in line.splitlines() or [""]:  # a multi-line message keeps the gutter on every line
            text = escape(part)
            self._print(f"      │ [{style}]{prefix}{text}[/{style}]" if style else f"      │ {text}")
            prefix = ""

    def step_finished(
        self, stage: Stage, job: Job, step: Step, result: str, seconds: float, message: str | None
    ) -> None:
        extra = f" — {escape(message)}" if message and result != "succeeded" else ""
        self._print(
            f"    {result_text(result)} {escape(step.display_name)} [dim]({seconds:.1f}s)[/dim]{extra}"
        )

    def gate(self, stage: Stage, outcome: GateOutcome) -> None:
        if outcome.status == "passed":
            deciders = ", ".join(dict.fromkeys(outcome.decided_by))
            who = f" (approved by {deciders})" if deciders else ""
            self._print(
                f"[green]✔ Checks passed[/green] for environment [cyan]{escape(outcome.environment)}"
                f"[/cyan]{escape(who)}"
            )
        elif outcome.status == "rejected":
            self._print(
                f"[red]✘ Checks failed[/red] for environment [cyan]{escape(outcome.environment)}"
                f"[/cyan]: {escape(outcome.message)}"
            )


ConsoleReporter = PlainReporter  # the name this reporter had first


# ---- live -------------------------------------------------------------------------------------------
@dataclass
class _StepView:
    name: str
    state: str = "pending"  # pending | running | <result>
    started: float | None = None
    seconds: float | None = None
    message: str | None = None
    lines: int = 0
    tail: deque[tuple[str, str]] = field(default_factory=lambda: deque(maxlen=FAILED_TAIL))
    issues: list[tuple[str, str]] = field(default_factory=list)


@dataclass
class _JobView:
    name: str
    environment: str | None
    steps: dict[int, _StepView] = field(default_factory=dict)
    state: str = "pending"
    started: float | None = None
    seconds: float | None = None


@dataclass
class _StageView:
    name: str
    jobs: dict[str, _JobView] = field(default_factory=dict)
    state: str = "pending"
    started: float | None = None
    seconds: float | None = None
    message: str | None = None
    notes: list[str] = field(default_factory=list)  # gate outcomes (markup)


class LiveReporter:
    """A live stage/job/step tree on an interactive terminal (use as a context manager)."""

    def __init__(
        self, console: Console, quiet: bool = False, verbose: bool = False, refresh_per_second: float = 8
    ) -> None:
        self.console = console
        self.quiet = quiet
        self.verbose = verbose
        self._lock = threading.RLock()
        self._stages: dict[str, _StageView] = {}
        self._live = Live(
            console=console,
            get_renderable=self._renderable,
            refresh_per_second=refresh_per_second,
            transient=False,
            redirect_stdout=False,
            redirect_stderr=False,
        )

    def __enter__(self) -> LiveReporter:
        self._live.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._live.stop()

    # -- state (under the lock, no console calls) --
    def _stage(self, stage: Stage) -> _StageView:
        view = self._stages.get(stage.name)
        if view is None:
            view = _StageView(stage.display_name)
            for job in stage.jobs:
                env = job.environment.name if job.environment else None
                view.jobs[job.name] = _JobView(job.display_name, env)
            self._stages[stage.name] = view
        return view

    def _job(self, stage: Stage, job: Job) -> _JobView:
        view = self._stage(stage).jobs.setdefault(job.name, _JobView(job.display_name, None))
        if not view.steps:
            for step in job.all_steps():
                view.steps[step.index] = _StepView(step.display_name)
        return view

    def _step(self, stage: Stage, job: Job, step: Step) -> _StepView:
        steps = self._job(stage, job).steps
        if step.index not in steps:
            # a step the agent adds (the implicit checkout, an artifact download) shows where it ran:
            # after the steps that have started, before those still pending
            items = list(steps.items())
            at = next((i for i, (_, view) in enumerate(items) if view.state == "pending"), len(items))
            items.insert(at, (step.index, _StepView(step.display_name)))
            steps.clear()
            steps.update(items)
        return steps[step.index]

    def _print_static(self, renderable: RenderableType) -> None:
        """Print into the scrollback above the live area (called without holding the lock)."""
        self._live.console.print(renderable, highlight=False)

    # -- events --
    def stage_started(self, stage: Stage) -> None:
        with self._lock:
            view = self._stage(stage)
            view.state, view.started = "running", time.monotonic()
        self._live.refresh()

    def stage_finished(self, stage: Stage, result: str, message: str | None) -> None:
        with self._lock:
            view = self._stage(stage)
            view.state, view.message = result, message
            if view.started is not None:
                view.seconds = time.monotonic() - view.started
            for job in view.jobs.values():  # e.g. a rejected gate: its jobs never started
                if job.state == "pending":
                    job.state = "skipped"
            tree = self._stage_tree(view, final=True)
            del self._stages[stage.name]
        self._print_static(tree)

    def job_started(self, stage: Stage, job: Job) -> None:
        with self._lock:
            view = self._job(stage, job)
            view.state, view.started = "running", time.monotonic()

    def job_finished(self, stage: Stage, job: Job, result: str) -> None:
        with self._lock:
            view = self._job(stage, job)
            view.state = result
            if view.started is not None:
                view.seconds = time.monotonic() - view.started
            for sv in view.steps.values():
                if sv.state == "pending" and result in ("skipped", "canceled"):
                    sv.state = result

    def step_started(self, stage: Stage, job: Job, step: Step) -> None:
        with self._lock:
            view = self._step(stage, job, step)
            view.state, view.started = "running", time.monotonic()

    def step_line(self, stage: Stage, job: Job, step: Step, line: str, kind: str) -> None:
        important = kind in ("error", "warning")
        if kind == "debug" and not self.verbose:
            return
        parts = line.splitlines() or [""]
        with self._lock:
            view = self._step(stage, job, step)
            view.lines += len(parts)
            for i, part in enumerate(parts):
                shown_kind = kind if i == 0 or not important else f"{kind}-more"
                if important and len(view.issues) < MAX_ISSUES:
                    view.issues.append((shown_kind, part))
                if not self.quiet or important:
                    view.tail.append((shown_kind, part))
        if self.verbose and (not self.quiet or important):
            for i, part in enumerate(parts):
                text = _line_text(part, kind if i == 0 or not important else f"{kind}-more")
                self._print_static(Text.assemble((f"{job.display_name} │ ", "dim"), text))

    def step_finished(
        self, stage: Stage, job: Job, step: Step, result: str, seconds: float, message: str | None
    ) -> None:
        with self._lock:
            view = self._step(stage, job, step)
            view.state, view.seconds, view.message = result, seconds, message

    def gate(self, stage: Stage, outcome: GateOutcome) -> None:
        env = escape(outcome.environment)
        with self._lock:
            view = self._stage(stage)
            if outcome.status == "passed":
                deciders = ", ".join(dict.fromkeys(outcome.decided_by))
                who = f" (approved by {deciders})" if deciders else ""
                view.notes.append(
                    f"[green]✔ checks passed[/green] for environment [cyan]{env}[/cyan]{escape(who)}"
                )
            elif outcome.status == "rejected":
                view.notes.append(
                    f"[red]✘ checks failed[/red] for environment [cyan]{env}[/cyan]: "
                    f"{escape(outcome.message)}"
                )
            else:
                view.state = "paused"
                view.notes.append(
                    f"[bold cyan]⏸ waiting[/bold cyan] for environment [cyan]{env}[/cyan]: "
                    f"{escape(outcome.message)}"
                )
        self._live.refresh()

    # -- rendering --
    def _renderable(self) -> RenderableType:
        with self._lock:
            trees = [self._stage_tree(v, final=False) for v in self._stages.values()]
        return Group(*trees) if trees else Text("")

    def _stage_tree(self, view: _StageView, final: bool) -> Tree:
        label = Text.assemble(
            _state_mark(view.state),
            " ",
            ("Stage ", "bold"),
            (view.name, "bold"),
            _time(view.state, view.started, view.seconds),
        )
        if view.message:
            label.append(f" — {view.message}", style=STYLE.get(view.state, ""))
        tree = Tree(label, guide_style="dim")
        for note in view.notes:
            tree.add(Text.from_markup(note))
        if view.state in ("skipped",) and all(j.state in ("skipped", "pending") for j in view.jobs.values()):
            return tree
        for job in view.jobs.values():
            jlabel = Text.assemble(_state_mark(job.state), " ", ("Job ", ""), (job.name, "bold"))
            if job.environment:
                jlabel.append(f" → {job.environment}", style="cyan")
            jlabel.append_text(_time(job.state, job.started, job.seconds))
            jnode = tree.add(jlabel)
            expanded = final or job.state == "running" or job.state in ("failed", "canceled")
            if not expanded or job.state == "skipped":
                continue
            for step in job.steps.values():
                self._step_node(jnode, step, final)
        return tree

    def _step_node(self, parent: Tree, step: _StepView, final: bool) -> None:
        label = Text.assemble(
            _state_mark(step.state), " ", step.name, _time(step.state, step.started, step.seconds)
        )
        folded = step.state in ("succeeded", "skipped") and step.lines
        if folded:
            label.append(f"  ({step.lines} line{'s' if step.lines != 1 else ''})", style="dim")
        if step.message and step.state not in ("succeeded", "running"):
            label.append(f" — {step.message}", style=STYLE.get(step.state, ""))
        node = parent.add(label)
        if step.state == "running":
            shown: Sequence[tuple[str, str]] = list(step.tail)[-RUNNING_TAIL:]
        elif step.state in ("failed", "canceled", "succeededWithIssues"):
            shown = list(step.tail)
        else:  # folded: only the warnings and errors stay visible
            shown = step.issues if step.state == "succeeded" else []
        for kind, line in shown:
            node.add(_line_text(line, kind), guide_style="dim")


def _state_mark(state: str) -> Text:
    if state == "running":
        return Text(SPINNER[int(time.monotonic() * 10) % len(SPINNER)], style="blue")
    if state == "pending":
        return Text("·", style="dim")
    return Text(ICON.get(state, "·"), style=STYLE.get(state, ""))


def _time(state: str, started: float | None, seconds: float | None) -> Text:
    if seconds is not None:
        return Text(f"  {duration(seconds)}", style="dim")
    if state in ("running", "paused") and started is not None:
        return Text(f"  {duration(time.monotonic() - started)}", style="dim")
    return Text("")


def _line_text(line: str, kind: str) -> Text:
    prefix = {"error": "##[error]", "warning": "##[warning]"}.get(kind, "")
    return Text(prefix + line, style=LINE_STYLE.get(kind, ""), no_wrap=True, overflow="ellipsis")


def make_reporter(
    console: Console, quiet: bool = False, verbose: bool = False, progress: str = "auto"
) -> PlainReporter | LiveReporter:
    """The reporter for this console: live on an interactive terminal, plain lines elsewhere."""
    if wants_live(console, progress):
        return LiveReporter(console, quiet=quiet, verbose=verbose)
    return PlainReporter(console, quiet=quiet, verbose=verbose)


# ---- after the run -----------------------------------------------------------------------------------
def waiting_banner(
    run_id: str, waiting: Mapping[str, Any], checks: Sequence[Mapping[str, Any]] = (), boxed: bool = False
) -> RenderableType:
    """What a paused run waits for and the exact commands to go on (a Panel on a terminal)."""
    approvers = ", ".join(waiting.get("approvers") or []) or "anyone"
    if waiting.get("job"):
        option = f"--job {waiting['stage']}.{waiting['job']}"
        lines = [
            f"[bold cyan]⏸ Run {run_id} is waiting for a manual validation[/bold cyan]",
            f"  job [bold]{escape(waiting['stage'])}.{escape(waiting['job'])}[/bold] "
            f"({escape(waiting.get('message') or '')}); approvers: {escape(approvers)}",
        ]
    else:
        env = waiting["environment"]
        option = f"--environment {env}"
        lines = [
            f"[bold cyan]⏸ Run {run_id} is waiting for approval[/bold cyan]",
            f"  stage [bold]{escape(waiting['stage'])}[/bold] targets environment [cyan]{escape(env)}[/cyan] "
            f"({escape(waiting.get('message') or '')}); approvers: {escape(approvers)}",
        ]
    if waiting.get("instructions"):
        lines.append(f"  instructions: {escape(waiting['instructions'])}")
    for check in checks if len(checks) > 1 else ():  # one check: its message is already above
        mark = {"passed": "[green]✔[/green]", "rejected": "[red]✘[/red]"}.get(
            str(check.get("status")), "[cyan]⏸[/cyan]"
        )
        lines.append(
            f"  {mark} check {escape(str(check.get('type')))}: {escape(str(check.get('message') or ''))}"
        )
    lines += [
        "  approve: " + escape(f"mlops approve {run_id} {option} --as USER [--comment TEXT]"),
        "  reject:  " + escape(f"mlops reject {run_id} {option} --as USER [--comment TEXT]"),
        "  then:    " + escape(f"mlops resume {run_id}"),
    ]
    if boxed:
        return Panel(
            Text.from_markup("\n".join(line.removeprefix("  ") for line in lines[1:])),
            title=Text.from_markup(lines[0]),
            title_align="left",
            border_style="cyan",
            expand=False,
        )
    return Group(*(Text.from_markup(line) for line in lines))


def audit_lines(summary: Mapping[str, Any]) -> list[str]:
    """The audit trail of `mlops runs show`: every gate evaluation and every decision, in time order."""
    events: list[tuple[str, str]] = []
    checks, validations = summary.get("checks") or (), summary.get("validations") or ()
    gates = [(c, f"environment {c.get('environment')} (stage {c.get('stage')})") for c in checks]
    gates += [(v, f"manual validation of job {v.get('stage')}.{v.get('job')}") for v in validations]
    for entry, what in gates:
        at = str(entry.get("at"))
        events.append((at, f"  check {entry.get('status')} {what} at {at}: {entry.get('message')}"))
    for a in summary.get("approvals") or ():
        what = f"job {a['stage']}.{a['job']}" if a.get("job") else f"environment {a['environment']}"
        comment = f": {a['comment']}" if a.get("comment") else ""
        events.append((str(a.get("at")), f"  {a['decision']} {what} by {a['by']} at {a['at']}{comment}"))
    return [escape(text) for _, text in sorted(events, key=lambda e: e[0])]


def decision_line(run_id: str, entry: Mapping[str, Any]) -> str:
    """What `mlops approve|reject` prints once the decision is recorded."""
    decided = f"{entry['decision']} by {entry['by']}"
    if entry.get("job"):
        what = f"manual validation of job [cyan]{entry['stage']}.{entry['job']}[/cyan] {decided}"
    else:
        what = f"environment [cyan]{entry['environment']}[/cyan] {decided} for stage {entry['stage']}"
    return f"Run {run_id}: {what}. Continue with: mlops resume {run_id}"


def gate_checks(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The per-check results of the latest evaluation of the gate a paused run waits on."""
    waiting = record.get("waiting") or {}
    for entry in reversed(record.get("checks") or []):
        same_env = entry.get("environment") == waiting.get("environment")
        if entry.get("stage") == waiting.get("stage") and same_env:
            return [r for r in entry.get("results") or [] if isinstance(r, Mapping)]
    return []


SUMMARY_STAGES = 60  # a larger run lists its notable stages and counts the others


def summary_table(
    summary: Mapping[str, Any],
    times: Mapping[tuple[str, ...], float] | None = None,
    limit: int = SUMMARY_STAGES,
) -> Table:
    """The run's stages and jobs. Beyond `limit` stages, those that succeeded or were skipped are
    counted on one line instead of listed (a table of 10,000 stages takes seconds to draw and nobody
    reads it; `mlops runs show RUN --json` has them all)."""
    table = Table(
        title=f"Run {summary['id']} · {summary.get('pipeline')} · {summary.get('result')}", show_lines=False
    )
    table.add_column("stage")
    table.add_column("job")
    table.add_column("result")
    if times is not None:
        table.add_column("time", justify="right")
    table.add_column("details")
    stages = list(summary["stages"])
    hidden: Counter[str] = Counter()
    if len(stages) > limit:
        notable = [s for s in stages if _shown(s) not in ("succeeded", "skipped")][:limit]
        listed = {id(s) for s in notable}
        hidden = Counter(str(_shown(s)) for s in stages if id(s) not in listed)
        stages = notable
    for stage in stages:
        row = [f"[bold]{escape(stage['name'])}[/bold]", "", result_text(_shown(stage))]
        if times is not None:
            row.append(duration(times.get((stage["name"],))))
        table.add_row(*row, escape(stage.get("message") or ""))
        for job in stage["jobs"]:
            outputs = ", ".join(f"{k}={v}" for k, v in (job.get("outputs") or {}).items())
            details = " — ".join(d for d in (_why(job), outputs) if d)
            row = ["", escape(job["name"]), result_text(_shown(job))]
            if times is not None:
                row.append(duration(times.get((stage["name"], job["name"]))))
            table.add_row(*row, escape(details))
    if hidden:
        counts = ", ".join(f"{n:,} {result}" for result, n in hidden.most_common())
        row = [f"… {sum(hidden.values()):,} more", "", counts]
        table.add_row(
            *row,
            *([""] if times is not None else []),
            f"mlops runs show {summary['id']} --json lists them all",
        )
    return table


def _waiting_for(waiting: Mapping[str, Any]) -> str:
    if waiting.get("job"):
        return f"manual validation ({waiting.get('stage')}.{waiting['job']})"
    return f"{waiting.get('environment')} ({waiting.get('stage')})"


def _shown(item: Mapping[str, Any]) -> str | None:
    """A result, or "paused" for a stage or job that waits for a person."""
    return item.get("result") or ("paused" if item.get("state") == "waiting" else None)


def _why(job: Mapping[str, Any]) -> str:
    """The first line of why a job failed: its own message, else its first failed step's."""
    if job.get("result") not in ("failed", "canceled"):
        return ""
    messages = [job.get("message")] + [
        st.get("message") for st in job.get("steps") or [] if st.get("result") in ("failed", "canceled")
    ]
    first = next((str(m) for m in messages if m), "")
    return first.splitlines()[0] if first else ""


def endpoints_table(endpoints: list[dict[str, Any]]) -> Table:
    """`mlops endpoints list`: an endpoint per row, then its deployments (process, port, traffic)."""
    table = Table(title="Endpoints")
    for col in ("endpoint", "deployment", "traffic", "running", "port", "model", "scoring URI"):
        table.add_column(col)
    for ep in endpoints:
        front = ep.get("front") or {}
        table.add_row(
            f"[bold]{escape(str(ep['name']))}[/bold]",
            "",
            "",
            _yes(front.get("running")),
            escape(str(front.get("port") or "")),
            "",
            escape(str(ep.get("scoring_uri") or "")),
        )
        for d in ep.get("deployments") or []:
            table.add_row(
                "",
                escape(str(d["name"])),
                f"{d.get('traffic', 0)}%",
                _yes(d.get("running")),
                escape(str(d.get("port") or "")),
                escape(str(d.get("model") or "")),
                escape(str(d.get("scoring_uri") or "")),
            )
    return table


def recipes_table(recipes: list[dict[str, Any]]) -> Table:
    """`mlops recipes list -o table`: name, kind, summary and required parameters."""
    table = Table(title="Recipes")
    for col in ("name", "kind", "summary", "required"):
        table.add_column(col)
    for r in recipes:
        table.add_row(escape(r["name"]), r["kind"], escape(r["summary"]), ", ".join(r["required"]))
    return table


def _yes(value: Any) -> str:
    return "[green]yes[/green]" if value else "[dim]no[/dim]"


def runs_table(runs: Sequence[RunRecord]) -> Table:
    table = Table(title="Runs")
    for col in ("id", "pipeline", "result", "requested by", "started", "waiting for"):
        table.add_column(col)
    for r in runs:
        waiting = r.get("waiting") or {}
        result = "interrupted" if r.get("status") == "interrupted" else r.get("result")
        table.add_row(
            r["id"],
            escape(str(r.get("pipeline"))),
            result_text(result),
            escape(str(r.get("requestedBy") or "")),
            str(r.get("startedAt") or "")[:19],
            escape(_waiting_for(waiting)) if waiting else "",
        )
    return table
