"""Recipe feature: features/evaluate_model.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/evaluate_model.feature")
