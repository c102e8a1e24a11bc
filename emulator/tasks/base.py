"""What a task implementation gets and returns, and the registry of `Name@major` tasks.

Users add tasks through the `mlops.tasks` entry-point group: an entry `MyTask@1 = pkg.module:my_task`
where `my_task(ctx: StepContext) -> TaskOutcome`. A task runs processes through `ctx.run` (so logs,
timeouts and cancellation apply), writes log lines with `ctx.log`, and talks to the agent with logging
commands through `ctx.emit` (`##vso[task.setvariable …]`, `##vso[task.prependpath]…`), as a real
task's library does.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, Protocol

from emulator import task_catalog
from emulator.errors import Location, PipelineError
from emulator.runtime.process import ProcessResult

ENTRY_POINT_GROUP = "mlops.tasks"


class ServiceConnections(Protocol):
    """The service connections the local configuration declares (see tasks/connections.py)."""

    @property
    def source(self) -> str | None: ...

    def check(self, name: str, location: Location, task: str) -> Mapping[str, Any]: ...


@dataclass(frozen=True)
class StepContext:
    """Everything a task may use; processes go through `run` so logs, timeouts and cancel apply."""

    task: str
    inputs: Mapping[str, Any]  # macros already expanded
    env: Mapping[str, str]  # the step's process environment
    sources_dir: Path  # Build.SourcesDirectory (= System.DefaultWorkingDirectory)
    temp_dir: Path  # Agent.TempDirectory
    pipeline_workspace: Path  # Pipeline.Workspace
    artifacts_dir: Path  # where this run's pipeline artifacts are stored
    location: Location
    run: Callable[[Sequence[str], Path, Mapping[str, str]], ProcessResult]
    log: Callable[[str], None]  # a line in the step's log (not parsed for commands)
    emit: Callable[[str], None] = lambda line: None  # a logging command, processed as if printed
    variables: Mapping[str, str] = field(default_factory=dict)  # the job's variables (lower-case names)
    connections: ServiceConnections | None = None
    step_name: str | None = None  # the step's `name:` (its output variables are `name.var`)

    def _names(self, name: str) -> set[str]:
        """The input's name and aliases (the catalog's), lower-case: the agent accepts any of them."""
        definition = task_catalog.load().get(self.task)
        known = definition.input(name) if definition else None
        return {n.lower() for n in (known.names if known else (name,))}

    def input(self, name: str, default: str | None = None, required: bool = False) -> str | None:
        """An input by name or alias (case-insensitive, as the agent reads them)."""
        names = self._names(name)
        for key, value in self.inputs.items():
            if key.lower() in names:
                text = "" if value is None else str(value)
                if text == "" and required:
                    break
                return text if text != "" else default
        if required:
            raise PipelineError(
                f"Input required: {name} (task {self.task})",
                self.location,
                hint=f"add '{name}:' under the step's inputs",
            )
        return default

    def bool_input(self, name: str, default: bool = False) -> bool:
        value = self.input(name)
        return default if value is None else value.strip().lower() in ("true", "yes", "y", "on", "1")

    def path_input(self, name: str, default: str | None = None, required: bool = False) -> Path | None:
        value = self.input(name, default, required)
        if value is None:
            return None
        path = Path(value)
        return path if path.is_absolute() else self.sources_dir / path

    def variable(self, name: str) -> str | None:
        return self.variables.get(name.lower())


@dataclass(frozen=True)
class TaskOutcome:
    result: str  # succeeded | succeededWithIssues | failed | canceled
    message: str | None = None
    data: Mapping[str, Any] | None = None  # kept on the step's record (e.g. test results)


class Task(Protocol):
    def __call__(self, ctx: StepContext) -> TaskOutcome: ...


def outcome_of(proc: ProcessResult, fail_on_stderr: bool = False, tool: str = "Bash") -> TaskOutcome:
    """A script's result: its exit code (and, with failOnStderr, its standard error) decide."""
    if proc.canceled:
        return TaskOutcome("canceled", "The operation was canceled.")
    if proc.timed_out:
        return TaskOutcome("failed", "The task has timed out.")
    if proc.exit_code != 0:
        return TaskOutcome("failed", f"{tool} exited with code '{proc.exit_code}'.")
    if fail_on_stderr and proc.wrote_stderr:
        return TaskOutcome("failed", f"{tool} wrote one or more lines to the standard error stream.")
    return TaskOutcome("succeeded")


TASK_POLICIES = ("fail", "skip")


class Registry:
    """Name@major (case-insensitive) -> implementation: tasks.yml stand-ins first, then the emulator's
    own tasks and plug-ins. A task with none of them follows the task policy: `fail` (the default) or
    `skip`."""

    def __init__(
        self, builtins: Mapping[str, Task], standins: Mapping[str, Task] | None = None, policy: str = "fail"
    ) -> None:
        self._tasks: dict[str, tuple[str, Task]] = {k.lower(): (k, v) for k, v in builtins.items()}
        self._standins = {k.lower(): v for k, v in (standins or {}).items()}
        self._loaded_plugins = False
        self.policy = policy

    def _load_plugins(self) -> None:
        if self._loaded_plugins:
            return
        self._loaded_plugins = True
        for ep in entry_points(group=ENTRY_POINT_GROUP):
            self._tasks.setdefault(ep.name.lower(), (ep.name, ep.load()))

    def names(self) -> list[str]:
        """The tasks with local behaviour (own, plug-ins, stand-ins)."""
        self._load_plugins()
        own = {name.lower(): name for name, _ in self._tasks.values()}
        standins = {k: str(getattr(v, "task", k)) for k, v in self._standins.items()}
        return sorted({**own, **standins}.values(), key=str.lower)

    def get(self, task: str, location: Location) -> Task:
        self._load_plugins()
        found = self._standins.get(task.lower()) or (self._tasks.get(task.lower()) or (None, None))[1]
        if found is not None:
            return found
        if self.policy == "skip":
            return _skipped
        definition = task_catalog.load().get(task)
        known = f" ({definition.friendly_name})" if definition else ""
        raise PipelineError(
            f"Task '{task}'{known} has no local behaviour in the emulator",
            location,
            expected="tasks with local behaviour: " + ", ".join(self.names()),
            hint="give it a stand-in in tasks.yml (a script to run, outputs to set: see "
            "emulator/tasks/standins.py), or run with --task-policy skip",
        )


def _skipped(ctx: StepContext) -> TaskOutcome:
    return TaskOutcome("skipped", f"Task '{ctx.task}' has no local behaviour: skipped (--task-policy skip)")
