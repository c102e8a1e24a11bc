"""Errors of the emulated `az`: members of the project's error family that also carry az's exit code."""

from __future__ import annotations

from emulator.errors import Location, MlopsError


class AzError(MlopsError):
    """A failed `az` command; az exits 1 for most failures."""

    exit_code = 1


class AzArgumentError(AzError):
    """Bad command line (unknown command or argument, missing required argument); az exits 2."""

    exit_code = 2


class AzNotFoundError(AzError):
    """The named resource (job, model, endpoint…) does not exist in the emulated workspace."""


class AzSpecError(AzError):
    """An Azure ML YAML file does not load or validate; carries the file and the field's position."""

    def __init__(
        self,
        message: str,
        location: Location | None = None,
        *,
        expected: str | None = None,
        hint: str | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message, location, expected=expected, hint=hint)
        self.field = field


class AzNotEmulatedError(AzError):
    """A feature Azure ML has that the emulator does not reproduce (yet)."""


class JobFailedError(AzError):
    """The job's command exited non-zero."""
