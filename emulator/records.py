"""The run record as it is stored (`runs/<id>/run.json` and its journal): typed views of the JSON,
never a new format. Keys are the stored camelCase ones; a key that an older run may lack, or that
appears only once something happened, is not required, so records of earlier versions still load
and resume. Written by plan (the skeleton), runtime (as the run goes) and runner; read by store, cli
and report.
"""

from __future__ import annotations

from typing import Any, Required, TypedDict


class StepRecord(TypedDict, total=False):
    index: Required[int]
    name: Required[str]  # the step's identifier (`name:` or the generated one)
    result: Required[str | None]  # None until the step finished (or while it waits)
    displayName: str
    task: str
    hook: str | None  # deployment jobs: the lifecycle hook
    iteration: str | None  # canary increment or rolling target
    startedAt: str
    finishedAt: str
    seconds: float
    message: str | None
    log: str  # relative to the run's folder
    issues: list[dict[str, Any]]
    attachments: list[dict[str, str]]
    progress: dict[str, Any]
    waitingSince: str  # a manual validation
    validation: dict[str, Any]
    decidedBy: str | None


class AttemptRecord(TypedDict, total=False):
    """A job attempt that an interruption cut short."""

    attempt: int | None
    result: str
    startedAt: str | None
    finishedAt: str | None
    message: str
    logs: str  # where its logs were kept when the job ran again (relative to the run's folder)


class JobRecord(TypedDict, total=False):
    name: Required[str]  # the runtime job (a matrix leg, a slice)
    state: Required[str]  # pending | queued | running | waiting | completed
    result: Required[str | None]
    steps: Required[list[StepRecord]]
    phase: str  # the YAML job; older records lack it (then it is `name`)
    leg: str | None
    identifier: str | None
    displayName: str
    deployment: bool
    environment: str | None
    strategy: str | None
    matrix: dict[str, str] | None
    matrixExpression: str | None  # `matrix: $[ ]`, until its legs replace this placeholder
    position: int
    total: int
    outputs: dict[str, str]  # masked as shown; secrets.py keeps the real values
    attempt: int
    attempts: list[AttemptRecord]
    startedAt: str
    finishedAt: str
    seconds: float
    message: str
    timedOut: bool
    deselected: bool  # left out when the run was queued (--stage, --skip-stage, --job)


class StageRecord(TypedDict, total=False):
    name: Required[str]
    state: Required[str]  # pending | waiting | running | completed
    result: Required[str | None]
    jobs: Required[list[JobRecord]]
    displayName: str
    dependsOn: list[str]
    startedAt: str
    finishedAt: str
    message: str
    conditionMet: bool
    deselected: bool
    rerunAt: str  # when `mlops rerun --failed` reset it


class RunRecord(TypedDict, total=False):
    id: Required[str]
    stages: Required[list[StageRecord]]
    status: str  # queued | running | paused | completed
    result: str | None
    createdAt: str
    updatedAt: str
    startedAt: str
    finishedAt: str
    message: str
    pipeline: str
    pipelineFile: str
    pipelineDigest: str
    repoRoot: str
    environmentsFile: str | None
    environmentsDigest: str
    variableGroupsFile: str | None
    tasksFile: str | None
    repositories: dict[str, str]
    definitionName: str
    parameters: dict[str, Any]
    variables: dict[str, str]
    requestedBy: str
    checkPolicy: str
    taskPolicy: str
    git: dict[str, Any]
    templates: list[str]
    extends: list[str]
    buildNumber: str
    parallel: int
    tags: list[str]
    warnings: list[str]
    waiting: dict[str, Any] | None  # what a paused run waits for
    approvals: list[dict[str, Any]]  # signed decisions
    checks: list[dict[str, Any]]  # every evaluation of an environment's checks
    validations: list[dict[str, Any]]  # every evaluation of a manual validation
    reruns: list[dict[str, Any]]  # each `mlops rerun --failed`: when, by whom, the jobs reset
