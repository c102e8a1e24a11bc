"""`service-connections.yml`: the service connections a pipeline may name, checked before a task runs.

In Azure DevOps a task input such as AzureCLI@2's `azureSubscription` names a service connection
defined in the project settings (not in YAML); an unknown name fails the run. Locally the names live
in a file `service-connections.yml`, looked up beside the environments file, beside the pipeline, then
in the repository's `mlops_pipelines/`:

    serviceConnections:
      aml-workspace-connection:          # the name pipelines use
        type: azurerm                    # optional (azurerm is the default)
        subscriptionId: 00000000-0000-0000-0000-000000000000   # optional, shown to scripts
        tenantId: 00000000-0000-0000-0000-000000000000         # optional
      other-connection: {}

(`serviceConnections:` may also be a list of names or of `{name: …, type: …}` items.) With no such
file, names are not checked (a line in the step's log says so).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import ConfigError, Location, PipelineError, did_you_mean
from emulator.yamlio import load_file, location_of, plain

FILE_NAME = "service-connections.yml"


@dataclass(frozen=True)
class Connections:
    """Declared connections by lower-case name (None: no file, nothing is checked)."""

    entries: Mapping[str, Mapping[str, Any]] | None
    source: str | None = None
    names: tuple[str, ...] = field(default=())

    def check(self, name: str, location: Location, task: str) -> Mapping[str, Any]:
        """The connection's settings; raises a located error for a name that is not declared."""
        if self.entries is None:
            return {"name": name, "type": "azurerm", "checked": False}
        found = self.entries.get(name.strip().lower())
        if found is None:
            raise PipelineError(
                f"Service connection '{name}' (used by {task}) is not defined in {self.source}",
                location,
                expected="one of: " + (", ".join(self.names) or "(none declared)"),
                hint=did_you_mean(name, list(self.names))
                or f"declare it under serviceConnections: in {self.source}",
            )
        return {**found, "checked": True}


UNCHECKED = Connections(None)


def find_file(candidates: list[Path]) -> Path | None:
    for folder in candidates:
        path = folder / FILE_NAME
        if path.is_file():
            return path
    return None


def for_pipeline(pipeline: Path | None, environments: Path | None, repo_root: Path) -> Connections:
    """The connections a pipeline may name: the file beside its environments file, beside the
    pipeline, or in the repository's `mlops_pipelines/`."""
    folders = [p.parent for p in (environments, pipeline) if p is not None]
    return load(find_file([*folders, repo_root / "mlops_pipelines"]))


def load(path: Path | None) -> Connections:
    if path is None:
        return UNCHECKED
    doc = load_file(path)
    root = doc.get("serviceConnections") if isinstance(doc, dict) else None
    loc = location_of(doc) or Location(str(path))
    if root is None:
        raise ConfigError(
            f"{path} has no 'serviceConnections:'",
            loc,
            expected="serviceConnections:\n  my-connection:\n    type: azurerm",
        )
    items: list[tuple[str, dict[str, Any]]] = []
    if isinstance(root, dict):
        for name, settings in plain(root).items():
            items.append((str(name), dict(settings or {}) if isinstance(settings, dict) else {}))
    elif isinstance(root, list):
        for item in plain(root):
            if isinstance(item, str):
                items.append((item, {}))
            elif isinstance(item, dict) and item.get("name"):
                items.append((str(item["name"]), {k: v for k, v in item.items() if k != "name"}))
            else:
                raise ConfigError(f"A service connection in {path} needs a name", loc)
    else:
        raise ConfigError(f"'serviceConnections' in {path} must be a mapping or a list", loc)
    entries = {
        name.lower(): {"name": name, "type": str(settings.get("type", "azurerm")), **settings}
        for name, settings in items
    }
    return Connections(entries, str(path), tuple(name for name, _ in items))
