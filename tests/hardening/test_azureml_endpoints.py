"""Issue 15 on online endpoints, against the reference deployment (`mlops_pipelines/aml/`, the credit
model) created by `az` from an environment like a pipeline step's, with a secret mapped in:

- #3: the deployment's own port answered without a key, and endpoint.json (both keys) was 0644;
- #5: the scoring server and the front inherited the step's variables and its secrets;
- #12: JSON nested 100,000 deep gave the scoring URI a 500;
- and a load test: 200 concurrent scoring requests through the front, none failing.
"""

from __future__ import annotations

import http.client
import json
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
import pytest

from emulator.azureml.serving.endpoints import stop_all_endpoints
from emulator.testing.load import burst

from .azureml_support import REPO, Workspace, make_workspace

pytestmark = pytest.mark.integration  # trains, registers and serves a model through `az` subprocesses

SECRET = "hunter2-in-the-step-env"
STEP_ENV = {  # what a pipeline step's process has: its variables, and a secret it maps with env:
    "BUILD_BUILDID": "42",
    "SYSTEM_TEAMPROJECT": "local",
    "AGENT_NAME": "mlops-local",
    "SYSTEM_ACCESSTOKEN": SECRET,
    "DEPLOY_PASSWORD": SECRET,
}
REQUEST = (REPO / "code" / "sample-request.json").read_bytes()


class Endpoint:
    def __init__(self, ws: Workspace, endpoint: dict[str, Any], deployment: dict[str, Any], key: str):
        self.ws = ws
        self.endpoint = endpoint
        self.deployment = deployment
        self.key = key
        self.port = int(endpoint["emulator"]["front"]["port"])

    def post(self, body: bytes = REQUEST, key: str | None = "", timeout: float = 120) -> tuple[int, bytes]:
        headers = {"Content-Type": "application/json"}
        if key is not None:
            headers["Authorization"] = f"Bearer {key or self.key}"
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request("POST", "/score", body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Endpoint]:
    ws = make_workspace(tmp_path_factory.mktemp("endpoint"))
    env = ws.env(**STEP_ENV)
    aml = REPO / "mlops_pipelines" / "aml"
    try:
        ws.az("configure", "--defaults", "group=rg-test", "workspace=ws-test", env=env)
        ws.az("ml", "environment", "create", "-f", str(aml / "environment.yml"), env=env)
        job = ws.az("ml", "job", "create", "-f", str(aml / "train-job.yml"), env=env)
        path = f"azureml://jobs/{job['name']}/outputs/model_output"
        ws.az("ml", "model", "create", "-n", "credit-model", "--type", "mlflow_model", "-p", path, env=env)
        ws.az("ml", "online-endpoint", "create", "-f", str(aml / "endpoint.yml"), env=env)
        deployment = ws.az(
            "ml", "online-deployment", "create", "-f", str(aml / "deployment.yml"), "--all-traffic", env=env
        )
        endpoint = ws.az("ml", "online-endpoint", "show", "-n", "credit-endpoint", env=env)
        key = ws.az("ml", "online-endpoint", "get-credentials", "-n", "credit-endpoint", env=env)[
            "primaryKey"
        ]
        yield Endpoint(ws, endpoint, deployment, key)
    finally:
        stop_all_endpoints(ws.home)


def _tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def test_only_the_front_reaches_the_deployment(served: Endpoint) -> None:
    assert served.post()[0] == 200
    assert served.post(key=None)[0] == 401
    server = _tree(int(served.deployment["emulator"]["pid"]))
    listening = [c for p in server for c in p.net_connections(kind="inet") if c.status == psutil.CONN_LISTEN]
    assert listening == [], f"the scoring server listens on {[c.laddr for c in listening]}, bypassing the key"
    socket_path = Path(served.deployment["emulator"]["socket"])
    assert stat.S_ISSOCK(socket_path.stat().st_mode)
    closed = socket_path.parent.parent.stat()  # the folder of this user's sockets: no one else enters
    assert closed.st_uid == os.getuid() and stat.S_IMODE(closed.st_mode) == 0o700


def test_files_holding_the_keys_are_private(served: Endpoint) -> None:
    holding = [
        path
        for path in served.ws.home.rglob("*")
        if path.is_file() and not path.is_symlink() and served.key.encode() in path.read_bytes()
    ]
    assert holding, "the endpoint keys are stored somewhere"
    loose = {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in holding if p.stat().st_mode & 0o077}
    assert loose == {}


def _environments(served: Endpoint) -> dict[str, dict[str, str]]:
    front = int(served.endpoint["emulator"]["front"]["pid"])
    processes = {"front": psutil.Process(front)}
    for process in _tree(int(served.deployment["emulator"]["pid"])):
        processes[f"server {process.pid}"] = process
    return {name: process.environ() for name, process in processes.items()}


def test_servers_and_the_front_get_nothing_of_the_step(served: Endpoint) -> None:
    for name, environ in _environments(served).items():
        leaked = sorted(k for k, v in environ.items() if k in STEP_ENV or SECRET in v)
        assert leaked == [], f"{name} inherited {leaked} from the step"
        assert not [k for k in environ if k.startswith(("BUILD_", "SYSTEM_", "AGENT_", "MLOPS_"))], name
        if name.startswith("server"):
            assert environ["AZUREML_MODEL_DIR"] and environ["AZUREML_ENTRY_SCRIPT"].endswith("score.py")


def test_deeply_nested_json_is_refused_with_a_clear_400(served: Endpoint) -> None:
    status, body = served.post(b"[" * 100_000 + b"]" * 100_000)
    assert status == 400, body[:300]
    assert "nests JSON more than" in json.loads(body)["message"]
    _, answer = served.post(b'{"data": [[[[[[[[1]]]]]]]]}')  # ordinary nesting is the scorer's business
    assert b"nests JSON" not in answer and b"must be a list of objects" in answer
    assert served.post()[0] == 200


def test_200_concurrent_requests_through_the_front(served: Endpoint) -> None:
    figures = burst(lambda: served.post(timeout=300)[0], 200)
    print(f"\n{figures}")  # noqa: T201 - the figures of the load test (pytest -s shows them)
    assert figures.errors == 0
