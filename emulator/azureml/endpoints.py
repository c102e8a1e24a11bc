"""Online endpoints: records, keys, traffic, invocation, and the API behind `mlops endpoints list|down`.

An endpoint is a record in `azureml_dir()/endpoints/<name>/endpoint.json`; its deployments (see
`deployments.py`) are scoring processes on 127.0.0.1. Until a local front process exists, `scoring_uri`
is the URL of the deployment taking the most traffic and `invoke` routes by the traffic weights itself.
The record keeps an `emulator.front` slot for that front process (key auth + traffic splitting): when
it is set, `scoring_uri` becomes the front's URL and nothing else in the record changes shape.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path
from typing import Any

from emulator.azureml import serving
from emulator.azureml.errors import AzArgumentError, AzError, AzNotFoundError
from emulator.azureml.names import check_endpoint_name, generate_key
from emulator.azureml.storage import locked, read_json, utc_now, write_json
from emulator.azureml.workspace import Workspace, creation_context
from emulator.azureml.yamlspec import Spec
from emulator.store.paths import azureml_dir

AUTH_MODES = ("key", "aml_token", "aad_token")


def endpoints_dir(home: Path | None = None) -> Path:
    return azureml_dir(home) / "endpoints"


def endpoint_dir(name: str, home: Path | None = None) -> Path:
    return endpoints_dir(home) / name


def endpoint_file(name: str, home: Path | None = None) -> Path:
    return endpoint_dir(name, home) / "endpoint.json"


def deployment_dir(endpoint: str, name: str, home: Path | None = None) -> Path:
    return endpoint_dir(endpoint, home) / "deployments" / name


def deployment_file(endpoint: str, name: str, home: Path | None = None) -> Path:
    return deployment_dir(endpoint, name, home) / "deployment.json"


def load_endpoint(name: str, home: Path | None = None) -> dict[str, Any]:
    record = read_json(endpoint_file(name, home))
    if record is None:
        raise AzNotFoundError(
            f"online endpoint {name!r} was not found in the emulated workspace",
            hint="create it with `az ml online-endpoint create --file <endpoint.yml>`",
        )
    return dict(record)


def load_deployment(endpoint: str, name: str, home: Path | None = None) -> dict[str, Any]:
    load_endpoint(endpoint, home)
    record = read_json(deployment_file(endpoint, name, home))
    if record is None:
        raise AzNotFoundError(
            f"deployment {name!r} was not found under online endpoint {endpoint!r}",
            hint=f"list them with `az ml online-deployment list -e {endpoint}`",
        )
    return dict(record)


def deployment_records(endpoint: str, home: Path | None = None) -> list[dict[str, Any]]:
    root = endpoint_dir(endpoint, home) / "deployments"
    records = []
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            record = read_json(entry / "deployment.json")
            if record is not None:
                records.append(record)
    return records


def deployment_running(record: dict[str, Any]) -> bool:
    local = record.get("emulator") or {}
    pid, ticks = local.get("pid"), local.get("start_ticks")
    return isinstance(pid, int) and isinstance(ticks, int) and serving.is_running(pid, ticks)


def deployment_view(record: dict[str, Any]) -> dict[str, Any]:
    """A deployment as az prints it, with the live state of its process under `emulator`."""
    view = dict(record)
    local = dict(view.get("emulator") or {})
    local["running"] = deployment_running(record)
    view["emulator"] = local
    return view


def _scoring_uri(record: dict[str, Any], home: Path | None) -> str | None:
    front = (record.get("emulator") or {}).get("front")
    if isinstance(front, dict) and front.get("port"):
        return f"http://127.0.0.1:{front['port']}/score"
    traffic = {k: int(v) for k, v in (record.get("traffic") or {}).items() if int(v) > 0}
    if not traffic:
        return None
    chosen = sorted(traffic.items(), key=lambda kv: (-kv[1], kv[0]))[0][0]
    dep = read_json(deployment_file(str(record["name"]), chosen, home))
    port = ((dep or {}).get("emulator") or {}).get("port")
    return f"http://127.0.0.1:{port}/score" if port else None


def endpoint_view(record: dict[str, Any], home: Path | None = None) -> dict[str, Any]:
    """An endpoint as az prints it: no keys, and the scoring URI of where traffic goes now."""
    view = {k: v for k, v in record.items() if k != "keys"}
    uri = _scoring_uri(record, home)
    view["scoring_uri"] = uri
    view["openapi_uri"] = uri.replace("/score", "/swagger.json") if uri else None
    return view


def create_endpoint(
    ws: Workspace, spec: Spec, *, name: str | None = None, home: Path | None = None
) -> dict[str, Any]:
    """Create the endpoint, or update it in place (keys, deployments and traffic are kept)."""
    endpoint_name = check_endpoint_name(str(name or spec.data.get("name") or ""), "endpoint")
    auth_mode = str(spec.data.get("auth_mode", "key")).lower()
    path = endpoint_file(endpoint_name, home)
    with locked(path):
        previous = read_json(path) or {}
        created = (previous.get("creation_context") or {}).get("created_at") or utc_now()
        traffic = previous.get("traffic") or {}
        if spec.data.get("traffic") is not None:
            traffic = _checked_traffic(
                endpoint_name, {str(k): v for k, v in spec.data["traffic"].items()}, home
            )
        record: dict[str, Any] = {
            "auth_mode": auth_mode,
            "creation_context": creation_context(created, utc_now()),
            "description": spec.data.get("description"),
            "id": ws.resource_id("onlineEndpoints", endpoint_name),
            "identity": {"type": "system_assigned"},
            "keys": previous.get("keys") or {"primaryKey": generate_key(), "secondaryKey": generate_key()},
            "kind": "Managed",
            "location": ws.location,
            "mirror_traffic": spec.data.get("mirror_traffic") or previous.get("mirror_traffic") or {},
            "name": endpoint_name,
            "properties": {"emulator.source_file": str(spec.path)},
            "provisioning_state": "Succeeded",
            "public_network_access": spec.data.get("public_network_access", "enabled"),
            "resourceGroup": ws.resource_group,
            "tags": {str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
            "traffic": traffic,
            "emulator": {"front": (previous.get("emulator") or {}).get("front")},
        }
        write_json(path, record)
    return endpoint_view(record, home)


def show_endpoint(name: str, home: Path | None = None) -> dict[str, Any]:
    return endpoint_view(load_endpoint(name, home), home)


def list_endpoint_views(home: Path | None = None) -> list[dict[str, Any]]:
    """Every endpoint as `az ml online-endpoint list` prints it."""
    root = endpoints_dir(home)
    views = []
    if root.is_dir():
        for entry in sorted(root.iterdir()):
            record = read_json(entry / "endpoint.json")
            if record is not None:
                views.append(endpoint_view(record, home))
    return views


def parse_traffic(text: str) -> dict[str, int]:
    """`"blue=90 green=10"` → {"blue": 90, "green": 10} (az's --traffic syntax)."""
    traffic: dict[str, int] = {}
    for item in text.replace(",", " ").split():
        name, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise AzArgumentError(
                f"argument --traffic: invalid entry {item!r}", expected="space-separated NAME=PERCENT pairs"
            )
        traffic[name.strip()] = int(value)
    return traffic


def _checked_traffic(endpoint: str, traffic: dict[str, Any], home: Path | None) -> dict[str, int]:
    values: dict[str, int] = {}
    for name, value in traffic.items():
        try:
            values[name] = int(value)
        except (TypeError, ValueError):
            raise AzArgumentError(
                f"traffic for {name!r} must be an integer percentage, got {value!r}"
            ) from None
    existing = {r["name"] for r in deployment_records(endpoint, home)}
    unknown = sorted(n for n, v in values.items() if n not in existing and v > 0)
    if unknown:
        raise AzError(
            f"cannot route traffic to {', '.join(unknown)}: no such deployment under endpoint {endpoint!r}",
            hint=f"deployments: {', '.join(sorted(existing)) or '(none)'}",
        )
    if any(v < 0 or v > 100 for v in values.values()):
        raise AzError("traffic values must be between 0 and 100")
    total = sum(values.values())
    if total not in (0, 100):
        raise AzError(f"traffic must add up to 100 (or 0); it adds up to {total}")
    return {n: v for n, v in values.items() if n in existing}


def update_endpoint(
    ws: Workspace, name: str, *, traffic: dict[str, int] | None = None, home: Path | None = None
) -> dict[str, Any]:
    path = endpoint_file(name, home)
    with locked(path):
        record = load_endpoint(name, home)
        if traffic is not None:
            current = {k: int(v) for k, v in (record.get("traffic") or {}).items()}
            current.update(traffic)
            record["traffic"] = _checked_traffic(name, current, home)
        record["creation_context"] = creation_context(
            (record.get("creation_context") or {}).get("created_at") or utc_now(), utc_now()
        )
        write_json(path, record)
    return endpoint_view(record, home)


def set_traffic(name: str, traffic: dict[str, int], home: Path | None = None) -> None:
    """Replace the traffic map (used by `online-deployment create --all-traffic`)."""
    path = endpoint_file(name, home)
    with locked(path):
        record = load_endpoint(name, home)
        record["traffic"] = _checked_traffic(name, traffic, home)
        write_json(path, record)


def get_credentials(name: str, home: Path | None = None) -> dict[str, Any]:
    record = load_endpoint(name, home)
    if record.get("auth_mode") != "key":
        return {"accessToken": record["keys"]["primaryKey"], "tokenType": "Bearer", "expiryTimeUtc": 0}
    return dict(record["keys"])


def stop_deployment_process(record: dict[str, Any]) -> bool:
    local = record.get("emulator") or {}
    pid, ticks = local.get("pid"), local.get("start_ticks")
    if isinstance(pid, int) and isinstance(ticks, int):
        return serving.stop_server(pid, ticks)
    return False


def delete_endpoint(name: str, home: Path | None = None) -> None:
    """Stop every deployment of the endpoint and remove it."""
    path = endpoint_file(name, home)
    with locked(path):
        load_endpoint(name, home)
        for record in deployment_records(name, home):
            stop_deployment_process(record)
        shutil.rmtree(endpoint_dir(name, home), ignore_errors=True)
    path.with_name(path.name + ".lock").unlink(missing_ok=True)


def choose_deployment(record: dict[str, Any], deployment: str | None, home: Path | None) -> str:
    name = str(record["name"])
    if deployment:
        load_deployment(name, deployment, home)
        return deployment
    weights = {k: int(v) for k, v in (record.get("traffic") or {}).items() if int(v) > 0}
    if not weights:
        raise AzError(
            f"No valid deployments to route to for endpoint {name!r}: no deployment has traffic",
            hint=f'pass --deployment-name, or `az ml online-endpoint update -n {name} --traffic "<dep>=100"`',
        )
    names = sorted(weights)
    if len(names) == 1:
        return str(names[0])
    return str(random.choices(names, weights=[weights[n] for n in names], k=1)[0])


def invoke(
    name: str, request_file: Path, *, deployment: str | None = None, home: Path | None = None
) -> tuple[str, str]:
    """POST the request file to the chosen deployment; returns (deployment, response body)."""
    record = load_endpoint(name, home)
    chosen = choose_deployment(record, deployment, home)
    dep = load_deployment(name, chosen, home)
    if not deployment_running(dep):
        raise AzError(
            f"deployment {chosen!r} of endpoint {name!r} is not running (its server process has stopped)",
            hint=f"start it again with `az ml online-deployment update -e {name} --file <deployment.yml>`",
        )
    port = dep["emulator"]["port"]
    try:
        body = request_file.read_bytes()
    except OSError as exc:
        raise AzArgumentError(
            f"argument --request-file: cannot read {request_file}: {exc.strerror}"
        ) from None
    headers = {
        "Content-Type": "application/json",
        "Authorization": f"Bearer {record['keys']['primaryKey']}",
        "azureml-model-deployment": chosen,
    }
    try:
        status, answer = serving.http_request(
            "POST", f"http://127.0.0.1:{port}/score", body=body, headers=headers, timeout=120
        )
    except OSError as exc:
        raise AzError(f"deployment {chosen!r} did not answer: {exc}") from None
    text = answer.decode("utf-8", errors="replace")
    if not 200 <= status < 300:
        raise AzError(f"({status}) the deployment {chosen!r} answered with an error: {text.strip()}")
    return chosen, text


# --- the API `mlops endpoints list|down` calls ------------------------------------------------------


def list_endpoints(home: Path | None = None) -> list[dict[str, Any]]:
    """Every endpoint with its deployments' processes (name, port, pid, running, model, environment)."""
    result = []
    for view in list_endpoint_views(home):
        deployments = []
        for record in deployment_records(str(view["name"]), home):
            local = record.get("emulator") or {}
            deployments.append(
                {
                    "name": record["name"],
                    "model": record.get("model"),
                    "environment": record.get("environment"),
                    "pid": local.get("pid"),
                    "port": local.get("port"),
                    "scoring_uri": local.get("scoring_uri"),
                    "running": deployment_running(record),
                    "log": local.get("log"),
                    "traffic": int((view.get("traffic") or {}).get(record["name"], 0)),
                }
            )
        result.append(
            {
                "name": view["name"],
                "scoring_uri": view.get("scoring_uri"),
                "traffic": view.get("traffic") or {},
                "auth_mode": view.get("auth_mode"),
                "deployments": deployments,
            }
        )
    return result


def stop_all_endpoints(home: Path | None = None) -> list[str]:
    """Stop every scoring process in the state folder; returns `endpoint/deployment` of those stopped.

    Records stay (with `emulator.stopped_at`), so `az ml online-deployment update` can start them again.
    """
    stopped: list[str] = []
    root = endpoints_dir(home)
    if not root.is_dir():
        return stopped
    for entry in sorted(root.iterdir()):
        endpoint = entry.name
        for record in deployment_records(endpoint, home):
            path = deployment_file(endpoint, str(record["name"]), home)
            with locked(path):
                current = read_json(path) or record
                if stop_deployment_process(current):
                    stopped.append(f"{endpoint}/{current['name']}")
                current.setdefault("emulator", {})["stopped_at"] = utc_now()
                write_json(path, current)
    return stopped
