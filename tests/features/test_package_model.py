"""Recipe feature: features/package_model.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/package_model.feature")
