"""What `mlops validate` found: one finding per problem, with a severity, a rule and a location.

Errors are what a run (or the service) would reject; warnings are silent traps Azure accepts (the run
goes on and does something else than the author meant); notes say what was not checked. Every check
appends findings, and every output (text, JSON, SARIF, `##vso` lines, JUnit) renders the same list.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from emulator.errors import (
    ConfigError,
    ExpressionError,
    Location,
    MlopsError,
    PipelineError,
    TemplateError,
    YamlError,
)

Severity = Literal["error", "warning", "note"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "note")

# Rules: a stable id per kind of finding (SARIF ruleId, `##vso` code), with a short description.
RULES: dict[str, str] = {
    "yaml": "The file is not YAML that Azure Pipelines accepts",
    "template": "Template expansion fails (parameters, references, directives, limits)",
    "expression": "An expression does not parse or names a function or value its place does not have",
    "pipeline": "The expanded pipeline is not valid (names, dependencies, tasks, agentless jobs)",
    "config": "A local configuration file (environments, service connections, tasks) is not valid",
    "task-input": "A task input is unknown, missing or outside its pick list",
    "service-connection": "A task names a service connection that is not declared",
    "environment": "An environment named on the command line is not one the pipeline targets",
    "azureml-yaml": "An Azure ML YAML file used by an az ml command is not valid",
    "service-schema": "The expanded pipeline does not match Azure's published pipeline schema",
    "undefined-variable": "A condition or runtime expression reads a variable nothing defines",
    "not-a-dependency": "dependencies.X names a stage or job that is not a direct dependency",
    "output-without-dependency": "Outputs are read from a stage that is not a direct dependency",
    "not-checked": "Something could not be checked before the run",
}

_RULE_OF_ERROR: tuple[tuple[type[MlopsError], str], ...] = (
    (YamlError, "yaml"),
    (TemplateError, "template"),
    (ExpressionError, "expression"),
    (ConfigError, "config"),
    (PipelineError, "pipeline"),
)


@dataclass(frozen=True)
class Finding:
    severity: Severity
    rule: str  # a key of RULES
    message: str
    location: Location | None = None
    expected: str | None = None
    hint: str | None = None

    @classmethod
    def of(cls, error: MlopsError, rule: str | None = None, severity: Severity = "error") -> Finding:
        """A raised error as a finding; its rule follows its kind unless given."""
        if rule is None:
            rule = next((r for kind, r in _RULE_OF_ERROR if isinstance(error, kind)), "pipeline")
        return cls(severity, rule, error.message, error.location, error.expected, error.hint)

    def render(self) -> str:
        """file:line:col: message, the offending line with a caret, what was expected, a hint."""
        return MlopsError(self.message, self.location, expected=self.expected, hint=self.hint).render()


def count(findings: tuple[Finding, ...] | list[Finding], severity: Severity) -> int:
    return sum(1 for f in findings if f.severity == severity)
