"""The agent workspace and checkout: where each repository lands, which variables move, and links.

Layout and variables follow the agent [AGENT Agent.Plugins/RepositoryPlugin.cs,
Agent.Worker/PluginInternalCommandExtension.cs; DOC repos/multi-repo-checkout.md "Checkout path"].
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from emulator.errors import Location, RunError
from emulator.model import Repository, Step
from emulator.runtime.workspace import Workspace, copy_repository, plan_checkout, repo_flag
from emulator.store.runs import Run

LOC = Location("p.yml", 3, 5)
REPOS = {
    "tools": Repository("tools", "MyProject/ToolsRepo", "git", None, LOC),
    "git://p/lib": Repository("git://P/Lib", "P/Lib", "git", "main", LOC),
}


def _step(target: str, **inputs: str) -> Step:
    return Step(
        index=0,
        task="checkout",
        name=None,
        display_name="Checkout",
        inputs=inputs,
        env={},
        condition=None,
        continue_on_error=False,
        enabled=True,
        timeout_minutes=0,
        location=LOC,
        checkout=target,
    )


@pytest.fixture
def ws(tmp_path: Path) -> Workspace:
    return Workspace(tmp_path / "work" / "1")


SELF = Path("/src/myrepo")
FOLDERS = {"tools": Path("/src/tools"), "git://p/lib": Path("/src/lib")}

CASES = [
    # (checkout, inputs, several checkouts?, destination under the workspace, variables that move)
    (
        "self",
        {},
        False,
        "s",
        {
            "Build.SourcesDirectory": "s",
            "Build.Repository.LocalPath": "s",
            "System.DefaultWorkingDirectory": "s",
        },
    ),
    ("self", {}, True, "s/myrepo", {"Build.Repository.LocalPath": "s/myrepo"}),
    ("tools", {}, True, "s/ToolsRepo", {}),
    (
        "tools",
        {},
        False,
        "s",
        {
            "Build.SourcesDirectory": "s",
            "Build.Repository.LocalPath": "s",
            "System.DefaultWorkingDirectory": "s",
        },
    ),
    ("self", {"path": "s/"}, True, "s", {"Build.Repository.LocalPath": "s"}),
    ("tools", {"path": "s/templates/"}, True, "s/templates", {}),
    (
        "self",
        {"path": "mycode"},
        False,
        "mycode",
        {
            "Build.SourcesDirectory": "mycode",
            "Build.Repository.LocalPath": "mycode",
            "System.DefaultWorkingDirectory": "mycode",
        },
    ),
    (
        "tools",
        {"workspaceRepo": "true"},
        True,
        "s/ToolsRepo",
        {"System.DefaultWorkingDirectory": "s/ToolsRepo"},
    ),
    ("git://P/Lib@refs/heads/dev", {}, True, "s/Lib", {}),
]


@pytest.mark.parametrize(("target", "inputs", "several", "dest", "moved"), CASES)
def test_where_a_repository_lands(
    ws: Workspace, target: str, inputs: dict[str, str], several: bool, dest: str, moved: dict[str, str]
) -> None:
    plan = plan_checkout(_step(target, **inputs), ws, SELF, REPOS, FOLDERS, several)
    assert plan.dest == ws.root / dest
    assert dict(plan.variables) == {k: str(ws.root / v) for k, v in moved.items()}


def test_source_folders(ws: Workspace) -> None:
    assert plan_checkout(_step("self"), ws, SELF, REPOS, FOLDERS, False).source == SELF
    assert plan_checkout(_step("TOOLS"), ws, SELF, REPOS, FOLDERS, False).source == Path("/src/tools")
    inline = plan_checkout(_step("git://P/Lib@refs/heads/dev"), ws, SELF, REPOS, FOLDERS, False)
    assert inline.source == Path("/src/lib") and "ref refs/heads/dev is not checked out" in inline.notes[0]


@pytest.mark.parametrize("path", ["../outside", "s/../../outside", "/etc", "."])
def test_a_path_must_stay_in_the_build_directory(ws: Workspace, path: str) -> None:
    with pytest.raises(RunError, match="should resolve to a directory under"):
        plan_checkout(_step("self", path=path), ws, SELF, REPOS, FOLDERS, False)


def test_an_unmapped_repository_names_the_flag(ws: Workspace) -> None:
    with pytest.raises(RunError) as caught:
        plan_checkout(_step("tools"), ws, SELF, REPOS, {}, True)
    assert "--repo tools=PATH" in (caught.value.hint or "")
    assert repo_flag(REPOS["git://p/lib"]) == "--repo P/Lib=PATH"


def _tree(root: Path) -> None:
    (root / "sub").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "sub" / "b.txt").write_text("b")


@pytest.mark.integration  # git ls-files
def test_copy_keeps_links_inside_the_repository(tmp_path: Path) -> None:
    src, dest = tmp_path / "repo", tmp_path / "dest"
    _tree(src)
    os.symlink("a.txt", src / "link.txt")
    os.symlink("sub", src / "linkdir")
    os.symlink(src / "sub" / "b.txt", src / "absolute.txt")  # inside, written absolute
    assert copy_repository(src, dest, LOC) == 5
    assert os.readlink(dest / "link.txt") == "a.txt" and (dest / "link.txt").read_text() == "a"
    assert os.readlink(dest / "linkdir") == "sub" and (dest / "linkdir" / "b.txt").read_text() == "b"
    assert os.readlink(dest / "absolute.txt") == "sub/b.txt"  # into the copy, not back to the original


@pytest.mark.integration  # git ls-files
@pytest.mark.parametrize("kind", ["file", "folder"])
def test_copy_refuses_a_link_out_of_the_repository(tmp_path: Path, kind: str) -> None:
    """Before the fix the target of an outside link was copied into the workspace."""
    src, dest, secret = tmp_path / "repo", tmp_path / "dest", tmp_path / "secret"
    _tree(src)
    secret.mkdir()
    (secret / "key.txt").write_text("TOP-SECRET")
    os.symlink(secret / "key.txt" if kind == "file" else secret, src / "leak")
    with pytest.raises(RunError) as caught:
        copy_repository(src, dest, LOC)
    assert "leak" in caught.value.message and "outside the repository" in caught.value.message
    assert caught.value.location == LOC
    assert not dest.exists()  # checked before anything is copied


@pytest.mark.integration  # runs a pipeline
def test_a_run_refuses_a_link_out_of_the_repository(tmp_path: Path, run_pipeline: Callable[..., Run]) -> None:
    """End to end: the checkout step fails, located, and the linked file never reaches the workspace."""
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    os.symlink(secret, tmp_path / "repo" / "leak.txt")
    run = run_pipeline("steps:\n- bash: cat leak.txt\n")
    job = run.data["stages"][0]["jobs"][0]
    checkout = job["steps"][0]
    assert job["result"] == "failed" and checkout["result"] == "failed"
    assert "leak.txt" in checkout["message"] and "symbolic link" in checkout["message"]
    assert not [p for p in run.dir.rglob("leak.txt") if not p.is_symlink() and p.read_text() == "TOP-SECRET"]
