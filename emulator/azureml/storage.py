"""Records of the emulated workspace share the state folder's file primitives (atomic writes, locks)."""

from emulator.store.files import locked, read_json, utc_now, write_json, write_text

__all__ = ["locked", "read_json", "utc_now", "write_json", "write_text"]
