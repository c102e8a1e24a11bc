"""Variables at run time: scopes, `$(macro)` expansion, environment names and predefined values.

Rules [DOC process/variables.md]: macro syntax `$(var)` is replaced before a task runs and left
as-is when the variable is unknown; names are case-insensitive; in the environment a name is
upper-cased with `.` (and spaces) replaced by `_`; secrets are not mapped into the environment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

_MACRO = re.compile(r"\$\(([A-Za-z0-9_.\-\s]+)\)")


def env_name(name: str) -> str:
    """How the agent names a variable in the process environment."""
    return re.sub(r"[.\s]", "_", name).upper()


@dataclass
class VariableSet:
    """Case-insensitive variables with secret and read-only flags (mutable during a job)."""

    values: dict[str, str] = field(default_factory=dict)       # lower-case name -> value
    names: dict[str, str] = field(default_factory=dict)        # lower-case name -> authored name
    secrets: set[str] = field(default_factory=set)
    readonly: set[str] = field(default_factory=set)

    def set(self, name: str, value: str, *, secret: bool = False, readonly: bool = False) -> None:
        key = name.lower()
        self.values[key] = value
        self.names.setdefault(key, name)
        if secret:
            self.secrets.add(key)
        if readonly:
            self.readonly.add(key)

    def get(self, name: str) -> str | None:
        return self.values.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self.values

    def copy(self) -> VariableSet:
        return VariableSet(dict(self.values), dict(self.names), set(self.secrets), set(self.readonly))

    def update(self, items: Iterable[tuple[str, str]]) -> None:
        for name, value in items:
            self.set(name, value)

    def as_dict(self) -> dict[str, str]:
        return {self.names[k]: v for k, v in self.values.items()}

    def secret_values(self) -> list[str]:
        return [self.values[k] for k in self.secrets if self.values.get(k)]

    def environment(self) -> dict[str, str]:
        """Non-secret variables as environment variables, macros expanded."""
        return {env_name(self.names[k]): self.expand(v) for k, v in self.values.items() if k not in self.secrets}

    def expand(self, text: str, depth: int = 0) -> str:
        """Replace `$(name)` with known values; unknown macros stay as written."""
        if "$(" not in text or depth > 10:
            return text

        def repl(m: re.Match[str]) -> str:
            value = self.values.get(m.group(1).strip().lower())
            return m.group(0) if value is None else self.expand(value, depth + 1)

        return _MACRO.sub(repl, text)

    def expand_any(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.expand(value)
        if isinstance(value, dict):
            return {k: self.expand_any(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.expand_any(v) for v in value]
        return value


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value with *** (longest first, so overlaps are covered)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def merged(*layers: Mapping[str, str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for layer in layers:
        for k, v in layer.items():
            existing = next((e for e in out if e.lower() == k.lower()), None)
            if existing is not None:
                del out[existing]
            out[k] = v
    return out
