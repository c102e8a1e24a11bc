"""Script tasks: CmdLine@2, Bash@3 and AzureCLI@2 (bash), run the way the Linux agent runs them.

The agent writes an inline script to a file in Agent.TempDirectory and runs
`bash --noprofile --norc <file>` in System.DefaultWorkingDirectory; only the exit code (and, with
failOnStderr, the standard error stream) decides the result [DOC tasks/utility/command-line.md,
bash.md, azure-cli.md].
"""

from __future__ import annotations

import shlex
import uuid
from pathlib import Path

from emulator.errors import PipelineError
from emulator.tasks.base import StepContext, TaskOutcome, outcome_of


def _script_file(ctx: StepContext, text: str) -> Path:
    ctx.temp_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.temp_dir / f"{uuid.uuid4()}.sh"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return path


def _workdir(ctx: StepContext, name: str = "workingDirectory") -> Path:
    path = ctx.path_input(name) or ctx.sources_dir
    if not path.is_dir():
        raise PipelineError(f"Working directory '{path}' does not exist", ctx.location,
                            hint="workingDirectory is relative to $(System.DefaultWorkingDirectory)")
    return path


def _run_bash(ctx: StepContext, file: Path, args: str, cwd: Path, fail_on_stderr: bool,
              profile: bool = False) -> TaskOutcome:
    argv = ["bash"]
    if not profile:
        argv += ["--noprofile", "--norc"]
    argv += [str(file), *shlex.split(args)]
    ctx.log(f"##[command]{' '.join(shlex.quote(a) for a in argv)}")
    return outcome_of(ctx.run(argv, cwd, ctx.env), fail_on_stderr)


def cmdline(ctx: StepContext) -> TaskOutcome:
    script = ctx.input("script", "") or ""
    file = _script_file(ctx, script)
    return _run_bash(ctx, file, "", _workdir(ctx), ctx.bool_input("failOnStderr"))


def bash(ctx: StepContext) -> TaskOutcome:
    target = (ctx.input("targetType", "filePath") or "filePath").lower()
    if target == "inline":
        file = _script_file(ctx, ctx.input("script", "") or "")
        args = ""
    elif target == "filepath":
        path = ctx.path_input("filePath", required=True)
        assert path is not None
        if not path.is_file():
            raise PipelineError(f"Script file '{path}' does not exist", ctx.location,
                                hint="filePath is relative to $(System.DefaultWorkingDirectory)")
        file = path
        args = ctx.input("arguments", "") or ""
    else:
        raise PipelineError(f"targetType '{target}' is not valid for Bash@3", ctx.location,
                            expected="filePath or inline")
    profile = not ctx.bool_input("noProfile", True) or not ctx.bool_input("noRc", True)
    return _run_bash(ctx, file, args, _workdir(ctx), ctx.bool_input("failOnStderr"), profile)


def azure_cli(ctx: StepContext) -> TaskOutcome:
    ctx.input("azureSubscription", required=True)
    script_type = (ctx.input("scriptType", "") or "").lower()
    if script_type not in ("bash", "pscore", "ps", "batch"):
        raise PipelineError(f"scriptType '{script_type or '(missing)'}' is not valid for AzureCLI@2", ctx.location,
                            expected="bash, pscore, ps or batch")
    if script_type != "bash":
        raise PipelineError(f"AzureCLI@2 with scriptType '{script_type}' is not supported by the emulator",
                            ctx.location, hint="use scriptType: bash (the emulator runs Linux agents)")
    location = (ctx.input("scriptLocation", "scriptPath") or "scriptPath").lower()
    if location == "inlinescript":
        file = _script_file(ctx, ctx.input("inlineScript", "") or "")
    elif location == "scriptpath":
        path = ctx.path_input("scriptPath", required=True)
        assert path is not None
        if not path.is_file():
            raise PipelineError(f"Script file '{path}' does not exist", ctx.location)
        file = path
    else:
        raise PipelineError(f"scriptLocation '{location}' is not valid for AzureCLI@2", ctx.location,
                            expected="inlineScript or scriptPath")
    args = ctx.input("arguments", "") or ctx.input("scriptArguments", "") or ""
    return _run_bash(ctx, file, args, _workdir(ctx), ctx.bool_input("failOnStandardError"))
