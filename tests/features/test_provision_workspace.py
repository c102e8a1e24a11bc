"""Recipe feature: features/provision_workspace.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/provision_workspace.feature")
