"""The recipe library: what `recipes/` holds, whether it is consistent, and its catalogue.

A recipe is a folder `recipes/<name>/` with `template.yml` (an Azure Pipelines stages/jobs/steps
template with typed `parameters:`), `schema.json` (JSON Schema 2020-12 of the same parameters),
`README.md`, and a Gherkin spec `features/<name>.feature` (dashes may be underscores).

- `list_recipes(root)`: the recipes, parameters read the way the template engine reads them;
- `show(root, name)`: one recipe as text (what it does, files, parameters, an example);
- `check(root)`: every disagreement between a template and its schema, missing files, README tables
  out of date, and composed pipelines (`mlops_pipelines/*.yml`) that do not expand;
- `catalogue(root)`: `recipes/README.md`, generated from the schemas;
- `parameters_table(recipe)`: the table every recipe README carries under "## Parameters";
- `library_root()`: the recipe repository this installation carries (`mlops recipes path`).

Pure library: nothing is printed; `mlops recipes list|show|check` renders what these return.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import Location, MlopsError, did_you_mean

__all__ = [
    "Parameter",
    "Problem",
    "Recipe",
    "RecipeError",
    "catalogue",
    "check",
    "composed_pipelines",
    "example",
    "format_list",
    "format_problems",
    "is_pipeline",
    "library_root",
    "list_recipes",
    "parameters_table",
    "show",
]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
TEMPLATE_NAME = "template.yml"
SCHEMA_NAME = "schema.json"
README_NAME = "README.md"
CATALOGUE_NAME = "README.md"
NOT_PIPELINES = frozenset({"environments.yml", "service-connections.yml"})
PIPELINE_KEYS = ("stages", "jobs", "steps", "extends")
_KINDS = ("stages", "jobs", "steps", "variables")
# Template parameter type -> the JSON Schema types that can describe its values.
_JSON_TYPES: Mapping[str, frozenset[str]] = {
    "string": frozenset({"string"}),
    "number": frozenset({"number", "integer"}),
    "boolean": frozenset({"boolean"}),
    "object": frozenset({"array", "object", "string", "number", "integer", "boolean", "null"}),
    "legacyObject": frozenset({"array", "object", "string"}),
    "stringList": frozenset({"array"}),
    "step": frozenset({"object"}),
    "job": frozenset({"object"}),
    "deployment": frozenset({"object"}),
    "stage": frozenset({"object"}),
    "container": frozenset({"object"}),
    "stepList": frozenset({"array"}),
    "jobList": frozenset({"array"}),
    "deploymentList": frozenset({"array"}),
    "stageList": frozenset({"array"}),
    "containerList": frozenset({"array"}),
}
_GENERATED = (
    "<!-- Generated from recipes/*/schema.json by emulator.recipes.catalogue(); do not edit by hand. "
    "tests/unit/recipes checks that this file is up to date. -->"
)


class RecipeError(MlopsError):
    """A recipe that cannot be found or read."""


@dataclass(frozen=True)
class Parameter:
    """One declared parameter of a recipe, with what its schema says about it."""

    name: str
    type: str  # the template's type: string, number, boolean, object, stepList...
    default: Any
    has_default: bool
    values: tuple[Any, ...] | None
    description: str
    schema: Mapping[str, Any]

    @property
    def required(self) -> bool:
        return not self.has_default


@dataclass(frozen=True)
class Problem:
    """Something wrong in the library, located as precisely as known."""

    where: str
    message: str
    recipe: str | None = None

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class Recipe:
    """One recipe folder, read."""

    name: str
    folder: Path
    kind: str  # stages, jobs, steps or variables ('' when the template cannot be read)
    description: str
    parameters: tuple[Parameter, ...]
    schema: Mapping[str, Any]
    problems: tuple[Problem, ...] = field(default=())  # what stopped the template or schema from loading

    @property
    def template(self) -> Path:
        return self.folder / TEMPLATE_NAME

    @property
    def schema_path(self) -> Path:
        return self.folder / SCHEMA_NAME

    @property
    def readme(self) -> Path:
        return self.folder / README_NAME

    @property
    def summary(self) -> str:
        """The first sentence of the description."""
        text = self.description.strip()
        end = text.find(". ")
        return text if end < 0 else text[: end + 1]

    def feature(self, root: Path) -> Path | None:
        """`features/<name>.feature`, with dashes or underscores, if it exists."""
        for stem in (self.name, self.name.replace("-", "_")):
            path = root / "features" / f"{stem}.feature"
            if path.is_file():
                return path
        return None

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


# ---- reading ------------------------------------------------------------------------------------
def _rel(path: Path, root: Path) -> str:
    try:
        return str(path.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)


def _load_schema(path: Path, root: Path, name: str) -> tuple[dict[str, Any], list[Problem]]:
    where = _rel(path, root)
    if not path.is_file():
        return {}, [Problem(where, "missing: every recipe has a JSON Schema of its parameters", name)]
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        return {}, [Problem(where, f"cannot be read: {exc}", name)]
    except json.JSONDecodeError as exc:
        return {}, [Problem(f"{where}:{exc.lineno}:{exc.colno}", f"not JSON: {exc.msg}", name)]
    if not isinstance(data, dict):
        return {}, [Problem(where, "the schema must be a JSON object", name)]
    return data, []


def _load_recipe(folder: Path, root: Path) -> Recipe:
    from emulator.templates.parameters import parse_declarations
    from emulator.yamlio import load_file, plain

    name = folder.name
    schema, problems = _load_schema(folder / SCHEMA_NAME, root, name)
    properties = schema.get("properties") if isinstance(schema.get("properties"), dict) else {}
    assert isinstance(properties, dict)
    template = folder / TEMPLATE_NAME
    shown = _rel(template, root)
    kind, params = "", []
    try:
        document = load_file(template, shown)
        if not isinstance(document, dict):
            raise RecipeError("a template is a YAML mapping", Location(shown, 1, 1))
        kind = next((k for k in _KINDS if k in document), "")
        if not kind:
            problems.append(Problem(shown, f"the template has none of the keys {', '.join(_KINDS)}", name))
        declarations = parse_declarations(document.get("parameters"), Location(shown))
        if not declarations.typed:
            problems.append(
                Problem(shown, "parameters must be declared in the typed form (- name: x, type: ...)", name)
            )
        for spec in declarations.specs:
            prop = properties.get(spec.name)
            prop = prop if isinstance(prop, dict) else {}
            description = prop.get("description") if isinstance(prop.get("description"), str) else None
            params.append(
                Parameter(
                    name=spec.name,
                    type=spec.type,
                    default=plain(spec.default) if spec.has_default else None,
                    has_default=spec.has_default,
                    values=tuple(plain(v) for v in spec.values) if spec.values is not None else None,
                    description=description or spec.display_name or "",
                    schema=prop,
                )
            )
    except MlopsError as exc:
        problems.append(Problem(str(exc.location or shown), exc.message, name))
    description = schema.get("description")
    return Recipe(
        name=name,
        folder=folder,
        kind=kind,
        description=description if isinstance(description, str) else "",
        parameters=tuple(params),
        schema=schema,
        problems=tuple(problems),
    )


def library_root() -> Path:
    """The recipe repository this installation carries: `emulator/recipe_library/` of an installed wheel
    (setup.py copies the recipes and their specs there), else this checkout's root."""
    package = Path(__file__).resolve().parent
    for root in (package / "recipe_library", package.parent):
        if (root / "recipes").is_dir():
            return root
    raise RecipeError(
        f"This installation of mlops carries no recipes (looked in {package / 'recipe_library'})",
        hint="reinstall the package from its wheel, or pass --root to a checkout of the recipe repository",
    )


def list_recipes(root: Path) -> list[Recipe]:
    """Every `recipes/<name>/` folder that holds a template, by name."""
    base = root / "recipes"
    if not base.is_dir():
        return []
    return [_load_recipe(d, root) for d in sorted(base.iterdir()) if (d / TEMPLATE_NAME).is_file()]


def _find(root: Path, name: str) -> Recipe:
    recipes = list_recipes(root)
    for recipe in recipes:
        if recipe.name == name:
            return recipe
    names = [r.name for r in recipes]
    raise RecipeError(
        f"No recipe '{name}' in {root / 'recipes'}",
        expected="one of " + ", ".join(names) if names else "a folder recipes/<name>/ with a template.yml",
        hint=did_you_mean(name, names) or "mlops recipes list shows them all",
    )


# ---- text -----------------------------------------------------------------------------------------
def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _json_type(param: Parameter) -> str:
    kind = param.schema.get("type")
    if isinstance(kind, list):
        return " or ".join(str(k) for k in kind)
    if isinstance(kind, str):
        if kind == "array" and isinstance(param.schema.get("items"), dict):
            item = param.schema["items"].get("type")
            if isinstance(item, str):
                return f"array of {item}s"
        return kind
    return param.type


def parameters_table(recipe: Recipe) -> str:
    """The parameters as a Markdown table (what each recipe README carries under "## Parameters")."""
    lines = [
        "| name | type | required | default | description |",
        "| --- | --- | --- | --- | --- |",
    ]
    for p in recipe.parameters:
        default = f"`{_value(p.default)}`" if p.has_default else ""
        description = p.description
        enum = p.schema.get("enum")
        if isinstance(enum, list) and enum:
            description += " One of: " + ", ".join(f"`{v}`" for v in enum) + "."
        required = "yes" if p.required else "no"
        cells = [f"`{p.name}`", _json_type(p), required, _cell(default), _cell(description)]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _example_value(param: Parameter) -> Any:
    examples = param.schema.get("examples")
    if isinstance(examples, list) and examples:
        return examples[0]
    return param.default if param.has_default else "..."


def example(recipe: Recipe, path_prefix: str = "recipes") -> str:
    """A minimal use of the recipe: the required parameters, with the schema's examples."""
    import yaml

    parameters = {p.name: _example_value(p) for p in recipe.parameters if p.required}
    item: dict[str, Any] = {"template": f"{path_prefix}/{recipe.name}/{TEMPLATE_NAME}"}
    if parameters:
        item["parameters"] = parameters
    body = yaml.safe_dump([item], sort_keys=False, default_flow_style=None, allow_unicode=True, width=100)
    return f"{recipe.kind or 'stages'}:\n{body}".rstrip("\n")


def show(root: Path, name: str) -> str:
    """One recipe as text: what it does, its files, parameters and a minimal example."""
    recipe = _find(root, name)
    feature = recipe.feature(root)
    lines = [
        f"{recipe.name} ({recipe.kind or 'unreadable'} template)",
        "",
        recipe.description or "(no description in schema.json)",
        "",
        "files:",
        f"  template  {_rel(recipe.template, root)}",
        f"  schema    {_rel(recipe.schema_path, root)}",
        f"  readme    {_rel(recipe.readme, root)}" + ("" if recipe.readme.is_file() else "  (missing)"),
        f"  feature   {_rel(feature, root) if feature else 'features/' + name + '.feature  (missing)'}",
        "",
        "parameters:",
    ]
    width = max((len(p.name) for p in recipe.parameters), default=4)
    for p in recipe.parameters:
        default = "required" if p.required else f"default {_value(p.default)}"
        allowed = f"; one of {', '.join(str(v) for v in p.values)}" if p.values else ""
        lines.append(f"  {p.name:<{width}}  {_json_type(p)}, {default}{allowed}")
        if p.description:
            lines.append(f"  {'':<{width}}  {p.description}")
    lines += ["", "example:", *("  " + line for line in example(recipe).splitlines())]
    for problem in recipe.problems:
        lines.append(f"problem: {problem}")
    return "\n".join(lines) + "\n"


def format_list(recipes: Sequence[Recipe]) -> str:
    """`mlops recipes list`: one line per recipe."""
    width = max((len(r.name) for r in recipes), default=4)
    rows = [f"{r.name:<{width}}  {r.kind or '?':<6}  {r.summary}" for r in recipes]
    return "\n".join(rows) + ("\n" if rows else "")


def format_problems(problems: Sequence[Problem]) -> str:
    """`mlops recipes check`: one line per problem, then a count."""
    if not problems:
        return "✔ the recipe library is consistent\n"
    return "".join(f"{p}\n" for p in problems) + f"✘ {len(problems)} problem(s)\n"


def catalogue(root: Path) -> str:
    """`recipes/README.md`: every recipe, generated from the schemas."""
    recipes = list_recipes(root)
    out = [
        "# Recipe catalogue",
        "",
        _GENERATED,
        "",
        "Each recipe is an Azure Pipelines template with typed parameters and a JSON Schema of them",
        "(`recipes/<name>/schema.json`), checked at every expansion: a wrong value is reported at the line",
        "of your pipeline that passes it. Compose them into a pipeline as `docs/compose.md` shows; the",
        "composed pipelines in `mlops_pipelines/` are examples. `mlops recipes show NAME` prints one recipe,",
        "`mlops recipes check` checks the whole library.",
        "",
        "| recipe | kind | what it does | required parameters |",
        "| --- | --- | --- | --- |",
    ]
    for r in recipes:
        required = ", ".join(f"`{p.name}`" for p in r.parameters if p.required) or "none"
        out.append(f"| [`{r.name}`]({r.name}/README.md) | {r.kind} | {_cell(r.summary)} | {required} |")
    for r in recipes:
        out += [
            "",
            f"## `{r.name}`",
            "",
            f"A **{r.kind}** template: `recipes/{r.name}/template.yml`.",
            "",
            r.description,
            "",
            parameters_table(r),
            "",
            "```yaml",
            example(r),
            "```",
        ]
    return "\n".join(out) + "\n"


# ---- check ----------------------------------------------------------------------------------------
def _types(prop: Mapping[str, Any]) -> set[str] | None:
    kind = prop.get("type")
    if isinstance(kind, str):
        return {kind}
    if isinstance(kind, list) and all(isinstance(k, str) for k in kind):
        return set(kind)
    return None


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values (1 == 1.0, but True != 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return math.isclose(float(a), float(b))
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return bool(a == b)


def _check_schema_document(recipe: Recipe, where: str) -> list[Problem]:
    import jsonschema

    schema, name = recipe.schema, recipe.name
    problems: list[Problem] = []
    if schema.get("$schema") != SCHEMA_DIALECT:
        problems.append(Problem(where, f"$schema must be {SCHEMA_DIALECT}", name))
    try:
        jsonschema.Draft202012Validator.check_schema(dict(schema))
    except jsonschema.SchemaError as exc:
        problems.append(Problem(where, f"not a valid JSON Schema: {exc.message}", name))
    if schema.get("type") != "object":
        problems.append(Problem(where, "the schema must describe an object (type: object)", name))
    if schema.get("additionalProperties") is not False:
        problems.append(
            Problem(where, "additionalProperties must be false (unknown parameters are errors)", name)
        )
    if not isinstance(schema.get("description"), str) or not schema["description"].strip():
        problems.append(
            Problem(where, "no description: say what the recipe does (the catalogue shows it)", name)
        )
    return problems


def _subschema(root_schema: Mapping[str, Any], prop: Mapping[str, Any]) -> dict[str, Any]:
    """A property's schema as a standalone document (keeping the root's $defs for references)."""
    sub = {"$schema": SCHEMA_DIALECT, **prop}
    for key in ("$defs", "definitions"):
        if key in root_schema:
            sub[key] = root_schema[key]
    return sub


def _check_parameters(recipe: Recipe, where: str) -> list[Problem]:
    import jsonschema

    name, schema = recipe.name, recipe.schema
    problems: list[Problem] = []

    def bad(message: str) -> None:
        problems.append(Problem(where, message, name))

    properties = schema.get("properties")
    properties = properties if isinstance(properties, dict) else {}
    declared = {p.name for p in recipe.parameters}
    for extra in sorted(set(properties) - declared):
        bad(f"property '{extra}' is not a parameter of template.yml")
    for param in recipe.parameters:
        prop = properties.get(param.name)
        label = f"parameter '{param.name}'"
        if not isinstance(prop, dict):
            bad(f"{label} of template.yml is not in the schema's properties")
            continue
        allowed = _JSON_TYPES.get(param.type, frozenset())
        types = _types(prop)
        if types is None:
            bad(f"{label}: no type in the schema (template type {param.type})")
        elif not types <= allowed:
            bad(f"{label}: schema type {' or '.join(sorted(types))} cannot describe a template {param.type}")
        enum = prop.get("enum")
        if param.values is not None:
            if not isinstance(enum, list):
                bad(f"{label} has values: in template.yml but no enum in the schema")
            elif sorted(map(str, enum)) != sorted(map(str, param.values)):
                bad(f"{label}: enum {enum} differs from values: {list(param.values)}")
        elif isinstance(enum, list) and param.type != "object":
            bad(f"{label}: the schema has an enum but template.yml has no values:")
        validator = jsonschema.Draft202012Validator(_subschema(schema, prop))
        if param.has_default:
            errors = list(validator.iter_errors(param.default))
            if errors:
                bad(f"{label}: the default {_value(param.default)} is not valid: {errors[0].message}")
            if "default" in prop and not _same(prop["default"], param.default):
                bad(
                    f"{label}: schema default {_value(prop['default'])} differs from the template's "
                    f"{_value(param.default)}"
                )
        elif "default" in prop:
            bad(f"{label} is required in template.yml but has a default in the schema")
        if not isinstance(prop.get("description"), str) or not prop["description"].strip():
            bad(f"{label}: no description")
        examples = prop.get("examples")
        if not isinstance(examples, list) or not examples:
            bad(f"{label}: no examples")
        else:
            for sample in examples:
                errors = list(validator.iter_errors(sample))
                if errors:
                    bad(f"{label}: the example {_value(sample)} is not valid: {errors[0].message}")
    required = schema.get("required", [])
    required_set = set(required) if isinstance(required, list) else set()
    without_default = {p.name for p in recipe.parameters if p.required}
    for missing in sorted(without_default - required_set):
        bad(f"parameter '{missing}' has no default in template.yml but is not required in the schema")
    for extra in sorted(required_set - without_default):
        if extra in declared:
            bad(f"parameter '{extra}' is required in the schema but has a default in template.yml")
    return problems


def _check_readme(recipe: Recipe, root: Path) -> list[Problem]:
    where = _rel(recipe.readme, root)
    if not recipe.readme.is_file():
        message = "missing: every recipe has a README (purpose, parameters, example)"
        return [Problem(where, message, recipe.name)]
    text = recipe.readme.read_text(encoding="utf-8")
    problems = [
        Problem(where, f"no '{heading}' section", recipe.name)
        for heading in ("## Parameters", "## Example")
        if heading not in text
    ]
    if recipe.parameters and parameters_table(recipe) not in text:
        message = "the parameters table is not the one the schema gives (emulator.recipes.parameters_table)"
        problems.append(Problem(where, message, recipe.name))
    return problems


def is_pipeline(path: Path) -> bool:
    """A YAML file with a pipeline's top-level keys (not environments.yml, service-connections.yml)."""
    from emulator.yamlio import load_file

    if path.name in NOT_PIPELINES:
        return False
    try:
        document = load_file(path)
    except MlopsError:
        return True  # let the expansion report it
    return isinstance(document, dict) and any(k in document for k in PIPELINE_KEYS)


def composed_pipelines(root: Path) -> list[Path]:
    """The pipelines in `mlops_pipelines/` (not the environments or service connections files)."""
    folder = root / "mlops_pipelines"
    if not folder.is_dir():
        return []
    return [p for p in sorted(folder.glob("*.yml")) if is_pipeline(p)]


def check(root: Path, *, pipelines: bool = True) -> list[Problem]:
    """Everything that disagrees in the library; empty when it is consistent."""
    problems: list[Problem] = []
    for recipe in list_recipes(root):
        problems.extend(recipe.problems)
        schema_where = _rel(recipe.schema_path, root)
        if recipe.schema:
            problems.extend(_check_schema_document(recipe, schema_where))
            problems.extend(_check_parameters(recipe, schema_where))
        problems.extend(_check_readme(recipe, root))
        if recipe.feature(root) is None:
            stem = recipe.name.replace("-", "_")
            problems.append(
                Problem(f"features/{stem}.feature", "missing: every recipe has a Gherkin spec", recipe.name)
            )
    if pipelines:
        from emulator.runner import compile_pipeline

        for path in composed_pipelines(root):
            try:
                compile_pipeline(path)
            except MlopsError as exc:
                where = str(exc.location) if exc.location else _rel(path, root)
                problems.append(Problem(where, f"{_rel(path, root)} does not expand: {exc.message}"))
    return problems
