"""Recipe feature: features/teardown.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/teardown.feature")
