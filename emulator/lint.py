"""Run-time expressions checked before the run: conditions, `$[ ]` variable values, `matrix: $[ ]`.

Errors: what the run would reject when the unit is about to run, after the stages before it (and
their approvals) have passed: a function or a top-level value its place does not have (`succeded()`,
`variable['x']`, `counter` in a condition, a status function in a variable) [DOC
process/expressions.md "Functions", "Job status check functions"; process/conditions.md].

Warnings: what Azure accepts and quietly evaluates to an empty value [DOC process/expressions.md
"Dependencies"; process/variables.md "Use outputs in a different job/stage": "Output variables are
only visible to stages/jobs that depend on the producer"]:
- `variables['X']` where nothing defines X (YAML, predefined, `task.setvariable` in a script, a
  task's output variables, step outputs, a variable group in scope, `--var`): empty unless someone
  sets it at queue time;
- `dependencies.X` where X is not a direct dependency of the unit (an upstream stage or job, a
  misspelt one): its `result` is empty, so `eq(dependencies.X.result, 'Succeeded')` is false;
- `stageDependencies.S.J` where S is not a direct dependency of the stage, or has no job J.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from emulator import task_catalog
from emulator.errors import ExpressionError, did_you_mean
from emulator.expressions import (
    CallNode,
    EvalContext,
    Expr,
    IndexNode,
    LiteralNode,
    MemberNode,
    NameNode,
    WildcardNode,
    check_names,
    parse,
)
from emulator.expressions.parser import syntax_error_location
from emulator.findings import Finding
from emulator.model import Job, Pipeline, ScopeVariable, Stage, Variable, VariableGroup
from emulator.plan import RuntimeExpression, runtime_expressions, stage_dependencies
from emulator.runtime.conditions import status_functions, step_functions

# Predefined variables: every name under these prefixes is set by the agent or the service.
PREDEFINED_PREFIXES = (
    "agent.",
    "build.",
    "common.",
    "environment.",
    "pipeline.",
    "release.",
    "resources.",
    "strategy.",
    "system.",
    "task.",
    "checks.",
)
PREDEFINED_NAMES = frozenset({"tf_build"})
_SETVARIABLE = re.compile(r"##vso\[task\.setvariable\s+[^\]]*?variable=([^;\]\s]+)", re.IGNORECASE)


def _counter(prefix: Any = "", seed: Any = 0) -> int:  # the signature of runtime.counters' counter
    return 0


def _functions(scope: str) -> Mapping[str, Callable[..., Any]]:
    """What the engine supplies beyond the built-ins where the expression is evaluated."""
    if scope in ("stage", "job"):
        return status_functions({}, False)
    if scope == "step":
        return step_functions("succeeded")
    return {"counter": _counter}


def _names(scope: str) -> tuple[str, ...]:
    """The top-level values the engine gives each place (runtime/contexts.py)."""
    return {
        "stage": ("dependencies", "variables", "pipeline"),
        "job": ("dependencies", "stageDependencies", "variables", "pipeline"),
        "step": ("variables",),
        "pipeline variables": ("variables", "pipeline"),
        "stage variables": ("dependencies", "stageDependencies", "variables", "pipeline"),
        "job variables": ("dependencies", "stageDependencies", "variables", "pipeline"),
    }[scope]


def _path(node: Expr) -> list[str | None] | None:
    """`a.b['c']` as ["a", "b", "c"] (None for a computed index); None unless rooted at a name."""
    if isinstance(node, NameNode):
        return [node.name]
    if isinstance(node, MemberNode):
        head = _path(node.target)
        return None if head is None else [*head, node.name]
    if isinstance(node, IndexNode):
        head = _path(node.target)
        key = node.index.value if isinstance(node.index, LiteralNode) else None
        return None if head is None else [*head, key if isinstance(key, str) else None]
    if isinstance(node, WildcardNode):
        head = _path(node.target)
        return None if head is None else [*head, "*"]
    return None


def references(node: Expr) -> Iterator[tuple[list[str | None], int]]:
    """Every named-value reference of an expression (longest chains), with its offset."""
    if isinstance(node, CallNode):
        for arg in node.args:
            yield from references(arg)
        return
    if isinstance(node, LiteralNode):
        return
    path = _path(node)
    if path is not None:
        yield path, _offset(node)
    if isinstance(node, IndexNode):
        yield from references(node.index)
    if isinstance(node, (MemberNode, IndexNode, WildcardNode)) and path is None:
        yield from references(node.target)


def _offset(node: Expr) -> int:
    while isinstance(node, (MemberNode, IndexNode, WildcardNode)):
        node = node.target
    return node.offset


class _Definitions:
    """Variable names something in the pipeline defines, by scope (lower case)."""

    def __init__(self, pipeline: Pipeline, queue_variables: Iterable[str]) -> None:
        self.pipeline = _names_of(pipeline.variables) | {q.lower() for q in queue_variables}
        self.variables = pipeline.variables
        self.set_by_steps: set[str] = set()
        self.step_names: set[str] = set()
        for stage in pipeline.stages:
            for job in stage.jobs:
                for step in job.all_steps():
                    if step.name:
                        self.step_names.add(step.name.lower())
                    definition = task_catalog.load().get(step.task)  # variables the task sets
                    self.set_by_steps |= {o.lower() for o in (definition.outputs if definition else ())}
                    for value in step.inputs.values():
                        self.set_by_steps |= {m.lower() for m in _SETVARIABLE.findall(str(value))}

    def defined(self, name: str, stage: Stage | None, job: Job | None) -> bool:
        lowered = name.lower()
        scopes = [self.variables, stage.variables if stage else (), job.variables if job else ()]
        if any(isinstance(v, VariableGroup) for scope in scopes for v in scope):
            return True  # a variable group's variables are not in the YAML: anything may be one of them
        scoped = _names_of(stage.variables if stage else ()) | _names_of(job.variables if job else ())
        if job is not None and job.matrix:
            scoped |= {k.lower() for leg in job.matrix.values() for k in leg}
        if lowered in self.pipeline or lowered in scoped or lowered in self.set_by_steps:
            return True
        if lowered in PREDEFINED_NAMES or lowered.startswith(PREDEFINED_PREFIXES):
            return True
        # `variables['step.out']`: an output variable of a step of the same job
        return "." in lowered and lowered.split(".")[0] in self.step_names


def _names_of(variables: Iterable[ScopeVariable]) -> set[str]:
    return {v.name.lower() for v in variables if isinstance(v, Variable)}


def check(pipeline: Pipeline, queue_variables: Iterable[str] = ()) -> list[Finding]:
    """The findings of every run-time expression of the pipeline, in document order."""
    definitions = _Definitions(pipeline, queue_variables)
    stage_deps = stage_dependencies(pipeline.stages)
    found: list[Finding] = []
    for expr in runtime_expressions(pipeline):
        try:
            tree = parse(expr.text, expr.location)
        except ExpressionError:
            continue  # plan.expression_problems reports it
        context = EvalContext(
            {name: {} for name in _names(expr.scope)}, _functions(expr.scope), expr.location
        )
        try:
            check_names(tree, context)
        except ExpressionError as exc:
            found.append(
                Finding(
                    "error",
                    "expression",
                    f"The {expr.what}: {exc.message}",
                    exc.location,
                    exc.expected,
                    _hint(exc.hint, expr.scope),
                )
            )
            continue
        for path, offset in references(tree):
            finding = _reference(path, expr, definitions, stage_deps, pipeline)
            if finding is not None:
                message, rule, hint = finding
                where = syntax_error_location(offset, expr.location)
                found.append(Finding("warning", rule, f"The {expr.what} {message}", where, hint=hint))
    return found


def _hint(hint: str | None, scope: str) -> str:
    place = {"stage": "a stage condition", "job": "a job condition", "step": "a step condition"}.get(
        scope, "a $[ ] value here"
    )
    functions = {
        "stage": "the status functions",
        "job": "the status functions",
        "step": "the status functions (without arguments)",
    }.get(scope, "counter")
    where = f"{place} has {', '.join(_names(scope))}, the built-in functions and {functions}"
    return f"{hint}; {where}" if hint else where


def _reference(
    path: list[str | None],
    expr: RuntimeExpression,
    definitions: _Definitions,
    stage_deps: Mapping[str, tuple[str, ...]],
    pipeline: Pipeline,
) -> tuple[str, str, str | None] | None:
    """(message, rule, hint) for a reference Azure resolves to nothing, or None."""
    root = (path[0] or "").lower()
    key = path[1] if len(path) > 1 else None
    if key is None or key == "*":
        return None
    if root == "variables":
        if definitions.defined(key, expr.stage, expr.job):
            return None
        return (
            f"reads variable '{key}', which nothing in the pipeline defines: it is empty unless it is "
            "set at queue time",
            "undefined-variable",
            "define it under variables:, set it with ##vso[task.setvariable], or pass --var "
            f"{key}=VALUE to mlops validate if it is a queue-time variable",
        )
    if root == "dependencies" and expr.stage is not None:
        if expr.job is not None and expr.scope != "stage variables":
            direct = list(expr.job.depends_on)
            others = [j.name for j in expr.stage.jobs]
            unit, kind = f"job {expr.job.name}", "job"
        else:
            direct = list(stage_deps.get(expr.stage.name, ()))
            others = [s.name for s in pipeline.stages]
            unit, kind = f"stage {expr.stage.name}", "stage"
        if key.lower() in (d.lower() for d in direct):
            return None
        exists = key.lower() in (o.lower() for o in others)
        why = f"{kind} {key} is not a direct dependency of {unit}" if exists else f"there is no {kind} {key}"
        return (
            f"reads dependencies.{key}, which is empty: {why} (dependsOn: {', '.join(direct) or 'none'})",
            "not-a-dependency",
            f"add {key} to the dependsOn of {unit}" if exists else did_you_mean(key, others),
        )
    if root == "stagedependencies" and expr.stage is not None:
        direct = list(stage_deps.get(expr.stage.name, ()))
        if key.lower() not in (d.lower() for d in direct):
            return (
                f"reads stageDependencies.{key}, which is empty: stage {key} is not a direct dependency of "
                f"stage {expr.stage.name} (dependsOn: {', '.join(direct) or 'none'})",
                "output-without-dependency",
                did_you_mean(key, direct) or f"add {key} to the dependsOn of stage {expr.stage.name}",
            )
        job = path[2] if len(path) > 2 else None
        source = next(s for s in pipeline.stages if s.name.lower() == key.lower())
        names = [j.name for j in source.jobs]
        if job is not None and job != "*" and job.lower() not in (n.lower() for n in names):
            return (
                f"reads stageDependencies.{key}.{job}, which is empty: stage {key} has no job {job}",
                "output-without-dependency",
                did_you_mean(job, names) or f"the jobs of stage {key}: {', '.join(names) or 'none'}",
            )
    return None
