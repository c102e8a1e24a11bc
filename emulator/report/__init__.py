"""Reports of a run for people (self-contained HTML) and for CI servers (JUnit XML).

Both are built from what a run leaves in the state folder: its record (run.json), the expanded
pipeline it executed (pipeline.yml), its step logs, and the MLflow store. Nothing is printed here; the
CLI writes the returned text.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulator.errors import MlopsError
from emulator.store.files import utc_now
from emulator.store.runs import Run

__all__ = ["graph_of_run", "html_report", "junit_report"]


def graph_of_run(run: Run) -> Any:
    """The drawable graph of the pipeline the run executed, coloured by the run's results."""
    from emulator import graph
    from emulator.gates import environments as envfile
    from emulator.model import build
    from emulator.plan import check
    from emulator.yamlio import load_file

    pipeline = build(load_file(run.pipeline_file))
    check(pipeline)
    source = run.data.get("environmentsFile")
    environments = None
    if source and Path(source).is_file():
        try:
            environments = envfile.load(Path(source))
        except MlopsError:
            environments = None  # the file changed since; draw gates without their checks
    return graph.build_graph(pipeline, environments, run.data, title=str(run.data.get("pipeline") or run.id))


def html_report(run: Run, home: Path, with_mlflow: bool = True) -> str:
    """The HTML page of a run (MLflow parts are skipped when `with_mlflow` is False)."""
    from emulator import graph
    from emulator.report import mlflow_data

    svg: str | None = None
    note: str | None = None
    if run.pipeline_file.is_file():
        try:
            svg = graph.to_svg(graph_of_run(run), id_prefix=f"run{run.id}")
            svg = svg.replace(' xmlns="http://www.w3.org/2000/svg"', "", 1)  # inline SVG needs no namespace
        except MlopsError as exc:
            note = f"The pipeline could not be drawn: {exc.message}"
    else:
        note = f"{run.pipeline_file} is missing, so the graph can't be drawn."
    findings = mlflow_data.find(home, run.data) if with_mlflow else None
    from emulator.report.html import ReportInput, render_html  # Jinja2: only for the report itself

    return render_html(ReportInput(run.data, run.dir, svg, note, findings, utc_now()))


def junit_report(run: Run) -> str:
    """The JUnit XML of a run: a testsuite per stage, a testcase per step."""
    from emulator.report.junit import junit_xml

    return junit_xml(run.data, run.dir)
