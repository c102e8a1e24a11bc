"""Compile time: expand a pipeline file and its templates into one YAML tree."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import Location, TemplateError
from emulator.expressions import CaseInsensitiveDict
from emulator.templates.expand import Expander, Scope
from emulator.templates.parameters import bind_runtime, parse_declarations
from emulator.templates.references import References, Repository, TemplateFile, find_repo_root
from emulator.yamlio import YMap, display_path, load_file

__all__ = ["Expanded", "expand_pipeline"]


@dataclass(frozen=True)
class Expanded:
    """The expanded pipeline document and what went into it."""

    document: YMap
    parameters: Mapping[str, Any]
    files: tuple[str, ...]
    source: Path
    repo_root: Path
    extends: tuple[str, ...] = field(default=())


def expand_pipeline(path: Path, parameters: Mapping[str, str] | None = None,
                    repos: Mapping[str, Path] | None = None,
                    predefined: Mapping[str, str] | None = None) -> Expanded:
    """Expand a pipeline file the way the service does before a run starts."""
    path = path.resolve()
    display = display_path(path)
    doc = load_file(path, display=display)
    if not isinstance(doc, YMap):
        raise TemplateError("A pipeline file must be a mapping (stages:, jobs:, steps: or extends:)",
                            Location(display, 1, 1))
    repo_root = find_repo_root(path)
    root_file = TemplateFile(path, Repository("self", repo_root))
    refs = References(Repository("self", repo_root), dict(repos or {}))
    resources = doc.get("resources")
    if isinstance(resources, dict):
        refs.declare_repositories(resources.get("repositories"))
    decls = parse_declarations(doc.get("parameters"), Location(display), pipeline=True)
    values = bind_runtime(decls, dict(parameters or {}), doc.loc)
    scope = Scope(CaseInsensitiveDict(values, strict=True), CaseInsensitiveDict(dict(predefined or {})), {},
                  root_file, (root_file,))
    expander = Expander(refs)
    body = YMap(doc.loc)
    for key, value in doc.items():
        if key not in ("parameters", "extends"):
            body.set(key, value, doc.key_loc(key))
    expanded = expander.mapping(body, scope)
    result = YMap(doc.loc)
    if "parameters" in doc:
        result.set("parameters", doc["parameters"], doc.key_loc("parameters"))
    if "extends" in doc:
        extended = expander.extends(doc["extends"], expander_scope(scope, expanded), doc.key_loc("extends"))
        for key, value in expanded.items():
            expander._merge_key(extended, key, value, expanded.key_loc(key))
        expanded = extended
    for key, value in expanded.items():
        result.set(key, value, expanded.key_loc(key))
    return Expanded(result, values, tuple(dict.fromkeys(expander.used_files)), path, repo_root)


def expander_scope(scope: Scope, expanded: YMap) -> Scope:
    """The scope an extends template sees: the pipeline's own compile-time variables included."""
    variables = CaseInsensitiveDict(dict(scope.variables.items()))
    block = expanded.get("variables")
    if isinstance(block, dict):
        for k, v in block.items():
            variables[str(k)] = v
    elif isinstance(block, list):
        for item in block:
            if isinstance(item, dict) and "name" in item:
                variables[str(item["name"])] = item.get("value")
    return scope.with_variables(variables)
