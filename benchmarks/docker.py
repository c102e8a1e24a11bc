"""Docker packaging and serving, measured: build times, image size, start-to-healthy, scoring latency.

One run, loopback only, against the daemon in DOCKER_HOST (start one as .ci/run does). In a temporary
state folder it trains the credit model (`az ml job create`), registers it, and then measures:

- cold build: the credit model's image built with no layer cache (`pip install` from PyPI inside
  `docker build`); the stand-in base image is built first if the daemon lacks it (reported apart);
- warm build: the same context again (a cache hit by context digest: no `docker build` at all), and
  a new model version on the same environment (a new context; the pip layer comes from the cache);
- image size;
- start-to-healthy: `docker run` until GET / answers, vs the same server started as a process from
  the isolated virtualenv (the no-daemon mode);
- scoring latency: the same number of sequential POST /score with code/sample-request.json against
  the container and against the process, each on its unix socket (a new connection per request, as
  the endpoint's front opens to gunicorn).

Usage: DOCKER_HOST=unix://D/sock .venv/bin/python benchmarks/docker.py [--requests N]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# This file is named docker.py: drop its folder from the import path, or `import docker` (the SDK)
# inside the emulator would import this script instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")

from emulator.azureml import write_az_shim  # noqa: E402 - after the path setup, so the script runs from a checkout
from emulator.azureml.compute import envbuild, loopback  # noqa: E402
from emulator.azureml.serving import (  # noqa: E402
    base_images,
    containers,
    docker_daemon,
    docker_images,
    dockerlint,
    packaging,
)
from emulator.azureml.serving import server as serving  # noqa: E402


def az(home: Path, bin_dir: Path, *args: str) -> str:
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
        "MLOPS_HOME": str(home),
        "MLOPS_DOCKER": "off",  # the benchmark drives builds itself, to time each kind apart
    }
    done = subprocess.run(["az", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800)
    if done.returncode != 0:
        raise SystemExit(f"az {' '.join(args)} failed:\n{done.stderr}")
    return done.stdout.strip()


def latencies(socket: Path, body: bytes, count: int) -> list[float]:
    headers = {"Content-Type": "application/json"}
    status, _ = loopback.unix_request(socket, "POST", "/score", body, headers)  # first one outside the sample
    assert status == 200, status
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        status, _ = loopback.unix_request(socket, "POST", "/score", body, headers)
        samples.append((time.perf_counter() - started) * 1000)
        assert status == 200, status
    return samples


def summary(samples: list[float]) -> str:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
    mean, p50 = statistics.mean(samples), statistics.median(samples)
    return f"mean {mean:6.2f} ms   p50 {p50:6.2f} ms   p95 {p95:6.2f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="scoring requests per mode (default 200)")
    options = parser.parse_args()
    daemon, reason = docker_daemon.connect(docker_daemon.docker_host())
    if daemon is None:
        print(f"{reason}\n{docker_daemon.START_HINT}", file=sys.stderr)
        return 2
    work = Path(tempfile.mkdtemp(prefix="mlops-docker-bench-"))
    home, bin_dir = work / "state", work / "bin"
    write_az_shim(bin_dir)
    os.environ["MLOPS_HOME"] = str(home)
    print(f"Docker daemon {daemon.version} at {daemon.host}; state in {work} (removed at the end)")

    az(home, bin_dir, "configure", "--defaults", "group=rg-bench", "workspace=ws-bench")
    az(home, bin_dir, "ml", "environment", "create", "-f", "mlops_pipelines/aml/environment.yml")
    job = az(
        home,
        bin_dir,
        "ml",
        "job",
        "create",
        "-f",
        "mlops_pipelines/aml/train-job.yml",
        "--query",
        "name",
        "-o",
        "tsv",
    )
    for _ in range(2):  # versions 1 and 2 of the same files
        az(home, bin_dir, "ml", "model", "create", "-n", "credit-model", "--type", "mlflow_model",
           "-p", f"azureml://jobs/{job}/outputs/model_output")  # fmt: skip

    from emulator.azureml.assets.environments import resolve_environment
    from emulator.azureml.assets.models import resolve_model
    from emulator.azureml.context import Context

    ctx = Context(home)
    environment = resolve_environment(ctx, "azureml:credit-env@latest", ROOT)
    contexts = []
    for version in ("1", "2"):
        model = resolve_model(ctx, f"credit-model:{version}")
        inputs = packaging.ContextInputs(
            base_image=str(environment.image),
            model_name=model.name,
            model_version=model.version,
            model_files=model.files,
            code_folder=ROOT / "code",
            scoring_script="score.py",
            conda=environment.conda,
            env_vars={},
        )
        contexts.append(packaging.write_context(work / "contexts", f"credit-{version}", inputs))
    lint = dockerlint.lint(contexts[0].path / "Dockerfile", ("DL3007",))
    commit = docker_images.source_commit(ROOT)

    had_standin = base_images._local(daemon.client, base_images.STANDIN_TAG) is not None
    started = time.perf_counter()
    base_images.ensure_standin(daemon.client)
    standin_seconds = time.perf_counter() - started

    def build(index: int, force: bool = False) -> docker_images.BuiltImage:
        context = contexts[index]
        tag = packaging.image_tag("bench-credit", context)
        return docker_images.ensure_image(
            daemon, context.path, digest=context.digest, tag=tag, commit=commit, lint=lint, force=force
        )

    cold = build(0, force=True)
    hit = build(0)
    layered = build(1)
    assert hit.cache_hit and hit.image_id == cold.image_id and not layered.cache_hit

    body = (ROOT / "code" / "sample-request.json").read_bytes()
    started = time.perf_counter()
    container = containers.run_container(
        daemon,
        cold.image_id,
        home=home,
        endpoint="bench",
        deployment="container",
        environment={},
        socket_folder=serving.socket_folder(f"{home}/bench/container"),
    )
    container_healthy = containers.wait_healthy(daemon, container)
    container_start = time.perf_counter() - started

    plan = envbuild.plan_environment(environment.conda)
    venv = envbuild.ensure_environment(ctx, plan)
    model = resolve_model(ctx, "credit-model:1")
    started = time.perf_counter()
    process = serving.start_server(
        python=venv.python,
        entry_script=ROOT / "code" / "score.py",
        model_dir=model.model_dir,
        cwd=ROOT / "code",
        log_path=work / "process.log",
        socket_path=serving.socket_folder(f"{home}/bench/process") / serving.SOCKET_NAME,
        environment={},
    )
    process_healthy = serving.wait_healthy(process)
    process_start = time.perf_counter() - started
    try:
        in_container = latencies(container.socket, body, options.requests)
        in_process = latencies(process.socket, body, options.requests)
    finally:
        containers.remove(daemon, container.container_id)
        serving.stop_server(process.pid, process.start_ticks)
        shutil.rmtree(work, ignore_errors=True)  # the images stay in the daemon

    mb = 1024 * 1024
    print()
    standin = "already present" if had_standin else f"built in {standin_seconds:.0f} s (debootstrap + import)"
    print(f"stand-in base image {base_images.STANDIN_TAG}: {standin}")
    print(f"cold build (no layer cache, pip install from PyPI) {cold.seconds:8.1f} s")
    print(f"warm build, same inputs (cache hit, same image id)  {hit.seconds:8.2f} s")
    print(f"warm build, new model version (pip layer cached)    {layered.seconds:8.1f} s")
    print(f"image size                                          {cold.size / mb:8.0f} MB")
    print(f"start to healthy: container {container_start:6.1f} s (probe {container_healthy:.1f} s)   "
          f"process {process_start:6.1f} s (probe {process_healthy:.1f} s)")  # fmt: skip
    print(f"scoring latency, {options.requests} sequential requests, loopback:")
    print(f"  container  {summary(in_container)}")
    print(f"  process    {summary(in_process)}")
    print(
        f"  ratio container/process (mean) {statistics.mean(in_container) / statistics.mean(in_process):.2f}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
