"""The reference scenario's feature, run end to end through the `mlops` command line."""

import pytest
from pytest_bdd import scenarios

from emulator.testing.steps import *  # noqa: F403

pytestmark = pytest.mark.e2e

scenarios("../../features/basic_build_release.feature")
