"""The code of a job or a deployment as Azure ML uploads it.

Azure ML uploads a code folder without what its own `.amlignore` excludes, or, when it has none, its own
`.gitignore` (only the folder's root ignore file counts) [DOC how-to-save-write-experiment-files "use a
.ignore file"; azure-ai-ml `_utils/_asset_utils.get_ignore_file`]. The rule is applied with azure-ai-ml's
own matcher, so patterns mean what they mean on upload. Caches, VCS data and the emulator's folders
never belong to the code either: a state folder inside the code folder, or the copy's destination, would
otherwise be copied into itself.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

ALWAYS_SKIPPED = frozenset(
    {"__pycache__", ".git", ".venv", ".mlops", "node_modules", ".pytest_cache", ".mypy_cache"}
)


def code_filter(source: Path, *outside: Path) -> Callable[[str, list[str]], set[str]]:
    """A `shutil.copytree` ignore function for the code folder `source`; `outside` are folders never
    copied (the state folder, the destination)."""
    from azure.ai.ml._utils._asset_utils import get_ignore_file

    ignore_file = get_ignore_file(source)
    kept_out = {path.resolve() for path in outside}

    def ignore(folder: str, names: list[str]) -> set[str]:
        skipped = set()
        for name in names:
            path = Path(folder) / name
            if (
                name in ALWAYS_SKIPPED
                or name.endswith(".pyc")
                or ignore_file.is_file_excluded(path)
                or path.resolve() in kept_out
            ):
                skipped.add(name)
        return skipped

    return ignore
