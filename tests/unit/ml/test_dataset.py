"""The committed German Credit CSV is the exact, complete decoding of the raw UCI file.

Offline: the CSV is re-encoded with the script's own attribute table and must reproduce the raw
``german.data`` bytes, whose sha256 the build script pins, so no network is needed to prove it.
"""

from __future__ import annotations

import csv
import hashlib
import re
from types import ModuleType

import pandas as pd
import pytest

from .conftest import DATASET_CSV, DATASET_DIR, load_module

EXPECTED_COLUMNS = [
    "checking_status", "duration", "credit_history", "purpose", "credit_amount", "savings_status",
    "employment", "installment_commitment", "personal_status", "other_parties", "residence_since",
    "property_magnitude", "age", "other_payment_plans", "housing", "existing_credits", "job",
    "num_dependents", "own_telephone", "foreign_worker", "class",
]  # fmt: skip
NUMERIC = {
    "duration", "credit_amount", "installment_commitment", "residence_since", "age",
    "existing_credits", "num_dependents",
}  # fmt: skip


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return pd.read_csv(DATASET_CSV)


@pytest.fixture(scope="module")
def builder() -> ModuleType:
    return load_module(DATASET_DIR / "build_dataset.py", "build_dataset_under_test")


def test_shape_and_columns(frame: pd.DataFrame) -> None:
    assert frame.shape == (1000, 21)
    assert list(frame.columns) == EXPECTED_COLUMNS


def test_class_balance(frame: pd.DataFrame) -> None:
    assert frame["class"].value_counts().to_dict() == {"good": 700, "bad": 300}


def test_no_missing_values(frame: pd.DataFrame) -> None:
    assert int(frame.isna().sum().sum()) == 0


def test_column_kinds(frame: pd.DataFrame) -> None:
    """Numbers are integers; everything else is text (pandas 3 reads it as StringDtype)."""
    for column in EXPECTED_COLUMNS:
        if column in NUMERIC:
            assert pd.api.types.is_integer_dtype(frame[column]), column
        else:
            assert pd.api.types.is_string_dtype(frame[column]), column


def test_sha256_matches_readme() -> None:
    readme = (DATASET_DIR / "README.md").read_text(encoding="utf-8")
    line = next(line for line in readme.splitlines() if "`dataset/german_credit.csv`" in line)
    match = re.search(r"\b[0-9a-f]{64}\b", line)
    assert match, f"no sha256 on the README line: {line}"
    assert hashlib.sha256(DATASET_CSV.read_bytes()).hexdigest() == match.group(0)


def test_values_come_from_the_uci_table(frame: pd.DataFrame, builder: ModuleType) -> None:
    assert builder.COLUMNS == EXPECTED_COLUMNS
    for name, table in builder.ATTRIBUTES:
        if table is not None:
            assert set(frame[name]) <= set(table.values()), name


def test_csv_re_encodes_to_the_pinned_raw_file(builder: ModuleType) -> None:
    """Map every value back to its UCI code: the bytes must hash to the pinned german.data."""
    inverse = [None if table is None else {v: k for k, v in table.items()} for _, table in builder.ATTRIBUTES]
    lines: list[str] = []
    with DATASET_CSV.open(newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        assert next(reader) == EXPECTED_COLUMNS
        for row in reader:
            lines.append(" ".join(v if inv is None else inv[v] for inv, v in zip(inverse, row, strict=True)))
    raw = ("\n".join(lines) + "\n").encode("ascii")
    assert hashlib.sha256(raw).hexdigest() == builder.GERMAN_DATA_SHA256


def test_build_is_deterministic(builder: ModuleType) -> None:
    """Decoding the re-encoded raw bytes gives back the committed CSV byte for byte."""
    inverse = [None if table is None else {v: k for k, v in table.items()} for _, table in builder.ATTRIBUTES]
    with DATASET_CSV.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))[1:]
    raw = "".join(
        " ".join(v if inv is None else inv[v] for inv, v in zip(inverse, row, strict=True)) + "\n"
        for row in rows
    ).encode("ascii")
    assert builder.to_csv(builder.decode(raw)) == DATASET_CSV.read_bytes()


def test_unknown_code_is_reported_with_its_line(builder: ModuleType) -> None:
    raw = b"A11 6 A34 A43 1169 A65 A75 4 A93 A101 4 A121 67 A143 A152 2 A173 1 A192 A201 1\n"
    with pytest.raises(SystemExit, match=r":2: unknown code 'A99' for checking_status"):
        builder.decode(raw + raw.replace(b"A11", b"A99"))
