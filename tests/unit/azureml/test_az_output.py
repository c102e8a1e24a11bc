"""--query / -o rendering follows the Azure CLI (knack) byte for byte where scripts parse it."""

from __future__ import annotations

import json

import pytest

from emulator.azureml.az.output import render
from emulator.azureml.errors import AzArgumentError

JOB = {
    "name": "keen_hat_1",
    "status": "Completed",
    "tags": {"a": "b"},
    "outputs": [{"model": {}}],
    "version": 2,
}
JOBS = [
    {"name": "a", "status": "Completed", "id": "x", "type": "command"},
    {"name": "b", "status": "Failed", "id": "y", "type": "command"},
]


def test_json_is_sorted_with_two_space_indent() -> None:
    text = render({"b": 1, "a": [1, 2]}, "json")
    assert text == '{\n  "a": [\n    1,\n    2\n  ],\n  "b": 1\n}\n'
    assert json.loads(text) == {"a": [1, 2], "b": 1}


@pytest.mark.parametrize(
    ("value", "query", "expected"),
    [
        (JOB, "name", "keen_hat_1\n"),  # scalars print bare
        (JOB, "version", "2\n"),
        (JOBS, "[].name", "a\nb\n"),  # a list: one item per line
        (JOBS, "[].[name, status]", "a\tCompleted\nb\tFailed\n"),  # rows: tab separated
        (JOB, "{s: status, n: name}", "Completed\tkeen_hat_1\n"),  # multiselect keeps the query's order
        (JOB, None, "keen_hat_1\t1\tCompleted\t\t2\n"),  # a dict: sorted values, dicts empty, lists length
        ({"ok": True}, "ok", "true\n"),  # booleans lower-case in a row of their own
    ],
)
def test_tsv(value: object, query: str | None, expected: str) -> None:
    assert render(value, "tsv", query) == expected


def test_none_result_prints_nothing() -> None:
    assert render({"a": 1}, "json", "missing") == ""
    assert render(None, "tsv") == ""
    assert render({"a": 1}, "none") == ""


def test_table_skips_ids_and_nested_values() -> None:
    text = render(JOBS, "table")
    lines = text.splitlines()
    assert lines[0].split() == ["Name", "Status"]
    assert set(lines[1]) == {"-", " "}
    assert lines[2].split() == ["a", "Completed"]
    assert "command" not in text and "x" not in lines[2]


def test_table_with_query_keeps_query_columns() -> None:
    text = render(JOBS, "table", "[].{Job: name, State: status}")
    assert text.splitlines()[0].split() == ["Job", "State"]


def test_yaml() -> None:
    assert render({"name": "x", "n": 1}, "yaml") == "n: 1\nname: x\n"


def test_invalid_query_is_an_argument_error() -> None:
    with pytest.raises(AzArgumentError) as caught:
        render(JOB, "json", "[?")
    assert caught.value.exit_code == 2
    assert "--query" in caught.value.message
