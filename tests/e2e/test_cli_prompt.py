"""Deciding at the terminal: a run that pauses asks for the decision when stdin is a terminal, checks
it like `mlops approve`, and resumes; `--no-prompt` (and CI) leave it paused. Driven through a real
pseudo-terminal."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIPELINE = "tests/features/pipelines/gates/validation.yml"


class Terminal:
    """`mlops` on a pseudo-terminal: read until a text shows up, type answers."""

    def __init__(self, home: Path, *args: str) -> None:
        self.master, slave = pty.openpty()
        env = {**os.environ, "MLOPS_HOME": str(home), "TERM": "dumb", "COLUMNS": "160"}
        env.pop("CI", None)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "emulator", *args],
            cwd=ROOT,
            env=env,
            stdin=slave,
            stdout=slave,
            stderr=slave,
            close_fds=True,
        )
        os.close(slave)
        self.output = ""

    def expect(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.output:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} did not show up; the terminal shows:\n{self.output[-3000:]}"
            ready, _, _ = select.select([self.master], [], [], min(left, 0.5))
            if ready:
                try:
                    self.output += os.read(self.master, 65536).decode(errors="replace")
                except OSError:  # the process closed the terminal
                    assert text in self.output, f"{text!r} never showed up:\n{self.output[-3000:]}"

    def type(self, line: str) -> None:
        os.write(self.master, (line + "\n").encode())

    def finish(self, timeout: float = 120) -> int:
        """Read everything until the process closes the terminal, then its exit code."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ready, _, _ = select.select([self.master], [], [], 0.5)
            if not ready:
                if self.proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(self.master, 65536)
            except OSError:  # EIO: the other side is closed
                break
            if not chunk:
                break
            self.output += chunk.decode(errors="replace")
        os.close(self.master)
        return self.proc.wait(timeout=max(1.0, deadline - time.monotonic()))


def test_a_refused_then_accepted_decision_at_the_prompt_resumes_the_run(mlops_home: Path) -> None:
    term = Terminal(mlops_home, "run", PIPELINE, "--as", "erin", "--progress", "plain")
    term.expect("[a]pprove, [r]eject or [l]ater")
    term.type("a")
    term.expect("Decide as")
    term.type("mallory")  # not among the approvers: refused, asked again
    term.expect("Comment")
    term.type("")
    term.expect("not among the approvers of the manual validation")
    term.expect("[a]pprove, [r]eject or [l]ater")
    term.type("a")
    term.expect("Decide as")
    term.type("bob")
    term.expect("Comment")
    term.type("fairness report checked")
    term.expect("Recorded: approved by bob")
    assert term.finish() == 0, term.output[-3000:]
    assert "Manual validation resumed by bob: fairness report checked" in term.output


def test_later_and_no_prompt_leave_the_run_paused(mlops_home: Path) -> None:
    term = Terminal(mlops_home, "run", PIPELINE, "--as", "erin", "--progress", "plain")
    term.expect("[a]pprove, [r]eject or [l]ater")
    term.type("l")
    assert term.finish() == 3
    term = Terminal(mlops_home, "resume", "1", "--no-prompt", "--progress", "plain")
    assert term.finish() == 3
    assert (
        "Decide on" not in term.output and "mlops approve 1 --job Validate.waitForValidation" in term.output
    )


def test_end_of_input_at_the_prompt_leaves_the_run_paused(mlops_home: Path) -> None:
    term = Terminal(mlops_home, "run", PIPELINE, "--as", "erin", "--progress", "plain")
    term.expect("[a]pprove, [r]eject or [l]ater")
    os.write(term.master, b"\x04")  # Ctrl-D
    assert term.finish() == 3
    assert "Traceback" not in term.output
