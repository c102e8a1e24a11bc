"""code/score.py: the Azure ML init()/run() contract, in-process against a really trained model.

Optionally also through the real Azure ML inference server: set ``CREDIT_SCORING_PYTHON`` to the
python of a venv built from code/environment/conda.yml plus gunicorn (the server cannot share the
dev venv: its opentelemetry pins clash with azure-ai-ml).
"""

from __future__ import annotations

import copy
import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import mlflow.sklearn
import pandas as pd
import pytest

from .conftest import CODE_DIR, TrainedModel, load_module

SAMPLE_REQUEST = CODE_DIR / "sample-request.json"


@pytest.fixture(scope="module")
def sample() -> dict[str, Any]:
    payload: dict[str, Any] = json.loads(SAMPLE_REQUEST.read_text())
    return payload


@pytest.fixture(scope="module")
def score(trained: TrainedModel) -> Iterator[ModuleType]:
    """score.py loaded fresh and initialised the way the server does it."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("AZUREML_MODEL_DIR", str(trained.azureml_model_dir))
        module = load_module(CODE_DIR / "score.py", "score_under_test")
        module.init()
        yield module


def error_of(result: Any) -> str:
    """The error message of a rejected request: an AMLResponse(400) or, off-server, a dict."""
    if isinstance(result, dict):
        assert set(result) == {"error"}, result
        return str(result["error"])
    assert result.status_code == 400
    body: dict[str, str] = json.loads(result.get_data(as_text=True))
    return body["error"]


def test_sample_request(score: ModuleType, sample: dict[str, Any], trained: TrainedModel) -> None:
    result = score.run(json.dumps(sample))
    assert set(result) == {"predictions", "probabilities"}
    assert result["predictions"] == ["good", "bad"]  # a solid applicant, then a risky one
    for label, probs in zip(result["predictions"], result["probabilities"], strict=True):
        assert set(probs) == {"good", "bad"}
        assert abs(sum(probs.values()) - 1.0) < 1e-9
        assert max(probs, key=probs.__getitem__) == label
    # Same answer as the pipeline itself on the same records.
    pipe = mlflow.sklearn.load_model(str(trained.model_dir))
    assert list(pipe.predict(pd.DataFrame(sample["data"]))) == result["predictions"]
    json.dumps(result)  # the server must be able to serialise it


def test_accepts_bytes_and_dicts(score: ModuleType, sample: dict[str, Any]) -> None:
    expected = score.run(json.dumps(sample))
    assert score.run(json.dumps(sample).encode()) == expected
    assert score.run(sample) == expected


def test_accepts_input_data_records_and_split(score: ModuleType, sample: dict[str, Any]) -> None:
    expected = score.run(json.dumps(sample))
    records = sample["data"]
    assert score.run(json.dumps({"input_data": records})) == expected
    columns = list(records[0])
    split = {"columns": columns, "index": [0, 1], "data": [[r[c] for c in columns] for r in records]}
    assert score.run(json.dumps({"input_data": split})) == expected


def test_nulls_and_floats_are_imputed_not_rejected(score: ModuleType, sample: dict[str, Any]) -> None:
    payload = copy.deepcopy(sample)
    payload["data"][0]["age"] = None
    payload["data"][0]["housing"] = None
    payload["data"][1]["duration"] = 47.5
    result = score.run(json.dumps(payload))
    assert len(result["predictions"]) == 2


def test_unknown_category_is_ignored(score: ModuleType, sample: dict[str, Any]) -> None:
    payload = copy.deepcopy(sample)
    payload["data"][0]["purpose"] = "spaceship"
    assert score.run(json.dumps(payload))["predictions"][0] in {"good", "bad"}


def _without(sample: dict[str, Any], *columns: str) -> str:
    payload = copy.deepcopy(sample)
    for row in payload["data"]:
        for column in columns:
            row.pop(column)
    return json.dumps(payload)


def _with(sample: dict[str, Any], row: int, **values: Any) -> str:
    payload = copy.deepcopy(sample)
    payload["data"][row].update(values)
    return json.dumps(payload)


BAD_PAYLOADS: list[tuple[str, Any, list[str]]] = [
    ("not json", lambda s: "applicant: good", ["not valid JSON"]),
    ("empty body", lambda s: "", ["not valid JSON"]),
    ("not an object", lambda s: json.dumps(s["data"]), ["must be a JSON object", "got list"]),
    ("no data key", lambda s: json.dumps({"rows": s["data"]}), ["missing 'data' key", "rows"]),
    ("data not a list", lambda s: json.dumps({"data": s["data"][0]}), ["'data' must be a list of objects"]),
    ("data empty", lambda s: json.dumps({"data": []}), ["'data' is empty"]),
    ("items not objects", lambda s: json.dumps({"data": [s["data"][0], 3, "x"]}), ["data[1], data[2]"]),
    (
        "missing columns",
        lambda s: _without(s, "age", "housing"),
        ["missing columns: age, housing", "data[0]"],
    ),
    ("text for a number", lambda s: _with(s, 0, age="forty"), ["data[0].age: expected a number", "'forty'"]),
    ("number for text", lambda s: _with(s, 1, housing=3), ["data[1].housing: expected a string"]),
    (
        "bool for a number",
        lambda s: _with(s, 1, duration=True),
        ["data[1].duration: expected a number", "bool"],
    ),
    ("NaN", lambda s: _with(s, 0, credit_amount=float("nan")), ["data[0].credit_amount", "finite"]),
]


@pytest.mark.parametrize(
    ("case", "make", "expected"), BAD_PAYLOADS, ids=[case for case, _, _ in BAD_PAYLOADS]
)
def test_bad_payloads_are_named(
    score: ModuleType, sample: dict[str, Any], case: str, make: Any, expected: list[str]
) -> None:
    message = error_of(score.run(make(sample)))
    for fragment in expected:
        assert fragment in message, f"{case}: {fragment!r} not in {message!r}"


def test_several_type_errors_are_reported_together(score: ModuleType, sample: dict[str, Any]) -> None:
    payload = copy.deepcopy(sample)
    payload["data"][0].update(age="old", job=1)
    payload["data"][1].update(duration=[12])
    message = error_of(score.run(json.dumps(payload)))
    assert "data[0].age" in message and "data[0].job" in message and "data[1].duration" in message


def test_find_model_dir(score: ModuleType, tmp_path: Path) -> None:
    (tmp_path / "here").mkdir()
    (tmp_path / "here" / "MLmodel").write_text("x")
    assert score.find_model_dir(tmp_path / "here") == tmp_path / "here"
    nested = tmp_path / "reg" / "credit-model" / "3" / "model_output"
    nested.mkdir(parents=True)
    (nested / "MLmodel").write_text("x")
    assert score.find_model_dir(tmp_path / "reg") == nested
    (tmp_path / "empty").mkdir()
    with pytest.raises(RuntimeError, match="no MLflow model"):
        score.find_model_dir(tmp_path / "empty")
    twin = tmp_path / "reg" / "credit-model" / "3" / "other"
    twin.mkdir()
    (twin / "MLmodel").write_text("x")
    with pytest.raises(RuntimeError, match="several MLflow models"):
        score.find_model_dir(tmp_path / "reg")


def test_init_needs_the_model_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    module = load_module(CODE_DIR / "score.py", "score_uninitialised")
    with pytest.raises(RuntimeError, match="init\\(\\) has not been called"):
        module.run("{}")
    monkeypatch.delenv("AZUREML_MODEL_DIR", raising=False)
    with pytest.raises(RuntimeError, match="AZUREML_MODEL_DIR is not set"):
        module.init()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, body: bytes) -> tuple[int, dict[str, Any]]:
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status), json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return int(exc.code), json.loads(exc.read())


def _scoring_python() -> Path:
    """The isolated environment the emulator builds from code/environment/conda.yml (cached by hash)."""
    import yaml

    from emulator.azureml.compute.envbuild import ensure_environment, plan_environment
    from emulator.azureml.context import Context

    conda = yaml.safe_load((CODE_DIR / "environment" / "conda.yml").read_text())
    return ensure_environment(Context.current(), plan_environment(conda)).python


def test_under_the_azureml_inference_server(
    trained: TrainedModel, sample: dict[str, Any], tmp_path: Path
) -> None:
    python = _scoring_python()
    port = _free_port()
    env = {
        **os.environ,
        "AZUREML_ENTRY_SCRIPT": str((CODE_DIR / "score.py").resolve()),
        "AZUREML_MODEL_DIR": str(trained.azureml_model_dir),
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    log = (tmp_path / "server.log").open("w")
    server = subprocess.Popen(
        [str(python), "-m", "gunicorn", "-b", f"127.0.0.1:{port}", "-w", "1",
         "azureml_inference_server_http.server.entry:app"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(base + "/", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert server.poll() is None and time.monotonic() < deadline, (
                tmp_path / "server.log"
            ).read_text()
            time.sleep(0.5)
        status, body = _post(base + "/score", json.dumps(sample).encode())
        assert status == 200 and body["predictions"] == ["good", "bad"]
        status, body = _post(base + "/score", _without(sample, "age").encode())
        assert status == 400 and "missing columns: age" in body["error"]
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
