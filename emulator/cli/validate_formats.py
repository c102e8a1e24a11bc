"""What `mlops validate` writes, from one list of findings per pipeline file.

- JSON: the findings and what was checked, for scripts;
- SARIF 2.1.0 [OASIS sarif-v2.1.0-errata01-os]: for code-scanning views (the "SARIF SAST Scans Tab"
  of Azure DevOps shows the `*.sarif` files of a build artifact named `CodeAnalysisLogs`; GitHub code
  scanning reads the same file). Paths are relative to the repository root (`uriBaseId` SRCROOT);
- `##vso[task.logissue …]` lines: Azure DevOps turns each into an error or warning of the step, with
  its file, line, column and code [DOC scripts/logging-commands.md "LogIssue"];
- JUnit XML: a testcase per pipeline file, for PublishTestResults@2.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from emulator import __version__
from emulator.errors import Location
from emulator.findings import RULES, Finding, count
from emulator.runtime.logcommands import escape

SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
TOOL = "mlops validate"


@dataclass(frozen=True)
class FileResult:
    """One pipeline file: what was found, and what it holds when it expanded."""

    path: Path
    findings: tuple[Finding, ...]
    summary: dict[str, Any] = field(default_factory=dict)  # stages, jobs, steps, environments, …

    @property
    def valid(self) -> bool:
        return count(self.findings, "error") == 0


def _where(finding: Finding, result: FileResult) -> Location:
    """A finding's location, or the pipeline file when it has none (a command-line option)."""
    return finding.location or Location(str(result.path))


def _relative(file: str, root: Path) -> str | None:
    try:
        return Path(file).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return None


def _one_line(finding: Finding) -> str:
    text = finding.message
    if finding.expected:
        text += f" (expected: {finding.expected})"
    if finding.hint:
        text += f" (hint: {finding.hint})"
    return " ".join(text.split())


def to_json(results: Sequence[FileResult]) -> str:
    findings = [f for r in results for f in r.findings]
    data = {
        "valid": all(r.valid for r in results),
        "errors": count(findings, "error"),
        "warnings": count(findings, "warning"),
        "files": [
            {
                "path": str(r.path),
                "valid": r.valid,
                **r.summary,
                "findings": [
                    {
                        "severity": f.severity,
                        "rule": f.rule,
                        "message": f.message,
                        "file": _where(f, r).file,
                        "line": _where(f, r).line,
                        "column": _where(f, r).col,
                        "expected": f.expected,
                        "hint": f.hint,
                    }
                    for f in r.findings
                ],
            }
            for r in results
        ],
    }
    return json.dumps(data, indent=2) + "\n"


def to_vso(results: Sequence[FileResult], root: Path) -> str:
    """A `##vso[task.logissue]` line per error and warning (notes are plain lines)."""
    lines: list[str] = []
    for result in results:
        for finding in result.findings:
            where = _where(finding, result)
            if finding.severity == "note":
                lines.append(f"{where}: note: {_one_line(finding)}")
                continue
            props = [f"type={finding.severity}", f"sourcepath={_relative(where.file, root) or where.file}"]
            props += [f"linenumber={where.line}"] if where.line else []
            props += [f"columnnumber={where.col}"] if where.col else []
            props.append(f"code=mlops.{finding.rule}")
            lines.append(
                f"##vso[task.logissue {';'.join(escape(p) for p in props)}]{escape(_one_line(finding))}"
            )
    return "".join(f"{line}\n" for line in lines)


def to_sarif(results: Sequence[FileResult], root: Path, command: str) -> str:
    rules = sorted({f.rule for r in results for f in r.findings})
    index = {rule: i for i, rule in enumerate(rules)}
    sarif_results: list[dict[str, Any]] = []
    for result in results:
        for finding in result.findings:
            where = _where(finding, result)
            relative = _relative(where.file, root)
            artifact = (
                {"uri": quote(relative), "uriBaseId": "SRCROOT"}
                if relative is not None
                else {"uri": Path(where.file).resolve().as_uri()}
            )
            physical: dict[str, Any] = {"artifactLocation": artifact}
            if where.line:
                region = {"startLine": where.line} | ({"startColumn": where.col} if where.col else {})
                physical["region"] = region
            text = finding.message
            text += f"\nexpected: {finding.expected}" if finding.expected else ""
            text += f"\nhint: {finding.hint}" if finding.hint else ""
            sarif_results.append(
                {
                    "ruleId": finding.rule,
                    "ruleIndex": index[finding.rule],
                    "level": finding.severity,
                    "message": {"text": text},
                    "locations": [{"physicalLocation": physical}],
                }
            )
    log = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": TOOL,
                        "version": __version__,
                        "rules": [
                            {"id": rule, "shortDescription": {"text": RULES.get(rule, rule)}}
                            for rule in rules
                        ],
                    }
                },
                "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
                "invocations": [
                    {
                        "commandLine": command,
                        "executionSuccessful": True,
                    }
                ],
                "results": sarif_results,
            }
        ],
    }
    return json.dumps(log, indent=2) + "\n"


def to_junit(results: Sequence[FileResult]) -> str:
    """A testsuite `mlops validate`, a testcase per pipeline file: its errors are the failure."""
    failures = sum(1 for r in results if not r.valid)
    root = ET.Element("testsuites", name=TOOL, tests=str(len(results)), failures=str(failures))
    suite = ET.SubElement(
        root, "testsuite", name=TOOL, tests=str(len(results)), failures=str(failures), errors="0", skipped="0"
    )
    for result in results:
        case = ET.SubElement(suite, "testcase", classname="validate", name=str(result.path), time="0")
        errors = [f for f in result.findings if f.severity == "error"]
        if errors:
            failure = ET.SubElement(
                case, "failure", type="invalid", message=f"{len(errors)} error(s): {_one_line(errors[0])}"
            )
            failure.text = "\n\n".join(f.render() for f in errors)
        others = [f for f in result.findings if f.severity != "error"]
        if others:
            ET.SubElement(case, "system-out").text = "\n\n".join(
                f"{f.severity}: {f.render()}" for f in others
            )
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
