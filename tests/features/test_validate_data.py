"""Recipe feature: features/validate_data.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/validate_data.feature")
