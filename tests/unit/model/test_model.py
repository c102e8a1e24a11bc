"""The model: strategies, environments, step options, names [DOC yaml-schema jobs-job, jobs-deployment]."""

from __future__ import annotations

import pytest

from emulator.errors import PipelineError

from .conftest import model


def test_matrix_parallel_and_dynamic_matrix() -> None:
    p = model("""
    jobs:
    - job: M
      strategy:
        maxParallel: 2
        matrix:
          linux: {image: ubuntu}
          mac:
            image: macos
    - job: P
      strategy:
        parallel: 3
    - job: D
      strategy:
        matrix: $[ dependencies.G.outputs['g.legs'] ]
      steps: []
    """)
    m, par, dyn = p.stages[0].jobs
    assert m.matrix == {"linux": {"image": "ubuntu"}, "mac": {"image": "macos"}} and m.max_parallel == 2
    assert par.parallel == 3 and par.matrix is None
    assert dyn.matrix_expression == " dependencies.G.outputs['g.legs'] "


def test_bad_leg_name() -> None:
    with pytest.raises(PipelineError, match="leg name"):
        model("""
        jobs:
        - job: M
          strategy:
            matrix:
              1bad: {}
        """)


def test_environment_forms_and_strategies() -> None:
    p = model("""
    jobs:
    - deployment: A
      environment: staging.web01
      strategy:
        runOnce:
          deploy:
            steps: [{script: echo}]
    - deployment: B
      environment:
        name: prod
        resourceName: vm1
        resourceType: VirtualMachine
        tags: a, b
      strategy:
        rolling:
          maxParallel: 50%
          deploy:
            steps: [{script: echo}]
    - deployment: C
      environment: prod
      timeoutInMinutes: 5
      cancelTimeoutInMinutes: 2
      strategy:
        canary:
          increments: [10, 20]
          preDeploy:
            pool: server
            steps: [{script: echo}]
          deploy:
            steps: [{script: echo}]
          on:
            failure:
              steps: [{script: echo}]
    """)
    a, b, c = p.stages[0].jobs
    assert (a.environment.name, a.environment.resource_name) == ("staging", "web01")  # type: ignore[union-attr]
    assert b.environment is not None and b.environment.resource_type == "VirtualMachine"
    assert b.environment.tags == ("a", "b") and b.max_parallel == 50
    assert c.increments == (10, 20) and [h.name for h in c.hooks] == ["preDeploy", "deploy", "on.failure"]
    assert c.hooks[0].server and not c.hooks[1].server
    assert (c.timeout_minutes, c.cancel_timeout_minutes) == (5, 2)
    assert [s.index for h in c.hooks for s in h.steps] == [0, 1, 2]


def test_canary_needs_increments() -> None:
    with pytest.raises(PipelineError, match="increments"):
        model("""
        jobs:
        - deployment: C
          environment: prod
          strategy:
            canary:
              deploy:
                steps: [{script: echo}]
        """)


def test_step_options() -> None:
    p = model("""
    steps:
    - script: echo
      retryCountOnTaskFailure: 2
      timeoutInMinutes: 3
      target:
        settableVariables: none
    - script: echo
      target:
        settableVariables: [a, b]
    - script: echo
      enabled: false
      continueOnError: true
    """)
    one, two, three = p.stages[0].jobs[0].steps
    assert (one.retry_count, one.timeout_minutes, one.settable) == (2, 3, ())
    assert two.settable == ("a", "b") and two.retry_count == 0
    assert not three.enabled and three.continue_on_error and three.settable is None


def test_reserved_deployment_name_and_unknown_dependency() -> None:
    with pytest.raises(PipelineError, match="reserved"):
        model("""
        jobs:
        - deployment: deploy
          environment: e
          strategy:
            runOnce:
              deploy:
                steps: [{script: echo}]
        """)
    with pytest.raises(PipelineError, match="unknown job"):
        model("""
        jobs:
        - job: A
          dependsOn: B
          steps: [{script: echo}]
        """)


def test_deployment_without_strategy_runs_nothing_on_its_environment() -> None:
    """[DOC yaml-schema jobs-deployment: only the name is required] rsethur/MLOps's approval jobs."""
    p = model("""
    jobs:
    - deployment: Approval
      environment: Test
    """)
    [job] = p.stages[0].jobs
    assert job.deployment and job.strategy == "runOnce" and job.hooks == ()
    assert job.environment is not None and job.environment.name == "Test"


def test_unnamed_stages_and_jobs_get_names_in_order() -> None:
    p = model("""
    stages:
    - stage:
      jobs:
      - job:
        steps: []
      - deployment:
        environment: e
    - stage: ''
      jobs:
      - job: Named
        steps: []
    """)
    assert [s.name for s in p.stages] == ["Stage", "Stage1"]
    assert [j.name for j in p.stages[0].jobs] == ["Job", "Job1"]


def test_variable_groups_keep_their_place_in_the_list() -> None:
    from emulator.model import Variable, VariableGroup

    p = model("""
    variables:
    - name: a
      value: x
    - group: shared
    stages:
    - stage: S
      variables:
      - group: stage-group
      jobs:
      - job: J
        variables:
        - group: job-group
        steps: []
    """)
    assert isinstance(p.variables[0], Variable)
    assert p.variables[1] == VariableGroup("shared", p.variables[1].location)
    assert [g.name for g in p.groups()] == ["shared", "stage-group", "job-group"]
    assert p.variables[1].location.line == 5


def test_repositories_from_resources_and_inline_checkouts() -> None:
    p = model("""
    resources:
      repositories:
      - repository: Tools
        type: github
        name: contoso/tools
        ref: refs/tags/v1
    steps:
    - checkout: git://Proj/Lib@main
    """)
    tools, lib = p.repositories["tools"], p.repositories["git://proj/lib"]
    assert (tools.alias, tools.name, tools.type, tools.ref, tools.folder) == (
        "Tools",
        "contoso/tools",
        "github",
        "refs/tags/v1",
        "tools",
    )
    assert (lib.name, lib.ref, lib.folder) == ("Proj/Lib", "main", "Lib")


@pytest.mark.parametrize("target", ["git://OnlyRepo", "git://a/b/c", "git:///repo"])
def test_inline_checkout_needs_project_and_repository(target: str) -> None:
    with pytest.raises(PipelineError, match="not a repository Azure Repos can check out"):
        model(f"steps:\n- checkout: {target}\n")
