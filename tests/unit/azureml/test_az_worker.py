"""The resident `az` worker, from the outside: the real shim as a subprocess, one worker per state folder.

Each call must behave as the process it replaces: its own environment, working directory, streams,
exit code and signals, and it must die with its caller.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator.azureml import write_az_shim
from emulator.azureml.resident import client
from emulator.processes import process_alive

JOB = """\
$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json
command: echo "$$" > {pidfile} && sleep 120
environment:
  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04
"""


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_az_shim(tmp_path_factory.mktemp("bin"))


@pytest.fixture
def state(tmp_path: Path) -> Iterator[Path]:
    home = tmp_path / "state"
    yield home
    client.stop_workers(home)


def environment(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MLFLOW_", "MLOPS_AZ_WORKER"))}
    env.update(MLOPS_HOME=str(home), MLFLOW_DISABLE_TELEMETRY="true", MLOPS_JOB_ENV_MANAGER="local")
    env.update(extra)
    return env


def az(
    shim: Path, home: Path, *args: str, cwd: Path | None = None, **extra: str
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(shim), *args],
        cwd=cwd or home.parent,
        env=environment(home, **extra),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def sockets(home: Path) -> list[Path]:
    return sorted(client.worker_dir(home).glob("az-*.sock"))


def worker_pid(home: Path) -> int:
    """The pid of the worker serving `home`, from its log."""
    [log] = client.worker_dir(home).glob("az-*.log")
    match = re.search(r"\(pid (\d+)\), forked by the zygote", log.read_text())
    assert match, log.read_text()
    return int(match.group(1))


def wait_for(condition: object, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return True
        time.sleep(0.1)
    return False


def test_calls_share_one_private_worker_that_keeps_exit_codes_and_streams(
    shim: Path, state: Path, tmp_path: Path
) -> None:
    no_zygote = tmp_path / "runtime"  # a user whose zygote does not listen (yet)
    no_zygote.mkdir()
    light = az(
        shim, state, "configure", "--defaults", "group=rg", "workspace=ws", XDG_RUNTIME_DIR=str(no_zygote)
    )
    assert light.returncode == 0 and not sockets(state)  # needs no azure-ai-ml: ran in its own process
    first = az(shim, state, "ml", "compute", "list")
    assert first.returncode == 0 and first.stdout.strip() == "[]", first.stderr
    [socket] = sockets(state)
    assert stat.S_IMODE(socket.stat().st_mode) == 0o600
    assert stat.S_IMODE(client.worker_dir(state).stat().st_mode) == 0o700
    inode = socket.stat().st_ino
    listed = az(shim, state, "configure", "--list-defaults", "--query", "[].name", "-o", "tsv")
    assert listed.returncode == 0 and listed.stdout.split() == ["group", "workspace"]
    bad = az(shim, state, "ml", "jbo", "list")
    assert bad.returncode == 2 and bad.stdout == "" and "did you mean 'ml job list'?" in bad.stderr
    assert [p.stat().st_ino for p in sockets(state)] == [inode]  # the same worker served every call


def test_a_light_call_starts_the_worker_once_the_zygote_listens(
    shim: Path, state: Path, tmp_path: Path
) -> None:
    other = tmp_path / "other"
    try:
        az(shim, other, "ml", "compute", "list", "-g", "rg", "-w", "ws")  # the zygote listens from now on
        assert len(sockets(other)) == 1
        light = az(shim, state, "configure", "--defaults", "group=rg", "workspace=ws")
        assert light.returncode == 0 and len(sockets(state)) == 1  # the job's later calls find it warm
    finally:
        client.stop_workers(other)


def test_each_call_sees_its_own_environment_directory_and_tracking_uri(
    shim: Path, state: Path, tmp_path: Path
) -> None:
    az(shim, state, "configure", "--defaults", "group=rg", "workspace=ws")
    for name in ("one", "two"):
        folder = tmp_path / name
        (folder / "model").mkdir(parents=True)
        (folder / "model" / "weights.txt").write_text(name)
        (folder / "environment.yml").write_text(f"name: env-{name}\nimage: python:3.11-slim\n")
    uris = {name: f"sqlite:///{tmp_path / name / 'mlflow.db'}" for name in ("one", "two")}
    for name, uri in uris.items():
        shown = az(
            shim,
            state,
            "ml",
            "workspace",
            "show",
            "--query",
            "mlflow_tracking_uri",
            "-o",
            "tsv",
            MLFLOW_TRACKING_URI=uri,
        )
        assert shown.stdout.strip() == uri
        made = az(shim, state, "ml", "environment", "create", "-f", "environment.yml", cwd=tmp_path / name)
        assert made.returncode == 0, made.stderr
    created = az(
        shim,
        state,
        "ml",
        "model",
        "create",
        "-n",
        "m",
        "--path",
        "model",
        "--type",
        "custom_model",
        cwd=tmp_path / "one",
        MLFLOW_TRACKING_URI=uris["one"],
    )
    assert created.returncode == 0, created.stderr
    models = {
        name: az(
            shim, state, "ml", "model", "list", "--query", "[].name", "-o", "tsv", MLFLOW_TRACKING_URI=uri
        ).stdout.split()
        for name, uri in uris.items()
    }
    assert models == {"one": ["m"], "two": []}
    names = az(shim, state, "ml", "environment", "list", "--query", "[].name", "-o", "tsv").stdout.split()
    assert sorted(names) == ["env-one", "env-two"]
    assert len(sockets(state)) == 1


def test_the_callers_terminal_is_the_calls_stdin(shim: Path, state: Path) -> None:
    az(shim, state, "configure", "--defaults", "group=rg", "workspace=ws")
    az(shim, state, "ml", "compute", "create", "-n", "gpu", "--size", "Standard_NC6")
    main, secondary = pty.openpty()
    try:
        os.write(main, b"y\n")
        done = subprocess.run(
            [str(shim), "ml", "compute", "delete", "-n", "gpu"],
            stdin=secondary,
            env=environment(state),
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        os.close(main)
        os.close(secondary)
    assert done.returncode == 0, done.stderr
    assert "Are you sure you want to delete compute gpu?" in done.stderr
    assert az(shim, state, "ml", "compute", "show", "-n", "gpu").returncode == 1


def _start_job(shim: Path, state: Path, tmp_path: Path) -> tuple[subprocess.Popen[str], int]:
    az(shim, state, "configure", "--defaults", "group=rg", "workspace=ws")
    pidfile = tmp_path / "job.pid"
    (tmp_path / "job.yml").write_text(JOB.format(pidfile=pidfile))
    caller = subprocess.Popen(
        [str(shim), "ml", "job", "create", "-f", "job.yml"],
        cwd=tmp_path,
        text=True,
        env=environment(state),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert wait_for(lambda: pidfile.is_file() and pidfile.read_text().strip(), 120), caller.stderr
    return caller, int(pidfile.read_text())


def test_sigterm_to_the_caller_cancels_the_call_and_its_job(shim: Path, state: Path, tmp_path: Path) -> None:
    caller, job = _start_job(shim, state, tmp_path)
    caller.send_signal(signal.SIGTERM)
    _, stderr = caller.communicate(timeout=60)
    assert caller.returncode == 130 and "interrupted" in stderr
    assert wait_for(lambda: not process_alive(job), 60)


def test_a_killed_caller_takes_its_call_and_job_down(shim: Path, state: Path, tmp_path: Path) -> None:
    """kill -9 of a step (its process group) must not leave the call running in the worker."""
    caller, job = _start_job(shim, state, tmp_path)
    caller.kill()
    caller.wait()
    assert wait_for(lambda: not process_alive(job), 60)
    records = list((state / "azureml" / "jobs").glob("*/job.json"))
    assert wait_for(lambda: json.loads(records[0].read_text())["status"] == "Failed", 60)


def test_concurrent_first_calls_start_one_worker(shim: Path, state: Path) -> None:
    """A run about to call az starts this user's zygote in the background (`prestart`); calls that
    come while it imports wait for it, and it forks one worker for the state folder."""
    client.prestart()
    results: list[int] = []

    def call() -> None:
        results.append(az(shim, state, "ml", "workspace", "list").returncode)

    threads = [threading.Thread(target=call) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [0, 0, 0, 0] and len(sockets(state)) == 1
    [log] = client.worker_dir(state).glob("az-*.log")
    assert "forked by the zygote" in log.read_text()
    assert client.zygote_path(client.fingerprint()).exists()


def test_the_worker_leaves_when_idle_when_asked_and_with_its_state_folder(shim: Path, tmp_path: Path) -> None:
    idle = tmp_path / "idle"
    assert az(shim, idle, "ml", "workspace", "list", MLOPS_AZ_WORKER_IDLE="1").returncode == 0
    assert wait_for(lambda: not sockets(idle), 30)

    asked = tmp_path / "asked"
    assert az(shim, asked, "ml", "workspace", "list").returncode == 0 and sockets(asked)
    assert client.stop_workers(asked) == 1 and not sockets(asked)

    removed = tmp_path / "removed"
    assert az(shim, removed, "ml", "workspace", "list").returncode == 0
    pid = worker_pid(removed)
    shutil.rmtree(removed)
    assert wait_for(lambda: not process_alive(pid), 30)


def test_a_worker_of_other_code_never_serves(shim: Path, state: Path) -> None:
    """A worker started by an older checkout listens under its own fingerprint; the client's is new."""
    folder = client.worker_dir(state)
    folder.mkdir(parents=True)
    stale = subprocess.Popen(
        [sys.executable, "-m", "emulator.azureml.resident.server", str(state), "0" * 16],
        env=environment(state),
        start_new_session=True,
    )
    try:
        assert wait_for(lambda: (folder / f"az-{'0' * 16}.sock").exists(), 120)
        assert az(shim, state, "ml", "workspace", "list").returncode == 0
        expected = sorted([f"az-{'0' * 16}.sock", f"az-{client.fingerprint()}.sock"])
        assert [p.name for p in sockets(state)] == expected
        assert client.stop_workers(state) == 2
        assert stale.wait(timeout=30) == 0
    finally:
        stale.kill()


def test_without_a_worker_the_call_runs_in_process(shim: Path, state: Path) -> None:
    off = az(shim, state, "account", "show", "--query", "state", "-o", "tsv", MLOPS_AZ_WORKER="off")
    assert off.stdout == "Enabled\n" and not sockets(state)
    runtime = state.parent / "runtime"  # this test's own zygote folder, with a zygote that cannot start
    (runtime / "mlops-emulator").mkdir(parents=True)
    (runtime / "mlops-emulator" / f"zygote-{client.fingerprint()}.failed").touch()
    failed = az(shim, state, "ml", "workspace", "list", "-o", "tsv", XDG_RUNTIME_DIR=str(runtime))
    assert failed.returncode == 0 and not sockets(state)


def test_the_worker_forks_without_threads() -> None:
    code = (
        "import threading; from emulator.azureml.resident.server import preload; preload(); "
        "print(threading.active_count())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
        env={**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"},
    )
    assert done.stdout.strip() == "1"
