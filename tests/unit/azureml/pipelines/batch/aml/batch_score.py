"""Batch scoring script (Azure ML's init()/run(mini_batch) contract) for the az emulator tests."""

import os
from pathlib import Path

import mlflow.sklearn
import pandas as pd

model = None


def init():
    global model
    root = Path(os.environ["AZUREML_MODEL_DIR"])
    model = mlflow.sklearn.load_model(str(next(p.parent for p in sorted(root.rglob("MLmodel")))))


def run(mini_batch):
    frames = []
    for path in mini_batch:
        frame = pd.read_csv(path)
        predictions = model.predict(frame[["x1", "x2"]])
        frames.append(pd.DataFrame({"file": Path(path).name, "prediction": predictions}))
    return pd.concat(frames)
