"""Defect 9 (low): secrets at rest and in transit.

* `runs/N/secrets.json` stayed in plain text after the run ended: it is removed once the run can no
  longer resume (it stays, mode 0600, while the run is paused).
* Base64 forms of a secret were not masked; the agent masks them, with JSON- and URI-escaped forms
  [AGENT ValueEncoders.cs].
* Output-variable names and build tags were stored unmasked.
* `--secret` was only on the command line, visible in `ps`: `--secret-file FILE` and
  `MLOPS_SECRET_<NAME>` exist now, and the latter does not reach the steps' environment.

The channels a secret could leak through are listed in CHANNELS; every one is checked for the secret and
each of its encoded forms.
"""

from __future__ import annotations

import base64
import json
import os
import stat
import time
import urllib.parse
from pathlib import Path

import pytest

from .conftest import ENVIRONMENTS, Project, no_traceback

TOKEN = 'Tk"9/é+zq\\Pw7~'  # JSON-, URI- and Base64-unfriendly on purpose
OTHER = "env-only-s3cret-Value"

PIPELINE = """\
stages:
- stage: S
  jobs:
  - job: A
    steps:
    - checkout: none
    - bash: |
        echo "plain: $TOKEN and $OTHER"
        printf '%s' "$TOKEN" | base64
        printf 'x%s' "$TOKEN" | base64
        printf 'xy%s' "$TOKEN" | base64
        printf 'user:%s' "$TOKEN" | base64
        printf '%s' "$OTHER" | base64 | tr '+/' '-_'
        python3 -c 'import json, os; print(json.dumps({"t": os.environ["TOKEN"]}))'
        python3 -c 'import json, os; print(json.dumps({"t": os.environ["TOKEN"]}, ensure_ascii=False))'
        python3 -c 'import os, urllib.parse; print(urllib.parse.quote(os.environ["TOKEN"], safe=""))'
        echo "##vso[task.setvariable variable=out_$OTHER;isOutput=true]value-$OTHER"
        echo "##vso[build.addbuildtag]tag-$OTHER"
        echo "##vso[build.updatebuildnumber]build-$OTHER"
        echo "##vso[task.logissue type=warning]issue $TOKEN"
        echo "##vso[task.setprogress value=50]progress $OTHER"
        echo "inherited: $(env | grep -c '^MLOPS_SECRET_' || true)"
        sleep "${PAUSE:-0}"
      env:
        TOKEN: $(token)
        OTHER: $(other)
      name: s
      displayName: show $(other)
- stage: Gate
  jobs:
  - deployment: Ship
    environment: production
    strategy:
      runOnce:
        deploy:
          steps:
          - script: echo "still secret after resume= $(other)"
"""


def _forms(secret: str) -> set[str]:
    raw = secret.encode()
    forms = {secret, json.dumps(secret)[1:-1], urllib.parse.quote(secret, safe="")}
    for offset in range(3):
        encoded = base64.b64encode(raw[offset:]).decode().rstrip("=")
        forms |= {encoded, encoded.replace("+", "-").replace("/", "_")}
    return forms


SECRET_FORMS = _forms(TOKEN) | _forms(OTHER)

CHANNELS = [
    "run.json",
    "journal.jsonl",
    "timeline.jsonl",
    "step logs",
    "secrets.json after the run ended",
    "mlops run stdout/stderr",
    "mlops resume stdout/stderr",
    "runs show",
    "runs show --json",
    "mlops logs",
    "HTML report",
    "JUnit XML",
    "output-variable names and values",
    "build tags and build number",
    "issues and progress messages",
    "step display names",
    "Base64 forms (3 alignments, 2 alphabets)",
    "JSON- and URI-escaped forms",
    "the runner's command line (ps)",
    "the steps' environment (MLOPS_SECRET_*)",
]


def _leaks(text: str) -> list[str]:
    return sorted(f for f in SECRET_FORMS if f in text)


def test_no_secret_reaches_any_channel(project: Project, tmp_path: Path) -> None:
    project.write(PIPELINE, ENVIRONMENTS)
    secret_file = tmp_path / "secrets.env"
    secret_file.write_text(f"# queue-time secrets\n\ntoken={TOKEN}\n")
    env = project.env(MLOPS_SECRET_other=OTHER, PAUSE="2")
    proc = project.popen(
        "run",
        "pipeline.yml",
        "--secret-file",
        str(secret_file),
        "--as",
        "bob",
        "--progress",
        "plain",
        env=env,
    )
    time.sleep(1.5)
    cmdline = Path(f"/proc/{proc.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 3, out + err  # paused at the production gate
    assert not _leaks(cmdline) and str(secret_file) in cmdline

    run_dir = project.home / "runs" / "1"
    secrets_file = run_dir / "secrets.json"
    assert secrets_file.is_file() and stat.S_IMODE(secrets_file.stat().st_mode) == 0o600  # needed to resume
    outputs = [out + err]
    decided = project.mlops("approve", "1", "--environment", "production", "--as", "carol")
    assert decided.returncode == 0, decided.stderr
    resumed = project.mlops("resume", "1", "--progress", "plain")
    assert resumed.returncode == 0, resumed.stdout + resumed.stderr
    outputs.append(resumed.stdout + resumed.stderr)
    assert not secrets_file.exists()  # the run ended: nothing secret stays at rest

    for args in (
        ("runs", "show", "1"),
        ("runs", "show", "1", "--json"),
        ("logs", "1"),
        (
            "report",
            "1",
            "-o",
            str(tmp_path / "report.html"),
            "--junit",
            str(tmp_path / "junit.xml"),
            "--no-mlflow",
        ),
    ):
        shown = project.mlops(*args)
        assert shown.returncode == 0, shown.stderr
        no_traceback(shown)
        outputs.append(shown.stdout + shown.stderr)

    logs = "\n".join(p.read_text() for p in (run_dir / "logs").rglob("*.log"))
    assert "inherited: 0" in logs
    assert "still secret after resume= ***" in logs
    assert logs.count("***") >= 12, logs  # each form was there to mask
    files = [p for p in project.home.rglob("*") if p.is_file() and "keys" not in p.parts]
    files += [tmp_path / "report.html", tmp_path / "junit.xml"]
    leaked = {str(p): _leaks(p.read_text(errors="replace")) for p in files}
    leaked |= {f"command output {i}": _leaks(text) for i, text in enumerate(outputs)}
    assert not {k: v for k, v in leaked.items() if v}, leaked
    record = json.loads((run_dir / "run.json").read_text())
    shown_outputs = record["stages"][0]["jobs"][0]["outputs"]
    assert shown_outputs == {"s.out_***": "value-***"}
    assert record["tags"] == ["tag-***"] and record["buildNumber"] == "build-***"


def test_the_masker_masks_the_forms_the_agent_masks() -> None:
    from emulator.runtime.variables import Masker

    masker = Masker([TOKEN])
    for form in _forms(TOKEN):
        assert masker(f"<{form}>") == "<***>", form
    basic = base64.b64encode(f"user:{TOKEN}".encode()).decode()
    assert TOKEN not in masker(basic) and basic not in masker(basic)


def test_a_secret_file_that_is_not_name_value_is_a_located_error(project: Project, tmp_path: Path) -> None:
    project.write(PIPELINE)
    bad = tmp_path / "bad.env"
    bad.write_text("token=ok\nthis line has no equals sign\n")
    proc = project.mlops("run", "pipeline.yml", "--secret-file", str(bad))
    assert proc.returncode == 2 and f"{bad}:2:1" in proc.stderr and "NAME=VALUE" in proc.stderr
    assert "ok" not in proc.stderr.replace("NAME=VALUE", "")
    no_traceback(proc)


@pytest.mark.parametrize("result", ["succeeded", "failed", "canceled"])
def test_secrets_json_is_removed_whenever_the_run_ends(project: Project, result: str) -> None:
    from emulator.runtime.process import Cancellation

    script = {"succeeded": "echo ok", "failed": "exit 1", "canceled": "echo ok"}[result]
    cancel = Cancellation()
    if result == "canceled":
        cancel.cancel("user")
    run = project.run(
        f"steps:\n- checkout: none\n- script: {script}\n",
        secret_variables={"token": "x1"},
        cancellation=cancel,
    )
    assert run.data["result"] == result
    assert not (run.dir / "secrets.json").exists()
    assert os.listdir(run.dir)  # the rest of the run stays
