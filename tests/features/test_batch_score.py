"""Recipe feature: features/batch_score.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/batch_score.feature")
