"""Docker@2 with the local daemon [DOC tasks/reference/docker-v2.md]: build (host network), the push
that cannot happen here said out loud, and a clear failure without a daemon."""

from __future__ import annotations

import os
import subprocess
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest

from emulator.errors import Location, PipelineError
from emulator.runtime.process import ProcessResult
from emulator.tasks.base import StepContext
from emulator.tasks.docker import docker
from emulator.testing.steps import docker_daemon_or_skip

pytestmark = pytest.mark.integration  # the docker client, and a daemon where one runs


def _context(tmp_path: Path, inputs: dict[str, str], env: Mapping[str, str], lines: list[str]) -> StepContext:
    def run(argv: Sequence[str], cwd: Path, run_env: Mapping[str, str]) -> ProcessResult:
        proc = subprocess.run(list(argv), cwd=cwd, env=dict(run_env), capture_output=True, text=True)
        lines.extend((proc.stdout + proc.stderr).splitlines())
        return ProcessResult(proc.returncode, False, False, bool(proc.stderr))

    return StepContext(
        task="Docker@2",
        inputs=inputs,
        env=env,
        sources_dir=tmp_path,
        temp_dir=tmp_path / "_temp",
        pipeline_workspace=tmp_path,
        artifacts_dir=tmp_path / "a",
        location=Location("p.yml", 3, 3),
        run=run,
        log=lines.append,
        emit=lines.append,
        variables={"build.buildid": "7"},
    )


def test_without_a_daemon_the_step_fails_saying_how_to_start_one(tmp_path: Path) -> None:
    env = {**os.environ, "DOCKER_HOST": f"unix://{tmp_path}/no.sock"}
    with pytest.raises(PipelineError) as err:
        docker(_context(tmp_path, {"command": "build", "repository": "x"}, env, []))
    assert "needs a Docker daemon and none answers" in err.value.message
    assert "dockerd --bridge=none" in (err.value.hint or "")


def test_login_has_nothing_to_reach_and_an_unknown_command_is_named(tmp_path: Path) -> None:
    lines: list[str] = []
    assert docker(_context(tmp_path, {"command": "login"}, os.environ, lines)).result == "succeeded"
    with pytest.raises(PipelineError, match="command 'deploy' is not valid"):
        docker(_context(tmp_path, {"command": "deploy"}, os.environ, lines))


@pytest.mark.docker
def test_build_and_push_builds_with_the_local_daemon_and_keeps_the_image(tmp_path: Path) -> None:
    docker_daemon_or_skip()
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "Dockerfile").write_text("FROM scratch\nCOPY hello.txt /hello.txt\n")
    (tmp_path / "app" / "hello.txt").write_text("hello\n")
    repository = f"mlops-test-docker-task-{uuid.uuid4().hex[:8]}"
    lines: list[str] = []
    inputs = {"repository": repository, "tags": "v1\nlatest"}  # command defaults to buildAndPush
    try:
        outcome = docker(_context(tmp_path, inputs, os.environ, lines))
        assert outcome.result == "succeededWithIssues", lines
        assert "Not pushed: no container registry is reachable" in (outcome.message or "")
        listed = subprocess.run(
            ["docker", "image", "ls", repository, "--format", "{{.Tag}}"],
            capture_output=True,
            text=True,
            check=True,
        )
        assert sorted(listed.stdout.split()) == ["latest", "v1"]
    finally:
        for tag in ("v1", "latest"):
            subprocess.run(["docker", "rmi", "-f", f"{repository}:{tag}"], capture_output=True)
