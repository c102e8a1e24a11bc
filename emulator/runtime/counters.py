"""`counter(prefix, seed)`: a number kept per pipeline and prefix, incremented once per run.

[DOC expressions.md#counter]: the first run with a prefix gets the seed; each later run gets one
more. The state lives in the state folder, under a lock, so concurrent runs get distinct values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator.expressions import to_number, to_string
from emulator.store.files import locked, read_json, write_json


class Counters:
    def __init__(self, home: Path, pipeline: str, run_id: str) -> None:
        self.path = home / "counters.json"
        self.pipeline = pipeline
        self.run_id = run_id

    def next(self, prefix: str, seed: int) -> int:
        key = f"{self.pipeline}\n{prefix}"
        with locked(self.path):
            data = read_json(self.path) or {}
            entry = data.get(key)
            if entry is None:
                entry = {"value": seed, "run": self.run_id}
            elif entry.get("run") != self.run_id:
                entry = {"value": int(entry["value"]) + 1, "run": self.run_id}
            data[key] = entry
            write_json(self.path, data)
        return int(entry["value"])

    def functions(self) -> dict[str, Callable[..., Any]]:
        def counter(prefix: Any = "", seed: Any = 0) -> int:
            return self.next(to_string(prefix), int(to_number(seed)))

        return {"counter": counter}
