"""Logging commands: the back-channel from a step's output to the agent.

Format `##vso[area.action key=value;key=value]message` anywhere in a line [DOC scripts/logging-commands.md;
AGENT Command.cs]: the command info ends at the first `]`; `area.action` ends at the first space;
properties are split on `;` and each on its first `=` (keys are matched ignoring case but are not
trimmed, exactly as the agent does, so `; isOutput=true` is not the `isoutput` property); property
values and the message are unescaped (`%3B` → `;`, `%0D`, `%0A`, `%5D` → `]`, and `%AZP25` → `%` as
the docs say). Formatting commands `##[group]`, `##[endgroup]`, `##[section]`, `##[warning]`,
`##[error]`, `##[debug]`, `##[command]` start a line and only change how it is shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

PREFIX = "##vso["
FORMATS = ("group", "endgroup", "warning", "error", "section", "debug", "command")
_UNESCAPES = (("%3B", ";"), ("%0D", "\r"), ("%0A", "\n"), ("%5D", "]"), ("%AZP25", "%"))


def unescape(text: str) -> str:
    for code, char in _UNESCAPES:
        text = text.replace(code, char)
    return text


def escape(text: str) -> str:
    """The inverse of unescape (for tasks that write commands)."""
    text = text.replace("%", "%AZP25")
    for code, char in _UNESCAPES[:4]:
        text = text.replace(char, code)
    return text


@dataclass(frozen=True)
class LogCommand:
    area: str  # task, artifact, build, release (lower-case)
    action: str  # setvariable, logissue, complete, … (lower-case)
    properties: Mapping[str, str]  # keys lower-case, as written otherwise
    message: str

    @property
    def key(self) -> str:
        return f"{self.area}.{self.action}"

    def get(self, name: str, default: str | None = None) -> str | None:
        return self.properties.get(name.lower(), default)

    def flag(self, name: str) -> bool:
        """A boolean property as .NET's Boolean.TryParse reads it (anything else is false)."""
        return (self.properties.get(name.lower()) or "").strip().lower() == "true"


@dataclass(frozen=True)
class FormatCommand:
    kind: str  # group, endgroup, warning, error, section, debug, command
    message: str


def parse_command(line: str) -> LogCommand | None:
    """The `##vso[...]` command in a line, if it is well formed."""
    start = line.find(PREFIX)
    if start < 0:
        return None
    end = line.find("]", start)
    if end < 0:
        return None
    info = line[start + len(PREFIX) : end]
    name, space, props_text = info.partition(" ")
    parts = [p for p in name.split(".") if p]
    if len(parts) != 2:
        return None
    props: dict[str, str] = {}
    if space:
        for prop in props_text.split(";"):
            if not prop:
                continue
            key, eq, value = prop.partition("=")
            if eq and key and value:
                props[key.lower()] = unescape(value)
    return LogCommand(parts[0].lower(), parts[1].lower(), props, unescape(line[end + 1 :]))


def parse_line(line: str) -> LogCommand | FormatCommand | None:
    """The logging or formatting command on a line of output, if any."""
    stripped = line.rstrip("\r\n")
    command = parse_command(stripped)
    if command is not None:
        return command
    if stripped.startswith("##["):
        end = stripped.find("]")
        kind = stripped[3:end].lower() if end > 0 else ""
        if kind in FORMATS:
            return FormatCommand(kind, stripped[end + 1 :])
    return None
