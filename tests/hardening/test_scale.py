"""Defect 8 (medium): scheduling grew faster than the pipeline.

500 stages took 81 s, 1,000 took 412 s (run.json of 1.2 MB rewritten at each event) and 10,000 never
finished and ignored SIGINT/SIGTERM. The cost of an event must not depend on the pipeline's size. These
tests bound what each event costs rather than wall time (the machine is shared): the bytes the runner
writes per stage, which grew with the pipeline when each event rewrote the whole record, and the
scheduling work per stage; a cancel must end a run within 5 s. `benchmarks/scale.py` measures 500, 2,000
and 10,000 stages.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from emulator.plan import Graph, find_cycle

from .conftest import Project


def one_step_stages(count: int) -> str:
    lines = ["stages:"]
    for i in range(count):
        lines += [
            f"- stage: S{i}",
            "  jobs:",
            "  - job: J",
            "    steps:",
            "    - checkout: none",
            f"    - script: echo {i}",
        ]
    return "\n".join(lines) + "\n"


def _written_bytes() -> int:
    """Bytes this process has written (to files and pipes), from /proc/self/io."""
    for line in Path("/proc/self/io").read_text().splitlines():
        if line.startswith("wchar:"):
            return int(line.split()[1])
    raise AssertionError("no wchar in /proc/self/io")


def _bytes_per_stage(project: Project, count: int) -> float:
    yaml = one_step_stages(count)
    before = _written_bytes()
    run = project.run(yaml, parallel=2)
    written = _written_bytes() - before
    assert run.data["result"] == "succeeded"
    return written / count


@pytest.mark.skipif(not Path("/proc/self/io").exists(), reason="needs Linux /proc/self/io to count bytes")
def test_what_the_runner_writes_per_stage_does_not_grow_with_the_pipeline(project: Project) -> None:
    small = _bytes_per_stage(project, 100)
    large = _bytes_per_stage(project, 300)
    # a record rewritten at each event made this ratio about 3 (the record is 3 times larger)
    assert large / small < 1.4, (small, large)
    assert large < 20_000, large  # a few journal and timeline lines, a log and a workspace per stage


def test_a_record_journal_line_is_the_size_of_what_changed(project: Project) -> None:
    run = project.run(one_step_stages(200), parallel=2)
    lines = run.journal_path.read_text().splitlines() if run.journal_path.exists() else []
    timeline = run.timeline()
    assert len(timeline) > 5 * 200
    assert all(len(line) < 4_000 for line in lines), max(map(len, lines))
    assert (run.dir / "run.json").stat().st_size > 100_000  # the whole record: 200 stages


def test_ordering_and_cycle_search_are_linear() -> None:
    nodes = tuple(f"S{i}" for i in range(10_000))
    chain = {n: ((nodes[i - 1],) if i else ()) for i, n in enumerate(nodes)}
    started = time.process_time()
    assert Graph(nodes, chain).order() == nodes
    backwards = {n: ((nodes[i + 1],) if i + 1 < len(nodes) else ()) for i, n in enumerate(nodes)}
    assert Graph(nodes, backwards).order() == nodes[::-1]
    assert find_cycle(nodes, backwards) is None  # 10,000 deep: no recursion limit
    assert find_cycle(nodes, {**backwards, nodes[-1]: (nodes[0],)}) is not None
    assert time.process_time() - started < 2.0


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_large_run_is_canceled_within_5_seconds(project: Project, sig: signal.Signals) -> None:
    project.write(one_step_stages(300).replace("echo ", "sleep 0.05; echo "))
    proc = project.popen("run", "pipeline.yml", "-q", "--progress", "plain", "--json")
    timeline = project.home / "runs" / "1" / "timeline.jsonl"
    deadline = time.monotonic() + 90
    while not (timeline.exists() and timeline.read_text().count('"stageFinished"') >= 20):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    started = time.monotonic()
    os.kill(proc.pid, sig)
    out, err = proc.communicate(timeout=60)
    assert time.monotonic() - started < 5.0
    assert proc.returncode == 1, err
    summary = json.loads(out[out.index("\n{") + 1 :] if "\n{" in out else out)
    assert summary["result"] == "canceled"
    results = [s["result"] for s in summary["stages"]]
    assert results[:20] == ["succeeded"] * 20 and results[-1] in ("skipped", "canceled")
    assert all(r is not None for r in results)
