"""Scoring script for the German Credit model: the Azure ML ``init()`` / ``run(raw_data)`` contract.

Azure ML's inference server (``azureml-inference-server-http``) imports this file, calls ``init()``
once per worker and ``run()`` once per ``POST /score`` with the request body as a JSON string.

Request::

    {"data": [{"checking_status": "<0", "duration": 6, ..., "foreign_worker": "yes"}, ...]}

(``{"input_data": [...]}`` or ``{"input_data": {"columns": [...], "data": [[...], ...]}}``, the shape
Azure ML uses for MLflow deployments, is accepted too.)

Response::

    {"predictions": ["good", ...], "probabilities": [{"bad": 0.2, "good": 0.8}, ...]}

A bad request never reaches the model: it is checked against the model's MLflow signature and
answered with HTTP 400 ``{"error": "..."}`` naming what is wrong (missing columns by name, wrong
types by record and column), so callers can fix their payload without reading server logs.
"""

from __future__ import annotations

import json
import logging
import math
import os
from pathlib import Path
from typing import Any

import mlflow.sklearn
import pandas as pd
from mlflow.models import Model

try:  # the documented import path; older inference images ship it
    from azureml.contrib.services.aml_response import AMLResponse
except ImportError:  # azureml-inference-server-http >= 1.x keeps the class here
    try:
        from azureml_inference_server_http.api.aml_response import AMLResponse
    except ImportError:  # not under the inference server (tests, plain Python): return dicts
        AMLResponse = None

logger = logging.getLogger(__name__)

NUMERIC_TYPES = {"double", "float", "long", "integer"}
STRING_TYPES = {"string"}
MAX_REPORTED_ERRORS = 10
USAGE = 'expected {"data": [{"column": value, ...}, ...]}'

_model: Any = None
# (column name, MLflow type name) in the order the model was trained on.
_columns: list[tuple[str, str]] = []


class PayloadError(ValueError):
    """A request the caller must fix; its message is returned to the caller as-is."""


def find_model_dir(root: Path) -> Path:
    """Return the folder holding ``MLmodel``: ``root`` itself or the shallowest one below it.

    Azure ML mounts a registered model under ``AZUREML_MODEL_DIR`` keeping the folder name it was
    registered from (e.g. ``model_output/``), so the MLflow model is usually one level down.
    """
    if (root / "MLmodel").is_file():
        return root
    found = sorted(p.parent for p in root.rglob("MLmodel") if p.is_file())
    if not found:
        raise RuntimeError(f"no MLflow model (an 'MLmodel' file) in AZUREML_MODEL_DIR={root} or below it")
    shallowest = min(len(p.parts) for p in found)
    candidates = [p for p in found if len(p.parts) == shallowest]
    if len(candidates) > 1:
        raise RuntimeError(f"several MLflow models under {root}: {', '.join(map(str, candidates))}")
    return candidates[0]


def _input_columns(model_dir: Path, model: Any) -> list[tuple[str, str]]:
    """Columns and types from the MLflow signature; without one, names from the fitted pipeline."""
    signature = Model.load(str(model_dir / "MLmodel")).signature
    if signature is not None and signature.inputs.has_input_names():
        return [(str(spec.name), str(spec.type.name)) for spec in signature.inputs.inputs]
    return [(str(name), "any") for name in getattr(model, "feature_names_in_", [])]


def init() -> None:
    """Load the model once per worker (Azure ML calls this before serving any request)."""
    global _model, _columns
    model_root = os.environ.get("AZUREML_MODEL_DIR")
    if not model_root:
        raise RuntimeError("AZUREML_MODEL_DIR is not set: it must point at the registered model folder")
    model_dir = find_model_dir(Path(model_root))
    _model = mlflow.sklearn.load_model(str(model_dir))
    _columns = _input_columns(model_dir, _model)
    logger.info("loaded model from %s with %d input columns", model_dir, len(_columns))


def _records(raw_data: str | bytes | dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """Parse the body into (key used, records), or raise PayloadError saying what is wrong."""
    if isinstance(raw_data, dict):
        payload: Any = raw_data
    else:
        try:
            payload = json.loads(raw_data)
        except (ValueError, TypeError) as exc:
            raise PayloadError(f"request body is not valid JSON ({exc}); {USAGE}") from None
    if not isinstance(payload, dict):
        raise PayloadError(f"request body must be a JSON object, got {type(payload).__name__}; {USAGE}")
    if "data" in payload:
        key, rows = "data", payload["data"]
    elif "input_data" in payload:
        key, rows = "input_data", payload["input_data"]
        if isinstance(rows, dict) and {"columns", "data"} <= rows.keys():
            rows = _split_to_records(rows)
    else:
        keys = ", ".join(sorted(map(str, payload))) or "none"
        raise PayloadError(f"missing 'data' key (keys found: {keys}); {USAGE}")
    if not isinstance(rows, list):
        raise PayloadError(f"'{key}' must be a list of objects, got {type(rows).__name__}; {USAGE}")
    if not rows:
        raise PayloadError(f"'{key}' is empty: send at least one record")
    bad = [i for i, row in enumerate(rows) if not isinstance(row, dict)]
    if bad:
        raise PayloadError(f"'{key}' must be a list of objects; not an object: {_positions(key, bad)}")
    return key, rows


def _split_to_records(split: dict[str, Any]) -> list[Any]:
    """Turn pandas 'split' orientation (``columns`` + row lists) into records."""
    columns, data = split["columns"], split["data"]
    if not isinstance(columns, list) or not isinstance(data, list):
        raise PayloadError("'input_data.columns' and 'input_data.data' must both be lists")
    records: list[Any] = []
    for i, row in enumerate(data):
        if not isinstance(row, list) or len(row) != len(columns):
            raise PayloadError(f"'input_data.data[{i}]' must be a list of {len(columns)} values")
        records.append(dict(zip(columns, row, strict=True)))
    return records


def _positions(key: str, indexes: list[int]) -> str:
    """Name the offending records compactly, e.g. ``data[0], data[3]``."""
    shown = ", ".join(f"{key}[{i}]" for i in indexes[:MAX_REPORTED_ERRORS])
    extra = len(indexes) - MAX_REPORTED_ERRORS
    return shown + (f" and {extra} more" if extra > 0 else "")


def _type_error(value: Any, kind: str) -> str | None:
    """Describe why ``value`` does not fit the column type, or None if it fits (null always fits)."""
    if value is None:
        return None
    if kind in NUMERIC_TYPES:
        if isinstance(value, bool) or not isinstance(value, int | float):
            return f"expected a number, got {type(value).__name__} {value!r}"
        if isinstance(value, float) and not math.isfinite(value):
            return f"expected a finite number, got {value!r}"
    elif kind in STRING_TYPES and not isinstance(value, str):
        return f"expected a string, got {type(value).__name__} {value!r}"
    return None


def _validate(key: str, rows: list[dict[str, Any]]) -> None:
    """Check every record against the signature: all columns present, each value of the right type."""
    names = [name for name, _ in _columns]
    missing: dict[str, list[int]] = {}
    for i, row in enumerate(rows):
        for name in names:
            if name not in row:
                missing.setdefault(name, []).append(i)
    if missing:
        where = sorted({i for rows_missing in missing.values() for i in rows_missing})
        raise PayloadError(
            f"missing columns: {', '.join(missing)} (in {_positions(key, where)}); "
            f"every record needs: {', '.join(names)}"
        )
    problems = [
        f"{key}[{i}].{name}: {problem}"
        for i, row in enumerate(rows)
        for name, kind in _columns
        if (problem := _type_error(row[name], kind)) is not None
    ]
    if problems:
        more = len(problems) - MAX_REPORTED_ERRORS
        raise PayloadError(
            "wrong types: "
            + "; ".join(problems[:MAX_REPORTED_ERRORS])
            + (f"; and {more} more" if more > 0 else "")
        )


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    """Build the model input: numbers as float64 (a null becomes NaN for the median imputer; the
    scaler does not care whether integers arrive as int or float), text as pandas strings."""
    frame = pd.DataFrame.from_records(rows, columns=[name for name, _ in _columns])
    for name, kind in _columns:
        if kind in NUMERIC_TYPES:
            frame[name] = frame[name].astype("float64")
        elif kind in STRING_TYPES:
            frame[name] = frame[name].astype("str")
    return frame


def _error(message: str) -> Any:
    """A 400 under the inference server; a plain dict elsewhere (tests, local calls)."""
    logger.warning("rejected request: %s", message)
    body = {"error": message}
    if AMLResponse is not None:
        return AMLResponse(body, 400, json_str=True)
    return body


def run(raw_data: str | bytes | dict[str, Any]) -> Any:
    """Score a batch of applicants; return labels and per-class probabilities, or a clear error."""
    if _model is None:
        raise RuntimeError("init() has not been called: the model is not loaded")
    try:
        key, rows = _records(raw_data)
        _validate(key, rows)
    except PayloadError as exc:
        return _error(str(exc))
    frame = _frame(rows)
    classes = [str(c) for c in _model.classes_]
    probabilities = _model.predict_proba(frame)
    return {
        "predictions": [classes[int(i)] for i in probabilities.argmax(axis=1)],
        "probabilities": [
            {label: float(p) for label, p in zip(classes, row, strict=True)} for row in probabilities
        ],
    }
