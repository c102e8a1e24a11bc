"""code/batch_score.py: the Azure ML batch contract (init / run(mini_batch)) on a small trained model."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import mlflow.sklearn
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

pytestmark = pytest.mark.integration  # runs steps, `mlops` or the scoring script in subprocesses

REPO_ROOT = Path(__file__).resolve().parents[3]
DATASET = REPO_ROOT / "dataset" / "german_credit.csv"


def _load() -> ModuleType:
    path = REPO_ROOT / "code" / "batch_score.py"
    spec = importlib.util.spec_from_file_location("recipes_batch_score", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def model_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """AZUREML_MODEL_DIR as Azure ML mounts it: the MLflow model one folder down."""
    data = pd.read_csv(DATASET)
    features = data.drop(columns=["class"])
    numeric = [c for c in features.columns if pd.api.types.is_numeric_dtype(features[c])]
    categorical = [c for c in features.columns if c not in numeric]
    pipe = Pipeline([
        ("prep", ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore"), categorical),
                                    ("num", StandardScaler(), numeric)])),
        ("clf", LogisticRegression(max_iter=1000)),
    ])  # fmt: skip
    pipe.fit(features[categorical + numeric], data["class"])
    root = tmp_path_factory.mktemp("azureml-model")
    mlflow.sklearn.save_model(pipe, str(root / "model_output"), serialization_format="cloudpickle")
    return root


def test_run_scores_every_csv_of_the_mini_batch(
    model_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    batch_score = _load()
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(model_root))
    batch_score.init()
    folder = REPO_ROOT / "mlops_pipelines" / "aml" / "batch" / "data" / "batch-applicants"
    files = sorted(str(p) for p in folder.glob("*.csv"))
    notes = tmp_path / "notes.txt"
    notes.write_text("not data")
    result = batch_score.run([*files, str(notes)])
    assert list(result.columns) == ["file", "row", "prediction", "probability_bad"]
    assert len(result) == sum(len(pd.read_csv(f)) for f in files) == 40
    assert set(result["prediction"]) <= {"good", "bad"}
    assert result["probability_bad"].between(0, 1).all()
    assert set(result["file"]) == {"applicants-1.csv", "applicants-2.csv"}


def test_a_class_column_is_ignored(model_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    batch_score = _load()
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(model_root))
    batch_score.init()
    labelled = tmp_path / "labelled.csv"
    pd.read_csv(DATASET).head(5).to_csv(labelled, index=False)
    assert len(batch_score.run([str(labelled)])) == 5
    assert batch_score.run([]).empty


def test_init_needs_the_model_dir(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    batch_score = _load()
    monkeypatch.delenv("AZUREML_MODEL_DIR", raising=False)
    with pytest.raises(RuntimeError, match="AZUREML_MODEL_DIR is not set"):
        batch_score.init()
    monkeypatch.setenv("AZUREML_MODEL_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="no MLflow model"):
        batch_score.init()
    with pytest.raises(RuntimeError, match="init\\(\\) has not been called"):
        batch_score.run([str(DATASET)])
