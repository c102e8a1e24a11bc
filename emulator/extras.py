"""The optional parts of the package (pip extras), and the error that names the one to install.

`pip install mlops-recipes-emulator` alone expands, validates and runs pipelines (the core); each extra
adds what some commands need:

- `azureml`: `az ml …` (azure-ai-ml loads the Azure ML YAML, MLflow is the tracking store and model
  registry), the Azure ML YAML check of `mlops validate`, `mlops ui`, the MLflow part of `mlops report`;
- `docker`: deployments as containers, model packages as images (the Docker SDK; hadolint lints them);
- `png`: `mlops graph -o FILE.png` (cairosvg).

Whether a module is there is asked with `find_spec`, which imports nothing heavy.
"""

from __future__ import annotations

from importlib.util import find_spec

from emulator.errors import MlopsError

DISTRIBUTION = "mlops-recipes-emulator"
# extra -> {module the code imports: the distribution that provides it}
EXTRAS: dict[str, dict[str, str]] = {
    "azureml": {"azure.ai.ml": "azure-ai-ml", "mlflow": "mlflow", "aiohttp": "aiohttp"},
    "docker": {"docker": "docker"},
    "png": {"cairosvg": "cairosvg"},
}


class MissingExtraError(MlopsError):
    """A command needs an extra that is not installed: bad input (exit 2), with the command that fixes it."""

    def __init__(self, extra: str, purpose: str, absent: list[str]) -> None:
        super().__init__(
            f"{purpose} needs the '{extra}' extra: {', '.join(absent)} "
            f"{'is' if len(absent) == 1 else 'are'} not installed",
            None,
            hint=f"pip install {install_spec(extra)}",
        )
        self.extra = extra


def install_spec(extra: str) -> str:
    """What to give pip for `extra`, quoted for a shell."""
    return f"'{DISTRIBUTION}[{extra}]'"


def missing(extra: str, *modules: str) -> list[str]:
    """The distributions of `extra` (of its `modules` only, when given) that cannot be imported here."""
    wanted = EXTRAS[extra]
    return [wanted[m] for m in (modules or tuple(wanted)) if not _importable(m)]


def require(extra: str, purpose: str, *modules: str) -> None:
    """Raise MissingExtraError unless `extra` (or its `modules`) can be imported."""
    absent = missing(extra, *modules)
    if absent:
        raise MissingExtraError(extra, purpose, absent)


def _importable(module: str) -> bool:
    try:
        return find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package is missing, or a module without a spec
        return False
