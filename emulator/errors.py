"""One error family: every error a user can cause carries where, what was expected, and a hint.

The CLI renders these without a traceback and exits 2 (bad input).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Location:
    """A place in a source file; line and column are 1-based (0 = unknown)."""

    file: str
    line: int = 0
    col: int = 0

    def __str__(self) -> str:
        if self.line and self.col:
            return f"{self.file}:{self.line}:{self.col}"
        if self.line:
            return f"{self.file}:{self.line}"
        return self.file

    def shifted(self, columns: int) -> Location:
        """The same line, `columns` further right (for positions inside a scalar)."""
        return Location(self.file, self.line, self.col + columns if self.col else 0)

    def source_line(self) -> str | None:
        """The text of the line, if the file can be read."""
        if not self.line:
            return None
        try:
            lines = Path(self.file).read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError):
            return None
        return lines[self.line - 1] if 0 < self.line <= len(lines) else None


class MlopsError(Exception):
    """Base of every user-facing error."""

    kind = "error"

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        expected: str | None = None,
        hint: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.location = location
        self.expected = expected
        self.hint = hint

    def render(self) -> str:
        """file:line:col: message, the offending line with a caret, what was expected, a hint."""
        head = f"{self.location}: {self.message}" if self.location else self.message
        parts = [head]
        if self.location is not None:
            text = self.location.source_line()
            if text is not None:
                shown, caret = _excerpt(text, self.location.col)
                parts.append(f"  {shown}")
                if self.location.col:
                    parts.append("  " + " " * (caret - 1) + "^")
        if self.expected:
            parts.append(f"expected: {self.expected}")
        if self.hint:
            parts.append(f"hint: {self.hint}")
        return "\n".join(parts)

    def __str__(self) -> str:
        return self.render()


SOURCE_WIDTH = 160


def _excerpt(text: str, col: int) -> tuple[str, int]:
    """The offending line as shown: control characters as U+FFFD (one column each, so the caret stays
    under its character), and a line longer than SOURCE_WIDTH cut to a window around the column."""
    shown = "".join("\ufffd" if (ord(c) < 32 and c != "\t") or ord(c) == 127 else c for c in text)
    if len(shown) <= SOURCE_WIDTH:
        return shown, col
    start = max(0, min(col - 1 - SOURCE_WIDTH // 2, len(shown) - SOURCE_WIDTH))
    window = shown[start : start + SOURCE_WIDTH]
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SOURCE_WIDTH < len(shown) else ""
    return prefix + window + suffix, col - start + len(prefix)


class YamlError(MlopsError):
    """The file is not YAML that Azure Pipelines accepts."""


class ExpressionError(MlopsError):
    """An expression (`${{ }}`, `$[ ]`, `condition:`) does not parse or evaluate."""


class TemplateError(MlopsError):
    """Template expansion failed (parameters, references, directives, limits)."""


class PipelineError(MlopsError):
    """The expanded pipeline is not valid (unknown keys, bad dependencies, cycles)."""


class ConfigError(MlopsError):
    """A local configuration file (environments.yml, repositories) is invalid."""


class RunError(MlopsError):
    """A run cannot be found, resumed or decided upon."""


def did_you_mean(name: str, candidates: list[str] | tuple[str, ...] | set[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name, or None."""
    import difflib

    lowered = {c.lower(): c for c in candidates}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
    return f"did you mean '{lowered[close[0]]}'?" if close else None
