"""Property: any YAML-ish pipeline (with templates) either expands or fails with a located MlopsError.

Random documents are built from the pieces real pipelines use - directives (also malformed ones),
expressions (also broken ones), template references (also to missing or cyclic files), parameter
declarations of every type - and written as YAML text. Anything but a result or an `MlopsError`
with a location is a bug.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given
from hypothesis import strategies as st

from emulator.errors import MlopsError
from emulator.normalize import final_yaml, normalize
from emulator.templates import expand_pipeline
from emulator.yamlio import dumps

EXPRESSIONS = st.sampled_from(
    [
        "parameters.p",
        "parameters.obj",
        "parameters.list",
        "parameters['p']",
        "parameters.missing",
        "variables.v",
        "variables['nope']",
        "eq(1, 1)",
        "ne(parameters.p, 'x')",
        "true",
        "false",
        "'text'",
        "1.5",
        "1.2.3",
        "split('a,b', ',')",
        "convertToJson(parameters.obj)",
        "format('{0}', 1)",
        "and(true",
        "3 + 4",
        "item",
        "pair.key",
        "pair.value",
        "coalesce(variables.x, 'd')",
        "iif(true, 1, 2)",
        "length(parameters.list)",
        "nothing()",
        "parameters.obj.a",
        "join(',', parameters.list)",
        "",
    ]
)
KEY_DIRECTIVES = st.sampled_from(
    [
        "${{ if eq(1, 1) }}",
        "${{ if false }}",
        "${{ elseif true }}",
        "${{ else }}",
        "${{ insert }}",
        "${{ each item in parameters.list }}",
        "${{ each pair in parameters.obj }}",
        "${{ each x in variables.v }}",
        "${{ IF true }}",
        "${{ each a b c d }}",
        "${{ each item on parameters.list }}",
        "${{ else if x }}",
        "${{ if }}",
        "${{ each parameters in parameters.list }}",
        "${{ parameters.p }}",
        "${{ pair.key }}",
    ]
)
PLAIN_KEYS = st.sampled_from(
    [
        "script",
        "bash",
        "displayName",
        "env",
        "steps",
        "jobs",
        "stages",
        "job",
        "stage",
        "variables",
        "name",
        "value",
        "template",
        "parameters",
        "condition",
        "pool",
        "dependsOn",
        "task",
        "inputs",
        "checkout",
        "A",
        "B",
    ]
)
TEMPLATE_REFS = st.sampled_from(
    [
        "t1.yml",
        "t2.yml",
        "missing.yml",
        "../up.yml",
        "t1.yml@self",
        "x.yml@nope",
        "/t2.yml",
        "cycle.yml",
        "${{ parameters.p }}.yml",
        "bad.yml",
    ]
)


def scalars() -> st.SearchStrategy[Any]:
    text = st.one_of(
        st.text(alphabet="abc xyz-_.:'\"", max_size=8),
        EXPRESSIONS.map(lambda e: f"${{{{ {e} }}}}"),
        st.tuples(st.text(alphabet="ab ", max_size=3), EXPRESSIONS).map(lambda t: f"{t[0]}${{{{ {t[1]} }}}}"),
        st.sampled_from(
            ["${{ if true }}", "${{ insert }}", "${{ 'my${{value' }}", "${{", "$(macro)", "$[ x ]"]
        ),
    )
    return st.one_of(text, st.booleans(), st.integers(-5, 5), st.none())


def nodes() -> st.SearchStrategy[Any]:
    return st.recursive(
        scalars(),
        lambda children: st.one_of(
            st.lists(children, max_size=4),
            st.dictionaries(st.one_of(PLAIN_KEYS, KEY_DIRECTIVES), children, max_size=4),
            st.builds(
                lambda ref, params: {"template": ref, "parameters": params},
                TEMPLATE_REFS,
                st.dictionaries(st.sampled_from(["p", "obj", "list", "x"]), children, max_size=2),
            ),
        ),
        max_leaves=25,
    )


PARAMETER_TYPES = st.sampled_from(
    [
        "string",
        "number",
        "boolean",
        "object",
        "stepList",
        "step",
        "jobList",
        "stageList",
        "stringList",
        "legacyObject",
        "container",
        "String",
        None,
    ]
)


@st.composite
def declarations(draw: st.DrawFn) -> Any:
    form = draw(st.sampled_from(["typed", "legacy", "none"]))
    if form == "none":
        return None
    if form == "legacy":
        return draw(st.dictionaries(st.sampled_from(["p", "obj", "list"]), scalars(), max_size=3))
    items = []
    for name in draw(st.lists(st.sampled_from(["p", "obj", "list", "P"]), max_size=3)):
        decl: dict[str, Any] = {"name": name}
        ptype = draw(PARAMETER_TYPES)
        if ptype is not None:
            decl["type"] = ptype
        if draw(st.booleans()):
            decl["default"] = draw(nodes())
        if draw(st.booleans()):
            decl["values"] = draw(st.lists(st.sampled_from(["a", "b", "1", "true"]), max_size=2))
        items.append(decl)
    return items


@st.composite
def documents(draw: st.DrawFn, root: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    params = draw(declarations())
    if params is not None:
        doc["parameters"] = params
    if draw(st.booleans()):
        doc["variables"] = draw(
            st.one_of(
                st.dictionaries(
                    st.sampled_from(["v", "w", "${{ if true }}", "${{ insert }}"]), nodes(), max_size=3
                ),
                st.lists(nodes(), max_size=3),
            )
        )
    body = draw(
        st.sampled_from(
            ["steps", "jobs", "stages", "variables", "extends"]
            if root
            else ["steps", "jobs", "stages", "variables"]
        )
    )
    if body == "extends":
        doc["extends"] = {
            "template": draw(TEMPLATE_REFS),
            "parameters": draw(st.dictionaries(st.sampled_from(["p", "obj"]), nodes(), max_size=2)),
        }
    else:
        doc[body] = draw(st.lists(nodes(), max_size=4))
    return doc


def _dump(doc: Any) -> str:
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True)


@given(
    documents(root=True),
    documents(root=False),
    documents(root=False),
    st.dictionaries(
        st.sampled_from(["p", "obj"]), st.sampled_from(["1", "true", "{a: 1}", "[x]", "x"]), max_size=2
    ),
)
def test_expand_or_located_error(pipeline: Any, t1: Any, t2: Any, cli: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "repo"
        root.mkdir()
        (root / "azure-pipelines.yml").write_text(_dump(pipeline), encoding="utf-8")
        (root / "t1.yml").write_text(_dump(t1), encoding="utf-8")
        (root / "t2.yml").write_text(_dump(t2), encoding="utf-8")
        (root / "cycle.yml").write_text("steps:\n- template: cycle.yml\n", encoding="utf-8")
        (root / "bad.yml").write_text("steps: [unclosed\n", encoding="utf-8")
        try:
            result = expand_pipeline(
                root / "azure-pipelines.yml", cli, {}, {"Build.Reason": "Manual"}, repo_root=root
            )
            document = normalize(result.document)
            dumps(final_yaml(document))
        except MlopsError as err:
            assert err.location is not None, err.render()
            assert "Internal error" not in err.message, err.render()
            assert "Internal error" not in err.message, err.render()
            err.render()


@given(st.text(alphabet="abc:-[]{}'\"$ \n\t#&*!|>", max_size=60))
def test_any_text_expands_or_fails_located(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "p.yml").write_text(text, encoding="utf-8")
        try:
            normalize(expand_pipeline(root / "p.yml", repo_root=root).document)
        except MlopsError as err:
            assert err.location is not None, err.render()
            assert "Internal error" not in err.message, err.render()
