"""UsePythonVersion@0: pick a local interpreter that satisfies `versionSpec` and put it first on PATH.

The hosted agent selects a Python from its tool cache with a semver range (`3.x`, `3.11`, `>=3.9 <3.13`,
`3.10 || 3.11`) and prepends `$(pythonLocation)/bin` to PATH, where `python`, `python3` and `pip` are
[DOC tasks/tool/use-python-version.md]. Locally the interpreter running the emulator is taken when it
satisfies the spec (it has the project's packages), else the highest `python3.N` on PATH that does;
the chosen one is exposed the same way, through small wrapper scripts
under Agent.ToolsDirectory/Python/<version>/x64 (wrappers, not links, so a virtual environment's
interpreter keeps its packages). No interpreter is ever downloaded: an unsatisfied spec fails and says
which versions exist here.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from emulator.errors import PipelineError
from emulator.runtime.logcommands import escape
from emulator.tasks.base import StepContext, TaskOutcome

Version = tuple[int, int, int]

_CACHE: dict[str, tuple[Version, str] | None] = {}
_LOCK = threading.Lock()
_COMPARATOR = re.compile(r"^(>=|<=|>|<|=|~|\^)?\s*v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?$")


def _probe(exe: str) -> tuple[Version, str] | None:
    """(version, sys.prefix) of an interpreter, cached per path."""
    with _LOCK:
        if exe in _CACHE:
            return _CACHE[exe]
    try:
        out = subprocess.run(
            [exe, "-c", "import sys,json;print(json.dumps([list(sys.version_info[:3]),sys.prefix]))"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        major, minor, micro = json.loads(out.stdout)[0]
        found: tuple[Version, str] | None = ((int(major), int(minor), int(micro)), json.loads(out.stdout)[1])
    except (OSError, subprocess.SubprocessError, ValueError, IndexError):
        found = None
    with _LOCK:
        _CACHE[exe] = found
    return found


def candidates(path: str | None) -> list[tuple[Version, str, str]]:
    """Local interpreters as (version, executable, prefix), best first (the running one wins a tie)."""
    names = [sys.executable]
    for name in ["python3", "python", *(f"python3.{n}" for n in range(8, 15))]:
        where = shutil.which(name, path=path)
        if where:
            names.append(where)
    unique = list(dict.fromkeys(os.path.realpath(n) if n != sys.executable else n for n in names))
    with ThreadPoolExecutor(max_workers=len(unique)) as pool:  # pyenv shims are slow; probe at once
        probed = list(pool.map(_probe, unique))
    out: list[tuple[Version, str, str]] = []
    prefixes: set[tuple[Version, str]] = set()
    for exe, probe in zip(unique, probed, strict=True):
        if probe is not None and probe not in prefixes:
            prefixes.add(probe)
            out.append((probe[0], exe, probe[1]))
    return sorted(out, key=lambda c: (c[0], c[1] == sys.executable), reverse=True)


def _bounds(op: str, parts: list[str | None]) -> list[tuple[str, Version]]:
    """A comparator as constraints (op, version)."""
    nums = [int(p) for p in parts if p is not None and p not in "xX*"]
    wild = len(nums) < 3
    full: Version = (nums + [0, 0, 0])[0], (nums + [0, 0, 0])[1], (nums + [0, 0, 0])[2]
    if not nums:
        return []

    def bump(level: int) -> Version:
        if level == 0:
            return (nums[0] + 1, 0, 0)
        return (nums[0], nums[1] + 1, 0)

    if op in ("", "="):
        if not wild:
            return [("=", full)]
        return [(">=", full), ("<", bump(len(nums) - 1))]
    if op == "~":
        return [(">=", full), ("<", bump(0 if len(nums) == 1 else 1))]
    if op == "^":
        return [(">=", full), ("<", bump(0))]
    if op in (">", "<="):
        if wild:  # >3.1 means >=3.2.0; <=3.1 means <3.2.0
            return [(">=" if op == ">" else "<", bump(len(nums) - 1))]
        return [(op, full)]
    return [(op, full)]


def satisfies(version: Version, spec: str) -> bool:
    """Whether `version` is in the semver range `spec` (as the task's semver.maxSatisfying reads it)."""
    for alternative in spec.split("||"):
        tokens = re.findall(r"(?:>=|<=|>|<|=|~|\^)?\s*v?[\dxX*]+(?:\.[\dxX*]+){0,2}", alternative.strip())
        if not tokens:
            continue
        ok = True
        for token in tokens:
            m = _COMPARATOR.match(token.strip())
            if not m:
                ok = False
                break
            for op, bound in _bounds(m.group(1) or "", [m.group(2), m.group(3), m.group(4)]):
                if not {
                    "=": version == bound,
                    ">=": version >= bound,
                    ">": version > bound,
                    "<": version < bound,
                    "<=": version <= bound,
                }[op]:
                    ok = False
        if ok:
            return True
    return False


def _wrapper(path: Path, command: str) -> None:
    path.write_text(f'#!/bin/sh\nexec {command} "$@"\n', encoding="utf-8")
    path.chmod(0o755)


def use_python_version(ctx: StepContext) -> TaskOutcome:
    spec = (ctx.input("versionSpec", "3.x") or "3.x").strip()
    arch = (ctx.input("architecture", "x64") or "x64").lower()
    running: tuple[Version, str, str] = (tuple(sys.version_info[:3]), sys.executable, sys.prefix)  # type: ignore[assignment]
    found = [running] if satisfies(running[0], spec) else candidates(ctx.env.get("PATH"))
    chosen = next((c for c in found if satisfies(c[0], spec)), None)
    if chosen is None:
        have = ", ".join(f"{'.'.join(map(str, v))} ({exe})" for v, exe, _ in found) or "none"
        raise PipelineError(
            f"Version spec {spec} for architecture {arch} did not match any local Python version",
            ctx.location,
            expected=f"a spec that one of these satisfies: {have}",
            hint="the emulator uses the interpreters installed on this machine and downloads none",
        )
    version, exe, prefix = chosen
    del found
    text = ".".join(map(str, version))
    tools = ctx.variable("Agent.ToolsDirectory")
    location = Path(tools) / "Python" / text / arch if tools else Path(prefix)
    if tools:
        bin_dir = location / "bin"
        bin_dir.mkdir(parents=True, exist_ok=True)
        for name in ("python", "python3", f"python{version[0]}.{version[1]}"):
            _wrapper(bin_dir / name, shlex.quote(exe))
        for name in ("pip", "pip3"):
            _wrapper(bin_dir / name, f"{shlex.quote(exe)} -m pip")
    ctx.log(f"Found Python {text} at {exe} (spec {spec})")
    ctx.emit(f"##vso[task.setvariable variable=pythonLocation]{escape(str(location))}")
    if ctx.bool_input("addToPath", True):
        ctx.emit(f"##vso[task.prependpath]{escape(str(location))}")
        ctx.emit(f"##vso[task.prependpath]{escape(str(location / 'bin'))}")
    return TaskOutcome("succeeded")
