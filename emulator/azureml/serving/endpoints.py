"""Online endpoints: records, keys, traffic, the front process, invocation, and `mlops endpoints list|down`.

An endpoint is a record in `azureml_dir()/endpoints/<name>/endpoint.json`; its deployments (see
`deployments.py`) are scoring servers on 127.0.0.1. Each endpoint has a front process (`front.py`,
recorded in the `emulator.front` slot) that enforces key auth, splits traffic by the weights in the
record (read at request time), honours the `azureml-model-deployment` header and mirrors traffic;
`scoring_uri` is the front's URL. The front is restarted lazily (by `show` and `invoke`) if it died,
so endpoints survive the emulator's processes and reboots of the machine alike.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from typing import Any

from emulator.azureml.assets.endpoint_records import EndpointRecords
from emulator.azureml.assets.names import check_endpoint_name, generate_key
from emulator.azureml.assets.records import locked, read_json, utc_now, write_json
from emulator.azureml.assets.workspace import Workspace, creation_context
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.compute.runtimes import machine_environment
from emulator.azureml.context import Context
from emulator.azureml.errors import AzArgumentError, AzError
from emulator.azureml.serving.backends import deployment_running, stop_deployment
from emulator.azureml.serving.server import log_tail
from emulator.processes import is_running, process_start_ticks, stop_group

AUTH_MODES = ("key", "aml_token", "aad_token")


def endpoint_file(ctx: Context, name: str) -> Path:
    return EndpointRecords.online(ctx).endpoints.path(name)


def deployment_dir(ctx: Context, endpoint: str, name: str) -> Path:
    return EndpointRecords.online(ctx).deployments(endpoint).folder(name)


def deployment_file(ctx: Context, endpoint: str, name: str) -> Path:
    return EndpointRecords.online(ctx).deployments(endpoint).path(name)


def load_endpoint(ctx: Context, name: str) -> dict[str, Any]:
    return EndpointRecords.online(ctx).endpoints.load(name)


def save_endpoint(ctx: Context, name: str, record: dict[str, Any]) -> None:
    """Write the endpoint's record (a private file: it holds the keys)."""
    EndpointRecords.online(ctx).endpoints.write(name, record)


def load_deployment(ctx: Context, endpoint: str, name: str) -> dict[str, Any]:
    return EndpointRecords.online(ctx).load_deployment(endpoint, name)


def deployment_records(ctx: Context, endpoint: str) -> list[dict[str, Any]]:
    return EndpointRecords.online(ctx).deployments(endpoint).all()


def deployment_view(record: dict[str, Any]) -> dict[str, Any]:
    """A deployment as az prints it, with the live state of its process under `emulator`."""
    view = dict(record)
    local = dict(view.get("emulator") or {})
    local["running"] = deployment_running(record)
    view["emulator"] = local
    return view


def _scoring_uri(ctx: Context, record: dict[str, Any]) -> str | None:
    front = (record.get("emulator") or {}).get("front")
    if isinstance(front, dict) and front.get("port"):
        return f"http://127.0.0.1:{front['port']}/score"
    return None


def front_running(record: dict[str, Any]) -> bool:
    front = (record.get("emulator") or {}).get("front") or {}
    pid, ticks = front.get("pid"), front.get("start_ticks")
    return isinstance(pid, int) and isinstance(ticks, int) and is_running(pid, ticks)


def endpoint_view(ctx: Context, record: dict[str, Any]) -> dict[str, Any]:
    """An endpoint as az prints it: no keys, the front's scoring URI and whether the front runs."""
    view = {k: v for k, v in record.items() if k != "keys"}
    uri = _scoring_uri(ctx, record)
    view["scoring_uri"] = uri
    view["openapi_uri"] = uri.replace("/score", "/swagger.json") if uri else None
    local = dict(view.get("emulator") or {})
    if isinstance(local.get("front"), dict):
        local["front"] = {**local["front"], "running": front_running(record)}
    view["emulator"] = local
    return view


def _start_front(ctx: Context, name: str, port: int) -> dict[str, Any]:
    """Start the front process for `name` (detached) and wait until it listens; returns its slot."""
    folder = EndpointRecords.online(ctx).endpoints.folder(name)
    state = ctx.home.resolve()
    ready = folder / f".front-{uuid.uuid4().hex[:8]}.ready"
    log_path = folder / "front.log"
    env = machine_environment(Path(sys.executable).parent)
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[3])  # the emulator, installed or not
    command = [
        sys.executable,
        "-m",
        "emulator.azureml.serving.front",
        name,
        "--home",
        str(state),
        "--port",
        str(port),
        "--ready",
        str(ready),
    ]
    with open(log_path, "ab") as log:
        process = subprocess.Popen(
            command,
            cwd="/",
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    ticks = process_start_ticks(process.pid) or 0
    deadline = time.monotonic() + 20
    try:
        while time.monotonic() < deadline:
            info = read_json(ready) if ready.exists() else None
            if isinstance(info, dict) and info.get("port"):
                return {
                    "pid": process.pid,
                    "start_ticks": ticks,
                    "port": int(info["port"]),
                    "log": str(log_path),
                    "started_at": utc_now(),
                }
            if process.poll() is not None:
                raise AzError(
                    f"the front process of endpoint {name!r} exited at start (log: {log_path})",
                    hint=log_tail(log_path, 15).rstrip() or None,
                )
            time.sleep(0.02)
        stop_group(process.pid, ticks)
        raise AzError(f"the front process of endpoint {name!r} did not start within 20 s (log: {log_path})")
    finally:
        ready.unlink(missing_ok=True)


def ensure_front(ctx: Context, name: str) -> dict[str, Any]:
    """The endpoint record with a running front (started, or restarted on its old port, if needed)."""
    path = endpoint_file(ctx, name)
    record = load_endpoint(ctx, name)
    if front_running(record):
        return record
    with locked(path):
        record = load_endpoint(ctx, name)
        if front_running(record):
            return record
        previous = (record.get("emulator") or {}).get("front") or {}
        slot = _start_front(ctx, name, int(previous.get("port") or 0))
        record.setdefault("emulator", {})["front"] = slot
        save_endpoint(ctx, name, record)
    return record


def stop_front(record: dict[str, Any]) -> bool:
    front = (record.get("emulator") or {}).get("front") or {}
    pid, ticks = front.get("pid"), front.get("start_ticks")
    if isinstance(pid, int) and isinstance(ticks, int):
        return stop_group(pid, ticks, grace=2.0)
    return False


def create_endpoint(ctx: Context, ws: Workspace, spec: Spec, *, name: str | None = None) -> dict[str, Any]:
    """Create the endpoint, or update it in place (keys, deployments and traffic are kept)."""
    endpoint_name = check_endpoint_name(str(name or spec.data.get("name") or ""), "endpoint")
    auth_mode = str(spec.data.get("auth_mode", "key")).lower()
    path = endpoint_file(ctx, endpoint_name)
    with locked(path):
        previous = read_json(path) or {}
        created = (previous.get("creation_context") or {}).get("created_at") or utc_now()
        traffic = previous.get("traffic") or {}
        if spec.data.get("traffic") is not None:
            traffic = _checked_traffic(
                ctx, endpoint_name, {str(k): v for k, v in spec.data["traffic"].items()}
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
            "mirror_traffic": previous.get("mirror_traffic") or {},
            "name": endpoint_name,
            "properties": {"emulator.source_file": str(spec.path)},
            "provisioning_state": "Succeeded",
            "public_network_access": spec.data.get("public_network_access", "enabled"),
            "resourceGroup": ws.resource_group,
            "tags": {str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
            "traffic": traffic,
            "emulator": {"front": (previous.get("emulator") or {}).get("front")},
        }
        if spec.data.get("mirror_traffic") is not None:
            record["mirror_traffic"] = _checked_mirror(
                ctx, endpoint_name, {str(k): v for k, v in spec.data["mirror_traffic"].items()}, traffic
            )
        save_endpoint(ctx, endpoint_name, record)
    return endpoint_view(ctx, ensure_front(ctx, endpoint_name))


def show_endpoint(ctx: Context, name: str) -> dict[str, Any]:
    load_endpoint(ctx, name)
    return endpoint_view(ctx, ensure_front(ctx, name))


def list_endpoint_views(ctx: Context) -> list[dict[str, Any]]:
    """Every endpoint as `az ml online-endpoint list` prints it."""
    return [endpoint_view(ctx, record) for record in EndpointRecords.online(ctx).endpoints.all()]


def parse_traffic(text: str, option: str = "--traffic") -> dict[str, int]:
    """`"blue=90 green=10"` → {"blue": 90, "green": 10} (az's --traffic syntax)."""
    traffic: dict[str, int] = {}
    for item in text.replace(",", " ").split():
        name, sep, value = item.partition("=")
        if not sep or not value.strip().isdigit():
            raise AzArgumentError(
                f"argument {option}: invalid entry {item!r}", expected="space-separated NAME=PERCENT pairs"
            )
        traffic[name.strip()] = int(value)
    return traffic


def _checked_traffic(ctx: Context, endpoint: str, traffic: dict[str, Any]) -> dict[str, int]:
    values: dict[str, int] = {}
    for name, value in traffic.items():
        try:
            values[name] = int(value)
        except (TypeError, ValueError):
            raise AzArgumentError(
                f"traffic for {name!r} must be an integer percentage, got {value!r}"
            ) from None
    existing = {r["name"] for r in deployment_records(ctx, endpoint)}
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


def _checked_mirror(
    ctx: Context, endpoint: str, mirror: dict[str, Any], traffic: dict[str, Any]
) -> dict[str, int]:
    """Azure's rules: one mirror deployment, at most 50%, and one that takes no live traffic."""
    values: dict[str, int] = {}
    for name, value in mirror.items():
        try:
            values[name] = int(value)
        except (TypeError, ValueError):
            raise AzArgumentError(f"mirror traffic for {name!r} must be an integer percentage") from None
    values = {n: v for n, v in values.items() if v > 0}
    existing = {r["name"] for r in deployment_records(ctx, endpoint)}
    unknown = sorted(n for n in values if n not in existing)
    if unknown:
        raise AzError(
            f"cannot mirror traffic to {', '.join(unknown)}: no such deployment under endpoint {endpoint!r}",
            hint=f"deployments: {', '.join(sorted(existing)) or '(none)'}",
        )
    if len(values) > 1:
        raise AzError("mirror traffic can go to one deployment only")
    for name, value in values.items():
        if value > 50:
            raise AzError(f"mirror traffic cannot exceed 50% (asked {value}% for {name!r})")
        if int(traffic.get(name, 0) or 0) > 0:
            raise AzError(
                f"deployment {name!r} takes live traffic ({traffic[name]}%); a deployment receives either "
                "live or mirror traffic, not both",
                hint=f'set its live traffic to 0 first: --traffic "{name}=0 ..."',
            )
    return values


def update_endpoint(
    ctx: Context,
    ws: Workspace,
    name: str,
    *,
    traffic: dict[str, int] | None = None,
    mirror_traffic: dict[str, int] | None = None,
) -> dict[str, Any]:
    path = endpoint_file(ctx, name)
    with locked(path):
        record = load_endpoint(ctx, name)
        if traffic is not None:
            current = {k: int(v) for k, v in (record.get("traffic") or {}).items()}
            current.update(traffic)
            record["traffic"] = _checked_traffic(ctx, name, current)
        mirror = dict(record.get("mirror_traffic") or {})
        if mirror_traffic is not None:
            mirror = {**mirror, **mirror_traffic}
        if mirror or mirror_traffic is not None:
            record["mirror_traffic"] = _checked_mirror(ctx, name, mirror, record.get("traffic") or {})
        record["creation_context"] = creation_context(
            (record.get("creation_context") or {}).get("created_at") or utc_now(), utc_now()
        )
        save_endpoint(ctx, name, record)
    return endpoint_view(ctx, ensure_front(ctx, name))


def set_traffic(ctx: Context, name: str, traffic: dict[str, int]) -> None:
    """Replace the traffic map (used by `online-deployment create --all-traffic`)."""
    path = endpoint_file(ctx, name)
    with locked(path):
        record = load_endpoint(ctx, name)
        record["traffic"] = _checked_traffic(ctx, name, traffic)
        mirror = record.get("mirror_traffic") or {}
        record["mirror_traffic"] = {k: v for k, v in mirror.items() if int(record["traffic"].get(k, 0)) == 0}
        save_endpoint(ctx, name, record)


def get_credentials(ctx: Context, name: str) -> dict[str, Any]:
    record = load_endpoint(ctx, name)
    if record.get("auth_mode") != "key":
        return {"accessToken": record["keys"]["primaryKey"], "tokenType": "Bearer", "expiryTimeUtc": 0}
    return dict(record["keys"])


def delete_endpoint(ctx: Context, name: str) -> None:
    """Stop the front and every deployment of the endpoint and remove it."""
    path = endpoint_file(ctx, name)
    with locked(path):
        record = load_endpoint(ctx, name)
        stop_front(record)
        for deployment in deployment_records(ctx, name):
            stop_deployment(deployment)
        shutil.rmtree(EndpointRecords.online(ctx).endpoints.folder(name), ignore_errors=True)
    path.with_name(path.name + ".lock").unlink(missing_ok=True)


def invoke(ctx: Context, name: str, request_file: Path, *, deployment: str | None = None) -> tuple[str, str]:
    """POST the request file through the endpoint's front; returns (deployment that answered, body)."""
    load_endpoint(ctx, name)
    if deployment:
        load_deployment(ctx, name, deployment)
    try:
        body = request_file.read_bytes()
    except OSError as exc:
        raise AzArgumentError(
            f"argument --request-file: cannot read {request_file}: {exc.strerror}"
        ) from None
    record = ensure_front(ctx, name)
    port = record["emulator"]["front"]["port"]
    headers = {"Content-Type": "application/json"}
    keys = record.get("keys") or {}
    if keys.get("primaryKey"):
        headers["Authorization"] = f"Bearer {keys['primaryKey']}"
    if deployment:
        headers["azureml-model-deployment"] = deployment
    try:
        status, answer, answered_by = _post(f"http://127.0.0.1:{port}/score", body, headers)
    except OSError as exc:
        raise AzError(f"the endpoint {name!r} did not answer: {exc}") from None
    text = answer.decode("utf-8", errors="replace")
    if not 200 <= status < 300:
        message = text.strip()
        try:
            parsed = json.loads(message)
            if isinstance(parsed, dict) and isinstance(parsed.get("message"), str):
                message = parsed["message"]
        except ValueError:
            pass
        hint = None
        if status == 503:
            hint = f"start it again with `az ml online-deployment update -e {name} --file <deployment.yml>`"
        elif status == 404 and not deployment:
            hint = (
                f'pass --deployment-name, or `az ml online-endpoint update -n {name} --traffic "<dep>=100"`'
            )
        raise AzError(f"({status}) {message}", hint=hint)
    return answered_by or (deployment or ""), text


def _post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, bytes, str | None]:
    """(status, body, azureml-model-deployment header) of one POST (errors are returned, not raised)."""
    request = urllib.request.Request(url, data=body, method="POST", headers=headers)
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: never via a proxy
    try:
        with opener.open(request, timeout=300) as response:
            return (
                int(response.status),
                bytes(response.read()),
                response.headers.get("azureml-model-deployment"),
            )
    except urllib.error.HTTPError as exc:
        return int(exc.code), bytes(exc.read()), exc.headers.get("azureml-model-deployment")


# --- the API `mlops endpoints list|down` calls: the rest of the emulator knows state folders as paths ---


def list_endpoints(home: Path) -> list[dict[str, Any]]:
    """Every endpoint of state folder `home` with its deployments' processes (name, port, pid, running,
    model, environment)."""
    ctx = Context(home)
    result = []
    for view in list_endpoint_views(ctx):
        deployments = []
        for record in deployment_records(ctx, str(view["name"])):
            local = record.get("emulator") or {}
            deployments.append(
                {
                    "name": record["name"],
                    "model": record.get("model"),
                    "environment": record.get("environment"),
                    "pid": local.get("pid"),
                    "socket": local.get("socket"),
                    "running": deployment_running(record),
                    "log": local.get("log"),
                    "traffic": int((view.get("traffic") or {}).get(record["name"], 0)),
                }
            )
        front = (view.get("emulator") or {}).get("front") or {}
        result.append(
            {
                "name": view["name"],
                "scoring_uri": view.get("scoring_uri"),
                "traffic": view.get("traffic") or {},
                "mirror_traffic": view.get("mirror_traffic") or {},
                "auth_mode": view.get("auth_mode"),
                "front": {
                    "pid": front.get("pid"),
                    "port": front.get("port"),
                    "running": bool(front.get("running")),
                },
                "deployments": deployments,
            }
        )
    return result


def stop_all_endpoints(home: Path) -> list[str]:
    """Stop every front and scoring process in state folder `home`; returns `endpoint/deployment` of the
    deployments stopped.

    Records stay (with `emulator.stopped_at`), so `az ml online-deployment update` can start them again.
    """
    ctx = Context(home)
    stopped: list[str] = []
    for endpoint in EndpointRecords.online(ctx).endpoints.names():
        endpoint_record = EndpointRecords.online(ctx).endpoints.get(endpoint)
        if endpoint_record is not None:
            stop_front(endpoint_record)
        for record in deployment_records(ctx, endpoint):
            path = deployment_file(ctx, endpoint, str(record["name"]))
            with locked(path):
                current = read_json(path) or record
                if stop_deployment(current):
                    stopped.append(f"{endpoint}/{current['name']}")
                current.setdefault("emulator", {})["stopped_at"] = utc_now()
                write_json(path, current)
    return stopped
