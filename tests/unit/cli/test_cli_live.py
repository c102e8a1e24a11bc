"""The live reporter: the tree it draws, folding, failure tails, and thread safety."""

from __future__ import annotations

import io
import threading
from pathlib import Path

import pytest
from cli_helpers import write_project
from rich.console import Console

from emulator import runner
from emulator.cli import render
from emulator.gates.checks import GateOutcome
from emulator.model import Pipeline

PARALLEL = (
    """\
stages:
  - stage: Build
    jobs:
"""
    + "".join(
        f"""\
      - job: J{i}
        steps:
          - script: echo {i}
            displayName: Step {i}a
          - script: echo {i}
            displayName: Step {i}b
"""
        for i in range(6)
    )
    + """\
  - stage: Deploy
    jobs:
      - deployment: Ship
        environment: test
        strategy:
          runOnce:
            deploy:
              steps:
                - script: echo ship
"""
)


@pytest.fixture
def pipeline(tmp_path: Path) -> Pipeline:
    path = write_project(tmp_path, PARALLEL, environments=None)
    return runner.compile_pipeline(path, requester="tester").pipeline


def _console() -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(
        file=out, force_terminal=True, force_interactive=True, width=100, color_system=None, record=True
    ), out


def test_tree_folds_succeeded_steps_and_keeps_failure_tails(pipeline: Pipeline) -> None:
    console, _ = _console()
    stage = pipeline.stages[0]
    ok_job, bad_job = stage.jobs[0], stage.jobs[1]
    with render.LiveReporter(console, refresh_per_second=50) as rep:
        rep.stage_started(stage)
        rep.job_started(stage, ok_job)
        for step in ok_job.steps:
            rep.step_started(stage, ok_job, step)
            for n in range(12):
                rep.step_line(stage, ok_job, step, f"ok line {n}", "out")
            rep.step_line(stage, ok_job, step, "mind this", "warning")
            rep.step_finished(stage, ok_job, step, "succeeded", 1.25, None)
        rep.job_finished(stage, ok_job, "succeeded")
        rep.job_started(stage, bad_job)
        step = bad_job.steps[0]
        rep.step_started(stage, bad_job, step)
        for n in range(30):
            rep.step_line(stage, bad_job, step, f"bad line {n}", "out")
        rep.step_line(stage, bad_job, step, "it broke\n  at line 3", "error")
        rep.step_finished(stage, bad_job, step, "failed", 2.0, "Bash exited with code '1'.")
        rep.job_finished(stage, bad_job, "failed")
        rep.stage_finished(stage, "failed", None)
    text = console.export_text()
    assert "✘ Stage Build" in text
    assert "✔ Step 0a  1.2s  (13 lines)" in text  # folded: a line count, not the lines
    assert "##[warning]mind this" in text  # warnings stay visible when folded
    assert "ok line 3" not in text.split("✘ Stage Build", 1)[1]
    assert "✘ Step 1a  2.0s — Bash exited with code '1'." in text
    assert "bad line 29" in text and "##[error]it broke" in text and "at line 3" in text
    assert "bad line 5" not in text.split("✘ Stage Build", 1)[1]  # only the tail is kept


def test_gate_waiting_is_shown_and_the_display_stops_cleanly(pipeline: Pipeline) -> None:
    console, _ = _console()
    deploy = pipeline.stages[1]
    with render.LiveReporter(console) as rep:
        rep.gate(deploy, GateOutcome("pending", "test", "waiting for 1 more approval"))
    text = console.export_text()
    assert "⏸ Stage Deploy" in text
    assert "waiting for environment test: waiting for 1 more approval" in text


def test_parallel_jobs_from_threads_do_not_deadlock_or_lose_events(pipeline: Pipeline) -> None:
    console, _ = _console()
    stage = pipeline.stages[0]
    errors: list[BaseException] = []

    def job_thread(index: int) -> None:
        job = stage.jobs[index]
        try:
            rep.job_started(stage, job)
            for step in job.steps:
                rep.step_started(stage, job, step)
                for n in range(300):
                    rep.step_line(stage, job, step, f"{job.name} {n}", "out")
                rep.step_finished(stage, job, step, "succeeded", 0.1, None)
            rep.job_finished(stage, job, "succeeded")
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    with render.LiveReporter(console, refresh_per_second=200) as rep:
        rep.stage_started(stage)
        threads = [threading.Thread(target=job_thread, args=(i,)) for i in range(len(stage.jobs))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=30)
        assert not any(t.is_alive() for t in threads), "a reporter call deadlocked"
        rep.stage_finished(stage, "succeeded", None)
    assert errors == []
    text = console.export_text()
    for i in range(len(stage.jobs)):
        assert f"✔ Job J{i}" in text
        assert f"✔ Step {i}b  0.1s  (300 lines)" in text


def test_plain_reporter_is_thread_safe_and_keeps_each_line_whole(pipeline: Pipeline) -> None:
    out = io.StringIO()
    console = Console(file=out, width=200, color_system=None)
    rep = render.PlainReporter(console)
    stage = pipeline.stages[0]

    def emit(index: int) -> None:
        job = stage.jobs[index]
        for n in range(200):
            rep.step_line(stage, job, job.steps[0], f"{job.name}-line-{n}", "out")

    threads = [threading.Thread(target=emit, args=(i,)) for i in range(len(stage.jobs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    lines = out.getvalue().splitlines()
    assert len(lines) == 200 * len(stage.jobs)
    assert all(line.startswith("      │ J") and "-line-" in line for line in lines)


def test_make_reporter_picks_plain_off_a_terminal_and_in_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    pipe = Console(file=io.StringIO())
    assert isinstance(render.make_reporter(pipe), render.PlainReporter)
    assert isinstance(render.make_reporter(pipe, progress="live"), render.LiveReporter)
    tty = Console(file=io.StringIO(), force_terminal=True, force_interactive=True)
    monkeypatch.delenv("CI", raising=False)
    assert isinstance(render.make_reporter(tty), render.LiveReporter)
    monkeypatch.setenv("CI", "true")
    assert isinstance(render.make_reporter(tty), render.PlainReporter)
    assert isinstance(render.make_reporter(tty, progress="plain"), render.PlainReporter)


def test_verbose_prints_every_line_and_quiet_keeps_only_problems(pipeline: Pipeline) -> None:
    stage = pipeline.stages[0]
    job = stage.jobs[0]
    step = job.steps[0]
    texts = {}
    for mode in ("verbose", "quiet"):
        console, _ = _console()
        with render.LiveReporter(console, quiet=mode == "quiet", verbose=mode == "verbose") as rep:
            rep.stage_started(stage)
            rep.job_started(stage, job)
            rep.step_started(stage, job, step)
            rep.step_line(stage, job, step, "plain output", "out")
            rep.step_line(stage, job, step, "a debug line", "debug")
            rep.step_line(stage, job, step, "trouble", "error")
            rep.step_finished(stage, job, step, "failed", 0.5, "broke")
            rep.job_finished(stage, job, "failed")
            rep.stage_finished(stage, "failed", None)
        texts[mode] = console.export_text()
    assert "J0 │ plain output" in texts["verbose"] and "J0 │ ##[debug]" not in texts["verbose"]
    assert "a debug line" in texts["verbose"]
    assert "plain output" not in texts["quiet"] and "##[error]trouble" in texts["quiet"]


def test_a_stage_failed_at_its_gate_shows_its_jobs_as_skipped(pipeline: Pipeline) -> None:
    console, _ = _console()
    deploy = pipeline.stages[1]
    with render.LiveReporter(console) as rep:
        rep.gate(deploy, GateOutcome("rejected", "test", "approval rejected by bob"))
        rep.stage_finished(deploy, "failed", "Environment 'test': approval rejected by bob")
    text = console.export_text()
    assert "✘ checks failed for environment test: approval rejected by bob" in text
    assert "– Job Ship → test" in text


def test_the_implicit_checkout_shows_first_as_it_ran_first(pipeline: Pipeline) -> None:
    from emulator.plan import runtime_steps

    console, _ = _console()
    stage = pipeline.stages[0]
    job = stage.jobs[0]
    steps = [r.step for r in runtime_steps(job)]
    assert steps[0].display_name == "Checkout self"  # the agent's, not in the YAML
    with render.LiveReporter(console, refresh_per_second=50) as rep:
        rep.stage_started(stage)
        rep.job_started(stage, job)
        for step in steps:
            rep.step_started(stage, job, step)
            rep.step_finished(stage, job, step, "succeeded", 0.5, None)
        rep.job_finished(stage, job, "succeeded")
        rep.stage_finished(stage, "succeeded", None)
    tree = console.export_text().split("Stage Build", 1)[1]
    assert tree.index("Checkout self") < tree.index("Step 0a") < tree.index("Step 0b")
