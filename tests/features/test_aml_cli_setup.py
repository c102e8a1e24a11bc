"""Recipe feature: features/aml_cli_setup.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/aml_cli_setup.feature")
