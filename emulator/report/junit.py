"""A run as JUnit XML, so CI servers that read test reports show a pipeline run like a test run.

A testsuite per stage, a testcase per step (classname `Stage.Job`); a failed step is a failure carrying
its log tail, a step that did not run is skipped, and a rejected gate is a failed testcase of its stage.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any

from emulator.report.logs import log_tail

_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
TAIL_LINES = 40


def _clean(text: str) -> str:
    """XML 1.0 can't hold most control characters; ANSI colours are already stripped from the tail."""
    return _INVALID_XML.sub("", text)


def junit_xml(record: Mapping[str, Any], run_dir: Any) -> str:
    """The JUnit XML document of a run record (`run_dir` holds the step logs)."""
    root = ET.Element("testsuites", name=str(record.get("pipeline") or record.get("id")))
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    total_time = 0.0
    for stage in record.get("stages") or []:
        suite = ET.SubElement(root, "testsuite", name=str(stage["name"]))
        counts = {"tests": 0, "failures": 0, "skipped": 0}
        suite_time = 0.0
        props = ET.SubElement(suite, "properties")
        ET.SubElement(props, "property", name="result", value=str(stage.get("result")))
        if stage.get("startedAt"):
            suite.set("timestamp", str(stage["startedAt"]))
        for check in record.get("checks") or []:
            if check.get("stage") == stage["name"] and check.get("status") == "rejected":
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{stage['name']}.checks",
                    name=f"environment {check.get('environment')}",
                    time="0",
                )
                failure = ET.SubElement(
                    case, "failure", message=_clean(str(check.get("message"))), type="checks"
                )
                failure.text = _clean(str(check.get("message")))
                counts["tests"] += 1
                counts["failures"] += 1
        for job in stage.get("jobs") or []:
            for step in job.get("steps") or []:
                seconds = float(step.get("seconds") or 0.0)
                suite_time += seconds
                name = str(step.get("displayName") or step.get("name"))
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{stage['name']}.{job['name']}",
                    name=name,
                    time=f"{seconds:.3f}",
                )
                counts["tests"] += 1
                result = step.get("result")
                message = str(step.get("message") or "")
                if result == "failed":
                    counts["failures"] += 1
                    tail = log_tail(run_dir, step.get("log"), TAIL_LINES)
                    failure = ET.SubElement(
                        case, "failure", message=_clean(message or "step failed"), type="failed"
                    )
                    failure.text = _clean(tail)
                elif result in ("skipped", "canceled", None):
                    counts["skipped"] += 1
                    why = {
                        None: "not run"
                        + (
                            " (the run is waiting for an approval)"
                            if record.get("status") == "paused"
                            else ""
                        ),
                        "canceled": "canceled",
                    }.get(result, message or "skipped")
                    ET.SubElement(case, "skipped", message=_clean(why))
                issues = [f"{i.get('type')}: {i.get('message')}" for i in step.get("issues") or []]
                if result == "succeededWithIssues" or issues:
                    out = ET.SubElement(case, "system-out")
                    head = ["succeeded with issues"] if result == "succeededWithIssues" else []
                    out.text = _clean("\n".join(head + (issues or [message])))
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
        suite.set("time", f"{suite_time:.3f}")
        total_time += suite_time
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    root.set("time", f"{total_time:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
