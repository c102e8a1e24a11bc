"""emulator.recipes: listing, showing and checking the recipe library, and its catalogue."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from emulator import recipes
from emulator.recipes import Problem, RecipeError

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

EXPECTED = {
    "aml-cli-setup", "train", "register-model", "package-model", "deploy-online", "smoke-test",
    "approval-gate", "provision-workspace", "provision-compute", "code-quality", "validate-data",
    "evaluate-model", "safe-rollout", "batch-score", "teardown", "manual-validation",
}  # fmt: skip


def test_the_library_has_the_recipes(repo_root: Path) -> None:
    found = {r.name for r in recipes.list_recipes(repo_root)}
    assert EXPECTED <= found
    assert len(found) >= 14


def test_the_library_is_consistent(repo_root: Path) -> None:
    """Template and schema agree, every recipe has its README and feature, composed pipelines expand."""
    assert [str(p) for p in recipes.check(repo_root)] == []


def test_the_committed_catalogue_is_the_generated_one(repo_root: Path) -> None:
    committed = (repo_root / "recipes" / "README.md").read_text(encoding="utf-8")
    assert committed == recipes.catalogue(repo_root), (
        "recipes/README.md is out of date: regenerate it with "
        "python -c 'from pathlib import Path; from emulator.recipes import catalogue; "
        'Path("recipes/README.md").write_text(catalogue(Path(".")))\''
    )


def test_the_catalogue_lists_every_recipe_and_parameter(repo_root: Path) -> None:
    text = recipes.catalogue(repo_root)
    for recipe in recipes.list_recipes(repo_root):
        assert f"## `{recipe.name}`" in text
        for parameter in recipe.parameters:
            assert f"| `{parameter.name}` |" in text


def test_kinds_and_required_parameters(repo_root: Path) -> None:
    by_name = {r.name: r for r in recipes.list_recipes(repo_root)}
    assert by_name["smoke-test"].kind == "steps"
    assert by_name["safe-rollout"].kind == "stages"
    assert [p.name for p in by_name["approval-gate"].parameters if p.required] == ["environment"]
    direction = by_name["evaluate-model"].parameter("direction")
    assert direction is not None and direction.values == ("higherIsBetter", "lowerIsBetter")
    assert direction.default == "higherIsBetter"


def test_show_describes_one_recipe(repo_root: Path) -> None:
    text = recipes.show(repo_root, "safe-rollout")
    assert text.startswith("safe-rollout (stages template)")
    assert "trafficSteps" in text and "default [10, 50, 100]" in text
    assert "features/safe_rollout.feature" in text
    assert "- template: recipes/safe-rollout/template.yml" in text
    assert "endpointName: credit-prod" in text  # the schema's example for a required parameter


def test_show_an_unknown_recipe_suggests_a_name(repo_root: Path) -> None:
    with pytest.raises(RecipeError) as caught:
        recipes.show(repo_root, "safe-rolout")
    assert "No recipe 'safe-rolout'" in caught.value.message
    assert caught.value.hint == "did you mean 'safe-rollout'?"


def test_format_list_and_problems(repo_root: Path) -> None:
    listing = recipes.format_list(recipes.list_recipes(repo_root))
    assert listing.splitlines()[0].startswith("aml-cli-setup")
    assert recipes.format_problems([]) == "✔ the recipe library is consistent\n"
    text = recipes.format_problems([Problem("recipes/x/schema.json", "bad"), Problem("a.yml:1", "worse")])
    assert text == "recipes/x/schema.json: bad\na.yml:1: worse\n✘ 2 problem(s)\n"


# ---- a broken library: every kind of disagreement is reported --------------------------------------
TEMPLATE = """# Recipe demo (stage): say hello.
parameters:
- name: greeting
  type: string
- name: times
  type: number
  default: 2
- name: mode
  type: string
  default: loud
  values: [loud, quiet]
- name: targets
  type: object
  default: []
stages:
- stage: Demo
  jobs:
  - job: Demo
    steps:
    - script: echo ${{ parameters.greeting }}
"""


def _schema() -> dict[str, object]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "demo",
        "description": "Say hello.",
        "type": "object",
        "additionalProperties": False,
        "required": ["greeting"],
        "properties": {
            "greeting": {"description": "What to say.", "type": "string", "examples": ["hi"]},
            "times": {
                "description": "How often.",
                "type": "integer",
                "minimum": 1,
                "default": 2,
                "examples": [2],
            },
            "mode": {
                "description": "How.",
                "type": "string",
                "enum": ["loud", "quiet"],
                "default": "loud",
                "examples": ["quiet"],
            },
            "targets": {
                "description": "Whom.",
                "type": "array",
                "items": {"type": "string"},
                "default": [],
                "examples": [["you"]],
            },
        },
    }


@pytest.fixture
def library(tmp_path: Path) -> Path:
    """A repository with one consistent recipe `demo` (README, feature) and no composed pipelines.

    It is a git work tree of its own, as the template engine finds a repository's root with git.
    """
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True, capture_output=True)
    folder = tmp_path / "recipes" / "demo"
    folder.mkdir(parents=True)
    (folder / "template.yml").write_text(TEMPLATE)
    (folder / "schema.json").write_text(json.dumps(_schema()))
    recipe = recipes.list_recipes(tmp_path)[0]
    (folder / "README.md").write_text(
        f"# demo\n\n## Parameters\n\n{recipes.parameters_table(recipe)}\n\n## Example\n\n...\n"
    )
    (tmp_path / "features").mkdir()
    (tmp_path / "features" / "demo.feature").write_text("Feature: demo\n")
    return tmp_path


def _messages(root: Path) -> list[str]:
    return [p.message for p in recipes.check(root)]


def _edit_schema(root: Path, change: dict[str, object]) -> None:
    path = root / "recipes" / "demo" / "schema.json"
    schema = json.loads(path.read_text())
    for key, value in change.items():
        target = schema
        *parents, last = key.split(".")
        for part in parents:
            target = target[part]
        if value is None:
            del target[last]
        else:
            target[last] = value
    path.write_text(json.dumps(schema))


def test_a_consistent_recipe_has_no_problems(library: Path) -> None:
    assert _messages(library) == []


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"properties.times": None}, "parameter 'times' of template.yml is not in the schema's properties"),
        (
            {"properties.extra": {"type": "string", "description": "x", "examples": ["x"]}},
            "property 'extra' is not a parameter of template.yml",
        ),
        ({"properties.times.type": "string"}, "schema type string cannot describe a template number"),
        ({"properties.mode.enum": ["loud", "silent"]}, "enum ['loud', 'silent'] differs from values"),
        ({"properties.mode.enum": None}, "'mode' has values: in template.yml but no enum"),
        ({"properties.times.minimum": 5}, "the default 2 is not valid: 2 is less than the minimum of 5"),
        ({"properties.times.default": 3}, "schema default 3 differs from the template's 2"),
        ({"required": []}, "'greeting' has no default in template.yml but is not required"),
        ({"required": ["greeting", "times"]}, "'times' is required in the schema but has a default"),
        ({"properties.greeting.description": None}, "parameter 'greeting': no description"),
        ({"properties.greeting.examples": None}, "parameter 'greeting': no examples"),
        ({"properties.targets.examples": [[1]]}, "parameter 'targets': the example [1] is not valid"),
        ({"additionalProperties": None}, "additionalProperties must be false"),
        ({"$schema": "http://json-schema.org/draft-07/schema#"}, "$schema must be"),
        ({"description": None}, "no description: say what the recipe does"),
    ],
)
def test_disagreements_between_template_and_schema_are_reported(
    library: Path, change: dict[str, object], expected: str
) -> None:
    _edit_schema(library, change)
    messages = _messages(library)
    assert any(expected in m for m in messages), messages


def test_a_parameter_added_to_the_template_only_is_reported_with_the_stale_readme(library: Path) -> None:
    path = library / "recipes" / "demo" / "template.yml"
    extra = "- name: color\n  type: string\n  default: red\nstages:"
    path.write_text(path.read_text().replace("stages:", extra))
    messages = _messages(library)
    assert "parameter 'color' of template.yml is not in the schema's properties" in messages
    assert any("parameters table is not the one the schema gives" in m for m in messages)


def test_missing_files_are_reported(library: Path) -> None:
    (library / "recipes" / "demo" / "README.md").unlink()
    (library / "features" / "demo.feature").unlink()
    where = {str(p) for p in recipes.check(library)}
    assert any(w.startswith("recipes/demo/README.md: missing") for w in where), where
    assert any(w.startswith("features/demo.feature: missing") for w in where), where


def test_unreadable_schema_and_legacy_parameters_are_reported(library: Path) -> None:
    (library / "recipes" / "demo" / "schema.json").write_text("{ not json")
    path = library / "recipes" / "demo" / "template.yml"
    path.write_text(path.read_text().split("parameters:")[0] + "parameters:\n  greeting: hi\nstages: []\n")
    problems = [str(p) for p in recipes.check(library)]
    assert any(p.startswith("recipes/demo/schema.json:1:3: not JSON") for p in problems), problems
    assert any("typed form" in p for p in problems), problems


def test_a_composed_pipeline_that_does_not_expand_is_reported_at_its_line(library: Path) -> None:
    pipelines = library / "mlops_pipelines"
    pipelines.mkdir()
    (pipelines / "environments.yml").write_text("environments: {}\n")  # not a pipeline: skipped
    (pipelines / "Good.yml").write_text(
        "stages:\n- template: ../recipes/demo/template.yml\n  parameters:\n    greeting: hi\n"
    )
    (pipelines / "Bad.yml").write_text(
        "stages:\n- template: ../recipes/demo/template.yml\n  parameters:\n    greeting: hi\n    times: 0\n"
    )
    problems = recipes.check(library)
    assert [p.where.split("mlops_pipelines/")[-1] for p in problems] == ["Bad.yml:5:12"]
    assert "Invalid parameter 'times': 0 is less than the minimum of 1" in problems[0].message
    assert [p.name for p in recipes.composed_pipelines(library)] == ["Bad.yml", "Good.yml"]


def test_copying_a_recipe_keeps_it_consistent(library: Path, repo_root: Path) -> None:
    """A team can copy a recipe folder into its own repository: the check needs nothing else."""
    shutil.copytree(repo_root / "recipes" / "approval-gate", library / "recipes" / "approval-gate")
    (library / "features" / "approval_gate.feature").write_text("Feature: copied\n")
    assert _messages(library) == []
