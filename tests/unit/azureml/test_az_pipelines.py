"""Conformance of the emulated `az ml` as pipelines use it: small pipelines of AzureCLI@2 steps.

Each folder under `pipelines/` holds a `pipeline.yml` (and the Azure ML YAML and code it submits) and
an `expected.json` citing the documentation it follows (`doc`), with the run's `result`, the results of
stages/jobs/steps and what step logs must (not) contain. The folder is copied to a fresh repository
and run through `emulator.runner.start` with its own state folder; jobs use the emulator's Python
(`MLOPS_JOB_ENV_MANAGER=local`), deployments the shared environment cache. A folder with a `serve/`
subfolder gets the pinned serving environment of the other tests (`serve/environment.yml`). A folder
whose Azure ML YAML names a shared script it does not hold (the tiny training script, the batch scoring
script) gets it from `fixtures/`.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from conftest import serving_conda

from emulator import runner
from emulator.azureml.serving.endpoints import stop_all_endpoints
from emulator.runtime.events import SilentReporter
from emulator.store.runs import Run

HERE = Path(__file__).parent / "pipelines"
FIXTURES = Path(__file__).parent / "fixtures"
SHARED_SCRIPTS = {  # where a scenario expects it -> the one copy
    "aml/src/train.py": FIXTURES / "job" / "src" / "train.py",
    "aml/batch_score.py": FIXTURES / "batch" / "batch_score.py",
}
SCENARIOS = sorted(p.name for p in HERE.iterdir() if (p / "pipeline.yml").is_file())


def _find(items: list[dict[str, Any]], name: str, what: str) -> dict[str, Any]:
    for item in items:
        if item["name"].lower() == name.lower():
            return item
    raise AssertionError(f"no {what} {name}: {[i['name'] for i in items]}")


def _summary(run: Run) -> str:
    rows = [f"run {run.data.get('result')}"]
    for stage in run.data["stages"]:
        rows.append(f"  {stage['name']}: {stage.get('result')}")
        for job in stage["jobs"]:
            steps = ", ".join(f"{s['name']}={s.get('result')}" for s in job["steps"])
            rows.append(f"    {job['name']}: {job.get('result')} [{steps}] {job.get('message') or ''}")
    return "\n".join(rows)


def _log(run: Run, path: str) -> str:
    stage_name, job_name, step_name = path.split("/", 2)
    stage = _find(run.data["stages"], stage_name, "stage")
    job = _find(stage["jobs"], job_name, "job")
    step = _find(job["steps"], step_name, "step")
    assert step.get("log"), f"{path} has no log"
    return (run.dir / step["log"]).read_text(errors="replace")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_az_in_pipelines(
    scenario: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env_cache: Path
) -> None:
    folder = HERE / scenario
    expected = json.loads((folder / "expected.json").read_text())
    assert expected.get("doc"), f"{scenario}: expected.json must cite the documentation it follows"
    repo = tmp_path / "repo"
    shutil.copytree(folder, repo, ignore=shutil.ignore_patterns("expected.json", "__pycache__"))
    specs = "\n".join(f.read_text() for f in (repo / "aml").glob("*.yml"))
    for target, source in SHARED_SCRIPTS.items():
        if source.name in specs and not (repo / target).exists():
            (repo / target).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, repo / target)
    if (repo / "serve").is_dir():
        serving_conda(repo / "serve")
    home = tmp_path / "home"
    home.mkdir()
    for name, value in {
        "MLOPS_HOME": str(home),
        "MLOPS_ENV_CACHE": str(env_cache),
        "MLOPS_JOB_ENV_MANAGER": "local",
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLOPS_USER": "tester",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    try:
        run = runner.start(runner.RunRequest(repo / "pipeline.yml", user="tester"), home, SilentReporter())
    finally:
        stop_all_endpoints(home)
    summary = _summary(run)
    assert run.data["result"] == expected["result"], summary
    for stage_name, stage_expected in expected.get("stages", {}).items():
        stage = _find(run.data["stages"], stage_name, "stage")
        if "result" in stage_expected:
            assert stage["result"] == stage_expected["result"], summary
        for job_name, job_expected in stage_expected.get("jobs", {}).items():
            job = _find(stage["jobs"], job_name, "job")
            if "result" in job_expected:
                assert job["result"] == job_expected["result"], summary
            for step_name, result in job_expected.get("steps", {}).items():
                assert _find(job["steps"], step_name, "step").get("result") == result, summary
    for path, checks in expected.get("logs", {}).items():
        text = _log(run, path)
        for needle in checks.get("contains", []):
            assert needle in text, f"{path}: {needle!r} not in the log:\n{text}"
        for needle in checks.get("excludes", []):
            assert needle not in text, f"{path}: {needle!r} in the log:\n{text}"
