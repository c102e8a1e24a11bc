"""A stand-in for code/train.py in the recipe features: copies an already trained MLflow model into the
job's output and logs the metrics it is told to, so a feature controls the candidate's score and runs
in seconds. The model comes from the step library's trained-model cache (see docs/steps.md)."""

from __future__ import annotations

import argparse
import os
import shutil
from pathlib import Path

import mlflow

parser = argparse.ArgumentParser()
parser.add_argument("--model_source", type=Path, required=True)
parser.add_argument("--model_output", type=Path, required=True)
parser.add_argument("--roc_auc", type=float, required=True)
parser.add_argument("--accuracy", type=float, required=True)
args = parser.parse_args()

if args.model_output.exists():
    shutil.rmtree(args.model_output)
shutil.copytree(args.model_source, args.model_output)
with mlflow.start_run(run_id=os.environ.get("MLFLOW_RUN_ID") or None):
    mlflow.log_metrics({"roc_auc": args.roc_auc, "accuracy": args.accuracy})
print(f"copied {args.model_source} to {args.model_output}; roc_auc={args.roc_auc} accuracy={args.accuracy}")  # noqa: T201
