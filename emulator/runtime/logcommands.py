"""Logging commands: the back-channel from a step's stdout to the agent.

Format `##vso[area.action key=value;key=value]message` [DOC scripts/logging-commands.md];
property values and messages are unescaped (`%AZP25` → `%`, `%0D`, `%0A`, `%5D` → `]`, `%3B` → `;`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

_COMMAND = re.compile(r"##vso\[([A-Za-z]+)\.([A-Za-z]+)(?:\s+([^\]]*))?\](.*)$")
_FORMAT = re.compile(r"^##\[(group|endgroup|warning|error|section|debug|command)\](.*)$")
_UNESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%3B", ";"), ("%AZP25", "%"))


def unescape(text: str) -> str:
    for code, char in _UNESCAPES:
        text = text.replace(code, char)
    return text


@dataclass(frozen=True)
class LogCommand:
    area: str            # task, artifact, build, release (lower-case)
    action: str          # setvariable, logissue, complete, … (lower-case)
    properties: Mapping[str, str]  # keys lower-case
    message: str

    def flag(self, name: str) -> bool:
        return self.properties.get(name, "").strip().lower() == "true"


@dataclass(frozen=True)
class FormatCommand:
    kind: str            # group, endgroup, warning, error, section, debug, command
    message: str


def parse_line(line: str) -> LogCommand | FormatCommand | None:
    """The logging or formatting command on a line of output, if any."""
    stripped = line.rstrip("\r\n")
    idx = stripped.find("##vso[")
    if idx >= 0:
        m = _COMMAND.match(stripped[idx:])
        if m:
            props: dict[str, str] = {}
            for part in (m.group(3) or "").split(";"):
                if not part.strip():
                    continue
                key, _, value = part.partition("=")
                props[key.strip().lower()] = unescape(value.strip())
            return LogCommand(m.group(1).lower(), m.group(2).lower(), props, unescape(m.group(4)))
    m2 = _FORMAT.match(stripped.lstrip())
    if m2:
        return FormatCommand(m2.group(1), m2.group(2))
    return None
