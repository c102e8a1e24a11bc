"""Every pipeline of the real-world corpus expands and validates as Azure DevOps treats it.

`manifest.yml` says what Azure does with each pipeline (`valid`: compiles; `refused`: refused). Each
entry goes through `mlops expand` and `mlops validate` from its repository folder with its `--repo`
mappings: a valid one exits 0 on both, a refused one exits 2 on both with a located message
(`file:line:col`) that says why. Nothing prints a traceback or an internal error.

Where we read Azure differently from the manifest, CORRECTIONS says so and why.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from realworld_corpus import CORPUS, SKIP_REASON, manifest

from emulator.cli import main

LOCATED = re.compile(r"^error: \S+:\d+:\d+: ", re.M)
CORRECTIONS = {
    "rsethur-MLOps/mlops/recipes/IaC/ProvisionMLWorkspace.yml": (
        "refused",
        "its template mlops/recipes/IaC/ProvisionAMLComputeCluster.yml is not one YAML document: the "
        "'parameters:' line is missing, so an indented mapping is followed by 'jobs:' at column 1, which "
        "no YAML parser accepts (YAML 1.2 spec 9.2: a second document needs '---'); Azure's parser "
        "refuses the file as well",
    ),
}
WHY_REFUSED = {  # what the located message must say for each refused pipeline
    "rsethur-MLOps/mlops/recipes/IaC/TearDownResourceGroup.yml": "not found in repository self",
    "rsethur-MLOps/mlops/recipes/IaC/ProvisionMLWorkspace.yml": "YAML syntax error",
    "mlops-v2-cv-aml-cli-v2/mlops/devops-pipelines/deploy-model-training-pipeline.yml": (
        "Unexpected parameter 'build_type'"
    ),
    "mlops-v2-nlp-python-sdk-v2/mlops/devops-pipelines/deploy-model-training-pipeline.yml": (
        "A value for the 'data_name' parameter must be provided."
    ),
}


def _id(entry: dict[str, Any]) -> str:
    return f"{entry['root']}/{entry['pipeline']}"


def _params() -> list[Any]:
    entries = manifest()
    if not entries:
        return [pytest.param(None, marks=pytest.mark.skip(reason=SKIP_REASON), id="corpus-absent")]
    return [pytest.param(entry, id=_id(entry)) for entry in entries]


def _mlops(
    command: str, entry: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str]:
    assert CORPUS is not None
    monkeypatch.chdir(CORPUS / entry["root"])
    args = [command, entry["pipeline"]]
    for alias, folder in (entry.get("repos") or {}).items():
        args += ["--repo", f"{alias}={CORPUS / folder}"]
    code = main(args)
    out = capsys.readouterr()
    return code, out.out + out.err


def test_the_expectations_cover_the_manifest() -> None:
    entries = {_id(e): e for e in manifest()}
    if not entries:
        pytest.skip(SKIP_REASON)
    assert set(CORRECTIONS) | set(WHY_REFUSED) <= set(entries)
    refused = {key for key, entry in entries.items() if _expect(entry) == "refused"}
    assert refused == set(WHY_REFUSED), "every refused pipeline needs the reason its message must give"


def _expect(entry: dict[str, Any]) -> str:
    correction = CORRECTIONS.get(_id(entry))
    return correction[0] if correction else str(entry["expect"])


@pytest.mark.parametrize("entry", _params())
def test_expand_and_validate(
    entry: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expect = _expect(entry)
    for command in ("expand", "validate"):
        code, text = _mlops(command, entry, capsys, monkeypatch)
        assert "Traceback" not in text and "Internal error" not in text, text
        if expect == "valid":
            assert code == 0, f"mlops {command}: exit {code}\n{text}"
            continue
        assert code == 2, f"mlops {command}: exit {code}, expected 2 (refused)\n{text}"
        assert LOCATED.search(text), f"mlops {command}: the message is not located\n{text}"
        assert WHY_REFUSED[_id(entry)] in text, text
