"""A YAML file the user keeps beside a pipeline (environments.yml, tasks.yml, variable-groups.yml,
repositories.yml): where it is found, and its check against its JSON Schema, the first error reported
at the line and column of the offending node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from emulator.errors import ConfigError, Location
from emulator.yamlio import YMap, location_of, plain


def find_beside(pipeline: Path, repo_root: Path, name: str) -> Path | None:
    """The file `name` beside the pipeline, else in the repository's mlops_pipelines/."""
    for candidate in (pipeline.parent / name, repo_root / "mlops_pipelines" / name):
        if candidate.is_file():
            return candidate
    return None


def check(doc: Any, schema_path: Path, display: str, what: str, hint: str, data: Any = None) -> None:
    """`data`: what the schema sees, when not `plain(doc)` (a file read as text, typed for the schema)."""
    import jsonschema

    schema = json.loads(schema_path.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(schema)
    seen = plain(doc) if data is None else data
    errors = sorted(validator.iter_errors(seen), key=lambda e: (-len(e.absolute_path), e.message))
    if not errors:
        return
    err = errors[0]
    node: Any = doc
    loc = Location(display, 1, 1)
    for part in err.absolute_path:
        if isinstance(node, YMap) and part in node:
            loc = node.key_loc(str(part))
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            loc = location_of(node[part]) or loc
            node = node[part]
    where = ".".join(str(p) for p in err.absolute_path) or "the file"
    raise ConfigError(f"Invalid {what} at {where}: {err.message}", loc, hint=hint)
