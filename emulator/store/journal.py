"""A run record's journal: the changes made since its last snapshot, one signed JSON line each.

Why: a run changes its record at every step, job and stage. Rewriting a record that grows with the
pipeline at each change made a run cost the square of its size (1,000 stages: 412 s, a 1.2 MB
run.json written at each event). A change is now one line whose size does not depend on the pipeline:
the part of the record that changed (a stage, a job, a step, or top-level fields), appended to
`journal.jsonl`. The snapshot (run.json) is rewritten when the journal has grown as large as it, and when
the run pauses or ends, so its cost per change stays constant too.

Each line carries the run id, a sequence number and an HMAC signature (the records key), so a line
added, edited, reordered or copied from another run is refused like a hand-edited run.json.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.store import keys

FILE = "journal.jsonl"
Path_ = tuple[str | int, ...]
Op = tuple[Path_, Any] | tuple[Path_]  # (path, value) sets; (path,) deletes


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class Replay:
    """What reading a journal over a snapshot gave: the last sequence applied, why it stopped early
    (None: the journal is sound), and whether its last line was cut by a kill."""

    seq: int
    problem: str | None
    cut: bool
    size: int


def encode(home: Path, key: str, run_id: str, seq: int, ops: Sequence[Op]) -> str:
    body = _canonical({"run": run_id, "seq": seq, "ops": [list(op) for op in ops]})
    signature = keys.sign(home, key, body.encode())
    return f'{body[:-1]},"sig":"{signature}"}}\n'


def append(path: Path, line: str) -> None:
    """Append one line; it reaches the kernel at once, so it survives a kill -9 of this process."""
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line)


def clear(path: Path) -> None:
    path.open("w").close()


def apply(data: dict[str, Any], ops: Iterable[Sequence[Any]]) -> None:
    """Set (or delete) each path in `data`."""
    for op in ops:
        where, last = _parent(data, op[0])
        if len(op) == 1:
            if isinstance(where, dict):
                where.pop(last, None)
        elif isinstance(where, list):
            where[int(last)] = op[1]
        else:
            where[last] = op[1]


def _parent(data: Any, path: Sequence[Any]) -> tuple[Any, Any]:
    node = data
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


def replay(path: Path, data: dict[str, Any], since: int, home: Path, key: str, run_id: str) -> Replay:
    """Apply the journal's lines after sequence `since` to `data` (in place)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Replay(since, None, False, 0)
    seq = since
    lines = raw.split(b"\n")
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            if index == len(lines) - 1:  # the last line, cut by a kill while it was written
                return Replay(seq, None, True, len(raw))
            return Replay(seq, f"the journal {path} is damaged (line {index + 1})", False, len(raw))
        if not isinstance(entry, dict):
            return Replay(seq, f"the journal {path} is damaged (line {index + 1})", False, len(raw))
        signature = entry.pop("sig", None)
        number = entry.get("seq")
        if isinstance(number, int) and number <= since:
            continue  # already in the snapshot (a kill between the snapshot and clearing the journal)
        authentic = keys.verify(home, key, _canonical(entry).encode(), signature)
        if not authentic or entry.get("run") != run_id or number != seq + 1:
            return Replay(
                seq, f"the journal {path} was changed outside mlops (line {index + 1})", False, len(raw)
            )
        try:
            apply(data, entry.get("ops") or ())
        except (KeyError, IndexError, TypeError, ValueError):
            return Replay(
                seq, f"the journal {path} does not fit its record (line {index + 1})", False, len(raw)
            )
        seq = number
    return Replay(seq, None, False, len(raw))
