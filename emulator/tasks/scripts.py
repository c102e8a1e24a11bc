"""Script tasks: CmdLine@2, Bash@3, ShellScript@2, AzureCLI@1/@2 (bash) and PythonScript@0, run as the
Linux agent runs them.

The agent writes an inline script to a file in Agent.TempDirectory and runs
`bash --noprofile --norc <file>` in System.DefaultWorkingDirectory; only the exit code (and, with
failOnStderr, the standard error stream) decides the result [DOC tasks/utility/command-line.md,
bash.md, azure-cli.md, python-script.md, tasks/reference/shell-script-v2.md]. AzureCLI checks its
service connection against the local configuration first (tasks/connections.py); the `az` it runs is
the emulator's. AzureCLI@1 runs bash on Linux agents (it has no scriptType) [DOC azure-cli-v1.md].
"""

from __future__ import annotations

import shlex
import shutil
import uuid
from dataclasses import replace
from pathlib import Path

from emulator.errors import PipelineError
from emulator.tasks.base import StepContext, TaskOutcome, outcome_of


def _script_file(ctx: StepContext, text: str, suffix: str = ".sh") -> Path:
    ctx.temp_dir.mkdir(parents=True, exist_ok=True)
    path = ctx.temp_dir / f"{uuid.uuid4()}{suffix}"
    path.write_text(text if text.endswith("\n") else text + "\n", encoding="utf-8")
    return path


def _script_path(ctx: StepContext, name: str) -> Path:
    """The script file an input names (relative to System.DefaultWorkingDirectory); it must exist."""
    path = ctx.path_input(name, required=True)
    assert path is not None
    if not path.is_file():
        raise PipelineError(
            f"Script file '{path}' does not exist",
            ctx.location,
            hint=f"{name} is relative to $(System.DefaultWorkingDirectory)",
        )
    return path


def _workdir(ctx: StepContext, name: str = "workingDirectory") -> Path:
    path = ctx.path_input(name) or ctx.sources_dir
    if not path.is_dir():
        raise PipelineError(
            f"Working directory '{path}' does not exist",
            ctx.location,
            hint="workingDirectory is relative to $(System.DefaultWorkingDirectory)",
        )
    return path


def _run_bash(
    ctx: StepContext, file: Path, args: str, cwd: Path, fail_on_stderr: bool, profile: bool = False
) -> TaskOutcome:
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
        file = _script_path(ctx, "filePath")
        args = ctx.input("arguments", "") or ""
    else:
        raise PipelineError(
            f"targetType '{target}' is not valid for Bash@3", ctx.location, expected="filePath or inline"
        )
    profile = not ctx.bool_input("noProfile", True) or not ctx.bool_input("noRc", True)
    return _run_bash(ctx, file, args, _workdir(ctx), ctx.bool_input("failOnStderr"), profile)


def shell_script(ctx: StepContext) -> TaskOutcome:
    """ShellScript@2: `bash scriptPath args` in the script's folder, unless `cwd` is given or
    disableAutoCwd is set (then `cwd`, default System.DefaultWorkingDirectory, created if missing)."""
    path = _script_path(ctx, "scriptPath")
    cwd = ctx.path_input("cwd")
    if cwd is None:
        cwd = ctx.sources_dir if ctx.bool_input("disableAutoCwd") else path.parent
    cwd.mkdir(parents=True, exist_ok=True)
    argv = ["bash", str(path), *shlex.split(ctx.input("args", "") or "")]
    ctx.log(f"##[command]{' '.join(shlex.quote(a) for a in argv)}")
    return outcome_of(ctx.run(argv, cwd, ctx.env), ctx.bool_input("failOnStandardError"))


def azure_cli(ctx: StepContext) -> TaskOutcome:
    connection = ctx.input("azureSubscription", required=True) or ""
    settings = (
        ctx.connections.check(connection, ctx.location, ctx.task) if ctx.connections is not None else {}
    )
    if ctx.connections is None or not settings.get("checked", True):
        ctx.log(f"Service connection '{connection}' is not checked: no service-connections.yml was found")
    script_type = "bash" if ctx.task.lower() == "azurecli@1" else (ctx.input("scriptType", "") or "").lower()
    if script_type not in ("bash", "pscore", "ps", "batch"):
        raise PipelineError(
            f"scriptType '{script_type or '(missing)'}' is not valid for AzureCLI@2",
            ctx.location,
            expected="bash, pscore, ps or batch",
        )
    if script_type != "bash":
        raise PipelineError(
            f"AzureCLI@2 with scriptType '{script_type}' is not supported by the emulator",
            ctx.location,
            hint="use scriptType: bash (the emulator runs Linux agents)",
        )
    location = (ctx.input("scriptLocation", "scriptPath") or "scriptPath").lower()
    if location == "inlinescript":
        file = _script_file(ctx, ctx.input("inlineScript", "") or "")
    elif location == "scriptpath":
        file = _script_path(ctx, "scriptPath")
    else:
        raise PipelineError(
            f"scriptLocation '{location}' is not valid for {ctx.task}",
            ctx.location,
            expected="inlineScript or scriptPath",
        )
    args = ctx.input("arguments", "") or ""
    env = dict(ctx.env)
    if ctx.bool_input("addSpnToEnvironment"):
        env.update(
            servicePrincipalId=str(
                settings.get("servicePrincipalId", "00000000-0000-0000-0000-000000000000")
            ),
            servicePrincipalKey="local-emulator-key",
            idToken="",
            tenantId=str(settings.get("tenantId", "00000000-0000-0000-0000-000000000000")),
        )
        ctx.emit("##vso[task.setsecret]local-emulator-key")
    return _run_bash(replace(ctx, env=env), file, args, _workdir(ctx), ctx.bool_input("failOnStandardError"))


def _python(ctx: StepContext) -> str:
    wanted = ctx.input("pythonInterpreter")
    if wanted:
        return wanted
    path = ctx.env.get("PATH")
    for name in ("python", "python3"):
        found = shutil.which(name, path=path)
        if found:
            return found
    raise PipelineError(
        "No python interpreter on PATH for PythonScript@0",
        ctx.location,
        hint="add a UsePythonVersion@0 step before it, or set the pythonInterpreter input",
    )


def python_script(ctx: StepContext) -> TaskOutcome:
    source = (ctx.input("scriptSource", "filePath") or "filePath").lower()
    if source == "inline":
        file = _script_file(ctx, ctx.input("script", "") or "", ".py")
    elif source == "filepath":
        file = _script_path(ctx, "scriptPath")
    else:
        raise PipelineError(
            f"scriptSource '{source}' is not valid for PythonScript@0",
            ctx.location,
            expected="filePath or inline",
        )
    argv = [_python(ctx), str(file), *shlex.split(ctx.input("arguments", "") or "")]
    ctx.log(f"##[command]{' '.join(shlex.quote(a) for a in argv)}")
    return outcome_of(ctx.run(argv, _workdir(ctx), ctx.env), ctx.bool_input("failOnStderr"), tool="Python")
