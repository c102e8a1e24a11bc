"""The agent workspace of a job and `checkout: self`.

Azure agents clone the repository into $(Build.SourcesDirectory); locally we copy the files git
would push (tracked plus untracked-but-not-ignored, as they are in the working tree), so a run sees
the user's current edits and never the ignored `.venv/` or `.mlops/` folders.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


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
        skip = {".git", ".mlops", ".venv", "__pycache__", "node_modules"}
        files = {
            p.relative_to(repo_root).as_posix()
            for p in repo_root.rglob("*")
            if p.is_file() and not skip & set(p.relative_to(repo_root).parts)
        }
    return sorted(f for f in files if not any(f.startswith(p) for p in prefixes))


def checkout(repo_root: Path, dest: Path, exclude: Sequence[Path] = ()) -> int:
    """Copy the repository's files into dest; returns how many were copied."""
    count = 0
    for rel in repository_files(repo_root, exclude):
        src = repo_root / rel
        if not src.is_file():
            continue  # deleted in the working tree
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
        count += 1
    return count
