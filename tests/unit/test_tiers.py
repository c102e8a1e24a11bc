"""The pure tier (`make check`) holds its tests to it: a process, a connection or MLflow fails the test."""

from __future__ import annotations

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.integration  # runs pytest in a subprocess

CONFTEST = Path(__file__).resolve().parents[1] / "conftest.py"


@pytest.mark.parametrize(
    ("body", "what"),
    [
        ("import subprocess\n    subprocess.run(['true'])", "starts a subprocess"),
        (
            "import socket, contextlib\n    with contextlib.suppress(ConnectionRefusedError):\n"
            "        socket.create_connection(('127.0.0.1', 9))",
            "opens a network connection",
        ),
        ("import mlflow  # noqa: F401", "imports MLflow"),
    ],
)
def test_a_pure_test_that_leaves_the_tier_fails_with_the_marker_to_add(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, body: str, what: str
) -> None:
    pytester.makeconftest(CONFTEST.read_text(encoding="utf-8"))
    pytester.makepyfile(
        f"def test_it():\n    {body}\n\n"
        "import pytest\n@pytest.mark.integration\n"
        f"def test_marked():\n    {body}\n"
    )
    monkeypatch.setenv("MLOPS_TEST_TIER", "check")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines([f"*this test {what}: mark it @pytest.mark.integration*"])
