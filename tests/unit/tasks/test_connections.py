"""service-connections.yml: forms, lookups and the error for an undeclared name."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator.errors import ConfigError, Location, PipelineError
from emulator.tasks import connections


def test_no_file_checks_nothing() -> None:
    conns = connections.load(None)
    assert conns.check("anything", Location("x"), "AzureCLI@2")["checked"] is False


def test_mapping_and_list_forms(tmp_path: Path) -> None:
    path = tmp_path / connections.FILE_NAME
    path.write_text("serviceConnections:\n  Main-Conn:\n    tenantId: t1\n  other: {}\n")
    conns = connections.load(path)
    assert conns.check("main-conn", Location("x"), "AzureCLI@2")["tenantId"] == "t1"
    path.write_text("serviceConnections:\n- plain\n- name: typed\n  type: generic\n")
    conns = connections.load(path)
    assert conns.check("typed", Location("x"), "t")["type"] == "generic"
    assert conns.check("plain", Location("x"), "t")["type"] == "azurerm"
    with pytest.raises(PipelineError) as err:
        conns.check("plian", Location("p.yml", 3, 5), "AzureCLI@2")
    assert "not defined" in err.value.message and "plain" in (err.value.hint or "")


def test_find_and_bad_files(tmp_path: Path) -> None:
    assert connections.find_file([tmp_path]) is None
    path = tmp_path / connections.FILE_NAME
    path.write_text("other: 1\n")
    assert connections.find_file([tmp_path / "nope", tmp_path]) == path
    with pytest.raises(ConfigError):
        connections.load(path)
