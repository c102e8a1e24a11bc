"""Where a job's command runs (`$MLOPS_JOB_ENV_MANAGER`, since `az ml job create` has no such flag).

`isolated` (the default) builds the job's environment from its conda file into a virtualenv cached by
hash (the same cache as deployments, so a job and the deployment of its model share one build);
`local` runs it with the emulator's own interpreter, as fast as it gets and with no isolation.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.assets.curated import is_curated_reference
from emulator.azureml.assets.environments import environment_is_registered, resolve_environment
from emulator.azureml.compute import envbuild
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzArgumentError, AzNotFoundError
from emulator.errors import Location

ENV_MANAGER_VAR = "MLOPS_JOB_ENV_MANAGER"
ENV_MANAGERS = ("isolated", "local")
# What a job or scoring server takes from this machine: what a container's environment also has (home,
# user, language, time zone, temporary folder) and the standard PATH of a Linux image. Nothing of the
# pipeline step that ran `az`: its variables, the secrets it maps with `env:`, the agent's settings. Nor
# PYTHONDONTWRITEBYTECODE: environments are built without bytecode, which their first processes write.
_MACHINE_VARIABLES = ("HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR")
SYSTEM_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"


@dataclass(frozen=True)
class Runtime:
    """The interpreter a job runs with: an isolated environment built from its conda file, or ours."""

    manager: str
    prefix: Path
    python: Path
    env_key: str | None
    source: str


def machine_environment(bin_dir: Path | None = None) -> dict[str, str]:
    """The environment a process the emulated Azure ML starts begins with: the machine's basics, the
    system PATH after `bin_dir` (its interpreter's folder), MLflow telemetry off, unbuffered Python."""
    env = {k: v for k, v in os.environ.items() if k in _MACHINE_VARIABLES or k.startswith("LC_")}
    env["PATH"] = f"{bin_dir}{os.pathsep}{SYSTEM_PATH}" if bin_dir is not None else SYSTEM_PATH
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def env_manager() -> str:
    """`$MLOPS_JOB_ENV_MANAGER`: `isolated` (default) or `local`."""
    value = (os.environ.get(ENV_MANAGER_VAR) or "isolated").strip().lower()
    if value not in ENV_MANAGERS:
        raise AzArgumentError(
            f"{ENV_MANAGER_VAR}={value!r} is not a valid environment manager",
            expected=" or ".join(ENV_MANAGERS),
            hint="isolated: build the job's environment from its conda file (cached); "
            "local: run with the emulator's Python",
        )
    return value


def local_runtime(source: str) -> Runtime:
    return Runtime("local", Path(sys.prefix), Path(sys.executable), None, source)


def prepare_runtime(
    ctx: Context,
    environment: Any,
    base_dir: Path,
    location: Location | None,
    *,
    warn: Sink | None = None,
    progress: Sink | None = None,
) -> Runtime:
    """The interpreter for a job whose YAML says `environment:` (built now if not cached)."""

    def say(message: str) -> None:
        if warn is not None:
            warn(message)

    if env_manager() == "local":
        if (
            isinstance(environment, str)
            and not is_curated_reference(environment)
            and not environment_is_registered(ctx, environment)
        ):
            say(
                f"environment {environment!r} is not registered in the emulated workspace (Azure ML would "
                f"fail the job); it runs with the emulator's Python ({ENV_MANAGER_VAR}=local)"
            )
        return local_runtime(f"the emulator's Python ({ENV_MANAGER_VAR}=local)")
    if environment is None:
        say("the job names no environment; it runs with the emulator's Python")
        return local_runtime("the emulator's Python (no environment)")
    try:
        spec = resolve_environment(ctx, environment, base_dir, location)
    except AzNotFoundError as exc:
        raise AzNotFoundError(
            exc.message,
            exc.location,
            hint=f"{exc.hint}; or run jobs with the emulator's Python: {ENV_MANAGER_VAR}=local",
        ) from None
    if spec.substitution:
        say(spec.substitution)
    if not spec.conda:
        say(
            f"environment {spec.reference} has no conda_file (image {spec.image or '(none)'} cannot be "
            "reproduced locally); the job runs with the emulator's Python"
        )
        return local_runtime(f"the emulator's Python ({spec.reference} is image-only)")
    plan = envbuild.plan_environment(spec.conda, source=f"environment {spec.reference}")
    for message in plan.warnings:
        say(message)
    built = envbuild.ensure_environment(ctx, plan, log=progress)
    if progress is not None:
        how = "reused" if built.reused else f"built in {built.seconds:.1f} s"
        progress(f"Job environment {spec.reference}: {built.key} {how} ({built.path})\n")
    return Runtime("isolated", built.path, built.python, built.key, f"environment {spec.reference}")
