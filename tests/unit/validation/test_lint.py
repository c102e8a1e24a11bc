"""Run-time expressions checked before the run (emulator/lint.py), as a table of cases.

Errors are what the run rejects when the unit is about to run [DOC process/expressions.md
"Functions", "Job status check functions"]; warnings are what Azure evaluates to an empty value
[DOC process/expressions.md "Dependencies"; process/variables.md "Use outputs in a different job":
"output variables are only visible to jobs/stages that depend on the producer"].
"""

from __future__ import annotations

import textwrap

import pytest

from emulator import lint
from emulator.model import build
from emulator.normalize import normalize
from emulator.yamlio import loads

TWO_STAGES = """\
stages:
- stage: A
  jobs:
  - job: J
    steps:
    - script: echo "##vso[task.setvariable variable=v;isOutput=true]1"
      name: s
    - script: echo "##vso[task.setvariable variable=built]yes"
    - task: UsePythonVersion@0
      inputs:
        versionSpec: '3.11'
  - job: K
    dependsOn: J
    condition: {job_condition}
    variables:
      jv: $[ {job_variable} ]
    steps:
    - script: echo hi
      condition: {step_condition}
- stage: B
  condition: {stage_condition}
  variables:
    sv: $[ {stage_variable} ]
  jobs:
  - job: M
    steps:
    - script: echo hi
- stage: C
  dependsOn: B
  jobs:
  - job: N
    condition: {late_job_condition}
    steps:
    - script: echo hi
"""
FINE = {
    "job_condition": "succeeded()",
    "job_variable": "dependencies.J.outputs['s.v']",
    "step_condition": "eq(variables['built'], 'yes')",
    "stage_condition": "eq(dependencies.A.result, 'Succeeded')",
    "stage_variable": "stageDependencies.A.J.outputs['s.v']",
    "late_job_condition": "eq(stageDependencies.B.M.result, 'Succeeded')",
}

# (case, the field that changes, its text, expected: (severity, rule, text in the message) or None)
CASES = [
    ("everything fine", "job_condition", "succeeded()", None),
    (
        "misspelt status function",
        "stage_condition",
        "succeded()",
        ("error", "expression", "Unrecognized function name: 'succeded'"),
    ),
    ("misspelt built-in in $[ ]", "job_variable", "lowr('A')", ("error", "expression", "'lowr'")),
    (
        "status function in a variable",
        "stage_variable",
        "succeeded()",
        ("error", "expression", "'succeeded'"),
    ),
    (
        "counter in a condition",
        "job_condition",
        "eq(counter('a', 0), 1)",
        ("error", "expression", "'counter'"),
    ),
    (
        "status function with an argument in a step",
        "step_condition",
        "succeeded('J')",
        ("error", "expression", "Too many parameters"),
    ),
    (
        "dependencies in a step condition",
        "step_condition",
        "eq(dependencies.J.result, 'Succeeded')",
        ("error", "expression", "Unrecognized value: 'dependencies'"),
    ),
    (
        "misspelt named value",
        "job_condition",
        "eq(variable['x'], 'y')",
        ("error", "expression", "Unrecognized value: 'variable'"),
    ),
    (
        "undefined variable",
        "step_condition",
        "eq(variables['deployToProd'], 'true')",
        ("warning", "undefined-variable", "'deployToProd'"),
    ),
    ("predefined variable", "step_condition", "eq(variables['Build.SourceBranch'], 'refs/heads/main')", None),
    ("output of a step of the job", "step_condition", "eq(variables['s.v'], '1')", None),
    ("variable a task sets (UsePythonVersion@0)", "job_variable", "variables['pythonLocation']", None),
    (
        "misspelt job",
        "job_condition",
        "eq(dependencies.j2.result, 'Succeeded')",
        ("warning", "not-a-dependency", "there is no job j2"),
    ),
    (
        "stage that is not a direct dependency",
        "late_job_condition",
        "eq(dependencies.B.result, 'Succeeded')",
        ("warning", "not-a-dependency", "there is no job B"),
    ),
    (
        "stage condition on an indirect stage",
        "stage_condition",
        "eq(dependencies.Z.result, 'Succeeded')",
        ("warning", "not-a-dependency", "there is no stage Z"),
    ),
    (
        "outputs of a stage two steps up",
        "late_job_condition",
        "eq(stageDependencies.A.J.outputs['s.v'], '1')",
        ("warning", "output-without-dependency", "stage A is not a direct dependency of stage C"),
    ),
    (
        "outputs of a job the stage does not have",
        "stage_variable",
        "stageDependencies.A.X.outputs['s.v']",
        ("warning", "output-without-dependency", "stage A has no job X"),
    ),
]


def _pipeline(field: str, text: str) -> str:
    return TWO_STAGES.format(**{**FINE, field: text})


@pytest.mark.parametrize(("case", "field", "text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_run_time_expressions(
    case: str, field: str, text: str, expected: tuple[str, str, str] | None
) -> None:
    pipeline = build(normalize(loads(_pipeline(field, text), "pipeline.yml")))
    findings = lint.check(pipeline)
    if expected is None:
        assert findings == [], [f.render() for f in findings]
        return
    assert len(findings) == 1, [f.render() for f in findings]
    severity, rule, message = expected
    finding = findings[0]
    assert (finding.severity, finding.rule) == (severity, rule), finding.render()
    assert message in finding.message
    assert finding.location is not None and finding.location.file == "pipeline.yml" and finding.location.line


def test_a_queue_time_variable_is_defined() -> None:
    pipeline = build(normalize(loads(_pipeline("step_condition", "eq(variables['deploy'], 'yes')"), "p.yml")))
    assert lint.check(pipeline, ["Deploy"]) == []


def test_the_location_points_at_the_reference() -> None:
    text = textwrap.dedent("""\
        steps:
        - script: echo hi
          condition: and(succeeded(), eq(variables['nope'], 'x'))
        """)
    (finding,) = lint.check(build(normalize(loads(text, "p.yml"))))
    assert finding.location is not None
    line = text.splitlines()[finding.location.line - 1]
    assert line[finding.location.col - 1 :].startswith("variables['nope']")


def test_a_variable_group_in_scope_may_define_any_variable() -> None:
    text = textwrap.dedent("""\
        variables:
        - group: release-settings
        steps:
        - script: echo hi
          condition: eq(variables['deployToProd'], 'true')
        """)
    assert lint.check(build(normalize(loads(text, "p.yml")))) == []
