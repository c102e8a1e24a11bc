"""The template engine's API: expand_pipeline on the reference pipeline, the pieces it is made of,
and its error contract (only located MlopsErrors leave it)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator.errors import Location, MlopsError, TemplateError
from emulator.normalize import normalize
from emulator.templates import expand as expand_module
from emulator.templates import expand_pipeline
from emulator.templates.directives import Directive, directive_of
from emulator.templates.directives import expression_units as _units
from emulator.templates.parameters import ParameterSpec, check_values, coerce, typed_value
from emulator.templates.references import References, Repository, TemplateFile
from emulator.templates.scopes import VariableLayer
from emulator.yamlio import YStr, loads, plain

ROOT = Path(__file__).resolve().parents[3]
LOC = Location("p.yml", 1, 1)


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root / next(iter(files))


# ---- the reference pipeline ---------------------------------------------------------------------


def test_reference_pipeline_expands() -> None:
    result = expand_pipeline(ROOT / "mlops_pipelines" / "BasicBuildRelease.yml", repo_root=ROOT)
    doc = normalize(result.document)
    names = [s["stage"] for s in doc["stages"]]
    assert names == ["Training", "Register", "Package", "DeployTest", "DeployProduction"]
    assert result.parameters == {"deployToProduction": True}
    assert "recipes/train/template.yml" in result.files
    assert "mlops_pipelines/config/variables.yml" in result.files
    deploy = doc["stages"][3]["jobs"][0]
    assert deploy["job"] == "DeployModel" and "environment" not in deploy
    production = doc["stages"][4]["jobs"][0]
    assert plain(production["environment"]) == {"name": "production"}


def test_reference_pipeline_without_production() -> None:
    pipeline = ROOT / "mlops_pipelines" / "BasicBuildRelease.yml"
    result = expand_pipeline(pipeline, {"deployToProduction": "false"}, repo_root=ROOT)
    assert [s["stage"] for s in result.document["stages"]][-1] == "DeployTest"


# ---- directives -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        ("${{ if eq(1, 1) }}", Directive("if", "eq(1, 1)", 7)),
        ("${{if x}}", Directive("if", "x", 6)),
        ("${{ elseif and(a, b) }}", Directive("elseif", "and(a, b)", 11)),
        ("${{ else }}", Directive("else")),
        ("${{ insert }}", Directive("insert")),
        ("${{ each item in parameters.list }}", Directive("each", "parameters.list", 17, "item")),
        ("${{ each x in split('a in b', ' in ') }}", Directive("each", "split('a in b', ' in ')", 14, "x")),
        ("${{ IF x }}", None),
        ("${{ pair.key }}", None),
        ("${{ if }}", None),
        ("plain", None),
        ("pre ${{ if x }}", None),
    ],
)
def test_directive_of(key: str, expected: Directive | None) -> None:
    assert directive_of(key, LOC) == expected


def test_units_split_at_top_level_only() -> None:
    assert [u for u, _ in _units(" each a in f(1, 2) ")] == ["each", "a", "in", "f(1, 2)"]
    assert [u for u, _ in _units("x in split('a in b', ' ')[0]")] == ["x", "in", "split('a in b', ' ')[0]"]


def test_variable_layers() -> None:
    base = VariableLayer(None, {"A": "1", "shared": "base"})
    stage = VariableLayer(base)
    stage.define("Shared", "stage")
    assert stage["shared"] == "stage" and stage["a"] == "1"
    assert base["SHARED"] == "base"
    assert stage.get("missing") is None and "missing" not in stage and "A" in stage
    assert sorted(stage) == ["A", "shared"] and len(stage) == 2


# ---- parameters -----------------------------------------------------------------------------------


def _spec(ptype: str, values: tuple[str, ...] | None = None) -> ParameterSpec:
    return ParameterSpec("p", ptype, None, False, values, None, LOC)


@pytest.mark.parametrize(
    ("ptype", "given", "expected"),
    [
        ("string", YStr("True", LOC, ""), "True"),
        ("string", True, "True"),
        ("string", None, ""),
        ("number", YStr("1,000", LOC, ""), 1000),
        ("number", YStr(" 8 ", LOC, "'"), 8),
        ("number", YStr("0.5", LOC, ""), 0.5),
        ("boolean", YStr("TRUE", LOC, ""), True),
        ("boolean", YStr("false", LOC, "'"), False),
        ("object", YStr("3", LOC, ""), 3),
        ("object", YStr("3", LOC, "'"), "3"),
        ("stringList", [YStr("a", LOC, "")], ["a"]),
    ],
)
def test_coerce(ptype: str, given: object, expected: object) -> None:
    value = coerce(_spec(ptype), given, LOC)
    assert value == expected and type(value) is type(expected) or plain(value) == expected


@pytest.mark.parametrize(
    ("ptype", "given", "fragment"),
    [
        ("number", YStr("abc", LOC, ""), "is not a valid Number."),
        ("number", True, "is not a valid Number."),
        ("boolean", YStr("1", LOC, ""), "is not a valid Boolean."),
        ("string", [1], "A sequence was not expected"),
        ("stepList", YStr("x", LOC, ""), "is not a valid StepList."),
        ("job", {"steps": []}, "is not a valid Job."),
    ],
)
def test_coerce_rejects(ptype: str, given: object, fragment: str) -> None:
    with pytest.raises(TemplateError) as info:
        coerce(_spec(ptype), given, LOC)
    assert fragment in info.value.message


def test_values_are_case_sensitive_after_coercion() -> None:
    check_values(_spec("number", ("1", "2")), 2, LOC)
    with pytest.raises(TemplateError, match="is not a valid value"):
        check_values(_spec("string", ("alpha",)), "ALPHA", LOC)


def test_typed_value_types_plain_leaves_only() -> None:
    doc = loads("a: true\nb: 'true'\nc: ~\nd: [1, x]\n", text_scalars=True)
    assert plain(typed_value(doc)) == {"a": True, "b": "true", "c": "", "d": [1, "x"]}


# ---- references -----------------------------------------------------------------------------------


def test_resolve(tmp_path: Path) -> None:
    repo = Repository("self", tmp_path)
    refs = References(repo)
    including = TemplateFile(tmp_path / "a" / "b.yml", repo, "/a/b.yml")
    assert refs.resolve("c.yml", including, LOC).repo_path == "/a/c.yml"
    assert refs.resolve("../c.yml", including, LOC).repo_path == "/c.yml"
    assert refs.resolve("/x/../c.yml", including, LOC).repo_path == "/c.yml"
    assert refs.resolve("d\\e.yml", including, LOC).repo_path == "/a/d/e.yml"
    with pytest.raises(TemplateError, match=r"The file path /a/\.\./\.\./c\.yml is invalid"):
        refs.resolve("../../c.yml", including, LOC)


def test_other_repository_display(tmp_path: Path) -> None:
    other = Repository("tools", tmp_path)
    assert TemplateFile(tmp_path / "x.yml", other, "/x.yml").display() == "x.yml@tools"


# ---- recipe schemas -------------------------------------------------------------------------------


def test_recipe_schema_checked_for_template_yml(tmp_path: Path) -> None:
    schema = {"type": "object", "properties": {"name": {"type": "string", "pattern": "^[a-z]+$"}}}
    pipeline = _write(
        tmp_path,
        {
            "azure-pipelines.yml": (
                "steps:\n- template: recipes/r/template.yml\n  parameters:\n    name: BAD\n"
            ),
            "recipes/r/template.yml": "parameters:\n- name: name\nsteps:\n- script: echo x\n",
            "recipes/r/schema.json": json.dumps(schema),
        },
    )
    with pytest.raises(TemplateError) as info:
        expand_pipeline(pipeline, repo_root=tmp_path)
    assert "Invalid parameter 'name'" in info.value.message
    assert info.value.location is not None and (info.value.location.line, info.value.location.col) == (4, 11)


def test_recipe_schema_ignored_for_other_names(tmp_path: Path) -> None:
    pipeline = _write(
        tmp_path,
        {
            "azure-pipelines.yml": "steps:\n- template: r/steps.yml\n  parameters:\n    name: BAD\n",
            "r/steps.yml": "parameters:\n- name: name\nsteps:\n- script: x\n",
            "r/schema.json": json.dumps({"properties": {"name": {"pattern": "^[a-z]+$"}}}),
        },
    )
    expand_pipeline(pipeline, repo_root=tmp_path)


# ---- the error contract ---------------------------------------------------------------------------


def test_errors_render_location_line_caret_and_hint(tmp_path: Path) -> None:
    pipeline = _write(tmp_path, {"azure-pipelines.yml": "steps:\n- script: ${{ parameters.nope }}\n"})
    with pytest.raises(MlopsError) as info:
        expand_pipeline(pipeline, repo_root=tmp_path)
    text = info.value.render()
    assert text.splitlines()[0].endswith("azure-pipelines.yml:2:26: Key not found 'nope'")
    assert text.splitlines()[1] == "  - script: ${{ parameters.nope }}"
    assert text.splitlines()[2] == "  " + " " * 25 + "^"
    assert "hint:" in text


def test_block_scalar_error_points_into_the_block(tmp_path: Path) -> None:
    pipeline = _write(
        tmp_path,
        {"azure-pipelines.yml": "steps:\n- script: |\n    echo a\n    echo ${{ parameters.nope }}\n"},
    )
    with pytest.raises(MlopsError) as info:
        expand_pipeline(pipeline, repo_root=tmp_path)
    assert info.value.location is not None
    assert (info.value.location.line, info.value.location.col) == (4, 25)


def test_unexpected_exceptions_become_located_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = _write(tmp_path, {"azure-pipelines.yml": "steps:\n- script: x\n"})

    def boom(*args: object, **kwargs: object) -> None:
        raise ValueError("boom")

    monkeypatch.setattr(expand_module.Expander, "mapping", boom)
    with pytest.raises(TemplateError) as info:
        expand_pipeline(pipeline, repo_root=tmp_path)
    assert "Internal error" in info.value.message and info.value.location is not None


def test_deep_recursion_becomes_located_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pipeline = _write(tmp_path, {"azure-pipelines.yml": "steps:\n- script: x\n"})

    def deep(*args: object, **kwargs: object) -> None:
        raise RecursionError

    monkeypatch.setattr(expand_module.Expander, "mapping", deep)
    with pytest.raises(TemplateError, match="Maximum object depth exceeded"):
        expand_pipeline(pipeline, repo_root=tmp_path)


def test_expanded_records_files_and_extends(tmp_path: Path) -> None:
    pipeline = _write(
        tmp_path,
        {
            "azure-pipelines.yml": "extends:\n  template: base.yml\n",
            "base.yml": "steps:\n- template: s.yml\n- template: s.yml\n",
            "s.yml": "steps:\n- script: x\n",
        },
    )
    result = expand_pipeline(pipeline, repo_root=tmp_path)
    assert result.files == ("base.yml", "s.yml")
    assert result.extends == ("base.yml",)
    assert result.repo_root == tmp_path.resolve()


@pytest.mark.parametrize(
    ("reference", "hint"),
    [
        ("templates/steps/buld.yml", "did you mean 'build.yml'?"),
        ("templats/step/build.yml", "did you mean '/templates/steps/build.yml'?"),
        ("/Templates/steps/build.yml", "did you mean '/templates/steps/build.yml'?"),
    ],
)
def test_a_misspelt_template_path_gets_a_did_you_mean(tmp_path: Path, reference: str, hint: str) -> None:
    pipe = _write(
        tmp_path,
        {
            "p.yml": f"steps:\n- template: {reference}\n",
            "templates/steps/build.yml": "steps:\n- script: echo hi\n",
        },
    )
    with pytest.raises(TemplateError) as raised:
        expand_pipeline(pipe, repo_root=tmp_path)
    assert raised.value.hint == hint
