"""`mlops validate` beyond expansion: Azure ML YAML via azure-ai-ml, and Azure's own pipeline schema."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from emulator.runner import compile_pipeline
from emulator.validation import SCHEMA_ENV, find_service_schema, validate

ROOT = Path(__file__).resolve().parents[3]
PIPELINES = [
    p
    for p in sorted((ROOT / "mlops_pipelines").glob("*.yml"))
    if re.search(r"^(stages|jobs|steps|extends):", p.read_text(), re.MULTILINE)
]


@pytest.mark.parametrize("pipeline", PIPELINES, ids=lambda p: p.name)
def test_the_project_pipelines_validate(pipeline: Path) -> None:
    compiled = compile_pipeline(pipeline)
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    assert not report.errors, "\n".join(e.render() for e in report.errors)


def test_every_azure_ml_file_of_the_reference_pipeline_is_found() -> None:
    compiled = compile_pipeline(ROOT / "mlops_pipelines" / "BasicBuildRelease.yml")
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    kinds = {(f.kind, f.path.name) for f in report.azureml_files}
    assert kinds == {
        ("environment", "environment.yml"),
        ("job", "train-job.yml"),
        ("model_package", "model-package.yml"),
        ("online_endpoint", "endpoint.yml"),
        ("online_deployment", "deployment.yml"),
    }


def _pipeline(tmp_path: Path, script: str, extra: str = "") -> Path:
    (tmp_path / ".git").mkdir()
    path = tmp_path / "pipe.yml"
    path.write_text(
        "steps:\n- task: AzureCLI@2\n"
        + extra
        + "  inputs:\n    azureSubscription: conn\n    scriptType: bash\n"
        "    scriptLocation: inlineScript\n    inlineScript: |\n"
        + "".join(f"      {ln}\n" for ln in script.splitlines())
    )
    return path


def test_a_broken_azure_ml_file_is_reported_with_its_field(tmp_path: Path) -> None:
    (tmp_path / "endpoint.yml").write_text("name: ep\nauth_mode: password\n")
    pipe = _pipeline(tmp_path, "az ml online-endpoint create --file endpoint.yml")
    compiled = compile_pipeline(pipe)
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    assert len(report.errors) == 1
    text = report.errors[0].render()
    assert "auth_mode" in text and "endpoint.yml" in text


def test_a_missing_azure_ml_file_is_reported_at_the_step(tmp_path: Path) -> None:
    pipe = _pipeline(tmp_path, "job=$(az ml job create -f missing.yml --query name -o tsv)")
    compiled = compile_pipeline(pipe)
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    # a warning: Azure DevOps accepts the pipeline, only the step fails when it runs
    assert not report.errors and len(report.warnings) == 1 and "does not exist" in report.warnings[0].message
    assert report.warnings[0].location is not None and report.warnings[0].location.line == 2


def test_files_named_by_run_time_values_are_listed_as_skipped(tmp_path: Path) -> None:
    pipe = _pipeline(tmp_path, 'az ml job create --file "$(jobFile)"')
    compiled = compile_pipeline(pipe)
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    assert not report.errors and report.skipped and "$(jobFile)" in report.skipped[0]


@pytest.fixture
def service_schema(monkeypatch: pytest.MonkeyPatch) -> Path:
    schema = find_service_schema(ROOT)
    if schema is None:
        pytest.skip(
            f"the Azure Pipelines service schema is not available: set {SCHEMA_ENV} to a copy of "
            "microsoft/azure-pipelines-vscode's service-schema.json"
        )
    monkeypatch.setenv(SCHEMA_ENV, str(schema))
    return schema


def test_the_service_schema_rejects_what_azure_rejects(tmp_path: Path, service_schema: Path) -> None:
    (tmp_path / ".git").mkdir()
    pipe = tmp_path / "pipe.yml"
    pipe.write_text("pool:\n  vmImage: [ubuntu-latest, windows-latest]\nsteps:\n- script: echo hi\n")
    compiled = compile_pipeline(pipe)
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    assert report.service_schema == str(service_schema)
    assert report.errors, "a list where Azure wants a number must be rejected"
    assert report.errors[0].location is not None and report.errors[0].location.file.endswith("pipe.yml")


def test_typed_task_inputs_are_accepted(tmp_path: Path, service_schema: Path) -> None:
    (tmp_path / ".git").mkdir()
    pipe = tmp_path / "pipe.yml"
    pipe.write_text(
        "steps:\n- task: PublishTestResults@2\n  inputs:\n    testResultsFiles: x.xml\n"
        "    failTaskOnFailedTests: true\n"
    )
    compiled = compile_pipeline(pipe)
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    assert not report.errors, [e.render() for e in report.errors]


def test_a_template_expression_keeps_its_type_in_task_inputs(tmp_path: Path, service_schema: Path) -> None:
    """`${{ parameters.flag }}` is a boolean in the expanded pipeline (printed True/False), so a boolean
    task input accepts it, as the service does."""
    (tmp_path / ".git").mkdir()
    pipe = tmp_path / "pipe.yml"
    pipe.write_text(
        "parameters:\n- name: flag\n  type: boolean\n  default: false\n"
        "steps:\n- task: PublishTestResults@2\n  inputs:\n    testResultsFiles: x.xml\n"
        "    failTaskOnFailedTests: ${{ parameters.flag }}\n"
    )
    compiled = compile_pipeline(pipe)
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    assert not report.errors, [e.render() for e in report.errors]


def test_variables_and_working_directory_lead_to_the_azure_ml_file(tmp_path: Path) -> None:
    """mlops-templates writes `az ml $(endpoint_type)-deployment create -f F` with `endpoint_type` a
    pipeline variable, and steps with a `workingDirectory`: the file is found as the agent would."""
    (tmp_path / ".git").mkdir()
    (tmp_path / "deploy").mkdir()
    (tmp_path / "deploy" / "endpoint.yml").write_text("name: ep\nauth_mode: password\n")
    pipe = tmp_path / "pipe.yml"
    pipe.write_text(
        "variables:\n  endpoint_type: online\n  endpoint_file: endpoint.yml\n"
        "  later: $[ variables.endpoint_type ]\n"
        "steps:\n- task: AzureCLI@2\n  inputs:\n    azureSubscription: conn\n    scriptType: bash\n"
        "    scriptLocation: inlineScript\n"
        "    workingDirectory: $(System.DefaultWorkingDirectory)/deploy\n"
        "    inlineScript: |\n"
        "      az ml $(endpoint_type)-endpoint create --name x -f $(endpoint_file)\n"
        "      az ml $(later)-endpoint create -f endpoint.yml\n"
        "      az ml online-endpoint create -f $(Runtime.Value)\n"
    )
    compiled = compile_pipeline(pipe)
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    assert [(f.kind, f.path) for f in report.azureml_files] == [
        ("online_endpoint", (tmp_path / "deploy" / "endpoint.yml").resolve())
    ]
    assert len(report.errors) == 1 and "auth_mode" in report.errors[0].render()
    assert report.skipped and "$(Runtime.Value)" in report.skipped[0]
