"""Batch scoring script for the German Credit model: the Azure ML batch deployment contract.

A batch deployment (``mlops_pipelines/aml/batch-deployment.yml``) calls ``init()`` once per worker and
``run(mini_batch)`` once per mini-batch, where ``mini_batch`` is a list of file paths taken from the
input data asset (a folder of CSV files). ``run`` returns one row per scored record; with
``output_action: append_row`` Azure ML appends them all to one file (``predictions.csv``).

Each CSV holds applicant records with the training columns; a ``class`` column, if present, is ignored.
Each output row is ``file,row,prediction,probability_bad``.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

import mlflow.sklearn
import pandas as pd

logger = logging.getLogger(__name__)

TARGET = "class"
POSITIVE_LABEL = "bad"
_model: Any = None


def find_model_dir(root: Path) -> Path:
    """The folder holding ``MLmodel``: ``root`` or the shallowest one below it."""
    if (root / "MLmodel").is_file():
        return root
    found = sorted((p.parent for p in root.rglob("MLmodel") if p.is_file()), key=lambda p: len(p.parts))
    if not found:
        raise RuntimeError(f"no MLflow model (an 'MLmodel' file) in AZUREML_MODEL_DIR={root} or below it")
    return found[0]


def init() -> None:
    """Load the model once per worker."""
    global _model
    model_root = os.environ.get("AZUREML_MODEL_DIR")
    if not model_root:
        raise RuntimeError("AZUREML_MODEL_DIR is not set: it must point at the registered model folder")
    model_dir = find_model_dir(Path(model_root))
    _model = mlflow.sklearn.load_model(str(model_dir))
    logger.info("loaded model from %s", model_dir)


def score_frame(frame: pd.DataFrame, source: str) -> pd.DataFrame:
    """Score the records of one file."""
    if _model is None:
        raise RuntimeError("init() has not been called: the model is not loaded")
    features = frame.drop(columns=[TARGET], errors="ignore")
    classes = [str(c) for c in _model.classes_]
    probabilities = _model.predict_proba(features)
    positive = classes.index(POSITIVE_LABEL) if POSITIVE_LABEL in classes else len(classes) - 1
    return pd.DataFrame(
        {
            "file": source,
            "row": range(len(features)),
            "prediction": [classes[int(i)] for i in probabilities.argmax(axis=1)],
            "probability_bad": [round(float(p), 6) for p in probabilities[:, positive]],
        }
    )


def run(mini_batch: list[str]) -> pd.DataFrame:
    """Score every CSV file of the mini-batch; other files are skipped with a warning."""
    results = []
    for item in mini_batch:
        path = Path(item)
        if path.suffix.lower() != ".csv":
            logger.warning("skipping %s: not a CSV file", path.name)
            continue
        results.append(score_frame(pd.read_csv(path), path.name))
    if not results:
        return pd.DataFrame(columns=["file", "row", "prediction", "probability_bad"])
    return pd.concat(results, ignore_index=True)
