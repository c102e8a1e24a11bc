"""What the run-time engine costs: per-step overhead, and what parallel jobs buy.

1. Per-step overhead: a pipeline of N trivial script steps (N = 1, 10, 100; one job, no checkout) run by
   the engine in-process (`emulator.runner.start`, so interpreter start-up is not counted), against the
   same scripts run directly, one `bash --noprofile --norc <file>` after the other.
2. Fan-out: 4 independent jobs that each sleep 0.5 s, with --parallel 1 and --parallel 2.

Usage: .venv/bin/python benchmarks/runtime.py
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from emulator import runner  # noqa: E402
from emulator.runtime.events import SilentReporter  # noqa: E402

SCRIPT = 'echo "step $1"'
REPEATS = 3


def _pipeline(steps: int) -> str:
    lines = ["jobs:", "- job: J", "  steps:", "  - checkout: none"]
    lines += [f'  - script: echo "step {i}"' for i in range(steps)]
    return "\n".join(lines) + "\n"


def _fan_out(jobs: int, seconds: float) -> str:
    lines = ["jobs:"]
    for i in range(jobs):
        lines += [f"- job: J{i}", "  steps:", "  - checkout: none", f"  - bash: sleep {seconds}"]
    return "\n".join(lines) + "\n"


def _emulated(yaml: str, work: Path, parallel: int | None = None) -> float:
    repo = work / "repo"
    repo.mkdir(parents=True, exist_ok=True)
    (repo / "pipeline.yml").write_text(yaml)
    home = work / "home"
    os.environ["MLOPS_HOME"] = str(home)
    started = time.perf_counter()
    run = runner.start(
        runner.RunRequest(repo / "pipeline.yml", user="bench", parallel=parallel), home, SilentReporter()
    )
    elapsed = time.perf_counter() - started
    assert run.data["result"] == "succeeded", run.data["result"]
    return elapsed


def _direct(steps: int, work: Path) -> float:
    files = []
    for i in range(steps):
        path = work / f"step{i}.sh"
        path.write_text(f'echo "step {i}"\n')
        files.append(path)
    started = time.perf_counter()
    for path in files:
        subprocess.run(["bash", "--noprofile", "--norc", str(path)], check=True, capture_output=True)
    return time.perf_counter() - started


def best(fn, *args):  # type: ignore[no-untyped-def]
    times = []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory(prefix="mlops-bench-") as tmp:
            times.append(fn(*args, Path(tmp)))
    return min(times)


def main() -> None:
    print("Per-step overhead (best of 3; engine in-process vs the same scripts run directly)")
    print(f"{'steps':>6} {'emulated s':>11} {'direct s':>9} {'ratio':>7} {'overhead/step ms':>17}")
    for steps in (1, 10, 100):
        emulated = best(lambda work, n=steps: _emulated(_pipeline(n), work))
        direct = best(lambda work, n=steps: _direct(n, work))
        per_step = (emulated - direct) / steps * 1000
        print(f"{steps:>6} {emulated:>11.3f} {direct:>9.3f} {emulated / direct:>6.1f}x {per_step:>17.1f}")
    print()
    print("Fan-out: 4 independent jobs of 0.5 s each")
    one = best(lambda work: _emulated(_fan_out(4, 0.5), work, 1))
    two = best(lambda work: _emulated(_fan_out(4, 0.5), work, 2))
    print(f"  --parallel 1: {one:.2f} s   --parallel 2: {two:.2f} s   speed-up {one / two:.2f}x")


if __name__ == "__main__":
    main()
