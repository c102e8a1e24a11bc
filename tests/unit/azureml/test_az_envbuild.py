"""The isolated-environment cache: one build per spec, atomic, never reusing a crashed build."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from emulator.azureml.compute import envbuild
from emulator.azureml.context import Context
from emulator.azureml.errors import AzError


def fake_build(calls: list[str], fail: bool = False):  # type: ignore[no-untyped-def]
    def build(plan: envbuild.EnvPlan, folder: Path, log: object) -> None:
        calls.append(folder.name)
        (folder / "bin").mkdir(parents=True)
        time.sleep(0.3)
        if fail:
            raise AzError("pip failed")

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
