"""Defect 2 (high): masking changed the values that flow between jobs and stages, not only what is shown.

With `--secret SHORT=credit`, an output variable `credit-v7` reached the next job as `***-v7`, and a
one-letter secret shredded every output. Azure masks what is written to logs [DOC process/variables.md
"Secret variables": "masked in logs"]; the values that flow between steps, jobs and stages are the real
ones. The record still shows the masked form (it is displayed), and the logs of the consuming job mask
the secret as they always did.
"""

from __future__ import annotations

import json

from .conftest import Project, job_record

PIPELINE = """\
stages:
- stage: Produce
  jobs:
  - job: A
    steps:
    - checkout: none
    - bash: |
        echo "##vso[task.setvariable variable=ver;isOutput=true]credit-v7"
        echo "##vso[task.setvariable variable=greeting;isOutput=true]hello there"
        echo "##vso[build.updatebuildnumber]credit-42"
      name: s
  - job: B
    dependsOn: A
    variables:
      ver: $[ dependencies.A.outputs['s.ver'] ]
      greeting: $[ dependencies.A.outputs['s.greeting'] ]
    steps:
    - checkout: none
    - bash: |
        test "$VER" = "credit-v7" && echo "B ok 1"
        test "$GREETING" = "hello there" && echo "B ok 2"
        test "$(Build.BuildNumber)" = "credit-42" && echo "B ok 3"
        echo "B sees $VER"
      env:
        VER: $(ver)
        GREETING: $(greeting)
- stage: Consume
  variables:
    ver: $[ stageDependencies.Produce.A.outputs['s.ver'] ]
  jobs:
  - job: C
    steps:
    - checkout: none
    - bash: |
        test "$VER" = "credit-v7" && echo "C ok 1"
        test "$(Build.BuildNumber)" = "credit-42" && echo "C ok 3"
      env:
        VER: $(ver)
- stage: Gate
  dependsOn: Produce
  condition: eq(dependencies.Produce.outputs['A.s.ver'], 'credit-v7')
  jobs:
  - job: D
    steps:
    - checkout: none
    - script: echo "the stage condition saw the real value"
"""


def _log(project: Project, run_id: str, stage: str, job: str) -> str:
    folder = project.home / "runs" / run_id / "logs" / stage / job
    return "\n".join(p.read_text() for p in sorted(folder.glob("*.log")))


def test_outputs_keep_their_value_when_a_secret_is_part_of_them(project: Project) -> None:
    run = project.run(PIPELINE, secret_variables={"SHORT": "credit"})
    assert run.data["result"] == "succeeded", json.dumps(run.data["stages"], indent=1)[:3000]
    assert "B ok 1" in _log(project, run.id, "Produce", "B")
    assert "B ok 2" in _log(project, run.id, "Produce", "B")
    assert "B ok 3" in _log(project, run.id, "Produce", "B")
    assert "C ok 1" in _log(project, run.id, "Consume", "C")
    assert "C ok 3" in _log(project, run.id, "Consume", "C")
    assert job_record(run, "Gate", "D")["result"] == "succeeded"
    # what is shown stays masked
    assert "B sees ***-v7" in _log(project, run.id, "Produce", "B")
    assert job_record(run, "Produce", "A")["outputs"]["s.ver"] == "***-v7"
    assert "credit" not in (project.home / "runs" / run.id / "run.json").read_text()


def test_a_one_letter_secret_does_not_shred_the_outputs(project: Project) -> None:
    run = project.run(PIPELINE, secret_variables={"TINY": "e"})
    assert run.data["result"] == "succeeded"
    assert "B ok 1" in _log(project, run.id, "Produce", "B")  # the markers have no "e"
    assert "B ok 2" in _log(project, run.id, "Produce", "B")
    assert "C ok 1" in _log(project, run.id, "Consume", "C")
    shown = job_record(run, "Produce", "A")["outputs"]  # names are masked too
    assert shown == {"s.v***r": "cr***dit-v7", "s.gr******ting": "h***llo th***r***"}
