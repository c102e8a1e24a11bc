"""`mlops expand` prints the service's final YAML (shortcuts as the task ids it gives them, pool at the
root of a stages pipeline kept there), `--readable` the emulator's own form; `mlops validate` rejects a
misspelt task input and lists the tasks without local behaviour."""

from __future__ import annotations

from pathlib import Path

import pytest
from cli_helpers import mlops, write_project

pytestmark = pytest.mark.integration  # runs `mlops` in a subprocess

PIPELINE = """\
trigger: none
pool:
  vmImage: ubuntu-latest
stages:
- stage: Build
  jobs:
  - job: B
    steps:
    - checkout: self
    - task: ShellScript@2
      inputs:
        scriptPath: build.sh
        cwd: $(Build.SourcesDirectory)
    - publish: out
      artifact: drop
    - task: NuGetCommand@2
      inputs:
        command: restore
"""


def test_expand_prints_the_service_shape_and_readable_keeps_the_shortcuts(tmp_path: Path) -> None:
    pipe = write_project(tmp_path / "repo", PIPELINE, environments=None)
    out = mlops(["expand", str(pipe)], tmp_path / "home", tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("trigger:\n  enabled: false\npool:\n  vmImage: ubuntu-latest\nstages:")
    assert "task: 6d15af64-176c-496d-b583-fd2ae21d4df4@1" in out.stdout
    assert "task: ecdc45f6-832d-4ad9-b52b-ee49e94659be@1" in out.stdout and "artifactName: drop" in out.stdout
    readable = mlops(["expand", "--readable", str(pipe)], tmp_path / "home", tmp_path)
    assert "- checkout: self" in readable.stdout and "task: PublishPipelineArtifact@1" in readable.stdout


def test_validate_rejects_a_misspelt_input_and_names_tasks_without_local_behaviour(tmp_path: Path) -> None:
    pipe = write_project(tmp_path / "repo", PIPELINE, environments=None)
    ok = mlops(["validate", str(pipe)], tmp_path / "home", tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "no local behaviour" in ok.stdout and "NuGetCommand@2" in ok.stdout
    pipe.write_text(PIPELINE.replace("scriptPath:", "scriptPth:"), encoding="utf-8")
    bad = mlops(["validate", str(pipe)], tmp_path / "home", tmp_path)
    assert bad.returncode == 2
    assert "pipe.yml:12:9: Task ShellScript@2 has no input 'scriptPth'" in bad.stderr
    assert "did you mean 'scriptPath'?" in bad.stderr
    assert "Input required: scriptPath of task ShellScript@2" in bad.stderr
    assert "Traceback" not in bad.stderr
