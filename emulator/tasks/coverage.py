"""PublishCodeCoverageResults@1/@2: a Cobertura or JaCoCo summary read into the step's record.

Inputs [DOC tasks/reference/publish-code-coverage-results-v1.md, -v2.md]: summaryFileLocation
(required; minimatch patterns, one per line, relative to $(System.DefaultWorkingDirectory)),
codeCoverageTool (v1: Cobertura or JaCoCo; v2 reads the format from the file), reportDirectory (v1),
pathToSources, failIfCoverageEmpty (default false). No summary file is a warning, or a failure with
failIfCoverageEmpty. The service renders an HTML report in the run's Code Coverage tab; locally the
totals go to the step's record (`mlops runs show --json`, the HTML report) and the log.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from emulator.tasks.base import StepContext, TaskOutcome
from emulator.tasks.files import select


def _int(text: str | None) -> int:
    try:
        return int(float(text or 0))
    except ValueError:
        return 0


def summary(path: Path) -> dict[str, Any]:
    """Line and branch totals of a Cobertura (`<coverage lines-valid=…>`) or JaCoCo (`<report>`) file."""
    root = ET.parse(path).getroot()
    if root.tag == "coverage":
        lines = (_int(root.get("lines-covered")), _int(root.get("lines-valid")))
        branches = (_int(root.get("branches-covered")), _int(root.get("branches-valid")))
        tool = "Cobertura"
    elif root.tag == "report":
        counters = {c.get("type"): c for c in root.findall("counter")}

        def pair(kind: str) -> tuple[int, int]:
            c = counters.get(kind)
            covered = _int(c.get("covered")) if c is not None else 0
            return covered, covered + (_int(c.get("missed")) if c is not None else 0)

        lines, branches, tool = pair("LINE"), pair("BRANCH"), "JaCoCo"
    else:
        raise ValueError(f"<{root.tag}> is neither a Cobertura <coverage> nor a JaCoCo <report> document")
    return {
        "tool": tool,
        "file": str(path),
        "linesCovered": lines[0],
        "linesValid": lines[1],
        "lineRate": round(lines[0] / lines[1], 4) if lines[1] else 0.0,
        "branchesCovered": branches[0],
        "branchesValid": branches[1],
    }


def publish_code_coverage(ctx: StepContext) -> TaskOutcome:
    patterns = (ctx.input("summaryFileLocation", required=True) or "").splitlines()
    files = [p for pattern in patterns for p in _matches(ctx, pattern.strip()) if pattern.strip()]
    fail_empty = ctx.bool_input("failIfCoverageEmpty")
    if not files:
        message = f"No code coverage results were found to publish ({', '.join(patterns)})."
        if fail_empty:
            return TaskOutcome("failed", message)
        ctx.emit(f"##vso[task.logissue type=warning]{message}")
        return TaskOutcome("succeeded")
    summaries: list[dict[str, Any]] = []
    for path in files:
        try:
            summaries.append(summary(path))
        except (ET.ParseError, ValueError) as exc:
            ctx.emit(f"##vso[task.logissue type=warning]Failed to read {path}: {exc}")
    covered = sum(s["linesCovered"] for s in summaries)
    valid = sum(s["linesValid"] for s in summaries)
    if fail_empty and not valid:
        return TaskOutcome("failed", "The code coverage results are empty.")
    tool = ctx.input("codeCoverageTool")
    if tool and summaries and tool.lower() != summaries[0]["tool"].lower():
        ctx.emit(
            f"##vso[task.logissue type=warning]codeCoverageTool is {tool} but "
            f"{summaries[0]['file']} is a {summaries[0]['tool']} file"
        )
    data = {
        "files": [s["file"] for s in summaries],
        "linesCovered": covered,
        "linesValid": valid,
        "lineRate": round(covered / valid, 4) if valid else 0.0,
        "reportDirectory": str(ctx.path_input("reportDirectory") or "") or None,
    }
    rate = f"{data['lineRate']:.1%}"
    ctx.log(f"Code coverage: {covered} of {valid} lines ({rate}) from {len(summaries)} file(s)")
    return TaskOutcome("succeeded", data={"codeCoverage": data})


def _matches(ctx: StepContext, pattern: str) -> list[Path]:
    path = Path(pattern)
    if path.is_absolute():
        return [path] if path.is_file() else select(path.parent, [path.name])
    return select(ctx.sources_dir, [pattern])
