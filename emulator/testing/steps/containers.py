"""Docker: deployments as containers and model packages as images (a daemon answers, or the
scenario is skipped with how to start one; a failure under `MLOPS_REQUIRE_DOCKER=1`, as in CI)."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
from pytest_bdd import given, then

from emulator.testing.steps.session import MlopsSession, run_az, step

__all__ = [
    "docker_daemon_or_skip",
    "step_endpoint_in_container",
    "step_given_docker",
    "step_package_image",
]


def docker_daemon_or_skip() -> Any:
    """The Docker daemon of DOCKER_HOST. None answers: a failure under MLOPS_REQUIRE_DOCKER=1 (CI), else a
    skip that says how to start one. For Docker steps and tests."""
    from emulator.azureml.errors import AzError
    from emulator.azureml.serving.docker_daemon import START_HINT, connect, docker_host

    try:
        daemon, reason = connect(docker_host())
    except AzError as exc:
        daemon, reason = None, exc.message
    if daemon is None:
        if os.environ.get("MLOPS_REQUIRE_DOCKER") == "1":
            pytest.fail(f"MLOPS_REQUIRE_DOCKER=1 but {reason}")
        pytest.skip(
            f"{reason}; to run the Docker tests, {START_HINT} (MLOPS_REQUIRE_DOCKER=1 makes a missing "
            "daemon a failure)"
        )
    return daemon


@given("deployments run as Docker containers")
def step_given_docker(mlops_session: MlopsSession) -> None:
    """`MLOPS_DOCKER=require` for the scenario's commands, once a daemon answers (docker_daemon_or_skip)."""
    docker_daemon_or_skip()
    mlops_session.env["MLOPS_DOCKER"] = "require"


@then(step('environment "{name}" is a Docker image of model "{model}" version {version:d}'))
def step_package_image(mlops_session: MlopsSession, name: str, model: str, version: str) -> None:
    """The latest version of a package environment (`az ml model package`) was built (or reused by its
    context digest) as an image that the daemon has, labelled with the model."""
    import docker

    shown = run_az(mlops_session, "ml", "environment", "show", "-n", name, "--label", "latest", "-o", "json")
    assert shown.returncode == 0, shown.stderr
    package = json.loads(shown.stdout)["package"]
    assert package["image_built"] is True and package["model"] == f"{model}:{version}", package
    assert package["hadolint"]["status"] == "clean", package["hadolint"]
    labels = docker.from_env(timeout=10).images.get(package["image_id"]).labels
    assert labels["org.mlops-emulator.context-digest"] == package["digest"], labels


@then(step('endpoint "{name}" is served by a container of model "{model}" version {version:d}'))
def step_endpoint_in_container(mlops_session: MlopsSession, name: str, model: str, version: str) -> None:
    """Every deployment of the endpoint runs as a running container (host network) of an image labelled
    with the model, and `az ml online-deployment get-logs` returns that container's log."""
    import docker

    client = docker.from_env(timeout=10)
    names = run_az(
        mlops_session, "ml", "online-deployment", "list", "-e", name, "--query", "[].name", "-o", "json"
    )
    assert names.returncode == 0, names.stderr
    for deployment in json.loads(names.stdout):
        shown = run_az(
            mlops_session, "ml", "online-deployment", "show", "-e", name, "-n", deployment, "-o", "json"
        )
        local = json.loads(shown.stdout)["emulator"]
        assert local["mode"] == "container" and local["running"], local
        container = client.containers.get(local["container_id"])
        assert container.status == "running" and container.attrs["HostConfig"]["NetworkMode"] == "host"
        labels = client.images.get(local["image_id"]).labels
        assert labels["org.mlops-emulator.model-name"] == model, labels
        assert labels["org.mlops-emulator.model-version"] == str(version), labels
        logs = run_az(
            mlops_session, "ml", "online-deployment", "get-logs", "-e", name, "-n", deployment, "-o", "tsv"
        )
        assert logs.returncode == 0 and "Users's init has completed successfully" in logs.stdout, logs.stderr
