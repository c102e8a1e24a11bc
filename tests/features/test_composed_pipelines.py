"""The composed pipelines: features/composed_pipelines.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/composed_pipelines.feature")
