"""What a job may use of its run, handed to each JobRunner by the engine (as a task gets a StepContext):
the record, the options, the task registry, the reporter, the run's cancellation, its secrets, the
predefined variables and the evaluation of conditions. A job reaches nothing else of the engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from emulator.errors import ExpressionError, Location
from emulator.expressions import EvalContext, evaluate_text, to_bool
from emulator.model import Repository
from emulator.runtime.counters import Counters
from emulator.runtime.events import Reporter
from emulator.runtime.options import RunOptions
from emulator.runtime.predefined import Predefined
from emulator.runtime.process import Cancellation
from emulator.runtime.secrets import RunSecrets
from emulator.runtime.variables import Masker
from emulator.store.runs import Run
from emulator.tasks.base import Registry


@dataclass(frozen=True)
class JobServices:
    run: Run
    options: RunOptions
    repositories: Mapping[str, Repository]  # the pipeline's resources.repositories (lower-case alias)
    registry: Registry
    reporter: Reporter
    cancellation: Cancellation  # the run's (a job has its own, a child of it)
    secrets: RunSecrets
    predefined: Predefined
    counters: Counters

    @property
    def masker(self) -> Masker:
        return self.secrets.masker

    def evaluate(
        self, text: str, named: Mapping[str, Any], functions: Mapping[str, Callable[..., Any]], loc: Location
    ) -> Any:
        return evaluate_text(text, EvalContext(named=named, functions=functions, location=loc), loc)

    def condition(
        self,
        text: str,
        named: Mapping[str, Any],
        functions: Mapping[str, Callable[..., Any]],
        loc: Location,
        what: str,
    ) -> bool:
        all_functions = {**self.counters.functions(), **functions}
        try:
            return to_bool(self.evaluate(text, named, all_functions, loc))
        except ExpressionError as exc:
            raise ExpressionError(
                f"Condition of {what}: {exc.message}",
                exc.location or loc,
                expected=exc.expected,
                hint=exc.hint,
            ) from None

    def set_build_number(self, number: str) -> None:
        """`build.updatebuildnumber`: the record shows it masked; Build.BuildNumber is the real one."""
        with self.run.lock:
            self.run.data["buildNumber"] = self.secrets.recorded_build_number(number)

    def add_build_tag(self, tag: str) -> None:
        with self.run.lock:
            tags = self.run.data.setdefault("tags", [])
            if self.masker(tag) not in tags:
                tags.append(self.masker(tag))
