"""Whether the emulated Azure ML uses a Docker daemon, and the client to talk to it.

Azure ML serves every deployment from an image. The emulator does the same when a Docker daemon
answers (the SDK honours `DOCKER_HOST`), and falls back to processes from isolated virtualenvs when
none does. `MLOPS_DOCKER` chooses: `auto` (default: use a daemon when one answers), `off` (never:
package contexts are written but not built, deployments run as processes), `require` (fail when no
daemon answers, instead of falling back). Every caller gets either a client or the reason why not,
so the fallback is always stated, never silent.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

from emulator import extras
from emulator.azureml.errors import AzError

MODE_ENV = "MLOPS_DOCKER"
_OFF = ("0", "off", "no", "false", "never", "process")
_REQUIRE = ("1", "on", "yes", "true", "require", "required", "always", "container")
START_HINT = (
    "start a daemon without the default bridge, as .ci/run does: dockerd --bridge=none --iptables=false "
    "--ip-forward=false --data-root D/data --exec-root D/exec --pidfile D/pid -H unix://D/sock & "
    "then export DOCKER_HOST=unix://D/sock"
)


@dataclass(frozen=True)
class Daemon:
    """A reachable daemon: the SDK client and where it listens (recorded so others can find it)."""

    client: Any  # docker.DockerClient (the SDK has no type hints)
    host: str
    version: str


def docker_mode() -> str:
    """`auto`, `off` or `require`, from `MLOPS_DOCKER` (unknown values are an error, not a guess)."""
    value = os.environ.get(MODE_ENV, "auto").strip().lower() or "auto"
    if value == "auto":
        return "auto"
    if value in _OFF:
        return "off"
    if value in _REQUIRE:
        return "require"
    raise AzError(
        f"{MODE_ENV}={value!r} is not understood",
        expected="auto (default), off or require",
    )


def docker_host() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


def connect(base_url: str | None = None) -> tuple[Daemon | None, str]:
    """(daemon, reason): a daemon when one answers and Docker is not switched off; else why not.

    With `MLOPS_DOCKER=require` a missing daemon raises instead of returning None.
    """
    mode = docker_mode()
    if mode == "off" and base_url is None:
        return None, f"{MODE_ENV}=off: Docker is not used"
    host = base_url or docker_host()
    if extras.missing("docker"):
        reason = f"the Docker SDK is not installed (pip install {extras.install_spec('docker')})"
        if mode == "require":
            raise AzError(f"{MODE_ENV}=require but {reason}")
        return None, reason
    try:
        import docker

        client = docker.DockerClient(base_url=host, timeout=10) if base_url else docker.from_env(timeout=10)
        version = str(client.version().get("Version", "?"))
    except Exception as exc:  # noqa: BLE001 - no SDK, no socket, no daemon: all mean "no daemon"
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        reason = f"no Docker daemon answers at {host} ({first[:200]})"
        if mode == "require":
            raise AzError(f"{MODE_ENV}=require but {reason}", hint=START_HINT) from None
        return None, reason
    return Daemon(client=client, host=host, version=version), f"Docker daemon {version} at {host}"
