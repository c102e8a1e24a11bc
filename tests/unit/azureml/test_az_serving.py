"""Online endpoints served for real: job → model → environment → endpoint (front) → deployments → invoke.

The first run on a machine builds the isolated scoring environment (about a minute); later runs reuse
it from the shared cache (`MLOPS_ENV_CACHE`). The tests run in order on one module-scoped scenario:
blue is deployed, then a blue/green rollout replaces it with green.
"""

from __future__ import annotations

import http.client
import http.server
import json
import os
import socketserver
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import FIXTURES, AzRunner, make_runner, serving_conda

from emulator.azureml.context import Context
from emulator.azureml.serving import server
from emulator.azureml.serving.endpoints import (
    deployment_dir,
    list_endpoints,
    load_endpoint,
    stop_all_endpoints,
    stop_front,
)
from emulator.processes import is_running


@pytest.fixture(scope="module")
def scenario(
    az_bin: Path, env_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[AzRunner, Path, dict[str, Any]]]:
    """One state folder for the module: a trained, registered model served by deployment `blue`."""
    home = tmp_path_factory.mktemp("serving") / "state"
    az = make_runner(az_bin, home, env_cache)
    try:
        az("configure", "--defaults", "group=rg-test", "workspace=ws-test")
        job = az("ml", "job", "create", "-f", "job/job.yml", "--query", "name", "-o", "tsv").stdout.strip()
        az(
            "ml",
            "model",
            "create",
            "-n",
            "fixture-model",
            "-p",
            f"azureml://jobs/{job}/outputs/model",
            "--type",
            "mlflow_model",
        )
        env_folder = tmp_path_factory.mktemp("serving-env")
        az("ml", "environment", "create", "-f", str(serving_conda(env_folder)))
        az("ml", "online-endpoint", "create", "-f", "serve/endpoint.yml")
        started = time.monotonic()
        blue = az("ml", "online-deployment", "create", "-f", "serve/deployment.yml", "--all-traffic").json()
        blue["_seconds"] = time.monotonic() - started
        yield az, home, blue
    finally:
        stop_all_endpoints(home)


Scenario = tuple[AzRunner, Path, dict[str, Any]]
REQUEST = (FIXTURES / "serve" / "request.json").read_bytes()


def front_port(az: AzRunner) -> int:
    return int(az("ml", "online-endpoint", "show", "-n", "fixture-ep").json()["emulator"]["front"]["port"])


def post(
    port: int, key: str | None, body: bytes = REQUEST, deployment: str | None = None, n: int = 1
) -> list[tuple[int, str | None, bytes]]:
    """`n` POSTs to the front on one keep-alive connection: (status, deployment header, body) each."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Content-Type": "application/json"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    if deployment:
        headers["azureml-model-deployment"] = deployment
    answers = []
    try:
        for _ in range(n):
            conn.request("POST", "/score", body=body, headers=headers)
            response = conn.getresponse()
            answers.append((response.status, response.getheader("azureml-model-deployment"), response.read()))
    finally:
        conn.close()
    return answers


def split(port: int, key: str, n: int) -> Counter[str]:
    answers = post(port, key, n=n)
    assert all(status == 200 for status, _, _ in answers)
    return Counter(str(dep) for _, dep, _ in answers)


def test_deployment_is_served_behind_the_front(scenario: Scenario) -> None:
    az, home, blue = scenario
    assert blue["provisioning_state"] == "Succeeded" and blue["emulator"]["running"] is True
    assert blue["model"].endswith("/models/fixture-model/versions/1")
    assert blue["emulator"]["mode"] == "process" and blue["emulator"]["env_path"].endswith(
        blue["emulator"]["env_key"]
    )
    assert len(blue["emulator"]["env_key"]) == 16
    assert Path(blue["emulator"]["model_dir"], "model", "MLmodel").is_file()  # AZUREML_MODEL_DIR/<folder>
    endpoint = az("ml", "online-endpoint", "show", "-n", "fixture-ep").json()
    assert endpoint["traffic"] == {"blue": 100} and endpoint["provisioning_state"] == "Succeeded"
    front = endpoint["emulator"]["front"]
    assert front["running"] is True and "port" not in blue["emulator"]  # blue listens on a unix socket
    assert Path(blue["emulator"]["socket"]).is_socket()
    assert endpoint["scoring_uri"] == f"http://127.0.0.1:{front['port']}/score"  # the front, not blue
    assert "keys" not in endpoint and endpoint["auth_mode"] == "key"
    keys = az("ml", "online-endpoint", "get-credentials", "-n", "fixture-ep").json()
    assert len(keys["primaryKey"]) == 32 and keys["primaryKey"] != keys["secondaryKey"]


def test_invoke_returns_predictions(scenario: Scenario) -> None:
    az, _, _ = scenario
    result = az("ml", "online-endpoint", "invoke", "-n", "fixture-ep", "--request-file", "serve/request.json")
    body = result.json()
    assert isinstance(body, str)  # az prints the response body as a JSON string
    assert json.loads(body) == {"predictions": [0, 1]}
    raw = az("ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", "serve/request.json", "-o", "tsv")
    assert json.loads(raw.stdout) == {"predictions": [0, 1]}


def test_front_enforces_key_auth(scenario: Scenario) -> None:
    az, _, _ = scenario
    port = front_port(az)
    keys = az("ml", "online-endpoint", "get-credentials", "-n", "fixture-ep").json()
    assert post(port, None)[0][0] == 401
    assert post(port, "not-the-key")[0][0] == 401
    for key in (keys["primaryKey"], keys["secondaryKey"]):
        status, deployment, body = post(port, key)[0]
        assert (status, deployment) == (200, "blue") and json.loads(body) == {"predictions": [0, 1]}
    unknown = post(port, keys["primaryKey"], deployment="nope")[0]
    assert unknown[0] == 404 and b"nope" in unknown[2]


def test_scoring_error_is_reported_with_status(scenario: Scenario, tmp_path: Path) -> None:
    az, _, _ = scenario
    (tmp_path / "bad.json").write_text('{"rows": []}')
    result = az(
        "ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", str(tmp_path / "bad.json"), check=False
    )
    assert result.code == 1 and result.stderr.startswith("ERROR: (500)")


def test_get_logs_shows_the_server_log(scenario: Scenario) -> None:
    az, _, _ = scenario
    logs = az("ml", "online-deployment", "get-logs", "-n", "blue", "-e", "fixture-ep", "-o", "tsv").stdout
    assert "gunicorn" in logs and "POST /score" in logs
    tail = az("ml", "online-deployment", "get-logs", "-n", "blue", "-e", "fixture-ep", "--lines", "2").json()
    assert len(tail.splitlines()) == 2


def test_blue_green_rollout(scenario: Scenario) -> None:
    """Green at 0%, smoke-tested directly, mirrored, then 10 → 50 → 100% and blue deleted."""
    az, home, blue = scenario
    green = az(
        "ml",
        "online-deployment",
        "create",
        "-f",
        "serve/deployment.yml",
        "--name",
        "green",
        "--set",
        "model=azureml:fixture-model:1",
    ).json()
    assert green["emulator"]["env_reused"] is True
    assert green["emulator"]["env_key"] == blue["emulator"]["env_key"]
    assert green["emulator"]["socket"] != blue["emulator"]["socket"]
    assert az("ml", "online-endpoint", "show", "-n", "fixture-ep", "--query", "traffic").json() == {
        "blue": 100
    }
    # smoke test green at 0% live traffic, through the front
    direct = az(
        "ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", "serve/request.json", "-d", "green"
    )
    assert json.loads(direct.json()) == {"predictions": [0, 1]}
    port = front_port(az)
    key = az("ml", "online-endpoint", "get-credentials", "-n", "fixture-ep").json()["primaryKey"]
    front_pid = load_endpoint(Context(home), "fixture-ep")["emulator"]["front"]["pid"]
    assert split(port, key, 40) == Counter({"blue": 40})

    # mirror 50% of the traffic to green: callers still get blue's answers
    def green_requests() -> int:
        log = az("ml", "online-deployment", "get-logs", "-n", "green", "-e", "fixture-ep", "-o", "tsv").stdout
        return log.count("POST /score")

    before = green_requests()
    mirrored = az(
        "ml", "online-endpoint", "update", "-n", "fixture-ep", "--mirror-traffic", "green=50"
    ).json()
    assert mirrored["mirror_traffic"] == {"green": 50} and mirrored["traffic"] == {"blue": 100}
    assert split(port, key, 60) == Counter({"blue": 60})
    time.sleep(1.0)  # mirrored copies are sent in the background
    copies = green_requests() - before
    assert 10 <= copies <= 50, copies
    both = az(
        "ml", "online-endpoint", "update", "-n", "fixture-ep", "--traffic", "blue=90 green=10", check=False
    )
    assert both.code == 1 and "either live or mirror traffic" in both.stderr
    too_much = az(
        "ml", "online-endpoint", "update", "-n", "fixture-ep", "--mirror-traffic", "green=60", check=False
    )
    assert too_much.code == 1 and "cannot exceed 50%" in too_much.stderr
    az("ml", "online-endpoint", "update", "-n", "fixture-ep", "--mirror-traffic", "green=0")

    # shift live traffic: the front reads the weights at request time (same process throughout)
    n = 300
    for green_share, (low, high) in ((10, (10, 60)), (50, (110, 190)), (100, (n, n))):
        updated = az(
            "ml",
            "online-endpoint",
            "update",
            "-n",
            "fixture-ep",
            "--traffic",
            f"blue={100 - green_share} green={green_share}",
        ).json()
        assert updated["traffic"] == {"blue": 100 - green_share, "green": green_share}
        counts = split(port, key, n)
        assert low <= counts["green"] <= high, (green_share, counts)
    assert load_endpoint(Context(home), "fixture-ep")["emulator"]["front"]["pid"] == front_pid
    bad = az(
        "ml", "online-endpoint", "update", "-n", "fixture-ep", "--traffic", "blue=90 green=20", check=False
    )
    assert bad.code == 1 and "add up to 100" in bad.stderr

    az("ml", "online-deployment", "delete", "-n", "blue", "-e", "fixture-ep", "--yes")
    assert not is_running(blue["emulator"]["pid"], blue["emulator"]["start_ticks"])
    assert az("ml", "online-endpoint", "show", "-n", "fixture-ep", "--query", "traffic").json() == {
        "green": 100
    }
    listed = az("ml", "online-deployment", "list", "-e", "fixture-ep", "--query", "[].name", "-o", "tsv")
    assert listed.stdout == "green\n"
    summary = list_endpoints(home)
    assert [(d["name"], d["running"], d["traffic"]) for d in summary[0]["deployments"]] == [
        ("green", True, 100)
    ]
    assert summary[0]["front"]["running"] is True


def test_replacing_a_deployment_stops_the_old_process(scenario: Scenario) -> None:
    az, _, _ = scenario
    old = az("ml", "online-deployment", "show", "-n", "green", "-e", "fixture-ep").json()["emulator"]
    new = az("ml", "online-deployment", "update", "-f", "serve/deployment.yml", "-n", "green").json()[
        "emulator"
    ]
    assert new["pid"] != old["pid"] and not is_running(old["pid"], old["start_ticks"])
    assert az("ml", "online-endpoint", "show", "-n", "fixture-ep", "--query", "traffic").json() == {
        "green": 100
    }
    answer = az("ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", "serve/request.json")
    assert json.loads(answer.json()) == {"predictions": [0, 1]}


def test_a_dead_front_is_restarted_on_its_port(scenario: Scenario) -> None:
    az, home, _ = scenario
    record = load_endpoint(Context(home), "fixture-ep")
    old = record["emulator"]["front"]
    assert stop_front(record)
    shown = az("ml", "online-endpoint", "show", "-n", "fixture-ep").json()["emulator"]["front"]
    assert shown["running"] is True and shown["pid"] != old["pid"] and shown["port"] == old["port"]
    answer = az("ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", "serve/request.json")
    assert json.loads(answer.json()) == {"predictions": [0, 1]}


def test_missing_model_is_a_clear_error(scenario: Scenario) -> None:
    az, _, _ = scenario
    result = az(
        "ml",
        "online-deployment",
        "create",
        "-f",
        "serve/deployment.yml",
        "-n",
        "red",
        "--set",
        "model=azureml:unregistered:1",
        check=False,
    )
    assert result.code == 1 and "model 'unregistered' was not found" in result.stderr
    assert "deployment.yml:4" in result.stderr  # located at the model field


def test_model_package_is_reproducible(scenario: Scenario) -> None:
    az, home, _ = scenario
    first = az("ml", "model", "package", "-n", "fixture-model", "-v", "1", "-f", "serve/package.yml").json()
    package = first["package"]
    assert first["name"] == "fixture-model-pkg" and first["version"] == "1"
    assert package["digest"].startswith("sha256:") and package["image_built"] in (True, False)
    assert package["image_build_reason"]
    context = Path(package["context"])
    dockerfile = (context / "Dockerfile").read_text()
    assert "FROM mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu20.04:latest" in dockerfile
    assert (context / "model" / "model" / "MLmodel").is_file() and (context / "code" / "score.py").is_file()
    assert (
        "azureml-inference-server-http==1.5.1" in (context / "environment" / "requirements.txt").read_text()
    )
    again = az("ml", "model", "package", "-n", "fixture-model", "-v", "1", "-f", "serve/package.yml").json()
    assert again["version"] == "2" and again["package"]["digest"] == package["digest"]


def test_stop_all_endpoints_leaves_no_process(scenario: Scenario) -> None:
    az, home, _ = scenario
    running = [d for e in list_endpoints(home) for d in e["deployments"] if d["running"]]
    assert running
    stopped = stop_all_endpoints(home)
    assert stopped == ["fixture-ep/green"]
    front = load_endpoint(Context(home), "fixture-ep")["emulator"]["front"]
    assert not is_running(front["pid"], front["start_ticks"])  # the front is stopped too
    for deployment in running:
        with pytest.raises(ProcessLookupError):
            os.killpg(deployment["pid"], 0)  # the whole process group (gunicorn master and workers) is gone
    assert not any(d["running"] for e in list_endpoints(home) for d in e["deployments"])
    stale = az("ml", "online-endpoint", "invoke", "-n", "fixture-ep", "-r", "serve/request.json", check=False)
    assert stale.code == 1 and "(503)" in stale.stderr and "not running" in stale.stderr
    assert az("ml", "online-endpoint", "delete", "-n", "fixture-ep", "--yes").stdout == ""
    assert az("ml", "online-endpoint", "list").json() == []
    assert FIXTURES.is_dir()


def test_a_server_left_at_the_socket_path_does_not_answer_for_a_new_deployment(
    scenario: Scenario, tmp_path: Path
) -> None:
    """A state folder deleted without `mlops down` leaves its servers listening; a new state folder at the
    same path puts its deployments' sockets at the same paths. The health check must hear the new
    server: a deployment whose scoring script fails must fail, not pass on the old server's answer."""
    az, home, _ = scenario
    ctx = Context(home)
    socket_path = (
        server.socket_folder(str(deployment_dir(ctx, "stale-ep", "stale").resolve())) / server.SOCKET_NAME
    )
    socket_path.unlink(missing_ok=True)

    class Healthy(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
            self.send_response(200)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    class UnixHTTPServer(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
        daemon_threads = True

        def get_request(self) -> tuple[Any, Any]:
            request, _ = super().get_request()
            return request, ("local", 0)

    az("ml", "online-endpoint", "create", "-f", "serve/endpoint.yml", "-n", "stale-ep")
    left = UnixHTTPServer(str(socket_path), Healthy)
    threading.Thread(target=left.serve_forever, daemon=True).start()
    try:
        code = tmp_path / "code"
        code.mkdir()
        (code / "score.py").write_text(
            "def init():\n    raise RuntimeError('broken model')\n\ndef run(raw):\n    return raw\n"
        )
        spec = (FIXTURES / "serve" / "deployment.yml").read_text().replace("name: blue", "name: stale")
        spec = spec.replace("endpoint_name: fixture-ep", "endpoint_name: stale-ep")
        spec = spec.replace("code: .", f"code: {code}")
        (tmp_path / "deployment.yml").write_text(spec)
        made = az("ml", "online-deployment", "create", "-f", str(tmp_path / "deployment.yml"), check=False)
        assert made.code != 0, made.stdout
        assert "broken model" in made.stderr or "exited before it answered" in made.stderr, made.stderr
    finally:
        left.shutdown()
        left.server_close()
        az("ml", "online-endpoint", "delete", "-n", "stale-ep", "--yes", check=False)
