"""Where the repositories a pipeline uses live on this machine.

Azure fetches `resources.repositories` (templates `file@alias`, `checkout: alias`) and inline
`checkout: git://Project/Repo` repositories itself; the emulator never fetches anything, so each one
maps to a local folder: `--repo ALIAS=PATH` on the command line, or a `repositories.yml` beside the
pipeline (or in the repository's `mlops_pipelines/`), which `mlops init` writes:

    repositories:
      mlops-templates: ../mlops-templates     # relative to this file
      MyProject/Tools: /src/tools             # an inline git://MyProject/Tools checkout

`--repo` wins over the file. The folder's working tree is used as it is (a `ref:` is not checked out).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from emulator import schemacheck
from emulator.errors import ConfigError, Location, MlopsError, PipelineError, did_you_mean
from emulator.model import Pipeline, Repository, checkout_key
from emulator.runtime.workspace import repo_flag
from emulator.yamlio import YMap, display_path, load_file, location_of

FILE_NAME = "repositories.yml"


def find_file(pipeline: Path, repo_root: Path) -> Path | None:
    """repositories.yml beside the pipeline, else in the repository's mlops_pipelines/."""
    return schemacheck.find_beside(pipeline, repo_root, FILE_NAME)


def load(path: Path | None) -> dict[str, Path]:
    """Alias (or `Project/Repo`) -> folder, relative paths taken from the file's folder."""
    if path is None:
        return {}
    display = display_path(path)
    doc = load_file(path, display=display, text_scalars=True)
    root = doc.get("repositories") if isinstance(doc, YMap) else None
    if not isinstance(root, YMap) or any(k != "repositories" for k in doc):
        raise ConfigError(
            f"{display} must hold one mapping, 'repositories:'",
            location_of(doc) or Location(display, 1, 1),
            expected="repositories:\n  ALIAS: path/to/folder",
        )
    out: dict[str, Path] = {}
    for alias, folder in root.items():
        if not isinstance(folder, str) or not folder.strip():
            raise ConfigError(
                f"Repository '{alias}' in {display} needs a folder",
                root.key_loc(alias),
                expected=f"{alias}: path/to/folder",
            )
        out[str(alias)] = (path.parent / folder).resolve()
    return out


def merged(from_file: Mapping[str, Path], given: Mapping[str, Path]) -> dict[str, Path]:
    """The file's mappings with `--repo` ones over them (aliases compared ignoring case)."""
    out = {k.lower(): v for k, v in from_file.items()}
    out.update({k.lower(): Path(v).resolve() for k, v in given.items()})
    return out


def folder_of(repo: Repository, mapping: Mapping[str, Path]) -> Path | None:
    """The local folder of a repository: by alias, or for an inline one by `Project/Repo` too."""
    keys = [repo.alias.lower()]
    if repo.alias.lower().startswith("git://"):
        keys.append(repo.name.lower())
    return next((mapping[k] for k in keys if k in mapping), None)


def checkout_folders(pipeline: Pipeline, mapping: Mapping[str, Path]) -> dict[str, Path]:
    """Lower-case alias -> folder of every repository the pipeline knows and the mapping names."""
    out: dict[str, Path] = {}
    for key, repo in pipeline.repositories.items():
        folder = folder_of(repo, mapping)
        if folder is not None:
            out[key] = folder
    return out


def check_checkouts(
    pipeline: Pipeline, mapping: Mapping[str, Path]
) -> tuple[list[MlopsError], list[MlopsError]]:
    """Located problems of checkout steps: (undeclared repositories, which the service refuses;
    repositories with no local folder, which only stop a local run)."""
    undeclared: list[MlopsError] = []
    unmapped: list[MlopsError] = []
    seen: set[str] = set()
    for stage in pipeline.stages:
        for job in stage.jobs:
            for step in job.all_steps():
                target = (step.checkout or "").strip()
                key = checkout_key(target)
                if key in ("", "self", "none", *seen):
                    continue
                seen.add(key)
                repo = pipeline.repositories.get(key)
                if repo is None:
                    declared = [r.alias for r in pipeline.repositories.values()]
                    undeclared.append(
                        PipelineError(  # the service's words [Azure/sap-automation#478]
                            f"Checkout of repository '{target}' is not supported. Only 'self', 'none', or a "
                            "repository alias are supported.",
                            step.location,
                            hint=did_you_mean(target, declared)
                            or f"declare it under resources.repositories "
                            f"with 'repository: {target}', or use checkout: git://Project/Repo",
                        )
                    )
                    continue
                folder = folder_of(repo, mapping)
                if folder is None:
                    unmapped.append(
                        PipelineError(
                            f"Repository '{repo.alias}' ({repo.name}) is checked out but has no local folder",
                            step.location,
                            hint=f"add {repo_flag(repo)} (or list it in {FILE_NAME}); the emulator never "
                            "fetches repositories",
                        )
                    )
                elif not folder.is_dir():
                    unmapped.append(
                        PipelineError(
                            f"Repository '{repo.alias}' maps to {folder}, which is not a folder",
                            step.location,
                            hint=f"fix {repo_flag(repo)} or {FILE_NAME}",
                        )
                    )
    return undeclared, unmapped
