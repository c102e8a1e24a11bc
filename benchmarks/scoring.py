"""Serving the credit model three ways on one machine, under the same load: what the front costs.

1. through an emulated online endpoint: the endpoint's front (key auth, traffic split) in front of
   the Azure ML inference server (gunicorn, 1 worker) running `code/score.py`;
2. the same inference server directly (the deployment's own port, no front);
3. `mlflow models serve --env-manager local -h 127.0.0.1` of the same registered model (uvicorn).

The model is trained and registered with the emulated `az` (`mlops_pipelines/aml/`), in a temporary
state folder; environments come from the shared cache (`$MLOPS_ENV_CACHE`, default `.mlops-cache/envs`).
The load: a fixed number of POSTs from a local client with a few concurrent keep-alive connections,
with single-row and 100-row payloads (rows of the German Credit data), after a warm-up. Printed:
requests/s, p50 and p99 latency, and the ratios to direct serving. Target: the front adds < 10%.

Usage: .venv/bin/python benchmarks/scoring.py [--requests N] [--connections C]
"""

from __future__ import annotations

import argparse
import csv
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
NUMERIC = {
    "duration",
    "credit_amount",
    "installment_commitment",
    "residence_since",
    "age",
    "existing_credits",
    "num_dependents",
}


def az(home: Path, *args: str) -> Any:
    env = {
        **os.environ,
        "MLOPS_HOME": str(home),
        "MLFLOW_DISABLE_TELEMETRY": "true",
        "MLOPS_JOB_ENV_MANAGER": os.environ.get("MLOPS_JOB_ENV_MANAGER", "local"),
    }
    env.setdefault("MLOPS_ENV_CACHE", str(ROOT / ".mlops-cache" / "envs"))
    env.pop("MLFLOW_TRACKING_URI", None)
    done = subprocess.run(
        [sys.executable, "-m", "emulator.azureml", *args, "--only-show-errors"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        raise SystemExit(f"az {' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout) if done.stdout.strip().startswith(("{", "[", '"')) else done.stdout.strip()


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (from /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rows(n: int) -> list[dict[str, Any]]:
    with open(ROOT / "dataset" / "german_credit.csv", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    chosen = []
    for record in (records * (n // len(records) + 1))[:n]:
        record = {k: v for k, v in record.items() if k != "class"}
        chosen.append({k: (int(v) if k in NUMERIC else v) for k, v in record.items()})
    return chosen


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_http(url: str, timeout: float = 120) -> None:
    parsed = urlparse(url)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=2)
            conn.request("GET", parsed.path or "/")
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{url} did not come up")


def load(url: str, body: bytes, headers: dict[str, str], total: int, connections: int) -> dict[str, float]:
    """`total` POSTs over `connections` keep-alive connections; requests/s and latency percentiles."""
    parsed = urlparse(url)
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    per_connection = [
        total // connections + (1 if i < total % connections else 0) for i in range(connections)
    ]

    def worker(count: int) -> None:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        conn.connect()
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        mine = []
        for _ in range(count):
            started = time.perf_counter()
            conn.request("POST", parsed.path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                errors.append(str(response.status))
        conn.close()
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=worker, args=(count,)) for count in per_connection]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{url}: {len(errors)} failed requests (first: HTTP {errors[0]})")
    latencies.sort()
    return {
        "rps": total / wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per way and payload")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive connections")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measure each way this many times, keep the best"
    )
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="mlops-bench-scoring-"))
    mlflow_server: subprocess.Popen[bytes] | None = None
    try:
        print(f"state folder {home}; training and registering the credit model…", flush=True)
        az(home, "configure", "--defaults", "group=bench", "workspace=bench")
        az(home, "ml", "environment", "create", "-f", "mlops_pipelines/aml/environment.yml")
        job = az(
            home,
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
        model = az(
            home,
            "ml",
            "model",
            "create",
            "-n",
            "credit-model",
            "--type",
            "mlflow_model",
            "-p",
            f"azureml://jobs/{job}/outputs/model_output",
        )
        print("deploying the endpoint (environment from the cache)…", flush=True)
        az(
            home,
            "ml",
            "online-endpoint",
            "create",
            "-f",
            "mlops_pipelines/aml/endpoint.yml",
            "-n",
            "bench-ep",
        )
        deployment = az(
            home,
            "ml",
            "online-deployment",
            "create",
            "-f",
            "mlops_pipelines/aml/deployment.yml",
            "--set",
            "endpoint_name=bench-ep",
            "--set",
            f"model=azureml:credit-model:{model['version']}",
            "--all-traffic",
        )
        endpoint = az(home, "ml", "online-endpoint", "show", "-n", "bench-ep")
        key = az(home, "ml", "online-endpoint", "get-credentials", "-n", "bench-ep")["primaryKey"]

        port = free_port()
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        mlflow_server = subprocess.Popen(
            [
                str(BIN / "mlflow"),
                "models",
                "serve",
                "-m",
                model["path"],
                "--env-manager",
                "local",
                "-h",
                "127.0.0.1",
                "-p",
                str(port),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        wait_http(f"http://127.0.0.1:{port}/ping")

        json_headers = {"Content-Type": "application/json"}
        ways = {
            "endpoint (front + server)": (
                endpoint["scoring_uri"],
                {**json_headers, "Authorization": f"Bearer {key}"},
            ),
            "inference server directly": (deployment["emulator"]["scoring_uri"], json_headers),
            "mlflow models serve": (f"http://127.0.0.1:{port}/invocations", json_headers),
        }
        results: dict[tuple[str, int], dict[str, float]] = {}
        bodies: dict[int, dict[str, bytes]] = {}
        for size in (1, 100):
            data = rows(size)
            bodies[size] = {
                "score": json.dumps({"data": data}).encode(),
                "mlflow": json.dumps({"dataframe_records": data}).encode(),
            }
            for name, (url, headers) in ways.items():  # warm-up
                load(
                    url,
                    bodies[size]["mlflow" if "mlflow" in name else "score"],
                    headers,
                    50,
                    args.connections,
                )
        front_pid = int(endpoint["emulator"]["front"]["pid"])
        front_cpu: dict[int, float] = {}
        front_requests: dict[int, int] = {}
        # rounds interleave the ways, so that a burst of load from elsewhere hits them all alike
        for _ in range(args.rounds):
            for size in (1, 100):
                count = args.requests if size == 1 else max(args.requests // 4, 50)
                for name, (url, headers) in ways.items():
                    body = bodies[size]["mlflow" if "mlflow" in name else "score"]
                    before = cpu_seconds(front_pid)
                    measured = load(url, body, headers, count, args.connections)
                    if name.startswith("endpoint"):
                        front_cpu[size] = front_cpu.get(size, 0.0) + cpu_seconds(front_pid) - before
                        front_requests[size] = front_requests.get(size, 0) + count
                    best = results.get((name, size))
                    if best is None or measured["rps"] > best["rps"]:
                        results[(name, size)] = measured

        print(
            f"\n{args.requests} single-row / {max(args.requests // 4, 50)} 100-row requests per way, "
            f"{args.connections} connections, best of {args.rounds} rounds, {os.cpu_count()} cores\n"
        )
        print(f"{'way':<28} {'rows':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s vs direct':>16}")
        for size in (1, 100):
            direct = results[("inference server directly", size)]
            for name in ways:
                r = results[(name, size)]
                print(
                    f"{name:<28} {size:>4} {r['rps']:>8.1f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
                    f"{r['rps'] / direct['rps']:>16.3f}"
                )
        for size in (1, 100):
            front, direct = (
                results[("endpoint (front + server)", size)],
                results[("inference server directly", size)],
            )
            overhead = (direct["rps"] / front["rps"] - 1) * 100
            print(
                f"\nfront overhead, {size}-row payloads: {overhead:+.1f}% time per request "
                f"(p50 {front['p50'] - direct['p50']:+.2f} ms); target < 10%: "
                f"{'met' if overhead < 10 else 'NOT met'}"
            )
        for size in (1, 100):
            per_request = front_cpu[size] / front_requests[size] * 1000
            direct = results[("inference server directly", size)]
            print(
                f"front CPU, {size}-row payloads: {per_request:.2f} ms per request "
                f"({per_request / (1000 / direct['rps']) * 100:.1f}% of the direct time per request)"
            )
        return 0
    finally:
        if mlflow_server is not None:
            try:
                os.killpg(mlflow_server.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            mlflow_server.wait(timeout=30)
        from emulator.azureml.serving.endpoints import stop_all_endpoints

        stop_all_endpoints(home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
