"""Azure ML YAML validation: the SDK's schemas, with errors that name the file, line, field and a hint."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import FIXTURES, AzRunner

from emulator.azureml.assets.yamlspec import apply_overrides, load_spec, parse_set_values
from emulator.azureml.errors import AzSpecError


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_unknown_field_is_located_with_a_did_you_mean() -> None:
    with pytest.raises(AzSpecError) as caught:
        load_spec("job", FIXTURES / "job" / "job-bad-schema.yml")
    error = caught.value
    assert (error.location.line, error.location.col) == (5, 1)  # type: ignore[union-attr]
    assert error.field == "compte"
    assert "compte: Unknown field." in error.message
    assert error.hint is not None and "did you mean 'compute'?" in error.hint


def test_wrong_value_points_at_the_value(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "deployment.yml",
        "name: blue\nendpoint_name: ep\nmodel: azureml:m:1\n"
        "instance_type: Standard_DS3_v2\ninstance_count: many\n",
    )
    with pytest.raises(AzSpecError) as caught:
        load_spec("online_deployment", path)
    error = caught.value
    assert str(error.location) == f"{path}:5:17"
    assert "instance_count: Not a valid integer." in error.message
    rendered = error.render()
    assert "  instance_count: many" in rendered and "^" in rendered


def test_union_field_reports_the_intended_alternative(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    path = write(
        tmp_path,
        "job.yml",
        "code: src\ncommand: echo\nenvironment: azureml:e:1\n"
        "inputs:\n  data:\n    type: uri_fil\n    path: x\n",
    )
    with pytest.raises(AzSpecError) as caught:
        load_spec("job", path)
    assert caught.value.location is not None and caught.value.location.line == 6
    assert (
        "inputs.data.type: Value 'uri_fil' passed is not in set ['uri_file', 'uri_folder']"
        in caught.value.message
    )


def test_missing_referenced_file_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "env.yml", "name: e\nimage: python:3.11\nconda_file: nowhere/conda.yml\n")
    with pytest.raises(AzSpecError) as caught:
        load_spec("environment", path)
    assert caught.value.field == "conda_file"
    assert caught.value.location is not None and caught.value.location.line == 3
    assert "resolved from the folder of the YAML file" in (caught.value.hint or "")


def test_yaml_syntax_error_is_located(tmp_path: Path) -> None:
    path = write(tmp_path, "job.yml", "code: src\ncommand: [python\nenvironment: x\n")
    with pytest.raises(AzSpecError) as caught:
        load_spec("job", path)
    assert "not valid YAML" in caught.value.message and caught.value.location is not None


def test_set_overrides_dotted_paths_like_az() -> None:
    pairs = parse_set_values(["model=azureml:credit-model:3", "instance_count=2", "tags.a.b=x", "l[0]=9"])
    assert pairs[1] == ("instance_count", 2)
    data = apply_overrides({"model": "old", "l": [1, 2]}, pairs)
    assert data == {
        "model": "azureml:credit-model:3",
        "instance_count": 2,
        "tags": {"a": {"b": "x"}},
        "l": [9, 2],
    }


def test_cli_bad_yaml_gives_one_error_paragraph_and_no_traceback(az_ws: AzRunner) -> None:
    result = az_ws("ml", "job", "create", "--file", "job/job-bad-schema.yml", check=False)
    assert result.code == 1 and result.stdout == ""
    assert result.stderr.startswith("ERROR: ")
    assert "job-bad-schema.yml:5:1" in result.stderr and "compte" in result.stderr
    assert "Traceback" not in result.stderr and "\n\n" not in result.stderr.strip()


def test_cli_missing_file_is_an_argument_error(az_ws: AzRunner) -> None:
    result = az_ws("ml", "environment", "create", "--file", "nope.yml", check=False)
    assert result.code == 2 and "no such file: nope.yml" in result.stderr
