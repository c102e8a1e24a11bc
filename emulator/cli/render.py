"""How runs look in a terminal and in CI logs (rich when a terminal, plain lines otherwise)."""

from __future__ import annotations

import threading
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from emulator.gates.checks import GateOutcome
from emulator.model import Job, Stage, Step

STYLE = {"succeeded": "green", "succeededWithIssues": "yellow", "failed": "red", "canceled": "magenta",
         "skipped": "dim", "paused": "cyan", None: "dim"}
ICON = {"succeeded": "✔", "succeededWithIssues": "!", "failed": "✘", "canceled": "⊘", "skipped": "–",
        "paused": "⏸"}


def result_text(result: str | None) -> str:
    style = STYLE.get(result, "white")
    return f"[{style}]{ICON.get(result or '', '·')} {result or 'pending'}[/{style}]"


class ConsoleReporter:
    """Streams the run: stages, jobs, steps with their output, gates, results."""

    def __init__(self, console: Console, quiet: bool = False, verbose: bool = False) -> None:
        self.console = console
        self.quiet = quiet
        self.verbose = verbose
        self._lock = threading.Lock()

    def _print(self, text: str, **kw: Any) -> None:
        with self._lock:
            self.console.print(text, highlight=False, **kw)

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
        style = {"error": "red", "warning": "yellow", "err": "", "command": "blue", "section": "bold",
                 "debug": "dim"}.get(kind, "")
        text = escape(line)
        prefix = {"error": "##[error]", "warning": "##[warning]"}.get(kind, "")
        self._print(f"      │ [{style}]{prefix}{text}[/{style}]" if style else f"      │ {text}")

    def step_finished(self, stage: Stage, job: Job, step: Step, result: str, seconds: float,
                      message: str | None) -> None:
        extra = f" — {escape(message)}" if message and result != "succeeded" else ""
        self._print(f"    {result_text(result)} {escape(step.display_name)} [dim]({seconds:.1f}s)[/dim]{extra}")

    def gate(self, stage: Stage, outcome: GateOutcome) -> None:
        if outcome.status == "passed":
            who = f" (approved by {', '.join(outcome.decided_by)})" if outcome.decided_by else ""
            self._print(f"[green]✔ Checks passed[/green] for environment [cyan]{escape(outcome.environment)}"
                        f"[/cyan]{escape(who)}")
        elif outcome.status == "rejected":
            self._print(f"[red]✘ Checks failed[/red] for environment [cyan]{escape(outcome.environment)}"
                        f"[/cyan]: {escape(outcome.message)}")


def waiting_banner(console: Console, run_id: str, waiting: dict[str, Any]) -> None:
    env = waiting["environment"]
    approvers = ", ".join(waiting.get("approvers") or []) or "anyone"
    lines = [
        f"[bold cyan]⏸ Run {run_id} is waiting for approval[/bold cyan]",
        f"  stage [bold]{escape(waiting['stage'])}[/bold] targets environment [cyan]{escape(env)}[/cyan] "
        f"({escape(waiting.get('message') or '')}); approvers: {escape(approvers)}",
    ]
    if waiting.get("instructions"):
        lines.append(f"  instructions: {escape(waiting['instructions'])}")
    lines += [
        "  approve: " + escape(f"mlops approve {run_id} --environment {env} --as USER [--comment TEXT]"),
        "  reject:  " + escape(f"mlops reject {run_id} --environment {env} --as USER [--comment TEXT]"),
        "  then:    " + escape(f"mlops resume {run_id}"),
    ]
    for line in lines:
        console.print(line, highlight=False)


def summary_table(summary: dict[str, Any]) -> Table:
    table = Table(title=f"Run {summary['id']} · {summary.get('pipeline')} · {summary.get('result')}",
                  show_lines=False)
    table.add_column("stage")
    table.add_column("job")
    table.add_column("result")
    table.add_column("details")
    for stage in summary["stages"]:
        table.add_row(f"[bold]{escape(stage['name'])}[/bold]", "", result_text(stage["result"]),
                      escape(stage.get("message") or ""))
        for job in stage["jobs"]:
            details = ", ".join(f"{k}={v}" for k, v in (job.get("outputs") or {}).items())
            table.add_row("", escape(job["name"]), result_text(job["result"]), escape(details))
    return table


def runs_table(runs: list[dict[str, Any]]) -> Table:
    table = Table(title="Runs")
    for col in ("id", "pipeline", "result", "requested by", "started", "waiting for"):
        table.add_column(col)
    for r in runs:
        waiting = r.get("waiting") or {}
        table.add_row(r["id"], escape(str(r.get("pipeline"))), result_text(r.get("result")),
                      escape(str(r.get("requestedBy") or "")), str(r.get("startedAt") or "")[:19],
                      escape(f"{waiting.get('environment')} ({waiting.get('stage')})") if waiting else "")
    return table
