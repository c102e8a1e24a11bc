"""Resolving `template:` references: paths, repository aliases, and the service's limits.

Rules [DOC templates.md "Reference template paths", "Use other repositories"; semantics notes 1.2]:
a path starting with `/` is absolute from the repository root, otherwise relative to the including
file; `file.yml@alias` reads from another repository (alias split on the first `@`, looked up
case-insensitively; empty alias or `self` = the repository of the original pipeline); crossing into
another repository resets the base folder to that repository's root.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import Location, TemplateError, did_you_mean
from emulator.yamlio import display_path, load_file

MAX_FILES = 100          # [DOC templates.md 2025-02-26 "Imposed limits"]
MAX_DEPTH = 100          # same
MAX_MEMORY_BYTES = 20 * 1024 * 1024  # same ("20 megabytes of memory" while parsing)


@dataclass(frozen=True)
class Repository:
    """A repository templates can be read from: its alias and local folder."""

    alias: str
    root: Path


@dataclass(frozen=True)
class TemplateFile:
    """A resolved reference: where the file is and which repository it belongs to."""

    path: Path
    repo: Repository

    def display(self) -> str:
        try:
            rel = self.path.relative_to(self.repo.root)
        except ValueError:
            rel = self.path
        return str(rel) if self.repo.alias == "self" else f"{rel}@{self.repo.alias}"


def find_repo_root(path: Path) -> Path:
    """The git work tree holding `path`, else its folder."""
    start = path.parent if path.is_file() or not path.exists() else path
    try:
        out = subprocess.run(["git", "-C", str(start), "rev-parse", "--show-toplevel"],
                             capture_output=True, text=True, timeout=10)
        if out.returncode == 0 and out.stdout.strip():
            return Path(out.stdout.strip()).resolve()
    except (OSError, subprocess.SubprocessError):
        pass
    return start.resolve()


@dataclass
class References:
    """Loads referenced files once, tracks the include chain and enforces the limits."""

    self_repo: Repository
    local_repos: Mapping[str, Path] = field(default_factory=dict)  # alias -> folder (--repo)
    declared: dict[str, Location] = field(default_factory=dict)     # resources.repositories aliases
    files: dict[Path, Any] = field(default_factory=dict)
    loaded_bytes: int = 0

    def declare_repositories(self, node: Any) -> None:
        """Record `resources.repositories` so `@alias` references can be checked."""
        if not isinstance(node, list):
            return
        for item in node:
            if isinstance(item, dict) and item.get("repository"):
                loc = getattr(item, "loc", Location("<pipeline>"))
                self.declared[str(item["repository"]).lower()] = loc

    def resolve(self, ref: str, including: TemplateFile, loc: Location) -> TemplateFile:
        """Where `ref` (as written in `template:`) points, seen from the including file."""
        text = ref.strip()
        if not text:
            raise TemplateError("A template reference cannot be empty", loc, expected="a path to a YAML file")
        path_part, sep, alias = text.partition("@")
        if sep and alias.strip() and alias.strip().lower() != "self":
            repo = self._repository(alias.strip(), loc)
            base = repo.root
            rel = path_part.lstrip("/")
            return TemplateFile((base / rel).resolve(), repo)
        repo = self.self_repo if sep else including.repo
        if path_part.startswith("/"):
            return TemplateFile((repo.root / path_part.lstrip("/")).resolve(), repo)
        if sep and including.repo is not self.self_repo:
            return TemplateFile((repo.root / path_part).resolve(), repo)
        return TemplateFile((including.path.parent / path_part).resolve(), repo)

    def _repository(self, alias: str, loc: Location) -> Repository:
        key = alias.lower()
        if key not in self.declared:
            raise TemplateError(f"Repository '{alias}' is not declared in resources.repositories", loc,
                                hint=did_you_mean(alias, list(self.declared))
                                or "declare it under resources.repositories with 'repository: "
                                   f"{alias}'")
        local = next((p for a, p in self.local_repos.items() if a.lower() == key), None)
        if local is None:
            raise TemplateError(f"Repository '{alias}' has no local folder", loc,
                                hint=f"map it with --repo {alias}=PATH (the emulator never fetches repositories)")
        return Repository(alias, Path(local).resolve())

    def load(self, target: TemplateFile, chain: tuple[TemplateFile, ...], loc: Location) -> Any:
        """Parse a referenced file, checking cycles, nesting depth, file count and size."""
        if any(t.path == target.path for t in chain):
            names = " -> ".join(t.display() for t in (*chain, target))
            raise TemplateError(f"Template reference cycle: {names}", loc,
                                hint="the service has no cycle detection and fails with 'Maximum object "
                                     "depth exceeded'; remove the reference that closes the loop")
        if len(chain) >= MAX_DEPTH:
            raise TemplateError(f"Templates are nested more than {MAX_DEPTH} levels deep", loc,
                                hint="Azure Pipelines allows at most 100 levels of template nesting")
        if target.path in self.files:
            return self.files[target.path]
        if len(self.files) >= MAX_FILES:
            raise TemplateError(f"More than {MAX_FILES} YAML files are included", loc,
                                hint="Azure Pipelines allows at most 100 separate YAML files per pipeline")
        if not target.path.is_file():
            folder = target.path.parent
            candidates = [p.name for p in folder.glob("*.y*ml")] if folder.is_dir() else []
            raise TemplateError(f"File {target.display()} not found in repository {target.repo.alias}", loc,
                                hint=did_you_mean(target.path.name, candidates)
                                or "paths are relative to the including file; start with / for the "
                                   "repository root")
        self.loaded_bytes += target.path.stat().st_size
        if self.loaded_bytes > MAX_MEMORY_BYTES:
            raise TemplateError("The pipeline's YAML exceeds the 20 MB the service allows for parsing", loc)
        node = load_file(target.path, display=display_path(target.path))
        self.files[target.path] = node
        return node
