"""Resolving `template:` references: paths, repository aliases, and the service's limits.

Rules [DOC templates.md "Reference template paths", "Use other repositories"; semantics notes 1.2;
PG C-E03-195..218]: a path starting with `/` is absolute from the repository root, otherwise
relative to the including file; backslashes are slashes; nothing is trimmed; a path may not climb
above the repository root; `file.yml@alias` reads from another repository (the alias is everything
after the *first* `@`, looked up ignoring case; an empty alias or `self` is the repository of the
original pipeline); crossing into another repository resets the base folder to that repository's
root, and a bare path inside a template read from another repository stays in that repository.
File names are compared case-sensitively, as in a git tree, whatever the local file system does.
"""

from __future__ import annotations

import difflib
import posixpath
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import Location, TemplateError, YamlError, did_you_mean
from emulator.templates.files import FileProvider, FileSystem, outside_link
from emulator.yamlio import display_path, load_bytes, location_of

MAX_FILES = 100  # [DOC templates.md 2025-02-26 "Imposed limits"]: separate YAML files included
MAX_DEPTH = 100  # same: levels of template nesting (the docs before 2023 said 20)
MAX_MEMORY_BYTES = 20 * 1024 * 1024  # same: "20 megabytes of memory consumed while parsing the YAML"


@dataclass(frozen=True)
class Repository:
    """A repository templates can be read from: its alias (`self` for the pipeline's own) and folder."""

    alias: str
    root: Path

    @property
    def key(self) -> str:
        return self.alias.lower()


@dataclass(frozen=True)
class TemplateFile:
    """A resolved reference: the file, its repository, and its path inside that repository (`/a/b.yml`)."""

    path: Path
    repo: Repository
    repo_path: str = ""

    def display(self) -> str:
        """How the service names a file: bare in the pipeline's repository, `path@alias` elsewhere
        [PG C-E03-217]."""
        name = self.repo_path.lstrip("/") if self.repo_path else _relative(self.path, self.repo.root)
        return name if self.repo.alias == "self" else f"{name}@{self.repo.alias}"

    @property
    def directory(self) -> str:
        """The repository path of the folder holding the file (`/` at the root)."""
        return posixpath.dirname(self.repo_path) or "/"


def _relative(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return str(path)


def find_repo_root(path: Path) -> Path:
    """The git work tree holding `path` (the nearest folder with a `.git` entry: a folder, or a file in
    worktrees and submodules); outside git, the working directory if it holds `path` (you run mlops from
    the repository root), else the file's folder. Read from the file system: the core runs no git."""
    start = (path.parent if path.is_file() or not path.exists() else path).resolve()
    for folder in (start, *start.parents):
        if (folder / ".git").exists():
            return folder
    cwd = Path.cwd().resolve()
    if start.is_relative_to(cwd):
        return cwd
    return start


def root_file(path: Path, repo: Repository) -> TemplateFile:
    """The pipeline file itself, as the first frame of every reference chain."""
    return TemplateFile(path, repo, "/" + _relative(path, repo.root))


@dataclass
class References:
    """Resolves and loads referenced files once (read through `provider`), counting files and bytes
    against the limits."""

    self_repo: Repository
    local_repos: Mapping[str, Path] = field(default_factory=dict)  # alias -> folder (--repo)
    declared: dict[str, Location] = field(default_factory=dict)  # resources.repositories aliases
    files: dict[Path, Any] = field(default_factory=dict)
    included: set[Path] = field(default_factory=set)
    loaded_bytes: int = 0
    _listings: dict[Path, frozenset[str]] = field(default_factory=dict)
    _by_display: dict[str, TemplateFile] = field(default_factory=dict)
    provider: FileProvider = field(default_factory=FileSystem)

    def declare_repositories(self, node: Any) -> None:
        """Record `resources.repositories` so `@alias` references can be checked."""
        if not isinstance(node, list):
            return
        for item in node:
            if isinstance(item, dict) and isinstance(item.get("repository"), str) and item["repository"]:
                loc = location_of(item) or Location("<pipeline>")
                self.declared.setdefault(str(item["repository"]).lower(), loc)

    def resolve(self, ref: str, including: TemplateFile, loc: Location) -> TemplateFile:
        """Where `ref` (as written in `template:`) points, seen from the including file."""
        if ref.strip() == "":
            raise TemplateError("A template reference cannot be empty", loc, expected="a path to a YAML file")
        text = ref.replace("\\", "/")  # [PG C-E03-203]
        path_part, sep, alias = text.partition("@")  # the first '@' [PG C-E03-210]
        if sep:
            repo = self.self_repo if alias == "" or alias.lower() == "self" else self._repository(alias, loc)
        else:
            repo = including.repo  # a bare path stays in the frame's repo
        if path_part == "":
            raise TemplateError("A template reference cannot be empty", loc, expected="a path to a YAML file")
        if path_part.startswith("/"):
            base = ""
        elif repo.key != including.repo.key:
            base = ""  # crossing resets the base [PG C-E03-215]
        else:
            base = including.directory
        joined = f"{base}/{path_part}"
        parts: list[str] = []
        for segment in joined.split("/"):
            if segment in ("", "."):
                continue
            if segment == "..":
                if not parts:  # checked on the resolved path, not per step [PG C-E03-206]
                    raise TemplateError(
                        f"The file path {joined} is invalid",
                        loc,
                        hint="a template path can't point above the root of its repository",
                    )
                parts.pop()
                continue
            parts.append(segment)
        normalized = "/" + "/".join(parts)
        return TemplateFile(repo.root.joinpath(*parts), repo, normalized)

    def _repository(self, alias: str, loc: Location) -> Repository:
        key = alias.lower()
        if key not in self.declared:
            raise TemplateError(
                f"No repository found by name {alias}",
                loc,
                hint=did_you_mean(alias, list(self.declared))
                or f"declare it under resources.repositories with 'repository: {alias}'",
            )
        local = next((p for a, p in self.local_repos.items() if a.lower() == key), None)
        if local is None:
            raise TemplateError(
                f"Repository '{alias}' has no local folder",
                loc,
                hint=f"map it with --repo {alias}=PATH (the emulator never fetches repositories)",
            )
        return Repository(alias, Path(local).resolve())

    def load(self, target: TemplateFile, loc: Location, *, count: bool = True) -> Any:
        """Parse a referenced file (cached), enforcing the file-count and size limits."""
        cached = self.files.get(target.path, _NOT_LOADED)
        if cached is not _NOT_LOADED:
            return cached
        if count and target.path not in self.included:
            if len(self.included) >= MAX_FILES:
                raise TemplateError(
                    f"No more than {MAX_FILES} separate YAML files may be included",
                    loc,
                    hint="Azure Pipelines limits a pipeline to 100 included template files "
                    "(directly or indirectly)",
                )
        if not self._exists(target.path, target.repo.root):
            raise TemplateError(self._not_found(target), loc, hint=self._not_found_hint(target))
        escape = outside_link(self.provider, target.path, target.repo.root)
        if escape is not None:
            raise TemplateError(
                f"Template {target.display()} is a symbolic link to {escape}, outside "
                f"repository {target.repo.alias} ({target.repo.root})",
                loc,
                hint="the service reads templates from the repository's own files; copy the "
                "template into the repository instead of linking to it",
            )
        display = display_path(target.path)
        try:
            raw = self.provider.read(target.path)
        except OSError as exc:
            raise YamlError(f"Cannot read {display}: {exc.strerror or exc}", Location(display)) from None
        self.loaded_bytes += len(raw)
        if self.loaded_bytes > MAX_MEMORY_BYTES:
            raise TemplateError(
                "The pipeline's YAML exceeds the 20 MB the service allows while parsing",
                loc,
                hint="split the pipeline or trim the templates it includes",
            )
        if count:
            self.included.add(target.path)
        node = load_bytes(raw, display, text_scalars=True)
        self.files[target.path] = node
        self._by_display.setdefault(display, target)
        return node

    def file_written(self, loc: Location) -> TemplateFile | None:
        """The loaded file a location points into (None for text that came from elsewhere)."""
        return self._by_display.get(loc.file)

    def _not_found(self, target: TemplateFile) -> str:
        where = "self" if target.repo.alias == "self" else target.repo.alias
        return f"File {target.repo_path} not found in repository {where} ({target.repo.root})"

    def _not_found_hint(self, target: TemplateFile) -> str:
        names = sorted(self._listing(target.path.parent))
        same = [n for n in names if n.lower() == target.path.name.lower()]
        if same:
            return f"file names are case-sensitive: the file is spelled '{same[0]}'"
        close = did_you_mean(target.path.name, [n for n in names if n.endswith((".yml", ".yaml"))])
        return (
            close
            or self._close_path(target)
            or (
                "paths are relative to the including file; start with / for the repository root"
                + ("" if target.repo.alias == "self" else f" of '{target.repo.alias}'")
            )
        )

    def _close_path(self, target: TemplateFile) -> str | None:
        """'did you mean /recipes/train/template.yml?' when folders of the path are misspelt: each
        missing segment replaced by the closest name in its folder, if that makes an existing file."""
        root = self.provider.real_path(target.repo.root)
        try:
            parts = self.provider.real_path(target.path).relative_to(root).parts
        except ValueError:
            return None
        current = root
        for part in parts:
            if part not in self._listing(current):
                close = difflib.get_close_matches(part, sorted(self._listing(current)), n=1, cutoff=0.6)
                if not close:
                    return None
                part = close[0]
            current = current / part
        if not self.provider.is_file(current):
            return None
        return f"did you mean '/{current.relative_to(root).as_posix()}'?"

    def _listing(self, folder: Path) -> frozenset[str]:
        cached = self._listings.get(folder)
        if cached is None:
            cached = self._listings[folder] = self.provider.names(folder)
        return cached

    def _exists(self, path: Path, root: Path) -> bool:
        """A file exists with exactly this spelling, segment by segment below the repository root."""
        if not self.provider.is_file(path):
            return False
        try:
            parts = path.relative_to(root).parts
        except ValueError:
            return True
        folder = root
        for part in parts:
            if part not in self._listing(folder):
                return False
            folder = folder / part
        return True


_NOT_LOADED: Any = object()
