# ruff: noqa: T201 - a job script reports on stdout, as on Azure ML
"""Pipeline step 2: 'train' on the prepared folder, log to the step's MLflow run, write a model file."""

import sys
from pathlib import Path

import mlflow

data, c, out = Path(sys.argv[1]), float(sys.argv[2]), Path(sys.argv[3])
rows = len((data / "clean.csv").read_text().splitlines()) - 1
with mlflow.start_run():
    mlflow.log_param("C", c)
    mlflow.log_metric("rows", rows)
(out / "model.txt").write_text(f"C={c} rows={rows}\n")
print(f"trained on {rows} rows with C={c}")
