"""A run's secrets: the values it masks, and the real values behind what its record shows masked.

Azure masks secrets in what it shows (logs, the run's pages), never in the values that flow between
steps, jobs and stages [DOC process/variables.md "Secret variables"]. So the record (which is shown)
holds outputs, output names and the build number masked, while the real values of those that masking
changed live here, with the secret values themselves, in `secrets.json` (mode 0600): for later jobs, and
for a resume. The file is removed when the run ends and can no longer resume.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from emulator.runtime.variables import Masker
from emulator.store.runs import Run


class RunSecrets:
    """What a run keeps secret; thread-safe through the run's lock."""

    def __init__(self, run: Run, queue_secrets: Mapping[str, str], always_masked: Iterable[str] = ()) -> None:
        stored = run.secrets()
        self.run = run
        self.variables: dict[str, str] = {**dict(stored.get("variables") or {}), **queue_secrets}
        self._outputs: dict[str, dict[str, str]] = dict(stored.get("outputs") or {})  # secret outputs
        self._unmasked: dict[str, dict[str, str]] = dict(stored.get("unmaskedOutputs") or {})
        self._values: list[str] = list(stored.get("values") or [])
        self._build_number: str | None = stored.get("buildNumber")
        self.masker = Masker(
            [
                *always_masked,
                *self.variables.values(),
                *self._values,
                *(v for o in self._outputs.values() for v in o.values()),
            ]
        )

    def recorded_outputs(
        self, job: str, outputs: Mapping[str, str], secret_outputs: Mapping[str, str]
    ) -> dict[str, str]:
        """A job's outputs as the record shows them (names and values masked); the real ones are kept
        for the jobs that read them (`outputs_of`)."""
        mask = self.masker
        shown = {mask(k): mask(v) for k, v in outputs.items()}
        changed = {
            k: v for k, v in outputs.items() if k not in secret_outputs and (mask(k), mask(v)) != (k, v)
        }
        with self.run.lock:
            if secret_outputs or changed or job in self._outputs or job in self._unmasked:
                self._outputs[job] = dict(secret_outputs)
                self._unmasked[job] = changed
                self._save()
        return shown

    def outputs_of(self, job: str, recorded: Mapping[str, str]) -> dict[str, str]:
        """A job's outputs with their real names and values."""
        outputs = dict(recorded)
        for real in (self._unmasked.get(job) or {}, self._outputs.get(job) or {}):
            for key, value in real.items():
                outputs.pop(self.masker(key), None)
                outputs[key] = value
        return outputs

    def forget_job(self, job: str) -> None:
        """A job that runs again from its start produces its outputs again."""
        self._outputs.pop(job, None)
        self._unmasked.pop(job, None)

    def remember(self, value: str) -> None:
        """A value a step made secret (`issecret=true`, `task.setsecret`): masked from now on, even
        after a resume."""
        self.masker.add(value)
        with self.run.lock:
            if value not in self._values:
                self._values.append(value)
                self._save()

    def recorded_build_number(self, number: str) -> str:
        """The build number as the record shows it; the real one stays for Build.BuildNumber."""
        shown = self.masker(number)
        with self.run.lock:
            if shown != number or self._build_number is not None:
                self._build_number = number if shown != number else None
                self._save()
        return shown

    def build_number(self, recorded: str | None) -> str | None:
        return self._build_number or recorded

    def forget(self) -> None:
        """The run ended: no secret stays at rest."""
        self.run.forget_secrets()

    def _save(self) -> None:
        self.run.save_secrets(
            {
                "variables": self.variables,
                "outputs": self._outputs,
                "unmaskedOutputs": self._unmasked,
                "values": self._values,
                "buildNumber": self._build_number,
            }
        )
