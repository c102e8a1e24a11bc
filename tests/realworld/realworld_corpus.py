"""Where the real-world corpus is (imported by the tests beside it): `shared/realworld` beside the
repository (or beside an ancestor folder), or $MLOPS_REALWORLD. The corpus is third-party material
and is never copied into the project."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]


def corpus() -> Path | None:
    configured = os.environ.get("MLOPS_REALWORLD")
    if configured:
        return Path(configured)
    for folder in REPO.parents:
        candidate = folder / "shared" / "realworld"
        if (candidate / "manifest.yml").is_file():
            return candidate
    return None


CORPUS = corpus()
SKIP_REASON = (
    "the real-world corpus is not here: put it at ../shared/realworld (beside the repository) "
    "or set MLOPS_REALWORLD=/path/to/realworld"
)


def manifest() -> list[dict[str, Any]]:
    if CORPUS is None or not (CORPUS / "manifest.yml").is_file():
        return []
    entries = yaml.safe_load((CORPUS / "manifest.yml").read_text(encoding="utf-8"))["pipelines"]
    return [dict(e) for e in entries]


def realworld() -> Path:
    """The corpus folder, or skip the test with the reason a user can act on."""
    if CORPUS is None:
        pytest.skip(SKIP_REASON)
    return CORPUS
