# ruff: noqa: T201 - a job script reports on stdout, as on Azure ML
"""Tiny training job for the az emulator tests: reads a CSV, fits a model, logs a metric, saves it."""

import argparse
import os
from pathlib import Path

import mlflow
import mlflow.sklearn
import pandas as pd
from sklearn.linear_model import LogisticRegression

parser = argparse.ArgumentParser()
parser.add_argument("--data", required=True)
parser.add_argument("--C", type=float, default=1.0)
parser.add_argument("--model_output", required=True)
parser.add_argument("--fail", default="no")
args = parser.parse_args()

if args.fail == "yes":
    raise SystemExit("failing on purpose")

frame = pd.read_csv(args.data)
features, target = frame[["x1", "x2"]], frame["y"]
model = LogisticRegression(C=args.C).fit(features, target)
accuracy = float(model.score(features, target))
print(f"accuracy={accuracy:.3f} greeting={os.environ.get('GREETING', '')}")

with mlflow.start_run():
    mlflow.log_param("C", args.C)
    mlflow.log_metric("accuracy", accuracy)

# pip_requirements given: MLflow then skips its slow requirement inference.
mlflow.sklearn.save_model(
    model,
    str(Path(args.model_output)),
    serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
    pip_requirements=["mlflow", "scikit-learn", "pandas"],
)
print("saved model")
