"""Issue 15 #7: `kill -9` of `mlops` while a step runs `az ml model create` left the orphaned call to
register v1, and the resumed step registered v2, both tagged build=1.

Now an `az` whose runner is gone does nothing (and one running when the runner dies stops), and a
step's registration is idempotent across the attempts of its job: a resumed step that registers the
same files under the same name gets the version its interrupted attempt registered.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest

from .azureml_support import Workspace, alive, make_workspace, wait_for

pytestmark = pytest.mark.integration  # runs `mlops` and `az` in subprocesses, with MLflow

PIPELINE = """\
steps:
- checkout: none
- bash: |
    echo "$$" > "$MARK"
    sleep "$PAUSE"
    az configure --defaults group=rg-test workspace=ws-test
    az ml model create -n credit -p "$MODEL" --tags build=$(Build.BuildId)
  displayName: register the model
"""


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    workspace = make_workspace(tmp_path)
    model = workspace.repo / "model"
    model.mkdir()
    (model / "weights.txt").write_text("0.25 0.75\n")
    (workspace.repo / "pipeline.yml").write_text(PIPELINE)
    return workspace


def versions(ws: Workspace, env: dict[str, str] | None = None) -> list[dict[str, str]]:
    listed = ws.az("ml", "model", "list", "-n", "credit", env=env) or []
    return [{"version": str(m["version"]), **m["tags"]} for m in listed]


def test_a_resumed_step_registers_its_model_once(ws: Workspace, tmp_path: Path) -> None:
    mark = tmp_path / "step.pid"
    env = ws.env(MARK=str(mark), PAUSE="3", MODEL=str(ws.repo / "model"))
    run = ws.mlops("run", "pipeline.yml", "-q", env=env)
    wait_for(mark.exists, 60, "the step to start")
    os.kill(run.pid, signal.SIGKILL)
    run.wait()
    orphan = int(mark.read_text())
    wait_for(lambda: not alive(orphan), 60, "the orphaned step to end")  # it called az meanwhile

    resumed = ws.mlops("resume", ws.last_run(), "-q", env={**env, "PAUSE": "0"})
    out, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, out + err
    assert versions(ws) == [{"version": "1", "build": "1"}]


def test_registration_is_idempotent_across_the_attempts_of_a_step(ws: Workspace) -> None:
    ws.az_here("configure", "--defaults", "group=rg-test", "workspace=ws-test")
    model = str(ws.repo / "model")

    def register(attempt: str, path: str = model) -> str:
        step = {"MLOPS_RUN_ID": "7", "MLOPS_STEP": "7/Train/Register/2", "MLOPS_STEP_ATTEMPT": attempt}
        return str(ws.az_here("ml", "model", "create", "-n", "credit", "-p", path, **step)["version"])

    assert register("1") == "1"
    assert register("2") == "1"  # the resumed attempt finds what the interrupted one registered
    assert register("2") == "2"  # within one attempt, a second call registers again, as Azure does
    other = ws.repo / "retrained"
    other.mkdir()
    (other / "weights.txt").write_text("0.5 0.5\n")
    assert register("3", str(other)) == "3"  # other files are another model
    assert ws.az_here("ml", "model", "create", "-n", "credit", "-p", model)["version"] == "4"  # no step
