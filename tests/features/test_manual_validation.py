"""Recipe feature: features/manual_validation.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/manual_validation.feature")
