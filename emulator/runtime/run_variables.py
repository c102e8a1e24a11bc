"""A run's variables at each scope: predefined, queue-time, secret, and the YAML ones, in the service's order.

Precedence (lowest first) [DOC process/variables.md "Expansion of variables"]: predefined < queue-time <
pipeline YAML < stage YAML < job YAML; queue-time values of YAML-defined variables are not used. `$[ ]`
values are evaluated in order with what is known so far; the agent adds its own variables when a job
starts [DOC build/variables.md, predefined variables].
"""

from __future__ import annotations

import platform
import re
import socket
import uuid
import zlib
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from emulator.errors import ExpressionError
from emulator.expressions import CaseInsensitiveDict, EvalContext, evaluate_text, to_string
from emulator.model import Pipeline, ScopeVariable, Stage, VariableGroup
from emulator.plan import RuntimeJob, RuntimeStep
from emulator.runtime.counters import Counters
from emulator.runtime.secrets import RunSecrets
from emulator.runtime.variables import VariableSet
from emulator.runtime.workspace import Workspace
from emulator.store.runs import Run

if TYPE_CHECKING:
    from emulator.runtime.engine import RunOptions

ACCESS_TOKEN = "local-emulator-access-token"  # System.AccessToken: a secret, mapped only through env:


def text_of(value: Any) -> str:
    return value if isinstance(value, str) else to_string(value)


class RunVariables:
    """The variables of one run (one execution of it: resume builds a new one)."""

    def __init__(
        self,
        run: Run,
        pipeline: Pipeline,
        options: RunOptions,
        counters: Counters,
        secrets: RunSecrets,
        pipeline_context: Callable[[], CaseInsensitiveDict],
    ) -> None:
        self.run = run
        self.pipeline = pipeline
        self.options = options
        self.counters = counters
        self.secrets = secrets
        self.pipeline_context = pipeline_context
        self._predefined: tuple[tuple[Any, ...], dict[str, str]] | None = None
        self._machine = (platform.system(), platform.machine().lower(), socket.gethostname())

    @staticmethod
    def view(vs: VariableSet) -> CaseInsensitiveDict:
        """What `variables['x']` reads in an expression."""
        return CaseInsensitiveDict(vs.as_dict())

    def run_scope(self) -> VariableSet:
        """Predefined < queue-time < pipeline YAML [DOC variables.md "Expansion of variables"]."""
        vs = VariableSet()
        vs.update(self.predefined().items(), readonly=True)
        vs.set("System.Debug", "false")
        vs.set("System.AccessToken", ACCESS_TOKEN, secret=True, readonly=True)
        vs.update(self.options.queue_variables.items())
        for name, value in self.secrets.variables.items():
            vs.set(name, value, secret=True)
        self.apply(vs, self.pipeline.variables, {"pipeline": self.pipeline_context()})
        return vs

    def stage_scope(self, stage: Stage, named: Mapping[str, Any]) -> VariableSet:
        vs = self.run_scope()
        for name, value in {
            "System.StageName": stage.name,
            "System.StageDisplayName": stage.display_name,
            "System.StageAttempt": "1",
            "System.StageId": self.uuid(stage.name),
        }.items():
            vs.set(name, value, readonly=True)
        self.apply(vs, stage.variables, named)
        return vs

    def apply(
        self,
        vs: VariableSet,
        variables: tuple[ScopeVariable, ...],
        named: Mapping[str, Any],
        static_only: bool = False,
    ) -> None:
        """Set a scope's variables in order; `$[ ]` values are evaluated with what is known so far; a
        variable group's variables take the group's place in the list."""
        for var in variables:
            if isinstance(var, VariableGroup):
                self.options.variable_groups.apply(vs, var)
                continue
            value = text_of(var.value)
            stripped = value.strip()
            if stripped.startswith("$[") and stripped.endswith("]"):
                if static_only:
                    continue
                loc = var.location.shifted(2)
                context = EvalContext({**named, "variables": self.view(vs)}, self.counters.functions(), loc)
                value = to_string(evaluate_text(stripped[2:-1], context, loc))
            if vs.is_readonly(var.name) and var.name.lower() not in ("system.debug",):
                continue
            vs.set(var.name, value, readonly=var.readonly, location=var.location)

    def queue_time_warnings(self) -> None:
        """Queue-time values lose to YAML-defined ones [DOC variables.md "Allow at queue time"]."""
        scopes = [self.pipeline.variables, *(s.variables for s in self.pipeline.stages),
                  *(j.variables for s in self.pipeline.stages for j in s.jobs)]
        yaml_names = {v.name.lower() for scope in scopes for v in scope if not isinstance(v, VariableGroup)}
        warnings = self.run.data.setdefault("warnings", [])
        for name in self.options.queue_variables:
            if name.lower() in yaml_names:
                text = (
                    f"Variable '{name}' is defined in the YAML, so its queue-time value is not used "
                    "(YAML-defined variables can't be overridden at queue time)"
                )
                if text not in warnings:
                    warnings.append(text)

    def uuid(self, *parts: str) -> str:
        return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(["mlops", self.run.id, *parts])))

    def predefined(self) -> dict[str, str]:
        """The service's predefined variables (computed once per build number: every stage reads them)."""
        data = self.run.data
        key = (data.get("buildNumber"), data.get("startedAt"), (data.get("git") or {}).get("branch"))
        if self._predefined is None or self._predefined[0] != key:
            self._predefined = (key, self._compute_predefined())
        return dict(self._predefined[1])

    def _compute_predefined(self) -> dict[str, str]:
        data = self.run.data
        git = data.get("git") or {}
        branch = git.get("branch") if git.get("branch") not in (None, "", "HEAD") else "main"
        repo = self.options.repo_root
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
            "Build.RequestedFor": self.options.requester,
            "Build.RequestedForId": self.options.requester,
            "Build.RequestedForEmail": "",
            "Build.QueuedBy": self.options.requester,
            "Build.QueuedById": self.options.requester,
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
            "Agent.HomeDirectory": str(self.options.home),
            "TF_BUILD": "True",
        }

    def build_number(self) -> str:
        """The run's name from the pipeline's `name:` (default `$(Date:yyyyMMdd).$(Rev:r)`)
        [DOC process/run-number.md]: date tokens, `$(Rev:r)` counted per distinct name, variables."""
        from emulator.expressions.values import format_datetime_custom

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
            "sourcebranchname": self.predefined()["Build.SourceBranchName"],
        }
        text = re.sub(r"\$\(([A-Za-z:]+)\)", lambda m: simple.get(m.group(1).lower(), m.group(0)), text)
        rev = re.search(r"\$\(Rev:(r+)\)", text)
        if rev:
            value = self.counters.next(text, 1, kind="rev")
            text = text.replace(rev.group(0), f"{value:0{len(rev.group(1))}d}")
        vs = VariableSet()
        vs.update(self.predefined().items())
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

