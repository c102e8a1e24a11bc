"""The task registry: built-ins by Name@major, case-insensitive, and a helpful unknown-task error."""

from __future__ import annotations

import pytest

from emulator.errors import Location, PipelineError
from emulator.tasks.artifacts import default_name
from emulator.tasks.registry import BUILTIN, default_registry


def test_lookup_is_case_insensitive() -> None:
    registry = default_registry()
    assert registry.get("bash@3", Location("x")) is BUILTIN["Bash@3"]
    assert "UsePythonVersion@0" in registry.names()


def test_unknown_task_lists_supported_ones() -> None:
    with pytest.raises(PipelineError) as err:
        default_registry().get("Bash@2", Location("p.yml", 1, 1))
    assert "not supported" in err.value.message
    assert "CmdLine@2" in (err.value.expected or "")
    assert "Bash@3" in (err.value.hint or "")


def test_default_artifact_name_from_the_job_identifier() -> None:
    assert default_name("Build.Job.__default") == "Build.Job"
    assert default_name("S.J.leg_1") == "S.J.leg1"


def test_user_tasks_come_from_the_entry_point_group(monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator.tasks import base

    class EntryPoint:
        name = "MyTask@1"

        def load(self) -> object:
            return my_task

    def my_task(ctx: object) -> base.TaskOutcome:
        return base.TaskOutcome("succeeded")

    def fake_entry_points(group: str) -> list[EntryPoint]:
        return [EntryPoint()] if group == base.ENTRY_POINT_GROUP else []

    monkeypatch.setattr(base, "entry_points", fake_entry_points)
    registry = default_registry()
    assert registry.get("mytask@1", Location("x")) is my_task
    assert "MyTask@1" in registry.names()
