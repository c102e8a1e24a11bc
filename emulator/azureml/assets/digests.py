"""Content digests of asset files: equal files give equal digests, whatever folder holds them.

A model package's build context is named by one (`serving.packaging`), and a step's model registration
is recognised by one when the step runs again after a resume (`assets.models`).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path


def content_digest(root: Path, exclude: tuple[str, ...] = ()) -> str:
    """sha256 over every file's relative path, executable bit and bytes, in sorted order (`root` may be
    one file); paths in `exclude` (relative, POSIX) are left out."""
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    digest = hashlib.sha256()
    for path in files:
        relative = path.name if path == root else path.relative_to(root).as_posix()
        if relative in exclude:
            continue
        digest.update(relative.encode() + b"\0")
        digest.update(b"x" if os.access(path, os.X_OK) else b"-")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return "sha256:" + digest.hexdigest()
