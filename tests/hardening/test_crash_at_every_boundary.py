"""A run killed (SIGKILL) at every job and stage boundary resumes to the same end as an uninterrupted run.

The runner kills itself right after it has recorded the Nth event of a kind (MLOPS_INTERNAL_CRASH_AFTER,
a knob for these tests), so every boundary is hit exactly: after a stage or job started, after a job or
stage finished. Between the kill and the resume `runs show` tells the truth (interrupted, nothing shown
running); after the resume every job's result and outputs (a secret one included) are those of the
uninterrupted run, and no job that had finished runs again.
"""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from .conftest import Project, no_traceback

MARK = 'echo "{what} $(System.StageName).$(System.PhaseName)" >> "$MARKS"'
# stage -> its variables; job -> (stage, dependsOn, variables, the line between the two marks)
OUTPUTS = (
    'echo "##vso[task.setvariable variable=v;isOutput=true]$(System.PhaseName)-$(fromBefore)"; '
    'echo "##vso[task.setvariable variable=token;isOutput=true;issecret=true]tok-$(System.PhaseName)"'
)
STAGES = {"S1": {}, "S2": {"fromBefore": "$[ stageDependencies.S1.B.outputs['s.v'] ]"}, "S3": {}}
JOBS = {
    "A": ("S1", None, {}, OUTPUTS),
    "B": ("S1", "A", {"fromBefore": "$[ dependencies.A.outputs['s.v'] ]"}, OUTPUTS),
    "C": ("S2", None, {}, OUTPUTS),
    "D": (
        "S2",
        "C",
        {
            "fromBefore": "$[ dependencies.C.outputs['s.v'] ]",
            "secretFromC": "$[ dependencies.C.outputs['s.token'] ]",
        },
        'test "$TOKEN" = tok-C && echo "##vso[task.setvariable variable=v;isOutput=true]D-$(fromBefore)-ok"',
    ),
    "E": ("S3", None, {}, OUTPUTS),
}


def _pipeline() -> dict[str, Any]:
    """Outputs flow from job to job and stage to stage, and a secret output from C to D."""
    stages = []
    for stage, variables in STAGES.items():
        jobs = []
        for name, (where, after, job_variables, line) in JOBS.items():
            if where != stage:
                continue
            script = "\n".join([MARK.format(what="start"), line, MARK.format(what="done")])
            step = {"bash": script, "name": "s", "env": {"TOKEN": "$(secretFromC)"}}
            jobs.append(
                {
                    "job": name,
                    **({"dependsOn": after} if after else {}),
                    **({"variables": job_variables} if job_variables else {}),
                    "steps": [{"checkout": "none"}, step],
                }
            )
        stages.append({"stage": stage, **({"variables": variables} if variables else {}), "jobs": jobs})
    return {"variables": {"fromBefore": "none"}, "stages": stages}


PIPELINE = json.dumps(_pipeline(), indent=1)  # JSON is YAML


BOUNDARIES = (
    [("stageStarted", n) for n in (1, 2, 3)]
    + [("jobStarted", n) for n in range(1, 6)]
    + [("jobFinished", n) for n in range(1, 6)]
    + [("stageFinished", n) for n in (1, 2)]
)


def _results(summary: dict[str, Any]) -> dict[str, Any]:
    return {
        f"{s['name']}.{j['name']}": (j["result"], j["outputs"], [st["result"] for st in j["steps"]])
        for s in summary["stages"]
        for j in s["jobs"]
    } | {"run": summary["result"]}


def _summary(project: Project, env: dict[str, str]) -> dict[str, Any]:
    proc = project.mlops("runs", "show", "1", "--json", env=env)
    assert proc.returncode == 0, proc.stderr
    return dict(json.loads(proc.stdout))


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("baseline")
    project = Project(root / "repo", root / "home")
    project.repo.mkdir()
    project.write(PIPELINE)
    env = project.env(MARKS=str(root / "marks"))
    proc = project.mlops("run", "pipeline.yml", "-q", env=env)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _results(_summary(project, env))
    assert results["S2.D"][1] == {"s.v": "D-C-B-A-none-ok"}  # D read C's secret output intact
    assert results["S2.C"][1] == {"s.v": "C-B-A-none", "s.token": "***"}
    return results


@pytest.mark.parametrize(("event", "count"), BOUNDARIES, ids=[f"{e}:{n}" for e, n in BOUNDARIES])
def test_killed_at_a_boundary_then_resumed(
    project: Project, tmp_path: Path, baseline: dict[str, Any], event: str, count: int
) -> None:
    project.write(PIPELINE)
    marks = tmp_path / "marks"
    env = project.env(MARKS=str(marks))
    crash = {**env, "MLOPS_INTERNAL_CRASH_AFTER": f"{event}:{count}"}
    killed = project.mlops("run", "pipeline.yml", "-q", env=crash)
    assert killed.returncode == -9, killed.stdout + killed.stderr

    shown = _summary(project, env)
    assert shown["status"] == "interrupted", shown["status"]
    assert not [j for s in shown["stages"] for j in s["jobs"] if j.get("state") == "running"]

    resumed = project.mlops("resume", "1", "-q", env=env)
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    no_traceback(resumed)
    assert _results(_summary(project, env)) == baseline
    lines = marks.read_text().splitlines()
    done = Counter(line.split()[1] for line in lines if line.startswith("done"))
    assert set(done.values()) == {1}, done  # no job that finished ran again
    assert not (project.home / "runs" / "1" / "secrets.json").exists()
