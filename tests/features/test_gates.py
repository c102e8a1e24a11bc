"""Gates: environments' checks, decisions and the attempts to get past them (features/gates.feature)."""

from pytest_bdd import scenarios

scenarios("../../features/gates.feature")
