"""Isolated Python environments built from Azure ML conda specs, cached by content hash.

Azure ML builds one image per environment; the emulator builds one virtualenv per environment spec,
keyed by the Python version and the normalised pip dependency list, under `envs_dir()` (or
`$MLOPS_ENV_CACHE`, so tests and CI runs share one cache). The scoring server cannot share the
emulator's own venv (its pinned opentelemetry clashes with azure-ai-ml), hence the isolation. Jobs
use the same environments (`runtimes.prepare_runtime`), so a job and the deployment of its model share one
build when they name the same environment.

A build happens in a temporary folder renamed into place only when complete, so a crashed build is
never reused; a per-key lock stops two deployments building the same environment at once. Console
scripts' `#!` lines are rewritten to the final folder before the rename (and fixed once in
environments cached before that), so `mlflow`, `pytest`… work in job commands.

uv installs an environment in under half of pip's time cold, with pip's resolution; it reads no pip
configuration, so `pipconfig` translates pip's, and a build whose pip configuration uv cannot honour (or
for another Python, or `MLOPS_ENV_INSTALLER=pip`) uses pip as before. The build log says which and why.

Neither installer byte-compiles: compiling every module of an environment cost more CPU than its build
(14 of 15 core-seconds for the scoring environment), while its processes import a third of them. Jobs and
servers run without PYTHONDONTWRITEBYTECODE (`runtimes.machine_environment`), so the first process to
import a module writes its bytecode into the environment, once, for every later one.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.azureml.assets.records import locked, read_json, utc_now, write_json
from emulator.azureml.compute import pipconfig
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzError

CACHE_ENV = "MLOPS_ENV_CACHE"
SERVER_PACKAGE = "azureml-inference-server-http"
# gunicorn runs the inference server; setuptools and wheel are in every conda environment that has pip
# (conda's pip depends on them), and MLflow 2 imports pkg_resources, which setuptools 82 removed
ALWAYS = ("gunicorn", "setuptools<82", "wheel")
MARKER = "mlops-env.json"
INSTALLER_ENV = "MLOPS_ENV_INSTALLER"
INSTALLERS = ("auto", "uv", "pip")
_NAME_RE = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(.*)$")
_SHEBANG_RE = re.compile(rb"^#!(\S*)/bin/(python[0-9.]*)(.*)$")
_PYTHON_RE = re.compile(r"^python\s*(==|=|>=|<=|~=|>|<)?\s*([0-9][0-9.*]*)?")
# pip requirements fetched from a VCS or a remote URL rather than a package index
_REMOTE = r"(?:(?:git|hg|svn|bzr)\+|(?:https?|ftp)://)"
_OUTSIDE_REGISTRIES_RE = re.compile(rf"^(?:-e\s+)?{_REMOTE}|@\s*{_REMOTE}", re.I)


@dataclass(frozen=True)
class EnvPlan:
    """What to install: pip requirements (normalised, sorted), and what the spec asked that we ignore."""

    key: str
    python: str
    requirements: tuple[str, ...]
    warnings: tuple[str, ...]
    interpreter: str | None = None  # another Python than the running one, when the spec asks for it


@dataclass(frozen=True)
class Install:
    """How an environment is installed: the installer and why, its commands and the variables they run with
    (`shown`: those the build sets beyond the caller's, written to the build log)."""

    installer: str
    why: str
    steps: tuple[tuple[str, ...], ...]
    env: dict[str, str]
    shown: tuple[tuple[str, str], ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class BuiltEnv:
    """A ready environment: its folder, interpreter, and how it was obtained."""

    key: str
    path: Path
    python: Path
    reused: bool
    seconds: float


def cache_dir(ctx: Context) -> Path:
    """`$MLOPS_ENV_CACHE` when set (shared across state folders), else `envs_dir()`."""
    configured = os.environ.get(CACHE_ENV)
    return Path(configured).resolve() if configured else ctx.envs


def running_python() -> str:
    return f"{sys.version_info.major}.{sys.version_info.minor}"


def normalise_requirement(line: str) -> str:
    """`Scikit_Learn == 1.5` → `scikit-learn==1.5`, so equal specs hash equally."""
    text = line.split(" #", 1)[0].strip()
    if text.startswith("-"):
        return " ".join(text.split())
    text = re.sub(r"\s+", "", text)
    match = _NAME_RE.match(text)
    if not match:
        return text
    name = re.sub(r"[-_.]+", "-", match.group(1)).lower()
    return name + match.group(2)


def _requirement_name(requirement: str) -> str:
    match = _NAME_RE.match(requirement)
    return re.sub(r"[-_.]+", "-", match.group(1)).lower() if match else requirement


def plan_environment(conda: dict[str, Any] | None, source: str = "conda_file") -> EnvPlan:
    """Read a conda spec: pip dependencies are installed; Python and conda-only packages are checked."""
    warnings: list[str] = []
    pip: list[str] = []
    conda_only: list[str] = []
    current = running_python()
    python, interpreter = current, None
    unreachable: list[str] = []
    for dep in (conda or {}).get("dependencies") or []:
        if isinstance(dep, dict):
            for item in dep.get("pip") or []:
                text = str(item).strip()
                if _OUTSIDE_REGISTRIES_RE.search(text):
                    unreachable.append(text)
                elif text:
                    pip.append(normalise_requirement(text))
            continue
        text = str(dep).strip()
        name = re.split(r"[=<>!~ ]", text, maxsplit=1)[0].lower()
        if name == "python":
            match = _PYTHON_RE.match(text)
            operator, wanted = (match.group(1), match.group(2)) if match else (None, None)
            wanted_mm = ".".join((wanted or "").replace("*", "").strip(".").split(".")[:2])
            exact = operator in (None, "=", "==", "~=")
            if exact and wanted_mm and wanted_mm != current and not current.startswith(wanted_mm + "."):
                found = find_python(wanted_mm) if re.fullmatch(r"\d+\.\d+", wanted_mm) else None
                if found is not None:
                    python, interpreter = wanted_mm, str(found)
                else:
                    warnings.append(
                        f"{source} asks for Python {wanted}, which this machine does not have (no "
                        f"python{wanted_mm} on PATH or in pyenv); the environment is built with the running "
                        f"Python {current} instead: install Python {wanted_mm} to match Azure ML"
                    )
        elif name in ("pip", "setuptools", "wheel"):
            continue
        else:
            conda_only.append(text)
    if conda_only:
        warnings.append(
            f"{source} lists conda packages the emulator cannot install ({', '.join(conda_only)}); "
            "only pip dependencies are installed: move them under `- pip:` if the code needs them"
        )
    if unreachable:
        warnings.append(
            f"{source} installs {', '.join(unreachable)} from outside a package index, which the emulator "
            "cannot reach (package registries only): the environment is built without "
            f"{'it' if len(unreachable) == 1 else 'them'}, and code that imports "
            f"{'it' if len(unreachable) == 1 else 'them'} fails; publish it to an index (or vendor it "
            "into the job's code folder) to use it locally"
        )
    names = {_requirement_name(r) for r in pip}
    if SERVER_PACKAGE not in names:
        pip.append(SERVER_PACKAGE)
    for extra in ALWAYS:
        if _requirement_name(extra) not in names:
            pip.append(extra)
    requirements = tuple(sorted(set(pip)))
    digest = hashlib.sha256(
        json.dumps({"python": python, "requirements": requirements}, sort_keys=True).encode()
    ).hexdigest()[:16]
    return EnvPlan(
        key=digest,
        python=python,
        requirements=requirements,
        warnings=tuple(warnings),
        interpreter=interpreter,
    )


@functools.lru_cache(maxsize=16)
def find_python(version: str) -> Path | None:
    """An interpreter of Python `version` (major.minor) that can make venvs: pythonX.Y on PATH, or pyenv's."""
    candidates: list[Path] = []
    on_path = shutil.which(f"python{version}")
    if on_path:
        candidates.append(Path(on_path))
    pyenv_root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    candidates += sorted(pyenv_root.glob(f"versions/{version}.*/bin/python{version}"), reverse=True)
    probe = "import sys, venv, ensurepip; print('%d.%d' % sys.version_info[:2])"
    for candidate in candidates:
        try:
            out = subprocess.run(
                [str(candidate), "-c", probe], capture_output=True, text=True, timeout=20, check=False
            )
        except (OSError, subprocess.SubprocessError):
            continue
        if out.returncode == 0 and out.stdout.strip() == version:
            return candidate
    return None


def _python_of(folder: Path) -> Path:
    return folder / "bin" / "python"


def find_environment(ctx: Context, key: str) -> Path | None:
    folder = cache_dir(ctx) / key
    return folder if (folder / MARKER).is_file() else None


def ensure_environment(ctx: Context, plan: EnvPlan, *, log: Sink | None = None) -> BuiltEnv:
    """The environment for `plan`, built now if no complete one is cached."""
    root = cache_dir(ctx)
    root.mkdir(parents=True, exist_ok=True)
    final = root / plan.key
    started = time.monotonic()
    if (final / MARKER).is_file() and _shebangs_fixed(final):
        return BuiltEnv(plan.key, final, _python_of(final), True, time.monotonic() - started)
    with locked(final):
        if (final / MARKER).is_file():  # built by a concurrent deployment while we waited
            if not _shebangs_fixed(final):
                fix_shebangs(final, final)
                marker = read_json(final / MARKER) or {}
                write_json(final / MARKER, {**marker, "shebangs": "fixed"})
            return BuiltEnv(plan.key, final, _python_of(final), True, time.monotonic() - started)
        for stale in root.glob(f".tmp-{plan.key}-*"):
            shutil.rmtree(stale, ignore_errors=True)  # leftovers of crashed builds (we hold the lock)
        if final.exists():
            shutil.rmtree(final, ignore_errors=True)  # incomplete: no marker
        building = root / f".tmp-{plan.key}-{uuid.uuid4().hex[:8]}"
        try:
            installer = _build(plan, building, log)
            fix_shebangs(building, final)
            write_json(
                building / MARKER,
                {
                    "key": plan.key,
                    "python": plan.python,
                    "requirements": list(plan.requirements),
                    "installer": installer,
                    "built_at": utc_now(),
                    "seconds": round(time.monotonic() - started, 1),
                    "shebangs": "fixed",
                },
            )
            os.replace(building, final)
        except BaseException:
            shutil.rmtree(building, ignore_errors=True)
            raise
    return BuiltEnv(plan.key, final, _python_of(final), False, time.monotonic() - started)


def _shebangs_fixed(folder: Path) -> bool:
    marker = read_json(folder / MARKER)
    return isinstance(marker, dict) and marker.get("shebangs") == "fixed"


def fix_shebangs(folder: Path, final: Path) -> None:
    """Point console scripts (`mlflow`, `gunicorn`, `pytest`…) at `final`, where the folder will live.

    pip writes the build folder's absolute path into each script's `#!` line; the folder is renamed
    into the cache afterwards, so the scripts would name a path that no longer exists. Jobs run user
    commands that call such scripts, so they must work.
    """
    bin_dir = folder / "bin"
    if not bin_dir.is_dir():
        return
    for script in bin_dir.iterdir():
        if script.is_symlink() or not script.is_file():
            continue
        try:
            with open(script, "rb") as handle:
                head = handle.read(2)
                if head != b"#!":
                    continue
                content = head + handle.read()
        except OSError:
            continue
        first, sep, rest = content.partition(b"\n")
        match = _SHEBANG_RE.match(first)
        if match is None:
            continue
        prefix = match.group(1).decode(errors="replace")
        if prefix != str(folder) and not Path(prefix).name.startswith(".tmp-"):
            continue  # a script of another interpreter: not ours to change
        wanted = b"#!" + str(final).encode() + b"/bin/" + match.group(2) + match.group(3)
        if wanted != first:  # a new file: a hard link's other names (uv's cache) keep their content
            replacement = script.with_name(f".{script.name}.mlops-tmp")
            replacement.write_bytes(wanted + sep + rest)
            shutil.copymode(script, replacement)
            os.replace(replacement, script)


def installer_setting() -> str:
    """`$MLOPS_ENV_INSTALLER`: auto (the default), uv or pip."""
    value = (os.environ.get(INSTALLER_ENV) or "auto").strip().lower()
    if value not in INSTALLERS:
        raise AzError(
            f"{INSTALLER_ENV}={value!r} is not one of {', '.join(INSTALLERS)}",
            hint="auto (the default) builds with uv when it is installed and pip's configuration translates "
            "to it, else with pip; uv or pip forces one",
        )
    return value


def uv_binary() -> str | None:
    """uv from its PyPI package (in the `azureml` extra), when installed."""
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except (ImportError, FileNotFoundError):
        return None


def plan_install(plan: EnvPlan, folder: Path, requirements: Path, env: dict[str, str]) -> Install:
    """uv when it can install from where pip would (faster, same resolution), else pip, as configured."""
    setting = installer_setting()
    uv = None if setting == "pip" else uv_binary()
    if setting == "uv" and uv is None:
        raise AzError(
            f"{INSTALLER_ENV}=uv, but uv is not installed",
            hint="install it (`pip install uv`; the azureml extra includes it), or unset " + INSTALLER_ENV,
        )
    pip = functools.partial(_pip_install, plan, folder, requirements, env)
    if uv is None:
        return pip(f"{INSTALLER_ENV}=pip" if setting == "pip" else "uv is not installed")
    if plan.interpreter and setting == "auto":
        return pip(f"Python {plan.python} installs with its own pip")
    notes: tuple[str, ...] = ()
    try:
        options = pipconfig.install_options(pipconfig.read_pip_config(sys.executable, env))
    except (OSError, subprocess.SubprocessError, ValueError) as exc:
        if setting == "auto":
            return pip(f"pip's configuration could not be read: {exc}")
        options, notes = {}, (f"pip's configuration could not be read ({exc}): uv's defaults apply",)
    translated = pipconfig.to_uv(options, env)
    if translated.untranslatable and setting == "auto":
        return pip(
            "pip's configuration sets what uv cannot do the same way: " + "; ".join(translated.untranslatable)
        )
    notes += translated.notes + tuple(
        f"left out ({INSTALLER_ENV}=uv): {r}" for r in translated.untranslatable
    )
    # uv's own configuration (uv.toml, UV_* variables) must not send the build elsewhere than pip's would
    uv_env = {k: v for k, v in env.items() if not k.startswith("UV_") or k == "UV_CACHE_DIR"}
    uv_env.update(translated.environment)
    python = plan.interpreter or sys.executable
    steps = (
        (uv, "venv", "--no-config", "--python", python, str(folder)),
        (
            uv,
            "pip",
            "install",
            "--no-config",
            "--python",
            str(_python_of(folder)),
            *translated.arguments,
            "-r",
            str(requirements),
        ),
    )
    why = (
        f"{INSTALLER_ENV}=uv"
        if setting == "uv"
        else "uv is installed and pip's configuration translates to it"
    )
    return Install("uv", why, steps, uv_env, translated.environment, notes)


def _pip_install(plan: EnvPlan, folder: Path, requirements: Path, env: dict[str, str], why: str) -> Install:
    pip_install = ("install", "--no-input", "--progress-bar", "off", "--no-compile", "-r", str(requirements))
    if plan.interpreter:  # another Python: its own venv and pip (ours may not support it)
        steps: tuple[tuple[str, ...], ...] = (
            (plan.interpreter, "-m", "venv", str(folder)),
            (str(_python_of(folder)), "-m", "pip", *pip_install),
        )
    else:
        steps = (
            (sys.executable, "-m", "venv", "--without-pip", str(folder)),
            (sys.executable, "-m", "pip", "--python", str(_python_of(folder)), *pip_install),
        )
    return Install("pip", why, steps, {**env, "PIP_DISABLE_PIP_VERSION_CHECK": "1"})


def _build(plan: EnvPlan, folder: Path, log: Sink | None) -> str:
    """Build the environment into `folder`; the installer that did it ("uv" or "pip")."""
    build_log = folder.parent / f"{folder.name}.log"
    folder.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    requirements = folder.parent / f"{folder.name}.requirements.txt"
    requirements.write_text("".join(r + "\n" for r in plan.requirements), encoding="utf-8")
    try:
        install = plan_install(plan, folder, requirements, env)
        if log:
            log(
                f"Building environment {plan.key} ({len(plan.requirements)} pip requirements) with "
                f"{install.installer} ({install.why})…\n"
            )
        with open(build_log, "w", encoding="utf-8") as out:
            out.write(f"installer: {install.installer} ({install.why})\n")
            out.writelines(f"note: {note}\n" for note in install.notes)
            out.writelines(f"export {name}={shlex.quote(pipconfig.redact(v))}\n" for name, v in install.shown)
            for step in install.steps:
                out.write("$ " + pipconfig.redact(shlex.join(step)) + "\n")
                out.flush()
                result = subprocess.run(
                    step, stdout=out, stderr=subprocess.STDOUT, env=install.env, check=False
                )
                if result.returncode != 0:
                    tail = "".join(
                        build_log.read_text(encoding="utf-8", errors="replace").splitlines(True)[-20:]
                    )
                    raise AzError(
                        f"building the environment {plan.key} failed (exit code {result.returncode})",
                        hint=f"{install.installer} said:\n{tail.rstrip()}",
                    )
        shutil.copy2(build_log, folder / "build.log")
        shutil.copy2(requirements, folder / "requirements.txt")
    finally:
        build_log.unlink(missing_ok=True)
        requirements.unlink(missing_ok=True)
    return install.installer


def environment_info(ctx: Context, key: str) -> dict[str, Any] | None:
    folder = find_environment(ctx, key)
    if folder is None:
        return None
    data = read_json(folder / MARKER)
    return dict(data) if isinstance(data, dict) else None
