"""Recipe feature: features/smoke_test.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/smoke_test.feature")
