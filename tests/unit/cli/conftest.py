"""Fixtures of the command-line tests."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture
def snapshot() -> Callable[[str, str], None]:
    """Compare text with tests/unit/cli/snapshots/NAME.txt; MLOPS_UPDATE_SNAPSHOTS=1 rewrites the file."""
    folder = Path(__file__).parent / "snapshots"

    def check(name: str, text: str) -> None:
        path = folder / f"{name}.txt"
        if os.environ.get("MLOPS_UPDATE_SNAPSHOTS") == "1" or not path.exists():
            path.write_text(text, encoding="utf-8")
            if os.environ.get("MLOPS_UPDATE_SNAPSHOTS") != "1":
                pytest.fail(f"snapshot {path} was missing and has been written; check it and run again")
        assert text == path.read_text(encoding="utf-8"), f"output differs from {path}"

    return check
