"""`mlops validate` remembered by content: the same inputs give the same report without azure-ai-ml.

Most of a validation's cost is loading azure-ai-ml (its loaders check the Azure ML YAML) and walking
Azure's pipeline schema; both are pure functions of their inputs. The key covers every input:
- the expanded pipeline with the location of every node (so any edit of the pipeline or of an
  included template that changes what is checked, or where it sits, is another key);
- each Azure ML file the steps use, and every local file or folder it names (a conda file, `code:`, a
  component YAML and what that names in turn), by content (folders by their listing);
- the pipeline schema file, the tasks with local behaviour, the declared service connections, the
  queue-time variable names, the repository root;
- the emulator itself (its sources, interpreter and installed packages: `resident.client.fingerprint`).

Reports are pickled under the user's cache folder (`$XDG_CACHE_HOME/mlops-emulator/validation`, 0700),
never under a state folder that a repository could carry. `MLOPS_VALIDATION_CACHE` names another
folder, or `off`.
"""

from __future__ import annotations

import hashlib
import os
import pickle
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import yaml

from emulator.model import Pipeline
from emulator.store.paths import user_cache
from emulator.tasks.connections import UNCHECKED, Connections
from emulator.validation import Report, azureml_files, find_service_schema, validate
from emulator.yamlio import YMap

CACHE_VAR = "MLOPS_VALIDATION_CACHE"
KEEP = 200  # reports kept; the oldest go first
_REFERENCE_DEPTH = 3  # an Azure ML file -> a component YAML -> its code folder


def cache_dir() -> Path | None:
    configured = os.environ.get(CACHE_VAR, "").strip()
    if configured.lower() in ("off", "0", "no", "false"):
        return None
    if configured:
        return Path(configured)
    return user_cache() / "validation"


def cached_validate(
    pipeline: Pipeline,
    expanded: YMap,
    repo_root: Path,
    local_tasks: Sequence[str] = (),
    *,
    connections: Connections = UNCHECKED,
    queue_variables: Iterable[str] = (),
) -> Report:
    """`validation.validate`, or the report it gave for exactly these inputs."""
    queued = sorted(queue_variables)

    def run() -> Report:
        return validate(
            pipeline, expanded, repo_root, local_tasks, connections=connections, queue_variables=queued
        )

    folder = cache_dir()
    if folder is None:
        return run()
    try:
        entry = folder / f"{key(pipeline, expanded, repo_root, local_tasks, connections, queued)}.pickle"
    except (OSError, pickle.PicklingError, TypeError, AttributeError):  # an input that cannot be keyed
        return run()
    try:
        report = pickle.loads(entry.read_bytes())
        if isinstance(report, Report):
            return report
    except Exception:  # noqa: BLE001 - missing, truncated or from other code: validate again
        pass
    report = run()
    _store(folder, entry, report)
    return report


def key(
    pipeline: Pipeline,
    expanded: YMap,
    repo_root: Path,
    local_tasks: Sequence[str],
    connections: Connections = UNCHECKED,
    queue_variables: Sequence[str] = (),
) -> str:
    from emulator.azureml.resident.client import fingerprint

    digest = hashlib.sha256()

    def add(*parts: object) -> None:
        for part in parts:
            digest.update(repr(part).encode())
            digest.update(b"\0")

    add(fingerprint(), str(repo_root), sorted(local_tasks), list(queue_variables))
    digest.update(pickle.dumps(connections, protocol=5))  # the declared service connections, as loaded
    digest.update(pickle.dumps(expanded, protocol=5))  # values, styles and every node's location
    schema = find_service_schema(repo_root)
    add(str(schema), _stat(schema) if schema else None)
    files, _skipped = azureml_files(pipeline, repo_root)
    seen: set[Path] = set()
    for item in files:
        add(item.kind, str(item.path))
        _add_file(item.path, add, seen, _REFERENCE_DEPTH)
    return digest.hexdigest()[:32]


def _stat(path: Path) -> tuple[int, int] | None:
    try:
        info = path.stat()
    except OSError:
        return None
    return info.st_size, info.st_mtime_ns


def _add_file(path: Path, add: Any, seen: set[Path], depth: int) -> None:
    """A file's content and, for YAML, what it names on this machine."""
    if path in seen:
        return
    seen.add(path)
    try:
        content = path.read_bytes()
    except OSError:
        add("missing", str(path))
        return
    add(hashlib.sha256(content).hexdigest())
    if depth <= 0 or path.suffix.lower() not in (".yml", ".yaml"):
        return
    try:
        data = yaml.safe_load(content)
    except yaml.YAMLError:
        return
    for text in _strings(data):
        if not text or len(text) > 1024 or any(c.isspace() for c in text) or ":" in text:
            continue  # not a local path (a command, a URI, `azureml:` …)
        named = (path.parent / text).resolve()
        if named.is_dir():
            listing = sorted((e.name, e.is_dir(), _stat(Path(e.path))) for e in os.scandir(named))
            add("dir", str(named), listing)
        elif named.is_file():
            add("file", str(named))
            _add_file(named, add, seen, depth - 1)
        else:
            add("absent", str(named))


def _strings(data: Any) -> list[str]:
    if isinstance(data, str):
        return [data]
    if isinstance(data, dict):
        return [s for value in data.values() for s in _strings(value)]
    if isinstance(data, list):
        return [s for value in data for s in _strings(value)]
    return []


def _store(folder: Path, entry: Path, report: Report) -> None:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        os.chmod(folder, 0o700)
        temporary = entry.with_name(f".{entry.name}.{os.getpid()}")
        temporary.write_bytes(pickle.dumps(report, protocol=5))
        os.replace(temporary, entry)
        kept = sorted(folder.glob("*.pickle"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in kept[KEEP:]:
            old.unlink(missing_ok=True)
    except (OSError, pickle.PicklingError, TypeError, AttributeError):
        pass  # a cache that cannot be written only costs time
