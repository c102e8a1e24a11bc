"""The Gherkin step library: reusable pytest-bdd steps for recipes and pipelines, one module per theme.

The `mlops` pytest plugin (plugin.py) loads these modules where pytest-bdd is installed, so a
test module only binds its feature:

    from pytest_bdd import scenarios
    scenarios("../../features/my_recipe.feature")

`from emulator.testing.steps import *` still gives the step functions, `MlopsSession` and the helpers by
name, for your own steps. Every step drives the real `mlops` command line (or the emulated `az`) in a
subprocess, against the isolated state folder of the `mlops_home` fixture, from the repository root.
Documented in docs/steps.md, generated from these modules by `python -m emulator.testing.docs`.
"""

from __future__ import annotations

from emulator.testing.steps.azureml import *  # noqa: F403
from emulator.testing.steps.azureml import __all__ as _azureml
from emulator.testing.steps.containers import *  # noqa: F403
from emulator.testing.steps.containers import __all__ as _containers
from emulator.testing.steps.endpoints import *  # noqa: F403
from emulator.testing.steps.endpoints import __all__ as _endpoints
from emulator.testing.steps.expansion import *  # noqa: F403
from emulator.testing.steps.expansion import __all__ as _expansion
from emulator.testing.steps.gates import *  # noqa: F403
from emulator.testing.steps.gates import __all__ as _gates
from emulator.testing.steps.pipelines import *  # noqa: F403
from emulator.testing.steps.pipelines import __all__ as _pipelines
from emulator.testing.steps.session import *  # noqa: F403
from emulator.testing.steps.session import __all__ as _session

__all__ = [*_session, *_pipelines, *_gates, *_expansion, *_azureml, *_endpoints, *_containers]
