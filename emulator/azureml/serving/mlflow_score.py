"""The scoring script of an MLflow model deployed without code (Azure ML's "no-code deployment").

Azure ML generates the scoring script of an `mlflow_model` deployed with neither `environment:` nor
`code_configuration:`; the emulator serves this one in its place, under the same inference server, with
the same request and response contract [DOC how-to-deploy-mlflow-models.md "Input structure"]:

- the request is JSON with the input under `input_data` (a request without it is refused with 400):
  a pandas DataFrame in split orientation (`{"columns", "index", "data"}`), a list (a tensor; rows of
  a model whose signature names its columns become a DataFrame with those columns), or a dictionary
  of lists (named tensors); an optional `params` goes to `predict(..., params=)`;
- the response is the predictions as JSON: a list for an array or a Series, records for a DataFrame.

The model folder is `$AZUREML_MODEL_DIR/$MLFLOW_MODEL_FOLDER`, the variables Azure sets. This file runs
inside the deployment's environment: it must not import the emulator.
"""

from __future__ import annotations

import inspect
import io
import json
import os
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd

_MODEL: Any = None


def init() -> None:
    global _MODEL
    folder = os.path.join(os.environ["AZUREML_MODEL_DIR"], os.environ.get("MLFLOW_MODEL_FOLDER", ""))
    _MODEL = mlflow.pyfunc.load_model(folder)


def _column_types() -> dict[str, Any] | None:
    """The columns the model's signature names, with their pandas types (None: no column signature)."""
    signature = _MODEL.metadata.signature if _MODEL is not None else None
    if signature is None or signature.inputs.is_tensor_spec():
        return None
    names = signature.inputs.input_names()
    if not names or not all(isinstance(n, str) for n in names):
        return None
    return dict(zip(names, signature.inputs.pandas_types(), strict=False))


def _typed(frame: pd.DataFrame, types: dict[str, Any] | None) -> pd.DataFrame:
    """Columns converted to the signature's types, as Azure's generated script does (its input schema
    is a sample DataFrame of those types): `1` reaches a double column as `1.0`."""
    for column, dtype in (types or {}).items():
        if column in frame.columns:
            try:
                frame[column] = frame[column].astype(dtype)
            except (TypeError, ValueError):
                pass  # left as sent: MLflow's schema check says what is wrong
    return frame


def model_input(data: Any) -> Any:
    """The Python object `predict` gets for the value of `input_data`."""
    types = _column_types()
    if isinstance(data, dict) and {"columns", "index", "data"} <= set(data):
        return _typed(pd.read_json(io.StringIO(json.dumps(data)), orient="split", dtype=False), types)
    if isinstance(data, list):
        if types and data and all(isinstance(row, list) and len(row) == len(types) for row in data):
            return _typed(pd.DataFrame(data, columns=list(types)), types)
        return np.asarray(data)
    if isinstance(data, dict):
        return {str(name): np.asarray(value) for name, value in data.items()}
    return data


def jsonable(result: Any) -> Any:
    """Predictions as JSON values: DataFrames as records, arrays and Series as lists."""
    if isinstance(result, pd.DataFrame):
        return json.loads(result.to_json(orient="records"))
    if isinstance(result, (pd.Series, np.ndarray)):
        return result.tolist()
    if isinstance(result, dict):
        return {str(k): jsonable(v) for k, v in result.items()}
    if isinstance(result, (list, tuple)):
        return [jsonable(v) for v in result]
    if isinstance(result, np.generic):
        return result.item()
    return result


def _refuse(message: str) -> Any:
    from azureml_inference_server_http.api.aml_response import AMLResponse

    return AMLResponse({"message": message}, 400, json_str=True)


def run(raw_data: str) -> Any:
    try:
        payload = json.loads(raw_data)
    except ValueError as exc:
        return _refuse(f"the request body is not JSON: {exc}")
    if not isinstance(payload, dict) or "input_data" not in payload:
        return _refuse("Request must contain a top level key named 'input_data'")
    data = model_input(payload["input_data"])
    params = payload.get("params")
    if params is not None and "params" in inspect.signature(_MODEL.predict).parameters:
        return jsonable(_MODEL.predict(data, params=params))
    return jsonable(_MODEL.predict(data))
