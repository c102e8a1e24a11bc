"""UsePythonVersion@0 version specs as the task's semver ranges read them."""

from __future__ import annotations

import pytest

from emulator.tasks.python import satisfies


@pytest.mark.parametrize(
    ("version", "spec", "ok"),
    [
        ((3, 11, 7), "3.x", True),
        ((3, 11, 7), "3", True),
        ((3, 11, 7), "3.11", True),
        ((3, 11, 7), "3.11.x", True),
        ((3, 11, 7), "3.11.7", True),
        ((3, 11, 7), "3.11.6", False),
        ((3, 11, 7), "3.12", False),
        ((3, 11, 7), ">=3.8", True),
        ((3, 11, 7), ">=3.8 <3.11", False),
        ((3, 11, 7), ">=3.9 <3.13", True),
        ((3, 11, 7), "3.10 || 3.11", True),
        ((3, 11, 7), "2.7", False),
        ((3, 11, 7), "~3.11.2", True),
        ((3, 11, 7), "^3.8", True),
        ((3, 11, 7), ">3.11", False),
        ((3, 12, 0), ">3.11", True),
        ((3, 11, 7), "<=3.11", True),
        ((3, 11, 7), "garbage", False),
    ],
)
def test_satisfies(version: tuple[int, int, int], spec: str, ok: bool) -> None:
    assert satisfies(version, spec) is ok
