"""Azure ML's curated environments, which no local workspace holds, stood in for by local equivalents.

A job or deployment may name an environment Azure ML provides: `azureml:AzureML-sklearn-1.0-ubuntu20.04-
py38-cpu@latest` (a workspace's curated environment, at a version or `@latest`) or
`azureml://registries/azureml/environments/sklearn-1.5/labels/latest` (the `azureml` registry, at
`/versions/<v>` or `/labels/latest`). Their images cannot be pulled here, so each known one resolves to
an environment built from what its image's conda specification contains (`curated-environments.yml`),
and the substitution is stated in the log; any other is refused with what to write instead.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from emulator.azureml.errors import AzNotEmulatedError
from emulator.errors import Location

CATALOG = Path(__file__).with_name("curated-environments.yml")
REGISTRY = "azureml"
PREFIX = "AzureML-"
_REGISTRY_RE = re.compile(
    r"^azureml://registries/(?P<registry>[^/]+)/environments/(?P<name>[^/]+)"
    r"(?:/versions/(?P<version>[^/]+)|/labels/(?P<label>[^/]+))?/?$"
)
_WORKSPACE_RE = re.compile(
    r"^(?:azureml:)?(?P<name>AzureML-[A-Za-z0-9_.-]+?)(?::(?P<version>[^:@/]+)|@(?P<label>[^:@/]+))?$"
)
_REGISTER_HINT = (
    "register an equivalent in the workspace (`az ml environment create --file env.yml` with `image:` and a "
    "`conda_file:` listing what the code imports) and reference it as azureml:<name>@latest"
)


@dataclass(frozen=True)
class Curated:
    """A curated environment's local equivalent: its Python and the packages its image installs."""

    key: str
    names: tuple[str, ...]
    image: str
    python: str
    packages: tuple[str, ...]
    left_out: tuple[str, ...]

    @property
    def conda(self) -> dict[str, Any]:
        pip = {"pip": list(self.packages)}
        return {"name": self.key, "dependencies": [f"python={self.python}", "pip", pip]}

    def substitution(self, reference: str) -> str:
        """The log line that says what runs instead of the curated image."""
        return (
            f"curated environment {reference} is not available offline: it runs in a local equivalent "
            f"built from what its image ({self.image}) contains: Python {self.python} with "
            f"{', '.join(self.packages)} (left out: {', '.join(self.left_out)}, which serve Azure's own "
            "tooling)"
        )


@functools.lru_cache(maxsize=1)
def catalog() -> dict[str, Curated]:
    """Every known curated environment by each of its names (registry name and workspace names)."""
    data = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))
    known: dict[str, Curated] = {}
    for key, entry in (data.get("environments") or {}).items():
        curated = Curated(
            key=str(key),
            names=tuple(str(n) for n in entry.get("names") or ()),
            image=str(entry["image"]),
            python=str(entry["python"]),
            packages=tuple(str(p) for p in entry["packages"]),
            left_out=tuple(str(p) for p in entry.get("left_out") or ()),
        )
        for name in (curated.key, *curated.names):
            known[name.lower()] = curated
    return known


def is_curated_reference(reference: str) -> bool:
    """Whether `reference` names an environment Azure ML provides (a registry's, or `AzureML-…`)."""
    text = reference.strip()
    return text.startswith("azureml://registries/") or bool(_WORKSPACE_RE.match(text))


def _known() -> str:
    seen: list[str] = []
    for curated in catalog().values():
        label = f"{curated.key} ({', '.join(curated.names)})"
        if label not in seen:
            seen.append(label)
    return "; ".join(seen)


def resolve_curated(reference: str, location: Location | None = None) -> Curated:
    """The local equivalent of a curated environment reference; refused with what to write instead."""
    text = reference.strip()
    registry_match = _REGISTRY_RE.match(text)
    workspace_match = _WORKSPACE_RE.match(text)
    match = registry_match or workspace_match
    if match is None:
        raise AzNotEmulatedError(
            f"environment reference {reference!r} names no environment the emulator knows how to read",
            location,
            expected="azureml://registries/<registry>/environments/<name>/versions/<version> "
            "(or /labels/latest), or azureml:AzureML-<name>@latest",
            hint=_REGISTER_HINT,
        )
    if registry_match is not None and registry_match.group("registry") != REGISTRY:
        raise AzNotEmulatedError(
            f"environment {reference!r} is in registry {registry_match.group('registry')!r}: registries "
            f"other than Azure ML's own ({REGISTRY!r}) are not emulated",
            location,
            hint=_REGISTER_HINT,
        )
    label = match.group("label")
    if label is not None and label != "latest":
        raise AzNotEmulatedError(
            f"environment {reference!r}: label {label!r} is not emulated for curated environments",
            location,
            expected="/labels/latest (a registry's) or @latest (a workspace's), or a version",
        )
    curated = catalog().get(match.group("name").lower())
    if curated is None:
        raise AzNotEmulatedError(
            f"curated environment {match.group('name')!r} has no local equivalent in the emulator",
            location,
            expected=f"one of: {_known()}",
            hint=_REGISTER_HINT,
        )
    return curated
