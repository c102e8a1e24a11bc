"""Deciding at the terminal: when a run pauses and stdin is a terminal, ask for the decision there.

The same rules apply as for `mlops approve|reject` (the decision goes through runner.decide); leaving
the prompt keeps the run paused, to be decided later from the command line.
"""

from __future__ import annotations

import os
import sys

from rich.console import Console
from rich.markup import escape
from rich.prompt import Prompt

from emulator import runner
from emulator.errors import MlopsError
from emulator.store import runs as runstore

ACTIONS = {"a": "approved", "r": "rejected"}


def interactive(console: Console, disabled: bool) -> bool:
    """A person is there to answer: stdin and the console are terminals, and this is not CI."""
    return not disabled and sys.stdin.isatty() and console.is_terminal and not os.environ.get("CI")


def ask_decision(run: runstore.Run, console: Console) -> bool:
    """Ask for a decision on what the run waits on; True once one was recorded (end of input: later)."""
    try:
        return _ask(run, console)
    except EOFError:
        console.print("", highlight=False)
        return False


def _ask(run: runstore.Run, console: Console) -> bool:
    pending = runner.waits(run.data)
    if not pending:
        return False
    wait = pending[0]
    if len(pending) > 1:
        for number, item in enumerate(pending, 1):
            console.print(f"  {number}. {escape(item.describe())}", highlight=False)
        picked = Prompt.ask(
            "Decide on", console=console, choices=[str(n) for n in range(1, len(pending) + 1)], default="1"
        )
        wait = pending[int(picked) - 1]
    while True:
        action = Prompt.ask(
            escape(f"Decide on {wait.describe()}: [a]pprove, [r]eject or [l]ater"),
            console=console,
            choices=["a", "r", "l"],
            default="l",
            show_choices=False,
        )
        if action == "l":
            return False
        user = Prompt.ask("Decide as", console=console, default=runner.default_user())
        comment = Prompt.ask("Comment", console=console, default="", show_default=False)
        try:
            entry = runner.decide(
                run.id,
                run.home,
                wait.environment,
                ACTIONS[action],
                user,
                comment,
                job=None if wait.job is None else f"{wait.stage}.{wait.job}",
            )
        except MlopsError as exc:
            console.print(f"[bold red]refused:[/bold red] {escape(exc.render())}", highlight=False)
            continue
        console.print(f"Recorded: {entry['decision']} by {entry['by']}", highlight=False)
        return True
