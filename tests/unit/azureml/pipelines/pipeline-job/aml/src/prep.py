# ruff: noqa: T201 - a job script reports on stdout, as on Azure ML
"""Pipeline step 1: keep the rows with x1 above a threshold, write them to the output folder."""

import sys
from pathlib import Path

source, threshold, out = Path(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
lines = source.read_text().splitlines()
kept = [lines[0]] + [line for line in lines[1:] if float(line.split(",")[0]) > threshold]
(out / "clean.csv").write_text("\n".join(kept) + "\n")
print(f"kept {len(kept) - 1} of {len(lines) - 1} rows")
