"""Validate training data against a reference profile: schema, missing values and distribution drift.

Two commands, both plain Python (pandas + numpy), so the same script runs on a pipeline agent, in an
Azure ML job or on a laptop:

* ``profile``: describe a trusted CSV (usually the data the production model was trained on) as a
  JSON *reference profile*: the columns, their kind (numeric or categorical), the fraction of missing
  values, the range and decile bins of numeric columns and the category frequencies of the others.
* ``check``: compare a CSV with a profile and fail (exit 1) when

  - a profiled column is missing, or a column the profile does not know appears (schema),
  - a numeric column holds values that are not numbers (schema),
  - there are fewer rows than ``--min-rows``,
  - the fraction of missing values of a column grew by more than ``--max-null-increase``,
  - the drift of a column, its Population Stability Index (PSI) against the reference bins or
    categories, is above ``--max-drift``.

  Values outside the reference range and categories the profile never saw are warnings; they also
  show up in the drift (unseen categories share one ``__other__`` bucket).

PSI = sum over buckets of (actual - expected) * ln(actual / expected), fractions floored at 1e-4.
Rule of thumb: below 0.1 no shift, 0.1-0.25 a moderate shift, above 0.25 a significant one.

``--vso`` also prints Azure Pipelines logging commands: an error issue per failure and the output
variables ``passed``, ``maxDrift`` and ``driftedColumns`` (read them as ``<step name>.<variable>``).

    python code/validate_data.py profile --data dataset/german_credit.csv --output profile.json
    python code/validate_data.py check --data new.csv --profile profile.json --max-drift 0.2 --report r.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PROFILE_FORMAT = 1
EPSILON = 1e-4
OTHER = "__other__"
DEFAULT_BINS = 10


# ---- profile ------------------------------------------------------------------------------------
def _is_numeric(series: pd.Series) -> bool:
    return bool(pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series))


def _edges(values: pd.Series, bins: int) -> list[float]:
    """Interior bin edges at the quantiles of the reference values (duplicates dropped)."""
    if values.empty:
        return []
    quantiles = np.quantile(values.to_numpy(dtype=float), [i / bins for i in range(1, bins)])
    return sorted({round(float(q), 10) for q in quantiles})


def _bin_fractions(values: pd.Series, edges: list[float]) -> list[float]:
    """Fractions of the values in the buckets (-inf, e1], (e1, e2], ..., (en, +inf)."""
    if values.empty:
        return [0.0] * (len(edges) + 1)
    index = np.searchsorted(np.asarray(edges, dtype=float), values.to_numpy(dtype=float), side="left")
    counts = np.bincount(index, minlength=len(edges) + 1)
    return [float(c) / len(values) for c in counts]


def build_profile(frame: pd.DataFrame, source: str = "", bins: int = DEFAULT_BINS) -> dict[str, Any]:
    """The reference profile of a data frame."""
    columns: dict[str, Any] = {}
    for name in frame.columns:
        series = frame[name]
        nulls = float(series.isna().mean()) if len(series) else 0.0
        present = series.dropna()
        if _is_numeric(series):
            edges = _edges(present, bins)
            columns[str(name)] = {
                "kind": "numeric",
                "null_fraction": round(nulls, 6),
                "min": float(present.min()) if not present.empty else None,
                "max": float(present.max()) if not present.empty else None,
                "mean": round(float(present.mean()), 6) if not present.empty else None,
                "bin_edges": edges,
                "bin_fractions": [round(f, 6) for f in _bin_fractions(present, edges)],
            }
        else:
            freq = present.astype(str).value_counts(normalize=True).sort_index()
            columns[str(name)] = {
                "kind": "categorical",
                "null_fraction": round(nulls, 6),
                "frequencies": {str(k): round(float(v), 6) for k, v in freq.items()},
            }
    return {"format": PROFILE_FORMAT, "source": source, "rows": int(len(frame)), "columns": columns}


# ---- check --------------------------------------------------------------------------------------
def psi(expected: list[float], actual: list[float]) -> float:
    """Population Stability Index of two distributions over the same buckets."""
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        e, a = max(e, EPSILON), max(a, EPSILON)
        total += (a - e) * math.log(a / e)
    return total


@dataclass
class Report:
    """What `check` found; `passed` is False as soon as there is one error."""

    rows: int
    threshold: float
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    drift: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        return not self.errors

    @property
    def max_drift(self) -> float:
        return max(self.drift.values(), default=0.0)

    @property
    def drifted_columns(self) -> list[str]:
        return [name for name, value in self.drift.items() if value > self.threshold]

    def as_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "rows": self.rows,
            "threshold": self.threshold,
            "max_drift": round(self.max_drift, 6),
            "drifted_columns": self.drifted_columns,
            "drift": {k: round(v, 6) for k, v in self.drift.items()},
            "errors": self.errors,
            "warnings": self.warnings,
        }


def check(
    frame: pd.DataFrame,
    profile: dict[str, Any],
    *,
    max_drift: float = 0.2,
    max_null_increase: float = 0.05,
    min_rows: int = 1,
    allow_extra_columns: bool = False,
) -> Report:
    """Compare a data frame with a reference profile."""
    report = Report(rows=int(len(frame)), threshold=max_drift)
    reference: dict[str, Any] = profile.get("columns", {})
    if len(frame) < min_rows:
        report.errors.append(f"only {len(frame)} rows, at least {min_rows} expected")
    missing = [c for c in reference if c not in frame.columns]
    if missing:
        report.errors.append(f"missing columns: {', '.join(missing)}")
    extra = [str(c) for c in frame.columns if c not in reference]
    if extra:
        (report.warnings if allow_extra_columns else report.errors).append(
            f"columns the profile does not know: {', '.join(extra)}"
        )
    for name, ref in reference.items():
        if name not in frame.columns:
            continue
        series = frame[name]
        nulls = float(series.isna().mean()) if len(series) else 0.0
        if nulls - float(ref.get("null_fraction", 0.0)) > max_null_increase:
            report.errors.append(
                f"{name}: {nulls:.1%} missing values, reference {ref.get('null_fraction', 0.0):.1%} "
                f"(allowed increase {max_null_increase:.1%})"
            )
        present = series.dropna()
        if ref["kind"] == "numeric":
            numbers = pd.to_numeric(present, errors="coerce")
            bad = int(numbers.isna().sum())
            if bad:
                sample = ", ".join(repr(v) for v in present[numbers.isna()].astype(str).unique()[:3])
                report.errors.append(f"{name}: {bad} values are not numbers (e.g. {sample})")
                continue
            lo, hi = ref.get("min"), ref.get("max")
            if lo is not None and hi is not None and not numbers.empty:
                outside = float(((numbers < lo) | (numbers > hi)).mean())
                if outside:
                    report.warnings.append(f"{name}: {outside:.1%} of the values outside [{lo:g}, {hi:g}]")
            edges = [float(e) for e in ref["bin_edges"]]
            report.drift[name] = psi([float(f) for f in ref["bin_fractions"]], _bin_fractions(numbers, edges))
        else:
            expected: dict[str, float] = {str(k): float(v) for k, v in ref["frequencies"].items()}
            values = present.astype(str)
            seen = values.value_counts(normalize=True)
            unseen = [str(v) for v in seen.index if str(v) not in expected]
            if unseen:
                report.warnings.append(f"{name}: categories the profile never saw: {', '.join(unseen[:5])}")
            # one bucket per reference category, plus OTHER for the categories the profile never saw
            other = float(seen[unseen].sum()) if unseen else 0.0
            actual = [float(seen.get(k, 0.0)) for k in expected] + [other]
            report.drift[name] = psi([*expected.values(), 0.0], actual)
    for name in report.drifted_columns:
        report.errors.append(f"{name}: drift (PSI) {report.drift[name]:.3f} above {max_drift:g}")
    return report


# ---- command line --------------------------------------------------------------------------------
def _escape(text: str) -> str:
    """Escape a logging command's message (Azure Pipelines: %AZP25, %0D, %0A)."""
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def _read_csv(path: Path) -> pd.DataFrame:
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() == ".csv")
        if len(files) != 1:
            raise SystemExit(f"--data {path}: expected one .csv file in the folder, found {len(files)}")
        path = files[0]
    if not path.is_file():
        raise SystemExit(f"--data {path}: no such file")
    return pd.read_csv(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Validate data against a reference profile.")
    sub = parser.add_subparsers(dest="command", required=True)
    prof = sub.add_parser("profile", help="write the reference profile of a CSV")
    prof.add_argument("--data", type=Path, required=True)
    prof.add_argument("--output", type=Path, required=True)
    prof.add_argument("--bins", type=int, default=DEFAULT_BINS)
    chk = sub.add_parser("check", help="check a CSV against a reference profile")
    chk.add_argument("--data", type=Path, required=True)
    chk.add_argument("--profile", type=Path, required=True)
    chk.add_argument("--max-drift", type=float, default=0.2, help="largest PSI allowed per column")
    chk.add_argument("--max-null-increase", type=float, default=0.05)
    chk.add_argument("--min-rows", type=int, default=1)
    chk.add_argument("--allow-extra-columns", action="store_true")
    chk.add_argument("--report", type=Path, help="write the findings as JSON")
    chk.add_argument("--vso", action="store_true", help="print Azure Pipelines logging commands")
    args = parser.parse_args(argv)

    if args.command == "profile":
        profile = build_profile(_read_csv(args.data), source=args.data.name, bins=args.bins)
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(json.dumps(profile, indent=2) + "\n", encoding="utf-8")
        columns = len(profile["columns"])
        print(f"profile of {profile['rows']} rows, {columns} columns written to {args.output}")
        return 0

    profile = json.loads(args.profile.read_text(encoding="utf-8"))
    report = check(
        _read_csv(args.data),
        profile,
        max_drift=args.max_drift,
        max_null_increase=args.max_null_increase,
        min_rows=args.min_rows,
        allow_extra_columns=args.allow_extra_columns,
    )
    if args.report:
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(report.as_dict(), indent=2) + "\n", encoding="utf-8")
    print(f"{args.data}: {report.rows} rows checked against {args.profile}")
    for name, value in sorted(report.drift.items(), key=lambda kv: -kv[1]):
        flag = "DRIFT" if value > report.threshold else "ok"
        print(f"  {name:<24} PSI {value:7.4f}  {flag}")
    for warning in report.warnings:
        print(f"warning: {warning}")
    for error in report.errors:
        print(f"error: {error}")
    verdict = "passed" if report.passed else "FAILED"
    print(f"data validation {verdict}: largest drift {report.max_drift:.4f} (threshold {report.threshold:g})")
    if args.vso:
        for warning in report.warnings:
            print(f"##vso[task.logissue type=warning]{_escape(warning)}")
        for error in report.errors:
            print(f"##vso[task.logissue type=error]{_escape(error)}")
        print(f"##vso[task.setvariable variable=passed;isOutput=true]{str(report.passed).lower()}")
        print(f"##vso[task.setvariable variable=maxDrift;isOutput=true]{report.max_drift:.6f}")
        drifted = ",".join(report.drifted_columns)
        print(f"##vso[task.setvariable variable=driftedColumns;isOutput=true]{drifted}")
    return 0 if report.passed else 1


if __name__ == "__main__":
    sys.exit(main())
