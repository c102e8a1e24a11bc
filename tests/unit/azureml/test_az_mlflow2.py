"""A job whose environment pins MLflow 2 logs through the state folder's tracking server, and the MLflow
model it registers is deployed without code (Azure ML's no-code deployment) and answers Azure's
request contract for MLflow models.

The environment pins what mlops-v2's taxi model pins (mlflow 2.9.2 cannot open the emulator's MLflow 3
sqlite store: it must get an HTTP tracking URI), so the deployment's environment, built from the
model's own conda.yaml, is the one the real-world test builds too (one cached build for both).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import AzRunner, make_runner

from emulator.azureml.compute import tracking_server
from emulator.azureml.context import Context
from emulator.processes import is_running
from emulator.store.paths import mlflow_tracking_uri

PINS = [
    "mlflow==2.9.2",
    "scikit-learn==1.5.2",
    "numpy==1.26.4",
    "cloudpickle==3.1.0",
    "pyarrow==14.0.2",
    "scipy==1.14.0",
]
COLUMNS = ["distance", "passengers", "hour"]

TRAIN = f"""
import mlflow, mlflow.sklearn, numpy as np, pandas as pd
from sklearn.linear_model import LinearRegression

rng = np.random.default_rng(0)
frame = pd.DataFrame(rng.uniform(0, 10, size=(60, 3)), columns={COLUMNS!r})
target = 2.5 + 2.0 * frame["distance"] + 0.5 * frame["passengers"]
mlflow.start_run()  # attaches to the run Azure ML (the emulator) created for the job
model = LinearRegression().fit(frame, target)
mlflow.log_param("model", "LinearRegression")
mlflow.log_metric("train r2", float(model.score(frame, target)))
mlflow.sklearn.log_model(model, "taxi-like", pip_requirements={PINS!r},
                         signature=mlflow.models.infer_signature(frame, model.predict(frame)))
mlflow.register_model(f"runs:/{{mlflow.active_run().info.run_id}}/taxi-like", "taxi-like")
mlflow.end_run()
print("mlflow", mlflow.__version__)
"""


def _project(folder: Path) -> Path:
    (folder / "src").mkdir(parents=True)
    (folder / "src" / "train.py").write_text(TRAIN, encoding="utf-8")
    pins = "".join(f"      - {pin}\n" for pin in [*PINS, "pandas==2.2.3"])
    (folder / "conda.yml").write_text(
        f"dependencies:\n  - python=3.11\n  - pip\n  - pip:\n{pins}", encoding="utf-8"
    )
    (folder / "env.yml").write_text(
        "name: mlflow2-env\nimage: mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04\n"
        "conda_file: conda.yml\n",
        encoding="utf-8",
    )
    (folder / "job.yml").write_text(
        "$schema: https://azuremlschemas.azureedge.net/latest/commandJob.schema.json\n"
        "command: python train.py\ncode: src\nenvironment: azureml:mlflow2-env@latest\n"
        "experiment_name: mlflow2\n",
        encoding="utf-8",
    )
    (folder / "endpoint.yml").write_text("name: taxi-like\nauth_mode: key\n", encoding="utf-8")
    (folder / "deployment.yml").write_text(  # no environment, no code_configuration
        "name: blue\nendpoint_name: taxi-like\nmodel: azureml:taxi-like@latest\n"
        "instance_type: Standard_DS3_v2\ninstance_count: 1\n",
        encoding="utf-8",
    )
    return folder


@pytest.fixture(scope="module")
def deployed(
    tmp_path_factory: pytest.TempPathFactory, az_bin: Path, env_cache: Path
) -> Iterator[tuple[AzRunner, Path, dict[str, object]]]:
    root = tmp_path_factory.mktemp("mlflow2")
    home = root / "state"
    project = _project(root / "project")
    az = make_runner(az_bin, home, env_cache)
    isolated = {"MLOPS_JOB_ENV_MANAGER": "isolated"}
    az("configure", "--defaults", "group=rg", "workspace=ws", cwd=project)
    az("ml", "environment", "create", "--file", "env.yml", cwd=project)
    job = az("ml", "job", "create", "--file", "job.yml", cwd=project, env=isolated, timeout=1200).json()
    az("ml", "online-endpoint", "create", "--file", "endpoint.yml", cwd=project)
    az(
        "ml",
        "online-deployment",
        "create",
        "--file",
        "deployment.yml",
        "--all-traffic",
        cwd=project,
        timeout=1200,
    )
    try:
        yield az, project, job
    finally:
        from emulator.azureml.serving.endpoints import stop_all_endpoints

        stop_all_endpoints(home)
        tracking_server.stop_server(Context(home))


def test_a_job_pinning_mlflow_2_logs_through_the_tracking_server(
    deployed: tuple[AzRunner, Path, dict[str, object]],
) -> None:
    az, project, job = deployed
    home = project.parent / "state"
    server = tracking_server.running_server(Context(home))
    assert server is not None and job["services"]["Tracking"]["endpoint"] == server.uri  # type: ignore[index]
    log = az("ml", "job", "stream", "-n", str(job["name"]), cwd=project).stdout
    assert "mlflow 2.9.2" in log

    from mlflow.tracking import MlflowClient

    client = MlflowClient(mlflow_tracking_uri(home))  # the emulator's own MLflow 3 sees what MLflow 2 wrote
    run = client.get_run(job["properties"]["mlflow.runId"])  # type: ignore[index]
    assert run.data.params["model"] == "LinearRegression" and run.data.metrics["train r2"] > 0.99
    [version] = client.search_model_versions("name = 'taxi-like'")
    assert version.run_id == run.info.run_id

    shown = az("ml", "model", "show", "-n", "taxi-like", "-l", "latest", cwd=project).json()
    assert shown["type"] == "mlflow_model" and shown["version"] == "1"
    assert set(shown["flavors"]) == {"python_function", "sklearn"}


def test_concurrent_jobs_share_one_server(deployed: tuple[AzRunner, Path, dict[str, object]]) -> None:
    _, project, _ = deployed
    ctx = Context(project.parent / "state")
    first = tracking_server.running_server(ctx)
    assert first is not None
    found: list[tracking_server.TrackingServer] = []
    threads = [
        threading.Thread(target=lambda: found.append(tracking_server.ensure_server(ctx))) for _ in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {s.pid for s in found} == {first.pid}  # reused, not started again
    assert json.loads((ctx.home / "mlflow-server.json").read_text())["backend"].startswith("sqlite:///")


@pytest.mark.parametrize(
    ("payload", "rows"),
    [
        ({"input_data": {"columns": COLUMNS, "index": [0, 1], "data": [[1.0, 1, 3], [3.0, 2, 4]]}}, 2),
        ({"input_data": [[1.0, 1, 3], [3.0, 2, 4], [0.5, 1, 1]]}, 3),  # a list: the signature names columns
        ({"input_data": {"columns": COLUMNS, "index": [7], "data": [[2.0, 4, 9]]}, "params": {}}, 1),
    ],
)
def test_the_no_code_deployment_answers_azures_mlflow_contract(
    deployed: tuple[AzRunner, Path, dict[str, object]], payload: dict[str, object], rows: int
) -> None:
    az, project, _ = deployed
    request = project / "request.json"
    request.write_text(json.dumps(payload), encoding="utf-8")
    answer = az(
        "ml", "online-endpoint", "invoke", "-n", "taxi-like", "--request-file", str(request), cwd=project
    ).json()
    predictions = json.loads(answer) if isinstance(answer, str) else answer
    assert isinstance(predictions, list) and len(predictions) == rows
    first = payload["input_data"]
    data = first["data"] if isinstance(first, dict) else first  # type: ignore[index]
    assert predictions[0] == pytest.approx(2.5 + 2.0 * data[0][0] + 0.5 * data[0][1], abs=1e-6)


def test_the_no_code_deployment_refuses_a_request_without_input_data(
    deployed: tuple[AzRunner, Path, dict[str, object]],
) -> None:
    az, project, _ = deployed
    request = project / "bad.json"
    request.write_text(json.dumps({"data": [[1.0, 1, 3]]}), encoding="utf-8")
    answer = az(
        "ml",
        "online-endpoint",
        "invoke",
        "-n",
        "taxi-like",
        "--request-file",
        str(request),
        cwd=project,
        check=False,
    )
    assert answer.code != 0 and "input_data" in answer.stdout + answer.stderr
    shown = az("ml", "online-deployment", "show", "-n", "blue", "-e", "taxi-like", cwd=project).json()
    assert shown["emulator"]["running"] and shown["code_configuration"]["scoring_script"] == "mlflow_score.py"


def test_mlops_down_stops_the_endpoints_and_the_tracking_server(
    deployed: tuple[AzRunner, Path, dict[str, object]],
) -> None:
    _, project, _ = deployed
    ctx = Context(project.parent / "state")
    server = tracking_server.running_server(ctx)
    assert server is not None
    env = {**os.environ, "MLOPS_HOME": str(ctx.home), "MLFLOW_DISABLE_TELEMETRY": "true"}
    down = subprocess.run(
        [sys.executable, "-m", "emulator", "down"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert down.returncode == 0, down.stderr
    assert "taxi-like/blue" in down.stdout and "Stopped the MLflow tracking server" in down.stdout
    assert not is_running(server.pid, server.start_ticks) and tracking_server.running_server(ctx) is None
