"""A new state folder's MLflow store starts as a copy of an empty store at MLflow's newest schema.

Migrating a new sqlite store costs about half a second of every new state folder; the copy must be
the store MLflow would have made itself (same tables, same schema revision), each state folder's own,
and a damaged copy source must never reach a store.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from emulator.azureml.assets import tracking
from emulator.azureml.context import Context

pytestmark = pytest.mark.integration  # imports MLflow


def _context(home: Path, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.setenv("MLOPS_HOME", str(home))
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    return Context.current()


def _schema(db: Path) -> tuple[set[str], str]:
    with sqlite3.connect(db) as conn:
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        (revision,) = conn.execute("SELECT version_num FROM alembic_version").fetchone()
    return tables, str(revision)


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path / "cache" / "mlops-emulator" / "mlflow"


def test_a_seeded_store_is_the_one_mlflow_migrates_itself(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.tracking import MlflowClient

    seeded = _context(tmp_path / "seeded", monkeypatch)
    tracking.client(seeded).create_experiment("credit", artifact_location=(tmp_path / "a").as_uri())
    templates = list(cache.glob("empty-*.db"))
    assert len(templates) == 1, templates

    migrated = tmp_path / "migrated.db"  # what MLflow makes of a new store on its own
    MlflowClient(tracking_uri=f"sqlite:///{migrated}").search_experiments()
    assert _schema(seeded.home / "mlflow.db") == _schema(migrated)

    other = _context(tmp_path / "other", monkeypatch)
    made = tracking.client(other)
    assert made.get_experiment_by_name("credit") is None  # each state folder has its own store
    assert made.get_experiment_by_name("Default") is not None  # MLflow's own start state
    assert list(cache.glob("empty-*.db")) == templates  # made once, then copied


def test_a_damaged_template_is_made_again_not_copied(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tracking.client(_context(tmp_path / "first", monkeypatch))
    (template,) = cache.glob("empty-*.db")
    template.write_bytes(b"half a file")
    ctx = _context(tmp_path / "second", monkeypatch)
    tracking.client(ctx).create_experiment("credit")
    assert template.read_bytes().startswith(b"SQLite format 3\x00")
    assert "experiments" in _schema(ctx.home / "mlflow.db")[0]


def test_an_existing_store_is_never_replaced(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ctx = _context(tmp_path / "state", monkeypatch)
    tracking.client(ctx).create_experiment("kept")
    tracking.client(ctx)  # a later call opens the store as it is
    assert tracking.client(ctx).get_experiment_by_name("kept") is not None


def test_only_a_sqlite_file_store_is_seeded(
    tmp_path: Path, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLOPS_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite://")  # in memory: no file to start from
    tracking.client(Context.current())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["state"] and not cache.exists()
