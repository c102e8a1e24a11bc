"""`mlops init PIPELINE`: write the local stand-ins of what Azure DevOps keeps outside YAML.

From the expanded pipeline: the environments it targets (`environments.yml`, one approval check each,
approved by you), the service connections its tasks name (`service-connections.yml`), the variable
groups it links with every variable it reads from them (`variable-groups.yml`, values `TODO`), and
the repositories it uses (`repositories.yml`, folders from `--repo` or `TODO`). A file that exists
(beside the pipeline or in `mlops_pipelines/`, where `mlops run` looks) is never overwritten: it is
kept and what it lacks is listed. Nothing asks questions.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.gates import environments as envfile
from emulator.model import Job, Pipeline, Repository, Stage, Variable, VariableGroup
from emulator.runtime import repositories as repofile
from emulator.runtime import variable_groups as groupfile
from emulator.runtime.variables import VariableSet
from emulator.tasks import connections as connfile

TODO = "TODO"
CONNECTION_INPUTS = (
    "azuresubscription",
    "connectedservicenamearm",
    "connectedservicename",
    "azureresourcemanagerconnection",
)
"""Task inputs that name an Azure Resource Manager service connection (AzureCLI@2, AzurePowerShell@5,
AzureResourceManagerTemplateDeployment@3, AzureResourceGroupDeployment@2, ...)."""
PREDEFINED_PREFIXES = (
    "agent.",
    "build.",
    "system.",
    "pipeline.",
    "environment.",
    "strategy.",
    "release.",
    "resources.",
    "common.",
    "task.",
    "checks.",
    "date:",
    "rev:",
    "dependencies.",
)
_MACRO = re.compile(r"\$\(([A-Za-z0-9_.\-]+)\)")
_RUNTIME_READ = re.compile(r"variables(?:\[\s*'([^']+)'\s*\]|\.([A-Za-z_][A-Za-z0-9_.]*))")
_SET_VARIABLE = re.compile(r"##vso\[task\.setvariable\s+variable=([^;\]]+)", re.IGNORECASE)


@dataclass(frozen=True)
class StandIn:
    """One file `mlops init` writes or keeps."""

    kind: str  # environments, service connections, variable groups, repositories
    path: Path
    text: str | None  # what to write; None when the file exists and is kept
    names: tuple[str, ...]  # what the pipeline needs from it
    missing: tuple[str, ...] = ()  # needed but not in the kept file


def user_name() -> str:
    """Approvers of the scaffolded approvals: `git config user.name`, else who `mlops` says you are."""
    from emulator.runner import default_user, git_user_name

    return git_user_name() or default_user()


def stand_ins(
    pipeline: Pipeline, pipeline_path: Path, repo_root: Path, given_repos: Mapping[str, Path], approver: str
) -> list[StandIn]:
    """The four files for `pipeline`, in the order `mlops init` reports them."""
    folder = pipeline_path.parent
    static = _static_variables(pipeline)
    envs = sorted({static.expand(e.name) for s in pipeline.stages for e in s.environments()}, key=str.lower)
    connections = _connections(pipeline, static)
    reads = group_reads(pipeline)
    repos = sorted(pipeline.repositories.values(), key=lambda r: r.alias.lower())

    def no_environment(path: Path) -> tuple[str, ...]:
        have = envfile.load(path)
        return tuple(e for e in envs if have.get(e) is None)

    def no_connection(path: Path) -> tuple[str, ...]:
        have = connfile.load(path).entries or {}
        return tuple(n for n in connections if n.lower() not in have)

    def no_group(path: Path) -> tuple[str, ...]:
        have = groupfile.load(path)
        return tuple(g for g in reads if have.get(g) is None)

    def no_folder(path: Path) -> tuple[str, ...]:
        have = repofile.merged(repofile.load(path), {})
        return tuple(r.alias for r in repos if repofile.folder_of(r, have) is None)

    return [
        _stand_in(
            "environments",
            folder / envfile.FILE_NAME,
            envfile.find_file(pipeline_path, repo_root),
            tuple(envs),
            no_environment,
            lambda: _environments_text(envs, approver),
        ),
        _stand_in(
            "service connections",
            folder / connfile.FILE_NAME,
            connfile.find_file([folder, repo_root / "mlops_pipelines"]),
            tuple(connections),
            no_connection,
            lambda: _connections_text(connections),
        ),
        _stand_in(
            "variable groups",
            folder / groupfile.FILE_NAME,
            groupfile.find_file(pipeline_path, repo_root),
            tuple(reads),
            no_group,
            lambda: _groups_text(reads),
        ),
        _stand_in(
            "repositories",
            folder / repofile.FILE_NAME,
            repofile.find_file(pipeline_path, repo_root),
            tuple(r.alias for r in repos),
            no_folder,
            lambda: _repositories_text(repos, repofile.merged({}, given_repos), folder),
        ),
    ]


def _stand_in(
    kind: str,
    path: Path,
    existing: Path | None,
    names: tuple[str, ...],
    lacking: Callable[[Path], tuple[str, ...]],
    text: Callable[[], str],
) -> StandIn:
    """The file that exists (kept, with what it lacks), or the one to write when the pipeline needs any."""
    if existing is not None:
        return StandIn(kind, existing, None, names, lacking(existing))
    return StandIn(kind, path, text() if names else None, names)


def write(files: list[StandIn]) -> list[StandIn]:
    """Create the files that do not exist (never replacing one, even if it appears meanwhile)."""
    written: list[StandIn] = []
    for item in files:
        if item.text is None:
            continue
        try:
            with open(item.path, "x", encoding="utf-8") as handle:
                handle.write(item.text)
        except FileExistsError:
            continue
        written.append(item)
    return written


# ---- what the pipeline needs ----------------------------------------------------------------------


def _static_variables(pipeline: Pipeline) -> VariableSet:
    """Pipeline-level YAML variables known before the run (to read `$(name)` in connection names)."""
    vs = VariableSet()
    for var in pipeline.variables:
        if isinstance(var, Variable) and isinstance(var.value, str) and not _runtime(var.value):
            vs.set(var.name, var.value)
    return vs


def _runtime(value: str) -> bool:
    return value.strip().startswith("$[")


def _connections(pipeline: Pipeline, static: VariableSet) -> list[str]:
    found: dict[str, str] = {}
    for _, _, step in _steps(pipeline):
        for key, value in step.inputs.items():
            if key.lower() in CONNECTION_INPUTS and isinstance(value, str) and value.strip():
                name = static.expand(value.strip())
                if "$(" not in name:
                    found.setdefault(name.lower(), name)
    return sorted(found.values(), key=str.lower)


def _steps(pipeline: Pipeline) -> Iterator[tuple[Stage, Job, Any]]:
    for stage in pipeline.stages:
        for job in stage.jobs:
            for step in job.all_steps():
                yield stage, job, step


def group_reads(pipeline: Pipeline) -> dict[str, dict[str, list[str]]]:
    """Group name -> variable -> the jobs that read it: the `$(name)` macros and `variables` reads of
    a job that no YAML variable, predefined variable, matrix leg or `task.setvariable` defines,
    where a group is in scope. With several groups in scope, the first one listed gets the variable."""
    set_by_steps = {
        m.lower()
        for _, _, step in _steps(pipeline)
        for text in _texts(step.inputs)
        for m in _SET_VARIABLE.findall(text)
    }
    out: dict[str, dict[str, list[str]]] = {g.name: {} for g in pipeline.groups()}
    for stage in pipeline.stages:
        for job in stage.jobs:
            scope = [*pipeline.variables, *stage.variables, *job.variables]
            groups = [v.name for v in scope if isinstance(v, VariableGroup)]
            if not groups:
                continue
            defined = {v.name.lower() for v in scope if isinstance(v, Variable)} | set_by_steps
            defined |= {k.lower() for leg in (job.matrix or {}).values() for k in leg}
            step_names = {s.name.lower() for s in job.all_steps() if s.name}
            for name in sorted(_reads(stage, job), key=str.lower):
                lowered = name.lower()
                if (
                    lowered in defined
                    or lowered.startswith(PREDEFINED_PREFIXES)
                    or lowered.split(".", 1)[0] in step_names
                ):
                    continue
                target = out[groups[0]]
                key = next((k for k in target if k.lower() == lowered), name)
                target.setdefault(key, []).append(f"{stage.name}.{job.name}")
    return out


def _reads(stage: Stage, job: Job) -> set[str]:
    """Variable names a job reads: `$(name)` in values, `variables.name` in conditions and `$[ ]`."""
    values: list[str] = []
    expressions: list[str] = [c for c in (stage.condition, job.condition) if c]
    for var in (*stage.variables, *job.variables):
        if isinstance(var, Variable):
            values += _texts(var.value)
    for step in job.all_steps():
        values += [step.display_name, *_texts(step.inputs), *_texts(dict(step.env))]
        expressions += [step.condition] if step.condition else []
    expressions += [v.strip()[2:-1] for v in values if v.strip().startswith("$[") and v.strip().endswith("]")]
    names = {m for text in values for m in _MACRO.findall(text)}
    return names | {a or b for text in expressions for a, b in _RUNTIME_READ.findall(text)}


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _texts(v)]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    return []


# ---- the files ------------------------------------------------------------------------------------


def _q(text: str) -> str:
    """A YAML scalar: plain when that reads back as the same text, else double-quoted (JSON)."""
    if (
        re.fullmatch(r"[A-Za-z_./][A-Za-z0-9_./@ -]*", text)
        and text == text.strip()
        and text.lower() not in ("true", "false", "yes", "no", "on", "off", "null", "y", "n")
    ):
        return text
    return json.dumps(text)


_HEADER = "# Written by `mlops init` (it never overwrites this file: edit it freely).\n"


def _environments_text(envs: list[str], approver: str) -> str:
    lines = [
        _HEADER,
        "# The environments the pipeline's deployment jobs target, each with one approval check.",
        "# Azure DevOps keeps these in Pipelines > Environments > NAME > Approvals and checks.",
        "# Schema: emulator/gates/environments.schema.json (see the README for every check type).",
        "environments:",
    ]
    for env in envs:
        lines += [
            f"  {_q(env)}:",
            "    checks:",
            "      - type: approval",
            f"        approvers: [{_q(approver)}]",
            f"        instructions: {_q(f'Approve the deployment to {env}.')}",
        ]
    return "\n".join(lines) + "\n"


def _connections_text(names: list[str]) -> str:
    lines = [
        _HEADER,
        "# The service connections the pipeline's tasks name (Project settings > Service connections).",
        "serviceConnections:",
    ]
    for name in names:
        lines += [f"  {_q(name)}:", "    type: azurerm"]
    return "\n".join(lines) + "\n"


def _groups_text(reads: Mapping[str, Mapping[str, list[str]]]) -> str:
    lines = [
        _HEADER,
        "# The variable groups the pipeline links (Pipelines > Library), with every variable it reads",
        f"# from them set to {TODO}. Mark a secret with {{value: ..., secret: true}}, or read it from",
        "# the environment at run time with {env: NAME, secret: true}.",
        "# Schema: emulator/runtime/variable-groups.schema.json",
        "variableGroups:",
    ]
    for group, variables in reads.items():
        lines.append(f"  {_q(group)}:")
        if not variables:
            lines.append("    variables: {}  # no $(name) read of this group was found in the pipeline")
            continue
        lines.append("    variables:")
        for name, jobs in variables.items():
            lines.append(f"      {_q(name)}: {TODO}  # read by {', '.join(dict.fromkeys(jobs))}")
    return "\n".join(lines) + "\n"


def _repositories_text(repos: list[Repository], given: Mapping[str, Path], folder: Path) -> str:
    lines = []
    for repo in repos:
        key = repo.name if repo.alias.lower().startswith("git://") else repo.alias
        found = repofile.folder_of(repo, given)
        where = os.path.relpath(found, folder) if found is not None else TODO
        note = "" if found is not None else f"  # {TODO}: the local folder of {repo.name}"
        lines.append(f"  {_q(key)}: {_q(where)}{note}")
    return (
        "\n".join(
            [
                _HEADER,
                "# The local folders of the repositories the pipeline uses (folders relative to this",
                "# file). `--repo ALIAS=PATH` on the command line wins over them.",
                "repositories:",
                *lines,
            ]
        )
        + "\n"
    )
