"""Recipe feature: features/provision_compute.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/provision_compute.feature")
