"""PublishTestResults@2: JUnit results collected into the run record.

Inputs as the task reads them [DOC tasks/test/publish-test-results.md]: testResultsFormat (JUnit;
the other formats are refused), testResultsFiles (minimatch, default `**/TEST-*.xml`), searchFolder
(default $(System.DefaultWorkingDirectory)), mergeTestResults, testRunTitle, failTaskOnFailedTests
(default false), failTaskOnMissingResultsFile (default false). No matching file is a warning; failed
tests fail the task only with failTaskOnFailedTests.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from emulator.errors import PipelineError
from emulator.tasks.base import StepContext, TaskOutcome
from emulator.tasks.files import select


def _float(text: str | None) -> float:
    try:
        return float(text or 0)
    except ValueError:
        return 0.0


def parse_junit(path: Path) -> dict[str, Any]:
    """Totals and failed cases of one JUnit file (`<testsuites>` or a single `<testsuite>`)."""
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else list(root.iter("testsuite"))
    totals = {"total": 0, "passed": 0, "failed": 0, "skipped": 0, "duration": 0.0}
    failures: list[dict[str, str]] = []
    for suite in suites:
        for case in suite.findall("testcase"):
            totals["total"] += 1
            totals["duration"] += _float(case.get("time"))
            bad = case.find("failure")
            if bad is None:
                bad = case.find("error")
            if bad is not None:
                totals["failed"] += 1
                failures.append(
                    {
                        "name": case.get("name", ""),
                        "className": case.get("classname", ""),
                        "message": (bad.get("message") or (bad.text or "").strip())[:500],
                    }
                )
            elif case.find("skipped") is not None:
                totals["skipped"] += 1
            else:
                totals["passed"] += 1
    totals["duration"] = round(float(totals["duration"]), 3)
    return {"file": str(path), **totals, "failures": failures}


def publish_test_results(ctx: StepContext) -> TaskOutcome:
    fmt = (ctx.input("testResultsFormat") or ctx.input("testRunner") or "JUnit").strip()
    if fmt.lower() != "junit":
        raise PipelineError(
            f"testResultsFormat '{fmt}' is not supported by the emulator",
            ctx.location,
            expected="JUnit",
            hint="write JUnit XML (e.g. pytest --junitxml=TEST-results.xml)",
        )
    folder = ctx.path_input("searchFolder") or ctx.sources_dir
    patterns = (ctx.input("testResultsFiles", "**/TEST-*.xml") or "**/TEST-*.xml").splitlines()
    files = select(folder, patterns)
    title = ctx.input("testRunTitle") or "JUnit_TestResults"
    if not files:
        message = f"No test result files matching {patterns} were found in {folder}."
        if ctx.bool_input("failTaskOnMissingResultsFile"):
            return TaskOutcome("failed", message)
        ctx.emit(f"##vso[task.logissue type=warning]{message}")
        return TaskOutcome("succeeded", data={"testRun": {"title": title, "files": [], "total": 0}})
    results = []
    for path in files:
        try:
            results.append(parse_junit(path))
        except ET.ParseError as exc:
            ctx.emit(f"##vso[task.logissue type=warning]Failed to read {path}: {exc}")
    run = {
        "title": title,
        "files": [r["file"] for r in results],
        **{k: sum(r[k] for r in results) for k in ("total", "passed", "failed", "skipped")},
        "duration": round(sum(r["duration"] for r in results), 3),
        "failures": [f for r in results for f in r["failures"]],
    }
    ctx.log(
        f"Published test run '{title}': {run['total']} tests, {run['passed']} passed, "
        f"{run['failed']} failed, {run['skipped']} skipped"
    )
    for failure in run["failures"]:
        ctx.log(f"  failed: {failure['className']}.{failure['name']}: {failure['message']}")
    if run["failed"] and ctx.bool_input("failTaskOnFailedTests"):
        return TaskOutcome(
            "failed", f"There are one or more test failures ({run['failed']}).", data={"testRun": run}
        )
    return TaskOutcome("succeeded", data={"testRun": run})
