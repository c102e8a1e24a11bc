"""counter(): seed first, +1 per run, stable within a run, distinct across concurrent runs."""

from __future__ import annotations

import threading
from pathlib import Path

from emulator.runtime.counters import Counters


def test_seed_then_one_more_per_run(tmp_path: Path) -> None:
    assert Counters(tmp_path, "p.yml", "1").next("x", 100) == 100
    first = Counters(tmp_path, "p.yml", "1")
    assert first.next("x", 100) == 100  # same run, same value
    assert Counters(tmp_path, "p.yml", "2").next("x", 100) == 101
    assert Counters(tmp_path, "p.yml", "3").next("x", 5) == 102  # the seed only counts the first time
    assert Counters(tmp_path, "other.yml", "4").next("x", 100) == 100  # per pipeline
    assert Counters(tmp_path, "p.yml", "4").next("y", 0) == 0  # per prefix


def test_function_arity_and_types(tmp_path: Path) -> None:
    fn = Counters(tmp_path, "p.yml", "1").functions()["counter"]
    assert fn("a", "7") == 7 and fn("b") == 0


def test_concurrent_runs_get_distinct_values(tmp_path: Path) -> None:
    values: list[int] = []
    lock = threading.Lock()

    def one(run_id: int) -> None:
        value = Counters(tmp_path, "p.yml", str(run_id)).next("shared", 0)
        with lock:
            values.append(value)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(values) == list(range(16))
