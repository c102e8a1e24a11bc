"""The package as an outside user gets it: a wheel of this checkout in a fresh venv, without extras.

Done when an unrelated project's pytest still runs after `pip install` of the wheel: the pytest plugin
must not break it (and loads the step library only once pytest-bdd is there); `mlops --version`,
`expand` and `validate` work; `az ml` names the extra it needs; `mlops recipes path` points at the
recipes the wheel carries; `mlops report` renders its page from the templates the wheel carries.
One wheel and one venv per module (pip's cache serves the dependencies): about 20 s on two cores with
a warm cache.
"""

from __future__ import annotations

import html
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
INSTALL_AZUREML = "pip install 'mlops-recipes-emulator[azureml]'"
PIPELINE = """\
resources:
  repositories:
  - repository: recipes
    type: git
    name: platform/mlops-recipes
stages:
- stage: Build
  jobs:
  - job: Compile
    steps:
    - script: echo compiled
    - task: AzureCLI@2
      inputs:
        azureSubscription: aml
        scriptType: bash
        scriptLocation: inlineScript
        inlineScript: az ml job create --file job.yml
- template: recipes/approval-gate/template.yml@recipes
  parameters:
    environment: production
"""
FEATURE = """\
Feature: the step library from the wheel
  Scenario: the pipeline validates and expands
    When I validate the pipeline "pipeline.yml"
    Then the command succeeds
    When the pipeline "pipeline.yml" is expanded
    Then the expanded pipeline has the stages "Build, Approval"

  Scenario: az ml needs the azureml extra
    When I run az "ml job list -g g -w w"
    Then the command fails with a bad-input error mentioning "needs the 'azureml' extra"
"""

BUILD = """\
steps:
- script: echo "<b>built</b>"
  displayName: Build <it>
"""


@dataclass(frozen=True)
class Outside:
    """The fresh venv holding the wheel, and an unrelated project beside it."""

    venv: Path
    project: Path

    def run(self, *args: str | Path, check: bool = True) -> subprocess.CompletedProcess[str]:
        """A command of the venv (`mlops`, `python`…) in the project, with none of this checkout's paths."""
        own = ("PYTHON", "MLOPS_", "MLFLOW_", "PYTEST")  # this test session's settings stay here
        env = {k: v for k, v in os.environ.items() if not k.startswith(own)}
        env.update(
            MLOPS_HOME=str(self.project / ".mlops"),
            MLFLOW_DISABLE_TELEMETRY="true",
            PATH=f"{self.venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        )
        command = [str(self.venv / "bin" / str(args[0])), *map(str, args[1:])]
        done = subprocess.run(command, cwd=self.project, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0 or not check, f"{command}: {done.returncode}\n{done.stdout}{done.stderr}"
        return done


def _pip(venv: Path, *args: str | Path) -> None:
    """This interpreter's pip acting on the venv (the venv needs no pip of its own)."""
    command: Sequence[str | Path] = [
        sys.executable,
        "-m",
        "pip",
        "--python",
        venv / "bin" / "python",
        "--disable-pip-version-check",
        *args,
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, f"pip {' '.join(map(str, args))}:\n{done.stdout}\n{done.stderr}"


@pytest.fixture(scope="module")
def outside(tmp_path_factory: pytest.TempPathFactory) -> Outside:
    work = tmp_path_factory.mktemp("outside")
    source = work / "source"  # a clean copy: no stale build/ of the checkout can slip into the wheel
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info")
    for name in ("emulator", "recipes"):
        shutil.copytree(REPO / name, source / name, ignore=ignore)
    (source / "features").mkdir()
    for feature in (REPO / "features").glob("*.feature"):
        shutil.copy2(feature, source / "features")
    for name in ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md"):
        shutil.copy2(REPO / name, source)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", work / "dist", source],
        check=True,
        capture_output=True,
        text=True,
        timeout=600,
    )
    (wheel,) = (work / "dist").glob("mlops_recipes_emulator-*.whl")
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", venv], check=True, timeout=120)
    _pip(venv, "install", "-q", wheel, "pytest")
    project = work / "project"
    (project / "tests").mkdir(parents=True)
    (project / "tests" / "test_arithmetic.py").write_text("def test_adds():\n    assert 1 + 1 == 2\n")
    (project / "pipeline.yml").write_text(PIPELINE)
    (project / "environments.yml").write_text(
        "environments:\n  production:\n    checks:\n    - type: approval\n      approvers: [carol]\n"
    )
    (project / "job.yml").write_text("command: echo hi\nenvironment: azureml:env@latest\n")
    installed = Outside(venv, project)
    # what a user does once: the stand-ins of what Azure keeps outside YAML, with the recipes' folder
    library = installed.run("mlops", "recipes", "path").stdout.strip()
    installed.run("mlops", "init", "pipeline.yml", "--repo", f"recipes={library}")
    return installed


def test_the_package_comes_from_the_wheel_without_extras(outside: Outside) -> None:
    where = outside.run("python", "-c", "import emulator; print(emulator.__file__)").stdout
    assert str(outside.venv) in where and "site-packages" in where
    names = "print(sorted(d.metadata['Name'].lower() for d in importlib.metadata.distributions()))"
    installed = outside.run("python", "-c", f"import importlib.metadata; {names}").stdout
    assert "'mlops-recipes-emulator'" in installed and "'pyyaml'" in installed
    for extra in ("azure-ai-ml", "mlflow", "docker", "cairosvg", "pytest-bdd", "scikit-learn", "pandas"):
        assert f"'{extra}'" not in installed, extra


def test_an_unrelated_projects_pytest_runs_with_the_plugin_then_with_the_steps(outside: Outside) -> None:
    plain = outside.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert "1 passed" in plain.stdout and "error" not in plain.stdout.lower()
    fixtures = outside.run("python", "-m", "pytest", "--fixtures", "-p", "no:cacheprovider").stdout
    assert "mlops_home" in fixtures  # the plugin is active ...
    assert "mlops_session" not in fixtures  # ... without the step library, since pytest-bdd is absent

    _pip(outside.venv, "install", "-q", "pytest-bdd")
    (outside.project / "tests" / "pipeline.feature").write_text(FEATURE)
    (outside.project / "tests" / "test_pipeline.py").write_text(
        "from pytest_bdd import scenarios\n\nscenarios('pipeline.feature')\n"
    )
    with_steps = outside.run("python", "-m", "pytest", "-q", "-p", "no:cacheprovider")
    assert "3 passed" in with_steps.stdout, with_steps.stdout[-3000:]


def test_mlops_expands_and_validates_a_pipeline_with_the_shipped_recipes(outside: Outside) -> None:
    assert outside.run("mlops", "--version").stdout.startswith("mlops ")
    library = Path(outside.run("mlops", "recipes", "path").stdout.strip())
    assert library.is_relative_to(outside.venv) and library.name == "recipe_library"
    shipped = {p.parent.name for p in library.glob("recipes/*/template.yml")}
    assert shipped == {p.parent.name for p in (REPO / "recipes").glob("*/template.yml")}
    assert (library / "features" / "approval_gate.feature").is_file()
    assert outside.run("mlops", "recipes", "check").stdout == "✔ the recipe library is consistent\n"
    assert "approval-gate" in outside.run("mlops", "recipes", "list").stdout

    repo = f"recipes={library}"
    expanded = outside.run("mlops", "expand", "pipeline.yml", "--repo", repo).stdout
    assert "- stage: Approval" in expanded and "name: production" in expanded
    validated = outside.run("mlops", "validate", "pipeline.yml", "--repo", repo)
    assert "pipeline.yml is valid: 2 stages" in validated.stdout
    # without azure-ai-ml the Azure ML YAML is not checked, and the warning says what to install
    assert "1 Azure ML YAML file(s) not checked: azure-ai-ml is not installed" in validated.stderr
    assert INSTALL_AZUREML in validated.stderr


def test_az_ml_names_the_extra_it_needs(outside: Outside) -> None:
    done = outside.run(
        "python", "-m", "emulator.azureml", "ml", "job", "list", "-g", "g", "-w", "w", check=False
    )
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr == (
        "ERROR: az ml needs the 'azureml' extra: azure-ai-ml, mlflow, aiohttp are not "
        f"installed\nhint: {INSTALL_AZUREML}\n"
    )


def test_mlops_report_renders_from_the_wheel_and_names_the_mlflow_extra(outside: Outside) -> None:
    (outside.project / "build.yml").write_text(BUILD)
    run = json.loads(outside.run("mlops", "run", "build.yml", "--as", "dev", "--json").stdout)
    # an MLflow store left by a full install: without the azureml extra the page says what to install
    (outside.project / ".mlops" / "mlflow.db").touch()
    outside.run("mlops", "report", run["id"], "-o", "report.html")
    page = (outside.project / "report.html").read_text(encoding="utf-8")
    for section in ("graph", "timeline", "steps", "model"):
        assert f'<section id="{section}">' in page, section
    assert "Build &lt;it&gt;" in page and "&lt;b&gt;built&lt;/b&gt;" in page and "<b>built" not in page
    assert f"needs the 'azureml' extra: mlflow is not installed ({INSTALL_AZUREML})" in html.unescape(page)
