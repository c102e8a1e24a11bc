"""Where templates are read from. Expansion reads a pipeline's files only through a `FileProvider`, as
Runner.Server's template expander reads through its file provider: the core runs no git and needs no
disk, so a caller may expand from a git tree, an archive or files held in memory. `FileSystem` (the
default) reads the local folders.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Protocol


class FileProvider(Protocol):
    def read(self, path: Path) -> bytes:
        """The file's content (UTF-8 is checked by the reader); OSError when it can't be read."""
        ...

    def is_file(self, path: Path) -> bool: ...

    def names(self, folder: Path) -> frozenset[str]:
        """The entries of a folder as they are spelled (empty when there is no such folder): file names
        are compared case-sensitively, as in a git tree."""
        ...

    def real_path(self, path: Path) -> Path:
        """Where `path` really is once symbolic links are followed (itself where there are none)."""
        ...


class FileSystem:
    """The local file system."""

    def read(self, path: Path) -> bytes:
        return path.read_bytes()

    def is_file(self, path: Path) -> bool:
        return path.is_file()

    def names(self, folder: Path) -> frozenset[str]:
        try:
            return frozenset(os.listdir(folder))
        except OSError:
            return frozenset()

    def real_path(self, path: Path) -> Path:
        return Path(os.path.realpath(path))


def outside_link(files: FileProvider, path: Path, root: Path) -> Path | None:
    """Where `path` really is when a symbolic link (the file or a folder on the way) takes it out of the
    repository `root`; None when it stays inside. A link never lets a repository file stand for a file
    elsewhere on the machine: neither for templates nor for checkouts."""
    real = files.real_path(path)
    return None if real.is_relative_to(files.real_path(root)) else real
