"""Recipe feature: features/code_quality.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/code_quality.feature")
