"""Run records: one folder per run with its record, timeline, expanded pipeline, logs and artifacts.

    runs/<id>/run.json          the record (stages, jobs, steps, results, outputs); rewritten atomically
    runs/<id>/timeline.jsonl    one line per event (started/finished, with times), append-only
    runs/<id>/pipeline.yml      the expanded pipeline the run was queued with (what resume runs)
    runs/<id>/logs/<stage>/<job>/<NN>-<step>.log
    runs/<id>/artifacts/<name>/ pipeline artifacts; attachments/ uploaded files
    runs/<id>/work/<stage>.<job>/ the job's agent workspace (Pipeline.Workspace)
    runs/<id>/secrets.json      secret variables given at queue time (mode 0600, never in the record)

Several `mlops` processes can share a state folder, so run ids come from a locked counter and every
record write is atomic (readers see the old or the new file, never half of one). Within a run, jobs
running in parallel threads change the record under the run's lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import Location, RunError
from emulator.store import keys
from emulator.store.files import locked, read_json, utc_now, write_json
from emulator.store.paths import runs_dir

RECORD = "run.json"
RECORD_KEY = "records"
SIGNATURE = "signature"
TIMELINE = "timeline.jsonl"
SECRETS = "secrets.json"


@dataclass
class Run:
    """A run's folder and its record (mutable while the run goes; change it under `lock`)."""

    id: str
    dir: Path
    data: dict[str, Any]
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)

    @property
    def record_path(self) -> Path:
        return self.dir / RECORD

    @property
    def home(self) -> Path:
        return self.dir.parent.parent

    def tampering(self) -> str | None:
        """Why the record or the pipeline it runs cannot be trusted, or None.

        The emulator signs every record it writes (keys/records.key) and keeps the digest of the
        expanded pipeline in the record, so a hand edit between a pause and a resume (a stage marked
        succeeded, an environment removed from pipeline.yml) is refused instead of run.
        """
        raw = self.record_path.read_text(encoding="utf-8")
        data = json.loads(raw)
        signature = data.pop(SIGNATURE, None)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        if not keys.verify(self.home, RECORD_KEY, text.encode(), signature):
            return f"the record {self.record_path} was changed outside mlops"
        expected = data.get("pipelineDigest")
        if expected:
            if not self.pipeline_file.is_file():
                return f"the expanded pipeline {self.pipeline_file} was removed outside mlops"
            actual = hashlib.sha256(self.pipeline_file.read_bytes()).hexdigest()
            if actual != expected:
                return f"the expanded pipeline {self.pipeline_file} was changed outside mlops"
        return None

    @property
    def pipeline_file(self) -> Path:
        """The expanded pipeline as it was when the run was queued (what resume runs)."""
        return self.dir / "pipeline.yml"

    @property
    def artifacts_dir(self) -> Path:
        return self.dir / "artifacts"

    @property
    def attachments_dir(self) -> Path:
        return self.dir / "attachments"

    @property
    def timeline_path(self) -> Path:
        return self.dir / TIMELINE

    def save(self) -> None:
        """Write the record atomically; compact JSON, because the C encoder is ~10x faster than an
        indented dump and a busy run saves after every step."""
        with self.lock:
            self.data["updatedAt"] = utc_now()
            self.data.pop(SIGNATURE, None)
            text = json.dumps(self.data, sort_keys=True, separators=(",", ":"))
            signature = keys.sign(self.home, RECORD_KEY, text.encode())
            text = f'{text[:-1]},"{SIGNATURE}":"{signature}"}}' if len(text) > 2 else text
            fd, tmp = tempfile.mkstemp(prefix=f".{RECORD}.", suffix=".tmp", dir=self.dir)
            try:
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(text)
                os.replace(tmp, self.record_path)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise

    def event(self, kind: str, **fields: Any) -> None:
        """Append one event to the timeline (flushed at once: it survives a kill -9)."""
        line = json.dumps({"at": utc_now(), "event": kind, **fields}, sort_keys=True)
        with self.lock, self.timeline_path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")

    def timeline(self) -> list[dict[str, Any]]:
        if not self.timeline_path.is_file():
            return []
        out: list[dict[str, Any]] = []
        for line in self.timeline_path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue  # a line cut by a kill
        return out

    @contextmanager
    def exclusive(self, wait: bool = True) -> Iterator[None]:
        """Hold the run's lock across processes: one runner (or one decision) at a time."""
        if wait:
            with locked(self.dir / "runner"):
                yield
            return
        lock_path = self.dir / "runner.lock"
        with open(lock_path, "a+b") as handle:
            try:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise RunError(
                    f"Run {self.id} is being executed by another mlops process",
                    None,
                    hint="wait for it to finish (or stop it) before resuming",
                ) from None
            try:
                yield
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def log_path(self, stage: str, job: str, index: int, ident: str) -> Path:
        path = self.dir / "logs" / stage / job / f"{index + 1:02d}-{ident}.log"
        path.parent.mkdir(parents=True, exist_ok=True)
        return path

    def workspace(self, stage: str, job: str) -> Path:
        return self.dir / "work" / f"{stage}.{job}"

    def secrets(self) -> dict[str, Any]:
        """What secrets.json holds: {"variables": {name: value}, "outputs": {...}, "values": [...]}."""
        data = read_json(self.dir / SECRETS)
        return data if isinstance(data, dict) else {}

    def save_secrets(self, values: Mapping[str, Any]) -> None:
        path = self.dir / SECRETS
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(dict(values), handle)


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
    run.event("queued")
    return run


def load(home: Path, run_id: str) -> Run:
    run_dir = runs_dir(home) / str(run_id)
    try:
        data = read_json(run_dir / RECORD)
    except json.JSONDecodeError as exc:
        raise RunError(
            f"The record of run {run_id} is damaged: {exc}", Location(str(run_dir / RECORD))
        ) from None
    if data is None:
        known = [r["id"] for r in list_runs(home)][-5:]
        raise RunError(
            f"Run {run_id} not found in {runs_dir(home)}",
            None,
            hint=f"recent runs: {', '.join(known)}" if known else "no runs yet: start one with mlops run",
        )
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
