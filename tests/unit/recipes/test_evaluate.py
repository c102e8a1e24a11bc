"""code/evaluate.py: the champion/challenger decision (pure, no MLflow)."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

CODE = Path(__file__).resolve().parents[3] / "code"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"recipes_{name}", CODE / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


evaluate = _load("evaluate")


def test_the_first_model_passes() -> None:
    decision = evaluate.decide(0.61, None, "higherIsBetter", 0.05)
    assert decision.promote and decision.champion is None and "first model" in decision.reason


@pytest.mark.parametrize(
    ("candidate", "champion", "direction", "minimum", "promote"),
    [
        (0.80, 0.75, "higherIsBetter", 0.0, True),
        (0.80, 0.75, "higherIsBetter", 0.05, True),  # exactly the minimum improvement
        (0.80, 0.75, "higherIsBetter", 0.06, False),
        (0.75, 0.75, "higherIsBetter", 0.0, True),  # 0 means "not worse"
        (0.70, 0.75, "higherIsBetter", 0.0, False),
        (0.20, 0.25, "lowerIsBetter", 0.0, True),  # e.g. a log loss
        (0.30, 0.25, "lowerIsBetter", 0.0, False),
        (0.24, 0.25, "lowerIsBetter", 0.02, False),
    ],
)
def test_the_candidate_must_improve_by_the_minimum(
    candidate: float, champion: float, direction: str, minimum: float, promote: bool
) -> None:
    assert evaluate.decide(candidate, champion, direction, minimum).promote is promote


def test_an_unknown_direction_is_refused() -> None:
    with pytest.raises(ValueError, match="higherIsBetter, lowerIsBetter"):
        evaluate.decide(0.8, 0.7, "sideways", 0.0)


def test_the_champion_is_the_newest_tagged_version() -> None:
    models = [
        {"name": "m", "version": "1", "tags": {"champion": "false"}},
        {"name": "m", "version": "10", "tags": {"champion": "true", "roc_auc": "0.7"}},
        {"name": "m", "version": "9", "tags": {"champion": "True"}},
        {"name": "m", "version": "11", "tags": {}},
    ]
    assert evaluate.pick_champion(models)["version"] == "10"
    assert evaluate.pick_champion(models, "gold") is None
    assert evaluate.pick_champion([]) is None


def test_the_champion_metric_comes_from_its_tag() -> None:
    champion = {"name": "m", "version": "3", "tags": {"champion": "true", "roc_auc": "0.775"}}
    assert evaluate.champion_metric(champion, "roc_auc", "unused://") == pytest.approx(0.775)


def test_a_champion_without_metric_or_training_job_is_an_error() -> None:
    with pytest.raises(SystemExit, match="metricTags"):
        evaluate.champion_metric({"name": "m", "version": "3", "tags": {"champion": "true"}}, "f1", "x://")


def test_models_are_read_from_az_json(tmp_path: Path) -> None:
    path = tmp_path / "models.json"
    path.write_text(json.dumps({"name": "m", "version": "1"}))
    assert evaluate._load_models(str(path)) == [{"name": "m", "version": "1"}]
    path.write_text("")
    assert evaluate._load_models(str(path)) == []
