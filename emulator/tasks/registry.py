"""The built-in tasks (`Name@major`); others come from the `mlops.tasks` entry-point group."""

from __future__ import annotations

from collections.abc import Mapping

from emulator.tasks import archive, artifacts, coverage, docker, files, python, scripts, testresults
from emulator.tasks.base import Registry, Task

BUILTIN: dict[str, Task] = {
    "CmdLine@2": scripts.cmdline,
    "Bash@3": scripts.bash,
    "AzureCLI@1": scripts.azure_cli,
    "AzureCLI@2": scripts.azure_cli,
    "ShellScript@2": scripts.shell_script,
    "PythonScript@0": scripts.python_script,
    "UsePythonVersion@0": python.use_python_version,
    "CopyFiles@2": files.copy_files,
    "ArchiveFiles@2": archive.archive_files,
    "PublishCodeCoverageResults@1": coverage.publish_code_coverage,
    "PublishCodeCoverageResults@2": coverage.publish_code_coverage,
    "Docker@2": docker.docker,
    "PublishTestResults@2": testresults.publish_test_results,
    "PublishPipelineArtifact@1": artifacts.publish,
    "PublishBuildArtifacts@1": artifacts.publish_build,
    "DownloadPipelineArtifact@2": artifacts.download,
}


def default_registry(standins: Mapping[str, Task] | None = None, policy: str = "fail") -> Registry:
    return Registry(BUILTIN, standins, policy)
