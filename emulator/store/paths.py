"""Where the state folder and its parts live (one place, shared by the runner and the `az` shim)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from emulator.errors import Location, RunError

STATE_ENV = "MLOPS_HOME"


def state_home() -> Path:
    """`$MLOPS_HOME`, or `.mlops/` in the working directory; always absolute."""
    configured = os.environ.get(STATE_ENV)
    return Path(configured).resolve() if configured else (Path.cwd() / ".mlops").resolve()


def writable(home: Path) -> Path:
    """The state folder, created if needed; one that can't be written is refused with its path (a
    read-only folder gave a PermissionError traceback)."""
    try:
        home.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=home):
            pass
    except OSError as exc:
        raise RunError(
            f"The state folder {home} can't be written: {exc.strerror or exc}",
            Location(str(home)),
            hint=f"set {STATE_ENV} to a folder you can write to, or run where .mlops/ can be created",
        ) from None
    return home


def user_cache() -> Path:
    """This user's cache of what does not depend on a state folder: `$XDG_CACHE_HOME/mlops-emulator`."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "mlops-emulator"


def runs_dir(home: Path | None = None) -> Path:
    return (home or state_home()) / "runs"


def azureml_dir(home: Path | None = None) -> Path:
    return (home or state_home()) / "azureml"


def envs_dir(home: Path | None = None) -> Path:
    """Isolated Python environments built from Azure ML environment specs, keyed by hash."""
    return (home or state_home()) / "envs"


def mlflow_tracking_uri(home: Path | None = None) -> str:
    """`$MLFLOW_TRACKING_URI` if a team server is configured, else the sqlite store in the state folder."""
    configured = os.environ.get("MLFLOW_TRACKING_URI")
    if configured:
        return configured
    return f"sqlite:///{(home or state_home()) / 'mlflow.db'}"


def mlflow_artifacts_dir(home: Path | None = None) -> Path:
    return (home or state_home()) / "mlartifacts"
