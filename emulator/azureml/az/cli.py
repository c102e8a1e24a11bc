"""The `az` entry point: parse the command line like the Azure CLI, dispatch, render, map errors.

Parsing is table-driven (`parser.py`, the tables in `commands/`) rather than argparse so that every
failure is an az-style `ERROR:` line with az's exit codes (2 for argument errors) and a did-you-mean
hint, never a usage dump or a traceback.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from emulator import extras
from emulator.azureml.az.commands import COMMANDS
from emulator.azureml.az.commands.account import version_text
from emulator.azureml.az.output import render
from emulator.azureml.az.parser import Invocation, help_text, parse
from emulator.azureml.context import Context
from emulator.azureml.errors import AzError
from emulator.errors import MlopsError
from emulator.processes import exit_with_runner


def run(
    argv: Sequence[str],
    *,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    cwd: Path | None = None,
) -> int:
    """Run one `az` command line; returns the exit code."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    debug = "--debug" in argv
    try:
        if list(argv[:1]) == ["--version"]:
            out.write(version_text())
            return 0
        command, args, options = parse(argv, COMMANDS)
        if command is None or args.get("help"):
            out.write(help_text(command, list(args.get("group", [])), COMMANDS))
            return 0
        if command.words[0] == "ml":
            extras.require("azureml", "az ml")
        invocation = Invocation(
            command, args, (cwd or Path.cwd()).resolve(), out, err, Context.current(), options
        )
        if command.workspace:
            invocation.workspace()  # az ml fails fast when no workspace is given or configured
        result = command.handler(invocation)
        text = render(result, invocation.output, invocation.query)
        out.write(text)
        out.flush()
        return 0
    except AzError as exc:
        err.write(f"ERROR: {exc.render()}\n")
        return exc.exit_code
    except extras.MissingExtraError as exc:
        err.write(f"ERROR: {exc.render()}\n")
        return 2
    except MlopsError as exc:
        err.write(f"ERROR: {exc.render()}\n")
        return 1
    except KeyboardInterrupt:
        err.write("ERROR: interrupted\n")
        return 130
    except BrokenPipeError:
        return 1
    except Exception as exc:  # noqa: BLE001 - last resort: an az-style message instead of a traceback
        if debug:
            traceback.print_exc(file=err)
        err.write(
            f"ERROR: the az emulator failed unexpectedly: {type(exc).__name__}: {exc}\n"
            "hint: re-run with --debug for the traceback, and report it\n"
        )
        return 1


def _terminate(signum: int, frame: object) -> None:
    """SIGTERM (a canceled pipeline step) unwinds like Ctrl-C, so running jobs are stopped too."""
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    signal.signal(signal.SIGTERM, _terminate)
    gone = exit_with_runner()
    if gone is not None:
        sys.stderr.write(
            f"ERROR: the pipeline runner that started this step (pid {gone.split(':')[0]}) is gone; "
            "an orphaned step does not act on the workspace\n"
            "hint: `mlops resume <run>` runs the step again\n"
        )
        return 1
    return run(list(sys.argv[1:] if argv is None else argv))
