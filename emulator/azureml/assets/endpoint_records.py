"""Endpoint records, online and batch alike: `<root>/<endpoint>/endpoint.json`, and each deployment's
`<root>/<endpoint>/deployments/<name>/deployment.json` beside the files it owns."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from emulator.azureml.assets.records import Record, RecordStore
from emulator.azureml.context import Context
from emulator.azureml.errors import AzNotFoundError


@dataclass(frozen=True)
class EndpointRecords:
    """The endpoints of one kind (`online`, `batch`) and their deployments."""

    kind: str
    root: Path

    @classmethod
    def online(cls, ctx: Context) -> EndpointRecords:
        return cls("online", ctx.azureml / "endpoints")

    @classmethod
    def batch(cls, ctx: Context) -> EndpointRecords:
        return cls("batch", ctx.azureml / "batch-endpoints")

    @property
    def endpoints(self) -> RecordStore:
        """Endpoint records: private files (0600), as they hold the endpoint's keys."""
        kind = self.kind
        return RecordStore(
            self.root,
            "endpoint.json",
            lambda name: AzNotFoundError(
                f"{kind} endpoint {name!r} was not found in the emulated workspace",
                hint=f"create it with `az ml {kind}-endpoint create --file <endpoint.yml>`",
            ),
            mode=0o600,
        )

    def deployments(self, endpoint: str) -> RecordStore:
        kind = self.kind
        return RecordStore(
            self.root / endpoint / "deployments",
            "deployment.json",
            lambda name: AzNotFoundError(
                f"deployment {name!r} was not found under {kind} endpoint {endpoint!r}",
                hint=f"list them with `az ml {kind}-deployment list -e {endpoint}`",
            ),
        )

    def load_deployment(self, endpoint: str, name: str) -> Record:
        """The deployment's record (the endpoint must exist first)."""
        self.endpoints.load(endpoint)
        return self.deployments(endpoint).load(name)
