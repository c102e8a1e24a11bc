"""yamlio: the YAML subset Azure Pipelines reads, locations, text scalars, and the final-YAML dumper."""

from __future__ import annotations

import pytest

from emulator.errors import YamlError
from emulator.yamlio import DIRECTIVE_DUPLICATE_MARK, PLAIN, YMap, YSeq, YStr, dumps, loads, plain


def test_typed_mode_uses_yaml_1_2_core() -> None:
    doc = loads("a: true\nb: 3\nc: 1.5\nd: ~\ne: yes\nf: '3'\n")
    assert doc == {"a": True, "b": 3, "c": 1.5, "d": None, "e": "yes", "f": "3"}


def test_text_mode_keeps_source_text_and_style() -> None:
    doc = loads("a: True\nb: 007\nc: '1.0'\nd: ~\ne: |\n  x\n", "f.yml", text_scalars=True)
    assert plain(doc) == {"a": "True", "b": "007", "c": "1.0", "d": None, "e": "x\n"}
    assert doc["a"].style == PLAIN and doc["a"].plain
    assert doc["c"].style == "'" and not doc["c"].plain
    assert doc["e"].style == "|"


def test_locations_are_one_based() -> None:
    doc = loads("steps:\n- script: echo\n  name: x\n", "p.yml")
    item = doc["steps"][0]
    assert isinstance(doc, YMap) and isinstance(doc["steps"], YSeq)
    assert (item.loc.line, item.loc.col) == (2, 3)
    assert (item.key_loc("name").line, item.key_loc("name").col) == (3, 3)
    assert str(item["script"].loc) == "p.yml:2:11"


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("a: &x 1\nb: *x\n", "Anchors are not supported"),
        ("a: !custom 1\n", "Custom YAML tags are not supported"),
        ("? [a]\n: 1\n", "Complex mapping keys are not supported"),
        ("a: 1\n---\nb: 2\n", "only one YAML document"),
        ("a: 1\nA: 2\n", "'A' is already defined"),
        ("a: [1\n", "YAML syntax error"),
    ],
)
def test_rejected_yaml(text: str, fragment: str) -> None:
    with pytest.raises(YamlError) as info:
        loads(text, "p.yml")
    assert fragment in info.value.message
    assert info.value.location is not None and info.value.location.file == "p.yml"


def test_identical_directive_keys_are_kept_apart() -> None:
    doc = loads("${{ if true }}: {a: 1}\n${{ if true }}: {b: 2}\n", text_scalars=True)
    assert len(doc) == 2
    assert list(doc)[1] == "${{ if true }}" + DIRECTIVE_DUPLICATE_MARK + "1"
    assert list(plain(doc)) == ["${{ if true }}"] * 1  # plain() folds the mark away (keys collide)


def test_deep_nesting_is_a_located_error() -> None:
    text = "a: " + "[" * 2000 + "]" * 2000 + "\n"
    with pytest.raises(YamlError) as info:
        loads(text, "deep.yml")
    assert info.value.location is not None


def test_dumps_keeps_authored_spelling() -> None:
    doc = loads("a: true\nb: 'true'\nc: \"x\"\nd: 007\ne: ~\nf:\n- 1\n", text_scalars=True)
    assert dumps(doc) == "a: true\nb: 'true'\nc: 'x'\nd: 007\ne: ''\nf:\n- 1\n"


def test_dumps_renders_booleans_like_the_service() -> None:
    assert (
        dumps({"a": True, "b": "False", "c": "0123", "d": 1.0, "e": 0.5})
        == "a: True\nb: False\nc: '0123'\nd: 1\ne: 0.5\n"
    )


def test_dumps_multiline_as_literal_block() -> None:
    assert dumps({"script": "echo a\necho b\n"}) == "script: |\n  echo a\n  echo b\n"


def test_dumps_reads_back_to_the_same_text() -> None:
    source = "a: true\nb: 'x: y'\nc: 1.50\nd: '-'\ne: '#x'\nf: 'True'\n"
    doc = loads(source, text_scalars=True)
    again = loads(dumps(doc), text_scalars=True)
    assert plain(again) == plain(doc)


def test_ystr_pickles_with_location() -> None:
    import copy

    doc = loads("a: b\n", "f.yml", text_scalars=True)
    clone = copy.deepcopy(doc["a"])
    assert isinstance(clone, YStr) and clone.loc == doc["a"].loc and clone.style == PLAIN
