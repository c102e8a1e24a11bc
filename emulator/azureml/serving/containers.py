"""Deployment containers: run an inference image, probe it, read its logs, remove it.

Containers use the host network (these machines have no bridge), and the server listens on a unix
socket in the deployment's socket folder, mounted into the container (gunicorn's `GUNICORN_CMD_ARGS`
says where), so only the endpoint's front reaches it. The folder is writable by the image's non-root
user; the folder above it is closed to other users of the host. Every container is
labelled with the state folder, endpoint and deployment, so `mlops endpoints down` and a sweep can
find exactly the emulator's containers and nothing else. A container's main process is also visible
as a host process: its pid and start time go into the deployment record like a process-mode server's,
so code that only knows pids still sees it running.
"""

from __future__ import annotations

import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.compute import loopback
from emulator.azureml.errors import AzError
from emulator.azureml.serving import server
from emulator.azureml.serving.docker_daemon import Daemon, connect, docker_host
from emulator.azureml.serving.packaging import gunicorn_args
from emulator.processes import process_start_ticks

LABEL_PREFIX = "org.mlops-emulator"
LABEL_KIND = f"{LABEL_PREFIX}.kind"
LABEL_HOME = f"{LABEL_PREFIX}.home"
LABEL_ENDPOINT = f"{LABEL_PREFIX}.endpoint"
LABEL_DEPLOYMENT = f"{LABEL_PREFIX}.deployment"
KIND = "online-deployment"
_CONTAINER_ID_RE = re.compile(r"[0-9a-f]{64}")


SOCKET_MOUNT = "/var/run/azureml-server"


@dataclass(frozen=True)
class RunningContainer:
    """A started container: what the deployment record keeps to find, probe and stop it."""

    container_id: str
    name: str
    socket: Path
    pid: int
    start_ticks: int


def _name(endpoint: str, deployment: str) -> str:
    raw = f"mlops-{endpoint}-{deployment}-{uuid.uuid4().hex[:6]}"
    return re.sub(r"[^A-Za-z0-9_.-]", "-", raw)


def run_container(
    daemon: Daemon,
    image: str,
    *,
    home: Path,
    endpoint: str,
    deployment: str,
    environment: dict[str, str],
    socket_folder: Path,
    workers: int = 1,
) -> RunningContainer:
    """Start the image detached, host network, serving on a unix socket in `socket_folder`, labelled."""
    from docker.errors import DockerException

    socket_folder.chmod(0o777)  # the image's user creates its socket there
    (socket_folder / server.SOCKET_NAME).unlink(missing_ok=True)  # only the new server may answer there
    env = dict(environment)
    env["GUNICORN_CMD_ARGS"] = gunicorn_args(f"unix:{SOCKET_MOUNT}/{server.SOCKET_NAME}", workers)
    labels = {
        LABEL_KIND: KIND,
        LABEL_HOME: str(home.resolve()),
        LABEL_ENDPOINT: endpoint,
        LABEL_DEPLOYMENT: deployment,
    }
    try:
        container = daemon.client.containers.run(
            image,
            detach=True,
            name=_name(endpoint, deployment),
            network_mode="host",
            environment=env,
            labels=labels,
            volumes={str(socket_folder): {"bind": SOCKET_MOUNT, "mode": "rw"}},
        )
        container.reload()
    except DockerException as exc:
        raise AzError(f"docker could not start a container from {image}: {exc}") from None
    pid = int((container.attrs.get("State") or {}).get("Pid") or 0)
    ticks = (process_start_ticks(pid) or 0) if pid else 0
    socket = socket_folder / server.SOCKET_NAME
    return RunningContainer(str(container.id), str(container.name), socket, pid, ticks)


def _get(daemon: Daemon, container_id: str) -> Any | None:
    from docker.errors import NotFound

    try:
        return daemon.client.containers.get(container_id)
    except NotFound:
        return None


def logs(daemon: Daemon, container_id: str, lines: int = 0) -> str:
    """The container's stdout+stderr (the last `lines` lines, or all); empty when it is gone."""
    container = _get(daemon, container_id)
    if container is None:
        return ""
    raw = container.logs(stdout=True, stderr=True, tail=lines if lines > 0 else "all")
    return bytes(raw).decode("utf-8", errors="replace")


def wait_healthy(daemon: Daemon, started: RunningContainer, timeout: float = 180.0) -> float:
    """Seconds until GET / answers 200 (the server says `Healthy`); raises with the log if it exits."""
    begun = time.monotonic()
    while time.monotonic() - begun < timeout:
        container = _get(daemon, started.container_id)
        if container is None or container.status in ("exited", "dead"):
            tail = logs(daemon, started.container_id, 40).rstrip()
            raise AzError(
                f"the scoring container {started.name} exited before becoming healthy",
                hint=f"container log:\n{tail}" if tail else "the container left no log",
            )
        if loopback.answers(started.socket):
            return time.monotonic() - begun
        time.sleep(0.25)
    tail = logs(daemon, started.container_id, 40).rstrip()
    raise AzError(
        f"the scoring container {started.name} did not answer on {started.socket} within {int(timeout)} s",
        hint=f"container log:\n{tail}",
    )


def remove(daemon: Daemon, container_id: str, log_path: Path | None = None, grace: int = 10) -> bool:
    """Stop (SIGTERM, then SIGKILL after `grace` s) and remove; keeps its log in `log_path` first."""
    from docker.errors import DockerException

    container = _get(daemon, container_id)
    if container is None:
        return False
    was_running = bool(container.status == "running")
    if log_path is not None:
        try:
            log_path.parent.mkdir(parents=True, exist_ok=True)
            log_path.write_bytes(bytes(container.logs(stdout=True, stderr=True)))
        except (OSError, DockerException):
            pass
    try:
        if was_running:
            container.stop(timeout=grace)
        container.remove(force=True)
    except DockerException:
        try:
            container.remove(force=True)
        except DockerException:
            return False
    return was_running


def container_of_pid(pid: int) -> str | None:
    """The Docker container id a host process belongs to (from its cgroup), if it is in one."""
    try:
        text = Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return None
    if "docker" not in text:
        return None
    found = _CONTAINER_ID_RE.findall(text)
    return found[-1] if found else None


def daemon_for(record_local: dict[str, Any]) -> Daemon | None:
    """The daemon that runs a deployment's container (its recorded DOCKER_HOST), if it answers.

    Used to clean up, so it ignores MLOPS_DOCKER=off: containers started earlier must still go.
    """
    host = str(record_local.get("docker_host") or docker_host())
    try:
        daemon, _ = connect(host)
    except AzError:
        return None
    return daemon


def stop_by_pid(pid: int) -> bool:
    """Remove the emulator's container whose main process is `pid` (for callers that only know pids)."""
    container_id = container_of_pid(pid)
    if container_id is None:
        return False
    daemon = daemon_for({})
    if daemon is None:
        return False
    container = _get(daemon, container_id)
    if container is None or (container.labels or {}).get(LABEL_KIND) != KIND:
        return False
    return bool(remove(daemon, container_id))


def list_containers(daemon: Daemon, home: Path | None = None) -> list[Any]:
    """The emulator's deployment containers (of one state folder when `home` is given), any status."""
    labels = [f"{LABEL_KIND}={KIND}"]
    if home is not None:
        labels.append(f"{LABEL_HOME}={home.resolve()}")
    return list(daemon.client.containers.list(all=True, filters={"label": labels}))


def remove_all(home: Path | None = None) -> list[str]:
    """Remove every deployment container of the state folder `home` (or all of the emulator's)."""
    daemon = daemon_for({})
    if daemon is None:
        return []
    removed = []
    for container in list_containers(daemon, home):
        labels = container.labels or {}
        remove(daemon, str(container.id))
        removed.append(f"{labels.get(LABEL_ENDPOINT)}/{labels.get(LABEL_DEPLOYMENT)}")
    return removed
