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


def test_a_task_without_local_behaviour_names_the_ways_to_give_it_one() -> None:
    with pytest.raises(PipelineError) as err:
        default_registry().get("NuGetCommand@2", Location("p.yml", 1, 1))
    assert err.value.message == "Task 'NuGetCommand@2' (NuGet) has no local behaviour in the emulator"
    assert "CmdLine@2" in (err.value.expected or "")
    assert "tasks.yml" in (err.value.hint or "") and "--task-policy skip" in (err.value.hint or "")


def test_the_skip_policy_skips_a_task_without_local_behaviour() -> None:
    task = default_registry(policy="skip").get("NuGetCommand@2", Location("p.yml", 1, 1))
    assert task is not None
    assert "NuGetCommand@2" not in default_registry(policy="skip").names()


def test_a_stand_in_wins_over_the_emulators_own_task() -> None:
    def stand_in(ctx: object) -> object:
        return None

    registry = default_registry({"Bash@3": stand_in})  # type: ignore[dict-item]
    assert registry.get("BASH@3", Location("x")) is stand_in


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
