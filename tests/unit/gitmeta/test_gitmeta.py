"""The commit and branch read from `.git` files agree with what git itself says."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from emulator.gitmeta import Head, read_head

pytestmark = pytest.mark.integration  # builds its repositories with git


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    root.mkdir()
    _git(root, "init", "-q", "-b", "main")
    _git(root, "-c", "user.name=t", "-c", "user.email=t@x", "commit", "-q", "--allow-empty", "-m", "one")
    return root


def test_branch_and_commit_as_git_reports_them(repo: Path) -> None:
    assert read_head(repo) == Head(_git(repo, "rev-parse", "HEAD"), "main")


def test_packed_refs_and_a_branch_with_a_slash(repo: Path) -> None:
    _git(repo, "checkout", "-q", "-b", "feature/x")
    _git(repo, "pack-refs", "--all")
    assert not (repo / ".git" / "refs" / "heads" / "feature" / "x").exists()
    assert read_head(repo) == Head(_git(repo, "rev-parse", "HEAD"), "feature/x")


def test_detached_head(repo: Path) -> None:
    _git(repo, "checkout", "-q", "--detach")
    assert read_head(repo) == Head(_git(repo, "rev-parse", "HEAD"), "HEAD")


def test_a_worktree_reads_its_own_head_and_the_shared_refs(repo: Path, tmp_path: Path) -> None:
    _git(repo, "worktree", "add", "-q", "-b", "side", str(tmp_path / "wt"))
    assert (tmp_path / "wt" / ".git").is_file()
    assert read_head(tmp_path / "wt") == Head(_git(repo, "rev-parse", "HEAD"), "side")


def test_outside_git_and_before_the_first_commit(tmp_path: Path) -> None:
    assert read_head(tmp_path) == Head()
    _git(tmp_path, "init", "-q", "-b", "trunk")
    assert read_head(tmp_path) == Head("", "trunk")
