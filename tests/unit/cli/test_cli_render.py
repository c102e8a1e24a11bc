"""Render helpers: the waiting banner, the summary table, durations."""

from __future__ import annotations

import io

from rich.console import Console
from rich.panel import Panel

from emulator.cli import render
from emulator.report.times import duration, durations

WAITING = {
    "stage": "Register",
    "environment": "test",
    "message": "waiting for 1 more approval",
    "approvers": ["ml-reviewers"],
    "instructions": "Check the metrics.",
}


def _text(renderable: object, width: int = 120) -> str:
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(renderable)
    out = console.file.getvalue()  # type: ignore[attr-defined]
    assert isinstance(out, str)
    return out


def test_waiting_banner_names_environment_approvers_and_exact_commands() -> None:
    text = _text(render.waiting_banner("7", WAITING))
    assert "⏸ Run 7 is waiting for approval" in text
    assert "stage Register targets environment test" in text and "approvers: ml-reviewers" in text
    assert "instructions: Check the metrics." in text
    assert "mlops approve 7 --environment test --as USER [--comment TEXT]" in text
    assert "mlops reject 7 --environment test --as USER [--comment TEXT]" in text
    assert "mlops resume 7" in text


def test_waiting_banner_boxed_lists_every_check_when_there_are_several() -> None:
    checks = [
        {"type": "approval", "status": "pending", "message": "waiting for 1 more approval"},
        {"type": "branchControl", "status": "passed", "message": "refs/heads/main is allowed"},
    ]
    banner = render.waiting_banner("7", WAITING, checks, boxed=True)
    assert isinstance(banner, Panel)
    text = _text(banner)
    assert "check branchControl: refs/heads/main is allowed" in text
    assert "mlops approve 7 --environment test" in text


def test_gate_checks_come_from_the_latest_evaluation_of_the_waiting_gate() -> None:
    def entry(message: str) -> dict[str, object]:
        return {
            "stage": "S",
            "environment": "e",
            "results": [{"type": "approval", "status": "pending", "message": message}],
        }

    record = {"waiting": {"stage": "S", "environment": "e"}, "checks": [entry("1"), entry("2")]}
    assert [c["message"] for c in render.gate_checks(record)] == ["2"]


def test_summary_table_shows_durations_and_why_a_job_failed() -> None:
    summary = {
        "id": "3",
        "pipeline": "p.yml",
        "result": "failed",
        "stages": [
            {
                "name": "Build",
                "result": "failed",
                "message": None,
                "jobs": [
                    {
                        "name": "Compile",
                        "result": "failed",
                        "outputs": {},
                        "message": None,
                        "steps": [{"result": "failed", "message": "Bash exited with code '2'.\nmore"}],
                    },
                    {"name": "Pack", "result": "succeeded", "outputs": {"pack.version": "1.0"}, "steps": []},
                ],
            }
        ],
    }
    times = {("Build",): 75.0, ("Build", "Compile"): 3.25}
    text = _text(render.summary_table(summary, times))
    assert "1m15s" in text and "3.2s" in text
    assert "Bash exited with code '2'." in text and "more" not in text
    assert "pack.version=1.0" in text


def test_durations_from_record_timestamps() -> None:
    record = {
        "stages": [
            {
                "name": "A",
                "startedAt": "2026-01-01T00:00:00+00:00",
                "finishedAt": "2026-01-01T00:01:30+00:00",
                "jobs": [{"name": "J", "startedAt": "2026-01-01T00:00:00+00:00"}],
            }
        ]
    }
    assert durations(record) == {("A",): 90.0}
    assert [duration(s) for s in (0.04, 59.9, 61, 3725)] == ["0.0s", "59.9s", "1m01s", "1h02m"]
    assert duration(None) == ""


def test_a_manual_validation_is_named_in_the_banner_the_runs_list_and_the_audit_lines() -> None:
    waiting = {
        "stage": "Validate",
        "job": "check",
        "environment": None,
        "message": "waiting",
        "approvers": ["reviewers"],
        "instructions": "Read the model card.",
    }
    text = _text(render.waiting_banner("3", waiting))
    assert "⏸ Run 3 is waiting for a manual validation" in text and "job Validate.check" in text
    assert "mlops approve 3 --job Validate.check --as USER [--comment TEXT]" in text
    runs = _text(
        render.runs_table([{"id": "3", "pipeline": "p.yml", "result": "paused", "waiting": waiting}]), 200
    )
    assert "manual validation (Validate.check)" in runs
    summary = {
        "checks": [
            {
                "stage": "Deploy",
                "environment": "test",
                "status": "pending",
                "at": "2026-01-01T10:00",
                "message": "m",
            }
        ],
        "validations": [
            {
                "stage": "Validate",
                "job": "check",
                "status": "passed",
                "at": "2026-01-01T11:00",
                "message": "ok",
            }
        ],
        "approvals": [
            {
                "stage": "Validate",
                "job": "check",
                "environment": None,
                "decision": "approved",
                "by": "bob",
                "at": "2026-01-01T10:30",
                "comment": "fine",
            }
        ],
    }
    lines = render.audit_lines(summary)
    assert [line.split()[0] for line in lines] == ["check", "approved", "check"]
    assert (
        "approved job Validate.check by bob" in lines[1]
        and "manual validation of job Validate.check" in lines[2]
    )
