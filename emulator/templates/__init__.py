"""Compile time: expand a pipeline file and its templates into one YAML tree.

`expand_pipeline` is the whole of the service's first step [DOC runs.md]: bind the runtime
parameters, expand `${{ }}` and directives, include `template:` references and `extends`. Every
failure is a located `MlopsError`; anything else escaping is a bug, reported as one.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import Location, MlopsError, TemplateError
from emulator.expressions import CaseInsensitiveDict
from emulator.templates.expand import Expander, Frame, Scope, VariableLayer, expand_error, merge_extended
from emulator.templates.files import FileProvider, FileSystem
from emulator.templates.parameters import bind_runtime, parse_declarations
from emulator.templates.references import References, Repository, find_repo_root, root_file
from emulator.yamlio import YMap, display_path, location_of, no_cyclic_gc

__all__ = ["Expanded", "FileProvider", "FileSystem", "expand_pipeline"]

_ROOT_BODIES = ("stages", "jobs", "steps", "phases")


@dataclass(frozen=True)
class Expanded:
    """The expanded pipeline document and what went into it."""

    document: YMap
    parameters: Mapping[str, Any]
    files: tuple[str, ...]
    source: Path
    repo_root: Path
    extends: tuple[str, ...] = field(default=())


def expand_pipeline(
    path: Path,
    parameters: Mapping[str, str] | None = None,
    repos: Mapping[str, Path] | None = None,
    predefined: Mapping[str, str] | None = None,
    repo_root: Path | None = None,
    files: FileProvider | None = None,
) -> Expanded:
    """Expand a pipeline file the way the service does before a run starts.

    `parameters`: runtime parameter values (`-p NAME=VALUE`); `repos`: local folders of the
    `resources.repositories` aliases; `predefined`: predefined variables available to templates;
    `repo_root`: the pipeline's repository (default: the git work tree holding it); `files`: where the
    files are read (default: the file system).
    """
    path = path.resolve()
    display = display_path(path)
    try:
        with no_cyclic_gc():
            return _expand(path, display, parameters, repos, predefined, repo_root, files or FileSystem())
    except MlopsError:
        raise
    except Exception as err:  # noqa: BLE001 - the contract: only located errors leave this function
        raise expand_error(err, Location(display, 1, 1)) from None


def _expand(
    path: Path,
    display: str,
    parameters: Mapping[str, str] | None,
    repos: Mapping[str, Path] | None,
    predefined: Mapping[str, str] | None,
    repo_root: Path | None,
    files: FileProvider,
) -> Expanded:
    root_dir = (repo_root or find_repo_root(path)).resolve()
    if not path.is_relative_to(root_dir):
        root_dir = path.parent
    self_repo = Repository("self", root_dir)
    refs = References(self_repo, dict(repos or {}), provider=files)
    top = root_file(path, self_repo)
    doc = refs.load(top, Location(display), count=False)
    if doc is None:
        raise TemplateError(
            "The pipeline file is empty",
            Location(display, 1, 1),
            expected="a mapping with stages:, jobs:, steps: or extends:",
        )
    if not isinstance(doc, YMap):
        raise TemplateError(
            "A pipeline file must be a mapping (stages:, jobs:, steps: or extends:)",
            location_of(doc) or Location(display, 1, 1),
        )
    expander = Expander(refs)
    expander.check_file(doc, str(path))
    if "extends" in doc:
        for key in doc:
            if key in _ROOT_BODIES:
                raise TemplateError(
                    f"Unexpected value '{key}'",
                    doc.key_locs.get(key, doc.loc),
                    hint="a pipeline that extends a template gets its stages, jobs or steps "
                    "from that template",
                )
    resources = doc.get("resources")
    if isinstance(resources, dict):
        refs.declare_repositories(resources.get("repositories"))
    decls = parse_declarations(doc.get("parameters"), doc.loc, position="pipeline")
    params_loc = doc.key_loc("parameters") if "parameters" in doc else doc.loc
    values = bind_runtime(decls, dict(parameters or {}), params_loc)
    variables = VariableLayer(None, dict(predefined or {}))
    scope = Scope.make(CaseInsensitiveDict(values, strict=True), variables, {}, (Frame(top, values),))
    own, body_scope = expander.document(doc, scope, skip=("parameters", "extends"))
    if "extends" in doc:
        extended = expander.extends(doc["extends"], body_scope, doc.key_locs.get("extends", doc.loc))
        own = merge_extended(own, extended)
    result = YMap(doc.loc)
    if "parameters" in doc:
        result["parameters"] = doc["parameters"]
        result.key_locs["parameters"] = doc.key_locs.get("parameters", doc.loc)
    for key, value in own.items():
        result[key] = value
        result.key_locs[key] = own.key_locs.get(key, doc.loc)
    return Expanded(
        result,
        values,
        tuple(dict.fromkeys(expander.used_files)),
        path,
        root_dir,
        tuple(expander.extends_files),
    )
