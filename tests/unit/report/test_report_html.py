"""The HTML report: self-contained, with graph, timeline, steps, approvals, model metrics and plots."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ReportedRun
from report_helpers import mlops

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def report(reported_run: ReportedRun) -> tuple[Path, str]:
    out = reported_run.home.parent / "out" / "report.html"
    proc = mlops(["report", reported_run.run_id, "-o", str(out)], reported_run.home, reported_run.project)
    assert proc.returncode == 0, proc.stderr
    assert f"Wrote {out}" in proc.stdout
    return out, out.read_text(encoding="utf-8")


def test_report_has_every_part(report: tuple[Path, str], reported_run: ReportedRun) -> None:
    _, page = report
    assert "<title>Run 1 · pipe.yml · failed</title>" in page
    assert 'class="mlops-graph"' in page and 'data-name="RegisterModel"' in page  # the graph
    assert 'class="gantt"' in page and 'class="approval-mark"' in page  # the timeline
    steps = ("Train the model", "Check the data", "Register the model", "Probe the endpoint", "Never runs")
    assert all(step in page for step in steps)
    assert "training &lt;the&gt; model" in page  # log excerpt, escaped
    assert "probe line 50" in page and "endpoint did not answer" in page
    assert re.search(r"earlier lines in logs/Smoke/Probe/\d+-step\d\.log", page)  # tail only
    assert "warning: class imbalance" in page
    assert "alice" in page and "metrics look &lt;fine&gt;" in page  # approvals
    assert "credit-model" in page and "roc_auc" in page and "0.9123" in page  # model and metrics
    assert reported_run.mlflow_run in page
    assert page.count('src="data:image/png;base64,') == 2  # plots embedded
    assert "plots/roc_curve.png" in page and "plots/confusion_matrix.png" in page


def test_report_references_nothing_outside_the_file(report: tuple[Path, str]) -> None:
    _, page = report
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
    assert not re.search(r"url\(\s*['\"]?(?:https?:)?//", page)
    assert "<link" not in page and "@import" not in page
    assert "http://" not in page and "https://" not in page


def test_report_without_mlflow(reported_run: ReportedRun, tmp_path: Path) -> None:
    out = tmp_path / "plain.html"
    proc = mlops(["report", "1", "-o", str(out), "--no-mlflow"], reported_run.home, reported_run.project)
    assert proc.returncode == 0, proc.stderr
    page = out.read_text(encoding="utf-8")
    assert "roc_auc" not in page and 'id="model"' not in page and "Probe the endpoint" in page


def test_report_of_an_unknown_run_is_bad_input(reported_run: ReportedRun, tmp_path: Path) -> None:
    proc = mlops(["report", "99", "-o", str(tmp_path / "x.html")], reported_run.home, reported_run.project)
    assert proc.returncode == 2
    assert "Run 99 not found" in proc.stderr and "Traceback" not in proc.stderr
    proc = mlops(["report", "1"], reported_run.home, reported_run.project)
    assert proc.returncode == 2 and "needs an output" in proc.stderr


@pytest.mark.skipif(CHROMIUM is None, reason="needs headless Chromium: apt-get install -y chromium")
def test_report_renders_in_headless_chromium_without_console_errors(
    report: tuple[Path, str], tmp_path: Path
) -> None:
    path, _ = report
    assert CHROMIUM is not None
    proc = subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=3000",
            "--dump-dom",
            path.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    dom = proc.stdout
    assert 'data-report-ready="true"' in dom  # the page's script ran to its end
    for part in ('id="graph"', 'id="timeline"', 'id="steps"', 'id="approvals"', 'id="model"'):
        assert part in dom
    assert dom.count("<details") == 8 and "<img" in dom  # a step each, checkouts and downloads included
    console = [line for line in proc.stderr.splitlines() if "CONSOLE" in line or "Uncaught" in line]
    assert console == []
