"""`az ml model package`: a reproducible Docker build context for serving a registered model.

Azure ML packages a model with its scoring code and environment into a new environment (an image).
The emulator writes the same ingredients into `azureml_dir()/packages/<model>-<version>/` — Dockerfile
FROM the base environment's image, the model files, the scoring code, the conda spec and the pip
requirements — with a content digest (same inputs → same digest), registers the result as a new
version of the target environment, and builds the image only when a Docker daemon is reachable and
the base image exists locally (there is no registry to pull from).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import yaml

from emulator.azureml import envbuild
from emulator.azureml.environments import register_environment_record, resolve_environment
from emulator.azureml.errors import AzNotEmulatedError, AzSpecError
from emulator.azureml.models import resolve_model
from emulator.azureml.storage import write_json
from emulator.azureml.workspace import Workspace
from emulator.azureml.yamlspec import Spec
from emulator.store.paths import azureml_dir

APP_ROOT = "/var/azureml-app"
SERVER_PORT = 5001
_IGNORE = shutil.ignore_patterns("__pycache__", ".git", "*.pyc")


def packages_dir(home: Path | None = None) -> Path:
    return azureml_dir(home) / "packages"


HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_AIDS = "build-aids"


def content_digest(
    folder: Path, exclude: tuple[str, ...] = ("package.json", f"{BUILD_AIDS}/ca-certificates.crt")
) -> str:
    """sha256 over every file's relative path, executable bit and bytes, in sorted order.

    The host's CA bundle (a build aid: pip inside `docker build` needs it here) is not an input of the
    package and is left out, so the digest depends only on model, code and environment.
    """
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        relative = path.relative_to(folder).as_posix()
        if relative in exclude:
            continue
        digest.update(relative.encode() + b"\0")
        digest.update(b"x" if os.access(path, os.X_OK) else b"-")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + digest.hexdigest()


def _dockerfile(
    image: str, model_name: str, version: str, scoring_script: str, env_vars: dict[str, str]
) -> str:
    model_dir = f"{APP_ROOT}/azureml-models/{model_name}/{version}"
    lines = [
        f"# Model {model_name}:{version} packaged for online serving (az ml model package, emulated).",
        f"FROM {image}",
        f"ENV AZUREML_MODEL_DIR={model_dir} \\",
        f"    AZUREML_ENTRY_SCRIPT={APP_ROOT}/code/{scoring_script} \\",
        "    MLFLOW_DISABLE_TELEMETRY=true",
    ]
    for key in sorted(env_vars):
        lines.append(f"ENV {key}={env_vars[key]}")
    lines += [
        f"COPY environment/ {APP_ROOT}/environment/",
        f"COPY {BUILD_AIDS}/ /tmp/{BUILD_AIDS}/",
        f"RUN if [ -s /tmp/{BUILD_AIDS}/ca-certificates.crt ]; then "
        f"export PIP_CERT=/tmp/{BUILD_AIDS}/ca-certificates.crt; fi \\",
        "    && python3 -m venv /opt/azureml-env \\",
        "    && /opt/azureml-env/bin/python -m pip install --no-cache-dir \\",
        f"       -r {APP_ROOT}/environment/requirements.txt \\",
        f"    && rm -rf /tmp/{BUILD_AIDS}",
        f"COPY model/ {model_dir}/",
        f"COPY code/ {APP_ROOT}/code/",
        f"WORKDIR {APP_ROOT}/code",
        f"EXPOSE {SERVER_PORT}",
        'CMD ["/opt/azureml-env/bin/python", "-m", "gunicorn", '
        f'"-b", "127.0.0.1:{SERVER_PORT}", "-w", "1", "--timeout", "120", '
        '"azureml_inference_server_http.server.entry:app"]',
    ]
    return "\n".join(lines) + "\n"


def _try_docker_build(context: Path, image: str, tag: str) -> tuple[bool, str]:
    """(built, reason): build with host networking when a daemon answers and the base image exists."""
    try:
        import docker
        from docker.errors import DockerException, ImageNotFound

        client = docker.from_env(timeout=5)
        client.ping()
    except Exception as exc:  # noqa: BLE001 - no SDK, no socket, no daemon: all mean "not built"
        return (
            False,
            f"no Docker daemon reachable ({str(exc).splitlines()[0] if str(exc) else type(exc).__name__})",
        )
    try:
        client.images.get(image)
    except ImageNotFound:
        return False, f"base image {image!r} is not present locally and there is no registry to pull it from"
    except DockerException as exc:
        return False, f"Docker error: {exc}"
    try:
        client.images.build(path=str(context), tag=tag, network_mode="host", rm=True)
    except DockerException as exc:
        return False, f"docker build failed: {exc}"
    return True, "built"


def package_model(
    ws: Workspace, *, name: str, version: str | None, spec: Spec, home: Path | None = None
) -> dict[str, Any]:
    """Write the build context, register the target environment version, return it (as az does)."""
    data = spec.data
    target = data.get("target_environment")
    target_name = str(target.get("name") if isinstance(target, dict) else target or "")
    if not target_name:
        raise AzSpecError(
            "invalid model package specification: target_environment: required",
            spec.location(),
            hint="name the environment the package is registered as, e.g. `target_environment: credit-pkg`",
        )
    server = data.get("inferencing_server") or {}
    server_type = str(server.get("type", ""))
    if server_type != "azureml_online":
        raise AzNotEmulatedError(
            f"inferencing_server.type {server_type or '(missing)'!r} is not emulated; only azureml_online is",
            spec.location("inferencing_server", "type"),
        )
    code_config = server.get("code_configuration") or {}
    scoring_script = str(code_config.get("scoring_script") or "")
    code_folder = (spec.base_dir / str(code_config.get("code", "."))).resolve()
    if not scoring_script or not (code_folder / scoring_script).is_file():
        raise AzSpecError(
            "invalid model package specification: inferencing_server.code_configuration.scoring_script: "
            f"no such file: {code_folder / scoring_script}",
            spec.location("inferencing_server", "code_configuration"),
            field="inferencing_server.code_configuration.scoring_script",
        )
    base = data.get("base_environment_source") or {}
    if not base.get("resource_id"):
        raise AzSpecError(
            "invalid model package specification: base_environment_source.resource_id: required",
            spec.location("base_environment_source"),
            hint="e.g. base_environment_source: {type: environment_asset, resource_id: azureml:credit-env:1}",
        )
    environment = resolve_environment(
        str(base["resource_id"]), spec.base_dir, spec.location("base_environment_source", "resource_id"), home
    )
    model = resolve_model(f"{name}:{version}" if version else f"{name}@latest", home=home)
    image = environment.image or "python:3.11-slim"
    plan = envbuild.plan_environment(environment.conda)
    env_vars = {str(k): str(v) for k, v in (data.get("environment_variables") or {}).items()}

    root = packages_dir(home)
    final = root / f"{model.name}-{model.version}"
    staging = root / f".tmp-{final.name}-{uuid.uuid4().hex[:8]}"
    try:
        (staging / "model").mkdir(parents=True)
        if model.files.is_dir():
            shutil.copytree(model.files, staging / "model" / model.files.name, ignore=_IGNORE)
        else:
            shutil.copy2(model.files, staging / "model" / model.files.name)
        shutil.copytree(code_folder, staging / "code", ignore=_IGNORE)
        (staging / "environment").mkdir()
        conda_text = yaml.safe_dump(environment.conda or {}, sort_keys=True, default_flow_style=False)
        (staging / "environment" / "conda.yml").write_text(conda_text, encoding="utf-8")
        (staging / "environment" / "requirements.txt").write_text(
            "".join(r + "\n" for r in plan.requirements), encoding="utf-8"
        )
        (staging / BUILD_AIDS).mkdir()
        ca_bundle = staging / BUILD_AIDS / "ca-certificates.crt"
        if HOST_CA_BUNDLE.is_file():
            shutil.copy2(HOST_CA_BUNDLE, ca_bundle)
        else:
            ca_bundle.write_bytes(b"")
        (staging / "Dockerfile").write_text(
            _dockerfile(image, model.name, model.version, scoring_script, env_vars), encoding="utf-8"
        )
        digest = content_digest(staging)
        tag = f"mlops-emulator/{target_name}:{digest.split(':')[1][:12]}"
        package_info: dict[str, Any] = {
            "base_environment": environment.reference,
            "base_image": image,
            "context": str(final),
            "digest": digest,
            "image": tag,
            "model": f"{model.name}:{model.version}",
            "scoring_script": scoring_script,
            "warnings": list(plan.warnings),
        }
        write_json(staging / "package.json", package_info)
        if final.exists():
            retired = root / f".old-{final.name}-{uuid.uuid4().hex[:8]}"
            final.rename(retired)
            shutil.rmtree(retired, ignore_errors=True)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    built, reason = _try_docker_build(final, image, tag)
    package_info["image_built"] = built
    package_info["image_build_reason"] = reason
    write_json(final / "package.json", package_info)
    return register_environment_record(
        ws,
        target_name,
        tag,
        environment.conda,
        {
            "description": f"Model {model.name}:{model.version} packaged for online serving",
            "tags": {str(k): str(v) for k, v in (data.get("tags") or {}).items()},
            "package": package_info,
        },
        home,
    )
