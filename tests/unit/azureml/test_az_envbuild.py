"""The isolated-environment cache: one build per spec, atomic, never reusing a crashed build."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import pytest

from emulator.azureml.compute import envbuild
from emulator.azureml.compute.runtimes import machine_environment
from emulator.azureml.context import Context
from emulator.azureml.errors import AzError


def fake_build(calls: list[str], fail: bool = False):  # type: ignore[no-untyped-def]
    def build(plan: envbuild.EnvPlan, folder: Path, log: object) -> str:
        calls.append(folder.name)
        (folder / "bin").mkdir(parents=True)
        time.sleep(0.3)
        if fail:
            raise AzError("pip failed")
        return "uv"

    return build


def test_concurrent_requests_build_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(envbuild.CACHE_ENV, str(tmp_path / "cache"))
    calls: list[str] = []
    monkeypatch.setattr(envbuild, "_build", fake_build(calls))
    plan = envbuild.plan_environment({"dependencies": [{"pip": ["pandas"]}]})
    results: list[envbuild.BuiltEnv] = []
    threads = [
        threading.Thread(target=lambda: results.append(envbuild.ensure_environment(Context.current(), plan)))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(calls) == 1
    assert {r.path for r in results} == {tmp_path / "cache" / plan.key}
    assert sorted(r.reused for r in results) == [False, True, True]
    assert (tmp_path / "cache" / plan.key / envbuild.MARKER).is_file()
    assert not list((tmp_path / "cache").glob(".tmp-*"))


def test_a_crashed_build_is_never_reused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(envbuild.CACHE_ENV, str(tmp_path / "cache"))
    calls: list[str] = []
    plan = envbuild.plan_environment(None)
    monkeypatch.setattr(envbuild, "_build", fake_build(calls, fail=True))
    with pytest.raises(AzError):
        envbuild.ensure_environment(Context.current(), plan)
    assert not (tmp_path / "cache" / plan.key).exists() and not list((tmp_path / "cache").glob(".tmp-*"))
    # a build killed half-way leaves a temporary folder: the next build removes it and starts afresh
    (tmp_path / "cache" / f".tmp-{plan.key}-dead").mkdir()
    monkeypatch.setattr(envbuild, "_build", fake_build(calls))
    built = envbuild.ensure_environment(Context.current(), plan)
    assert not built.reused and len(calls) == 2
    assert not (tmp_path / "cache" / f".tmp-{plan.key}-dead").exists()


def test_cache_defaults_to_the_state_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(envbuild.CACHE_ENV, raising=False)
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path))
    assert envbuild.cache_dir(Context.current()) == tmp_path / "envs"


# Building for real, offline: a one-module wheel made here, found through pip's configuration only
# (no index, a find-links folder), in a private environment cache; uv's cache is private too.
TINY = "mlops_tiny"


def tiny_wheel(folder: Path) -> Path:
    """A pure-Python wheel: `mlops_tiny.VALUE == 42` and a console script `mlops-tiny`."""
    dist = f"{TINY}-1.0"
    files = {
        f"{TINY}/__init__.py": "VALUE = 42\n\ndef main():\n    print('tiny', VALUE)\n",
        f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {TINY}\nVersion: 1.0\n",
        f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
        f"{dist}.dist-info/entry_points.txt": f"[console_scripts]\nmlops-tiny = {TINY}:main\n",
    }
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
        record.append(f"{name},sha256={digest},{len(text.encode())}")
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
        archive.writestr(
            f"{dist}.dist-info/RECORD", "\n".join([*record, f"{dist}.dist-info/RECORD,,"]) + "\n"
        )
    return wheel


@pytest.fixture
def offline_pip(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """pip's configuration is only this: no index, and a folder holding the tiny wheel. Returns the cache."""
    for name in [n for n in os.environ if n.startswith(("PIP_", "UV_"))]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)  # no pip.conf of this machine
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.setenv("PIP_FIND_LINKS", str(tiny_wheel(tmp_path / "wheels").parent))
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "uv-cache"))
    monkeypatch.setenv(envbuild.CACHE_ENV, str(tmp_path / "envs"))
    monkeypatch.delenv(envbuild.INSTALLER_ENV, raising=False)
    return tmp_path / "envs"


def tiny_plan(*requirements: str) -> envbuild.EnvPlan:
    return envbuild.EnvPlan(
        key="tiny", python=envbuild.running_python(), requirements=requirements, warnings=()
    )


def check_tiny(built: envbuild.BuiltEnv) -> None:
    # built without bytecode; the first process of the environment writes it, even when the machine
    # sets PYTHONDONTWRITEBYTECODE (jobs and servers start from the machine's basics only)
    bytecode = f"python*/site-packages/{TINY}/__pycache__/__init__*.pyc"
    assert not list((built.path / "lib").glob(bytecode))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("PYTHONDONTWRITEBYTECODE", "1")
        env = machine_environment(built.python.parent)
    ran = subprocess.run(
        [str(built.python), "-c", f"import {TINY}; print({TINY}.VALUE)"], capture_output=True, env=env
    )
    assert ran.stdout == b"42\n", ran.stderr
    assert list((built.path / "lib").glob(bytecode))
    # the console script names the environment's final folder, not the one it was built in
    script = subprocess.run([str(built.path / "bin" / "mlops-tiny")], capture_output=True)
    assert script.stdout == b"tiny 42\n", script.stderr


def test_uv_builds_from_where_pip_would(
    offline_pip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # uv's own configuration is not pip's: a uv.toml here and UV_* variables would send uv elsewhere
    monkeypatch.chdir(tmp_path)
    (tmp_path / "uv.toml").write_text('find-links = ["/nonexistent/uv-toml-links"]\n')
    monkeypatch.setenv("UV_FIND_LINKS", "/nonexistent/uv-variable-links")
    monkeypatch.setenv("PIP_FIND_LINKS", f"{tmp_path / 'wheels'} {tmp_path / 'missing'}")
    said: list[str] = []
    built = envbuild.ensure_environment(Context.current(), tiny_plan("mlops-tiny"), log=said.append)
    check_tiny(built)
    marker = envbuild.environment_info(Context.current(), "tiny")
    assert marker is not None and marker["installer"] == "uv"
    log = (built.path / "build.log").read_text()
    assert log.startswith("installer: uv (uv is installed and pip's configuration translates to it)\n")
    assert f"note: pip's find-links {tmp_path / 'missing'} does not exist: left out" in log
    install = next(line for line in log.splitlines() if line.startswith("$ ") and " pip install " in line)
    assert "--no-index" in install and "--no-config" in install
    assert f"--find-links {tmp_path / 'wheels'} " in install and "missing" not in install
    assert any("with uv" in line for line in said)


def test_pip_builds_when_forced(offline_pip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(envbuild.INSTALLER_ENV, "pip")
    built = envbuild.ensure_environment(Context.current(), tiny_plan("mlops-tiny"))
    check_tiny(built)
    assert (envbuild.environment_info(Context.current(), "tiny") or {})["installer"] == "pip"
    log = (built.path / "build.log").read_text()
    assert log.startswith("installer: pip (MLOPS_ENV_INSTALLER=pip)\n")
    assert f"$ {sys.executable} -m pip --python " in log and "uv" not in log.split("\n", 1)[1]


def test_what_uv_cannot_honour_builds_with_pip(offline_pip: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIP_PROXY", "http://127.0.0.1:9")  # unused: nothing is fetched from an index
    built = envbuild.ensure_environment(Context.current(), tiny_plan("mlops-tiny"))
    check_tiny(built)
    assert (envbuild.environment_info(Context.current(), "tiny") or {})["installer"] == "pip"
    first = (built.path / "build.log").read_text().splitlines()[0]
    assert first.startswith("installer: pip (pip's configuration sets what uv cannot do the same way: proxy")


def test_a_failing_uv_install_says_what_uv_said(offline_pip: Path) -> None:
    with pytest.raises(AzError) as raised:
        envbuild.ensure_environment(Context.current(), tiny_plan("mlops-no-such-package"))
    assert raised.value.message == "building the environment tiny failed (exit code 1)"
    assert raised.value.hint is not None and raised.value.hint.startswith("uv said:\n")
    assert "mlops-no-such-package" in raised.value.hint and "Traceback" not in raised.value.hint
    assert not (offline_pip / "tiny").exists() and not list(offline_pip.glob(".tmp-*"))  # nothing half-built


def test_installer_choice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    def installer(plan: envbuild.EnvPlan) -> tuple[str, str]:
        chosen = envbuild.plan_install(
            plan, tmp_path / "env", tmp_path / "requirements.txt", dict(os.environ)
        )
        return chosen.installer, chosen.why

    monkeypatch.delenv(envbuild.INSTALLER_ENV, raising=False)
    other_python = envbuild.EnvPlan("k", "3.9", ("six",), (), interpreter="/opt/python3.9/bin/python3.9")
    # another Python keeps its own pip unless uv is forced
    assert installer(other_python) == ("pip", "Python 3.9 installs with its own pip")
    monkeypatch.setenv(envbuild.INSTALLER_ENV, "uv")
    forced = envbuild.plan_install(other_python, tmp_path / "env", tmp_path / "r.txt", {})
    assert forced.installer == "uv" and forced.steps[0][-3:] == (
        "--python",
        other_python.interpreter,
        str(tmp_path / "env"),
    )
    monkeypatch.setattr(envbuild, "uv_binary", lambda: None)
    with pytest.raises(AzError, match="MLOPS_ENV_INSTALLER=uv, but uv is not installed"):
        installer(tiny_plan("six"))
    monkeypatch.setenv(envbuild.INSTALLER_ENV, "auto")
    assert installer(tiny_plan("six")) == ("pip", "uv is not installed")
    monkeypatch.setenv(envbuild.INSTALLER_ENV, "conda")
    with pytest.raises(AzError, match="MLOPS_ENV_INSTALLER='conda' is not one of auto, uv, pip"):
        installer(tiny_plan("six"))
