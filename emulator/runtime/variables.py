"""Variables at run time: one job's set, `$(macro)` expansion, environment names, secret masking.

Rules [DOC process/variables.md; AGENT Variables.cs, VarUtil.cs]:
* names are case-insensitive; a variable's own value is expanded recursively (at most 50 levels, a
  cycle is left as written) and a task input is then expanded once with those values;
* `$(name)` with no such variable is left as written (so `$(date)` in a bash script still reaches bash);
  Azure Pipelines has no escape for the macro syntax, and neither has this emulator;
* in the environment a name is upper-cased with `.` and spaces turned into `_`; secrets are not
  mapped (only through a step's `env:`), nor are names with a reserved prefix (`endpoint`, `input`,
  `secret`, `path`, `securefile`);
* secret values are replaced with `***` wherever they are shown.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import Location
from emulator.expressions import to_string
from emulator.expressions.limits import check_length

MACRO_PREFIX = "$("
MACRO_SUFFIX = ")"
MAX_DEPTH = 50
RESERVED_PREFIXES = ("endpoint", "input", "secret", "path", "securefile")
MASK = "***"


def text_of(value: Any) -> str:
    """A YAML variable's value as the text a variable holds."""
    return value if isinstance(value, str) else to_string(value)


def env_name(name: str) -> str:
    """How the agent names a variable in the process environment."""
    return re.sub(r"[.\s]", "_", name).upper()


def is_reserved(name: str) -> bool:
    lowered = name.lower()
    return any(lowered.startswith(p) for p in RESERVED_PREFIXES)


def expand_macros(
    text: str, lookup: Callable[[str], str | None], location: Location | None = None, what: str = "This value"
) -> str:
    """Replace `$(name)` by `lookup(name.lower())` once, left to right, as the agent's VarUtil does:
    an inserted value is not scanned again; an unknown name (None) is left as written. The result may
    not outgrow the 20 MB the service allows a pipeline (see expressions.limits): refused first."""
    if MACRO_PREFIX not in text:
        return text
    out: list[str] = []
    size = 0
    done = search = 0  # text[:done] is in `out`; the next macro is looked for from `search`
    while True:
        prefix = text.find(MACRO_PREFIX, search)
        if prefix < 0:
            break
        suffix = text.find(MACRO_SUFFIX, prefix + len(MACRO_PREFIX))
        if suffix < 0:
            break
        key = text[prefix + len(MACRO_PREFIX) : suffix]
        value = lookup(key.lower()) if key else None
        if value is None:
            search = prefix + 1
            continue
        size += prefix - done + len(value)
        check_length(size + len(text) - suffix - len(MACRO_SUFFIX), what, location)
        out += (text[done:prefix], value)
        done = search = suffix + len(MACRO_SUFFIX)
    out.append(text[done:])
    return "".join(out)


@dataclass
class VariableSet:
    """The variables one job (or stage) sees; mutable while the job runs, confined to one thread."""

    values: dict[str, str] = field(default_factory=dict)  # lower-case name -> raw value
    names: dict[str, str] = field(default_factory=dict)  # lower-case name -> authored name
    secrets: set[str] = field(default_factory=set)
    readonly: set[str] = field(default_factory=set)
    locations: dict[str, Location] = field(default_factory=dict)  # where a YAML variable was defined
    _expanded: dict[str, str] | None = field(default=None, repr=False)

    def set(
        self,
        name: str,
        value: str,
        *,
        secret: bool = False,
        readonly: bool = False,
        location: Location | None = None,
    ) -> None:
        key = name.lower()
        if location is not None:
            self.locations[key] = location
        if (
            self.values.get(key) == value
            and (not secret or key in self.secrets)
            and (not readonly or key in self.readonly)
        ):
            return  # unchanged: keep the cache of expanded values
        self.values[key] = value
        self.names.setdefault(key, name)
        if secret:
            self.secrets.add(key)
        if readonly:
            self.readonly.add(key)
        self._expanded = None

    def get(self, name: str) -> str | None:
        return self.values.get(name.lower())

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self.values

    def is_secret(self, name: str) -> bool:
        return name.lower() in self.secrets

    def is_readonly(self, name: str) -> bool:
        return name.lower() in self.readonly

    def copy(self) -> VariableSet:
        return VariableSet(
            dict(self.values), dict(self.names), set(self.secrets), set(self.readonly), dict(self.locations)
        )

    def update(self, items: Iterable[tuple[str, str]], *, readonly: bool = False) -> None:
        for name, value in items:
            self.set(name, value, readonly=readonly)

    def as_dict(self) -> dict[str, str]:
        """Authored names to expanded values (what `variables['x']` reads in an expression)."""
        expanded = self.expanded()
        return {self.names[k]: expanded[k] for k in self.values}

    def secret_values(self) -> list[str]:
        expanded = self.expanded()
        return [expanded[k] for k in self.secrets if expanded.get(k)]

    def expanded(self) -> dict[str, str]:
        """Every value with its own macros expanded recursively (cached until the next change)."""
        if self._expanded is None:
            done: dict[str, str] = {}
            for key in self.values:
                self._resolve(key, done, [])
            self._expanded = done
        return self._expanded

    def _resolve(self, key: str, done: dict[str, str], stack: list[str]) -> str:
        if key in done:
            return done[key]
        raw = self.values[key]
        if MACRO_PREFIX not in raw or len(stack) >= MAX_DEPTH:
            done[key] = raw
            return raw

        def lookup(name: str) -> str | None:
            if name in stack or name == key or name not in self.values:
                return None
            return self._resolve(name, done, [*stack, key])

        value = expand_macros(raw, lookup, self.locations.get(key), f"Variable '{self.names[key]}'")
        done[key] = value
        return value

    def expand(self, text: str) -> str:
        """Replace `$(name)` with the variable's (expanded) value; unknown macros stay as written."""
        if MACRO_PREFIX not in text:
            return text
        return expand_macros(text, self.expanded().get)

    def expand_any(self, value: Any) -> Any:
        if isinstance(value, str):
            return self.expand(value)
        if isinstance(value, dict):
            return {k: self.expand_any(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.expand_any(v) for v in value]
        return value

    def environment(self) -> dict[str, str]:
        """Variables as a step's environment: not secrets, not reserved names, macros expanded."""
        expanded = self.expanded()
        return {
            env_name(self.names[k]): expanded[k]
            for k in self.values
            if k not in self.secrets and not is_reserved(k)
        }


def mask(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret value with *** (longest first, so overlaps are covered)."""
    for secret in sorted((s for s in secrets if s), key=len, reverse=True):
        if secret in text:
            text = text.replace(secret, MASK)
    return text


MIN_ENCODED_LENGTH = 4  # an encoded form shorter than this would mask ordinary text, not a secret


def encoded_forms(value: str) -> set[str]:
    """The forms of a secret the agent masks besides the value itself [AGENT ValueEncoders.cs; the
    runner's EnumerateBase64Variations]: Base64 of the value starting at each of the three byte
    alignments (without padding, standard and URL-safe alphabets, so `base64(user:secret)` is masked
    too), JSON-string escaped, and URI-data escaped."""
    raw = value.encode("utf-8")
    forms: set[str] = set()
    for offset in range(3):
        if len(raw) > offset:
            encoded = base64.b64encode(raw[offset:]).decode("ascii").rstrip("=")
            forms |= {encoded, encoded.replace("+", "-").replace("/", "_")}
    forms |= {json.dumps(value)[1:-1], json.dumps(value, ensure_ascii=False)[1:-1]}
    forms.add(urllib.parse.quote(value, safe="-._~"))
    return {f for f in forms if f != value and len(f) >= MIN_ENCODED_LENGTH}


class Masker:
    """The secret values of a run, shared by its jobs (thread-safe); masks text before it is shown."""

    def __init__(self, values: Iterable[str] = ()) -> None:
        self._lock = threading.Lock()
        self._values: tuple[str, ...] = ()
        self.add(*values)

    def add(self, *values: str) -> None:
        fresh = [v for v in values if v and v.strip()]
        if not fresh:
            return
        with self._lock:
            merged = set(self._values) | set(fresh)
            for v in fresh:  # each line of a multi-line value too, and the encoded forms of each
                lines = {line for line in v.splitlines() if line.strip()}
                merged |= lines
                for line in {v, *lines}:
                    merged |= encoded_forms(line)
            self._values = tuple(sorted(merged, key=len, reverse=True))

    @property
    def values(self) -> tuple[str, ...]:
        return self._values

    def __call__(self, text: str) -> str:
        for secret in self._values:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def deep(self, value: Any) -> Any:
        """Mask every string inside a JSON-like value."""
        if isinstance(value, str):
            return self(value)
        if isinstance(value, dict):
            return {k: self.deep(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.deep(v) for v in value]
        return value
