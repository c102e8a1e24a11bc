"""Recipe feature: features/train.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/train.feature")
