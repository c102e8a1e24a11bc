"""Runs the template conformance tables: each row expands a small repository in tmp_path."""

from __future__ import annotations

from pathlib import Path

import pytest
import tc_directives
import tc_parameters
import tc_references
import tc_shape
import tc_values
import tc_variables
from template_harness import Case, run

TABLES = [tc_directives, tc_values, tc_parameters, tc_references, tc_variables, tc_shape]
CASES: list[Case] = [row for table in TABLES for row in table.CASES]


def test_table_is_large_cited_and_unique() -> None:
    assert len(CASES) >= 150
    assert all(row.cite.strip() for row in CASES)
    ids = [row.id for row in CASES]
    assert len(set(ids)) == len(ids), sorted({i for i in ids if ids.count(i) > 1})
    assert all(any(x is not None for x in (r.expanded, r.final, r.steps, r.service, r.error)) for r in CASES)


@pytest.mark.parametrize("row", CASES, ids=[row.id for row in CASES])
def test_row(row: Case, tmp_path: Path) -> None:
    run(row, tmp_path)
