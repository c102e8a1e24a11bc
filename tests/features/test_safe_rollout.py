"""Recipe feature: features/safe_rollout.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/safe_rollout.feature")
