"""What building the scoring environment costs with pip and with uv, from cold caches, and with uv's cache
warm, side by side: the requirements of `code/environment/conda.yml` through `plan_environment`, each
build into a fresh environment cache (`MLOPS_ENV_CACHE`) with the installer forced
(`MLOPS_ENV_INSTALLER`). Cold means an empty download cache (`PIP_CACHE_DIR`, `UV_CACHE_DIR`); warm
reuses uv's from the cold build. Both read the same pip configuration; the resolved versions are compared.
Neither compiles bytecode (the environment's first processes do). The machine is shared: its load average
is printed, and with ROUNDS > 1 the ways interleave and each one's best round counts.

Usage: .venv/bin/python benchmarks/envbuild.py [ROUNDS]
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from emulator.azureml.compute import envbuild  # noqa: E402
from emulator.azureml.context import Context  # noqa: E402

CONDA = ROOT / "code" / "environment" / "conda.yml"
LIST = "import importlib.metadata as m\nfor d in m.distributions(): print(f'{d.name}=={d.version}')"


@contextmanager
def variables(**values: str) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def build(plan: envbuild.EnvPlan, cache: Path, **values: str) -> tuple[float, set[str], str]:
    """Seconds, the installed distributions and the installer of one build into the fresh `cache`."""
    with variables(MLOPS_ENV_CACHE=str(cache), **values):
        started = time.perf_counter()
        built = envbuild.ensure_environment(Context.current(), plan)
        seconds = time.perf_counter() - started
        installer = (envbuild.environment_info(Context.current(), plan.key) or {}).get("installer", "?")
    listed = subprocess.run([str(built.python), "-c", LIST], capture_output=True, text=True, check=True)
    return seconds, set(listed.stdout.split()), installer


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    plan = envbuild.plan_environment(yaml.safe_load(CONDA.read_text(encoding="utf-8")))
    source = CONDA.relative_to(ROOT)
    print(f"scoring environment {plan.key}: {len(plan.requirements)} requirements from {source}")
    print(f"load average before: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    best: dict[str, tuple[float, set[str], str]] = {}
    for _ in range(rounds):  # the ways interleave; the best round of each counts
        with tempfile.TemporaryDirectory() as tmp:
            scratch = Path(tmp)
            uv_cache = str(scratch / "uv-cache")
            runs = {
                "pip, cold cache": build(
                    plan, scratch / "pip", MLOPS_ENV_INSTALLER="pip", PIP_CACHE_DIR=str(scratch / "pip-cache")
                ),
                "uv, cold cache": build(
                    plan, scratch / "uv-cold", MLOPS_ENV_INSTALLER="uv", UV_CACHE_DIR=uv_cache
                ),
                "uv, warm cache": build(
                    plan, scratch / "uv-warm", MLOPS_ENV_INSTALLER="uv", UV_CACHE_DIR=uv_cache
                ),
            }
        for name, run in runs.items():
            if name not in best or run[0] < best[name][0]:
                best[name] = run
    print(f"load average after:  {os.getloadavg()[0]:.1f} (best of {rounds} round(s))")
    pip_seconds, pip_versions, _ = best["pip, cold cache"]
    for name, (seconds, versions, installer) in best.items():
        same = (
            "same versions as pip"
            if versions == pip_versions
            else f"differs: {sorted(versions ^ pip_versions)}"
        )
        ratio = pip_seconds / seconds
        print(f"{name:16} {seconds:6.1f} s  {ratio:4.1f}x pip  ({installer}, {len(versions)} dists, {same})")


if __name__ == "__main__":
    main()
