"""Plans: dependency graphs and cycles, and the runtime jobs and steps a job becomes."""

from __future__ import annotations

import pytest

from emulator.errors import PipelineError
from emulator.plan import check, expand_job, find_cycle, initial_record, runtime_steps, stage_dependencies

from .conftest import model


def test_default_stage_dependencies() -> None:
    p = model("""
    stages:
    - stage: A
      jobs: [{job: J, steps: [{script: x}]}]
    - stage: B
      jobs: [{job: J, steps: [{script: x}]}]
    - stage: C
      dependsOn: []
      jobs: [{job: J, steps: [{script: x}]}]
    - stage: D
      dependsOn: [a, C]
      jobs: [{job: J, steps: [{script: x}]}]
    """)
    assert stage_dependencies(p.stages) == {"A": (), "B": ("A",), "C": (), "D": ("A", "C")}
    graph, jobs = check(p)
    assert graph.order() == ("A", "B", "C", "D") and jobs["A"].order() == ("J",)


def test_cycles_name_their_members() -> None:
    assert find_cycle(["a", "b", "c"], {"a": ("c",), "b": ("a",), "c": ("b",)}) == ["a", "c", "b", "a"]
    assert find_cycle(["a", "b"], {"a": ("b",), "b": ()}) is None
    p = model("""
    jobs:
    - job: A
      dependsOn: B
      steps: [{script: x}]
    - job: B
      dependsOn: A
      steps: [{script: x}]
    """)
    with pytest.raises(PipelineError, match="job dependency graph has a cycle: A -> B -> A"):
        check(p)


def test_regular_job_gets_a_checkout_unless_it_has_one() -> None:
    p = model("""
    jobs:
    - job: A
      steps: [{script: x, name: s}]
    - job: B
      steps: [{checkout: none}, {script: x}]
    """)
    a, b = p.stages[0].jobs
    steps = runtime_steps(a)
    assert [(s.ident, s.synthetic, s.step.task) for s in steps] == [
        ("checkout", True, "checkout"),
        ("s", False, "CmdLine@2"),
    ]
    assert [s.step.task for s in runtime_steps(b)] == ["checkout", "CmdLine@2"]


def test_matrix_and_slices_expand_with_leg_names() -> None:
    p = model("""
    jobs:
    - job: M
      displayName: Test
      strategy:
        matrix:
          a: {x: "1"}
          b: {x: "2"}
      steps: [{script: x}]
    - job: P
      strategy:
        parallel: 2
      steps: [{script: x}]
    - job: J
      steps: [{script: x}]
    """)
    m, par, j = p.stages[0].jobs
    legs = expand_job("S", m)
    assert [(r.name, r.leg, r.display_name, r.position, r.total, dict(r.matrix)) for r in legs] == [
        ("M.a", "a", "Test a", 1, 2, {"x": "1"}),
        ("M.b", "b", "Test b", 2, 2, {"x": "2"}),
    ]
    assert legs[0].identifier == "S.M.a"
    assert [r.name for r in expand_job("S", par)] == ["P.job1", "P.job2"]
    (only,) = expand_job("S", j)
    assert (only.name, only.leg, only.identifier) == ("J", "__default", "S.J.__default")
    record = initial_record(p)[0]
    assert [x["name"] for x in record["jobs"]] == ["M.a", "M.b", "P.job1", "P.job2", "J"]
    assert record["jobs"][0]["phase"] == "M" and record["dependsOn"] == []


def test_deployment_strategies() -> None:
    p = model("""
    jobs:
    - deployment: R
      environment: {name: env, resourceName: vm1, resourceType: VirtualMachine}
      strategy:
        runOnce:
          preDeploy: {steps: [{script: x, name: pre}]}
          deploy: {steps: [{script: x, name: dep}]}
          on:
            success: {steps: [{script: x, name: ok}]}
    - deployment: C
      environment: env
      strategy:
        canary:
          increments: [10, 20]
          preDeploy: {steps: [{script: x, name: pre}]}
          deploy: {steps: [{download: none}, {script: x, name: dep}]}
          routeTraffic: {steps: [{script: x, name: route}]}
    - deployment: L
      environment: env.vmA
      strategy:
        rolling:
          deploy: {steps: [{script: x, name: dep}]}
    """)
    r, c, l_ = p.stages[0].jobs
    steps = runtime_steps(r)
    assert [(s.ident, s.hook, s.job_name) for s in steps] == [
        ("pre", "preDeploy", "R"),
        ("download", "deploy", "R"),
        ("dep", "deploy", "R"),
        ("ok", "on.success", "R"),
    ]
    assert steps[2].output_prefixes() == ("R.", "deploy_vm1.")
    canary = runtime_steps(c)
    assert [(s.ident, s.iteration, s.job_name) for s in canary] == [
        ("pre", None, "C"),
        ("step2", "10", "deploy_10"),
        ("dep", "10", "deploy_10"),
        ("route", "10", "routeTraffic_10"),
        ("step2", "20", "deploy_20"),
        ("dep", "20", "deploy_20"),
        ("route", "20", "routeTraffic_20"),
    ]
    assert [i.index for i in canary] == list(range(7))
    rolling = runtime_steps(l_)
    assert [(s.ident, s.job_name) for s in rolling] == [("download", "deploy_vmA"), ("dep", "deploy_vmA")]
    assert rolling[1].output_prefixes() == ("deploy_vmA.",)
    (rj,) = expand_job("S", r)
    assert rj.leg == "R"


def test_agentless_jobs_get_no_checkout_and_accept_only_agentless_tasks() -> None:
    p = model("""
    jobs:
    - job: Wait
      pool: server
      steps:
      - task: Delay@1
        inputs: {delayForMinutes: '1'}
      - task: ManualValidation@1
        inputs: {notifyUsers: ''}
    """)
    check(p, ["CmdLine@2"])
    assert [s.step.task for s in runtime_steps(p.stages[0].jobs[0])] == ["Delay@1", "ManualValidation@1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- job: J\n  pool: server\n  steps: [{script: x}]",
            "Job J is agentless (pool: server): task 'CmdLine@2' needs an agent",
        ),
        (
            "- job: J\n  pool: {name: server}\n  steps: [{checkout: self}]",
            "Job J is agentless (pool: server): a checkout needs an agent",
        ),
        (
            "- job: J\n  steps: [{task: ManualValidation@0, inputs: {notifyUsers: ''}}]",
            "Task 'ManualValidation@0' runs only in an agentless job",
        ),
        (
            "- job: J\n  steps: [{task: InvokeRESTAPI@1, inputs: {serviceConnection: x}}]",
            "Task 'InvokeRESTAPI@1' runs only in an agentless job",
        ),
        (
            "- job: J\n  pool: server\n  steps: [{task: CopyFiles@2, inputs: {TargetFolder: x}}]",
            "Job J is agentless (pool: server): task 'CopyFiles@2' needs an agent",
        ),
        (
            "- job: J\n  pool: server\n  steps:\n  - task: ManualValidation@1\n"
            "    inputs: {notifyUsers: '', onTimeout: wait}",
            "Input onTimeout of ManualValidation@1 must be 'reject' or 'resume', not 'wait'",
        ),
        (
            "- job: J\n  pool: server\n  steps: [{task: ManualValidation@0, inputs: {instructions: look}}]",
            "Input required: notifyUsers (task ManualValidation@0)",
        ),
    ],
)
def test_agentless_rules_are_checked_before_the_run(text: str, message: str) -> None:
    p = model("jobs:\n" + text)
    with pytest.raises(PipelineError, match=message.replace("(", r"\(").replace(")", r"\)")) as info:
        check(p, ["CmdLine@2"])
    assert info.value.location is not None and info.value.location.line > 0


@pytest.mark.parametrize(
    "task",
    [
        "InvokeRESTAPI@1",
        "AzureFunction@1",
        "PublishToAzureServiceBus@2",
        "queryWorkItems@0",
        "AzureMonitor@1",
    ],
)
def test_server_tasks_belong_in_agentless_jobs(task: str) -> None:
    """task.json runsOn Server: accepted in `pool: server`, never told it needs an agent."""
    p = model(f"jobs:\n- job: J\n  pool: server\n  steps: [{{task: {task}}}]")
    check(p, [])


@pytest.mark.parametrize("task", ["NuGetCommand@2", "AzureResourceGroupDeployment@2", "Docker@1"])
def test_in_box_tasks_are_never_refused_before_the_run(task: str) -> None:
    check(model(f"steps: [{{task: {task}}}]"), ["CmdLine@2"])


def test_a_task_that_is_nowhere_is_missing_with_the_versions_that_exist() -> None:
    with pytest.raises(PipelineError, match="A task is missing") as info:
        check(model("steps: [{task: AzureCLI@9}]"), [])
    assert "AzureCLI@0, AzureCLI@1, AzureCLI@2" in (info.value.hint or "")
    with pytest.raises(PipelineError, match="A task is missing") as info:
        check(model("steps: [{task: TerraformTaskV2@2}]"), [])
    assert "tasks.yml" in (info.value.hint or "")
    check(model("steps: [{task: TerraformTaskV2@2}]"), ["TerraformTaskV2@2"])  # given a stand-in
