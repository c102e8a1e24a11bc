"""normalize: the full-YAML shape, its idempotence, and the service's spelling (final_yaml)."""

from __future__ import annotations

from typing import Any

import pytest

from emulator.errors import PipelineError
from emulator.normalize import TASK_GUIDS, final_yaml, normalize, step
from emulator.yamlio import YMap, dumps, loads, plain


def _doc(text: str) -> YMap:
    doc = loads(text, "p.yml", text_scalars=True)
    assert isinstance(doc, YMap)
    return doc


def _steps(doc: Any) -> list[Any]:
    return [s for stage in doc["stages"] for job in stage["jobs"] for s in job.get("steps", [])]


def test_normalize_is_idempotent() -> None:
    doc = _doc("""
variables: {a: '1'}
pool: {vmImage: ubuntu-latest}
trigger: none
steps:
- script: echo a
  workingDirectory: src
- bash: echo b
- pwsh: echo c
- publish: out
  artifact: drop
- download: current
  artifact: drop
- checkout: self
- task: X@1
  target: host
""")
    once = normalize(doc)
    twice = normalize(once)
    assert plain(once) == plain(twice)
    assert dumps(once) == dumps(twice)


def test_input_is_not_modified() -> None:
    doc = _doc("steps:\n- script: x\n")
    before = plain(doc)
    normalize(doc)
    assert plain(doc) == before


def test_final_yaml_spells_shortcuts_as_guids() -> None:
    doc = normalize(_doc("steps:\n- checkout: none\n- publish: out\n  artifact: a\n- download: current\n"))
    steps = _steps(final_yaml(doc))
    assert [s["task"] for s in steps] == [TASK_GUIDS[k] for k in ("checkout", "publish", "download")]
    assert steps[0]["condition"] == "false" and steps[0]["inputs"]["repository"] == "none"
    assert plain(steps[1]["inputs"]) == {"path": "out", "artifactName": "a"}
    assert plain(steps[2]["inputs"]) == {"alias": "current"}


def test_final_yaml_keeps_model_form_untouched() -> None:
    doc = normalize(_doc("steps:\n- checkout: self\n"))
    final_yaml(doc)
    assert "checkout" in _steps(doc)[0]


def test_step_already_in_task_form_passes() -> None:
    out = step(_doc("task: CmdLine@2\ninputs: {script: x}\nenv: {A: b}\n"), _doc("a: 1").loc)
    assert list(out) == ["task", "env", "inputs"]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("steps:\n- {}\n", "Expected at least one key-value pair in the mapping"),
        ("steps:\n- script: x\n  bash: y\n", "Unexpected value 'bash'"),
        ("steps:\n- scirpt: x\n", "Unexpected value 'scirpt'"),
        ("steps:\n- download: current\n  path: x\n", "Unexpected value 'path'"),
        ("stages:\n- jobs: []\n", "A stage must be a mapping that starts with 'stage:'"),
        ("jobs:\n- steps: []\n", "A job must be a mapping that starts with 'job:' or 'deployment:'"),
        ("jobs:\n- deployment: d\n  strategy: {runOnce: {}, rolling: {}}\n", "exactly one of runOnce"),
        ("variables: [a]\nsteps: []\n", "A variable must be a mapping"),
        ("variables:\n- value: x\nsteps: []\n", "Unexpected value 'value'"),
        ("steps: x\n", "'steps' must be a list"),
    ],
)
def test_shape_errors_are_located(text: str, fragment: str) -> None:
    with pytest.raises(PipelineError) as info:
        normalize(_doc(text))
    assert fragment in info.value.message
    assert info.value.location is not None and info.value.location.file == "p.yml"


def test_stage_without_jobs_gets_empty_list() -> None:
    doc = normalize(_doc("stages:\n- stage: A\n"))
    assert plain(doc["stages"][0]) == {"stage": "A", "jobs": []}


def test_jobs_root_pool_goes_to_default_stage() -> None:
    doc = normalize(_doc("pool: {name: p}\njobs:\n- job: A\n"))
    assert plain(doc["stages"][0]["pool"]) == {"name": "p"}
