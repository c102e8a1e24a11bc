"""ArchiveFiles@2: a folder or file into a zip or tar archive.

Inputs [DOC tasks/reference/archive-files-v2.md]: rootFolderOrFile (default
$(Build.BinariesDirectory)), includeRootFolder (default true: the folder's name is the archive's top
level), archiveType zip|tar (7z and wim need 7-Zip: refused), tarCompression gz|bz2|xz|none (default
gz), archiveFile (default $(Build.ArtifactStagingDirectory)/$(Build.BuildId).zip),
replaceExistingArchive (default true; false adds to an existing zip).
"""

from __future__ import annotations

import tarfile
import zipfile
from pathlib import Path

from emulator.errors import PipelineError
from emulator.tasks.base import StepContext, TaskOutcome


def _default(ctx: StepContext, variable: str, rest: str = "") -> str:
    return (ctx.variable(variable) or str(ctx.sources_dir)) + rest


def _members(root: Path, include_root: bool) -> list[tuple[Path, str]]:
    base = root.parent if include_root or root.is_file() else root
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    return [(p, p.relative_to(base).as_posix()) for p in files]


def archive_files(ctx: StepContext) -> TaskOutcome:
    root = ctx.path_input("rootFolderOrFile", _default(ctx, "Build.BinariesDirectory"))
    assert root is not None
    if not root.exists():
        raise PipelineError(
            f"Folder or file '{root}' does not exist",
            ctx.location,
            hint="rootFolderOrFile is relative to $(System.DefaultWorkingDirectory)",
        )
    kind = (ctx.input("archiveType", "zip") or "zip").lower()
    if kind not in ("zip", "tar"):
        raise PipelineError(
            f"archiveType '{kind}' needs 7-Zip, which the emulator does not have",
            ctx.location,
            expected="zip or tar",
        )
    build_id = ctx.variable("Build.BuildId") or "1"
    staging = _default(ctx, "Build.ArtifactStagingDirectory", f"/{build_id}.zip")
    target = ctx.path_input("archiveFile", staging)
    assert target is not None
    replace = ctx.bool_input("replaceExistingArchive", True)
    if target.exists() and replace:
        ctx.log(f"Removing existing archive {target}")
        target.unlink()
    target.parent.mkdir(parents=True, exist_ok=True)
    members = _members(root, ctx.bool_input("includeRootFolder", True))
    if kind == "zip":
        with zipfile.ZipFile(target, "a" if target.exists() else "w", zipfile.ZIP_DEFLATED) as zf:
            for path, name in members:
                zf.write(path, name)
    else:
        compression = (ctx.input("tarCompression", "gz") or "gz").lower()
        mode = "w" if compression == "none" else f"w:{compression}"
        with tarfile.open(target, mode) as tf:  # type: ignore[call-overload]
            for path, name in members:
                tf.add(path, name)
    ctx.log(f"Archived {len(members)} file(s) from {root} into {target}")
    return TaskOutcome("succeeded", data={"archive": {"file": str(target), "files": len(members)}})
