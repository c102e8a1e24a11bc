"""Defect 6 (medium): tiny inputs exhausted memory.

40 nested `replace()` calls in a 1 KB file took 3.2 GB and 82 s before a MemoryError; 31 variables that
reference each other twice took 3.2 GB and ended in a traceback with the run left "running". Every value
is bounded now: a string, and the text of the whole expanded pipeline, may not grow beyond 20 MB
(10,485,760 UTF-16 characters), the memory the service allows for a whole pipeline while parsing it
[DOC templates.md "Imposed limits": "20 megabytes of memory consumed while parsing the YAML"; semantics
notes §2]. Going beyond is refused with a located
message, in well under a second, in a process that may not use more than a few hundred MB.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from .conftest import REPO, Project, job_record

SECONDS = 1.0  # "well under a second" for the refusal itself (imports excluded)
EXTRA_MB = 400  # what the refusal may add to the process's peak memory


def _nested_replace(depth: int) -> str:
    expression = "'ab'"
    for _ in range(depth):
        expression = f"replace({expression}, 'a', 'aa')"
    return f"steps:\n- script: echo ${{{{ {expression} }}}}\n"


def _doubling_variables(count: int, syntax: str, job: bool = False) -> str:
    """Variables v1..v{count-1}, each the previous one twice: 2**(count-1) characters at the end."""
    pad = "    " if job else "  "
    lines = ["jobs:", "- job: J"] if job else []
    lines += [f"{pad[:-2]}variables:", f"{pad}v0: x"]
    for i in range(1, count):
        ref = f"$(v{i - 1})" if syntax == "macro" else f"${{{{ variables.v{i - 1} }}}}"
        lines.append(f"{pad}v{i}: '{ref}{ref}'")
    out = pad[:-2]
    lines += [out + "steps:", out + "- checkout: none", out + f"- script: echo $(v{count - 1})"]
    return "\n".join(lines) + "\n"


CASES = {
    "40 nested replace()": (_nested_replace(40), "replace"),
    "format() repeating an argument": (
        "variables:\n  big: ${{ " + "replace(" * 6 + "'x'" + ", 'x', 'xxxxxxxxxx')" * 6 + " }}\n"  # 10^6
        "steps:\n- script: echo ${{ format('" + "{0}" * 30 + "', variables.big) }}\n",
        "format",
    ),
    "31 doubling template variables": (_doubling_variables(31, "template"), "characters"),
    # each value under the limit, the whole expanded pipeline over it (templates.md: the 20 MB are
    # for parsing the pipeline, not per value)
    "each repeating a 1 MB value": (
        "variables:\n  big: ${{ " + "replace(" * 6 + "'x'" + ", 'x', 'xxxxxxxxxx')" * 6 + " }}\n"
        "steps:\n- ${{ each i in split('1,2,3,4,5,6,7,8,9,10,11,12', ',') }}:\n"
        "  - script: echo ${{ i }} ${{ variables.big }}\n",
        "expanded pipeline",
    ),
    "a 1 MB list inserted whole": (
        "variables:\n  big: ${{ " + "replace(" * 6 + "'x'" + ", 'x', 'xxxxxxxxxx')" * 6 + " }}\n"
        "jobs:\n- ${{ each i in split('1,2,3,4,5,6,7,8,9,10,11,12', ',') }}:\n"
        "  - job: J${{ i }}\n    tags: ${{ split(variables.big, ',') }}\n    steps:\n    - checkout: none\n",
        "expanded pipeline",
    ),
}


def _compile_bounded(pipeline: Path) -> dict[str, Any]:
    """Compile in a fresh interpreter: how long the refusal took, how much memory it added, what it said."""
    code = textwrap.dedent(
        f"""
        import json, resource, time
        from pathlib import Path
        from emulator import runner
        from emulator.errors import MlopsError
        vm = int(next(l for l in open("/proc/self/status") if l.startswith("VmSize")).split()[1]) * 1024
        hard = resource.getrlimit(resource.RLIMIT_AS)[1]
        want = vm + {EXTRA_MB * 4} * 2**20
        resource.setrlimit(resource.RLIMIT_AS, (want if hard < 0 else min(want, hard), hard))
        base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        start = time.perf_counter()
        try:
            runner.compile_pipeline(Path({str(pipeline)!r}), requester="tester")
            out = {{"error": None}}
        except MlopsError as exc:
            out = {{"error": type(exc).__name__, "message": exc.render(), "location": str(exc.location)}}
        out["seconds"] = time.perf_counter() - start
        out["mb"] = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) / 1024
        print(json.dumps(out))
        """
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env={"PYTHONPATH": str(REPO), "MLFLOW_DISABLE_TELEMETRY": "true", "PATH": "/usr/bin:/bin"},
        cwd=pipeline.parent,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]  # a MemoryError ends the process
    return dict(json.loads(proc.stdout.splitlines()[-1]))


@pytest.mark.parametrize("case", list(CASES))
def test_a_value_that_would_outgrow_the_service_limit_is_refused_at_once(project: Project, case: str) -> None:
    yaml, what = CASES[case]
    assert len(yaml) < 2048  # a tiny input
    path = project.write(yaml)
    out = _compile_bounded(path)
    assert out["error"] is not None, out
    assert "20 MB" in out["message"] and what in out["message"], out["message"]
    assert out["location"].startswith(f"{path.name}:"), out  # file:line:col
    assert out["seconds"] < SECONDS, out
    assert out["mb"] < EXTRA_MB, out


def test_values_below_the_limit_still_work(project: Project) -> None:
    run = project.run(_nested_replace(16) + "  name: s\n")
    assert run.data["result"] == "succeeded"


def test_doubling_macro_variables_fail_the_job_with_a_located_message(project: Project) -> None:
    """At run time the stage can't evaluate its condition: it fails (the run ends, it is not left
    running) with a message that names the variable and where it is defined."""
    run = project.run(_doubling_variables(31, "macro"))
    assert run.data["status"] == "completed" and run.data["result"] == "failed"
    stage = run.data["stages"][0]
    assert stage["result"] == "failed" and job_record(run, "__default", "Job")["result"] == "skipped"
    assert "pipeline.yml:26:3: Variable 'v24' would be 16,777,216 characters long" in stage["message"]
    assert "20 MB" in stage["message"]


def test_a_job_variable_that_outgrows_the_limit_fails_its_job(project: Project) -> None:
    yaml = _doubling_variables(31, "macro", job=True)
    run = project.run(yaml)
    assert run.data["status"] == "completed" and run.data["result"] == "failed"
    job = job_record(run, "__default", "J")
    assert job["result"] == "failed" and "Variable 'v24' would be" in job["message"], job


def test_a_run_name_beyond_the_limit_ends_the_run_failed(project: Project) -> None:
    """`name:` (the build number) expands variables before any job: a failure there ends the run too."""
    yaml = _doubling_variables(31, "macro").replace("variables:", "name: $(v30)\nvariables:", 1)
    run = project.run(yaml)
    assert run.data["status"] == "completed" and run.data["result"] == "failed", run.data.get("status")
    assert "20 MB" in str(run.data.get("message")), run.data.get("message")
