"""Local signing keys (HMAC), created on first use in the state folder with mode 0600.

They let the emulator tell its own writes from hand edits (approval decisions, run records); they
protect against accidental or casual tampering, not against the machine's owner.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from functools import lru_cache
from pathlib import Path

from emulator.store.files import locked


@lru_cache(maxsize=32)
def secret_key(home: Path, name: str) -> bytes:
    path = home / "keys" / f"{name}.key"
    if path.is_file():
        return path.read_bytes()
    path.parent.mkdir(parents=True, exist_ok=True)
    with locked(path):
        if not path.is_file():
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(secrets.token_bytes(32))
    return path.read_bytes()


def sign(home: Path, name: str, payload: bytes) -> str:
    return hmac.new(secret_key(home, name), payload, hashlib.sha256).hexdigest()


def verify(home: Path, name: str, payload: bytes, signature: object) -> bool:
    return isinstance(signature, str) and hmac.compare_digest(signature, sign(home, name, payload))
