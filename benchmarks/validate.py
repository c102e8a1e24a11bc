"""What `mlops validate mlops_pipelines/BasicBuildRelease.yml` costs cold (nothing cached: azure-ai-ml
loads every Azure ML file, the pipeline walks Azure's schema) and warm (the report cached by content),
side by side; both as whole `mlops` processes, timed from outside.

Usage: .venv/bin/python benchmarks/validate.py [REPEATS]
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = "mlops_pipelines/BasicBuildRelease.yml"


def timed(cache: Path) -> float:
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true", "MLOPS_VALIDATION_CACHE": str(cache)}
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "validate", PIPELINE],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    elapsed = time.perf_counter() - started
    assert done.returncode == 0, done.stderr[-2000:]
    return elapsed


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    with tempfile.TemporaryDirectory() as tmp:
        cache = Path(tmp) / "cache"
        cold = []
        for _ in range(repeats):
            shutil.rmtree(cache, ignore_errors=True)
            cold.append(timed(cache))
        warm = [timed(cache) for _ in range(repeats)]
    c, w = statistics.median(cold), statistics.median(warm)
    print(f"mlops validate {PIPELINE} (median of {repeats})")
    print(f"cold (nothing cached):   {c:6.2f} s")
    print(f"warm (report cached):    {w:6.2f} s")
    print(f"ratio cold / warm: {c / w:.1f}x")


if __name__ == "__main__":
    main()
