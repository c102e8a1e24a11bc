"""Azure ML: the emulated `az` in the scenario's state, and the models in its MLflow registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pytest_bdd import given, then, when

from emulator.testing.steps.session import MlopsSession, repo_root, run_az, step

__all__ = [
    "az_supports",
    "step_az_printed",
    "step_az_supports",
    "step_given_az_defaults",
    "step_logged_metric",
    "step_model_registered",
    "step_model_tag_equals",
    "step_model_version_tag",
    "step_no_model",
    "step_register_environment",
    "step_register_trained_model",
    "step_run_az",
    "step_trained_model_parameter",
    "trained_model_dir",
]


def _client(session: MlopsSession) -> Any:
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    from mlflow.tracking import MlflowClient

    return MlflowClient(tracking_uri=session.tracking_uri(), registry_uri=session.tracking_uri())


@then(step('model "{name}" version {version:d} is registered'))
def step_model_registered(mlops_session: MlopsSession, name: str, version: str) -> None:
    """The MLflow registry of the scenario's state has that version of the model."""
    versions = sorted(int(v.version) for v in _client(mlops_session).search_model_versions(f"name='{name}'"))
    assert int(version) in versions, f"versions of {name}: {versions}"


@then(step('model "{name}" version {version:d} has the tag "{tag}"'))
def step_model_version_tag(mlops_session: MlopsSession, name: str, version: str, tag: str) -> None:
    """That model version has the tag (with a value that is not empty)."""
    mv = _client(mlops_session).get_model_version(name, version)
    assert mv.tags.get(tag), f"tags of {name}:{version}: {mv.tags}"


@then(step('no model "{name}" is registered'))
def step_no_model(mlops_session: MlopsSession, name: str) -> None:
    """Nothing is registered under that name."""
    db = mlops_session.home / "mlflow.db"
    if not db.exists():
        return
    assert not _client(mlops_session).search_model_versions(f"name='{name}'")


@then(step('the logged "{metric}" of model "{name}" version {version:d} is at least {minimum:f}'))
def step_logged_metric(
    mlops_session: MlopsSession, metric: str, name: str, version: str, minimum: str
) -> None:
    """A metric of the training run behind the model version is at least the number."""
    client = _client(mlops_session)
    mv = client.get_model_version(name, version)
    assert mv.run_id, f"{name}:{version} has no source run"
    value = client.get_run(mv.run_id).data.metrics.get(metric)
    assert value is not None and value >= float(minimum), f"{metric} of run {mv.run_id}: {value}"


_EMULATED: dict[str, bool] = {}


def az_supports(session: MlopsSession, command: str) -> bool:
    """Whether the emulated `az` has a command (asked once per session with `--help`)."""
    if command not in _EMULATED:
        proc = run_az(session, *command.split(), "--help", timeout=120)
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

    root = repo_root()
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
        env = {
            **os.environ,
            "MLFLOW_DISABLE_TELEMETRY": "true",
            "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
        }
        env.pop("MLFLOW_RUN_ID", None)
        proc = subprocess.run(
            [
                sys.executable,
                str(root / "code" / "train.py"),
                "--data",
                str(root / "dataset" / "german_credit.csv"),
                "--model_output",
                str(work / "model"),
            ],
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
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
    """Skips the scenario, naming the command, while the emulated `az` lacks it (e.g.
    `"ml batch-endpoint invoke"`)."""
    if not az_supports(mlops_session, command):
        pytest.skip(f"`az {command}` is not emulated yet (see emulator/azureml/SUPPORT.md)")


@given(step('the az defaults are group "{group}" and workspace "{workspace}"'))
def step_given_az_defaults(mlops_session: MlopsSession, group: str, workspace: str) -> None:
    """`az configure --defaults group=G workspace=W` in the scenario's state."""
    proc = run_az(mlops_session, "configure", "--defaults", f"group={group}", f"workspace={workspace}")
    assert proc.returncode == 0, proc.stderr


@given(step('the environment "{path}" is registered'))
def step_register_environment(mlops_session: MlopsSession, path: str) -> None:
    """`az ml environment create --file FILE` (deployments need their environment registered)."""
    proc = run_az(mlops_session, "ml", "environment", "create", "--file", path, "-o", "none")
    assert proc.returncode == 0, proc.stderr


@given(step('a trained model as the parameter "{name}"'))
def step_trained_model_parameter(mlops_session: MlopsSession, name: str) -> None:
    """The path of the trained model (see `trained_model_dir`) as the runtime parameter NAME, for
    pipelines whose jobs copy it."""
    mlops_session.parameters[name] = str(trained_model_dir())


@given(step('a trained model is registered as "{name}"'))
def step_register_trained_model(mlops_session: MlopsSession, name: str) -> None:
    """`az ml model create --type mlflow_model` of a model trained once by `code/train.py` (cached
    beside `$MLOPS_ENV_CACHE`, keyed by train.py, the data and the library versions)."""
    proc = run_az(
        mlops_session,
        "ml",
        "model",
        "create",
        "--name",
        name,
        "--type",
        "mlflow_model",
        "--path",
        str(trained_model_dir()),
        "--query",
        "version",
        "-o",
        "tsv",
    )
    assert proc.returncode == 0, proc.stderr


@when(step('I run az "{arguments}"'))
def step_run_az(mlops_session: MlopsSession, arguments: str) -> None:
    """The emulated `az` with these arguments (shell-style quoting), in the scenario's state."""
    import shlex

    proc = run_az(mlops_session, *shlex.split(arguments))
    mlops_session.exit_code = proc.returncode
    mlops_session.stdout, mlops_session.stderr = proc.stdout, proc.stderr


@then(step('az printed "{text}"'))
def step_az_printed(mlops_session: MlopsSession, text: str) -> None:
    """The output of the last `When I run az` contains the text."""
    assert text in mlops_session.stdout, mlops_session.describe() + f"\nstdout:\n{mlops_session.stdout}"


@then(step('model "{name}" version {version:d} has the tag "{tag}" equal to "{value}"'))
def step_model_tag_equals(mlops_session: MlopsSession, name: str, version: str, tag: str, value: str) -> None:
    """A tag's value as `az ml model show` prints it."""
    proc = run_az(
        mlops_session,
        "ml",
        "model",
        "show",
        "--name",
        name,
        "--version",
        version,
        "--query",
        "tags",
        "-o",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    tags = json.loads(proc.stdout or "{}") or {}
    assert str(tags.get(tag)) == value, f"tags of {name}:{version}: {tags}"
