"""Errors that teach: every user-facing error names file:line:col, shows the line with a caret, no traceback.

A table of bad inputs goes through `python -m emulator validate` (and `run`); each must exit 2 with a
located message.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LOCATED = re.compile(r"^error: (?P<file>[^\s:]+):(?P<line>\d+):(?P<col>\d+): ", re.M)
CARET = re.compile(r"^ *\^$", re.M)


@dataclass(frozen=True)
class Case:
    files: dict[str, str]
    args: tuple[str, ...] = ()
    file: str = "p.yml"  # the file the error must name
    line: int | None = None
    says: str = ""  # a piece of the message
    commands: tuple[str, ...] = ("validate", "run")
    env: dict[str, str] = field(default_factory=dict)


def y(text: str) -> str:
    """YAML written indented in this file."""
    return textwrap.dedent(text).lstrip("\n")


STEP = "steps:\n  - script: echo hi\n"
TWO_STAGES = y("""
    stages:
      - stage: A
        dependsOn: {a}
        jobs:
          - job: J
            steps:
              - script: echo
      - stage: {b}
        dependsOn: {c}
        jobs:
          - job: J
            steps:
              - script: echo
    """)
DEPLOYMENT = y("""
    jobs:
      - deployment: D
        environment: test
        strategy:
          runOnce:
            deploy:
              steps:
                - script: echo hi
    """)

CASES: dict[str, object] = {
    "bad YAML (mid-file)": Case(
        {"p.yml": "steps:\n  - script: echo hi\n   displayName: x\n  - script: y\n"},
        line=3,
        says="YAML syntax error",
    ),
    "duplicate key": Case(
        {"p.yml": "steps:\n  - script: echo a\n    script: echo b\n"}, line=3, says="already defined"
    ),
    "unknown key": Case(
        {
            "p.yml": y("""
        stages:
          - stage: A
            jobz:
              - job: J
                steps:
                  - script: echo
        """)
        },
        line=3,
        says="Unexpected value 'jobz'",
    ),
    "misspelt parameter reference": Case(
        {
            "p.yml": y("""
        parameters:
          - name: greeting
            default: hi
        steps:
          - script: echo ${{ parameters.gretting }}
        """)
        },
        line=5,
        says="did you mean 'greeting'",
    ),
    "missing template": Case({"p.yml": "steps:\n  - template: steps/nope.yml\n"}, line=2, says="not found"),
    "bad parameter inside a template": Case(
        {
            "p.yml": "steps:\n  - template: steps/s.yml\n    parameters:\n      count: many\n",
            "steps/s.yml": y("""
            parameters:
              - name: count
                type: number
            steps:
              - script: echo ${{ parameters.count }}
            """),
        },
        line=4,
        says="not a valid Number",
    ),
    "recipe schema violation": Case(
        {
            "p.yml": "steps:\n  - template: recipes/r/template.yml\n    parameters:\n      name: BAD\n",
            "recipes/r/template.yml": "parameters:\n  - name: name\nsteps:\n"
            "  - script: echo ${{ parameters.name }}\n",
            "recipes/r/schema.json": '{"type": "object", "properties": {"name": {"pattern": "^[a-z]+$"}}}',
        },
        line=4,
        says="does not match",
    ),
    "bad expression": Case({"p.yml": "steps:\n  - script: echo ${{ eq(1, }}\n"}, line=2, says="Unclosed"),
    "unknown dependsOn": Case(
        {"p.yml": TWO_STAGES.format(a="Bild", b="Build", c="[]")}, line=2, says="did you mean 'Build'"
    ),
    "dependency cycle": Case(
        {"p.yml": TWO_STAGES.format(a="B", b="B", c="A")}, line=2, says="cycle: A -> B -> A"
    ),
    "bad number": Case(
        {"p.yml": "jobs:\n  - job: J\n    timeoutInMinutes: abc\n    steps:\n      - script: echo\n"},
        line=3,
        says="must be a number",
    ),
    "bad environments.yml": Case(
        {
            "p.yml": DEPLOYMENT,
            "environments.yml": y("""
        environments:
          test:
            checks:
              - type: approval
                approvers: 3
        """),
        },
        file="environments.yml",
        line=5,
        says="not of type 'array'",
    ),
    "bad YAML (at end of file)": Case(
        {"p.yml": "stages:\n  - stage: A\n    jobs: [\n"}, says="YAML syntax error"
    ),
    "misspelt -p parameter": Case(
        {"p.yml": "parameters:\n  - name: greeting\n    default: hi\n" + STEP},
        args=("-p", "gretting=x"),
        line=1,
        says="did you mean 'greeting'",
    ),
    "unknown task": Case({"p.yml": "steps:\n  - task: NoSuchTask@1\n"}, line=2, says="NoSuchTask@1"),
    "bad condition": Case(
        {"p.yml": "steps:\n  - script: echo hi\n    condition: eq(variables.a,\n"}, line=3, says="condition"
    ),
}


def _mlops(command: str, case: Case, root: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "MLOPS_HOME": str(root / "home"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(REPO),
        "MLOPS_USER": "tester",
        "COLUMNS": "200",
        **case.env,
    }
    env.pop("MLFLOW_TRACKING_URI", None)
    extra = ("--progress", "plain") if command == "run" else ()
    return subprocess.run(
        [sys.executable, "-m", "emulator", command, "p.yml", *case.args, *extra],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("command", ["validate", "run"])
@pytest.mark.parametrize("case", list(CASES.values()), ids=list(CASES))
def test_every_error_carries_a_location(case: Case, command: str, tmp_path: Path) -> None:
    if command not in case.commands:
        pytest.skip(f"{command} does not apply")
    for name, text in case.files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    proc = _mlops(command, case, tmp_path)
    err = proc.stderr
    assert "Traceback" not in err and "Traceback" not in proc.stdout
    assert proc.returncode == 2, f"exit {proc.returncode}\n{proc.stdout}\n{err}"
    where = LOCATED.search(err)
    assert where, f"no file:line:col in:\n{err}"
    assert Path(where["file"]).name == Path(case.file).name
    if case.line is not None:
        assert int(where["line"]) == case.line, err
    assert CARET.search(err), f"no caret line in:\n{err}"
    caret_line = next(ln for ln in err.splitlines() if CARET.match(ln))
    assert caret_line.index("^") == int(where["col"]) + 1  # under the column, after the 2-space indent
    assert case.says in err


def test_missing_pipeline_file_names_it(tmp_path: Path) -> None:
    proc = _mlops("validate", Case({}), tmp_path)
    assert proc.returncode == 2 and "p.yml not found" in proc.stderr and "Traceback" not in proc.stderr


def test_bad_command_line_values_are_exit_2(tmp_path: Path) -> None:
    (tmp_path / "p.yml").write_text(STEP, encoding="utf-8")
    proc = _mlops("run", Case({}, args=("--var", "novalue")), tmp_path)
    assert proc.returncode == 2 and "--var expects NAME=VALUE" in proc.stderr
