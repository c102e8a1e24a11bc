"""The commit and branch a work tree is on, read from its `.git` files.

Every compile needs them (`Build.SourceVersion`, `Build.SourceBranch`); reading three small files is
cheaper than starting git, and works the same in worktrees (`.git` is a file naming the git dir, whose
`commondir` holds the shared refs) and in repositories with packed refs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Head:
    commit: str = ""  # 40 hex digits; empty outside git or before the first commit
    branch: str = ""  # e.g. "main" or "feature/x"; "HEAD" when detached; empty outside git


def _git_dir(root: Path) -> Path | None:
    dot = root / ".git"
    if dot.is_dir():
        return dot
    if dot.is_file():
        text = dot.read_text(encoding="utf-8", errors="replace").strip()
        if text.startswith("gitdir:"):
            target = Path(text.removeprefix("gitdir:").strip())
            return target if target.is_absolute() else (root / target).resolve()
    return None


def _common_dir(git_dir: Path) -> Path:
    pointer = git_dir / "commondir"
    if pointer.is_file():
        target = Path(pointer.read_text(encoding="utf-8").strip())
        return target if target.is_absolute() else (git_dir / target).resolve()
    return git_dir


def _resolve_ref(ref: str, git_dir: Path, common: Path) -> str:
    for folder in (git_dir, common):
        loose = folder / ref
        if loose.is_file():
            return loose.read_text(encoding="utf-8").strip()
    packed = common / "packed-refs"
    if packed.is_file():
        for line in packed.read_text(encoding="utf-8").splitlines():
            sha, _, name = line.partition(" ")
            if name == ref:
                return sha
    return ""


def read_head(root: Path) -> Head:
    """The work tree's HEAD; an empty Head outside git or when the files cannot be read."""
    try:
        git_dir = _git_dir(root)
        if git_dir is None:
            return Head()
        text = (git_dir / "HEAD").read_text(encoding="utf-8").strip()
        if not text.startswith("ref:"):
            return Head(commit=text, branch="HEAD")
        ref = text.removeprefix("ref:").strip()
        return Head(
            commit=_resolve_ref(ref, git_dir, _common_dir(git_dir)), branch=ref.removeprefix("refs/heads/")
        )
    except (OSError, UnicodeDecodeError):
        return Head()
