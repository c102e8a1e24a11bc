"""Recipe feature: features/deploy_online.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/deploy_online.feature")
