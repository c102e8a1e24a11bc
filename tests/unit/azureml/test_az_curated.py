"""Environments Azure ML provides (curated, the `azureml` registry's) resolve to local equivalents built
from what their images contain, or are refused with what to write instead, never as "malformed".

References as Azure ML documents them [DOC how-to-manage-environments-v2.md "curated environments";
how-to-share-models-pipelines-across-workspaces-with-registries.md: azureml://registries/<registry>/
environments/<name>/versions/<version> | /labels/latest]; contents from Azure/azureml-assets
(assets/training/general/environments/<name>/context/conda_dependencies.yaml).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.azureml.assets.curated import catalog, is_curated_reference, resolve_curated
from emulator.azureml.assets.environments import resolve_environment
from emulator.azureml.compute.envbuild import plan_environment
from emulator.azureml.context import Context
from emulator.azureml.errors import AzNotEmulatedError

RESOLVED = [  # (reference, registry name of the equivalent, its Python)
    ("azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest", "sklearn-1.0", "3.9"),  # mlops-v2 nlp, cv
    ("AzureML-sklearn-1.0-ubuntu20.04-py38-cpu@latest", "sklearn-1.0", "3.9"),  # the SDK strips azureml:
    ("azureml:AzureML-sklearn-1.0-ubuntu20.04-py38-cpu:42", "sklearn-1.0", "3.9"),
    ("azureml://registries/azureml/environments/sklearn-1.5/labels/latest", "sklearn-1.5", "3.10"),
    ("azureml://registries/azureml/environments/sklearn-1.5/versions/7", "sklearn-1.5", "3.10"),
    ("azureml://registries/azureml/environments/lightgbm-3.3", "lightgbm-3.3", "3.10"),
    ("azureml:AzureML-sklearn-1.5@latest", "sklearn-1.5", "3.10"),
]

REFUSED = [  # (reference, what the message says, what it asks to write instead)
    (
        "azureml://registries/my-team/environments/sklearn-1.5/labels/latest",
        "registry 'my-team'",
        "az ml environment create",
    ),
    ("azureml:AzureML-tensorflow-2.4-cuda11@latest", "has no local equivalent", "az ml environment create"),
    ("azureml://registries/azureml/environments/sklearn-1.5/labels/stable", "label 'stable'", "@latest"),
    ("azureml://registries/azureml/environments", "names no environment", "azureml://registries/"),
]


@pytest.mark.parametrize(("reference", "key", "python"), RESOLVED)
def test_curated_references_resolve_to_local_equivalents(
    reference: str, key: str, python: str, tmp_path: Path
) -> None:
    assert is_curated_reference(reference)
    spec = resolve_environment(Context(tmp_path), reference, tmp_path)
    curated = catalog()[key]
    assert spec.conda == curated.conda and spec.image == curated.image and spec.reference == reference
    assert spec.substitution is not None and reference in spec.substitution
    assert f"Python {python}" in spec.substitution and "left out: " in spec.substitution
    plan = plan_environment(spec.conda)
    assert set(curated.packages) <= set(plan.requirements)
    assert not {"azureml-core", "debugpy"} & {r.split("=")[0] for r in plan.requirements}


@pytest.mark.parametrize(("reference", "says", "instead"), REFUSED)
def test_unknown_curated_references_are_refused_with_what_to_write(
    reference: str, says: str, instead: str, tmp_path: Path
) -> None:
    with pytest.raises(AzNotEmulatedError) as raised:
        resolve_environment(Context(tmp_path), reference, tmp_path)
    rendered = raised.value.render()
    assert says in rendered and instead in rendered and "malformed" not in rendered


def test_a_workspace_environment_of_a_curated_name_wins(tmp_path: Path) -> None:
    """A team that registered its own `AzureML-…` environment gets it, not the built-in equivalent."""
    from emulator.azureml.assets.environments import environment_store
    from emulator.store.files import write_json

    ctx = Context(tmp_path)
    conda = {"dependencies": ["python=3.11", {"pip": ["scikit-learn==1.5.2"]}]}
    write_json(
        environment_store(ctx).version_path("AzureML-sklearn-1.5", "1"),
        {"name": "AzureML-sklearn-1.5", "version": "1", "conda_file": conda, "image": "mine"},
    )
    spec = resolve_environment(ctx, "azureml:AzureML-sklearn-1.5@latest", tmp_path)
    assert spec.conda == conda and spec.substitution is None


def test_ordinary_references_are_not_curated() -> None:
    for reference in ("azureml:credit-env@latest", "credit-env:3", "azureml:taxi-train-env@latest"):
        assert not is_curated_reference(reference)
    with pytest.raises(AzNotEmulatedError, match="names no environment"):
        resolve_curated("azureml:credit-env@latest")
