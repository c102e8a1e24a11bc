"""`tasks.yml`: local stand-ins for tasks the emulator cannot run (Marketplace tasks, tasks that talk to
services outside this machine), the same spirit as environments.yml: what the project keeps outside its
pipeline YAML. Looked up beside the pipeline, then in the repository's `mlops_pipelines/`, or given with
`--tasks FILE`; its schema is standins.schema.json beside this module:

    tasks:
      TerraformTaskV2@2:
        script: |                   # bash, in $(System.DefaultWorkingDirectory); inputs as INPUT_<NAME>
          echo "terraform $INPUT_COMMAND (stand-in)"
        outputs:                    # set when the step ends (output variables when the step has a name)
          jsonOutputVariablesPath: /tmp/tf.json
      InvokeRESTAPI@1:
        result: succeeded           # no script: only the result, outputs and message

A stand-in wins over the emulator's own behaviour for the same `Name@major`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from emulator import schemacheck, task_catalog
from emulator.tasks.base import StepContext, TaskOutcome, outcome_of
from emulator.yamlio import display_path, load_file, plain

FILE_NAME = "tasks.yml"
SCHEMA_PATH = Path(__file__).with_name("standins.schema.json")


@dataclass(frozen=True)
class StandIn:
    """One task's stand-in; called like any task implementation."""

    task: str
    source: str
    script: str | None = None
    outputs: Mapping[str, str] = field(default_factory=dict)
    result: str | None = None
    message: str | None = None

    def __call__(self, ctx: StepContext) -> TaskOutcome:
        ctx.log(f"{self.task} runs its local stand-in from {self.source}")
        if self.message:
            ctx.log(self.message)
        outcome = TaskOutcome("succeeded")
        if self.script is not None:
            outcome = self._run_script(ctx)
        if self.result is not None and outcome.result != "canceled":
            outcome = TaskOutcome(self.result, outcome.message)
        for name, value in self.outputs.items():
            flag = ";isOutput=true" if ctx.step_name else ""
            ctx.emit(f"##vso[task.setvariable variable={name}{flag}]{value}")
        return outcome

    def _run_script(self, ctx: StepContext) -> TaskOutcome:
        ctx.temp_dir.mkdir(parents=True, exist_ok=True)
        script = ctx.temp_dir / f"standin-{self.task.replace('@', '-')}.sh"
        script.write_text(self.script or "", encoding="utf-8")
        env = {**ctx.env, **input_environment(self.task, ctx.inputs)}
        return outcome_of(ctx.run(["bash", "--noprofile", "--norc", str(script)], ctx.sources_dir, env))


def input_environment(task: str, inputs: Mapping[str, object]) -> dict[str, str]:
    """`INPUT_<NAME>` for every input, as the agent hands inputs to a task's process: the task's
    defaults first (from the catalog, under their declared names), then what the step gives."""
    env: dict[str, str] = {}
    definition = task_catalog.load().get(task)
    for item in definition.inputs if definition else ():
        if item.default:
            env[_env_name(item.name)] = item.default
    for key, value in inputs.items():
        known = definition.input(key) if definition else None
        env[_env_name(known.name if known else key)] = "" if value is None else str(value)
    return env


def _env_name(name: str) -> str:
    return "INPUT_" + name.replace(" ", "_").replace(".", "_").upper()


def find_file(pipeline: Path, repo_root: Path) -> Path | None:
    return schemacheck.find_beside(pipeline, repo_root, FILE_NAME)


def load(path: Path | None) -> dict[str, StandIn]:
    """The stand-ins by lower-case `Name@major` (none without a file)."""
    if path is None:
        return {}
    display = display_path(path)
    doc = load_file(path, display=display)
    schemacheck.check(
        doc,
        SCHEMA_PATH,
        display,
        "tasks file",
        "see emulator/tasks/standins.schema.json and the README's tasks.yml section",
    )
    out: dict[str, StandIn] = {}
    for key, body in plain(doc["tasks"]).items():
        body = body or {}
        out[str(key).lower()] = StandIn(
            task=str(key),
            source=display,
            script=body.get("script"),
            outputs={str(k): _text(v) for k, v in (body.get("outputs") or {}).items()},
            result=body.get("result"),
            message=body.get("message"),
        )
    return out


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
