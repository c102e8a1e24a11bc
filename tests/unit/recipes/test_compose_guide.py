"""docs/compose.md works as written: its pipeline expands, and its error example is what users get."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from emulator.errors import MlopsError
from emulator.runner import compile_pipeline
from emulator.yamlio import plain

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

REPO_ROOT = Path(__file__).resolve().parents[3]
GUIDE = (REPO_ROOT / "docs" / "compose.md").read_text(encoding="utf-8")


def _pipeline_text() -> str:
    section = GUIDE.split("## 2. Write the pipeline", 1)[1]
    match = re.search(r"```yaml\n(.*?)```", section, re.S)
    assert match, "no YAML block in section 2 of docs/compose.md"
    return match.group(1)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A new user's repository: the recipes and mlops_pipelines/ of this one, plus the guide's pipeline."""
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, capture_output=True)
    shutil.copytree(REPO_ROOT / "recipes", tmp_path / "recipes")
    shutil.copytree(REPO_ROOT / "mlops_pipelines", tmp_path / "mlops_pipelines")
    (tmp_path / "mlops_pipelines" / "MyFirstPipeline.yml").write_text(_pipeline_text())
    return tmp_path


def test_the_guides_pipeline_expands_as_its_feature_says(repo: Path) -> None:
    compiled = compile_pipeline(repo / "mlops_pipelines" / "MyFirstPipeline.yml")
    stages = {s["stage"]: s for s in plain(compiled.document)["stages"]}
    assert list(stages) == ["ValidateData", "Training", "Evaluate", "Register", "DeployTest"]
    assert stages["Register"]["dependsOn"] == ["Training", "Evaluate"]
    assert "Evaluate.evaluate.promote" in stages["Register"]["condition"]
    assert stages["Register"]["jobs"][0]["environment"] in ("test", {"name": "test"})
    assert 'stages "ValidateData, Training, Evaluate, Register, DeployTest"' in GUIDE


def test_the_guides_error_example_is_the_real_one(repo: Path) -> None:
    path = repo / "mlops_pipelines" / "MyFirstPipeline.yml"
    path.write_text(path.read_text().replace("minImprovement: 0.005", "minImprovement: -1"))
    with pytest.raises(MlopsError) as caught:
        compile_pipeline(path)
    where = caught.value.location
    assert where is not None
    shown = f"{Path(where.file).name}:{where.line}:{where.col}"
    documented = re.search(r"error: mlops_pipelines/(MyFirstPipeline\.yml:\d+:\d+): (.*)", GUIDE)
    assert documented, "no error example in docs/compose.md"
    assert shown == documented.group(1)
    assert caught.value.message == documented.group(2)
