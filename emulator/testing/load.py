"""Concurrent clients released together against a server: what a load test and a benchmark measure.

`burst(send, clients)` runs `send` (one request, returning its HTTP status; an OSError counts as a
failure) in `clients` threads at once and returns the error count, the throughput and the latency
percentiles, so tests assert on them and benchmarks print them.
"""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Burst:
    """The figures of one burst (latencies in milliseconds)."""

    clients: int
    errors: int
    per_second: float
    p50: float
    p90: float
    p95: float
    p99: float
    slowest: float

    def __str__(self) -> str:
        return (
            f"{self.clients} concurrent requests: errors {self.errors}, {self.per_second:.1f} req/s, "
            f"latency ms p50 {self.p50:.0f} p90 {self.p90:.0f} p95 {self.p95:.0f} p99 {self.p99:.0f} "
            f"max {self.slowest:.0f}"
        )


def run_together(workers: list[Callable[[], None]]) -> float:
    """Run each worker in a thread of its own, all at once; the seconds until the last one ends."""
    threads = [threading.Thread(target=worker) for worker in workers]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - began


def burst(send: Callable[[], int], clients: int) -> Burst:
    """`clients` threads call `send` at the same moment; a status other than 200 is an error."""
    gate = threading.Barrier(clients)
    results: list[tuple[bool, float]] = []
    lock = threading.Lock()

    def client() -> None:
        gate.wait()
        started = time.perf_counter()
        try:
            ok = send() == 200
        except OSError:
            ok = False
        with lock:
            results.append((ok, (time.perf_counter() - started) * 1000))

    wall = run_together([client] * clients)
    latencies = sorted(milliseconds for _, milliseconds in results)
    cut = statistics.quantiles(latencies, n=100)
    return Burst(
        clients=clients,
        errors=sum(1 for ok, _ in results if not ok),
        per_second=clients / wall,
        p50=cut[49],
        p90=cut[89],
        p95=cut[94],
        p99=cut[98],
        slowest=latencies[-1],
    )
