"""Online endpoints: their deployments and traffic, and whether they answer a scoring request."""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from pytest_bdd import then

from emulator.testing.steps.session import MlopsSession, comma_list, run_az, step

__all__ = [
    "step_endpoint_answers",
    "step_endpoint_deployments",
    "step_endpoint_missing",
    "step_endpoint_traffic",
    "step_no_deployment",
]


def _endpoint(session: MlopsSession, name: str) -> dict[str, Any]:
    path = session.home / "azureml" / "endpoints" / name / "endpoint.json"
    assert path.is_file(), f"endpoint {name} was never created"
    return dict(json.loads(path.read_text()))


@then(step('endpoint "{name}" answers "{request}" with predictions'))
def step_endpoint_answers(mlops_session: MlopsSession, name: str, request: str) -> None:
    """POSTs the request file to the endpoint's scoring URI with its key: one prediction (good or bad) per
    row of its `data`."""
    record = _endpoint(mlops_session, name)
    shown = run_az(
        mlops_session,
        "ml",
        "online-endpoint",
        "show",
        "--name",
        name,
        "--query",
        "scoring_uri",
        "-o",
        "tsv",
        timeout=60,
    )
    assert shown.returncode == 0, shown.stderr
    uri = shown.stdout.strip()
    assert uri.startswith("http://127.0.0.1:"), uri
    keys = run_az(
        mlops_session,
        "ml",
        "online-endpoint",
        "get-credentials",
        "--name",
        name,
        "--query",
        "primaryKey",
        "-o",
        "tsv",
        timeout=60,
    )
    body = (mlops_session.cwd / request).read_bytes()
    req = urllib.request.Request(
        uri,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {keys.stdout.strip()}"},
    )
    with urllib.request.urlopen(req, timeout=60) as resp:  # noqa: S310 - loopback only
        answer = json.loads(resp.read())
    rows = len(json.loads(body)["data"])
    assert len(answer["predictions"]) == rows, answer
    assert set(answer["predictions"]) <= {"good", "bad"}, answer
    assert record["name"] == name


@then(step('endpoint "{name}" has no deployment'))
def step_no_deployment(mlops_session: MlopsSession, name: str) -> None:
    """Nothing is deployed on the endpoint."""
    folder = mlops_session.home / "azureml" / "endpoints" / name / "deployments"
    assert not folder.exists() or not any(folder.iterdir()), (
        f"{name} has deployments: {list(folder.iterdir())}"
    )


def _traffic(session: MlopsSession, endpoint: str) -> dict[str, int]:
    proc = run_az(
        session, "ml", "online-endpoint", "show", "--name", endpoint, "--query", "traffic", "-o", "json"
    )
    assert proc.returncode == 0, proc.stderr
    return {str(k): int(v) for k, v in (json.loads(proc.stdout or "{}") or {}).items()}


@then(step('endpoint "{name}" sends all traffic to "{deployment}"'))
def step_endpoint_traffic(mlops_session: MlopsSession, name: str, deployment: str) -> None:
    """The endpoint sends 100% of its traffic to the deployment and 0 to the others."""
    traffic = _traffic(mlops_session, name)
    assert traffic.get(deployment) == 100, f"traffic of {name}: {traffic}"
    assert all(v == 0 for k, v in traffic.items() if k != deployment), f"traffic of {name}: {traffic}"


@then(step('endpoint "{name}" has the deployments "{names}"'))
def step_endpoint_deployments(mlops_session: MlopsSession, name: str, names: str) -> None:
    """The deployments `az ml online-deployment list` shows (comma-separated; `""` for none)."""
    proc = run_az(
        mlops_session,
        "ml",
        "online-deployment",
        "list",
        "--endpoint-name",
        name,
        "--query",
        "[].name",
        "-o",
        "json",
    )
    assert proc.returncode == 0, proc.stderr
    assert sorted(json.loads(proc.stdout or "[]")) == sorted(comma_list(names)), proc.stdout


@then(step('endpoint "{name}" does not exist'))
def step_endpoint_missing(mlops_session: MlopsSession, name: str) -> None:
    """`az ml online-endpoint show` fails: the endpoint does not exist."""
    proc = run_az(mlops_session, "ml", "online-endpoint", "show", "--name", name, "-o", "none")
    assert proc.returncode != 0, f"endpoint {name} exists"
