"""Eight `mlops run` processes share one state folder: distinct ids and counters, complete records."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import pythonpath_env

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

PIPELINE = """
variables:
  build: $[counter('shared', 100)]
jobs:
- job: A
  steps:
  - bash: |
      echo "build $(build) run $(Build.BuildId)"
      echo "##vso[task.setvariable variable=build;isOutput=true]$(build)"
    name: s
- job: B
  steps:
  - bash: echo "B of run $(Build.BuildId)"
    name: s
- job: C
  dependsOn: [A, B]
  variables:
    fromA: $[ dependencies.A.outputs['s.build'] ]
  steps:
  - bash: test "$(fromA)" = "$(build)" && echo "C sees $(fromA)"
    name: s
"""


def test_eight_runs_at_once(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pipeline.yml").write_text(PIPELINE)
    home = tmp_path / "home"
    env = pythonpath_env(home)
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "emulator", "run", "pipeline.yml", "--json", "-q"],
            cwd=repo,
            env=env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        for _ in range(8)
    ]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert all(p.returncode == 0 for p in procs), [e[-2000:] for _, e in outputs]
    runs = sorted((home / "runs").glob("[0-9]*"), key=lambda p: int(p.name))
    assert [r.name for r in runs] == [str(i) for i in range(1, 9)]
    builds = set()
    for run_dir in runs:
        record = json.loads((run_dir / "run.json").read_text())
        assert record["status"] == "completed" and record["result"] == "succeeded", record["id"]
        jobs = {j["name"]: j for s in record["stages"] for j in s["jobs"]}
        assert set(jobs) == {"A", "B", "C"} and all(j["state"] == "completed" for j in jobs.values())
        build = jobs["A"]["outputs"]["s.build"]
        builds.add(build)
        for j in jobs.values():
            for step in j["steps"]:
                log = (run_dir / step["log"]).read_text()
                if step["name"] == "s" and j["name"] == "A":
                    assert f"build {build} run {record['id']}" in log
                if step["name"] == "s" and j["name"] == "C":
                    assert f"C sees {build}" in log
        events = [json.loads(line)["event"] for line in (run_dir / "timeline.jsonl").open()]
        assert events[0] == "queued" and events[-1] == "finished" and events.count("jobFinished") == 3
    assert builds == {str(100 + i) for i in range(8)}
