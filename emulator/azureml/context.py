"""What an `az` command hands down to every layer: the state folder it acts on, with the places in it,
and the type of the sinks that progress and warnings go to.

A command makes one (`Context.current()`: `$MLOPS_HOME`, else `./.mlops`) before it does anything, so
no function guesses its state folder for itself; the rest of the emulator, which knows state folders
as paths, makes one with `Context(home)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from emulator.store.paths import azureml_dir, envs_dir, mlflow_artifacts_dir, mlflow_tracking_uri, state_home

Sink = Callable[[str], None]


@dataclass(frozen=True)
class Context:
    """The state folder a command acts on."""

    home: Path

    @classmethod
    def current(cls) -> Context:
        """`$MLOPS_HOME`, else `.mlops/` in the working directory."""
        return cls(state_home())

    @property
    def azureml(self) -> Path:
        """The records of the emulated workspace."""
        return azureml_dir(self.home)

    @property
    def tracking_uri(self) -> str:
        """`$MLFLOW_TRACKING_URI` (a team MLflow server), else the sqlite store in the state folder."""
        return mlflow_tracking_uri(self.home)

    @property
    def mlflow_artifacts(self) -> Path:
        return mlflow_artifacts_dir(self.home)

    @property
    def envs(self) -> Path:
        """Isolated Python environments, unless `$MLOPS_ENV_CACHE` names a cache shared by state folders."""
        return envs_dir(self.home)
