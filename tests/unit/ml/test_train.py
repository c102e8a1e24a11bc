"""code/train.py, run as Azure ML runs it: a real subprocess, a real MLflow store, a real model."""

from __future__ import annotations

import importlib.metadata
import shutil
from pathlib import Path
from types import ModuleType

import mlflow
import mlflow.pyfunc
import mlflow.sklearn
import pandas as pd
import pytest
import yaml
from mlflow.tracking import MlflowClient

from .conftest import CODE_DIR, DATASET_CSV, TrainedModel, load_module, mlflow_env, run_train

FEATURES = [c for c in pd.read_csv(DATASET_CSV, nrows=0).columns if c != "class"]
# Everything save_model writes for a sklearn model with signature + input example: nothing else.
MLFLOW_MODEL_FILES = {
    "MLmodel", "model.skops", "conda.yaml", "python_env.yaml", "requirements.txt",
    "input_example.json", "serving_input_example.json",
}  # fmt: skip


@pytest.fixture(scope="module")
def train_module() -> ModuleType:
    return load_module(CODE_DIR / "train.py", "train_under_test")


def test_output_folder_is_a_pure_mlflow_model(trained: TrainedModel) -> None:
    names = {p.name for p in trained.model_dir.iterdir()}
    assert names <= MLFLOW_MODEL_FILES
    assert {"MLmodel", "model.skops", "requirements.txt"} <= names


def test_output_loads_and_predicts_labels(trained: TrainedModel) -> None:
    sample = pd.read_csv(DATASET_CSV).drop(columns=["class"]).head(20)
    pipe = mlflow.sklearn.load_model(str(trained.model_dir))
    assert list(pipe.classes_) == ["bad", "good"]
    assert set(pipe.predict(sample)) <= {"good", "bad"}
    # Through pyfunc too (what MLflow serving and Azure ML no-code deployments use): its schema
    # enforcement accepts the CSV's own dtypes.
    assert set(mlflow.pyfunc.load_model(str(trained.model_dir)).predict(sample)) <= {"good", "bad"}


def test_signature_and_format(trained: TrainedModel) -> None:
    mlmodel = yaml.safe_load((trained.model_dir / "MLmodel").read_text())
    assert mlmodel["flavors"]["sklearn"]["serialization_format"] == "skops"
    signature = mlflow.models.Model.load(str(trained.model_dir)).signature
    assert signature is not None, "the model must carry a signature"
    assert signature.inputs.input_names() == FEATURES
    types = {spec.name: spec.type.name for spec in signature.inputs.inputs}
    assert types["age"] == "long" and types["purpose"] == "string"


def test_model_requirements_pin_the_training_versions(trained: TrainedModel) -> None:
    lines = (trained.model_dir / "requirements.txt").read_text().split()
    pins = dict(line.split("==") for line in lines)
    for name in ("mlflow", "scikit-learn", "pandas", "numpy", "skops"):
        assert pins[name] == importlib.metadata.version(name)


def test_metrics_params_and_plots_in_the_given_run(trained: TrainedModel) -> None:
    client = MlflowClient(trained.tracking_uri)
    run = client.get_run(trained.run_id)  # the run Azure ML handed over through MLFLOW_RUN_ID
    assert run.info.status == "FINISHED"
    metrics = run.data.metrics
    assert metrics["accuracy"] >= 0.70
    assert metrics["roc_auc"] >= 0.70
    assert 0.0 < metrics["f1"] <= 1.0
    assert metrics["train_accuracy"] >= metrics["accuracy"] - 0.15
    params = run.data.params
    assert params["C"] == "1.0" and params["test_size"] == "0.2" and params["random_state"] == "42"
    assert params["max_iter"] == "1000" and params["n_test"] == "200"
    plots = {a.path for a in client.list_artifacts(trained.run_id, "plots")}
    assert plots == {"plots/roc_curve.png", "plots/confusion_matrix.png"}
    local = Path(client.download_artifacts(trained.run_id, "plots"))
    for png in local.iterdir():
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(client.search_runs([trained.experiment_id])) == 1, "train.py must not open a second run"


def test_model_logged_to_the_run(trained: TrainedModel) -> None:
    models = MlflowClient(trained.tracking_uri).search_logged_models(experiment_ids=[trained.experiment_id])
    assert [(m.name, m.source_run_id) for m in models] == [("model", trained.run_id)]


def test_summary_on_stdout(trained: TrainedModel) -> None:
    assert f"run_id={trained.run_id}" in trained.stdout
    assert "accuracy=" in trained.stdout and "roc_auc=" in trained.stdout


def test_folder_input_and_own_run(tmp_path: Path) -> None:
    """A uri_folder input (one CSV inside) works, and without MLFLOW_RUN_ID a run is started."""
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    shutil.copy(DATASET_CSV, data_dir / "credit.csv")
    tracking_uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    proc = run_train(
        ["--data", str(data_dir), "--model_output", str(tmp_path / "out"), "--C", "0.5", "--max_iter", "500"],
        env=mlflow_env(tracking_uri),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    runs = MlflowClient(tracking_uri).search_runs(["0"])
    assert len(runs) == 1
    assert runs[0].data.params["C"] == "0.5" and runs[0].data.params["data"] == "credit.csv"
    assert (tmp_path / "out" / "MLmodel").is_file()


def test_folder_with_several_csvs_is_refused(train_module: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("x\n1\n")
    (tmp_path / "b.csv").write_text("x\n1\n")
    with pytest.raises(SystemExit, match="exactly one .csv file in the folder, found 2"):
        train_module.resolve_csv(tmp_path)


def test_missing_data_is_refused(train_module: ModuleType, tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="no such file or folder"):
        train_module.resolve_csv(tmp_path / "nope.csv")


def test_non_empty_output_is_refused(train_module: ModuleType, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "old.txt").write_text("x")
    with pytest.raises(SystemExit, match="is not empty"):
        train_module.main(["--data", str(DATASET_CSV), "--model_output", str(out)])


def test_column_kinds_use_pandas_types(train_module: ModuleType) -> None:
    """pandas 3 text columns are StringDtype, not object; booleans count as categories."""
    frame = pd.DataFrame(
        {"n": [1, 2], "f": [0.5, 1.5], "s": pd.Series(["a", "b"], dtype="str"), "b": [True, False]}
    )
    assert train_module.column_kinds(frame) == (["n", "f"], ["s", "b"])
