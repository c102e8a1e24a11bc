"""`az ml job create/show/list`: command jobs run locally with the MLflow binding Azure ML provides."""

from __future__ import annotations

import os
import re
import subprocess
import time
from pathlib import Path

import pytest
from conftest import FIXTURES, AzRunner, serving_conda

from emulator.store.paths import mlflow_tracking_uri


def test_job_runs_records_outputs_and_binds_mlflow(az_ws: AzRunner, home: Path) -> None:
    job = az_ws("ml", "job", "create", "--file", "job/job.yml").json()
    name = job["name"]
    assert re.fullmatch(r"[a-z]+_[a-z]+_[a-z0-9]{10}", name)
    assert job["status"] == "Completed" and job["type"] == "command"
    assert job["experiment_name"] == "fixture-experiment" and job["display_name"] == "fixture-train"
    assert job["id"].startswith("azureml:/subscriptions/") and job["id"].endswith(f"/jobs/{name}")
    assert job["outputs"]["model"]["path"] == f"azureml://jobs/{name}/outputs/model"
    assert job["inputs"]["C"] == "0.5" and job["tags"] == {"purpose": "test"}
    assert job["services"]["Tracking"]["endpoint"].startswith("sqlite:///")

    folder = home / "azureml" / "jobs" / name
    assert (folder / "outputs" / "model" / "MLmodel").is_file()  # the script wrote to ${{outputs.model}}
    assert (folder / "code" / "train.py").is_file()  # the code snapshot
    log = (folder / "user_logs" / "std_log.txt").read_text()
    assert "greeting=hello-from-job" in log  # environment_variables reach the command
    assert "--fail" not in job["properties"]["emulator.command"]  # optional $[[...]] dropped

    from mlflow.tracking import MlflowClient

    client = MlflowClient(mlflow_tracking_uri(home))
    run = client.get_run(job["properties"]["mlflow.runId"])
    assert run.info.run_name == name and run.info.status == "FINISHED"
    assert "accuracy" in run.data.metrics and run.data.params["C"] == "0.5"
    assert client.get_experiment(run.info.experiment_id).name == "fixture-experiment"

    shown = az_ws("ml", "job", "show", "-n", name, "--query", "[name, status]", "-o", "tsv").stdout
    assert shown == f"{name}\nCompleted\n"  # a list prints one item per line, as az does
    assert az_ws("ml", "job", "list", "--query", "[].name", "-o", "tsv").stdout == f"{name}\n"


def test_stream_with_query_keeps_stdout_to_the_value(az_ws: AzRunner) -> None:
    result = az_ws(
        "ml",
        "job",
        "create",
        "-f",
        "job/job.yml",
        "--name",
        "my_job_1",
        "--stream",
        "--set",
        "experiment_name=other",
        "--query",
        "name",
        "-o",
        "tsv",
    )
    assert result.stdout == "my_job_1\n"
    assert "saved model" in result.stderr  # the streamed log went to stderr
    assert (
        az_ws("ml", "job", "show", "-n", "my_job_1", "--query", "experiment_name", "-o", "tsv").stdout
        == "other\n"
    )
    again = az_ws("ml", "job", "create", "-f", "job/job.yml", "--name", "my_job_1", check=False)
    assert again.code == 1 and "already exists" in again.stderr


def test_stream_without_query_writes_log_then_json(az_ws: AzRunner, tmp_path: Path) -> None:
    result = az_ws("ml", "job", "create", "-f", "job/job.yml", "--stream", "--experiment-name", "exp2")
    log, _, document = result.stdout.partition("saved model\n")
    assert "accuracy=" in log and '"status": "Completed"' in document


def test_failed_job_exits_1_and_is_recorded(az_ws: AzRunner) -> None:
    result = az_ws(
        "ml",
        "job",
        "create",
        "-f",
        "job/job.yml",
        "-n",
        "failing_job",
        "--set",
        "inputs.fail=yes",
        check=False,
    )
    assert result.code == 1 and result.stdout == ""
    error = result.stderr[result.stderr.index("ERROR: ") :]  # warnings may come first
    assert "Job failing_job failed" in error
    assert "failing on purpose" in error and "Traceback" not in error
    assert (
        az_ws("ml", "job", "show", "-n", "failing_job", "--query", "status", "-o", "tsv").stdout == "Failed\n"
    )


def test_undeclared_input_in_command_is_located(az_ws: AzRunner, home: Path) -> None:
    result = az_ws("ml", "job", "create", "-f", "job/job-undeclared.yml", check=False)
    assert result.code == 1
    first = result.stderr.splitlines()[0]
    assert f"{FIXTURES / 'job' / 'job-undeclared.yml'}:5:41:" in first
    assert "${{inputs.regularisation}}" in first and "declared: training_data" in first
    assert not (home / "azureml" / "jobs").exists()  # nothing ran


def test_default_experiment_is_the_working_directory_name(az_ws: AzRunner, tmp_path: Path) -> None:
    work = tmp_path / "my-repo"
    (work / "src").mkdir(parents=True)
    (work / "src" / "hello.sh").write_text('echo hi > "$1/out.txt"\n')
    (work / "job.yml").write_text(
        "command: bash hello.sh ${{outputs.out}}\ncode: src\nenvironment: azureml:e@latest\n"
        "outputs:\n  out:\n    type: uri_folder\n"
    )
    job = az_ws("ml", "job", "create", "-f", "job.yml", cwd=work).json()
    assert job["experiment_name"] == "my-repo"
    assert Path(job["outputs"]["out"]["local_path"], "out.txt").read_text() == "hi\n"


def test_show_unknown_job(az_ws: AzRunner) -> None:
    result = az_ws("ml", "job", "show", "-n", "nope", check=False)
    assert result.code == 1 and "job 'nope' was not found" in result.stderr


def test_data_asset_and_mltable_inputs(az_ws: AzRunner, tmp_path: Path) -> None:
    (tmp_path / "table").mkdir()
    (tmp_path / "table" / "part.csv").write_text("a\n1\n")
    (tmp_path / "table" / "MLTable").write_text("paths:\n  - file: ./part.csv\n")
    az_ws("ml", "data", "create", "-n", "rows", "-p", str(FIXTURES / "job" / "data.csv"), "-t", "uri_file")
    az_ws("ml", "data", "create", "-n", "table", "-p", "table", "-t", "mltable", cwd=tmp_path)
    (tmp_path / "job.yml").write_text(
        "command: wc -l < ${{inputs.rows}} && ls ${{inputs.table}}\n"
        "inputs:\n"
        "  rows: {type: uri_file, path: azureml:rows:1}\n"
        "  table: {type: mltable, path: azureml:table@latest}\n"
        "environment: azureml:e@latest\n"
    )
    job = az_ws("ml", "job", "create", "-f", "job.yml", "--stream", cwd=tmp_path)
    assert "41\nMLTable\npart.csv\n" in job.stdout
    (tmp_path / "bad.yml").write_text(
        "command: echo ${{inputs.t}}\ninputs:\n  t:\n    type: mltable\n    path: .\n"
        "environment: azureml:e:1\n"
    )
    bad = az_ws("ml", "job", "create", "-f", "bad.yml", cwd=tmp_path, check=False)
    assert (
        bad.code == 1 and "bad.yml:5:11" in bad.stderr and "needs a folder holding an MLTable" in bad.stderr
    )
    (tmp_path / "missing.yml").write_text(
        "command: echo ${{inputs.t}}\ninputs:\n  t:\n    type: uri_file\n    path: azureml:nope:1\n"
        "environment: azureml:e:1\n"
    )
    missing = az_ws("ml", "job", "create", "-f", "missing.yml", cwd=tmp_path, check=False)
    assert missing.code == 1 and "data asset 'nope' was not found" in missing.stderr


def test_download_and_cancel_of_a_finished_job(az_ws: AzRunner, tmp_path: Path) -> None:
    az_ws("ml", "job", "create", "-f", "job/job.yml", "-n", "done_job")
    az_ws("ml", "job", "download", "-n", "done_job", "--download-path", str(tmp_path / "default"))
    assert (tmp_path / "default" / "artifacts" / "user_logs" / "std_log.txt").is_file()
    assert not (tmp_path / "default" / "named-outputs").exists()
    az_ws("ml", "job", "download", "-n", "done_job", "--output-name", "model", "-p", str(tmp_path / "one"))
    assert (tmp_path / "one" / "named-outputs" / "model" / "MLmodel").is_file()
    az_ws("ml", "job", "download", "-n", "done_job", "--all", "-p", str(tmp_path / "all"))
    assert {p.name for p in (tmp_path / "all").iterdir()} == {"artifacts", "named-outputs"}
    unknown = az_ws("ml", "job", "download", "-n", "done_job", "--output-name", "nope", check=False)
    assert unknown.code == 1 and "has no output 'nope'" in unknown.stderr
    cancel = az_ws("ml", "job", "cancel", "-n", "done_job", check=False)
    assert cancel.code == 1 and "already finished (status Completed)" in cancel.stderr


def test_cancel_stops_a_running_job(az_ws: AzRunner, az_bin: Path, home: Path, tmp_path: Path) -> None:
    (tmp_path / "sleep.yml").write_text("command: echo started && sleep 60\nenvironment: azureml:e:1\n")
    env = {**os.environ, "PATH": f"{az_bin}{os.pathsep}{os.environ['PATH']}", "MLOPS_HOME": str(home)}
    env.update(MLOPS_JOB_ENV_MANAGER="local", MLFLOW_DISABLE_TELEMETRY="true")
    running = subprocess.Popen(
        ["az", "ml", "job", "create", "-f", "sleep.yml", "-n", "sleepy"],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            shown = az_ws("ml", "job", "show", "-n", "sleepy", check=False)
            if shown.code == 0 and "emulator.pid" in shown.json()["properties"]:
                break
            time.sleep(0.3)
        started = time.monotonic()
        assert az_ws("ml", "job", "cancel", "-n", "sleepy").stdout == ""
        _, err = running.communicate(timeout=60)
        assert time.monotonic() - started < 30  # not the 60 s of the sleep
    finally:
        running.kill()
    assert running.returncode == 1 and "Job sleepy was canceled" in err
    assert az_ws("ml", "job", "show", "-n", "sleepy", "--query", "status", "-o", "tsv").stdout == "Canceled\n"


def test_isolated_environment_runs_the_job_in_its_own_venv(
    az_ws: AzRunner, home: Path, tmp_path: Path, env_cache: Path
) -> None:
    """The default environment manager: the job runs in the venv built from its conda file (cached)."""
    az_ws("ml", "environment", "create", "-f", str(serving_conda(tmp_path)))
    isolated = {"MLOPS_JOB_ENV_MANAGER": "isolated"}
    job = az_ws("ml", "job", "create", "-f", "job/job.yml", "--stream", env=isolated)
    record = az_ws("ml", "job", "show", "-n", job.stdout.split('"name": "')[1].split('"')[0]).json()
    properties = record["properties"]
    assert properties["emulator.env_manager"] == "isolated" and record["status"] == "Completed"
    assert properties["emulator.python"] == str(env_cache / properties["emulator.env_key"] / "bin" / "python")
    assert "accuracy=" in job.stdout

    from mlflow.tracking import MlflowClient

    from emulator.store.paths import mlflow_tracking_uri

    run = MlflowClient(mlflow_tracking_uri(home)).get_run(properties["mlflow.runId"])
    assert "accuracy" in run.data.metrics  # the isolated env's MLflow logged into the local store

    (tmp_path / "unregistered.yml").write_text("command: echo hi\nenvironment: azureml:nowhere@latest\n")
    missing = az_ws(
        "ml", "job", "create", "-f", str(tmp_path / "unregistered.yml"), env=isolated, check=False
    )
    assert missing.code == 1 and "unregistered.yml:2:14" in missing.stderr
    assert (
        "environment 'nowhere' was not found" in missing.stderr
        and "MLOPS_JOB_ENV_MANAGER=local" in missing.stderr
    )
    wrong = az_ws(
        "ml", "job", "create", "-f", "job/job.yml", env={"MLOPS_JOB_ENV_MANAGER": "conda"}, check=False
    )
    assert wrong.code == 2 and "MLOPS_JOB_ENV_MANAGER='conda'" in wrong.stderr


# --- pipeline jobs -------------------------------------------------------------------------------


def test_pipeline_runs_steps_in_order_with_nested_runs(az_ws: AzRunner, home: Path) -> None:
    result = az_ws("ml", "job", "create", "-f", "pipeline/pipeline.yml", "-n", "pipe_ok", "--stream")
    log, _, document = result.stdout.partition("{\n")
    assert (
        log.index("--- step prep") < log.index("kept ") < log.index("--- step train") < log.index("trained")
    )
    job = az_ws("ml", "job", "show", "-n", "pipe_ok").json()
    assert job["type"] == "pipeline" and job["status"] == "Completed"
    assert [job["jobs"][s]["status"] for s in ("prep", "train")] == ["Completed", "Completed"]
    children = az_ws(
        "ml", "job", "list", "--parent-job-name", "pipe_ok", "--query", "[].display_name", "-o", "tsv"
    )
    assert sorted(children.stdout.split()) == ["Train", "prep"]
    assert "pipe_ok" in az_ws("ml", "job", "list", "--query", "[].name", "-o", "tsv").stdout.split()
    assert (
        job["jobs"]["train"]["name"]
        not in az_ws("ml", "job", "list", "--query", "[].name", "-o", "tsv").stdout
    )

    train = az_ws("ml", "job", "show", "-n", job["jobs"]["train"]["name"]).json()
    assert train["inputs"]["C"] == "0.25"  # the component's default
    assert train["inputs"]["data"]["path"] == f"azureml://jobs/{job['jobs']['prep']['name']}/outputs/clean"
    model = az_ws(
        "ml", "model", "create", "-n", "piped", "-p", "azureml://jobs/pipe_ok/outputs/trained"
    ).json()
    assert Path(model["path"], "model.txt").read_text().startswith("C=0.25 rows=")

    from mlflow.tracking import MlflowClient

    from emulator.store.paths import mlflow_tracking_uri

    client = MlflowClient(mlflow_tracking_uri(home))
    parent_run = job["properties"]["mlflow.runId"]
    child_run = client.get_run(train["properties"]["mlflow.runId"])
    assert child_run.data.tags["mlflow.parentRunId"] == parent_run
    assert child_run.data.params["C"] == "0.25" and child_run.data.metrics["rows"] > 0
    assert client.get_run(parent_run).info.status == "FINISHED"
    assert "--- step train" in az_ws("ml", "job", "stream", "-n", "pipe_ok").stdout


def test_pipeline_step_failure_cancels_what_depends_on_it(az_ws: AzRunner) -> None:
    result = az_ws(
        "ml",
        "job",
        "create",
        "-f",
        "pipeline/pipeline.yml",
        "-n",
        "pipe_fail",
        "--set",
        "jobs.prep.command=python -c 'raise SystemExit(3)' ${{inputs.source}} ${{outputs.clean}}",
        check=False,
    )
    assert result.code == 1 and "step(s) prep failed. Job pipe_fail failed" in result.stderr
    job = az_ws("ml", "job", "show", "-n", "pipe_fail").json()
    assert job["status"] == "Failed"
    assert (job["jobs"]["prep"]["status"], job["jobs"]["train"]["status"]) == ("Failed", "Canceled")


PIPELINE_ERRORS = [
    (
        "${{inputs.threshold}} ${{outputs.clean}}",
        "${{inputs.treshold}} ${{outputs.clean}}",
        "refers to input 'treshold'",
        ":20:48:",
    ),
    (
        "${{parent.jobs.prep.outputs.clean}}",
        "${{parent.job.prep.outputs.clean}}",
        "malformed binding",
        ":32:13:",
    ),
    ("${{parent.jobs.prep.outputs.clean}}", "${{parent.jobs.prepp.outputs.clean}}", "prepp", ":32:13:"),
    ("source: ${{parent.inputs.raw}}", "source: ${{parent.jobs.train.outputs.model}}", "cycle", ":17:3:"),
    ("model: ${{parent.outputs.trained}}", "model: ${{parent.outputs.other}}", "other", ":34:14:"),
    (
        "component: ./train-component.yml",
        "component: azureml:fixture_train:1",
        "registered components",
        ":30:",
    ),
]


@pytest.mark.parametrize(("old", "new", "message", "line"), PIPELINE_ERRORS)
def test_pipeline_binding_errors_are_located(
    az_ws: AzRunner, tmp_path: Path, old: str, new: str, message: str, line: str
) -> None:
    source = (FIXTURES / "pipeline" / "pipeline.yml").read_text()
    assert old in source
    target = FIXTURES / "pipeline" / f"broken-{os.getpid()}-{abs(hash(new))}.yml"
    target.write_text(source.replace(old, new))
    try:
        result = az_ws("ml", "job", "create", "-f", str(target), check=False)
    finally:
        target.unlink()
    assert result.code == 1 and message in result.stderr, result.stderr
    assert f"{target}{line}" in result.stderr.splitlines()[0], result.stderr
