"""The plain reporter's line format, driven by a fixed sequence of engine events (no processes).

This pins the format itself; test_cli_plain_output.py pins what a real run prints end to end.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pytest
from cli_helpers import GATED, write_project
from rich.console import Console

from emulator import runner
from emulator.cli import render
from emulator.gates.checks import GateOutcome


@pytest.mark.parametrize("mode", ["normal", "quiet", "verbose"])
def test_plain_reporter_format(mode: str, tmp_path: Path, snapshot: Callable[[str, str], None]) -> None:
    pipeline = runner.compile_pipeline(write_project(tmp_path, GATED), requester="tester").pipeline
    build, deploy = pipeline.stages
    compile_job, ship = build.jobs[0], deploy.jobs[0]
    out = io.StringIO()
    rep = render.PlainReporter(
        Console(file=out, width=100, color_system=None), quiet=mode == "quiet", verbose=mode == "verbose"
    )
    rep.stage_started(build)
    rep.job_started(build, compile_job)
    say, _, warn = compile_job.steps[-3:]
    rep.step_started(build, compile_job, say)
    rep.step_line(build, compile_job, say, "##[command]bash script.sh", "command")
    rep.step_line(build, compile_job, say, "hello [not markup]", "out")
    rep.step_line(build, compile_job, say, "a debug line", "debug")
    rep.step_line(build, compile_job, say, "to stderr", "err")
    rep.step_finished(build, compile_job, say, "succeeded", 0.25, None)
    rep.step_started(build, compile_job, warn)
    rep.step_line(build, compile_job, warn, "be careful", "warning")
    rep.step_line(build, compile_job, warn, "p.yml:3:5: it broke\n  - script: x\n    ^", "error")
    rep.step_finished(build, compile_job, warn, "failed", 1.5, "Bash exited with code '1'.")
    rep.job_finished(build, compile_job, "failed")
    rep.stage_finished(build, "failed", None)
    rep.gate(deploy, GateOutcome("passed", "test", "all checks passed", decided_by=("alice", "alice")))
    rep.gate(deploy, GateOutcome("rejected", "test", "approval rejected by bob: not yet"))
    rep.gate(deploy, GateOutcome("pending", "test", "waiting"))  # pending: the banner says it
    rep.job_finished(deploy, ship, "skipped")
    rep.stage_finished(deploy, "skipped", "condition 'succeeded()' was false")
    snapshot(f"plain_reporter_{mode}", out.getvalue())
