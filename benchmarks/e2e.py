"""End-to-end cost of the emulator: the reference scenario vs the bare work it wraps, in one run.

Emulated: `mlops run mlops_pipelines/BasicBuildRelease.yml`, approve `test`, resume, approve
`production`, resume (what `make demo` does), in a fresh state folder.
Bare: the same work done directly: `python code/train.py` with MLflow on sqlite, the model registered
with `mlflow.register_model`, and the Azure ML inference server started under gunicorn from the same
cached environment and asked once, for the test endpoint and then for the production endpoint (the
scenario deploys and smoke-tests both). The time up to the first endpoint's answer is reported too: it
was the bare side of this benchmark until 2026-12-06 (3.2x at issue 14's start was measured that way).

Both use the same warm environment cache (built first if needed, and reported separately), so the
ratio measures the emulator's own overhead: YAML expansion, agent steps, the `az` shim and its
validation, the deployments' records, the endpoints' front and the smoke tests' requests.

The two run in turn, round after round (bare, emulated, bare, emulated…), and the ratio is taken
round by round, so a machine whose load drifts during the benchmark moves both sides of a ratio alike;
the median round is the figure. `--without-worker` adds the emulated scenario with every `az` call in
a process of its own (`MLOPS_AZ_WORKER=off`, as before the resident worker) to the same rounds.

Usage: .venv/bin/python benchmarks/e2e.py [ROUNDS] [--without-worker]
       .venv/bin/python benchmarks/e2e.py --one bare|emulated   (one side once, for an outside timer)
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PIPELINE = "mlops_pipelines/BasicBuildRelease.yml"


def mlops(home: Path, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MLOPS_HOME": str(home), "MLFLOW_DISABLE_TELEMETRY": "true", **extra}
    return subprocess.run(
        [sys.executable, "-m", "emulator", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )


def emulated(home: Path, **extra: str) -> float:
    started = time.perf_counter()
    first = mlops(home, "run", PIPELINE, "--json", "--quiet", **extra)
    assert first.returncode == 3, first.stderr[-2000:]
    run_id = json.loads(first.stdout[first.stdout.index("{") :])["id"]
    for env, user in (("test", "alice"), ("production", "carol")):
        assert mlops(home, "approve", run_id, "--environment", env, "--as", user, **extra).returncode == 0
        resumed = mlops(home, "resume", run_id, "--json", "--quiet", **extra)
        assert resumed.returncode in (0, 3), resumed.stderr[-2000:]
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    elapsed = time.perf_counter() - started
    mlops(home, "down")
    return elapsed


def warm_environment() -> tuple[Path, float]:
    """Build (or find) the scoring environment the scenario deploys with; returns its python."""
    import yaml

    from emulator.azureml.compute.envbuild import ensure_environment, plan_environment
    from emulator.azureml.context import Context

    conda = yaml.safe_load((ROOT / "code" / "environment" / "conda.yml").read_text())
    started = time.perf_counter()
    built = ensure_environment(Context.current(), plan_environment(conda))
    return built.python, time.perf_counter() - started


def serve_and_ask(work: Path, python: Path, env: dict[str, str], port: int) -> None:
    """Start the Azure ML inference server on the model, as a deployment does, and ask it once."""
    server_env = {
        **env,
        "AZUREML_ENTRY_SCRIPT": str(ROOT / "code" / "score.py"),
        "AZUREML_MODEL_DIR": str(work),
    }
    server = subprocess.Popen(
        [
            str(python),
            "-m",
            "gunicorn",
            "-b",
            f"127.0.0.1:{port}",
            "-w",
            "1",
            "azureml_inference_server_http.server.entry:app",
        ],
        cwd=work,
        env=server_env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        body = (ROOT / "code" / "sample-request.json").read_bytes()
        deadline = time.monotonic() + 180
        while True:
            try:
                req = urllib.request.Request(
                    f"http://127.0.0.1:{port}/score",
                    data=body,
                    method="POST",
                    headers={"Content-Type": "application/json"},
                )
                with urllib.request.urlopen(req, timeout=30) as resp:
                    answer = json.loads(resp.read())
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        assert "predictions" in answer, answer
    finally:
        server.terminate()
        server.wait(timeout=30)


def bare(work: Path, python: Path) -> tuple[float, float]:
    """The scenario's work without the emulator: seconds once the test endpoint answered, and once the
    production endpoint answered too (the scenario deploys and asks both)."""
    env = {
        **os.environ,
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLFLOW_TRACKING_URI": f"sqlite:///{work / 'mlflow.db'}",
    }
    started = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            str(ROOT / "code" / "train.py"),
            "--data",
            str(ROOT / "dataset" / "german_credit.csv"),
            "--model_output",
            str(work / "model"),
        ],
        cwd=work,  # MLflow puts artifacts of a sqlite store under ./mlruns: not in the repository
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import mlflow, sys; mlflow.register_model(sys.argv[1], 'credit-model')",
            f"file://{work / 'model'}",
        ],
        env=env,
        check=True,
        capture_output=True,
        timeout=600,
    )
    serve_and_ask(work, python, env, 18765)
    one_endpoint = time.perf_counter() - started
    serve_and_ask(work, python, env, 18766)
    return one_endpoint, time.perf_counter() - started


def one(side: str) -> None:
    """One side, once, in a fresh folder: what an outside timer (time, hyperfine) measures."""
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ.setdefault("MLOPS_ENV_CACHE", str(ROOT / ".mlops-cache" / "envs"))
    python, _ = warm_environment()
    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "bare").mkdir()
        seconds = bare(Path(tmp) / "bare", python)[1] if side == "bare" else emulated(Path(tmp) / "emulated")
    print(f"{side}: {seconds:.1f} s")


def main() -> None:
    if "--one" in sys.argv:
        one(sys.argv[sys.argv.index("--one") + 1])
        return
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    rounds = int(args[0]) if args else 3
    without_worker = "--without-worker" in sys.argv
    os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
    os.environ.setdefault("MLOPS_ENV_CACHE", str(ROOT / ".mlops-cache" / "envs"))
    python, build_seconds = warm_environment()
    print(f"scoring environment: {'cached' if build_seconds < 5 else 'built'} in {build_seconds:.1f} s")
    rows: list[tuple[float, float, float, float | None]] = []
    for number in range(1, rounds + 1):
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "bare").mkdir()
            one_s, both_s = bare(Path(tmp) / "bare", python)
            emulated_s = emulated(Path(tmp) / "emulated")
            alone_s = emulated(Path(tmp) / "alone", MLOPS_AZ_WORKER="off") if without_worker else None
        rows.append((both_s, emulated_s, one_s, alone_s))
        extra = f", without the worker {alone_s:.1f} s ({alone_s / both_s:.2f}x)" if alone_s else ""
        print(
            f"round {number}: bare {both_s:.1f} s (one endpoint {one_s:.1f} s), emulated {emulated_s:.1f} s "
            f"({emulated_s / both_s:.2f}x; {emulated_s / one_s:.2f}x of one endpoint){extra}"
        )
    median = statistics.median
    for label, column in (
        ("bare work (train + register + 2 endpoints served and asked)", 0),
        ("  of which up to the first endpoint's answer", 2),
        ("emulated scenario (run + 2 approvals + 2 resumes, 5 stages)", 1),
    ):
        print(f"{label + ', median:':70}{median(r[column] for r in rows):7.1f} s")
    print(f"ratio emulated / bare (median of {rounds} rounds): {median(r[1] / r[0] for r in rows):.2f}x")
    print(
        f"ratio emulated / bare up to one endpoint (the definition before 2026-12-06): "
        f"{median(r[1] / r[2] for r in rows):.2f}x"
    )
    if without_worker:
        alone = median(r[3] / r[0] for r in rows if r[3])
        print(f"ratio emulated without the az worker / bare (median of {rounds} rounds): {alone:.2f}x")


if __name__ == "__main__":
    main()
