"""Run records: one folder per run with its record, timeline, expanded pipeline, logs and artifacts.

    runs/<id>/run.json          a snapshot of the record (stages, jobs, steps, results, outputs), signed
    runs/<id>/journal.jsonl     the record's changes since that snapshot, signed (see journal.py)
    runs/<id>/timeline.jsonl    one line per event (started/finished, with times), append-only
    runs/<id>/pipeline.yml      the expanded pipeline the run was queued with (what resume runs)
    runs/<id>/logs/<stage>/<job>/<NN>-<step>.log
    runs/<id>/artifacts/<name>/ pipeline artifacts; attachments/ uploaded files
    runs/<id>/work/<stage>.<job>/ the job's agent workspace (Pipeline.Workspace)
    runs/<id>/secrets.json      secret values the run needs while it can resume (mode 0600, never in the
                                record; removed when the run ends)

Several `mlops` processes can share a state folder, so run ids come from a locked counter, every
snapshot is written atomically and readers retry when a snapshot replaces the one they started from.
Within a run, jobs running in parallel threads change the record under the run's lock; one process at
a time runs or decides on a run (`exclusive`).

A record read from disk is verified (its signature, and each journal line's) before anything is
written back: `save` refuses a record that was not, so an edit made by hand is never signed.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import signal
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from emulator.errors import Location, RunError
from emulator.records import RunRecord
from emulator.store import journal, keys
from emulator.store.files import LockBusy, locked, read_json, utc_now, write_json
from emulator.store.paths import runs_dir

RECORD = "run.json"
RECORD_KEY = "records"
SIGNATURE = "signature"
TIMELINE = "timeline.jsonl"
SECRETS = "secrets.json"
JOURNAL_SEQ = "journalSeq"  # in a snapshot: the last journal line it includes
MIN_SNAPSHOT_BYTES = 1 << 20  # the journal grows to this (or to the snapshot's size) before a new snapshot
CRASH_AFTER = "MLOPS_INTERNAL_CRASH_AFTER"  # EVENT:N: SIGKILL this process after its Nth EVENT (tests)
_MISSING: Any = object()


@dataclass
class Run:
    """A run's folder and its record (mutable while the run goes; change it under `lock`)."""

    id: str
    dir: Path
    data: RunRecord
    lock: threading.RLock = field(default_factory=threading.RLock, repr=False, compare=False)
    problem: str | None = field(default=None, repr=False, compare=False)  # why the record is not trusted
    _seq: int = field(default=0, repr=False, compare=False)
    _snapshot_bytes: int = field(default=0, repr=False, compare=False)
    _journal_bytes: int = field(default=0, repr=False, compare=False)
    _needs_snapshot: bool = field(default=True, repr=False, compare=False)
    _written: dict[str, Any] = field(default_factory=dict, repr=False, compare=False)  # top level, as saved
    _paths: dict[int, tuple[str | int, ...]] = field(default_factory=dict, repr=False, compare=False)
    _events: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    @property
    def record_path(self) -> Path:
        return self.dir / RECORD

    @property
    def journal_path(self) -> Path:
        return self.dir / journal.FILE

    @property
    def home(self) -> Path:
        return self.dir.parent.parent

    def tampering(self) -> str | None:
        """Why the record or the pipeline it runs cannot be trusted, or None.

        The emulator signs every record and journal line it writes (keys/records.key) and keeps the
        digest of the expanded pipeline in the record, so a hand edit between a pause and a resume (a
        stage marked succeeded, an environment removed from pipeline.yml) is refused instead of run.
        """
        if self.problem:
            return self.problem
        expected = self.data.get("pipelineDigest")
        if expected:
            if not self.pipeline_file.is_file():
                return f"the expanded pipeline {self.pipeline_file} was removed outside mlops"
            if hashlib.sha256(self.pipeline_file.read_bytes()).hexdigest() != expected:
                return f"the expanded pipeline {self.pipeline_file} was changed outside mlops"
        return None

    def pipeline_text(self) -> str:
        """The expanded pipeline, read once and checked against the digest in the record: what is
        checked is what runs, even if the file changes a moment later."""
        try:
            raw = self.pipeline_file.read_bytes()
        except FileNotFoundError:
            raise RunError(
                f"Refusing to run {self.id}: the expanded pipeline {self.pipeline_file} was "
                "removed outside mlops",
                Location(str(self.pipeline_file)),
            ) from None
        expected = self.data.get("pipelineDigest")
        if expected and hashlib.sha256(raw).hexdigest() != expected:
            raise RunError(
                f"Refusing to run {self.id}: the expanded pipeline {self.pipeline_file} was "
                "changed outside mlops",
                Location(str(self.pipeline_file)),
                hint="runs are changed only through mlops; start a new run with mlops run",
            )
        return raw.decode("utf-8")

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
    def _json(self) -> dict[str, Any]:
        """The record as the JSON the snapshot and the journal write, whatever its keys."""
        return cast("dict[str, Any]", self.data)

    @property
    def timeline_path(self) -> Path:
        return self.dir / TIMELINE

    def save(self, *parts: Mapping[str, Any]) -> None:
        """Persist the record. With `parts` (the stage, job or step records that changed) one journal
        line of their size; without, or once the journal is as large as the snapshot, a new snapshot."""
        with self.lock:
            if self.problem:
                raise RunError(
                    f"Refusing to write run {self.id}: {self.problem}",
                    Location(str(self.record_path)),
                    hint="runs are changed only through mlops; start a new run with mlops run",
                )
            self.data["updatedAt"] = utc_now()
            paths = [self._path_of(part) for part in parts]
            if (
                not parts
                or self._needs_snapshot
                or None in paths
                or self._journal_bytes >= max(MIN_SNAPSHOT_BYTES, self._snapshot_bytes)
            ):
                self._snapshot()
                return
            ops: list[journal.Op] = []
            for key, value in self.data.items():
                if key != "stages" and self._written.get(key, _MISSING) != value:
                    ops.append(((key,), value))
            ops += [((key,),) for key in self._written if key not in self.data]
            ops += [(path, part) for path, part in zip(paths, parts, strict=True) if path is not None]
            line = journal.encode(self.home, RECORD_KEY, self.id, self._seq + 1, ops)
            journal.append(self.journal_path, line)
            self._seq += 1
            self._journal_bytes += len(line)
            for op in ops:
                if len(op[0]) == 1:
                    key = str(op[0][0])
                    if key in self.data:
                        self._written[key] = copy.deepcopy(self._json[key])
                    else:
                        self._written.pop(key, None)

    def _snapshot(self) -> None:
        """Write the whole record atomically (compact JSON: the C encoder is ~10x faster than an indented
        dump), then clear the journal it now includes."""
        self._json[JOURNAL_SEQ] = self._seq
        self._json.pop(SIGNATURE, None)
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
        journal.clear(self.journal_path)
        self._snapshot_bytes = len(text)
        self._journal_bytes = 0
        self._needs_snapshot = False
        self._written = {k: copy.deepcopy(v) for k, v in self.data.items() if k != "stages"}

    def _path_of(self, part: Mapping[str, Any]) -> tuple[str | int, ...] | None:
        """Where a stage, job or step record sits in the record (None: not in it)."""
        path = self._paths.get(id(part))
        if path is None or self._at(path) is not part:
            self._paths = {}
            for si, srec in enumerate(self.data.get("stages") or ()):
                self._paths[id(srec)] = ("stages", si)
                for ji, jrec in enumerate(srec.get("jobs") or ()):
                    self._paths[id(jrec)] = ("stages", si, "jobs", ji)
                    for ki, step in enumerate(jrec.get("steps") or ()):
                        self._paths[id(step)] = ("stages", si, "jobs", ji, "steps", ki)
            path = self._paths.get(id(part))
        return path

    def _at(self, path: tuple[str | int, ...]) -> Any:
        node: Any = self.data
        try:
            for part in path:
                node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
        return node

    def event(self, kind: str, **fields: Any) -> None:
        """Append one event to the timeline (flushed at once: it survives a kill -9)."""
        line = json.dumps({"at": utc_now(), "event": kind, **fields}, sort_keys=True)
        with self.lock, self.timeline_path.open("a", encoding="utf-8") as handle:
            handle.write(line + "\n")
        crash = os.environ.get(CRASH_AFTER)
        if crash:
            self._events[kind] = self._events.get(kind, 0) + 1
            wanted, _, count = crash.partition(":")
            if wanted == kind and str(self._events[kind]) == count:
                os.kill(os.getpid(), signal.SIGKILL)

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
        stack = ExitStack()
        try:
            stack.enter_context(locked(self.dir / "runner", wait=wait))
        except LockBusy:
            raise RunError(
                f"Run {self.id} is being executed by another mlops process",
                None,
                hint="wait for it to finish (or stop it) before resuming",
            ) from None
        with stack:
            yield

    def executing(self) -> bool:
        """Whether an mlops process holds the run now (runs it or decides on it)."""
        try:
            with locked(self.dir / "runner", wait=False):
                return False
        except LockBusy:
            return True

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

    def forget_secrets(self) -> None:
        """A run that can no longer resume keeps no secret at rest."""
        (self.dir / SECRETS).unlink(missing_ok=True)


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
    run = Run(run_id, run_dir, cast(RunRecord, {"id": run_id, **data, "createdAt": utc_now()}))
    run.save()
    run.event("queued")
    return run


def check_id(run_id: str) -> str:
    """Run ids are the numbers `mlops run` gives: anything else (a path) is refused, so a command never
    reaches outside the state folder."""
    text = str(run_id).strip()
    if not text.isdigit() or not text.isascii():
        raise RunError(
            f"'{run_id}' is not a run id", None, expected="the number of a run, as mlops runs list shows it"
        )
    return str(int(text))


def _read(run_dir: Path, run_id: str) -> Run | None:
    """The record as its snapshot and journal leave it, verified; None when there is no record."""
    home = run_dir.parent.parent
    for _ in range(5):  # a writer may replace the snapshot while we read: read again
        try:
            before = os.stat(run_dir / RECORD)
            raw = (run_dir / RECORD).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise json.JSONDecodeError("the record is not an object", raw, 0)
        signature = data.pop(SIGNATURE, None)
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        problem = None
        if not keys.verify(home, RECORD_KEY, text.encode(), signature):
            problem = f"the record {run_dir / RECORD} was changed outside mlops"
        since = int(data.get(JOURNAL_SEQ) or 0)
        replay = journal.replay(run_dir / journal.FILE, data, since, home, RECORD_KEY, run_id)
        try:
            after = os.stat(run_dir / RECORD)
        except FileNotFoundError:
            continue
        if (before.st_ino, before.st_mtime_ns) != (after.st_ino, after.st_mtime_ns):
            continue
        run = Run(run_id, run_dir, cast(RunRecord, data), problem=problem or replay.problem)
        run._seq = replay.seq
        run._snapshot_bytes = len(raw)
        run._journal_bytes = replay.size
        run._needs_snapshot = replay.cut or replay.problem is not None
        run._written = {k: copy.deepcopy(v) for k, v in data.items() if k != "stages"}
        return run
    raise RunError(f"The record of run {run_id} keeps changing; try again", Location(str(run_dir / RECORD)))


def load(home: Path, run_id: str) -> Run:
    run_id = check_id(run_id)
    run_dir = runs_dir(home) / run_id
    try:
        run = _read(run_dir, run_id)
    except json.JSONDecodeError as exc:
        raise RunError(
            f"The record of run {run_id} is damaged: {exc}", Location(str(run_dir / RECORD))
        ) from None
    if run is None:
        known = [r["id"] for r in list_runs(home)][-5:]
        raise RunError(
            f"Run {run_id} not found in {runs_dir(home)}",
            None,
            hint=f"recent runs: {', '.join(known)}" if known else "no runs yet: start one with mlops run",
        )
    return run


def list_runs(home: Path) -> list[RunRecord]:
    root = runs_dir(home)
    out: list[RunRecord] = []
    if not root.is_dir():
        return out
    for child in root.iterdir():
        if child.is_dir() and child.name.isdigit():
            try:
                run = _read(child, child.name)
            except (json.JSONDecodeError, RunError):
                continue
            if run is not None:
                out.append(run.data)
    return sorted(out, key=lambda d: int(d["id"]))
