"""How a run is executed: what the runner hands the engine, fixed for one execution of a run."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from emulator.gates.environments import Environments
from emulator.runtime.variable_groups import NONE as NO_GROUPS
from emulator.runtime.variable_groups import VariableGroups
from emulator.tasks.base import ServiceConnections


def default_minute_seconds() -> float:
    """How long a minute of `timeoutInMinutes` lasts: 60 s, unless MLOPS_INTERNAL_MINUTE_SECONDS says
    otherwise (a knob for the emulator's own tests, so timeouts can be exercised in seconds)."""
    try:
        return float(os.environ.get("MLOPS_INTERNAL_MINUTE_SECONDS", "60"))
    except ValueError:
        return 60.0


def default_parallel() -> int:
    return os.cpu_count() or 1


@dataclass(frozen=True)
class RunOptions:
    home: Path
    repo_root: Path
    environments: Environments
    requester: str
    check_policy: str = "fail"
    queue_variables: Mapping[str, str] = field(default_factory=dict)
    az_bin: Path | None = None  # folder holding the `az` shim, put first on PATH
    parallel: int = 0  # jobs at once (0: the number of CPU cores)
    secret_variables: Mapping[str, str] = field(default_factory=dict)  # queue-time secrets
    connections: ServiceConnections | None = None
    variable_groups: VariableGroups = NO_GROUPS  # Library variable groups (variable-groups.yml)
    repositories: Mapping[str, Path] = field(default_factory=dict)  # lower-case alias -> local folder
    minute_seconds: float = field(default_factory=default_minute_seconds)  # a timeoutInMinutes minute
