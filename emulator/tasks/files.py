"""CopyFiles@2 and the file-matching patterns tasks share.

Patterns are minimatch patterns, one per line, relative to the source folder: `**` any number of
folders, `*` and `?` within a name, `{a,b}` alternatives, a leading `!` excludes; dot-files match
[DOC tasks/file-matching-patterns.md, tasks/utility/copy-files.md]. Later lines win over earlier ones.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

from emulator.errors import PipelineError
from emulator.tasks.base import StepContext, TaskOutcome


def _expand_braces(pattern: str) -> list[str]:
    m = re.search(r"\{([^{}]*,[^{}]*)\}", pattern)
    if not m:
        return [pattern]
    out: list[str] = []
    for alt in m.group(1).split(","):
        out.extend(_expand_braces(pattern[: m.start()] + alt + pattern[m.end() :]))
    return out


@lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str]:
    parts: list[str] = []
    i = 0
    while i < len(pattern):
        c = pattern[i]
        if pattern.startswith("**/", i):
            parts.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            parts.append(".*")
            i += 2
        elif c == "*":
            parts.append("[^/]*")
            i += 1
        elif c == "?":
            parts.append("[^/]")
            i += 1
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                parts.append(re.escape(c))
                i += 1
            else:
                body = pattern[i + 1 : end].replace("\\", "\\\\")
                parts.append(f"[{'^' if body.startswith('!') else ''}{body.lstrip('!')}]")
                i = end + 1
        else:
            parts.append(re.escape(c))
            i += 1
    return re.compile("".join(parts) + r"\Z")


def matches(rel: str, pattern: str) -> bool:
    pattern = pattern.strip().replace("\\", "/")
    if pattern.startswith("./"):
        pattern = pattern[2:]
    return any(_regex(p).match(rel) for p in _expand_braces(pattern))


def select(root: Path, patterns: Iterable[str]) -> list[Path]:
    """Files under `root` that the patterns include (and no later `!` pattern excludes)."""
    lines = [p.strip() for p in patterns if p.strip() and not p.strip().startswith("#")]
    out: list[Path] = []
    if not root.is_dir():
        return out
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        keep = False
        for line in lines:
            if line.startswith("!"):
                if keep and matches(rel, line[1:]):
                    keep = False
            elif not keep and matches(rel, line):
                keep = True
        if keep:
            out.append(path)
    return out


def copy_files(ctx: StepContext) -> TaskOutcome:
    source = ctx.path_input("SourceFolder") or ctx.sources_dir
    target = ctx.path_input("TargetFolder", required=True)
    assert target is not None
    if not source.is_dir():
        raise PipelineError(
            f"Source folder '{source}' does not exist",
            ctx.location,
            hint="SourceFolder is relative to $(System.DefaultWorkingDirectory)",
        )
    patterns = (ctx.input("Contents", "**") or "**").splitlines()
    if ctx.bool_input("CleanTargetFolder") and target.exists():
        ctx.log(f"Cleaning target folder {target}")
        shutil.rmtree(target)
    flatten = ctx.bool_input("flattenFolders")
    overwrite = ctx.bool_input("OverWrite")
    files = select(source, patterns)
    copied = 0
    for path in files:
        dest = target / (path.name if flatten else path.relative_to(source))
        if dest.exists() and not overwrite:
            ctx.log(f"File {dest} already exists; skipped (OverWrite is false)")
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(path, dest)
        ctx.log(f"Copying {path} to {dest}")
        copied += 1
    target.mkdir(parents=True, exist_ok=True)
    ctx.log(f"Copied {copied} file(s) from {source} to {target}")
    return TaskOutcome("succeeded", data={"copied": copied})
