"""`mlops validate`: everything that can be checked without running anything.

Beyond expansion (templates, parameters, recipe schemas, the model and its graphs), as findings
(findings.py) so that one run reports every problem:
- what the plan refuses (conditions that do not parse, tasks that are missing or run in the wrong
  kind of job), all of them rather than the first;
- run-time expressions: unknown functions and values (errors), and the silent traps (lint.py);
- every task step's inputs against Microsoft's task definitions (task_inputs.py);
- every service connection a task input names against `service-connections.yml`;
- the environments named by `--approve/--reject` against those the pipeline targets;
- the Azure ML YAML files the pipeline's `az ml … --file F` commands use, loaded with azure-ai-ml's
  own loaders (the schemas the real CLI applies);
- the expanded pipeline against the official Azure Pipelines schema (microsoft/azure-pipelines-vscode
  `service-schema.json`), when it is available: `$MLOPS_SERVICE_SCHEMA`, or the copy a development
  checkout keeps in `../shared/reference/`. The emulator does not ship that third-party file.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator import extras, lint, plan, task_catalog, task_inputs
from emulator.errors import Location, MlopsError, PipelineError, did_you_mean
from emulator.findings import Finding
from emulator.gates.environments import Environments
from emulator.model import Pipeline, Step, Variable
from emulator.runtime.variables import expand_macros
from emulator.tasks.connections import UNCHECKED, Connections
from emulator.yamlio import YMap, YStr, location_of, plain, resolve_plain_scalar

SCHEMA_ENV = "MLOPS_SERVICE_SCHEMA"
SCHEMA_NAME = "azure-pipelines-service-schema.json"
_KINDS = {
    ("job", "create"): "job",
    ("environment", "create"): "environment",
    ("model", "create"): "model",
    ("model", "package"): "model_package",
    ("online-endpoint", "create"): "online_endpoint",
    ("online-endpoint", "update"): "online_endpoint",
    ("online-deployment", "create"): "online_deployment",
    ("online-deployment", "update"): "online_deployment",
    ("data", "create"): "data",
    ("compute", "create"): "compute",
    ("workspace", "create"): "workspace",
    ("batch-endpoint", "create"): "batch_endpoint",
    ("batch-deployment", "create"): "batch_deployment",
    ("component", "create"): "component",
}
_SCRIPT_INPUTS = ("script", "inlineScript")
# predefined variables that name the folder a step's relative paths start from: the checkout
_CHECKOUT_FOLDERS = ("System.DefaultWorkingDirectory", "Build.SourcesDirectory", "Build.Repository.LocalPath")


@dataclass(frozen=True)
class AzureMLFile:
    kind: str
    path: Path
    command: str
    location: Location


@dataclass(frozen=True)
class Report:
    azureml_files: tuple[AzureMLFile, ...]
    skipped: tuple[str, ...]  # references that name a run-time value ($(var), ${{ }})
    service_schema: str | None  # the schema file used, or None when not available
    findings: tuple[Finding, ...]  # errors, warnings and notes, in the order the checks ran
    no_local_behaviour: tuple[str, ...] = ()  # tasks the run would fail (or skip) for want of behaviour
    container_jobs: tuple[str, ...] = ()  # jobs that run in containers: the run fails them

    @property
    def errors(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> tuple[Finding, ...]:
        return tuple(f for f in self.findings if f.severity == "warning")


def _commands(script: str) -> Iterator[list[str]]:
    """The `az ml …` command lines of a bash script (continuations joined)."""
    text = re.sub(r"\\\n", " ", script)
    for line in text.splitlines():
        for start in re.finditer(r"(?:^|[\s;&|(])az\s+ml\s", line):
            rest = re.split(r"\s(?:&&|\|\||;|\|)\s", line[start.end() - 3 :])[0]
            try:
                words = ["az", *shlex.split(rest, comments=True)]
            except ValueError:
                continue
            if len(words) > 3 and words[1] == "ml":
                yield words


def _steps_with_variables(pipeline: Pipeline, repo_root: Path) -> Iterator[tuple[Step, dict[str, str]]]:
    """Each step with the variables it sees whose value is written in the YAML (not a `$[ ]` runtime
    expression), lower-case names, plus the agent's folders that name the checkout."""
    for stage in pipeline.stages:
        for job in stage.jobs:
            known = {name.lower(): str(repo_root) for name in _CHECKOUT_FOLDERS}
            for scope in (pipeline.variables, stage.variables, job.variables):
                for var in scope:
                    if isinstance(var, Variable) and isinstance(var.value, str) and "$[" not in var.value:
                        known[var.name.lower()] = var.value
            for step in job.all_steps():
                yield step, known


def azureml_files(pipeline: Pipeline, repo_root: Path) -> tuple[list[AzureMLFile], list[str]]:
    """The Azure ML YAML files referenced by `az ml <group> <verb> --file F` in the pipeline's steps,
    after the `$(variables)` known before the run (`az ml $(endpoint_type)-deployment create`), relative
    to the step's `workingDirectory` (default: the checkout)."""
    found: dict[tuple[str, Path], AzureMLFile] = {}
    skipped: list[str] = []
    for step, known in _steps_with_variables(pipeline, repo_root):
        folder = expand_macros(str(step.inputs.get("workingDirectory") or ""), known.get).strip()
        base = repo_root if not folder or "$(" in folder else (repo_root / folder).resolve()
        scripts = [str(step.inputs[k]) for k in _SCRIPT_INPUTS if isinstance(step.inputs.get(k), str)]
        for script in scripts:
            for words in _commands(expand_macros(script, known.get)):
                kind = _KINDS.get((words[2], words[3]))
                if kind is None:
                    continue
                for flag in ("--file", "-f"):
                    if flag in words and words.index(flag) + 1 < len(words):
                        ref = words[words.index(flag) + 1]
                        if "$(" in ref or "${" in ref or "$" in ref:
                            skipped.append(f"{ref} ({step.location})")
                            continue
                        path = (base / ref).resolve()
                        found.setdefault(
                            (kind, path), AzureMLFile(kind, path, " ".join(words[:4]), step.location)
                        )
    return list(found.values()), skipped


def check_azureml_files(
    files: list[AzureMLFile], *, load: bool = True
) -> tuple[list[MlopsError], list[MlopsError]]:
    """(errors, warnings): a file azure-ai-ml's loaders refuse is an error; a file that does not exist is
    a warning, since Azure DevOps accepts the pipeline and only the step fails when it runs. Without
    `load` (azure-ai-ml is not installed) only the files' existence is checked."""
    from emulator.azureml.assets.yamlspec import load_spec

    errors: list[MlopsError] = []
    missing: list[MlopsError] = []
    for item in files:
        if not item.path.is_file():
            missing.append(
                PipelineError(
                    f"{item.command} refers to {item.path}, which does not exist: the step will fail",
                    item.location,
                    hint="paths in steps are relative to the repository root (the checkout)",
                )
            )
            continue
        if not load:
            continue
        try:
            load_spec(item.kind, item.path)
        except MlopsError as exc:
            errors.append(exc)
    return errors, missing


def find_service_schema(repo_root: Path) -> Path | None:
    configured = os.environ.get(SCHEMA_ENV)
    if configured:
        return Path(configured)
    candidate = repo_root.parent / "shared" / "reference" / SCHEMA_NAME
    return candidate if candidate.is_file() else None


def _deepest(error: Any) -> Any:
    best = error
    for sub in error.context or ():
        candidate = _deepest(sub)
        if len(list(candidate.absolute_path)) > len(list(best.absolute_path)):
            best = candidate
    return best


def _typed(value: Any) -> Any:
    """Plain data for the schema, unquoted scalars typed as YAML reads them (`true` is a boolean there);
    computed ones (`${{ parameters.flag }}`) too: a template expression keeps its value's type."""
    if isinstance(value, dict):
        return {str(k): _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    if isinstance(value, YStr):
        return resolve_plain_scalar(str(value)) if value.plain or value.style is None else str(value)
    return plain(value)


def check_service_schema(document: YMap, schema_path: Path) -> list[MlopsError]:
    """The expanded pipeline (before normalization) against the official schema; located errors."""
    import jsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    errors: list[MlopsError] = []
    # The schema mixes text and typed scalars (task inputs may be `boolean`, other places only text):
    # a value is wrong only when it is wrong both as written and as YAML types it.
    as_text = {tuple(_deepest(e).absolute_path) for e in validator.iter_errors(plain(document))}
    for error in validator.iter_errors(_typed(document)):
        if tuple(_deepest(error).absolute_path) not in as_text:
            continue
        deepest = _deepest(error)
        node: Any = document
        loc = document.loc
        for part in deepest.absolute_path:
            if isinstance(node, dict) and part in node:
                loc = node.key_loc(str(part)) if isinstance(node, YMap) else loc
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                loc = location_of(node[part]) or loc
                node = node[part]
        where = "/".join(str(p) for p in deepest.absolute_path) or "the pipeline"
        errors.append(
            PipelineError(
                f"Not valid for Azure Pipelines at {where}: {deepest.message[:300]}",
                loc,
                hint=f"checked against {schema_path.name} (the schema Azure DevOps publishes)",
            )
        )
    return errors


def check_connections(document: YMap, connections: Connections) -> list[Finding]:
    """Every task input that names a service connection (type `connectedService:*` in the task's
    definition) against the declared ones. Azure refuses to run a pipeline that names a connection the
    project does not have; a name known only at run time (`$(var)`) is not checked."""
    found: list[Finding] = []
    catalog = task_catalog.load()
    for step in task_inputs.task_steps(document):
        definition = catalog.get(str(step["task"]))
        inputs = step.get("inputs")
        if definition is None or not isinstance(inputs, YMap):
            continue
        for key, value in inputs.items():
            item = definition.input(key)
            text = "" if value is None else str(value).strip()
            if item is None or not item.type.startswith("connectedService") or not text:
                continue
            where = location_of(value) or inputs.key_loc(key)
            named = f"Service connection '{text}' of {definition.key}"
            if "$(" in text or "$[" in text:
                found.append(
                    Finding("note", "not-checked", f"{named} is named at run time: not checked", where)
                )
            elif connections.entries is None:
                found.append(
                    Finding(
                        "note",
                        "not-checked",
                        f"{named} is not checked: no service-connections.yml was found",
                        where,
                        hint="list the project's service connections in "
                        "mlops_pipelines/service-connections.yml",
                    )
                )
            else:
                try:
                    connections.check(text, where, definition.key)
                except MlopsError as exc:
                    found.append(Finding.of(exc, "service-connection"))
    return found


def check_decisions(
    pipeline: Pipeline, environments: Environments, approve: Iterable[str] = (), reject: Iterable[str] = ()
) -> list[Finding]:
    """`--approve/--reject ENV` name an environment the pipeline targets and that has a check to decide."""
    targets = {e.name.lower(): e.name for s in pipeline.stages for e in s.environments()}
    found: list[Finding] = []
    macros = any("$(" in t for t in targets)  # `environment: $(name)`: known once the run is queued
    for flag, names in (("--approve", approve), ("--reject", reject)):
        for name in names:
            if name.lower() not in targets and not macros:
                what = f"targets no environment '{name}'" if targets else "targets no environment at all"
                found.append(
                    Finding(
                        "error",
                        "environment",
                        f"{flag} {name}: the pipeline {what}",
                        None,
                        expected="one of: " + ", ".join(sorted(targets.values())) if targets else None,
                        hint=did_you_mean(name, list(targets.values()))
                        or "name an environment a deployment job of the pipeline targets",
                    )
                )
                continue
            config = environments.get(name)
            if config is None or not config.decidable():
                shown = targets.get(name.lower(), name)
                found.append(
                    Finding(
                        "error",
                        "environment",
                        f"{flag} {name}: environment '{shown}' has no approval check to decide on",
                        None,
                        hint=f"its checks are configured in {environments.source or 'environments.yml'}",
                    )
                )
    return found


def validate(
    pipeline: Pipeline,
    expanded: YMap,
    repo_root: Path,
    local_tasks: Sequence[str] = (),
    *,
    connections: Connections = UNCHECKED,
    queue_variables: Iterable[str] = (),
) -> Report:
    """`local_tasks`: the tasks with local behaviour (the emulator's, plug-ins, stand-ins);
    `queue_variables`: names given at queue time (`--var`), so conditions may read them."""
    files, skipped = azureml_files(pipeline, repo_root)
    absent = extras.missing("azureml", "azure.ai.ml")
    invalid, missing = check_azureml_files(files, load=not absent)
    findings = [Finding.of(e) for e in plan.plan_problems(pipeline, local_tasks)]
    unchecked = [f for f in files if f.path.is_file()] if absent else []
    if unchecked:
        findings.append(
            Finding(
                "warning",
                "not-checked",
                f"{len(unchecked)} Azure ML YAML file(s) not checked: {', '.join(absent)} is not installed",
                unchecked[0].location,
                hint=f"pip install {extras.install_spec('azureml')}",
            )
        )
        files = [f for f in files if f not in unchecked]
    findings += lint.check(pipeline, queue_variables)
    findings += [Finding.of(e, "task-input") for e in task_inputs.check(pipeline.document)]
    findings += check_connections(pipeline.document, connections)
    findings += [Finding.of(e, "azureml-yaml") for e in invalid]
    # a missing file: Azure DevOps accepts the pipeline, the step fails when it runs
    findings += [Finding.of(e, "azureml-yaml", "warning") for e in missing]
    schema = find_service_schema(repo_root)
    if schema is not None:
        findings += [Finding.of(e, "service-schema") for e in check_service_schema(expanded, schema)]
    local = {t.lower() for t in local_tasks}
    built_in = ("checkout", "download-none", "manualvalidation@0", "manualvalidation@1", "delay@1")
    no_behaviour = {
        step.task: None
        for stage in pipeline.stages
        for job in stage.jobs
        for step in job.all_steps()
        if step.task.lower() not in local and step.task.lower() not in built_in
    }
    containers = tuple(
        f"{stage.name}.{job.name} ({', '.join(job.containers)})"
        for stage in pipeline.stages
        for job in stage.jobs
        if job.containers
    )
    used = str(schema) if schema else None
    return Report(tuple(files), tuple(skipped), used, tuple(findings), tuple(no_behaviour), containers)
