"""The reference scenario's feature, run end to end through the `mlops` command line.

The steps come from the reusable step library (emulator.testing.steps), loaded by the mlops plugin.
"""

import pytest
from pytest_bdd import scenarios

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # three runs of the reference pipeline, one in Docker

scenarios("../../features/basic_build_release.feature")
