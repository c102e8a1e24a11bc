"""A run killed with SIGKILL at each job boundary resumes to the same end as an uninterrupted run:
completed jobs never run again, the interrupted one reruns from its start, outputs are not lost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from emulator.processes import process_alive

from .conftest import pythonpath_env

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

STEP = """
    steps:
    - bash: |
        echo "start $(System.StageName).$(System.PhaseName) $$" >> "$MARKS"
        if [ ! -f "$FAST" ]; then sleep 30; else sleep 0.3; fi
        echo "##vso[task.setvariable variable=v;isOutput=true]$(System.PhaseName)-$(fromBefore)"
        echo "done $(System.StageName).$(System.PhaseName)" >> "$MARKS"
      name: s
"""
PIPELINE = f"""
variables:
  fromBefore: none
stages:
- stage: S1
  jobs:
  - job: A
{STEP}
  - job: B
    dependsOn: A
    variables:
      fromBefore: $[ dependencies.A.outputs['s.v'] ]
{STEP}
- stage: S2
  variables:
    fromBefore: $[ stageDependencies.S1.B.outputs['s.v'] ]
  jobs:
  - job: C
{STEP}
  - job: D
    dependsOn: C
    variables:
      fromBefore: $[ dependencies.C.outputs['s.v'] ]
{STEP}
- stage: S3
  jobs:
  - job: E
{STEP}
"""
JOBS = ["S1.A", "S1.B", "S2.C", "S2.D", "S3.E"]


def _mlops(env: dict[str, str], cwd: Path, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", *args],
        cwd=cwd,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )


def _summary(out: str) -> dict[str, Any]:
    return dict(json.loads(out[out.rindex("\n{\n") + 1 :] if "\n{\n" in out else out[out.index("{") :]))


def _results(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{s['name']}.{j['name']}": (j["result"], j["outputs"], [st["result"] for st in j["steps"]])
        for s in summary["stages"]
        for j in s["jobs"]
    } | {"run": summary["result"]}


def _marks(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "pipeline.yml").write_text(PIPELINE)
    home = tmp_path / "home"
    env = pythonpath_env(home)
    return repo, env


def _run_until(repo: Path, env: dict[str, str], marks: Path, starts: int) -> str:
    """Start a run, SIGKILL it once `starts` jobs have started; returns the run id."""
    proc = _mlops(env, repo, "run", "pipeline.yml", "--json", "-q")
    deadline = time.monotonic() + 60
    while sum(1 for m in _marks(marks) if m.startswith("start")) < starts:
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    runs = sorted(Path(env["MLOPS_HOME"], "runs").glob("[0-9]*"), key=lambda p: int(p.name))
    return runs[-1].name


def test_kill_at_each_job_boundary_then_resume(setup: tuple[Path, dict[str, str]], tmp_path: Path) -> None:
    repo, env = setup
    fast = tmp_path / "fast"
    fast.touch()
    baseline_marks = tmp_path / "baseline.marks"
    base = _mlops(
        {**env, "MARKS": str(baseline_marks), "FAST": str(fast)}, repo, "run", "pipeline.yml", "--json", "-q"
    )
    out, err = base.communicate(timeout=120)
    assert base.returncode == 0, err
    expected = _results(_summary(out))
    assert expected["S3.E"][1] == {"s.v": "E-none"} and expected["S2.D"][1] == {"s.v": "D-C-B-A-none"}
    for k in range(1, len(JOBS) + 1):
        marks = tmp_path / f"kill{k}.marks"
        run_env = {**env, "MARKS": str(marks), "FAST": str(fast)}
        run_id = _run_until(repo, run_env, marks, k)
        record = json.loads(Path(env["MLOPS_HOME"], "runs", run_id, "run.json").read_text())
        assert record["status"] == "running"
        resumed = _mlops(run_env, repo, "resume", run_id, "--json", "-q")
        out, err = resumed.communicate(timeout=120)
        assert resumed.returncode == 0, err
        assert _results(_summary(out)) == expected, f"kill at job {k}"
        starts = [m.split()[1] for m in _marks(marks) if m.startswith("start")]
        for i, job in enumerate(JOBS):
            wanted = 2 if i == k - 1 else 1  # the job running at the kill starts again; no other does
            assert starts.count(job) == wanted, (k, job, starts)
        timeline = [
            json.loads(line) for line in Path(env["MLOPS_HOME"], "runs", run_id, "timeline.jsonl").open()
        ]
        finished = [f"{e['stage']}.{e['job']}" for e in timeline if e["event"] == "jobFinished"]
        assert sorted(finished) == sorted(JOBS), finished


def test_resume_stops_what_the_killed_attempt_left_running(
    setup: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    repo, env = setup
    marks = tmp_path / "orphans.marks"
    fast = tmp_path / "fast"
    run_env = {**env, "MARKS": str(marks), "FAST": str(fast)}
    run_id = _run_until(repo, run_env, marks, 1)  # job A sleeps 30 s: it is mid-step
    orphan = int(_marks(marks)[0].split()[2])
    assert process_alive(orphan)
    fast.touch()
    started = time.monotonic()
    resumed = _mlops(run_env, repo, "resume", run_id, "--json", "-q")
    out, err = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, err
    assert time.monotonic() - started < 25
    assert not process_alive(orphan)
    assert "done S1.A" in _marks(marks) and _marks(marks).count("done S1.A") == 1
