"""A run's variables at each scope: predefined, queue-time, secret, and the YAML ones, in the service's order.

Precedence (lowest first) [DOC process/variables.md "Expansion of variables"]: predefined < queue-time <
pipeline YAML < stage YAML < job YAML; queue-time values of YAML-defined variables are not used. `$[ ]`
values are evaluated in order with what is known so far; the agent adds its own variables when a job
starts (predefined.py).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from emulator.expressions import CaseInsensitiveDict, EvalContext, evaluate_text, to_string
from emulator.model import Pipeline, ScopeVariable, Stage, VariableGroup
from emulator.runtime.contexts import variables_view
from emulator.runtime.counters import Counters
from emulator.runtime.options import RunOptions
from emulator.runtime.predefined import ACCESS_TOKEN, Predefined
from emulator.runtime.secrets import RunSecrets
from emulator.runtime.variables import VariableSet, text_of
from emulator.store.runs import Run


class RunVariables:
    """The variables of one run (one execution of it: resume builds a new one)."""

    def __init__(
        self,
        run: Run,
        pipeline: Pipeline,
        options: RunOptions,
        counters: Counters,
        secrets: RunSecrets,
        predefined: Predefined,
        pipeline_context: Callable[[], CaseInsensitiveDict],
    ) -> None:
        self.run = run
        self.pipeline = pipeline
        self.options = options
        self.counters = counters
        self.secrets = secrets
        self.predefined = predefined
        self.pipeline_context = pipeline_context

    def run_scope(self) -> VariableSet:
        """Predefined < queue-time < pipeline YAML [DOC variables.md "Expansion of variables"]."""
        vs = VariableSet()
        vs.update(self.predefined.values().items(), readonly=True)
        vs.set("System.Debug", "false")
        vs.set("System.AccessToken", ACCESS_TOKEN, secret=True, readonly=True)
        vs.update(self.options.queue_variables.items())
        for name, value in self.secrets.variables.items():
            vs.set(name, value, secret=True)
        self.apply(vs, self.pipeline.variables, {"pipeline": self.pipeline_context()})
        return vs

    def stage_scope(self, stage: Stage, named: Mapping[str, Any]) -> VariableSet:
        vs = self.run_scope()
        for name, value in {
            "System.StageName": stage.name,
            "System.StageDisplayName": stage.display_name,
            "System.StageAttempt": "1",
            "System.StageId": self.predefined.uuid(stage.name),
        }.items():
            vs.set(name, value, readonly=True)
        self.apply(vs, stage.variables, named)
        return vs

    def apply(
        self,
        vs: VariableSet,
        variables: tuple[ScopeVariable, ...],
        named: Mapping[str, Any],
        static_only: bool = False,
    ) -> None:
        """Set a scope's variables in order; `$[ ]` values are evaluated with what is known so far; a
        variable group's variables take the group's place in the list."""
        for var in variables:
            if isinstance(var, VariableGroup):
                self.options.variable_groups.apply(vs, var)
                continue
            value = text_of(var.value)
            stripped = value.strip()
            if stripped.startswith("$[") and stripped.endswith("]"):
                if static_only:
                    continue
                loc = var.location.shifted(2)
                named_here = {**named, "variables": variables_view(vs)}
                context = EvalContext(named_here, self.counters.functions(), loc)
                value = to_string(evaluate_text(stripped[2:-1], context, loc))
            if vs.is_readonly(var.name) and var.name.lower() not in ("system.debug",):
                continue
            vs.set(var.name, value, readonly=var.readonly, location=var.location)

    def queue_time_warnings(self) -> None:
        """Queue-time values lose to YAML-defined ones [DOC variables.md "Allow at queue time"]."""
        scopes = [
            self.pipeline.variables,
            *(s.variables for s in self.pipeline.stages),
            *(j.variables for s in self.pipeline.stages for j in s.jobs),
        ]
        yaml_names = {v.name.lower() for scope in scopes for v in scope if not isinstance(v, VariableGroup)}
        warnings = self.run.data.setdefault("warnings", [])
        for name in self.options.queue_variables:
            if name.lower() in yaml_names:
                text = (
                    f"Variable '{name}' is defined in the YAML, so its queue-time value is not used "
                    "(YAML-defined variables can't be overridden at queue time)"
                )
                if text not in warnings:
                    warnings.append(text)
