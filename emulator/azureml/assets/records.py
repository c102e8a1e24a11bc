"""Records of the emulated workspace share the state folder's file primitives (atomic writes, locks),
and versioned assets (data, environments) keep one `<version>.json` per version in the asset's folder."""

from pathlib import Path
from typing import Any

from emulator.store.files import locked, read_json, utc_now, write_json, write_text

__all__ = ["locked", "read_json", "utc_now", "version_key", "versions", "write_json", "write_text"]


def version_key(version: str) -> tuple[int, int, str]:
    """Numbered versions in numeric order, then named ones (`"2" < "10" < "beta"`)."""
    return (0, int(version), "") if version.isdigit() else (1, 0, version)


def versions(folder: Path) -> list[dict[str, Any]]:
    """The version records of one asset, oldest first."""
    entries = folder.glob("*.json") if folder.is_dir() else ()
    records = [r for entry in entries if (r := read_json(entry)) is not None]
    return sorted(records, key=lambda r: version_key(str(r.get("version", ""))))
