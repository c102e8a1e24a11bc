"""Train the German Credit classifier: what the Azure ML command job (``train-job.yml``) runs.

The whole scikit-learn ``Pipeline`` (preprocessing + model) is exported as one MLflow model, so
scoring receives raw applicant records and never re-implements feature engineering. The model is
written twice, on purpose:

* ``mlflow.sklearn.log_model`` into the MLflow run (lineage, experiment comparison), and
* ``mlflow.sklearn.save_model`` into ``--model_output``, the job's output folder, which is what
  ``az ml model create --type mlflow_model --path azureml://jobs/<job>/outputs/model_output``
  registers. The folder holds nothing but the MLflow model.

On Azure ML the job already owns an MLflow run and exports ``MLFLOW_RUN_ID``; we log into that run
instead of opening a second one. Locally (the emulator, tests) a run is started when it is unset.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import os
import sys
import time
import warnings
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # headless: compute clusters and CI have no display

import matplotlib.pyplot as plt  # noqa: E402 - must follow the backend choice
import mlflow  # noqa: E402
import mlflow.sklearn  # noqa: E402
import pandas as pd  # noqa: E402
from mlflow.models import infer_signature  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.impute import SimpleImputer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    ConfusionMatrixDisplay,
    RocCurveDisplay,
    accuracy_score,
    f1_score,
    roc_auc_score,
)
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

TARGET = "class"
POSITIVE_LABEL = "bad"  # the class a lender must not miss: metrics (F1, ROC AUC) are about it
# skops is MLflow 3's default sklearn format: it refuses unknown types on load instead of running
# arbitrary pickle code. Loading then needs mlflow + scikit-learn + pandas + skops (all pinned in
# code/environment/conda.yml).
SERIALIZATION_FORMAT = mlflow.sklearn.SERIALIZATION_FORMAT_SKOPS
# What loading the model needs, pinned to the versions that trained it (written into the model's
# requirements.txt/conda.yaml; passing it also skips MLflow's slow requirement inference).
MODEL_REQUIREMENTS = ("mlflow", "scikit-learn", "pandas", "numpy", "skops")
# Beyond skops' built-in allow-list the fitted pipeline holds only ``numpy.dtype`` objects (the
# dtypes SimpleImputer/OneHotEncoder record), which are data, not code. Stored in MLmodel.
SKOPS_TRUSTED_TYPES = ["numpy.dtype"]


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Parse the CLI; names match the ``${{inputs.*}}`` / ``${{outputs.*}}`` of train-job.yml."""
    parser = argparse.ArgumentParser(description="Train the German Credit classifier.")
    parser.add_argument("--data", type=Path, required=True, help="a CSV file, or a folder with exactly one")
    parser.add_argument("--model_output", type=Path, required=True, help="folder to save the MLflow model in")
    parser.add_argument("--test_size", type=float, default=0.2)
    parser.add_argument("--random_state", type=int, default=42)
    parser.add_argument("--C", type=float, default=1.0, help="inverse regularisation strength")
    parser.add_argument("--max_iter", type=int, default=1000)
    return parser.parse_args(argv)


def resolve_csv(path: Path) -> Path:
    """Accept a file (uri_file input) or a folder holding exactly one CSV (uri_folder input)."""
    if path.is_file():
        return path
    if path.is_dir():
        csvs = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() == ".csv")
        if len(csvs) == 1:
            return csvs[0]
        raise SystemExit(f"--data {path}: expected exactly one .csv file in the folder, found {len(csvs)}")
    raise SystemExit(f"--data {path}: no such file or folder")


def load_data(csv_path: Path) -> tuple[pd.DataFrame, pd.Series]:
    """Read the CSV and split features from the ``class`` target (kept as 'good'/'bad' strings)."""
    frame = pd.read_csv(csv_path)
    if TARGET not in frame.columns:
        raise SystemExit(f"{csv_path}: no '{TARGET}' column (columns: {', '.join(map(str, frame.columns))})")
    y = frame[TARGET].astype(str)
    return frame.drop(columns=[TARGET]), y


def column_kinds(features: pd.DataFrame) -> tuple[list[str], list[str]]:
    """Split columns into numeric and categorical with pandas.api.types.

    pandas 3 reads text as ``StringDtype``, so an ``dtype == object`` test would miss every text
    column; booleans are treated as categories, not numbers.
    """
    numeric = [
        c
        for c in features.columns
        if pd.api.types.is_numeric_dtype(features[c]) and not pd.api.types.is_bool_dtype(features[c])
    ]
    categorical = [c for c in features.columns if c not in numeric]
    return numeric, categorical


def build_pipeline(
    numeric: list[str], categorical: list[str], c: float, max_iter: int, seed: int
) -> Pipeline:
    """Preprocessing and model in one estimator, so the exported model takes raw records."""
    preprocess = ColumnTransformer(
        transformers=[
            (
                "num",
                Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())]),
                numeric,
            ),
            (
                "cat",
                Pipeline(
                    [
                        ("impute", SimpleImputer(strategy="most_frequent")),
                        ("onehot", OneHotEncoder(handle_unknown="ignore")),
                    ]
                ),
                categorical,
            ),
        ]
    )
    return Pipeline(
        [
            ("preprocess", preprocess),
            ("classifier", LogisticRegression(C=c, max_iter=max_iter, random_state=seed)),
        ]
    )


def log_plots(y_true: pd.Series, proba_pos: Any, y_pred: Any, labels: list[str]) -> None:
    """Log the ROC curve and the confusion matrix as PNGs under ``plots/`` in the run."""
    fig, ax = plt.subplots(figsize=(5, 5))
    RocCurveDisplay.from_predictions(y_true, proba_pos, pos_label=POSITIVE_LABEL, ax=ax)
    ax.set_title(f"ROC curve (positive class: {POSITIVE_LABEL})")
    mlflow.log_figure(fig, "plots/roc_curve.png")
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(5, 5))
    ConfusionMatrixDisplay.from_predictions(y_true, y_pred, labels=labels, ax=ax, colorbar=False)
    ax.set_title("Confusion matrix (held-out split)")
    mlflow.log_figure(fig, "plots/confusion_matrix.png")
    plt.close(fig)


def pinned_requirements() -> list[str]:
    """Pin what loading needs to the versions installed here, so serving matches training."""
    return [f"{name}=={importlib.metadata.version(name)}" for name in MODEL_REQUIREMENTS]


def main(argv: list[str] | None = None) -> int:
    """Train, evaluate on a stratified held-out split, log to MLflow and save the model output."""
    args = parse_args(argv)
    started = time.perf_counter()
    csv_path = resolve_csv(args.data)
    if args.model_output.exists() and any(args.model_output.iterdir()):
        raise SystemExit(f"--model_output {args.model_output} is not empty: the model needs a fresh folder")

    features, target = load_data(csv_path)
    numeric, categorical = column_kinds(features)
    x_train, x_test, y_train, y_test = train_test_split(
        features, target, test_size=args.test_size, random_state=args.random_state, stratify=target
    )
    pipe = build_pipeline(numeric, categorical, args.C, args.max_iter, args.random_state)
    pipe.fit(x_train, y_train)

    classes = [str(c) for c in pipe.classes_]
    if POSITIVE_LABEL not in classes:
        raise SystemExit(f"target has no '{POSITIVE_LABEL}' class (classes: {classes})")
    proba_pos = pipe.predict_proba(x_test)[:, classes.index(POSITIVE_LABEL)]
    y_pred = pipe.predict(x_test)
    metrics = {
        "accuracy": float(accuracy_score(y_test, y_pred)),
        "roc_auc": float(roc_auc_score((y_test == POSITIVE_LABEL).astype(int), proba_pos)),
        "f1": float(f1_score(y_test, y_pred, pos_label=POSITIVE_LABEL)),
        "train_accuracy": float(accuracy_score(y_train, pipe.predict(x_train))),
    }

    with warnings.catch_warnings():
        # Integer columns stay `long` in the signature on purpose: that is what JSON integers and the
        # CSV give pyfunc. MLflow's hint about nulls in integer columns does not apply to score.py,
        # which validates and casts itself (the imputers handle nulls).
        warnings.filterwarnings("ignore", message="Hint: Inferred schema contains integer column")
        signature = infer_signature(x_train, pipe.predict(x_train))
    input_example = x_train.head(3)
    requirements = pinned_requirements()
    model_kwargs: dict[str, Any] = {
        "signature": signature,
        "input_example": input_example,
        "serialization_format": SERIALIZATION_FORMAT,
        "skops_trusted_types": SKOPS_TRUSTED_TYPES,
        "pip_requirements": requirements,
    }

    # Azure ML exports MLFLOW_RUN_ID for the job's own run; start_run(run_id=None) opens a new one.
    with mlflow.start_run(run_id=os.environ.get("MLFLOW_RUN_ID") or None) as run:
        mlflow.log_params(
            {
                "data": csv_path.name,
                "test_size": args.test_size,
                "random_state": args.random_state,
                "C": args.C,
                "max_iter": args.max_iter,
                "n_train": len(x_train),
                "n_test": len(x_test),
                "numeric_features": len(numeric),
                "categorical_features": len(categorical),
                "serialization_format": SERIALIZATION_FORMAT,
            }
        )
        mlflow.log_metrics(metrics)
        log_plots(y_test, proba_pos, y_pred, labels=classes)
        mlflow.sklearn.log_model(pipe, name="model", **model_kwargs)
        mlflow.sklearn.save_model(pipe, path=str(args.model_output), **model_kwargs)
        run_id = run.info.run_id

    elapsed = time.perf_counter() - started
    summary = " ".join(f"{k}={v:.4f}" for k, v in metrics.items())
    print(f"run_id={run_id} {summary} rows={len(features)} seconds={elapsed:.1f}")  # noqa: T201
    print(f"model saved to {args.model_output}")  # noqa: T201
    return 0


if __name__ == "__main__":
    sys.exit(main())
