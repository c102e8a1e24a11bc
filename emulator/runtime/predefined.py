"""Predefined variables: the service's for a run, the agent's for a job and a lifecycle hook, and the
build number (the run's name) [DOC build/variables.md; process/run-number.md].

They are read-only in every scope and computed from the run's record, so a resumed run sees the same
values; the ids are UUIDs derived from the run's id and the names they stand for.
"""

from __future__ import annotations

import platform
import re
import socket
import uuid
import zlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from emulator.errors import ExpressionError
from emulator.expressions.values import format_datetime_custom
from emulator.model import Pipeline, Stage, VariableGroup
from emulator.plan import RuntimeJob, RuntimeStep
from emulator.runtime.counters import Counters
from emulator.runtime.secrets import RunSecrets
from emulator.runtime.variables import VariableSet, text_of
from emulator.runtime.workspace import Workspace
from emulator.store.runs import Run

ACCESS_TOKEN = "local-emulator-access-token"  # System.AccessToken: a secret, mapped only through env:


class Predefined:
    """The predefined variables of one run (one execution of it: resume builds a new one)."""

    def __init__(
        self,
        run: Run,
        pipeline: Pipeline,
        repo_root: Path,
        requester: str,
        home: Path,
        counters: Counters,
        secrets: RunSecrets,
    ) -> None:
        self.run = run
        self.pipeline = pipeline
        self.repo_root = repo_root
        self.requester = requester
        self.home = home
        self.counters = counters
        self.secrets = secrets
        self._values: tuple[tuple[Any, ...], dict[str, str]] | None = None
        self._machine = (platform.system(), platform.machine().lower(), socket.gethostname())

    def uuid(self, *parts: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(["mlops", self.run.id, *parts])))

    def values(self) -> dict[str, str]:
        """The service's predefined variables (computed once per build number: every stage reads them)."""
        data = self.run.data
        key = (data.get("buildNumber"), data.get("startedAt"), (data.get("git") or {}).get("branch"))
        if self._values is None or self._values[0] != key:
            self._values = (key, self._compute())
        return dict(self._values[1])

    def _compute(self) -> dict[str, str]:
        data = self.run.data
        git = data.get("git") or {}
        branch = git.get("branch") if git.get("branch") not in (None, "", "HEAD") else "main"
        repo = self.repo_root
        system, machine, hostname = self._machine
        return {
            "Build.BuildId": self.run.id,
            "Build.BuildNumber": str(self.secrets.build_number(data.get("buildNumber")) or self.run.id),
            "Build.BuildUri": f"vstfs:///Build/Build/{self.run.id}",
            "Build.DefinitionName": data.get("definitionName", ""),
            "Build.DefinitionVersion": "1",
            "Build.Reason": "Manual",
            "Build.SourceBranch": f"refs/heads/{branch}",
            "Build.SourceBranchName": str(branch).split("/")[-1],
            "Build.SourceVersion": git.get("commit") or "",
            "Build.SourceVersionMessage": git.get("message") or "",
            "Build.Repository.Name": repo.name,
            "Build.Repository.ID": self.uuid("repository"),
            "Build.Repository.Provider": "TfsGit",
            "Build.Repository.Uri": repo.as_uri(),
            "Build.RequestedFor": self.requester,
            "Build.RequestedForId": self.requester,
            "Build.RequestedForEmail": "",
            "Build.QueuedBy": self.requester,
            "Build.QueuedById": self.requester,
            "System.TeamProject": "local",
            "System.TeamProjectId": self.uuid("project"),
            "System.CollectionUri": "https://dev.azure.com/local/",
            "System.TeamFoundationCollectionUri": "https://dev.azure.com/local/",
            "System.CollectionId": self.uuid("collection"),
            "System.DefinitionId": "1",
            "System.DefinitionName": data.get("definitionName", ""),
            "System.HostType": "build",
            "System.ServerType": "Hosted",
            "System.PlanId": self.uuid("plan"),
            "System.IsScheduled": "False",
            "System.PipelineStartTime": str(data.get("startedAt") or ""),
            "System.JobAttempt": "1",
            "System.PhaseAttempt": "1",
            "Agent.OS": {"Linux": "Linux", "Darwin": "Darwin", "Windows": "Windows_NT"}.get(system, "Linux"),
            "Agent.OSArchitecture": {
                "x86_64": "X64",
                "amd64": "X64",
                "aarch64": "ARM64",
                "arm64": "ARM64",
            }.get(machine, machine.upper()),
            "Agent.Name": "mlops-local",
            "Agent.MachineName": hostname,
            "Agent.Id": "1",
            "Agent.Version": "4.0.0",
            "Agent.HomeDirectory": str(self.home),
            "TF_BUILD": "True",
        }

    def build_number(self) -> str:
        """The run's name from the pipeline's `name:` (default `$(Date:yyyyMMdd).$(Rev:r)`)
        [DOC process/run-number.md]: date tokens, `$(Rev:r)` counted per distinct name, variables."""
        fmt = self.pipeline.name or "$(Date:yyyyMMdd).$(Rev:r)"
        now = datetime.now(UTC)

        def date(m: re.Match[str]) -> str:
            try:
                return format_datetime_custom(now, m.group(1))
            except ExpressionError:
                return m.group(0)

        text = re.sub(r"\$\(Date:([^)]+)\)", date, fmt)
        simple = {
            "dayofmonth": f"{now.day}",
            "dayofyear": f"{now.timetuple().tm_yday}",
            "hours": f"{now.hour}",
            "minutes": f"{now.minute}",
            "month": f"{now.month}",
            "seconds": f"{now.second}",
            "year:yy": f"{now.year % 100:02d}",
            "year:yyyy": f"{now.year}",
            "builddefinitionname": str(self.run.data.get("definitionName", "")),
            "buildid": self.run.id,
            "teamproject": "local",
            "sourcebranchname": self.values()["Build.SourceBranchName"],
        }
        text = re.sub(r"\$\(([A-Za-z:]+)\)", lambda m: simple.get(m.group(1).lower(), m.group(0)), text)
        rev = re.search(r"\$\(Rev:(r+)\)", text)
        if rev:
            value = self.counters.next(text, 1, kind="rev")
            text = text.replace(rev.group(0), f"{value:0{len(rev.group(1))}d}")
        vs = VariableSet()
        vs.update(self.values().items())
        for var in self.pipeline.variables:
            if not isinstance(var, VariableGroup):
                vs.set(var.name, text_of(var.value), location=var.location)
        text = vs.expand(text)
        return re.sub(r'["/:<>\\|?@*]', "_", text).strip() or self.run.id

    def agent(self, vs: VariableSet, stage: Stage, rjob: RuntimeJob, ws: Workspace) -> None:
        """What the agent sets when the job starts [DOC predefined variables]; read-only."""
        root = str(ws.root)
        job = rjob.job
        values = {
            "Pipeline.Workspace": root,
            "Agent.BuildDirectory": root,
            "Agent.WorkFolder": str(ws.root.parent),
            "Agent.TempDirectory": str(ws.temp),
            "Agent.ToolsDirectory": str(ws.root.parent / "_tool"),
            "Agent.JobName": rjob.display_name,
            "Agent.JobStatus": "Succeeded",
            "Build.SourcesDirectory": str(ws.sources),
            "Build.Repository.LocalPath": str(ws.sources),
            "System.DefaultWorkingDirectory": str(ws.sources),
            "Build.ArtifactStagingDirectory": str(ws.staging),
            "Build.StagingDirectory": str(ws.staging),
            "System.ArtifactsDirectory": str(ws.staging),
            "Build.BinariesDirectory": str(ws.binaries),
            "Common.TestResultsDirectory": str(ws.test_results),
            "System.JobName": rjob.leg,
            "System.JobDisplayName": rjob.display_name,
            "System.JobId": self.uuid(stage.name, rjob.name),
            "System.JobIdentifier": rjob.identifier,
            "System.JobPositionInPhase": str(rjob.position),
            "System.TotalJobsInPhase": str(rjob.total),
            "System.PhaseName": job.name,
            "System.PhaseDisplayName": job.display_name,
            "System.PhaseId": self.uuid(stage.name, job.name),
        }
        if job.environment is not None:
            env = job.environment
            values.update(
                {
                    "Environment.Name": env.name,
                    "Environment.Id": str(zlib.crc32(env.name.lower().encode()) % 10000),
                    "Environment.ResourceName": env.resource_name or "",
                    "Environment.ResourceId": env.resource_name
                    and self.uuid("resource", env.resource_name)
                    or "",
                    "Strategy.Name": job.strategy or "runOnce",
                    "Strategy.Action": "deploy",
                }
            )
        for name, value in values.items():
            vs.set(name, value, readonly=True)

    @staticmethod
    def hook(vs: VariableSet, rjob: RuntimeJob, first: RuntimeStep) -> None:
        """Per lifecycle hook: its job name (output prefix), the canary increment, the rolling target."""
        vs.set("System.JobName", first.job_name, readonly=True)
        cycle = {"preDeploy": "PreIteration", "on.success": "PostIteration", "on.failure": "PostIteration"}
        vs.set("Strategy.CycleName", cycle.get(first.hook or "", "Iteration"), readonly=True)
        if rjob.job.strategy == "canary" and first.iteration is not None:
            vs.set("Strategy.Increment", first.iteration, readonly=True)
        if rjob.job.strategy == "rolling" and first.iteration is not None:
            vs.set("Environment.ResourceName", first.iteration, readonly=True)
