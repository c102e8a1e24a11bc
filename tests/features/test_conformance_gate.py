"""Recipe feature: features/conformance_gate.feature (steps from emulator.testing.steps)."""

from pytest_bdd import scenarios

scenarios("../../features/conformance_gate.feature")
