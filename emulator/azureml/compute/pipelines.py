"""Pipeline jobs run locally: a DAG of command steps bound with `${{parent.…}}`, run in dependency order.

Each step becomes a child command job (its own record, log, outputs and MLflow run, nested under the
pipeline's run with `mlflow.parentRunId`), run one after the other in a topological order of the
`${{parent.jobs.<step>.outputs.<o>}}` bindings. Step outputs bound to `${{parent.outputs.<o>}}` are the
pipeline's outputs (`azureml://jobs/<pipeline>/outputs/<o>` points at the step's folder).

Steps are `type: command` jobs written inline or `component: <local component YAML>`; other step types
(parallel, sweep, spark, nested pipelines) and registered components are not emulated.

Checks the SDK does not make: a step's `${{inputs.x}}`/`${{outputs.y}}` must be declared by the step,
every `${{…}}` binding must have one of the three forms above and name something that exists, and the
steps must not depend on each other in a cycle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.azureml.assets import job_records
from emulator.azureml.assets.names import generate_job_name
from emulator.azureml.assets.records import utc_now, write_json
from emulator.azureml.assets.workspace import Workspace, creation_context
from emulator.azureml.assets.yamlspec import Spec, read_yaml
from emulator.azureml.compute import bindings, jobs, runtimes
from emulator.azureml.context import Context, Sink
from emulator.azureml.errors import AzNotEmulatedError, AzSpecError, JobFailedError
from emulator.errors import did_you_mean
from emulator.processes import process_identity

BINDING_RE = re.compile(
    r"^\$\{\{\s*parent\.(?:inputs\.(?P<input>[A-Za-z_][\w]*)"
    r"|jobs\.(?P<job>[A-Za-z_][\w-]*)\.outputs\.(?P<job_output>[A-Za-z_][\w]*)"
    r"|outputs\.(?P<output>[A-Za-z_][\w]*))\s*\}\}$"
)
ANY_BINDING_RE = re.compile(r"\$\{\{.*?\}\}")
BINDING_FORMS = (
    "${{parent.inputs.<input>}}, ${{parent.jobs.<step>.outputs.<output>}} or ${{parent.outputs.<output>}}"
)


@dataclass
class Step:
    """One step of the pipeline: its command definition, bindings and dependencies."""

    name: str
    definition: dict[str, Any]
    base_dir: Path
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    declared_inputs: dict[str, Any]
    declared_outputs: dict[str, Any]
    depends_on: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class Binding:
    kind: str  # "input" | "job_output" | "output"
    name: str
    job: str | None = None


def parse_binding(value: Any) -> Binding | None:
    """The binding a step input/output value makes, or None for a literal; raises on a malformed one."""
    text = value.get("path") if isinstance(value, dict) else value
    if not isinstance(text, str) or "${{" not in text:
        return None
    match = BINDING_RE.match(text.strip())
    if not match:
        raise ValueError(text)
    if match.group("input"):
        return Binding("input", match.group("input"))
    if match.group("job"):
        return Binding("job_output", match.group("job_output"), match.group("job"))
    return Binding("output", match.group("output"))


def _component(step_name: str, raw: dict[str, Any], spec: Spec) -> tuple[dict[str, Any], Path]:
    """The command definition of a step: itself (inline) or the component it names, merged."""
    component = raw.get("component")
    if component is None:
        return raw, spec.base_dir
    if isinstance(component, dict):
        return {**component, **{k: v for k, v in raw.items() if k != "component"}}, spec.base_dir
    text = str(component)
    if text.startswith("azureml:") and not text.startswith("azureml:/"):
        raise AzNotEmulatedError(
            f"jobs.{step_name}.component: registered components ({text}) are not emulated yet",
            spec.location("jobs", step_name, "component"),
            hint="reference the component's YAML file (component: ./component.yml) or write the step inline",
        )
    path = (spec.base_dir / text.removeprefix("file:")).resolve()
    data, _ = read_yaml(path)
    if str(data.get("type", "command")) != "command":
        raise AzNotEmulatedError(
            f"jobs.{step_name}.component: {data.get('type')} components are not emulated (command only)",
            spec.location("jobs", step_name, "component"),
        )
    merged = dict(data)
    for key in ("environment_variables", "compute", "resources", "display_name", "tags", "environment"):
        if raw.get(key) is not None:
            merged[key] = raw[key]
    return merged, path.parent


def plan_pipeline(spec: Spec) -> list[Step]:
    """The steps in a dependency order, after the checks the SDK does not make."""
    raw_jobs = spec.data.get("jobs") or {}
    if not isinstance(raw_jobs, dict) or not raw_jobs:
        raise AzSpecError("invalid pipeline job specification: jobs: a pipeline needs steps", spec.location())
    parent_inputs = set((spec.data.get("inputs") or {}).keys())
    parent_outputs = set((spec.data.get("outputs") or {}).keys())
    steps: dict[str, Step] = {}
    for name, raw in raw_jobs.items():
        if not isinstance(raw, dict):
            raise AzSpecError(f"jobs.{name}: expected a mapping", spec.location("jobs", name))
        step_type = str(raw.get("type", "command"))
        if step_type != "command":
            raise AzNotEmulatedError(
                f"jobs.{name}: {step_type} steps are not emulated yet (command steps only)",
                spec.location("jobs", name, "type"),
                hint="write the step as a command step",
            )
        definition, base_dir = _component(name, raw, spec)
        is_component = raw.get("component") is not None
        step_inputs = dict(raw.get("inputs") or {})
        step_outputs = dict(raw.get("outputs") or {})
        declared_inputs = dict(definition.get("inputs") or {}) if is_component else step_inputs
        declared_outputs = dict(definition.get("outputs") or {}) if is_component else step_outputs
        steps[name] = Step(
            name, definition, base_dir, step_inputs, step_outputs, declared_inputs, declared_outputs
        )
    for step in steps.values():
        bindings.check_references(
            step.definition.get("command"),
            set(step.declared_inputs),
            set(step.declared_outputs),
            spec,
            ("jobs", step.name, "command"),
            what="pipeline job",
        )
        for group, values in (("inputs", step.inputs), ("outputs", step.outputs)):
            for key, value in values.items():
                at: tuple[str | int, ...] = ("jobs", step.name, group, key)
                binding = _checked_binding(spec, at, value)
                if binding is None:
                    continue
                if group == "inputs" and key not in step.declared_inputs:
                    raise _error(spec, at, f"the component of step {step.name!r} declares no input {key!r}")
                if group == "outputs" and key not in step.declared_outputs:
                    raise _error(spec, at, f"the component of step {step.name!r} declares no output {key!r}")
                if binding.kind == "input" and binding.name not in parent_inputs:
                    raise _error(
                        spec,
                        at,
                        f"the pipeline declares no input {binding.name!r}",
                        binding.name,
                        parent_inputs,
                    )
                if binding.kind == "output":
                    if group != "outputs":
                        raise _error(spec, at, "${{parent.outputs.…}} binds a step *output*, not an input")
                    if binding.name not in parent_outputs:
                        raise _error(
                            spec,
                            at,
                            f"the pipeline declares no output {binding.name!r}",
                            binding.name,
                            parent_outputs,
                        )
                if binding.kind == "job_output":
                    assert binding.job is not None
                    if group != "inputs":
                        raise _error(spec, at, "${{parent.jobs.…}} can only feed a step input")
                    if binding.job not in steps:
                        raise _error(
                            spec, at, f"the pipeline has no step {binding.job!r}", binding.job, set(steps)
                        )
                    if binding.job == step.name:
                        raise _error(spec, at, f"step {step.name!r} cannot consume its own output")
                    if binding.name not in steps[binding.job].declared_outputs:
                        raise _error(
                            spec,
                            at,
                            f"step {binding.job!r} declares no output {binding.name!r}",
                            binding.name,
                            set(steps[binding.job].declared_outputs),
                        )
                    step.depends_on.add(binding.job)
    return _order(spec, steps)


def _checked_binding(spec: Spec, at: tuple[str | int, ...], value: Any) -> Binding | None:
    try:
        return parse_binding(value)
    except ValueError as exc:
        text = str(exc)
        found = ANY_BINDING_RE.search(text)
        token = found.group(0) if found else text
        raise AzSpecError(
            f"invalid pipeline job specification: {'.'.join(str(p) for p in at)}: malformed binding {text!r}",
            bindings.locate_in_file(spec, token, at),
            expected=BINDING_FORMS,
            field=".".join(str(p) for p in at),
        ) from None


def _error(
    spec: Spec,
    at: tuple[str | int, ...],
    message: str,
    name: str | None = None,
    known: set[str] | None = None,
) -> AzSpecError:
    where = ".".join(str(p) for p in at)
    hint = did_you_mean(name, sorted(known)) if name is not None and known is not None else None
    if hint is None and known is not None:
        hint = f"declared: {', '.join(sorted(known)) or '(none)'}"
    return AzSpecError(
        f"invalid pipeline job specification: {where}: {message}", spec.location(*at), hint=hint, field=where
    )


def _order(spec: Spec, steps: dict[str, Step]) -> list[Step]:
    """Kahn's order, keeping the YAML order among ready steps; a cycle is named with its steps."""
    remaining = dict(steps)
    ordered: list[Step] = []
    done: set[str] = set()
    while remaining:
        ready = [s for s in remaining.values() if s.depends_on <= done]
        if not ready:
            cycle = _find_cycle({n: s.depends_on for n, s in remaining.items()})
            first = cycle[0]
            raise AzSpecError(
                "invalid pipeline job specification: the steps depend on each other in a cycle: "
                + " -> ".join(cycle + [first]),
                spec.location("jobs", first, key=True),
                hint="a step can only consume outputs of steps that do not (indirectly) consume its own",
            )
        step = ready[0]
        ordered.append(step)
        done.add(step.name)
        del remaining[step.name]
    return ordered


def _find_cycle(graph: dict[str, set[str]]) -> list[str]:
    start = sorted(graph)[0]
    path: list[str] = []
    node = start
    while node not in path:
        path.append(node)
        node = sorted(d for d in graph[node] if d in graph)[0]
    return path[path.index(node) :]


# --- running ---------------------------------------------------------------------------------------


def _step_inputs(
    ctx: Context,
    step: Step,
    spec: Spec,
    parent_inputs: dict[str, bindings.JobInput],
    children: dict[str, dict[str, Any]],
) -> list[bindings.JobInput]:
    resolved: list[bindings.JobInput] = []
    for key, value in step.inputs.items():
        binding = parse_binding(value)
        if binding is None:
            item = bindings.resolve_input(
                ctx,
                key,
                value,
                spec.base_dir,
                lambda *p, k=key: spec.location("jobs", step.name, "inputs", *p),
            )
            if item is not None:
                resolved.append(item)
            continue
        if binding.kind == "input":
            source = parent_inputs.get(binding.name)
            if source is not None:
                resolved.append(bindings.JobInput(key, source.value, source.is_path, source.record))
            continue
        assert binding.job is not None
        child = children[binding.job]
        output = (child.get("outputs") or {}).get(binding.name) or {}
        local = str(output.get("local_path"))
        record = {
            "type": output.get("type", "uri_folder"),
            "path": f"azureml://jobs/{child['name']}/outputs/{binding.name}",
            "mode": "ro_mount",
            "local_path": local,
        }
        resolved.append(bindings.JobInput(key, local, True, record))
    bound = {i.name for i in resolved}
    for key, declared in step.declared_inputs.items():  # component defaults for unbound inputs
        if key in bound or not isinstance(declared, dict) or "default" not in declared:
            continue
        value = bindings.literal(declared["default"])
        resolved.append(bindings.JobInput(key, value, False, value))
    return resolved


def _step_outputs(step: Step, parent_outputs: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """(output declarations for the child job, {step output: pipeline output it is bound to})."""
    declarations: dict[str, Any] = {}
    bound: dict[str, str] = {}
    for key, declared in step.declared_outputs.items():
        value = step.outputs.get(key, declared)
        binding = parse_binding(value)
        if binding is not None and binding.kind == "output":
            bound[key] = binding.name
            parent = parent_outputs.get(binding.name)
            declarations[key] = dict(parent) if isinstance(parent, dict) else {"type": "uri_folder"}
        elif isinstance(value, dict):
            declarations[key] = value
        elif isinstance(declared, dict):
            declarations[key] = declared
        else:
            declarations[key] = {"type": "uri_folder"}
    return declarations, bound


def create_pipeline_job(
    ctx: Context,
    ws: Workspace,
    spec: Spec,
    *,
    name: str,
    experiment: str,
    log: Sink | None = None,
    warn: Sink | None = None,
    progress: Sink | None = None,
) -> dict[str, Any]:
    """Run every step in dependency order; returns the pipeline job's record (JobFailedError on failure)."""
    ordered = plan_pipeline(spec)
    settings = dict(spec.data.get("settings") or {})
    continue_on_failure = bool(settings.get("continue_on_step_failure", False))
    parent_inputs: dict[str, bindings.JobInput] = {}
    for key, raw in (spec.data.get("inputs") or {}).items():
        item = bindings.resolve_input(ctx, key, raw, spec.base_dir, lambda *p: spec.location("inputs", *p))
        if item is not None:
            parent_inputs[key] = item
    parent_outputs = dict(spec.data.get("outputs") or {})
    default_compute = settings.get("default_compute")
    step_runtimes: dict[str, runtimes.Runtime] = {}
    said: set[str] = set()

    def warn_once(message: str) -> None:  # steps that share an environment share its warnings
        if warn is not None and message not in said:
            said.add(message)
            warn(message)

    for step in ordered:  # resolve (and build) every environment before anything runs
        location = spec.location("jobs", step.name, "environment")
        compute_at = spec.location("jobs", step.name, "compute") if "compute" in step.definition else None
        jobs.check_compute(
            ctx,
            ws,
            step.definition.get("compute") or default_compute,
            compute_at or spec.location("settings", "default_compute"),
            warn_once,
        )
        step_runtimes[step.name] = runtimes.prepare_runtime(
            ctx,
            step.definition.get("environment"),
            step.base_dir,
            location,
            warn=warn_once,
            progress=progress,
        )

    folder = job_records.claim_job_dir(ctx, name)
    run_id, experiment_id = jobs.start_mlflow_run(ctx, name, experiment, {"azureml.job_type": "pipeline"})
    created = utc_now()
    record: dict[str, Any] = {
        "compute": default_compute,
        "creation_context": creation_context(created),
        "description": spec.data.get("description"),
        "display_name": spec.data.get("display_name") or name,
        "experiment_name": experiment,
        "id": ws.asset_id("jobs", name),
        "inputs": {k: v.record for k, v in parent_inputs.items()},
        "jobs": {s.name: {"name": None, "status": "NotStarted", "type": "command"} for s in ordered},
        "name": name,
        "outputs": {},
        "properties": {
            "StartTimeUtc": created,
            "emulator.job_dir": str(folder),
            "emulator.source_file": str(spec.path),
            "emulator.step_order": ",".join(s.name for s in ordered),
            "mlflow.runId": run_id,
            "mlflow.experimentId": experiment_id,
            jobs.SUPERVISOR: process_identity(),
        },
        "resourceGroup": ws.resource_group,
        "services": {"Tracking": {"endpoint": ctx.tracking_uri, "type": "Tracking"}},
        "settings": settings,
        "status": "Running",
        "tags": {str(k): str(v) for k, v in (spec.data.get("tags") or {}).items()},
        "type": "pipeline",
    }
    _, record["outputs"] = bindings.output_records({}, name, folder)
    for key, raw in parent_outputs.items():
        kind = str(raw.get("type", "uri_folder")) if isinstance(raw, dict) else "uri_folder"
        record["outputs"][key] = {
            "mode": "rw_mount",
            "path": f"azureml://jobs/{name}/outputs/{key}",
            "type": kind,
        }
    write_json(folder / "job.json", record)
    (folder / "outputs").mkdir(exist_ok=True)

    children: dict[str, dict[str, Any]] = {}
    failed: list[str] = []
    try:
        for step in ordered:
            current = job_records.load_job(ctx, name)
            blocked = [d for d in step.depends_on if children.get(d, {}).get("status") != "Completed"]
            if current.get("status") == "CancelRequested" or blocked or (failed and not continue_on_failure):
                _set_step(ctx, name, step.name, status="Canceled")
                continue
            child_name = generate_job_name()
            declarations, bound = _step_outputs(step, parent_outputs)
            definition = step.definition
            code = definition.get("code")
            child = jobs.CommandJob(
                name=child_name,
                command=str(definition.get("command")),
                code=(step.base_dir / str(code)).resolve() if code else None,
                inputs=tuple(_step_inputs(ctx, step, spec, parent_inputs, children)),
                outputs=declarations,
                environment=definition.get("environment"),
                environment_variables={
                    str(k): bindings.literal(v)
                    for k, v in (definition.get("environment_variables") or {}).items()
                },
                experiment=experiment,
                display_name=definition.get("display_name") or step.name,
                description=definition.get("description"),
                tags={str(k): str(v) for k, v in (definition.get("tags") or {}).items()},
                compute=definition.get("compute") or default_compute or "local",
                resources=definition.get("resources"),
                source_file=str(spec.path),
                parent=jobs.ParentRun(name, run_id, step.name),
            )

            _set_step(ctx, name, step.name, name=child_name, status="Running")
            if log is not None:
                log(f"--- step {step.name} (job {child_name}) ---\n")
            result = jobs.run_command_job(
                ctx, ws, child, step_runtimes[step.name], log=log, progress=progress, raise_on_failure=False
            )
            children[step.name] = result
            if result["status"] != "Completed":
                failed.append(step.name)
            for step_output, pipeline_output in bound.items():
                link = folder / "outputs" / pipeline_output
                link.unlink(missing_ok=True)
                link.symlink_to(job_records.job_dir(ctx, child_name) / "outputs" / step_output)
                local = result["outputs"][step_output]["local_path"]

                def bind(r: dict[str, Any], o: str = pipeline_output, p: str = local) -> None:
                    r["outputs"][o]["local_path"] = p

                job_records.update_job(ctx, name, bind)
            _set_step(ctx, name, step.name, status=str(result["status"]))
    except BaseException as exc:
        jobs.abandon_job(ctx, name, exc)
        raise
    finished = utc_now()

    def finish(r: dict[str, Any]) -> None:
        if r.get("status") == "CancelRequested":
            r["status"] = "Canceled"
        else:
            r["status"] = "Failed" if failed else "Completed"
        r["creation_context"] = creation_context(created, finished)
        r["properties"]["EndTimeUtc"] = finished
        r["properties"].pop(jobs.SUPERVISOR, None)
        for key in parent_outputs:  # outputs no step wrote to are empty folders, as on Azure
            target = folder / "outputs" / key
            if not target.exists():
                target.mkdir(parents=True)
                r["outputs"][key]["local_path"] = str(target)

    record = job_records.update_job(ctx, name, finish)
    jobs.end_mlflow_run(ctx, run_id, str(record["status"]))
    if record["status"] == "Canceled":
        raise JobFailedError(f"Execution canceled. Job {name} was canceled.")
    if record["status"] != "Completed":
        what = f"step(s) {', '.join(failed)} failed"
        logs = ", ".join(
            str(job_records.job_dir(ctx, children[s]["name"]) / "user_logs" / "std_log.txt") for s in failed
        )
        raise JobFailedError(
            f"Execution failed: {what}. Job {name} failed.",
            hint=f"step logs: {logs}" if logs else None,
        )
    return record


def _set_step(ctx: Context, pipeline: str, step: str, **values: Any) -> None:
    def change(record: dict[str, Any]) -> None:
        record["jobs"][step].update(values)

    job_records.update_job(ctx, pipeline, change)
