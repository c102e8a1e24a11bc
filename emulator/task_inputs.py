"""Every task step's inputs against the task's definition in the catalog (`mlops validate`).

The service does not check inputs when it compiles a pipeline: an input the task does not declare is
passed through and never read, a missing required input fails the step at run time ("Input required")
[PG oracle probes azurecli-unknown-input, azurecli-missing-connection: both expand, HTTP 200]. This is
the check the service leaves to the task, done before anything runs: unknown inputs (with a "did you
mean"), required inputs that are missing (task.json `required`, within its `visibleRule`), and values
outside a fixed pick list. Inputs are matched by name or alias, in any case, as the agent does.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from emulator import task_catalog
from emulator.errors import Location, MlopsError, PipelineError, did_you_mean
from emulator.task_catalog import TaskDefinition
from emulator.yamlio import YMap, location_of


def task_steps(node: Any) -> Iterator[YMap]:
    """The steps in task form of a normalized document, wherever they sit (jobs, deployment hooks)."""
    if isinstance(node, YMap):
        for key, value in node.items():
            if key == "steps" and isinstance(value, list):
                yield from (s for s in value if isinstance(s, YMap) and isinstance(s.get("task"), str))
            else:
                yield from task_steps(value)
    elif isinstance(node, list):
        for item in node:
            yield from task_steps(item)


def _runtime_value(value: Any) -> bool:
    """A value known only when the step runs (a macro or a runtime expression)."""
    text = str(value)
    return "$(" in text or "$[" in text


def check_step(step: YMap) -> list[MlopsError]:
    definition = task_catalog.load().get(str(step["task"]))
    inputs = step.get("inputs")
    if definition is None or (inputs is not None and not isinstance(inputs, YMap)):
        return []
    inputs = inputs if inputs is not None else YMap(step.loc)
    where = step.key_loc("inputs") if "inputs" in step else step.key_loc("task")
    errors: list[MlopsError] = []
    values: dict[str, str] = {}
    for key, value in inputs.items():
        item = definition.input(key)
        if item is None:
            errors.append(_unknown(definition, key, inputs.key_loc(key)))
            continue
        text = "" if value is None else str(value)
        values[key] = text
        if item.options is not None and text and not _runtime_value(text):
            if text.lower() not in (o.lower() for o in item.options):
                errors.append(
                    PipelineError(
                        f"'{text}' is not a value of input '{key}' of task {definition.key}",
                        location_of(value) or inputs.key_loc(key),
                        expected="one of: " + ", ".join(item.options),
                        hint=did_you_mean(text, item.options),
                    )
                )
    for item in definition.inputs:
        given = any(k.lower() in (n.lower() for n in item.names) for k in values)
        if not item.required or item.default or given:
            continue
        shown = task_catalog.visible(definition, item, values)
        if shown:
            rule = f" ({item.visible_rule})" if item.visible_rule else ""
            aliases = f" (or {', '.join(item.aliases)})" if item.aliases else ""
            errors.append(
                PipelineError(
                    f"Input required: {item.name}{aliases} of task {definition.key}{rule}",
                    where,
                    hint="Azure DevOps accepts the pipeline, and the step fails when it runs: add "
                    f"'{item.aliases[0] if item.aliases else item.name}:' under the step's inputs",
                )
            )
    return errors


def _unknown(definition: TaskDefinition, key: str, loc: Location) -> MlopsError:
    names = [n for i in definition.inputs for n in i.names]
    return PipelineError(
        f"Task {definition.key} has no input '{key}'",
        loc,
        expected="one of: " + ", ".join(names) if names else "no inputs",
        hint=did_you_mean(key, names)
        or "Azure DevOps accepts the pipeline but the task never reads the input",
    )


def check(document: YMap) -> list[MlopsError]:
    """The input errors of every task step of a normalized document, in document order."""
    return [error for step in task_steps(document) for error in check_step(step)]
