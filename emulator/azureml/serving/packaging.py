"""Reproducible Docker build contexts for serving a model, and `az ml model package`.

Azure ML packages a model with its scoring code and environment into a new environment (an image).
The emulator writes the same ingredients into a folder — a Dockerfile FROM the environment's image,
the model files, the scoring code, the conda spec and the pip requirements — with a content digest
(same inputs → same digest). `az ml model package` writes it to `azureml_dir()/packages/<model>-<version>/`,
lints the Dockerfile (hadolint: findings fail the step unless waived), builds the image when a Docker
daemon answers, and registers the result as a new version of the target environment. Deployments
that are not served from a package build the same kind of context (`backends.ContainerBackend`), so a
deployment of the same model, code and environment reuses the package's image.

The image serves the model the way an Azure ML inference image does: the Azure ML inference server
(`azureml-inference-server-http`) under gunicorn, from a venv holding the environment's pip
dependencies, as a non-root user. It listens on 127.0.0.1:5001 (Azure ML's inference port) when run by
hand (`docker run --network host`: there is no bridge, so a service must bind loopback);
`GUNICORN_CMD_ARGS` moves it elsewhere, as the emulator's deployment containers do (to a unix socket).
"""

from __future__ import annotations

import logging
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from emulator.azureml.assets.digests import content_digest
from emulator.azureml.assets.environments import register_environment_record, resolve_environment
from emulator.azureml.assets.models import resolve_model
from emulator.azureml.assets.records import write_json
from emulator.azureml.assets.snapshots import code_filter
from emulator.azureml.assets.workspace import Workspace
from emulator.azureml.assets.yamlspec import Spec
from emulator.azureml.compute import envbuild
from emulator.azureml.compute.envbuild import EnvPlan
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzNotEmulatedError, AzSpecError
from emulator.azureml.serving import docker_daemon, docker_images, dockerlint

APP_ROOT = "/var/azureml-app"
VENV = "/opt/azureml-env"
SERVER_PORT = 5001
SERVER_USER = "dockeruser"
SERVER_UID = 10001  # numeric, so the host and Kubernetes can resolve it (hadolint DL3066)
DEFAULT_BASE_IMAGE = "python:3.11-slim"
SERVER_APP = "azureml_inference_server_http.server.entry:app"
_IGNORE = shutil.ignore_patterns("__pycache__", ".git", "*.pyc")
_log = logging.getLogger("emulator.azureml")


HOST_CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")
BUILD_AIDS = "build-aids"


def packages_dir(ctx: Context) -> Path:
    return ctx.azureml / "packages"


def default_warn(message: str) -> None:
    """Where warnings go when the caller gives no sink: the `logging` last-resort handler (stderr)."""
    _log.warning("WARNING: %s", message)


def default_progress(text: str) -> None:
    _log.info("%s", text.rstrip("\n"))


def gunicorn_args(bind: str, workers: int = 1, timeout: int = 120) -> str:
    """The server's command-line options (`bind`: `HOST:PORT` or `unix:PATH`), passed through gunicorn's
    GUNICORN_CMD_ARGS variable."""
    return f"--bind {bind} --workers {workers} --timeout {timeout}"


# the installer binary is named by the Dockerfile, which is an input
NOT_INPUTS = ("package.json", "build.log", f"{BUILD_AIDS}/ca-certificates.crt", f"{BUILD_AIDS}/uv")


@dataclass(frozen=True)
class ContextInputs:
    """Everything an inference image is made of; equal inputs give byte-equal contexts."""

    base_image: str
    model_name: str
    model_version: str
    model_files: Path
    code_folder: Path
    scoring_script: str
    conda: dict[str, Any] | None
    env_vars: dict[str, str]

    @property
    def model_dir(self) -> str:
        """AZUREML_MODEL_DIR inside the image, as Azure ML lays registered models out."""
        return f"{APP_ROOT}/azureml-models/{self.model_name}/{self.model_version}"


@dataclass(frozen=True)
class BuildContext:
    """A written build context: where it is, its digest, and the environment plan it installs."""

    path: Path
    digest: str
    plan: EnvPlan

    @property
    def short(self) -> str:
        return self.digest.split(":")[1][:12]


def _quote_env(value: str) -> str:
    if value and all(c.isalnum() or c in "._-/:,=@+" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("$", "\\$") + '"'


def dockerfile(inputs: ContextInputs, installer: str = "pip") -> str:
    """The Dockerfile of an inference image (classic builder; hadolint-clean but for the base tag).

    `installer` "uv": the build installs with the uv binary of the build aids (the host's, removed with
    them), which resolves as pip does in a fraction of its time; "pip": the image's own pip."""
    model_dir = inputs.model_dir
    ca = f"/tmp/{BUILD_AIDS}/ca-certificates.crt"
    if installer == "uv":
        uv = f"/tmp/{BUILD_AIDS}/uv"
        install = [
            f"RUN if [ -s {ca} ]; then export SSL_CERT_FILE={ca}; fi \\",
            f"    && {uv} venv --no-config --python python3 {VENV} \\",
            f"    && {uv} pip install --no-config --no-cache --compile-bytecode \\",
            f"       --python {VENV}/bin/python --index-strategy unsafe-best-match \\",
            f"       --requirement {APP_ROOT}/environment/requirements.txt \\",
        ]
    else:
        install = [
            f"RUN if [ -s {ca} ]; then export PIP_CERT={ca}; fi \\",
            f"    && python3 -m venv {VENV} \\",
            f"    && {VENV}/bin/python -m pip install --no-cache-dir --no-input --progress-bar off \\",
            f"       --requirement {APP_ROOT}/environment/requirements.txt \\",
        ]
    lines = [
        f"# Model {inputs.model_name}:{inputs.model_version} served by the Azure ML inference server "
        "(az ml model package, emulated).",
        "# Build: docker build --network host --build-arg SOURCE_COMMIT=$(git rev-parse HEAD) -t NAME .",
        f"# Run:   docker run --network host NAME   (serves http://127.0.0.1:{SERVER_PORT}/score);",
        f'#        another port: -e GUNICORN_CMD_ARGS="{gunicorn_args("127.0.0.1:8080")}"',
        f"FROM {inputs.base_image}",
        f'ENV GUNICORN_CMD_ARGS="{gunicorn_args(f"127.0.0.1:{SERVER_PORT}")}" \\',
        "    MLFLOW_DISABLE_TELEMETRY=true \\",
        "    PIP_DISABLE_PIP_VERSION_CHECK=1 \\",
        "    PYTHONUNBUFFERED=1",
        f"COPY environment/ {APP_ROOT}/environment/",
        f"COPY {BUILD_AIDS}/ /tmp/{BUILD_AIDS}/",
        f"# {installer} reaches PyPI through the build host's network; the host's CA bundle (and uv) are",
        "# build aids only.",
        "# Nothing model-specific comes before this layer, so every model on this environment shares it.",
        *install,
        f"    && rm -rf /tmp/{BUILD_AIDS} \\",
        f"    && (getent passwd {SERVER_UID} >/dev/null \\",
        f"        || useradd --no-log-init --create-home --uid {SERVER_UID} --shell /bin/sh {SERVER_USER})",
        f"ENV AZUREML_MODEL_DIR={model_dir} \\",
        f"    AZUREML_ENTRY_SCRIPT={APP_ROOT}/code/{inputs.scoring_script} \\",
        f"    AZUREML_SOURCE_DIRECTORY={APP_ROOT}/code",
    ]
    for key in sorted(inputs.env_vars):
        lines.append(f"ENV {key}={_quote_env(inputs.env_vars[key])}")
    lines += [
        f"COPY model/ {model_dir}/",
        f"COPY code/ {APP_ROOT}/code/",
        f"WORKDIR {APP_ROOT}/code",
        f"USER {SERVER_UID}",
        f"EXPOSE {SERVER_PORT}",
        f"ARG {docker_images.COMMIT_ARG}=unknown",
        f"LABEL {docker_images.LABEL_COMMIT}=${docker_images.COMMIT_ARG} \\",
        f"      {docker_images.LABEL_PREFIX}.model-name={_quote_env(inputs.model_name)} \\",
        f"      {docker_images.LABEL_PREFIX}.model-version={_quote_env(inputs.model_version)} \\",
        f"      {docker_images.LABEL_PREFIX}.scoring-script={_quote_env(inputs.scoring_script)}",
        f'CMD ["{VENV}/bin/python", "-m", "gunicorn", "{SERVER_APP}"]',
    ]
    return "\n".join(lines) + "\n"


def write_context(root: Path, name: str, inputs: ContextInputs, source: str = "conda_file") -> BuildContext:
    """Write the context to `root/name` (replacing what was there, atomically); returns its digest."""
    plan = envbuild.plan_environment(inputs.conda, source=source)
    final = root / name
    staging = root / f".tmp-{name}-{uuid.uuid4().hex[:8]}"
    try:
        (staging / "model").mkdir(parents=True)
        files = inputs.model_files
        if files.is_dir():
            shutil.copytree(files, staging / "model" / files.name, ignore=_IGNORE)
        else:
            shutil.copy2(files, staging / "model" / files.name)
        shutil.copytree(inputs.code_folder, staging / "code", ignore=code_filter(inputs.code_folder, root))
        (staging / "environment").mkdir()
        conda_text = yaml.safe_dump(inputs.conda or {}, sort_keys=True, default_flow_style=False)
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
        uv = envbuild.uv_binary() if envbuild.installer_setting() != "pip" else None
        if uv:
            shutil.copy2(uv, staging / BUILD_AIDS / "uv")
        (staging / "Dockerfile").write_text(dockerfile(inputs, "uv" if uv else "pip"), encoding="utf-8")
        # the host's CA bundle (a build aid: pip inside `docker build` needs it) is not an input
        digest = content_digest(staging, NOT_INPUTS)
        if final.exists():
            retired = root / f".old-{name}-{uuid.uuid4().hex[:8]}"
            final.rename(retired)
            shutil.rmtree(retired, ignore_errors=True)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return BuildContext(path=final, digest=digest, plan=plan)


def image_tag(repository: str, context: BuildContext) -> str:
    safe = "".join(c if c.isalnum() or c in "._-" else "-" for c in repository.lower()).strip("-.") or "image"
    return f"mlops-emulator/{safe}:{context.short}"


def package_model(
    ctx: Context,
    ws: Workspace,
    *,
    name: str,
    version: str | None,
    spec: Spec,
    progress: Sink | None = None,
    warn: Sink | None = None,
) -> dict[str, Any]:
    """Write and lint the build context, build the image when a daemon answers, register the target
    environment version and return it (as az does)."""
    progress = progress or default_progress
    warn = warn or default_warn
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
    tags = {str(k): str(v) for k, v in (data.get("tags") or {}).items()}
    ignore = dockerlint.waivers(tags)
    environment = resolve_environment(
        ctx, str(base["resource_id"]), spec.base_dir, spec.location("base_environment_source", "resource_id")
    )
    model = resolve_model(ctx, f"{name}:{version}" if version else f"{name}@latest")
    inputs = ContextInputs(
        base_image=environment.image or DEFAULT_BASE_IMAGE,
        model_name=model.name,
        model_version=model.version,
        model_files=model.files,
        code_folder=code_folder,
        scoring_script=scoring_script,
        conda=environment.conda,
        env_vars={str(k): str(v) for k, v in (data.get("environment_variables") or {}).items()},
    )
    source = f"environment {environment.reference}"
    context = write_context(packages_dir(ctx), f"{model.name}-{model.version}", inputs, source=source)
    for message in context.plan.warnings:
        warn(message)
    tag = image_tag(target_name, context)
    commit = docker_images.source_commit(spec.base_dir)
    report = docker_images.lint_context(context.path, ignore, strict=True, warn=warn)
    package_info: dict[str, Any] = {
        "base_environment": environment.reference,
        "base_image": {"requested": inputs.base_image, "used": None, "substituted": False, "reason": None},
        "context": str(context.path),
        "digest": context.digest,
        "image": tag,
        "model": f"{model.name}:{model.version}",
        "scoring_script": scoring_script,
        "server": {"port": SERVER_PORT, "bind": "127.0.0.1", "user": SERVER_UID, "app": SERVER_APP},
        "source_commit": commit,
        "hadolint": report.as_record(),
        "warnings": list(context.plan.warnings),
    }
    daemon, reason = docker_daemon.connect()
    if daemon is None:
        warn(f"the image was not built: {reason}; the build context is {context.path}")
        package_info.update(image_built=False, image_build_reason=reason)
    else:
        built = docker_images.ensure_image(
            daemon,
            context.path,
            digest=context.digest,
            tag=tag,
            commit=commit,
            lint=report,
            progress=progress,
            warn=warn,
        )
        package_info.update(
            image_built=True,
            image_build_reason="reused (cache hit)" if built.cache_hit else "built",
            image_id=built.image_id,
            cache_hit=built.cache_hit,
            build_seconds=round(built.seconds, 1),
            size_bytes=built.size,
            build_log=built.build_log,
            base_image=built.base.as_record(),
            docker_host=daemon.host,
        )
    write_json(context.path / "package.json", package_info)
    return register_environment_record(
        ctx,
        ws,
        target_name,
        tag,
        environment.conda,
        {
            "description": f"Model {model.name}:{model.version} packaged for online serving",
            "tags": tags,
            "package": package_info,
        },
    )
