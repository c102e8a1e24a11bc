"""The Azure CLI's command line: options, commands (words, handler, options) and the parsed
`Invocation` a handler reads its arguments from and reports through.

Table-driven rather than argparse, so that a bad command line is an az-style error (exit 2) with a
did-you-mean hint, never a usage dump.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from emulator.azureml.assets.workspace import Workspace, resolve_workspace
from emulator.azureml.az.output import FORMATS
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzArgumentError

_BOOLEANS = ("true", "false", "yes", "no", "on", "off", "1", "0", "t", "f", "y", "n")


@dataclass(frozen=True)
class Option:
    """One command-line option: `value` takes one token, `multi` one or more (repeatable), `flag` none,
    `switch` an optional true/false."""

    flags: tuple[str, ...]
    dest: str
    kind: str = "value"
    required: bool = False
    choices: tuple[str, ...] = ()
    help: str = ""

    @property
    def label(self) -> str:
        return "/".join(self.flags)


@dataclass(frozen=True)
class Command:
    words: tuple[str, ...]
    handler: Callable[[Invocation], Any]
    summary: str
    options: tuple[Option, ...] = ()
    workspace: bool = True
    # args[remainder]: the first positional word and all after it (with no options of its own: any word)
    remainder: str | None = None

    @property
    def name(self) -> str:
        return "az " + " ".join(self.words)


GLOBAL_OPTIONS = (
    Option(("--resource-group", "-g"), "resource_group", help="resource group (default: az configure)"),
    Option(("--workspace-name", "-w"), "workspace_name", help="workspace (default: az configure)"),
    Option(("--subscription",), "subscription", help="subscription id or name"),
    Option(("--output", "-o"), "output", choices=FORMATS, help="output format"),
    Option(("--query",), "query", help="JMESPath query applied to the result"),
    Option(("--only-show-errors",), "only_show_errors", kind="flag", help="hide warnings"),
    Option(("--debug",), "debug", kind="flag", help="show tracebacks of internal errors"),
    Option(("--verbose",), "verbose", kind="flag", help="accepted for compatibility"),
    Option(("--help", "-h"), "help", kind="flag", help="show help"),
)


@dataclass(frozen=True)
class Invocation:
    """One parsed command line plus where it writes; handlers read arguments and report through it."""

    command: Command
    args: dict[str, Any]
    cwd: Path
    stdout: TextIO
    stderr: TextIO
    ctx: Context
    options: dict[str, Any] = field(default_factory=dict)

    def arg(self, dest: str, default: Any = None) -> Any:
        value = self.args.get(dest)
        return default if value is None else value

    @property
    def output(self) -> str:
        return str(self.options.get("output") or os.environ.get("AZURE_CORE_OUTPUT") or "json").lower()

    @property
    def query(self) -> str | None:
        value = self.options.get("query")
        return str(value) if value else None

    @property
    def quiet(self) -> bool:
        return bool(self.options.get("only_show_errors"))

    def workspace(self) -> Workspace:
        return resolve_workspace(
            self.ctx,
            self.options.get("resource_group"),
            self.options.get("workspace_name"),
            self.options.get("subscription"),
        )

    def warn(self, message: str) -> None:
        if not self.quiet:
            self.stderr.write(f"WARNING: {message}\n")
            self.stderr.flush()

    def progress(self, text: str) -> None:
        """Progress notes go to stderr so stdout stays the command's result."""
        if not self.quiet:
            self.stderr.write(text)
            self.stderr.flush()

    def stream_sink(self) -> Sink:
        """Where `--stream` writes the job log: stdout, unless stdout must hold only the queried value.

        With `--query` or `-o tsv|none`, scripts capture stdout (`x=$(az … --query name -o tsv)`), so
        the streamed log goes to stderr there.
        """
        target = self.stderr if (self.query or self.output in ("tsv", "none")) else self.stdout

        def write(line: str) -> None:
            target.write(line)
            target.flush()

        return write


def _option_table(command: Command | None) -> dict[str, Option]:
    table: dict[str, Option] = {}
    for option in (command.options if command else ()) + GLOBAL_OPTIONS:
        for flag in option.flags:
            table.setdefault(flag, option)
    return table


def _match_command(words: list[str], commands: Sequence[Command]) -> tuple[Command | None, int]:
    best: Command | None = None
    for command in commands:
        n = len(command.words)
        if tuple(words[:n]) == command.words and (best is None or n > len(best.words)):
            best = command
    return best, (len(best.words) if best else 0)


def emulated_list(commands: Sequence[Command]) -> str:
    return ", ".join(sorted(c.name for c in commands))


def parse(
    argv: Sequence[str], commands: Sequence[Command]
) -> tuple[Command | None, dict[str, Any], dict[str, Any]]:
    """(command, its arguments, global options); command None means help for a group was asked."""
    words: list[str] = []
    index = 0
    while index < len(argv) and not argv[index].startswith("-"):
        words.append(argv[index])
        index += 1
    command, used = _match_command(words, commands)
    wants_help = any(a in ("-h", "--help") for a in argv)
    if command is None:
        is_group = any(c.words[: len(words)] == tuple(words) for c in commands) if words else True
        if is_group:
            return None, {"group": words}, {}
        shown = "az " + " ".join(words)
        raise AzArgumentError(
            f"'{shown}' is not emulated. Emulated commands: {emulated_list(commands)}",
            hint=_command_hint(words, commands),
        )
    if wants_help:
        return command, {"help": True}, {}
    table = _option_table(command)
    args: dict[str, Any] = {}
    options: dict[str, Any] = {}
    rest = words[used:] + list(argv[index:])
    position = 0
    while position < len(rest):
        token = rest[position]
        position += 1
        flag, eq, inline = token.partition("=") if token.startswith("--") else (token, "", "")
        option = table.get(flag) or _by_prefix(flag, table)
        if option is None and command.remainder and (not token.startswith("-") or not command.options):
            args[command.remainder] = [token, *rest[position:]]
            break
        if option is None:
            close = nearest(flag, list(table)) if flag.startswith("-") else None
            hint = f"did you mean '{close}'?" if close else None
            raise AzArgumentError(
                f"unrecognized arguments: {token}",
                hint=hint or f"see `{command.name} --help` for the emulated options",
            )
        target = options if option in GLOBAL_OPTIONS else args
        if option.kind == "flag":
            target[option.dest] = True
            continue
        if option.kind == "switch":  # az's three-state flags: `--all`, `--all true`, `--all=false`
            word = inline if eq else (rest[position] if position < len(rest) else "")
            if not eq and word.lower() in _BOOLEANS:
                position += 1
            target[option.dest] = word.lower() not in ("false", "no", "off", "0", "f", "n")
            continue
        values: list[str] = [inline] if eq else []
        if not eq:
            while position < len(rest) and not (rest[position] in table or rest[position].startswith("--")):
                values.append(rest[position])
                position += 1
                if option.kind == "value":
                    break
        if not values:
            raise AzArgumentError(f"argument {option.label}: expected one argument")
        if option.choices and option.kind == "value" and values[0].lower() not in option.choices:
            raise AzArgumentError(
                f"argument {option.label}: invalid choice: '{values[0]}' "
                f"(choose from {', '.join(option.choices)})"
            )
        if option.kind == "multi":
            target.setdefault(option.dest, []).extend(values)
        else:
            target[option.dest] = values[0]
    missing = [o.label for o in command.options if o.required and args.get(o.dest) is None]
    if missing:
        raise AzArgumentError(f"the following arguments are required: {', '.join(missing)}")
    return command, args, options


def _by_prefix(flag: str, table: dict[str, Option]) -> Option | None:
    """The option a long flag abbreviates, as argparse (and so az) accepts: `--endpoint` for
    `--endpoint-name` when no other option starts so; an ambiguous prefix is an error, as there."""
    if not flag.startswith("--") or len(flag) < 3:
        return None
    matches = {f: o for f, o in table.items() if f.startswith("--") and f.startswith(flag)}
    if len(set(matches.values())) > 1:
        raise AzArgumentError(f"ambiguous option: {flag} could match {', '.join(sorted(matches))}")
    return next(iter(matches.values()), None)


def _distance(a: str, b: str) -> int:
    """Edits (insert, delete, substitute, swap two neighbours) from a to b."""
    previous2: list[int] = []
    previous = list(range(len(b) + 1))
    for i, x in enumerate(a, 1):
        row = [i]
        for j, y in enumerate(b, 1):
            cost = min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (x != y))
            if i > 1 and j > 1 and x == b[j - 2] and a[i - 2] == y:
                cost = min(cost, previous2[j - 2] + 1)
            row.append(cost)
        previous2, previous = previous, row
    return previous[-1]


def nearest(word: str, candidates: Sequence[str]) -> str | None:
    """The candidate a typo most likely meant, only when it is close: one edit for a short word, two
    for a longer one (`jbo` -> `job`, `--nmae` -> `--name`; `register` is not `restore`)."""
    allowed = 1 if len(word.lstrip("-")) <= 4 else 2
    scored = sorted((_distance(word.lower(), c.lower()), c) for c in candidates)
    return scored[0][1] if scored and scored[0][0] <= allowed else None


def _command_hint(words: list[str], commands: Sequence[Command]) -> str | None:
    """Suggest the emulated command a misspelt one meant: the first unknown word against the words
    that can follow the known ones."""
    for depth in range(len(words)):
        known = tuple(words[:depth])
        following = {c.words[depth] for c in commands if c.words[:depth] == known and len(c.words) > depth}
        if words[depth] in following:
            continue
        close = nearest(words[depth], sorted(following))
        if close is None:
            return None
        guess = (*known, close, *words[depth + 1 :])
        if not any(c.words[: len(guess)] == guess for c in commands):
            guess = (*known, close)
        return f"did you mean '{' '.join(guess)}'?"
    return None


def help_text(command: Command | None, group: list[str], commands: Sequence[Command]) -> str:
    if command is None:
        prefix = tuple(group)
        lines = [
            f"az {' '.join(group)}".rstrip() + " (emulated locally by the MLOps emulator)",
            "",
            "Commands:",
        ]
        for c in sorted(commands, key=lambda c: c.words):
            if c.words[: len(prefix)] == prefix:
                lines.append(f"    {c.name:<40} {c.summary}")
        return "\n".join(lines) + "\n"
    lines = [f"{command.name}: {command.summary}", "", "Arguments:"]
    for option in command.options:
        required = " [Required]" if option.required else ""
        lines.append(f"    {option.label:<32}{required} {option.help}")
    lines += ["", "Global Arguments:"]
    for option in GLOBAL_OPTIONS:
        lines.append(f"    {option.label:<32} {option.help}")
    return "\n".join(lines) + "\n"
