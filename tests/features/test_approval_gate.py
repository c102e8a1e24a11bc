"""Recipe feature: features/approval_gate.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/approval_gate.feature")
