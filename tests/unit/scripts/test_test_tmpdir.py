"""scripts/test_tmpdir.py: `make test` uses a memory file system only when it is one, has room, and the
folder there is the user's alone."""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "test_tmpdir.py"


def _load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("test_tmpdir", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def script(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    module = _load()
    monkeypatch.delenv("MLOPS_TEST_TMPDIR", raising=False)
    monkeypatch.setattr(module, "SHM", tmp_path)  # a stand-in for /dev/shm, said to be a roomy tmpfs
    monkeypatch.setattr(module, "_is_tmpfs", lambda path: path == tmp_path)
    monkeypatch.setattr(module, "_memory_available", lambda: 64 << 30)
    monkeypatch.setattr(module, "_free", lambda path: 32 << 30)
    return module


def test_a_roomy_tmpfs_gets_a_private_folder(script: ModuleType, tmp_path: Path) -> None:
    chosen = Path(script.choose())
    assert chosen == tmp_path / f"mlops-test-{os.getuid()}"
    assert chosen.is_dir() and chosen.stat().st_mode & 0o777 == 0o700
    assert script.choose() == str(chosen)  # the next run reuses it


@pytest.mark.parametrize(
    "change",
    ["not tmpfs", "little memory", "no room", "others can write", "a link"],
)
def test_otherwise_the_default_temporary_folder(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    folder = tmp_path / f"mlops-test-{os.getuid()}"
    if change == "not tmpfs":
        monkeypatch.setattr(script, "_is_tmpfs", lambda path: False)
    elif change == "little memory":
        monkeypatch.setattr(script, "_memory_available", lambda: 7 << 30)
    elif change == "no room":
        monkeypatch.setattr(script, "_free", lambda path: 3 << 30)
    elif change == "others can write":
        folder.mkdir(mode=0o700)
        folder.chmod(0o777)
    else:  # somebody else's folder put there under our name
        (tmp_path / "elsewhere").mkdir()
        folder.symlink_to(tmp_path / "elsewhere")
    assert script.choose() == tempfile.gettempdir()


def test_ci_asks_room_for_its_caches_too(
    script: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert script.memory_folder(script.CI) == tmp_path
    monkeypatch.setattr(script, "_free", lambda path: 6 << 30)  # room for the suite's files, not the caches
    assert script.memory_folder(script.CI) is None and script.memory_folder(script.SUITE) == tmp_path


def test_a_named_folder_wins(script: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLOPS_TEST_TMPDIR", "/var/tmp/mine")
    assert script.choose() == "/var/tmp/mine"


def test_the_machine_checks_read_this_machine() -> None:
    module = _load()
    mounts = [line.split() for line in Path("/proc/self/mounts").read_text().splitlines()]
    tmpfs = [Path(fields[1]) for fields in mounts if fields[2] == "tmpfs"]
    assert not module._is_tmpfs(Path("/proc"))
    assert all(module._is_tmpfs(path) for path in tmpfs[:3])
    assert module._memory_available() > 0 and module._free(Path("/")) > 0
