"""Tiny scoring script (Azure ML init()/run() contract) for the az emulator tests."""

import json
import os
from pathlib import Path

import mlflow.sklearn
import pandas as pd

model = None


def init():
    global model
    root = Path(os.environ["AZUREML_MODEL_DIR"])
    model_dir = next(p.parent for p in sorted(root.rglob("MLmodel")))
    model = mlflow.sklearn.load_model(str(model_dir))


def run(raw_data):
    frame = pd.DataFrame(json.loads(raw_data)["data"])
    return {"predictions": [int(v) for v in model.predict(frame[["x1", "x2"]])]}
