"""Recipe feature: features/register_model.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/register_model.feature")
