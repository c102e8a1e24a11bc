"""What the engine tells the outside world while it runs (the CLI renders it; tests record it)."""

from __future__ import annotations

from typing import Protocol

from emulator.gates.checks import GateOutcome
from emulator.model import Job, Stage, Step


class Reporter(Protocol):
    def stage_started(self, stage: Stage) -> None: ...
    def stage_finished(self, stage: Stage, result: str, message: str | None) -> None: ...
    def job_started(self, stage: Stage, job: Job) -> None: ...
    def job_finished(self, stage: Stage, job: Job, result: str) -> None: ...
    def step_started(self, stage: Stage, job: Job, step: Step) -> None: ...
    def step_line(self, stage: Stage, job: Job, step: Step, line: str, kind: str) -> None: ...
    def step_finished(
        self, stage: Stage, job: Job, step: Step, result: str, seconds: float, message: str | None
    ) -> None: ...
    def gate(self, stage: Stage, outcome: GateOutcome) -> None: ...


class SilentReporter:
    """A reporter that shows nothing (library use, tests)."""

    def stage_started(self, stage: Stage) -> None:
        pass

    def stage_finished(self, stage: Stage, result: str, message: str | None) -> None:
        pass

    def job_started(self, stage: Stage, job: Job) -> None:
        pass

    def job_finished(self, stage: Stage, job: Job, result: str) -> None:
        pass

    def step_started(self, stage: Stage, job: Job, step: Step) -> None:
        pass

    def step_line(self, stage: Stage, job: Job, step: Step, line: str, kind: str) -> None:
        pass

    def step_finished(
        self, stage: Stage, job: Job, step: Step, result: str, seconds: float, message: str | None
    ) -> None:
        pass

    def gate(self, stage: Stage, outcome: GateOutcome) -> None:
        pass
