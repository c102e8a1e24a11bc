"""JUnit files read by PublishTestResults@2."""

from __future__ import annotations

from pathlib import Path

from emulator.tasks.testresults import parse_junit


def test_single_suite_and_suites(tmp_path: Path) -> None:
    one = tmp_path / "TEST-one.xml"
    one.write_text(
        '<testsuite><testcase name="a" time="1.5"/><testcase name="b"><error message="boom"/></testcase>'
        "</testsuite>"
    )
    got = parse_junit(one)
    assert (got["total"], got["passed"], got["failed"], got["skipped"], got["duration"]) == (2, 1, 1, 0, 1.5)
    assert got["failures"] == [{"name": "b", "className": "", "message": "boom"}]
    many = tmp_path / "TEST-many.xml"
    many.write_text(
        "<testsuites><testsuite><testcase name='x'><skipped/></testcase></testsuite>"
        "<testsuite><testcase classname='k' name='y'><failure>text only</failure></testcase></testsuite>"
        "</testsuites>"
    )
    got = parse_junit(many)
    assert (got["total"], got["skipped"], got["failed"]) == (2, 1, 1)
    assert got["failures"][0]["message"] == "text only"
