"""Team mode: several state folders (engineers, CI runs) share one MLflow registry on PostgreSQL.

A team runs `mlflow server --backend-store-uri postgresql://…` and everyone sets MLFLOW_TRACKING_URI to
it: models registered from two state folders at once land in one registry with distinct versions, and
jobs log to that server (the emulator hands them the team's URI, as Azure ML hands its workspace's).
MLFLOW_TRACKING_URI may also name the database itself: the emulator then serves it to jobs through its
own tracking server.

Needs a PostgreSQL server: MLOPS_TEST_POSTGRES_URI (CI starts one with scripts/test-postgres.sh and sets
MLOPS_REQUIRE_POSTGRES=1, which turns a missing one into a failure).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from emulator.azureml import write_az_shim
from emulator.azureml.compute import tracking_server
from emulator.azureml.compute.loopback import free_port
from emulator.azureml.context import Context
from emulator.processes import kill_group

REPO = Path(__file__).resolve().parents[2]
HOW = (
    "set MLOPS_TEST_POSTGRES_URI=postgresql://USER@127.0.0.1:PORT/DB to run the team-mode tests, e.g. "
    '`eval "$(bash scripts/test-postgres.sh start)"` (a throwaway cluster; '
    '`bash scripts/test-postgres.sh stop "$MLOPS_TEST_POSTGRES_DIR"` removes it)'
)
MLMODEL = "artifact_path: model\nflavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"


def _server_uri() -> str:
    uri = os.environ.get("MLOPS_TEST_POSTGRES_URI")
    if uri:
        return uri
    if os.environ.get("MLOPS_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"MLOPS_REQUIRE_POSTGRES=1 but no PostgreSQL: {HOW}")
    pytest.skip(f"no PostgreSQL: {HOW}")


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    """A new database on the test server: the URI of a PostgreSQL database of this module's own."""
    import psycopg

    server = _server_uri()
    name = f"mlops_team_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(server, autocommit=True)
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE DATABASE "{name}"')
    base, _, _ = server.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with admin.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


def _wait(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text(errors="replace")
        try:
            with urllib.request.urlopen(url + "/health", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.5)
    raise AssertionError(f"the team server did not start:\n{log.read_text(errors='replace')}")


@pytest.fixture(scope="module")
def team_server(database: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The team's MLflow server: a real `mlflow server` on the PostgreSQL database, on 127.0.0.1."""
    folder = tmp_path_factory.mktemp("team")
    port = free_port()
    log = folder / "server.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    # a registry server: no queue of GenAI jobs (MLflow 3 would start seven more processes for it)
    env["MLFLOW_SERVER_ENABLE_JOB_EXECUTION"] = "false"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mlflow",
                "server",
                "--backend-store-uri",
                database,
                "--artifacts-destination",
                str(folder / "artifacts"),
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--workers",
                "2",
            ],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(url, proc, log)
        yield url
    finally:
        kill_group(proc.pid, grace=30.0, proc=proc)  # the server and its workers


@pytest.fixture(scope="module")
def az_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("bin")
    write_az_shim(folder)
    return folder


def _az(az_bin: Path, home: Path, tracking: str, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")}
    env.update(
        PATH=f"{az_bin}{os.pathsep}{env.get('PATH', '')}",
        MLOPS_HOME=str(home),
        MLFLOW_TRACKING_URI=tracking,
        MLFLOW_DISABLE_TELEMETRY="true",
        MLOPS_JOB_ENV_MANAGER="local",
    )
    return subprocess.run(["az", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_two_state_folders_register_into_one_registry_concurrently(
    team_server: str, az_bin: Path, tmp_path: Path
) -> None:
    model = tmp_path / "model"
    model.mkdir()
    (model / "MLmodel").write_text(MLMODEL, encoding="utf-8")
    homes = [tmp_path / "alice", tmp_path / "ci"]
    for home in homes:
        _az(az_bin, home, team_server, "configure", "--defaults", "group=rg", "workspace=ws", cwd=tmp_path)

    def register(home: Path) -> subprocess.CompletedProcess[str]:
        return _az(
            az_bin,
            home,
            team_server,
            "ml",
            "model",
            "create",
            "--name",
            "shared-model",
            "--path",
            str(model),
            "--type",
            "mlflow_model",
            "--query",
            "version",
            "-o",
            "tsv",
            cwd=tmp_path,
        )

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(register, homes * 3))
    assert all(r.returncode == 0 for r in results), [r.stderr for r in results]
    versions = sorted(int(r.stdout.strip()) for r in results)
    assert versions == [1, 2, 3, 4, 5, 6]  # distinct: the registry is one

    for home in homes:  # either state folder sees every version
        listed = _az(
            az_bin,
            home,
            team_server,
            "ml",
            "model",
            "list",
            "-n",
            "shared-model",
            "--query",
            "[].version",
            "-o",
            "tsv",
            cwd=tmp_path,
        )
        assert sorted(int(v) for v in listed.stdout.split()) == versions

    from mlflow.tracking import MlflowClient

    assert len(MlflowClient(team_server).search_model_versions("name = 'shared-model'")) == 6


def test_jobs_log_to_the_team_server(team_server: str, az_bin: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "log.py").write_text(
        "import mlflow\nmlflow.start_run()\nmlflow.log_metric('team metric', 0.75)\nmlflow.end_run()\n",
        encoding="utf-8",
    )
    (tmp_path / "job.yml").write_text(
        "command: python log.py\ncode: src\nexperiment_name: team-exp\n"
        "environment:\n  image: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n",
        encoding="utf-8",
    )
    _az(az_bin, home, team_server, "configure", "--defaults", "group=rg", "workspace=ws", cwd=tmp_path)
    created = _az(
        az_bin, home, team_server, "ml", "job", "create", "-f", "job.yml", "-o", "json", cwd=tmp_path
    )
    assert created.returncode == 0, created.stderr
    import json

    job = json.loads(created.stdout)
    assert job["services"]["Tracking"]["endpoint"] == team_server  # handed over as is
    assert tracking_server.running_server(Context(home)) is None  # no server of its own

    from mlflow.tracking import MlflowClient

    run = MlflowClient(team_server).get_run(job["properties"]["mlflow.runId"])
    assert run.data.metrics["team metric"] == 0.75 and run.info.status == "FINISHED"


def test_a_database_uri_is_served_to_jobs_by_the_emulators_own_server(
    database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", database)
    ctx = Context(tmp_path / "home")
    from emulator.azureml.assets import tracking

    experiment = tracking.experiment_id(ctx, tracking.client(ctx), "direct-on-postgres")
    server = tracking_server.ensure_server(ctx)
    try:
        assert server.backend == database
        assert tracking_server.job_tracking_uri(ctx, tmp_path / "no-python") == database  # no MLflow: direct
        from mlflow.tracking import MlflowClient

        seen = MlflowClient(server.uri).get_experiment_by_name("direct-on-postgres")
        assert seen is not None and seen.experiment_id == experiment
        assert seen.artifact_location.startswith((ctx.mlflow_artifacts).as_uri())  # not ./mlruns
    finally:
        assert tracking_server.stop_server(ctx)
