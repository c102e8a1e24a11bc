"""The built-in tasks."""

from __future__ import annotations

from emulator.tasks import artifacts, scripts
from emulator.tasks.base import Registry

BUILTIN = {
    "CmdLine@2": scripts.cmdline,
    "Bash@3": scripts.bash,
    "AzureCLI@2": scripts.azure_cli,
    "PublishPipelineArtifact@1": artifacts.publish,
    "DownloadPipelineArtifact@2": artifacts.download,
}


def default_registry() -> Registry:
    return Registry(BUILTIN)
