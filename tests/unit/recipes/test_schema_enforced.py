"""Every recipe's schema.json is enforced at expansion, with the error at the caller's line.

Each recipe is called from a pipeline in *another* repository (the way teams consume the library on
Azure DevOps: `resources.repositories` + `template: recipes/<name>/template.yml@lib`), first with its
required parameters set to the schema's own examples (it must expand), then with one value that breaks
a constraint of the schema (it must fail, located at that value's line in the caller's file).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from emulator import recipes
from emulator.errors import MlopsError
from emulator.runner import compile_pipeline

REPO_ROOT = Path(__file__).resolve().parents[3]
RECIPES = recipes.list_recipes(REPO_ROOT)


def _example(param: recipes.Parameter) -> Any:
    examples = param.schema.get("examples") or []
    return examples[0]


def _violation(recipe: recipes.Recipe) -> tuple[str, Any]:
    """A parameter and a value its schema rejects (the template's own type checks would accept it)."""
    for p in recipe.parameters:
        s = p.schema
        if p.type == "string" and s.get("minLength", 0) >= 1:
            return p.name, ""
        if p.type == "string" and "pattern" in s:
            return p.name, "not a valid value!"
        if p.type == "number" and "minimum" in s:
            return p.name, s["minimum"] - 1
        if p.type == "number" and "exclusiveMinimum" in s:
            return p.name, s["exclusiveMinimum"]
        if s.get("type") == "array" and s.get("minItems", 0) >= 1:
            return p.name, []
    raise AssertionError(f"{recipe.name}: no constrained parameter to break")


def _caller(tmp_path: Path, recipe: recipes.Recipe, parameters: dict[str, Any]) -> Path:
    lines = [
        "resources:",
        "  repositories:",
        "  - repository: lib",
        "    type: git",
        "    name: platform/mlops-recipes",
    ]
    body: dict[str, Any] = {"template": f"recipes/{recipe.name}/template.yml@lib"}
    if parameters:
        body["parameters"] = parameters
    if recipe.kind == "steps":
        document = {"steps": [body]}
    else:
        document = {recipe.kind: [body]}
    text = "\n".join(lines) + "\n" + yaml.safe_dump(document, sort_keys=False, width=1000)
    path = tmp_path / "caller.yml"
    path.write_text(text)
    return path


def _required(recipe: recipes.Recipe) -> dict[str, Any]:
    return {p.name: _example(p) for p in recipe.parameters if p.required}


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.name for r in RECIPES])
def test_the_required_parameters_with_the_schema_examples_expand(
    recipe: recipes.Recipe, tmp_path: Path
) -> None:
    caller = _caller(tmp_path, recipe, _required(recipe))
    compile_pipeline(caller, {}, {"lib": REPO_ROOT})


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.name for r in RECIPES])
def test_a_value_the_schema_rejects_is_reported_at_the_callers_line(
    recipe: recipes.Recipe, tmp_path: Path
) -> None:
    name, bad = _violation(recipe)
    parameters = {**_required(recipe), name: bad}
    caller = _caller(tmp_path, recipe, parameters)
    with pytest.raises(MlopsError) as caught:
        compile_pipeline(caller, {}, {"lib": REPO_ROOT})
    error = caught.value
    assert error.message.startswith(f"Invalid parameter '{name}'"), error.render()
    assert error.location is not None and Path(error.location.file).name == "caller.yml", error.render()
    lines = caller.read_text().splitlines()
    line = next(i for i, text in enumerate(lines, 1) if text.strip().startswith(f"{name}:"))
    assert error.location.line == line, error.render()
    assert error.hint == f"see {recipe.schema_path}"


@pytest.mark.parametrize("recipe", RECIPES, ids=[r.name for r in RECIPES])
def test_an_unknown_parameter_is_refused(recipe: recipes.Recipe, tmp_path: Path) -> None:
    caller = _caller(tmp_path, recipe, {**_required(recipe), "colour": "blue"})
    with pytest.raises(MlopsError, match="Unexpected parameter 'colour'"):
        compile_pipeline(caller, {}, {"lib": REPO_ROOT})


@pytest.mark.parametrize(
    "recipe",
    [r for r in RECIPES if any(p.required for p in r.parameters)],
    ids=[r.name for r in RECIPES if any(p.required for p in r.parameters)],
)
def test_a_missing_required_parameter_is_refused_at_the_template_reference(
    recipe: recipes.Recipe, tmp_path: Path
) -> None:
    required = _required(recipe)
    missing = next(iter(required))
    del required[missing]
    caller = _caller(tmp_path, recipe, required)
    with pytest.raises(MlopsError) as caught:
        compile_pipeline(caller, {}, {"lib": REPO_ROOT})
    assert caught.value.message == f"A value for the '{missing}' parameter must be provided."
    assert caught.value.location is not None and caught.value.location.line == 7  # the `- template:` line
