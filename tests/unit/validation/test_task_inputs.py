"""`mlops validate` checks every task's inputs against the catalog (names, aliases, required, values)."""

from __future__ import annotations

import textwrap

import pytest

from emulator import task_inputs
from emulator.normalize import normalize
from emulator.yamlio import loads


def _errors(text: str) -> list[str]:
    doc = normalize(loads(textwrap.dedent(text), "p.yml"))
    return [e.message for e in task_inputs.check(doc)]


def test_a_misspelt_input_is_named_with_a_did_you_mean() -> None:
    doc = normalize(
        loads(
            textwrap.dedent("""
        steps:
        - task: AzureCLI@2
          inputs:
            azureSubscription: c
            scriptType: bash
            scriptLocation: inlineScript
            inlineScrpt: az version
        """),
            "p.yml",
        )
    )
    errors = task_inputs.check(doc)
    assert [e.message for e in errors] == [
        "Task AzureCLI@2 has no input 'inlineScrpt'",
        "Input required: inlineScript of task AzureCLI@2 (scriptLocation = inlineScript)",
    ]
    assert errors[0].hint == "did you mean 'inlineScript'?"
    assert errors[0].location is not None and (errors[0].location.line, errors[0].location.col) == (8, 5)


@pytest.mark.parametrize(
    "text",
    [
        # aliases and declared names, any case
        "steps:\n- task: AzureCLI@1\n  inputs: {connectedServiceNameARM: c, INLINESCRIPT: x, scriptLocation: "
        "inlineScript, cwd: src}",
        "steps:\n- task: AzureCLI@1\n  inputs: {azureSubscription: c, scriptPath: a.sh, "
        "workingDirectory: src}",
        # a required input with a default, and one hidden by its visibleRule
        "steps:\n- task: ShellScript@2\n  inputs: {scriptPath: a.sh}",
        # an input whose group is hidden (task.json groups[].visibleRule) is not required
        "steps:\n- task: AzureResourceGroupDeployment@2\n  inputs: {azureSubscription: c, action: DeleteRG, "
        "resourceGroupName: rg}",
        # values known only at run time are not judged
        "steps:\n- task: AzureCLI@2\n  inputs: {azureSubscription: c, scriptType: $(shell), scriptLocation: "
        "$(where)}",
        # the shortcuts' own inputs
        "steps:\n- script: x\n  workingDirectory: w\n- bash: x\n  failOnStderr: true\n- publish: out\n"
        "  artifact: a\n- download: current\n  artifact: a\n  patterns: '*.whl'\n- checkout: self",
        # tasks the catalog does not know are not judged here
        "steps:\n- task: TerraformTaskV2@2\n  inputs: {anything: x}",
    ],
)
def test_good_inputs_pass(text: str) -> None:
    assert _errors(text) == []


def test_missing_required_inputs_and_values_outside_the_pick_list() -> None:
    assert _errors("steps:\n- task: AzureCLI@1\n  inputs: {scriptLocation: inline}") == [
        "'inline' is not a value of input 'scriptLocation' of task AzureCLI@1",
        "Input required: connectedServiceNameARM (or azureSubscription) of task AzureCLI@1",
    ]
    assert _errors("steps:\n- task: ShellScript@2") == ["Input required: scriptPath of task ShellScript@2"]
