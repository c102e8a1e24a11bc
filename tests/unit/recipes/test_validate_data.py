"""code/validate_data.py: the reference profile, the schema and drift checks, and its command line."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pandas as pd
import pytest

REPO_ROOT = Path(__file__).resolve().parents[3]
DATASET = REPO_ROOT / "dataset" / "german_credit.csv"
PROFILE = REPO_ROOT / "mlops_pipelines" / "config" / "german-credit-profile.json"


def _load() -> ModuleType:
    path = REPO_ROOT / "code" / "validate_data.py"
    spec = importlib.util.spec_from_file_location("recipes_validate_data", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


vd = _load()


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    return pd.read_csv(DATASET)


@pytest.fixture(scope="module")
def profile(data: pd.DataFrame) -> dict[str, object]:
    return dict(vd.build_profile(data, source="german_credit.csv"))


def test_the_committed_profile_is_the_profile_of_the_dataset(profile: dict[str, object]) -> None:
    """mlops_pipelines/config/german-credit-profile.json is rebuilt with `validate_data.py profile`."""
    assert json.loads(PROFILE.read_text()) == json.loads(json.dumps(profile))


def test_the_profile_describes_each_column(profile: dict[str, object]) -> None:
    columns = profile["columns"]
    assert isinstance(columns, dict)
    assert profile["rows"] == 1000 and len(columns) == 21
    assert columns["age"]["kind"] == "numeric" and columns["age"]["min"] == 19.0
    assert sum(columns["age"]["bin_fractions"]) == pytest.approx(1.0)
    assert columns["purpose"]["kind"] == "categorical"
    assert sum(columns["purpose"]["frequencies"].values()) == pytest.approx(1.0)


def test_the_training_data_passes_against_its_own_profile(
    data: pd.DataFrame, profile: dict[str, object]
) -> None:
    report = vd.check(data, profile)
    assert report.passed and report.max_drift == pytest.approx(0.0, abs=1e-9)


def test_a_random_sample_does_not_drift(data: pd.DataFrame, profile: dict[str, object]) -> None:
    report = vd.check(data.sample(300, random_state=1), profile, max_drift=0.2)
    assert report.passed, report.errors
    assert report.max_drift < 0.1


def test_shifted_amounts_drift(data: pd.DataFrame, profile: dict[str, object]) -> None:
    shifted = data.assign(credit_amount=data["credit_amount"] * 3)
    report = vd.check(shifted, profile, max_drift=0.2)
    assert not report.passed
    assert report.drifted_columns == ["credit_amount"]
    assert report.drift["credit_amount"] > 1.0
    assert any("credit_amount: drift (PSI)" in e for e in report.errors)
    assert any("outside [250, 18424]" in w for w in report.warnings)


def test_a_changed_category_mix_drifts(data: pd.DataFrame, profile: dict[str, object]) -> None:
    mixed = data.assign(purpose="business")
    report = vd.check(mixed, profile, max_drift=0.2)
    assert "purpose" in report.drifted_columns


def test_unseen_categories_are_a_warning_and_count_as_drift(
    data: pd.DataFrame, profile: dict[str, object]
) -> None:
    renamed = data.assign(housing=data["housing"].replace({"own": "owner"}))
    report = vd.check(renamed, profile, max_drift=50)
    assert report.passed
    assert any("categories the profile never saw: owner" in w for w in report.warnings)
    assert report.drift["housing"] > 1.0


def test_schema_problems_are_errors(data: pd.DataFrame, profile: dict[str, object]) -> None:
    words = data["duration"].astype(str).str.replace("6", "six")
    broken = data.drop(columns=["age"]).assign(extra=1, duration=words)
    report = vd.check(broken, profile, min_rows=2000)
    assert not report.passed
    assert "only 1000 rows, at least 2000 expected" in report.errors
    assert "missing columns: age" in report.errors
    assert "columns the profile does not know: extra" in report.errors
    assert any(e.startswith("duration:") and "not numbers" in e for e in report.errors)
    assert vd.check(data.assign(extra=1), profile, allow_extra_columns=True).passed


def test_more_missing_values_than_allowed_is_an_error(data: pd.DataFrame, profile: dict[str, object]) -> None:
    holes = data.copy()
    holes.loc[: len(holes) // 10, "savings_status"] = None
    report = vd.check(holes, profile, max_drift=5, max_null_increase=0.05)
    assert any(e.startswith("savings_status:") and "missing values" in e for e in report.errors)


def test_psi_is_zero_for_equal_distributions_and_positive_otherwise() -> None:
    assert vd.psi([0.5, 0.5], [0.5, 0.5]) == 0.0
    assert vd.psi([0.5, 0.5], [0.9, 0.1]) > 0.4
    assert vd.psi([1.0, 0.0], [0.0, 1.0]) > 10


def test_the_command_line_writes_a_report_and_azure_devops_outputs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    drifted = tmp_path / "drifted.csv"
    pd.read_csv(DATASET).assign(duration=lambda f: f["duration"] * 2).to_csv(drifted, index=False)
    report = tmp_path / "out" / "report.json"
    args = ["check", "--data", str(drifted), "--profile", str(PROFILE), "--report", str(report), "--vso"]
    code = vd.main(args)
    out = capsys.readouterr().out
    assert code == 1
    assert json.loads(report.read_text())["drifted_columns"] == ["duration"]
    assert "##vso[task.setvariable variable=passed;isOutput=true]false" in out
    assert "##vso[task.setvariable variable=driftedColumns;isOutput=true]duration" in out
    assert "##vso[task.logissue type=error]duration: drift (PSI)" in out


def test_the_command_line_builds_a_profile(tmp_path: Path) -> None:
    output = tmp_path / "profile.json"
    assert vd.main(["profile", "--data", str(DATASET), "--output", str(output)]) == 0
    assert json.loads(output.read_text())["rows"] == 1000
    assert vd.main(["check", "--data", str(DATASET), "--profile", str(output)]) == 0


def test_logging_command_messages_are_escaped() -> None:
    assert vd._escape("50%\nnext") == "50%AZP25%0Anext"
