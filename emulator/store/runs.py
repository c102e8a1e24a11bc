"""Run records: one folder per run with its record (JSON), expanded pipeline, logs and workspace.

Several `mlops` processes can share a state folder, so run ids come from a locked counter and every
record write is atomic.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.errors import Location, RunError
from emulator.store.files import locked, read_json, utc_now, write_json
from emulator.store.paths import runs_dir

RECORD = "run.json"


@dataclass
class Run:
    """A run's folder and its record (mutable while the run goes)."""

    id: str
    dir: Path
    data: dict[str, Any]

    @property
    def record_path(self) -> Path:
        return self.dir / RECORD

    @property
    def pipeline_file(self) -> Path:
        """The expanded pipeline as it was when the run was queued (what resume runs)."""
        return self.dir / "pipeline.yml"

    def save(self) -> None:
        self.data["updatedAt"] = utc_now()
        write_json(self.record_path, self.data)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the run's lock: one runner (or one decision) at a time."""
        with locked(self.dir / "runner"):
            yield

    def log_path(self, stage: str, job: str, index: int, ident: str) -> Path:
        path = self.dir / "logs" / stage / job / f"{index + 1:02d}-{ident}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def workspace(self, stage: str, job: str) -> Path:
        return self.dir / "work" / f"{stage}.{job}"


def _next_id(root: Path) -> str:
    counter = root / "last-id"
    with locked(counter):
        current = read_json(counter) or 0
        nxt = int(current) + 1
        write_json(counter, nxt)
    return str(nxt)


def create(home: Path, data: dict[str, Any]) -> Run:
    root = runs_dir(home)
    root.mkdir(parents=True, exist_ok=True)
    run_id = _next_id(root)
    run_dir = root / run_id
    run_dir.mkdir(parents=True, exist_ok=False)
    run = Run(run_id, run_dir, {"id": run_id, **data, "createdAt": utc_now()})
    run.save()
    return run


def load(home: Path, run_id: str) -> Run:
    run_dir = runs_dir(home) / str(run_id)
    try:
        data = read_json(run_dir / RECORD)
    except json.JSONDecodeError as exc:
        raise RunError(f"The record of run {run_id} is damaged: {exc}", Location(str(run_dir / RECORD))) from None
    if data is None:
        known = [r["id"] for r in list_runs(home)][-5:]
        raise RunError(f"Run {run_id} not found in {runs_dir(home)}", None,
                       hint=f"recent runs: {', '.join(known)}" if known else "no runs yet: start one with mlops run")
    return Run(str(run_id), run_dir, data)


def list_runs(home: Path) -> list[dict[str, Any]]:
    root = runs_dir(home)
    out: list[dict[str, Any]] = []
    if not root.is_dir():
        return out
    for child in root.iterdir():
        if child.is_dir() and child.name.isdigit():
            try:
                data = read_json(child / RECORD)
            except json.JSONDecodeError:
                continue
            if isinstance(data, dict):
                out.append(data)
    return sorted(out, key=lambda d: int(d["id"]))
