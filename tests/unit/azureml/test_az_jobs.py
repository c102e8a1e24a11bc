"""`az ml job create/show/list`: command jobs run locally with the MLflow binding Azure ML provides."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import FIXTURES, AzRunner

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


def test_pipeline_jobs_are_not_emulated_yet(az_ws: AzRunner, tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text(
        "type: pipeline\njobs:\n  a:\n    type: command\n    command: echo\n    environment: azureml:e:1\n"
    )
    result = az_ws("ml", "job", "create", "-f", "p.yml", cwd=tmp_path, check=False)
    assert result.code == 1 and "pipeline jobs are not emulated yet" in result.stderr


def test_show_unknown_job(az_ws: AzRunner) -> None:
    result = az_ws("ml", "job", "show", "-n", "nope", check=False)
    assert result.code == 1 and "job 'nope' was not found" in result.stderr
