"""Records of the emulated workspace: one JSON file each, in the state folder, written atomically and
changed under a lock (the state folder's file primitives), one `RecordStore` per kind of record.

A kind's records lie in one of three layouts under the store's root: `<name>.json` (resource groups,
workspaces, computes), `<name>/<file>` for records that own a folder (jobs, endpoints, deployments),
or `<name>/<version>.json` for the versions of an asset (data, environments).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.errors import AzNotFoundError
from emulator.store.files import locked, read_json, utc_now, write_json, write_text

__all__ = [
    "Record",
    "RecordStore",
    "locked",
    "read_json",
    "utc_now",
    "version_key",
    "write_json",
    "write_text",
]

Record = dict[str, Any]


def version_key(version: str) -> tuple[int, int, str]:
    """Numbered versions in numeric order, then named ones (`"2" < "10" < "beta"`)."""
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def _not_found(name: str) -> AzNotFoundError:
    return AzNotFoundError(f"{name!r} was not found in the emulated workspace")


@dataclass(frozen=True)
class RecordStore:
    """The records of one kind under `root`; `file` names the record in a folder of its own,
    `missing` is the error `load` raises for a name that has no record, and `mode` is the records'
    file mode (0600 for records that hold credentials)."""

    root: Path
    file: str | None = None
    missing: Callable[[str], AzNotFoundError] = _not_found
    mode: int = 0o644

    def folder(self, name: str) -> Path:
        return self.root / name

    def path(self, name: str) -> Path:
        return self.folder(name) / self.file if self.file else self.root / f"{name}.json"

    def get(self, name: str) -> Record | None:
        return _record(self.path(name))

    def load(self, name: str) -> Record:
        record = self.get(name)
        if record is None:
            raise self.missing(name)
        return record

    def all(self) -> list[Record]:
        """Every record, in name order."""
        return [r for path in self._paths() if (r := _record(path)) is not None]

    def _paths(self) -> Iterator[Path]:
        if not self.root.is_dir():
            return
        if self.file is None:
            yield from sorted(self.root.glob("*.json"))
        else:
            yield from (entry / self.file for entry in sorted(self.root.iterdir()) if entry.is_dir())

    def write(self, name: str, record: Record) -> None:
        write_json(self.path(name), record, self.mode)

    def lock(self, name: str) -> AbstractContextManager[None]:
        return locked(self.path(name))

    def update(self, name: str, change: Callable[[Record], None]) -> Record:
        """Read-modify-write one record under its lock; returns the new record."""
        with self.lock(name):
            record = self.load(name)
            change(record)
            self.write(name, record)
        return record

    # --- versioned records: `<root>/<name>/<version>.json` ---------------------------------------

    def names(self) -> list[str]:
        """The assets that have a folder, in name order."""
        return sorted(e.name for e in self.root.iterdir() if e.is_dir()) if self.root.is_dir() else []

    def versions(self, name: str) -> list[Record]:
        """The version records of one asset, oldest first."""
        folder = self.folder(name)
        records = (
            [r for p in folder.glob("*.json") if (r := _record(p)) is not None] if folder.is_dir() else []
        )
        return sorted(records, key=lambda r: version_key(str(r.get("version", ""))))

    def version_path(self, name: str, version: str) -> Path:
        return self.folder(name) / f"{version}.json"

    def next_version(self, name: str) -> str:
        """One more than the highest numbered version (1 for a new asset)."""
        numbers = [int(r["version"]) for r in self.versions(name) if str(r.get("version", "")).isdigit()]
        return str(max(numbers, default=0) + 1)


def _record(path: Path) -> Record | None:
    data = read_json(path)
    return dict(data) if isinstance(data, dict) else None
