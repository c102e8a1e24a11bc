"""What one `az` call costs: through the state folder's resident worker (warm), against the same call
in a process of its own (`MLOPS_AZ_WORKER=off`: what every call cost before the worker), side by side.

Each call is the real shim (`write_az_shim`) as a subprocess, timed from outside (wall clock: the
worker's child does the work, so the caller's own CPU time would flatter it). The first call, which
forks the state folder's worker from the user's zygote (or starts the zygote, when none runs), is
reported separately.

Usage: .venv/bin/python benchmarks/az_calls.py [REPEATS]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from emulator.azureml import write_az_shim  # noqa: E402
from emulator.azureml.resident.client import stop_workers  # noqa: E402

CALLS = (
    ("az version", ("version",)),
    ("az ml model list", ("ml", "model", "list")),
    ("az ml online-endpoint list", ("ml", "online-endpoint", "list")),
    ("az ml environment create", ("ml", "environment", "create", "-f", "environment.yml")),
)


def timed(shim: Path, home: Path, args: tuple[str, ...], cwd: Path, **extra: str) -> float:
    env = {**os.environ, "MLOPS_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true", **extra}
    started = time.perf_counter()
    done = subprocess.run([str(shim), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    return elapsed


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        shim = write_az_shim(work / "bin")
        (work / "environment.yml").write_text("name: bench-env\nimage: python:3.11-slim\n")
        home = work / "state"
        try:
            timed(shim, home, ("configure", "--defaults", "group=rg", "workspace=ws"), work)
            first = timed(shim, home, ("ml", "workspace", "list"), work)
            print(f"first az ml call of the state folder (the zygote forks its worker): {first:6.2f} s")
            print(
                f"{'call':<28} {'in its own process':>19} {'warm worker':>12} {'ratio':>7}"
                f"   (median of {repeats})"
            )
            for label, args in CALLS:
                alone = [timed(shim, home, args, work, MLOPS_AZ_WORKER="off") for _ in range(repeats)]
                warm = [timed(shim, home, args, work) for _ in range(repeats)]
                a, w = statistics.median(alone), statistics.median(warm)
                print(f"{label:<28} {a:17.2f} s {w:10.2f} s {a / w:6.1f}x")
        finally:
            stop_workers(home)


if __name__ == "__main__":
    main()
