"""The agent workspace of a job and its `checkout` steps.

Azure agents clone each repository a job checks out; locally we copy the files git would push
(tracked plus untracked-but-not-ignored, as they are in the working tree), so a run sees the user's
current edits and never the ignored `.venv/` or `.mlops/` folders. Where a repository lands and what
the source variables then say follows the agent [AGENT Agent.Plugins/RepositoryPlugin.cs,
Agent.Worker/PluginInternalCommandExtension.cs; DOC repos/multi-repo-checkout.md "Checkout path"]:

* `path:` puts it at `$(Agent.BuildDirectory)/<path>`, which must stay inside that folder;
* otherwise one checkout step in the job puts it in `s`, more than one put each in `s/<name>`, named
  after the repository (its `name:` last segment, the folder name for `self`), not its alias;
* after a single checkout (of any repository) `Build.SourcesDirectory`, `Build.Repository.LocalPath`
  and `System.DefaultWorkingDirectory` point at it; with several, they stay `s` and only `self`
  moves `Build.Repository.LocalPath`; `workspaceRepo: true` makes a checkout the default working
  directory.

A symbolic link in a repository is copied as a link when it points inside that repository; one that
points outside it is refused (it would hand a step a file from elsewhere on the machine).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from emulator.errors import Location, RunError
from emulator.model import Repository, Step, checkout_key

SOURCE_VARIABLES = ("Build.SourcesDirectory", "Build.Repository.LocalPath", "System.DefaultWorkingDirectory")


@dataclass(frozen=True)
class Workspace:
    root: Path  # Pipeline.Workspace / Agent.BuildDirectory

    @property
    def sources(self) -> Path:
        return self.root / "s"

    @property
    def staging(self) -> Path:
        return self.root / "a"

    @property
    def binaries(self) -> Path:
        return self.root / "b"

    @property
    def test_results(self) -> Path:
        return self.root / "TestResults"

    @property
    def temp(self) -> Path:
        return self.root / "_temp"

    def create(self) -> None:
        """The agent's folders: s (sources), a (staging), b (binaries), TestResults, _temp."""
        for folder in (self.sources, self.staging, self.binaries, self.test_results, self.temp):
            folder.mkdir(parents=True, exist_ok=True)


@dataclass(frozen=True)
class Checkout:
    """What one checkout step does: copy `source` to `dest`, then set `variables`."""

    source: Path
    dest: Path
    variables: Mapping[str, str]
    notes: tuple[str, ...] = field(default=())


def plan_checkout(
    step: Step,
    ws: Workspace,
    self_root: Path,
    repositories: Mapping[str, Repository],
    folders: Mapping[str, Path],
    multiple: bool,
) -> Checkout:
    """Where the repository a checkout step names comes from and goes to, and what changes.

    `folders`: local folders of repositories by lower-case alias (`--repo`, repositories.yml);
    `multiple`: the job (or deployment hook) has more than one checkout step."""
    target = (step.checkout or "self").strip()
    is_self = target.lower() == "self"
    notes: list[str] = []
    if is_self:
        source, folder = self_root, self_root.name
    else:
        repo = repositories.get(checkout_key(target))
        source_or_none = folders.get(checkout_key(target))
        if repo is None or source_or_none is None:
            raise RunError(
                f"Repository '{target}' has no local folder",
                step.location,
                hint=f"map it with {repo_flag(repo or target)} (the emulator never fetches repositories)",
            )
        source, folder = source_or_none, repo.folder
        ref = target.partition("@")[2] if target.lower().startswith("git://") else repo.ref
        if ref:
            notes.append(f"ref {ref} is not checked out: the files of {source} are used as they are")
    path = step.inputs.get("path")
    if path not in (None, ""):
        dest = Path(os.path.normpath(ws.root / str(path)))
        if not dest.is_relative_to(ws.root) or dest == ws.root:
            raise RunError(
                f"Input path '{path}' should resolve to a directory under '{ws.root}', current "
                f"resolved path '{dest}'.",
                step.location,
                hint="checkout paths are relative to $(Agent.BuildDirectory) and stay inside it",
            )
    elif multiple:
        dest = ws.sources / folder
    else:
        dest = ws.sources
    variables: dict[str, str] = {}
    if not multiple:
        variables.update({name: str(dest) for name in SOURCE_VARIABLES})
    elif is_self:
        variables["Build.Repository.LocalPath"] = str(dest)
    if str(step.inputs.get("workspaceRepo", "")).lower() == "true":
        variables["System.DefaultWorkingDirectory"] = str(dest)
    return Checkout(source, dest, variables, tuple(notes))


def repo_flag(repo: Repository | str) -> str:
    """The `--repo` flag that maps a repository to a local folder."""
    if isinstance(repo, str):
        return f"--repo {repo}=PATH"
    key = repo.name if repo.alias.lower().startswith("git://") else repo.alias
    return f"--repo {key}=PATH"


def repository_files(repo_root: Path, exclude: Sequence[Path] = ()) -> list[str]:
    """Relative paths of the files a checkout brings: git's view if it is a repository.

    `exclude`: folders never brought (the state folder, when it lives inside the repository)."""
    try:
        out = subprocess.run(
            ["git", "-C", str(repo_root), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            capture_output=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        out = None
    prefixes = []
    for folder in exclude:
        try:
            prefixes.append(folder.resolve().relative_to(repo_root.resolve()).as_posix() + "/")
        except ValueError:
            continue
    if out is not None and out.returncode == 0:
        files = {p for p in out.stdout.decode("utf-8", "replace").split("\0") if p}
    else:
        files = set(_walk(repo_root))
    return sorted(f for f in files if not any(f.startswith(p) for p in prefixes))


_SKIPPED = {".git", ".mlops", ".venv", "__pycache__", "node_modules"}


def _walk(root: Path) -> list[str]:
    found: list[str] = []
    for folder, dirs, names in os.walk(root):  # links to folders are listed, never followed
        base = Path(folder)
        for name in list(dirs):
            if name in _SKIPPED:
                dirs.remove(name)
            elif (base / name).is_symlink():
                found.append((base / name).relative_to(root).as_posix())
        found += [(base / n).relative_to(root).as_posix() for n in names]
    return found


def copy_repository(
    repo_root: Path, dest: Path, location: Location | None, exclude: Sequence[Path] = ()
) -> int:
    """Copy the repository's files into dest; returns how many were copied. Links are checked before
    anything is copied and recreated as relative links to the copy, so none leads back to the original."""
    root = Path(os.path.realpath(repo_root))
    files = repository_files(repo_root, exclude)
    links: dict[str, Path] = {}
    for rel in files:
        if (repo_root / rel).is_symlink():
            real = Path(os.path.realpath(repo_root / rel))
            if not real.is_relative_to(root):
                raise RunError(
                    f"{rel} in {repo_root} is a symbolic link to {real}, outside the repository",
                    location,
                    hint="a checkout brings only the repository's own files; replace "
                    "the link with the file it points to",
                )
            links[rel] = real.relative_to(root)
    count = 0
    for rel in files:
        src, target = repo_root / rel, dest / rel
        if rel in links:
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.is_symlink() or target.exists():
                target.unlink()
            os.symlink(os.path.relpath(dest / links[rel], target.parent), target)
        elif src.is_file():
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, target)
        else:
            continue  # deleted in the working tree
        count += 1
    return count
