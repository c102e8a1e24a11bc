"""`mlops list PIPELINE` (as `act -l`): a row per job with its stage, kind, environment, the checks that
gate it and what it depends on, from the same graph `mlops graph` draws (the expanded pipeline)."""

from __future__ import annotations

from typing import Any

from rich.markup import escape
from rich.table import Table

from emulator.graph import PipelineGraph


def items(graph: PipelineGraph) -> list[dict[str, Any]]:
    """The rows as `-o json|yaml|tsv` and `--query` see them."""
    out: list[dict[str, Any]] = []
    for stage in graph.stages:
        gates = {g.environment.lower(): list(g.checks) for g in stage.gates}
        for job in stage.jobs:
            kind = "deployment" if job.deployment else "agentless" if job.server else "job"
            checks = gates.get((job.environment or "").lower(), []) if job.environment else []
            if job.validations:
                checks = [*checks, "manual validation"]
            out.append(
                {
                    "stage": stage.name,
                    "stageDependsOn": list(stage.depends_on),
                    "job": job.name,
                    "displayName": job.display_name,
                    "kind": kind,
                    "environment": job.environment,
                    "checks": checks,
                    "dependsOn": list(job.depends_on),
                    "steps": job.steps,
                }
            )
    return out


def table(rows: list[dict[str, Any]], title: str) -> Table:
    """The default view: the stage's name and dependencies on its first job's row only."""
    view = Table(title=title)
    for col in ("stage", "after stages", "job", "kind", "environment", "checks", "after jobs", "steps"):
        view.add_column(col, justify="right" if col == "steps" else "left")
    previous = None
    for row in rows:
        first = row["stage"] != previous
        previous = row["stage"]
        view.add_row(
            f"[bold]{escape(row['stage'])}[/bold]" if first else "",
            escape(", ".join(row["stageDependsOn"])) if first else "",
            escape(row["job"]),
            row["kind"],
            escape(row["environment"] or ""),
            escape("; ".join(row["checks"])),
            escape(", ".join(row["dependsOn"])),
            str(row["steps"]),
        )
    return view
