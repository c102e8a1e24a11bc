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
import time
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
    "step_forge_pipeline",
    "step_forge_stage",
    "step_name_run",
    "step_run_pipeline_as",
    "step_run_pipeline_policy",
    "step_try_approve",
    "step_az_printed",
    "step_az_supports",
    "step_command_succeeds",
    "step_endpoint_deployments",
    "step_endpoint_traffic",
    "step_expanded_contains",
    "step_expanded_job_environment",
    "step_expanded_job_steps",
    "step_expanded_not_contains",
    "step_expanded_stage_condition",
    "step_expanded_stage_depends",
    "step_expanded_stages",
    "step_expansion_fails",
    "step_expansion_succeeds",
    "step_expand_in_process",
    "step_given_az_defaults",
    "step_job_output_equals",
    "step_job_output_at_least",
    "step_model_tag_equals",
    "step_register_trained_model",
    "step_run_az",
    "step_step_log_mentions",
    "step_step_result",
    "step_trained_model_parameter",
    "step_validate_pipeline",
    "step_run_pipeline_with",
    "step_endpoint_missing",
    "step_register_environment",
    "trained_model_dir",
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
    expanded: dict[str, Any] | None = None  # the last in-process expansion (plain YAML), if it succeeded
    expanded_text: str = ""
    env: dict[str, str] = field(default_factory=dict)  # extra environment of the mlops commands

    def mlops(self, *args: str, timeout: float = 900) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, **self.env, "MLOPS_HOME": str(self.home), "MLFLOW_DISABLE_TELEMETRY": "true"}
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


@given(step("a timeout minute lasts {seconds:f} seconds"))
def step_given_short_minutes(mlops_session: MlopsSession, seconds: str) -> None:
    """Timeouts (timeoutInMinutes, approval and validation timeouts) in seconds, to test them quickly."""
    mlops_session.env["MLOPS_INTERNAL_MINUTE_SECONDS"] = str(float(seconds))


def docker_daemon_or_skip() -> Any:
    """The Docker daemon of DOCKER_HOST. None answers: a failure under MLOPS_REQUIRE_DOCKER=1 (CI), else a
    skip that says how to start one. For Docker steps and tests."""
    from emulator.azureml.errors import AzError
    from emulator.azureml.serving.docker_daemon import START_HINT, connect, docker_host

    try:
        daemon, reason = connect(docker_host())
    except AzError as exc:
        daemon, reason = None, exc.message
    if daemon is None:
        if os.environ.get("MLOPS_REQUIRE_DOCKER") == "1":
            pytest.fail(f"MLOPS_REQUIRE_DOCKER=1 but {reason}")
        pytest.skip(
            f"{reason}; to run the Docker tests, {START_HINT} (MLOPS_REQUIRE_DOCKER=1 makes a missing "
            "daemon a failure)"
        )
    return daemon


@given("deployments run as Docker containers")
def step_given_docker(mlops_session: MlopsSession) -> None:
    """`MLOPS_DOCKER=require` for the scenario's commands, once a daemon answers (docker_daemon_or_skip)."""
    docker_daemon_or_skip()
    mlops_session.env["MLOPS_DOCKER"] = "require"


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


def _decide_validation(
    session: MlopsSession, verb: str, user: str, job: str
) -> subprocess.CompletedProcess[str]:
    assert session.run_id, f"no run to {verb}"
    comment = f"{verb} in a feature"
    return session.mlops(verb, session.run_id, "--job", job, "--as", user, "--comment", comment)


@when(step('"{user}" resumes the manual validation of job "{job}"'))
def step_resume_validation(mlops_session: MlopsSession, user: str, job: str) -> None:
    proc = _decide_validation(mlops_session, "approve", user, job)
    assert proc.returncode == 0, mlops_session.describe()


@when(step('"{user}" rejects the manual validation of job "{job}"'))
def step_reject_validation(mlops_session: MlopsSession, user: str, job: str) -> None:
    proc = _decide_validation(mlops_session, "reject", user, job)
    assert proc.returncode == 0, mlops_session.describe()


@when(step('"{user}" tries to resume the manual validation of job "{job}"'))
def step_try_resume_validation(mlops_session: MlopsSession, user: str, job: str) -> None:
    _decide_validation(mlops_session, "approve", user, job)


@when(step("I wait {seconds:f} seconds"))
def step_wait(mlops_session: MlopsSession, seconds: str) -> None:
    time.sleep(float(seconds))


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


def _forge_decision(session: MlopsSession, **fields: str | None) -> None:
    """An approval written into run.json by hand, as someone who skips `mlops approve` would."""
    assert session.run_id, "no run"
    path = session.home / "runs" / session.run_id / "run.json"
    record = json.loads(path.read_text())
    waiting = record.get("waiting") or {}
    record.setdefault("approvals", []).append(
        {
            "run": session.run_id,
            "stage": waiting.get("stage"),
            **fields,
            "decision": "approved",
            "at": "2026-01-01T00:00:00+00:00",
            "comment": "forged",
        }
    )
    path.write_text(json.dumps(record, indent=2))


@when(step('an approval of environment "{environment}" by "{user}" is written into the run record by hand'))
def step_forge_approval(mlops_session: MlopsSession, environment: str, user: str) -> None:
    _forge_decision(mlops_session, environment=environment, by=user)


@when(step('the manual validation of job "{job}" is marked resumed by "{user}" in the run record by hand'))
def step_forge_validation(mlops_session: MlopsSession, job: str, user: str) -> None:
    _forge_decision(mlops_session, environment=None, job=job, by=user)


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


@when(step('stage "{stage}" is marked succeeded in the run record by hand'))
def step_forge_stage(mlops_session: MlopsSession, stage: str) -> None:
    path = mlops_session.home / "runs" / str(mlops_session.run_id) / "run.json"
    record = json.loads(path.read_text())
    for entry in record["stages"]:
        if entry["name"].lower() == stage.lower():
            entry.update(state="completed", result="succeeded")
    path.write_text(json.dumps(record))


@when(step('environment "{environment}" is removed from the run\'s expanded pipeline by hand'))
def step_forge_pipeline(mlops_session: MlopsSession, environment: str) -> None:
    path = mlops_session.home / "runs" / str(mlops_session.run_id) / "pipeline.yml"
    text = path.read_text()
    assert environment in text
    path.write_text(text.replace(f"name: {environment}", "name: unchecked"))


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


@then(step('the run is paused waiting for the manual validation of job "{job}"'))
def step_run_paused_validation(mlops_session: MlopsSession, job: str) -> None:
    s = mlops_session.summary
    assert s is not None and s["result"] == "paused", mlops_session.describe()
    assert mlops_session.exit_code == 3, mlops_session.describe()
    waiting = s["waiting"]
    names = (str(waiting.get("job")).lower(), f"{waiting['stage']}.{waiting.get('job')}".lower())
    assert waiting.get("job") and job.lower() in names, waiting


@then(step('the audit trail of the manual validation of job "{job}" reads "{statuses}"'))
def step_validation_audit(mlops_session: MlopsSession, job: str, statuses: str) -> None:
    """Each evaluation of the validation, in order, in the run's JSON and in `mlops runs show`."""
    assert mlops_session.summary is not None and mlops_session.run_id
    entries = [
        v
        for v in mlops_session.summary["validations"]
        if job.lower() in (v["job"].lower(), f"{v['stage']}.{v['job']}".lower())
    ]
    assert [v["status"] for v in entries] == _names(statuses), entries
    shown = mlops_session.mlops("runs", "show", mlops_session.run_id)
    lines = [line for line in shown.stdout.splitlines() if "manual validation of job" in line]
    assert [line.split()[1] for line in lines] == _names(statuses), shown.stdout[-3000:]


_JOB_RESULT = r'job "(?P<job>[^"]+)" of stage "(?P<stage>[^"]+)" (?P<result>succeeded|failed|was canceled)$'


@then(parsers.re(_JOB_RESULT))
def step_job_result(mlops_session: MlopsSession, job: str, stage: str, result: str) -> None:
    wanted = {"succeeded": "succeeded", "failed": "failed", "was canceled": "canceled"}[result]
    jobs = {j["name"].lower(): j for j in mlops_session.stage(stage)["jobs"]}
    assert job.lower() in jobs, f"no job {job!r} in stage {stage}: {list(jobs)}"
    got = jobs[job.lower()]["result"]
    assert got == wanted, f"job {job} of {stage}: {got} (wanted {wanted})\n{mlops_session.describe()}"


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
        str(a["environment"] or "").lower() == environment.lower() and a["by"] == user
        and a["decision"] == "approved"
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


@then(step('environment "{name}" is a Docker image of model "{model}" version {version:d}'))
def step_package_image(mlops_session: MlopsSession, name: str, model: str, version: str) -> None:
    """The latest version of a package environment (`az ml model package`) was built (or reused by its
    context digest) as an image that the daemon has, labelled with the model."""
    import docker

    shown = _az(mlops_session, "ml", "environment", "show", "-n", name, "--label", "latest", "-o", "json")
    assert shown.returncode == 0, shown.stderr
    package = json.loads(shown.stdout)["package"]
    assert package["image_built"] is True and package["model"] == f"{model}:{version}", package
    assert package["hadolint"]["status"] == "clean", package["hadolint"]
    labels = docker.from_env(timeout=10).images.get(package["image_id"]).labels
    assert labels["org.mlops-emulator.context-digest"] == package["digest"], labels


@then(step('endpoint "{name}" is served by a container of model "{model}" version {version:d}'))
def step_endpoint_in_container(mlops_session: MlopsSession, name: str, model: str, version: str) -> None:
    """Every deployment of the endpoint runs as a running container (host network) of an image labelled
    with the model, and `az ml online-deployment get-logs` returns that container's log."""
    import docker

    client = docker.from_env(timeout=10)
    names = _az(
        mlops_session, "ml", "online-deployment", "list", "-e", name, "--query", "[].name", "-o", "json"
    )
    assert names.returncode == 0, names.stderr
    for deployment in json.loads(names.stdout):
        shown = _az(
            mlops_session, "ml", "online-deployment", "show", "-e", name, "-n", deployment, "-o", "json"
        )
        local = json.loads(shown.stdout)["emulator"]
        assert local["mode"] == "container" and local["running"], local
        container = client.containers.get(local["container_id"])
        assert container.status == "running" and container.attrs["HostConfig"]["NetworkMode"] == "host"
        labels = client.images.get(local["image_id"]).labels
        assert labels["org.mlops-emulator.model-name"] == model, labels
        assert labels["org.mlops-emulator.model-version"] == str(version), labels
        logs = _az(
            mlops_session, "ml", "online-deployment", "get-logs", "-e", name, "-n", deployment, "-o", "tsv"
        )
        assert logs.returncode == 0 and "Users's init has completed successfully" in logs.stdout, logs.stderr


@then(step('endpoint "{name}" has no deployment'))
def step_no_deployment(mlops_session: MlopsSession, name: str) -> None:
    folder = mlops_session.home / "azureml" / "endpoints" / name / "deployments"
    assert not folder.exists() or not any(folder.iterdir()), (
        f"{name} has deployments: {list(folder.iterdir())}"
    )


# ---- recipes: expansion, az, endpoints, models (docs/steps.md "Recipes") ---------------------------
def _az(session: MlopsSession, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    """The emulated `az`, against the scenario's state folder, from the repository root."""
    env = {**os.environ, **session.env, "MLOPS_HOME": str(session.home)}
    env["MLFLOW_DISABLE_TELEMETRY"] = "true"
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "emulator.azureml", *args],
        cwd=session.cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


_EMULATED: dict[str, bool] = {}


def az_supports(session: MlopsSession, command: str) -> bool:
    """Whether the emulated `az` has a command (asked once per session with `--help`)."""
    if command not in _EMULATED:
        proc = _az(session, *command.split(), "--help", timeout=120)
        _EMULATED[command] = proc.returncode == 0 and "is not emulated" not in proc.stderr
    return _EMULATED[command]


_TRAINED: dict[str, Path] = {}


def trained_model_dir() -> Path:
    """An MLflow model trained by code/train.py on the German Credit data, once per cache key.

    Kept beside the deployment environment cache ($MLOPS_ENV_CACHE/../feature-models/<key>) when that
    is set, so later test sessions reuse it; else in a temporary folder for this session. The key
    covers train.py, the data and the library versions that wrote the model.
    """
    import hashlib
    import importlib.metadata
    import shutil
    import tempfile

    root = _repo_root()
    digest = hashlib.sha256()
    for path in (root / "code" / "train.py", root / "dataset" / "german_credit.csv"):
        digest.update(path.read_bytes())
    for package in ("scikit-learn", "mlflow", "skops", "pandas", "numpy"):
        digest.update(importlib.metadata.version(package).encode())
    key = digest.hexdigest()[:16]
    if key in _TRAINED:
        return _TRAINED[key]
    cache = os.environ.get("MLOPS_ENV_CACHE")
    base = Path(cache).parent / "feature-models" if cache else Path(tempfile.gettempdir()) / "feature-models"
    target = base / key / "model"
    if not (target / "MLmodel").is_file():
        work = Path(tempfile.mkdtemp(prefix="train-", dir=base.parent if base.parent.is_dir() else None))
        env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true",
               "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}"}
        env.pop("MLFLOW_RUN_ID", None)
        proc = subprocess.run(
            [sys.executable, str(root / "code" / "train.py"),
             "--data", str(root / "dataset" / "german_credit.csv"), "--model_output", str(work / "model")],
            cwd=work, env=env, capture_output=True, text=True, timeout=900,
        )
        assert proc.returncode == 0, f"training the feature model failed:\n{proc.stdout}\n{proc.stderr}"
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            (work / "model").rename(target)
        except OSError:  # another session won the race: use its model
            pass
        shutil.rmtree(work, ignore_errors=True)
    _TRAINED[key] = target
    return target


@given(step('the emulated az supports "{command}"'))
def step_az_supports(mlops_session: MlopsSession, command: str) -> None:
    if not az_supports(mlops_session, command):
        pytest.skip(f"`az {command}` is not emulated yet (see emulator/azureml/SUPPORT.md)")


@given(step('the az defaults are group "{group}" and workspace "{workspace}"'))
def step_given_az_defaults(mlops_session: MlopsSession, group: str, workspace: str) -> None:
    proc = _az(mlops_session, "configure", "--defaults", f"group={group}", f"workspace={workspace}")
    assert proc.returncode == 0, proc.stderr


@given(step('the environment "{path}" is registered'))
def step_register_environment(mlops_session: MlopsSession, path: str) -> None:
    proc = _az(mlops_session, "ml", "environment", "create", "--file", path, "-o", "none")
    assert proc.returncode == 0, proc.stderr


@given(step('a trained model as the parameter "{name}"'))
def step_trained_model_parameter(mlops_session: MlopsSession, name: str) -> None:
    mlops_session.parameters[name] = str(trained_model_dir())


@given(step('a trained model is registered as "{name}"'))
def step_register_trained_model(mlops_session: MlopsSession, name: str) -> None:
    proc = _az(mlops_session, "ml", "model", "create", "--name", name, "--type", "mlflow_model",
               "--path", str(trained_model_dir()), "--query", "version", "-o", "tsv")
    assert proc.returncode == 0, proc.stderr


@when(step('the pipeline "{pipeline}" is expanded'))
def step_expand_in_process(mlops_session: MlopsSession, pipeline: str) -> None:
    """Expand in this process (what `mlops expand` does, without starting a Python per scenario)."""
    from emulator.errors import MlopsError
    from emulator.runner import compile_pipeline
    from emulator.yamlio import dumps, plain

    mlops_session.expanded, mlops_session.expanded_text = None, ""
    try:
        compiled = compile_pipeline(mlops_session.cwd / pipeline, dict(mlops_session.parameters))
    except MlopsError as exc:
        mlops_session.exit_code, mlops_session.stdout, mlops_session.stderr = 2, "", f"error: {exc.render()}"
        return
    mlops_session.expanded = plain(compiled.document)
    mlops_session.expanded_text = dumps(compiled.document)
    mlops_session.exit_code, mlops_session.stdout, mlops_session.stderr = 0, mlops_session.expanded_text, ""


@when(step('I validate the pipeline "{pipeline}"'))
def step_validate_pipeline(mlops_session: MlopsSession, pipeline: str) -> None:
    mlops_session.mlops("validate", pipeline, *_param_args(mlops_session))


@when(step('I run az "{arguments}"'))
def step_run_az(mlops_session: MlopsSession, arguments: str) -> None:
    import shlex

    proc = _az(mlops_session, *shlex.split(arguments))
    mlops_session.exit_code = proc.returncode
    mlops_session.stdout, mlops_session.stderr = proc.stdout, proc.stderr


@then("the expansion succeeds")
def step_expansion_succeeds(mlops_session: MlopsSession) -> None:
    assert mlops_session.exit_code == 0 and mlops_session.expanded is not None, mlops_session.stderr


@then("the command succeeds")
def step_command_succeeds(mlops_session: MlopsSession) -> None:
    assert mlops_session.exit_code == 0, mlops_session.describe()


@then(step('the expansion fails at "{location}" mentioning "{text}"'))
def step_expansion_fails(mlops_session: MlopsSession, location: str, text: str) -> None:
    """`location` is `file:line` or `file:line:col` (the file as a path suffix)."""
    assert mlops_session.exit_code == 2, f"the expansion succeeded:\n{mlops_session.expanded_text[:2000]}"
    first = mlops_session.stderr.splitlines()[0] if mlops_session.stderr else ""
    where = first.removeprefix("error: ").split(": ", 1)[0]
    assert where.endswith(location) or f"/{location}:" in f"/{where}:", f"located at {where!r}:\n{first}"
    assert text in mlops_session.stderr, mlops_session.stderr
    assert "Traceback" not in mlops_session.stderr


def _expanded(session: MlopsSession) -> dict[str, Any]:
    assert session.expanded is not None, f"no expanded pipeline: {session.stderr}"
    return session.expanded


def _expanded_stage(session: MlopsSession, name: str) -> dict[str, Any]:
    stages = _expanded(session).get("stages") or []
    for stage in stages:
        if str(stage.get("stage", "")).lower() == name.lower():
            return dict(stage)
    raise AssertionError(f"no stage {name!r}: {[s.get('stage') for s in stages]}")


def _expanded_job(session: MlopsSession, stage: str, job: str) -> dict[str, Any]:
    jobs = _expanded_stage(session, stage).get("jobs") or []
    for item in jobs:
        if str(item.get("job") or item.get("deployment") or "").lower() == job.lower():
            return dict(item)
    names = [j.get("job") or j.get("deployment") for j in jobs]
    raise AssertionError(f"no job {job!r} in stage {stage}: {names}")


def _job_steps(job: dict[str, Any]) -> list[dict[str, Any]]:
    if "steps" in job:
        return list(job["steps"] or [])
    steps: list[dict[str, Any]] = []
    for strategy in (job.get("strategy") or {}).values():
        for hook, body in (strategy or {}).items():
            if hook == "on":
                for outcome in (body or {}).values():
                    steps.extend((outcome or {}).get("steps") or [])
            else:
                steps.extend((body or {}).get("steps") or [])
    return steps


def _names(text: str) -> list[str]:
    return [n.strip() for n in text.split(",") if n.strip()]


@then(step('the expanded pipeline has the stages "{names}"'))
def step_expanded_stages(mlops_session: MlopsSession, names: str) -> None:
    got = [str(s.get("stage")) for s in _expanded(mlops_session).get("stages") or []]
    assert got == _names(names), f"stages: {got}"


@then(step('the expanded pipeline contains "{text}"'))
def step_expanded_contains(mlops_session: MlopsSession, text: str) -> None:
    _expanded(mlops_session)
    assert text in mlops_session.expanded_text, f"{text!r} not in:\n{mlops_session.expanded_text}"


@then(step('the expanded pipeline does not contain "{text}"'))
def step_expanded_not_contains(mlops_session: MlopsSession, text: str) -> None:
    _expanded(mlops_session)
    assert text not in mlops_session.expanded_text, f"{text!r} found in the expanded pipeline"


@then(step('stage "{stage}" of the expanded pipeline depends on "{names}"'))
def step_expanded_stage_depends(mlops_session: MlopsSession, stage: str, names: str) -> None:
    depends = _expanded_stage(mlops_session, stage).get("dependsOn")
    got = [depends] if isinstance(depends, str) else list(depends or [])
    assert got == _names(names), f"stage {stage} depends on {got}"


@then(step('stage "{stage}" of the expanded pipeline has the condition "{text}"'))
def step_expanded_stage_condition(mlops_session: MlopsSession, stage: str, text: str) -> None:
    condition = str(_expanded_stage(mlops_session, stage).get("condition") or "")
    assert text in condition, f"condition of {stage}: {condition!r}"


@then(step('job "{job}" of stage "{stage}" of the expanded pipeline targets environment "{environment}"'))
def step_expanded_job_environment(
    mlops_session: MlopsSession, job: str, stage: str, environment: str
) -> None:
    value = _expanded_job(mlops_session, stage, job).get("environment")
    name = value.get("name") if isinstance(value, dict) else value
    assert str(name) == environment, f"job {job} targets {value!r}"


@then(step('job "{job}" of stage "{stage}" of the expanded pipeline has the named steps "{names}"'))
def step_expanded_job_steps(mlops_session: MlopsSession, job: str, stage: str, names: str) -> None:
    """The steps that have a `name:`, in order (steps without a name are not listed)."""
    got = [str(s["name"]) for s in _job_steps(_expanded_job(mlops_session, stage, job)) if s.get("name")]
    assert got == _names(names), f"named steps of {job}: {got}"


def _run_step(session: MlopsSession, stage: str, name: str) -> dict[str, Any]:
    record = session.stage(stage)
    for job in record["jobs"]:
        for item in job["steps"]:
            names = (str(item.get("name") or "").lower(), str(item.get("displayName") or "").lower())
            if name.lower() in names:
                return dict(item)
    steps = [(st.get("name"), st.get("displayName")) for j in record["jobs"] for st in j["steps"]]
    raise AssertionError(f"no step {name!r} in stage {stage}: {steps}")


_STEP_RESULT = r'step "(?P<name>[^"]+)" of stage "(?P<stage>[^"]+)" (?P<result>succeeded|failed|was skipped)$'


@then(parsers.re(_STEP_RESULT))
def step_step_result(mlops_session: MlopsSession, name: str, stage: str, result: str) -> None:
    wanted = {"succeeded": "succeeded", "failed": "failed", "was skipped": "skipped"}[result]
    got = _run_step(mlops_session, stage, name).get("result")
    assert got == wanted, f"step {name} of {stage}: {got} (wanted {wanted})\n{mlops_session.describe()}"


@then(step('the log of step "{name}" of stage "{stage}" mentions "{text}"'))
def step_step_log_mentions(mlops_session: MlopsSession, name: str, stage: str, text: str) -> None:
    item = _run_step(mlops_session, stage, name)
    log = item.get("log")
    assert log, f"step {name} of {stage} has no log: {item}"
    run_dir = mlops_session.home / "runs" / str(mlops_session.run_id)
    path = Path(log) if Path(log).is_absolute() else run_dir / log
    content = path.read_text(encoding="utf-8", errors="replace")
    assert text in content, f"{text!r} not in the log of {name}:\n{content[-3000:]}"


@then(parsers.re(r'^step "(?P<name>[^"]+)" of stage "(?P<stage>[^"]+)" reported the (?P<kind>error|warning) '
                  r'"(?P<text>[^"]*)" at "(?P<where>[^"]+)"$'))
def step_step_issue(
    mlops_session: MlopsSession, name: str, stage: str, kind: str, text: str, where: str
) -> None:
    """An issue (`##vso[task.logissue]`) of the step: its type, a text in its message, and
    `file:line:col` as the issue's sourcepath, linenumber and columnnumber."""
    issues = _run_step(mlops_session, stage, name).get("issues") or []
    for issue in issues:
        place = ":".join(str(issue.get(k, "")) for k in ("sourcepath", "linenumber", "columnnumber"))
        if issue.get("type") == kind and text in str(issue.get("message")) and place == where:
            return
    raise AssertionError(f"no {kind} {text!r} at {where} among the issues of step {name}: {issues}")


@then(step('the run published the artifact "{name}" holding "{file}"'))
def step_artifact_holds(mlops_session: MlopsSession, name: str, file: str) -> None:
    folder = mlops_session.home / "runs" / str(mlops_session.run_id) / "artifacts" / name
    held = sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
    assert file in held, f"artifact {name} holds {held}"


def _job_outputs(session: MlopsSession, stage: str, job: str) -> dict[str, Any]:
    record = session.stage(stage)
    for item in record["jobs"]:
        if item["name"].lower() == job.lower():
            return dict(item["outputs"])
    raise AssertionError(f"no job {job!r} in stage {stage}: {[j['name'] for j in record['jobs']]}")


@then(step('job "{job}" of stage "{stage}" has the output "{name}" equal to "{value}"'))
def step_job_output_equals(mlops_session: MlopsSession, job: str, stage: str, name: str, value: str) -> None:
    outputs = _job_outputs(mlops_session, stage, job)
    assert name in outputs, f"{name} not in the outputs: {outputs}"
    assert str(outputs[name]) == value, f"{name} = {outputs[name]!r}; outputs: {outputs}"


@then(step('job "{job}" of stage "{stage}" has the output "{name}" of at least {minimum:f}'))
def step_job_output_at_least(
    mlops_session: MlopsSession, job: str, stage: str, name: str, minimum: str
) -> None:
    outputs = _job_outputs(mlops_session, stage, job)
    assert name in outputs, f"{name} not in {outputs}"
    assert float(outputs[name]) >= float(minimum), f"{name} = {outputs[name]}"


@then(step('az printed "{text}"'))
def step_az_printed(mlops_session: MlopsSession, text: str) -> None:
    assert text in mlops_session.stdout, mlops_session.describe() + f"\nstdout:\n{mlops_session.stdout}"


def _traffic(session: MlopsSession, endpoint: str) -> dict[str, int]:
    proc = _az(session, "ml", "online-endpoint", "show", "--name", endpoint, "--query", "traffic",
               "-o", "json")
    assert proc.returncode == 0, proc.stderr
    return {str(k): int(v) for k, v in (json.loads(proc.stdout or "{}") or {}).items()}


@then(step('endpoint "{name}" sends all traffic to "{deployment}"'))
def step_endpoint_traffic(mlops_session: MlopsSession, name: str, deployment: str) -> None:
    traffic = _traffic(mlops_session, name)
    assert traffic.get(deployment) == 100, f"traffic of {name}: {traffic}"
    assert all(v == 0 for k, v in traffic.items() if k != deployment), f"traffic of {name}: {traffic}"


@then(step('endpoint "{name}" has the deployments "{names}"'))
def step_endpoint_deployments(mlops_session: MlopsSession, name: str, names: str) -> None:
    proc = _az(mlops_session, "ml", "online-deployment", "list", "--endpoint-name", name,
               "--query", "[].name", "-o", "json")
    assert proc.returncode == 0, proc.stderr
    assert sorted(json.loads(proc.stdout or "[]")) == sorted(_names(names)), proc.stdout


@then(step('model "{name}" version {version:d} has the tag "{tag}" equal to "{value}"'))
def step_model_tag_equals(mlops_session: MlopsSession, name: str, version: str, tag: str, value: str) -> None:
    proc = _az(mlops_session, "ml", "model", "show", "--name", name, "--version", version, "--query", "tags",
               "-o", "json")
    assert proc.returncode == 0, proc.stderr
    tags = json.loads(proc.stdout or "{}") or {}
    assert str(tags.get(tag)) == value, f"tags of {name}:{version}: {tags}"


@when(step('I run the pipeline "{pipeline}" with the parameters:'))
def step_run_pipeline_with(mlops_session: MlopsSession, pipeline: str, datatable: list[list[str]]) -> None:
    """Run with the `Given the parameters:` ones and these (which win), for this run only."""
    mlops_session.pipeline = pipeline
    values = {**mlops_session.parameters, **{row[0].strip(): row[1].strip() for row in datatable[1:]}}
    pairs = [a for k, v in values.items() for a in ("-p", f"{k}={v}")]
    mlops_session.run_json("run", pipeline, *pairs)


@then(step('endpoint "{name}" does not exist'))
def step_endpoint_missing(mlops_session: MlopsSession, name: str) -> None:
    proc = _az(mlops_session, "ml", "online-endpoint", "show", "--name", name, "-o", "none")
    assert proc.returncode != 0, f"endpoint {name} exists"
