"""`counter(prefix, seed)` and the build number's `$(Rev:r)`: numbers kept per pipeline.

[DOC expressions.md#counter]: the first run with a prefix gets the seed; each later run of the same
pipeline gets one more; within one run the same prefix keeps its value. `$(Rev:r)` in the run name
format counts runs of the pipeline that had the same build number otherwise [DOC process/run-number.md].
The state is one JSON file in the state folder, read and written under an exclusive lock, so
concurrent runs get distinct values.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from emulator.expressions import to_number, to_string
from emulator.store.files import locked, read_json, write_json

FILE = "counters.json"
KEEP_RUNS = 200  # runs remembered per prefix (what a resumed or concurrent run got)


class Counters:
    def __init__(self, home: Path, pipeline: str, run_id: str) -> None:
        self.path = home / FILE
        self.pipeline = pipeline
        self.run_id = run_id

    def next(self, prefix: str, seed: int, kind: str = "counter") -> int:
        """This run's value for `prefix`: the seed the first time, else the last value + 1; a run that
        asks again (another job, a resume) gets the value it got first, whatever other runs did since."""
        key = f"{kind}\n{self.pipeline}\n{prefix}"
        with locked(self.path):
            data = read_json(self.path) or {}
            entry = data.get(key) or {}
            runs: dict[str, int] = dict(entry.get("runs") or {})
            if self.run_id in runs:
                return int(runs[self.run_id])
            value = int(entry["value"]) + 1 if "value" in entry else seed
            runs[self.run_id] = value
            if len(runs) > KEEP_RUNS:
                runs = dict(list(runs.items())[-KEEP_RUNS:])
            data[key] = {"value": value, "runs": runs}
            write_json(self.path, data)
        return value

    def functions(self) -> dict[str, Callable[..., Any]]:
        def counter(prefix: Any = "", seed: Any = 0) -> int:
            return self.next(to_string(prefix), int(to_number(seed)))

        return {"counter": counter}
