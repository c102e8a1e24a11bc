"""The workshop's chapters (docs/workshop/NN-*.md) as what a learner does, in order.

A chapter is Markdown; what the learner does is in its fenced blocks, so that the tests run exactly
what the page says:

- ```` ```console ````: `$ COMMAND` lines, each run with bash from the repository root; a trailing
  `# exits N` says the exit code it must have (default 0); the lines after a command (up to the next
  `$`) are text its output must contain (each line, spaces collapsed; `...` lines are skipped).
- ```` ```LANG file=PATH ````: a file the learner writes (created or replaced) at PATH.
- ```` ```diff ````: a change the learner makes, as `git apply` takes it.

Blocks after a `## Exercise` heading belong to the exercise, after a `### Solution` heading to its
solution; other fenced blocks (`yaml`, `gherkin` without `file=`) only illustrate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

WORKSHOP = Path(__file__).resolve().parents[2] / "docs" / "workshop"

_FENCE = re.compile(r"^(```+)([^`\s]*)(.*)$")
_EXITS = re.compile(r"\s+#\s*exits\s+(\d+)\s*$")


@dataclass(frozen=True)
class Command:
    line: int
    phase: str
    text: str
    exit_code: int
    expected: tuple[str, ...]


@dataclass(frozen=True)
class File:
    line: int
    phase: str
    path: str
    content: str


@dataclass(frozen=True)
class Patch:
    line: int
    phase: str
    content: str


Action = Command | File | Patch


@dataclass(frozen=True)
class Chapter:
    path: Path
    title: str
    actions: tuple[Action, ...]
    text: str

    @property
    def name(self) -> str:
        return self.path.stem

    def where(self, action: Action) -> str:
        return f"docs/workshop/{self.path.name}:{action.line}"


def chapters() -> list[Chapter]:
    return [parse(path) for path in sorted(WORKSHOP.glob("[0-9][0-9]-*.md"))]


def _commands(block: list[str], first_line: int, phase: str) -> list[Command]:
    found: list[tuple[int, str, int, list[str]]] = []
    for offset, raw in enumerate(block):
        if raw.startswith("$ "):
            text, exit_code = raw[2:].strip(), 0
            exits = _EXITS.search(text)
            if exits:
                text, exit_code = text[: exits.start()].rstrip(), int(exits.group(1))
            found.append((first_line + offset, text, exit_code, []))
        elif found and raw.strip() and raw.strip() != "...":
            found[-1][3].append(" ".join(raw.split()))
        elif not found and raw.strip():
            raise ValueError(f"line {first_line + offset}: output before any `$ ` command")
    return [Command(line, phase, text, code, tuple(out)) for line, text, code, out in found]


def parse(path: Path) -> Chapter:
    lines = path.read_text(encoding="utf-8").splitlines()
    title = next((line[2:].strip() for line in lines if line.startswith("# ")), path.stem)
    actions: list[Action] = []
    phase = "walkthrough"
    index = 0
    while index < len(lines):
        line = lines[index]
        if line.startswith("## "):
            phase = "exercise" if line.startswith("## Exercise") else "walkthrough"
        elif line.startswith("### Solution"):
            phase = "solution"
        fence = _FENCE.match(line)
        if not fence:
            index += 1
            continue
        ticks, lang, attributes = fence.group(1), fence.group(2), fence.group(3).split()
        end = next((i for i in range(index + 1, len(lines)) if lines[i] == ticks), None)
        if end is None:
            raise ValueError(f"{path.name}:{index + 1}: a fenced block that is never closed")
        body, start = lines[index + 1 : end], index + 2
        target = next((a[5:] for a in attributes if a.startswith("file=")), None)
        if lang == "console":
            actions.extend(_commands(body, start, phase))
        elif lang == "diff":
            actions.append(Patch(start - 1, phase, "\n".join(body) + "\n"))
        elif target:
            actions.append(File(start - 1, phase, target, "\n".join(body) + "\n"))
        index = end + 1
    return Chapter(path, title, tuple(actions), "\n".join(lines))
