"""How a run's time grows with the pipeline: N one-step stages (each: `checkout: none` + one script), run
through the command line as a user would (`mlops run ... -q --progress plain`), and how long a Ctrl-C
takes to end the same run once a tenth of its stages have finished.

Targets (project issue 15, item 8, on 2 cores): 2,000 stages in at most 2 minutes, 10,000 in at most 10,
cancel within 5 s at any size. Before the fix: 500 stages 81 s, 1,000 stages 412 s, 10,000 never ended.

Usage: .venv/bin/python benchmarks/scale.py [SIZE ...]   (default: 500 2000 10000)
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SIZES = (500, 2000, 10000)


sys.path.insert(0, str(ROOT))
from tests.hardening.test_scale import one_step_stages as pipeline  # noqa: E402  the same pipelines


def _start(work: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MLOPS_HOME": str(work / "home"),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.Popen(
        [sys.executable, "-m", "emulator", "run", "pipeline.yml", "-q", "--progress", "plain"],
        cwd=work,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def full_run(stages: int) -> float:
    with tempfile.TemporaryDirectory(prefix="mlops-scale-") as tmp:
        work = Path(tmp)
        (work / "pipeline.yml").write_text(pipeline(stages))
        started = time.perf_counter()
        proc = _start(work)
        _, err = proc.communicate()
        if proc.returncode != 0:
            raise SystemExit(f"{stages} stages: exit {proc.returncode}\n{err.decode()[-2000:]}")
        return time.perf_counter() - started


def cancel_time(stages: int) -> float:
    """Seconds from SIGINT to the end of the process, sent once a tenth of the stages have finished."""
    with tempfile.TemporaryDirectory(prefix="mlops-scale-") as tmp:
        work = Path(tmp)
        (work / "pipeline.yml").write_text(pipeline(stages))
        proc = _start(work)
        timeline = work / "home" / "runs" / "1" / "timeline.jsonl"
        wanted = max(1, stages // 10)
        while not (timeline.exists() and timeline.read_bytes().count(b'"stageFinished"') >= wanted):
            if proc.poll() is not None:
                raise SystemExit(f"{stages} stages: the run ended before it could be canceled")
            time.sleep(0.1)
        started = time.perf_counter()
        os.kill(proc.pid, signal.SIGINT)
        proc.communicate()
        return time.perf_counter() - started


def main() -> None:
    sizes = [int(a) for a in sys.argv[1:]] or list(DEFAULT_SIZES)
    print(f"One-step stages through `mlops run` ({os.cpu_count()} cores, load {os.getloadavg()[0]:.1f})")
    print(f"{'stages':>7} {'run s':>8} {'per stage ms':>13} {'cancel s':>9}")
    for stages in sizes:
        seconds = full_run(stages)
        canceled = cancel_time(stages)
        print(f"{stages:>7} {seconds:>8.1f} {seconds / stages * 1000:>13.1f} {canceled:>9.2f}", flush=True)


if __name__ == "__main__":
    main()
