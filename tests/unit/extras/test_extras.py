"""Without an extra, the commands that need it say which one to install; the others work.

`extras._importable` is patched to play a machine without the extra's packages (the outside-user test,
tests/e2e/test_outside_install.py, does it for real in a fresh venv)."""

from __future__ import annotations

import io
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator import extras
from emulator.errors import MlopsError

INSTALL_AZUREML = "pip install 'mlops-recipes-emulator[azureml]'"


@pytest.fixture
def without(monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    """Make these modules (and their submodules) look not installed."""

    def hide(*modules: str) -> None:
        real = extras._importable
        monkeypatch.setattr(extras, "_importable", lambda m: m not in modules and real(m))

    return hide


def test_missing_names_the_distributions_and_require_the_command_to_run() -> None:
    extras.EXTRAS["fake"] = {"no_such_module_for_the_test": "no-such-dist", "json": "json-stdlib"}
    try:
        assert extras.missing("fake") == ["no-such-dist"]
        assert extras.missing("fake", "json") == []
        with pytest.raises(extras.MissingExtraError) as caught:
            extras.require("fake", "this command")
        error = caught.value
        assert error.extra == "fake"
        assert error.message == "this command needs the 'fake' extra: no-such-dist is not installed"
        assert error.hint == "pip install 'mlops-recipes-emulator[fake]'"
    finally:
        del extras.EXTRAS["fake"]


def test_a_module_whose_parent_package_is_missing_is_not_importable() -> None:
    assert not extras._importable("no_such_package_for_the_test.sub.module")
    assert extras._importable("json.decoder")


def _pipeline(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    (tmp_path / "endpoint.yml").write_text("name: ep\nauth_mode: password\n")  # invalid for azure-ai-ml
    path = tmp_path / "pipe.yml"
    path.write_text(
        "steps:\n- task: AzureCLI@2\n  inputs:\n    azureSubscription: conn\n    scriptType: bash\n"
        "    scriptLocation: inlineScript\n    inlineScript: |\n"
        "      az ml online-endpoint create --file endpoint.yml\n"
        "      az ml job create --file missing.yml\n"
    )
    return path


def test_validate_without_azure_ai_ml_skips_the_azure_ml_yaml_with_a_warning(
    tmp_path: Path, without: Callable[..., None]
) -> None:
    from emulator.runner import compile_pipeline
    from emulator.validation import validate

    without("azure.ai.ml")
    compiled = compile_pipeline(_pipeline(tmp_path))
    report = validate(compiled.pipeline, compiled.expanded.document, compiled.expanded.repo_root)
    assert not report.errors
    assert [f.path.name for f in report.azureml_files] == ["missing.yml"]  # its existence was checked
    messages = sorted(f"{w.rule}: {w.message} | {w.hint}" for w in report.warnings)
    assert messages[0].startswith("azureml-yaml: az ml job create refers to ")  # existence still checked
    assert messages[1] == (
        "not-checked: 1 Azure ML YAML file(s) not checked: azure-ai-ml is not installed | " + INSTALL_AZUREML
    )


def test_az_ml_without_the_extra_exits_2_naming_it(without: Callable[..., None]) -> None:
    from emulator.azureml.az.cli import run

    without("azure.ai.ml", "mlflow")
    out, err = io.StringIO(), io.StringIO()
    assert run(["ml", "model", "list", "-g", "g", "-w", "w"], stdout=out, stderr=err) == 2
    assert err.getvalue() == (
        "ERROR: az ml needs the 'azureml' extra: azure-ai-ml, mlflow are not installed\n"
        f"hint: {INSTALL_AZUREML}\n"
    )
    assert out.getvalue() == ""
    help_out = io.StringIO()  # help needs no extra
    assert run(["ml", "model", "list", "--help"], stdout=help_out, stderr=io.StringIO()) == 0
    assert "az ml model list" in help_out.getvalue()


def test_mlops_ui_without_mlflow_is_bad_input_naming_the_extra(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    without: Callable[..., None],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from emulator.cli import main

    without("mlflow")
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    assert main(["ui"]) == 2
    err = " ".join(capsys.readouterr().err.split())
    assert "mlops ui (the MLflow UI) needs the 'azureml' extra: mlflow is not installed" in err
    assert INSTALL_AZUREML in err


def test_the_report_without_mlflow_says_how_to_get_the_model_and_metrics(
    tmp_path: Path, without: Callable[..., None]
) -> None:
    from emulator.report import mlflow_data

    without("mlflow")
    (tmp_path / "mlflow.db").write_bytes(b"")  # a store exists: the report would read it
    findings = mlflow_data.find(tmp_path, {"id": "1"})
    assert findings.note == (
        "the model, metrics and plots from MLflow needs the 'azureml' extra: mlflow is "
        f"not installed ({INSTALL_AZUREML})"
    )


def test_png_without_cairosvg_names_the_png_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    from emulator import graph

    monkeypatch.setitem(sys.modules, "cairosvg", None)  # import cairosvg -> ImportError
    with pytest.raises(MlopsError) as caught:
        graph.svg_to_png("<svg/>")
    assert "pip install 'mlops-recipes-emulator[png]'" in str(caught.value.hint)


def test_docker_without_the_sdk_falls_back_or_fails_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch, without: Callable[..., None]
) -> None:
    from emulator.azureml.errors import AzError
    from emulator.azureml.serving.docker_daemon import connect

    without("docker")
    monkeypatch.setenv("MLOPS_DOCKER", "auto")
    daemon, reason = connect()
    assert daemon is None
    assert reason == "the Docker SDK is not installed (pip install 'mlops-recipes-emulator[docker]')"
    monkeypatch.setenv("MLOPS_DOCKER", "require")
    with pytest.raises(AzError, match=r"MLOPS_DOCKER=require but the Docker SDK is not installed"):
        connect()
