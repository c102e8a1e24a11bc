"""The Azure ML CLI v2 (`az ml …`) emulated locally: what pipeline steps call through the `az` shim.

`python -m emulator.azureml <args…>` behaves like `az <args…>`; `write_az_shim` puts an `az` script
on a step's PATH that does exactly that with this interpreter.
"""

from __future__ import annotations

import os
import shlex
import sys
from pathlib import Path

__all__ = ["write_az_shim"]


def write_az_shim(bin_dir: Path) -> Path:
    """Write an executable `az` into `bin_dir` that runs this emulator with this interpreter.

    The shim works from any working directory: it names the interpreter by absolute path and puts the
    folder holding the `emulator` package first on PYTHONPATH (the package need not be installed).
    Python starts without `site` (`-S`: the client needs only the standard library; the worker and an
    in-process call get it back) and without the working directory on `sys.path` (`-P`): a step whose
    working directory holds another copy of `emulator/` (a checkout of this project) still runs this one.
    """
    bin_dir.mkdir(parents=True, exist_ok=True)
    interpreter = Path(sys.executable).absolute()
    project_root = Path(__file__).resolve().parents[2]
    script = (
        "#!/bin/sh\n"
        "# az emulated by the MLOps emulator (emulator.azureml); generated, do not edit.\n"
        f"PYTHONPATH={shlex.quote(str(project_root))}${{PYTHONPATH:+:$PYTHONPATH}}\n"
        "export PYTHONPATH\n"
        f'exec {shlex.quote(str(interpreter))} -S -P -m emulator.azureml "$@"\n'
    )
    shim = bin_dir / "az"
    tmp = bin_dir / f".az.{os.getpid()}.tmp"
    tmp.write_text(script, encoding="utf-8")
    tmp.chmod(0o755)
    os.replace(tmp, shim)
    return shim
