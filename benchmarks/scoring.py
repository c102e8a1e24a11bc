"""Serving the credit model several ways on one machine, under the same load: what the front costs, and
the aiohttp front against the hand-written HTTP/1.1 front it replaced.

1. the emulated online endpoint: the front (aiohttp; key auth, traffic split) in front of the Azure ML
   inference server (gunicorn, 1 worker) running `code/score.py` on the deployment's unix socket;
2. that inference server directly, on its unix socket (what only the front may do);
3. the same server app on a TCP port, directly;
4. the aiohttp front in front of that TCP server;
5. the raw-socket front of commit 125b6b0 (`git show`) in front of that TCP server, the same load;
6. `mlflow models serve --env-manager local -h 127.0.0.1` of the same registered model (uvicorn).

The model is trained and registered with the emulated `az` (`mlops_pipelines/aml/`), in a temporary
state folder; environments come from the shared cache (`$MLOPS_ENV_CACHE`, default `.mlops-cache/envs`).
The load: a fixed number of POSTs from a local client over a few concurrent keep-alive connections,
with single-row and 100-row payloads (rows of the German Credit data), after a warm-up; rounds
interleave the ways and the best round counts. Then a burst of 200 concurrent one-request clients
through each front. Printed: requests/s, p50 and p99 latency, the ratios to direct serving, each
front's CPU per request, and the burst's percentiles and errors. Target: the front adds < 10%.

Usage: .venv/bin/python benchmarks/scoring.py [--requests N] [--connections C] [--rounds R] [--burst B]
"""

from __future__ import annotations

import argparse
import csv
import functools
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
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import psutil

from emulator.azureml.compute.loopback import free_port
from emulator.testing.load import burst, run_together

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
OLD_FRONT = "125b6b0"  # the last commit with the hand-written HTTP/1.1 front
NUMERIC = {
    "duration",
    "credit_amount",
    "installment_commitment",
    "residence_since",
    "age",
    "existing_credits",
    "num_dependents",
}
Connect = Callable[[], http.client.HTTPConnection]


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
    """User + system CPU time of a process so far."""
    times = psutil.Process(pid).cpu_times()
    return float(times.user + times.system)


def rows(n: int) -> list[dict[str, Any]]:
    with open(ROOT / "dataset" / "german_credit.csv", encoding="utf-8") as handle:
        records = list(csv.DictReader(handle))
    chosen = []
    for record in (records * (n // len(records) + 1))[:n]:
        record = {k: v for k, v in record.items() if k != "class"}
        chosen.append({k: (int(v) if k in NUMERIC else v) for k, v in record.items()})
    return chosen


def tcp(url: str) -> Connect:
    parsed = urlparse(url)

    def connect() -> http.client.HTTPConnection:
        conn = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)
        conn.connect()
        assert conn.sock is not None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    return connect


def unix(path: str) -> Connect:
    from emulator.azureml.compute.loopback import UnixConnection

    def connect() -> http.client.HTTPConnection:
        conn = UnixConnection(Path(path), 120)
        conn.connect()
        return conn

    return connect


def wait_http(connect: Connect, path: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = connect()
            conn.request("GET", path)
            conn.getresponse().read()
            conn.close()
            return
        except OSError:
            time.sleep(0.3)
    raise SystemExit(f"{path} did not come up")


def load(
    connect: Connect, path: str, body: bytes, headers: dict[str, str], total: int, connections: int
) -> dict[str, float]:
    """`total` POSTs over `connections` keep-alive connections; requests/s and latency percentiles."""
    latencies: list[float] = []
    lock = threading.Lock()
    errors: list[str] = []
    per_connection = [
        total // connections + (1 if i < total % connections else 0) for i in range(connections)
    ]

    def worker(count: int) -> None:
        conn = connect()
        mine = []
        for _ in range(count):
            started = time.perf_counter()
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status != 200:
                errors.append(str(response.status))
        conn.close()
        with lock:
            latencies.extend(mine)

    wall = run_together([functools.partial(worker, count) for count in per_connection])
    if errors:
        raise SystemExit(f"{path}: {len(errors)} failed requests (first: HTTP {errors[0]})")
    latencies.sort()
    return {
        "rps": total / wall,
        "p50": statistics.median(latencies) * 1000,
        "p99": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] * 1000,
    }


def one_request(connect: Connect, body: bytes, headers: dict[str, str]) -> Callable[[], int]:
    """A fresh client's POST /score (for a burst of concurrent clients): its status."""

    def send() -> int:
        conn = connect()
        try:
            conn.request("POST", "/score", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    return send


def tcp_server(home: Path, deployment: dict[str, Any], port: int) -> subprocess.Popen[bytes]:
    """The deployment's server app again, on a TCP port (what deployments did before unix sockets)."""
    local = deployment["emulator"]
    env = {
        "PATH": f"{Path(local['env_path']) / 'bin'}{os.pathsep}/usr/bin:/bin",
        "HOME": os.environ.get("HOME", "/tmp"),
        "AZUREML_ENTRY_SCRIPT": local["entry_script"],
        "AZUREML_MODEL_DIR": local["model_dir"],
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    code = str(Path(local["entry_script"]).parent)
    command = [f"{local['env_path']}/bin/python", "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1"]
    command += ["--chdir", code, "azureml_inference_server_http.server.entry:app"]
    log = open(home / "tcp-server.log", "ab")  # noqa: SIM115 - the server outlives this function
    return subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)


def tcp_endpoint(home: Path, name: str, port: int, key: str) -> None:
    """An endpoint record whose one deployment is the TCP server (for the fronts compared on it)."""
    from emulator.azureml.assets.records import write_json
    from emulator.azureml.context import Context
    from emulator.azureml.serving import endpoints

    ctx = Context(home)
    write_json(
        endpoints.deployment_file(ctx, name, "tcp"),
        {"name": "tcp", "emulator": {"scoring_uri": f"http://127.0.0.1:{port}/score"}},
    )
    record = {
        "name": name,
        "auth_mode": "key",
        "keys": {"primaryKey": key, "secondaryKey": key[::-1]},
        "traffic": {"tcp": 100},
        "mirror_traffic": {},
        "emulator": {"front": None},
    }
    endpoints.save_endpoint(ctx, name, record)


def old_front(home: Path, name: str) -> tuple[subprocess.Popen[bytes], int] | None:
    """The raw-socket front of commit OLD_FRONT, serving endpoint `name`; None without git history."""
    try:
        source = subprocess.run(
            ["git", "show", f"{OLD_FRONT}:emulator/azureml/serving/front.py"],
            cwd=ROOT,
            capture_output=True,
            check=True,
        ).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    script = home / "raw_socket_front.py"
    script.write_bytes(source)
    ready = home / "raw-front.ready"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    command = [sys.executable, str(script), name, "--home", str(home), "--ready", str(ready)]
    process = subprocess.Popen(command, env=env, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 30
    while not ready.exists():
        if time.monotonic() > deadline or process.poll() is not None:
            raise SystemExit("the raw-socket front did not start")
        time.sleep(0.05)
    return process, int(json.loads(ready.read_text())["port"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=1000, help="requests per way and payload")
    parser.add_argument("--connections", type=int, default=4, help="concurrent keep-alive connections")
    parser.add_argument(
        "--rounds", type=int, default=3, help="measure each way this many times, keep the best"
    )
    parser.add_argument("--burst", type=int, default=200, help="concurrent one-request clients per front")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="mlops-bench-scoring-"))
    helpers: list[subprocess.Popen[bytes]] = []
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
        path = f"azureml://jobs/{job}/outputs/model_output"
        model = az(home, "ml", "model", "create", "-n", "credit-model", "--type", "mlflow_model", "-p", path)
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

        tcp_port = free_port()
        helpers.append(tcp_server(home, deployment, tcp_port))
        wait_http(tcp(f"http://127.0.0.1:{tcp_port}/"), "/")
        tcp_endpoint(home, "bench-tcp", tcp_port, key)
        from emulator.azureml.context import Context
        from emulator.azureml.serving.endpoints import ensure_front

        new_tcp_front = ensure_front(Context(home), "bench-tcp")["emulator"]["front"]
        tcp_endpoint(home, "bench-raw", tcp_port, key)
        raw = old_front(home, "bench-raw")
        mlflow_port = free_port()
        env = {
            **os.environ,
            "PATH": f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}",
            "MLFLOW_DISABLE_TELEMETRY": "true",
        }
        serve = [str(BIN / "mlflow"), "models", "serve", "-m", model["path"], "--env-manager", "local"]
        serve += ["-h", "127.0.0.1", "-p", str(mlflow_port)]
        helpers.append(
            subprocess.Popen(
                serve, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
            )
        )
        wait_http(tcp(f"http://127.0.0.1:{mlflow_port}/ping"), "/ping")

        json_headers = {"Content-Type": "application/json"}
        auth = {**json_headers, "Authorization": f"Bearer {key}"}
        front_port = endpoint["emulator"]["front"]["port"]
        # name: (connect, path, headers, front pid or None)
        ways: dict[str, tuple[Connect, str, dict[str, str], int | None]] = {
            "endpoint: aiohttp front→unix": (
                tcp(f"http://127.0.0.1:{front_port}"),
                "/score",
                auth,
                endpoint["emulator"]["front"]["pid"],
            ),
            "server on its unix socket": (
                unix(deployment["emulator"]["socket"]),
                "/score",
                json_headers,
                None,
            ),
            "server on TCP": (tcp(f"http://127.0.0.1:{tcp_port}"), "/score", json_headers, None),
            "aiohttp front→TCP": (
                tcp(f"http://127.0.0.1:{new_tcp_front['port']}"),
                "/score",
                auth,
                new_tcp_front["pid"],
            ),
        }
        if raw is not None:
            helpers.append(raw[0])
            ways["raw-socket front→TCP"] = (tcp(f"http://127.0.0.1:{raw[1]}"), "/score", auth, raw[0].pid)
        ways["mlflow models serve"] = (
            tcp(f"http://127.0.0.1:{mlflow_port}"),
            "/invocations",
            json_headers,
            None,
        )

        results: dict[tuple[str, int], dict[str, float]] = {}
        bodies: dict[int, dict[str, bytes]] = {}
        for size in (1, 100):
            data = rows(size)
            bodies[size] = {
                "score": json.dumps({"data": data}).encode(),
                "mlflow": json.dumps({"dataframe_records": data}).encode(),
            }
            for name, (connect, path, headers, _) in ways.items():  # warm-up
                load(
                    connect,
                    path,
                    bodies[size]["mlflow" if "mlflow" in name else "score"],
                    headers,
                    50,
                    args.connections,
                )
        front_cpu: dict[tuple[str, int], float] = {}
        front_requests: dict[tuple[str, int], int] = {}
        # rounds interleave the ways, so that a burst of load from elsewhere hits them all alike
        for _ in range(args.rounds):
            for size in (1, 100):
                count = args.requests if size == 1 else max(args.requests // 4, 50)
                for name, (connect, path, headers, pid) in ways.items():
                    body = bodies[size]["mlflow" if "mlflow" in name else "score"]
                    before = cpu_seconds(pid) if pid else 0.0
                    measured = load(connect, path, body, headers, count, args.connections)
                    if pid:
                        front_cpu[(name, size)] = front_cpu.get((name, size), 0.0) + cpu_seconds(pid) - before
                        front_requests[(name, size)] = front_requests.get((name, size), 0) + count
                    best = results.get((name, size))
                    if best is None or measured["rps"] > best["rps"]:
                        results[(name, size)] = measured
        bursts = {
            name: burst(one_request(connect, bodies[1]["score"], headers), args.burst)
            for name, (connect, _, headers, pid) in ways.items()
            if pid
        }

        print(
            f"\n{args.requests} single-row / {max(args.requests // 4, 50)} 100-row requests per way, "
            f"{args.connections} connections, best of {args.rounds} rounds, {os.cpu_count()} cores, "
            f"load average {os.getloadavg()[0]:.1f}\n"
        )
        print(f"{'way':<30} {'rows':>4} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'req/s vs direct':>16}")
        for size in (1, 100):
            for name in ways:
                direct = results[("server on TCP" if "TCP" in name else "server on its unix socket", size)]
                r = results[(name, size)]
                print(
                    f"{name:<30} {size:>4} {r['rps']:>8.1f} {r['p50']:>8.2f} {r['p99']:>8.2f} "
                    f"{r['rps'] / direct['rps']:>16.3f}"
                )
        print()
        for (name, size), seconds in sorted(front_cpu.items()):
            per_request = seconds / front_requests[(name, size)] * 1000
            print(f"{name:<30} {size:>4} rows: front CPU {per_request:.3f} ms per request")
        print(f"\nburst of {args.burst} concurrent one-request clients, single-row payload:")
        for name, figures in bursts.items():
            print(f"{name:<30} {figures}")
        for size in (1, 100):
            front = results[("endpoint: aiohttp front→unix", size)]
            direct = results[("server on its unix socket", size)]
            overhead = (direct["rps"] / front["rps"] - 1) * 100
            print(
                f"\nfront overhead, {size}-row payloads: {overhead:+.1f}% time per request "
                f"(p50 {front['p50'] - direct['p50']:+.2f} ms); "
                f"target < 10%: {'met' if overhead < 10 else 'NOT met'}"
            )
        return 0
    finally:
        for process in helpers:
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            process.wait(timeout=30)
        from emulator.azureml.serving.endpoints import stop_all_endpoints

        stop_all_endpoints(home)
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
