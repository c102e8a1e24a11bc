"""The Gherkin step library: reusable pytest-bdd steps for recipes and pipelines.

Import it in a test module next to `scenarios(...)`:

    from emulator.testing.steps import *  # noqa: F403
    scenarios("../../features/my_recipe.feature")

Every step drives the real `mlops` command line in a subprocess, against the isolated state folder of
the `mlops_home` fixture (see plugin.py), from the repository root. Documented in docs/steps.md.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, parsers, then, when

__all__ = [
    "MlopsSession",
    "mlops_session",
    "step_approve",
    "step_endpoint_answers",
    "step_expand_pipeline",
    "step_given_parameters",
    "step_given_pipeline",
    "step_isolated_state",
    "step_job_output",
    "step_logged_metric",
    "step_model_registered",
    "step_model_version_tag",
    "step_no_deployment",
    "step_no_model",
    "step_reject",
    "step_resume",
    "step_run_failed_with_error",
    "step_run_paused",
    "step_run_pipeline",
    "step_run_pipeline_approving",
    "step_run_result",
    "step_stage_not_run",
    "step_stage_result",
    "step_approval_recorded",
    "step_approve_named",
    "step_check_audit",
    "step_copy_approval",
    "step_decision_refused",
    "step_forge_approval",
    "step_name_run",
    "step_run_pipeline_as",
    "step_run_pipeline_policy",
    "step_try_approve",
]


def step(text: str) -> Any:
    """A step pattern: `"{name}"` matches one quoted value (no quotes inside), `{n:d}` an integer,
    `{x:f}` a number (the step converts them); the whole line must match, so steps that share a prefix
    never collide."""
    pattern = re.escape(text)
    pattern = re.sub(r'"\\\{(\w+)\\\}"', r'"(?P<\1>[^"]*)"', pattern)
    pattern = re.sub(r"\\\{(\w+):d\\\}", r"(?P<\1>\\d+)", pattern)
    pattern = re.sub(r"\\\{(\w+):f\\\}", r"(?P<\1>-?\\d+(?:\\.\\d+)?)", pattern)
    return parsers.re(f"^{pattern}$")


@dataclass
class MlopsSession:
    """What the steps share within one scenario."""

    home: Path
    cwd: Path
    pipeline: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    run_id: str | None = None
    summary: dict[str, Any] | None = None
    exit_code: int | None = None
    stdout: str = ""
    stderr: str = ""
    named_runs: dict[str, str] = field(default_factory=dict)

    def mlops(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "MLOPS_HOME": str(self.home), "MLFLOW_DISABLE_TELEMETRY": "true"}
        env.pop("MLFLOW_TRACKING_URI", None)
        proc = subprocess.run(
            [sys.executable, "-m", "emulator", *args],
            cwd=self.cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        self.exit_code, self.stdout, self.stderr = proc.returncode, proc.stdout, proc.stderr
        return proc

    def run_json(self, *args: str) -> dict[str, Any]:
        proc = self.mlops(*args, "--json", "--quiet")
        if proc.returncode == 2:
            self.summary = None
            return {}
        try:
            start = proc.stdout.rindex("\n{\n") + 1 if "\n{\n" in proc.stdout else proc.stdout.index("{")
            self.summary = json.loads(proc.stdout[start:])
        except ValueError:
            raise AssertionError(
                f"mlops printed no run JSON (exit {proc.returncode}).\nstdout:\n{proc.stdout}\n"
                f"stderr:\n{proc.stderr}"
            ) from None
        self.run_id = str(self.summary["id"])
        return self.summary

    def describe(self) -> str:
        return f"exit {self.exit_code}\nstderr (tail):\n{self.stderr[-4000:]}"

    def stage(self, name: str) -> dict[str, Any]:
        assert self.summary is not None, "no run yet"
        for stage in self.summary["stages"]:
            if stage["name"].lower() == name.lower():
                return dict(stage)
        raise AssertionError(
            f"no stage {name!r} in run {self.run_id}: {[s['name'] for s in self.summary['stages']]}"
        )

    def tracking_uri(self) -> str:
        return f"sqlite:///{self.home / 'mlflow.db'}"


def _repo_root() -> Path:
    start = Path.cwd()
    for folder in (start, *start.parents):
        if (folder / "mlops_pipelines").is_dir() or (folder / ".git").exists():
            return folder
    return start


@pytest.fixture
def mlops_session(mlops_home: Path) -> MlopsSession:
    return MlopsSession(home=mlops_home, cwd=_repo_root())


# ---- given -------------------------------------------------------------------------------------
@given("an isolated emulator state")
def step_isolated_state(mlops_session: MlopsSession) -> None:
    assert mlops_session.home.is_dir()


@given(step('the pipeline "{pipeline}"'))
def step_given_pipeline(mlops_session: MlopsSession, pipeline: str) -> None:
    assert (mlops_session.cwd / pipeline).is_file(), f"{pipeline} not found under {mlops_session.cwd}"
    mlops_session.pipeline = pipeline


@given("the parameters:")
def step_given_parameters(mlops_session: MlopsSession, datatable: list[list[str]]) -> None:
    for row in datatable[1:]:  # the first row is the header: | name | value |
        mlops_session.parameters[row[0].strip()] = row[1].strip()


# ---- when --------------------------------------------------------------------------------------
def _param_args(session: MlopsSession) -> list[str]:
    return [a for k, v in session.parameters.items() for a in ("-p", f"{k}={v}")]


@when(step('I run the pipeline "{pipeline}"'))
@when("I run the pipeline")
def step_run_pipeline(mlops_session: MlopsSession, pipeline: str | None = None) -> None:
    mlops_session.pipeline = pipeline or mlops_session.pipeline
    assert mlops_session.pipeline, "no pipeline given"
    mlops_session.run_json("run", mlops_session.pipeline, *_param_args(mlops_session))


@when(step('I run the pipeline "{pipeline}" approving "{environments}" as "{user}"'))
def step_run_pipeline_approving(
    mlops_session: MlopsSession, pipeline: str, environments: str, user: str
) -> None:
    mlops_session.pipeline = pipeline
    approvals = [a for env in environments.split(",") for a in ("--approve", env.strip())]
    mlops_session.run_json("run", pipeline, *_param_args(mlops_session), *approvals, "--as", user)


@when(step('"{user}" approves environment "{environment}"'))
def step_approve(mlops_session: MlopsSession, user: str, environment: str) -> None:
    assert mlops_session.run_id, "no run to approve"
    proc = mlops_session.mlops(
        "approve",
        mlops_session.run_id,
        "--environment",
        environment,
        "--as",
        user,
        "--comment",
        "approved in a feature",
    )
    assert proc.returncode == 0, mlops_session.describe()


@when(step('"{user}" rejects environment "{environment}"'))
def step_reject(mlops_session: MlopsSession, user: str, environment: str) -> None:
    assert mlops_session.run_id, "no run to reject"
    proc = mlops_session.mlops(
        "reject",
        mlops_session.run_id,
        "--environment",
        environment,
        "--as",
        user,
        "--comment",
        "rejected in a feature",
    )
    assert proc.returncode == 0, mlops_session.describe()


@when("I resume the run")
def step_resume(mlops_session: MlopsSession) -> None:
    assert mlops_session.run_id, "no run to resume"
    mlops_session.run_json("resume", mlops_session.run_id)


@when(step('I run the pipeline "{pipeline}" as "{user}"'))
def step_run_pipeline_as(mlops_session: MlopsSession, pipeline: str, user: str) -> None:
    mlops_session.pipeline = pipeline
    mlops_session.run_json("run", pipeline, *_param_args(mlops_session), "--as", user)


@when(step('I run the pipeline "{pipeline}" with check policy "{policy}"'))
def step_run_pipeline_policy(mlops_session: MlopsSession, pipeline: str, policy: str) -> None:
    mlops_session.pipeline = pipeline
    mlops_session.run_json("run", pipeline, *_param_args(mlops_session), "--check-policy", policy)


@when(step('I call the run "{alias}"'))
def step_name_run(mlops_session: MlopsSession, alias: str) -> None:
    assert mlops_session.run_id, "no run yet"
    mlops_session.named_runs[alias] = mlops_session.run_id


@when(step('"{user}" tries to approve environment "{environment}"'))
def step_try_approve(mlops_session: MlopsSession, user: str, environment: str) -> None:
    assert mlops_session.run_id, "no run to approve"
    mlops_session.mlops("approve", mlops_session.run_id, "--environment", environment, "--as", user)


@when(step('"{user}" approves environment "{environment}" for run "{alias}"'))
def step_approve_named(mlops_session: MlopsSession, user: str, environment: str, alias: str) -> None:
    proc = mlops_session.mlops(
        "approve", mlops_session.named_runs[alias], "--environment", environment, "--as", user
    )
    assert proc.returncode == 0, mlops_session.describe()


@when(step('an approval of environment "{environment}" by "{user}" is written into the run record by hand'))
def step_forge_approval(mlops_session: MlopsSession, environment: str, user: str) -> None:
    assert mlops_session.run_id, "no run"
    path = mlops_session.home / "runs" / mlops_session.run_id / "run.json"
    record = json.loads(path.read_text())
    waiting = record.get("waiting") or {}
    record.setdefault("approvals", []).append(
        {
            "run": mlops_session.run_id,
            "environment": environment,
            "stage": waiting.get("stage"),
            "decision": "approved",
            "by": user,
            "at": "2026-01-01T00:00:00+00:00",
            "comment": "forged",
        }
    )
    path.write_text(json.dumps(record, indent=2))


@when(step('an approval of environment "{environment}" signed for run "{alias}" is copied into the run'))
def step_copy_approval(mlops_session: MlopsSession, environment: str, alias: str) -> None:
    source = json.loads(
        (mlops_session.home / "runs" / mlops_session.named_runs[alias] / "run.json").read_text()
    )
    entry = next(a for a in source["approvals"] if a["environment"].lower() == environment.lower())
    path = mlops_session.home / "runs" / str(mlops_session.run_id) / "run.json"
    record = json.loads(path.read_text())
    record.setdefault("approvals", []).append(dict(entry))
    path.write_text(json.dumps(record, indent=2))


@when(step('I expand the pipeline "{pipeline}"'))
def step_expand_pipeline(mlops_session: MlopsSession, pipeline: str) -> None:
    mlops_session.mlops("expand", pipeline, *_param_args(mlops_session))


# ---- then --------------------------------------------------------------------------------------
@then(step('the run is paused waiting for environment "{environment}"'))
def step_run_paused(mlops_session: MlopsSession, environment: str) -> None:
    s = mlops_session.summary
    assert s is not None and s["result"] == "paused", mlops_session.describe()
    assert mlops_session.exit_code == 3, mlops_session.describe()
    assert s["waiting"]["environment"].lower() == environment.lower(), s["waiting"]


@then(parsers.re(r"the run (?P<result>succeeded|failed)$"))
def step_run_result(mlops_session: MlopsSession, result: str) -> None:
    expected = {"succeeded": ("succeeded", 0), "failed": ("failed", 1)}[result]
    s = mlops_session.summary
    assert s is not None, mlops_session.describe()
    assert (s["result"], mlops_session.exit_code) == expected, (
        f"run {s['id']} {s['result']}: {json.dumps(s['stages'], indent=1)[-3000:]}\n"
        f"{mlops_session.describe()}"
    )


@then(step('the command fails with a bad-input error mentioning "{text}"'))
def step_run_failed_with_error(mlops_session: MlopsSession, text: str) -> None:
    assert mlops_session.exit_code == 2, mlops_session.describe()
    assert text in mlops_session.stderr, mlops_session.stderr
    assert "Traceback" not in mlops_session.stderr


@then(parsers.re(r'stage "(?P<stage>[^"]+)" (?P<result>succeeded|failed|was skipped)$'))
def step_stage_result(mlops_session: MlopsSession, stage: str, result: str) -> None:
    wanted = {"succeeded": "succeeded", "failed": "failed", "was skipped": "skipped"}[result]
    got = mlops_session.stage(stage)["result"]
    assert got == wanted, f"stage {stage}: {got} (wanted {wanted})\n{mlops_session.describe()}"


@then(step('the decision is refused mentioning "{text}"'))
def step_decision_refused(mlops_session: MlopsSession, text: str) -> None:
    assert mlops_session.exit_code == 2, mlops_session.describe()
    assert text in mlops_session.stderr, mlops_session.stderr
    assert "Traceback" not in mlops_session.stderr


@then(step('the checks of environment "{environment}" were "{status}" with "{text}"'))
def step_check_audit(mlops_session: MlopsSession, environment: str, status: str, text: str) -> None:
    assert mlops_session.summary is not None
    entries = [c for c in mlops_session.summary["checks"] if c["environment"].lower() == environment.lower()]
    assert entries, f"no check of {environment} in {mlops_session.summary['checks']}"
    last = entries[-1]
    assert last["status"] == status and text in last["message"], last


@then(step('stage "{stage}" has not run'))
def step_stage_not_run(mlops_session: MlopsSession, stage: str) -> None:
    record = mlops_session.stage(stage)
    assert record["result"] is None, record
    assert all(st["result"] is None for j in record["jobs"] for st in j["steps"]), record


@then(step('job "{job}" of stage "{stage}" has the output "{name}"'))
def step_job_output(mlops_session: MlopsSession, job: str, stage: str, name: str) -> None:
    record = mlops_session.stage(stage)
    outputs = next(j["outputs"] for j in record["jobs"] if j["name"].lower() == job.lower())
    assert outputs.get(name), f"{name} not in {outputs}"


@then(step('the approval of environment "{environment}" by "{user}" is recorded'))
def step_approval_recorded(mlops_session: MlopsSession, environment: str, user: str) -> None:
    assert mlops_session.summary is not None
    assert any(
        a["environment"].lower() == environment.lower() and a["by"] == user and a["decision"] == "approved"
        for a in mlops_session.summary["approvals"]
    ), mlops_session.summary["approvals"]


def _client(session: MlopsSession) -> Any:
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=session.tracking_uri(), registry_uri=session.tracking_uri())


@then(step('model "{name}" version {version:d} is registered'))
def step_model_registered(mlops_session: MlopsSession, name: str, version: str) -> None:
    versions = sorted(int(v.version) for v in _client(mlops_session).search_model_versions(f"name='{name}'"))
    assert int(version) in versions, f"versions of {name}: {versions}"


@then(step('model "{name}" version {version:d} has the tag "{tag}"'))
def step_model_version_tag(mlops_session: MlopsSession, name: str, version: str, tag: str) -> None:
    mv = _client(mlops_session).get_model_version(name, version)
    assert mv.tags.get(tag), f"tags of {name}:{version}: {mv.tags}"


@then(step('no model "{name}" is registered'))
def step_no_model(mlops_session: MlopsSession, name: str) -> None:
    db = mlops_session.home / "mlflow.db"
    if not db.exists():
        return
    assert not _client(mlops_session).search_model_versions(f"name='{name}'")


@then(step('the logged "{metric}" of model "{name}" version {version:d} is at least {minimum:f}'))
def step_logged_metric(
    mlops_session: MlopsSession, metric: str, name: str, version: str, minimum: str
) -> None:
    client = _client(mlops_session)
    mv = client.get_model_version(name, version)
    assert mv.run_id, f"{name}:{version} has no source run"
    value = client.get_run(mv.run_id).data.metrics.get(metric)
    assert value is not None and value >= float(minimum), f"{metric} of run {mv.run_id}: {value}"


def _endpoint(session: MlopsSession, name: str) -> dict[str, Any]:
    path = session.home / "azureml" / "endpoints" / name / "endpoint.json"
    assert path.is_file(), f"endpoint {name} was never created"
    return dict(json.loads(path.read_text()))


@then(step('endpoint "{name}" answers "{request}" with predictions'))
def step_endpoint_answers(mlops_session: MlopsSession, name: str, request: str) -> None:
    record = _endpoint(mlops_session, name)
    env = {**os.environ, "MLOPS_HOME": str(mlops_session.home)}
    shown = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator.azureml",
            "ml",
            "online-endpoint",
            "show",
            "--name",
            name,
            "--query",
            "scoring_uri",
            "-o",
            "tsv",
        ],
        cwd=mlops_session.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    uri = shown.stdout.strip()
    assert uri.startswith("http://127.0.0.1:"), uri
    keys = subprocess.run(
        [
            sys.executable,
            "-m",
            "emulator.azureml",
            "ml",
            "online-endpoint",
            "get-credentials",
            "--name",
            name,
            "--query",
            "primaryKey",
            "-o",
            "tsv",
        ],
        cwd=mlops_session.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    body = (mlops_session.cwd / request).read_bytes()
    req = urllib.request.Request(
        uri,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {keys.stdout.strip()}"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback only
        answer = json.loads(resp.read())
    rows = len(json.loads(body)["data"])
    assert len(answer["predictions"]) == rows, answer
    assert set(answer["predictions"]) <= {"good", "bad"}, answer
    assert record["name"] == name


@then(step('endpoint "{name}" has no deployment'))
def step_no_deployment(mlops_session: MlopsSession, name: str) -> None:
    folder = mlops_session.home / "azureml" / "endpoints" / name / "deployments"
    assert not folder.exists() or not any(folder.iterdir()), (
        f"{name} has deployments: {list(folder.iterdir())}"
    )
