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
