"""`mlops init`'s stand-ins: what the pipeline needs, written in files the loaders accept, never
overwriting one."""

from __future__ import annotations

import textwrap
from pathlib import Path

from emulator.gates import environments as envfile
from emulator.model import Pipeline, build
from emulator.normalize import normalize
from emulator.runtime import repositories as repofile
from emulator.runtime import variable_groups as groupfile
from emulator.scaffold import StandIn, group_reads, stand_ins, write
from emulator.tasks import connections as connfile
from emulator.yamlio import loads

PIPELINE = """
resources:
  repositories:
  - repository: tools
    type: git
    name: MyProject/ToolsRepo
  - repository: templates
    type: github
    name: contoso/templates
variables:
- name: connection
  value: arm-prod
- name: env
  value: prod
- group: shared
stages:
- stage: Build
  jobs:
  - job: Compile
    steps:
    - checkout: self
    - checkout: tools
    - script: echo $(REGION) $(Build.BuildId) $(connection) $(out.VERSION) $(LATER)
      name: out
    - bash: echo "##vso[task.setvariable variable=LATER]x"
    - task: AzureCLI@2
      condition: eq(variables['DEPLOY_ENABLED'], 'true')
      inputs:
        azureSubscription: $(connection)
        scriptType: bash
        scriptLocation: inlineScript
        inlineScript: az version
      env:
        TOKEN: $(API_TOKEN)
- stage: Deploy
  variables:
  - group: deploy-secrets
  jobs:
  - deployment: Approval
    environment: $(env)
  - job: Push
    variables:
      tag: $[ variables.IMAGE_TAG ]
    steps:
    - script: echo $(tag) $(REGISTRY)
  - deployment: Web
    environment: Test.vm1
    strategy:
      runOnce:
        deploy:
          steps:
          - task: AzureCLI@2
            inputs: {azureSubscription: other-connection, scriptType: bash, scriptLocation: inlineScript,
                     inlineScript: x}
"""


def _pipeline(text: str = PIPELINE) -> Pipeline:
    return build(normalize(loads(textwrap.dedent(text), "p.yml", text_scalars=True)))


def test_the_variables_read_from_groups() -> None:
    reads = group_reads(_pipeline())
    # YAML-defined, predefined, step outputs and task.setvariable ones are not group variables; a job
    # with two groups in scope gives its reads to the first one listed
    assert {g: sorted(v) for g, v in reads.items()} == {
        "shared": ["API_TOKEN", "DEPLOY_ENABLED", "IMAGE_TAG", "REGION", "REGISTRY"],
        "deploy-secrets": [],
    }
    assert reads["shared"]["REGISTRY"] == ["Deploy.Push"]


def _by_kind(files: list[StandIn]) -> dict[str, StandIn]:
    return {f.kind: f for f in files}


def test_what_each_file_holds(tmp_path: Path) -> None:
    (tmp_path / "tools").mkdir()
    given = {"TOOLS": tmp_path / "tools"}
    files = _by_kind(stand_ins(_pipeline(), tmp_path / "ci" / "p.yml", tmp_path, given, "Ada Lovelace"))
    assert files["environments"].names == ("prod", "Test")  # $(env) read from pipeline variables
    assert files["service connections"].names == ("arm-prod", "other-connection")
    assert files["variable groups"].names == ("shared", "deploy-secrets")
    assert files["repositories"].names == ("templates", "tools")
    assert "approvers: [Ada Lovelace]" in str(files["environments"].text)
    assert "  REGION: TODO  # read by Build.Compile" in str(files["variable groups"].text)
    assert "  tools: ../tools" in str(files["repositories"].text)
    todo = "  templates: TODO  # TODO: the local folder of contoso/templates"
    assert todo in str(files["repositories"].text)


def test_written_files_load_and_are_never_overwritten(tmp_path: Path) -> None:
    folder = tmp_path / "ci"
    folder.mkdir()
    (folder / groupfile.FILE_NAME).write_text("variableGroups:\n  shared: {}\n")
    files = stand_ins(_pipeline(), folder / "p.yml", tmp_path, {}, "ada")
    written = write(files)
    names = sorted([connfile.FILE_NAME, envfile.FILE_NAME, repofile.FILE_NAME])
    assert sorted(f.path.name for f in written) == names
    kept = _by_kind(files)["variable groups"]
    assert kept.text is None and kept.missing == ("deploy-secrets",)
    assert (folder / groupfile.FILE_NAME).read_text() == "variableGroups:\n  shared: {}\n"
    envs = envfile.load(folder / envfile.FILE_NAME)
    approval = envs.get("prod")
    assert approval is not None and approval.approvals()[0].approvers == ("ada",)
    assert connfile.load(folder / connfile.FILE_NAME).names == ("arm-prod", "other-connection")
    assert repofile.load(folder / repofile.FILE_NAME)["templates"] == folder / "TODO"
    again = stand_ins(_pipeline(), folder / "p.yml", tmp_path, {}, "someone else")
    assert write(again) == [] and all(f.text is None for f in again)
    assert "ada" in (folder / envfile.FILE_NAME).read_text()


def test_groups_file_loads_with_every_todo(tmp_path: Path) -> None:
    [*_, groups, _] = stand_ins(_pipeline(), tmp_path / "p.yml", tmp_path, {}, "ada")
    write([groups])
    loaded = groupfile.load(groups.path)
    shared = loaded.get("shared")
    assert shared is not None and {v.name: v.value for v in shared.variables}["REGION"] == "TODO"


def test_a_file_in_mlops_pipelines_is_kept_not_shadowed(tmp_path: Path) -> None:
    shared = tmp_path / "mlops_pipelines"
    shared.mkdir()
    (shared / envfile.FILE_NAME).write_text("environments:\n  Test: {}\n")
    files = _by_kind(stand_ins(_pipeline(), tmp_path / "ci" / "p.yml", tmp_path, {}, "ada"))
    assert files["environments"].path == shared / envfile.FILE_NAME
    assert files["environments"].text is None and files["environments"].missing == ("prod",)


def test_nothing_to_write_for_a_plain_pipeline(tmp_path: Path) -> None:
    files = stand_ins(_pipeline("steps:\n- script: echo hi\n"), tmp_path / "p.yml", tmp_path, {}, "ada")
    assert all(f.text is None and f.names == () for f in files)
    assert write(files) == []
