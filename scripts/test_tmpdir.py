"""Where `make test` puts temporary files: a folder on a memory file system when there is room for them.

The suite writes many files: the hosted agent's Python that a public template pip-installs the Azure CLI
into (21,000 files per install, two installs), state folders, code snapshots, Docker contexts. Each file is
a new inode, and on the ext4 disks of our CI machines a new inode costs 0.25 to 0.5 ms of CPU, against
0.01 ms on tmpfs (20,000 files: 5 to 11 s against 0.2 s). Measured from a clean clone on 2 cores, pytest
took 381 s with its temporary files on disk and 365 s with them in /dev/shm.

So /dev/shm is used when it is a tmpfs with room for the suite's peak (1.7 GB measured; 4 GiB asked) and
the machine has memory for it and 4 GiB more for the suite's processes; else the usual temporary folder.
MLOPS_TEST_TMPDIR names another folder. Prints the folder to use.

`--ci` asks the same of room for a throwaway CI machine's caches and Docker layers as well (8 GiB; 2.3 GB
measured) and prints /dev/shm, or nothing when they stay on disk (`.ci/run`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

SHM = Path("/dev/shm")
GIB = 1 << 30
SUITE = 4 * GIB  # the suite's temporary files
CI = 8 * GIB  # those, the caches a clean machine fills and the Docker daemon's layers
PROCESSES = 4 * GIB  # memory left for the suite's processes


def _is_tmpfs(path: Path) -> bool:
    try:
        mounts = Path("/proc/self/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return False
    return any(line.split()[1:3] == [str(path), "tmpfs"] for line in mounts if len(line.split()) > 2)


def _memory_available() -> int:
    try:
        for line in Path("/proc/meminfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return 0


def _free(path: Path) -> int:
    stats = os.statvfs(path)
    return stats.f_bavail * stats.f_frsize


def memory_folder(needed: int) -> Path | None:
    """/dev/shm when it is a tmpfs with `needed` bytes free and memory for them and the suite's processes."""
    if not _is_tmpfs(SHM) or _memory_available() < needed + PROCESSES or _free(SHM) < needed:
        return None
    return SHM


def choose() -> str:
    chosen = os.environ.get("MLOPS_TEST_TMPDIR")
    if chosen:
        return chosen
    default = tempfile.gettempdir()  # never an empty TMPDIR: some tools then write to the working folder
    shm = memory_folder(SUITE)
    if shm is None:
        return default
    folder = shm / f"mlops-test-{os.getuid()}"
    try:
        folder.mkdir(mode=0o700, exist_ok=True)
        owner = folder.lstat()
    except OSError:
        return default
    # /dev/shm is shared: use the folder only if it is ours and nobody else can write to it
    if folder.is_symlink() or owner.st_uid != os.getuid() or owner.st_mode & 0o022:
        return default
    return str(folder)


if __name__ == "__main__":
    if sys.argv[1:] == ["--ci"]:
        shm = memory_folder(CI)
        sys.stdout.write(f"{shm}\n" if shm else "")
    else:
        sys.stdout.write(choose() + "\n")
