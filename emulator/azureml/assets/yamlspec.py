"""Load an Azure ML CLI v2 YAML file and validate it with azure-ai-ml, reporting errors with a position.

The SDK's loaders are the schemas the real `az ml` uses, but their errors are marshmallow messages with
JSON nested inside strings and no line numbers. This module parses the file itself (keeping the
position of every key and value), applies `--set` overrides the way az does, calls the SDK loader,
and turns its error into `file:line:col: field: message` plus a hint.
"""

from __future__ import annotations

import copy
import json
import logging
import re
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from emulator.azureml.errors import AzArgumentError, AzSpecError
from emulator.errors import Location, did_you_mean

KINDS = (
    "job",
    "environment",
    "model",
    "online_endpoint",
    "online_deployment",
    "model_package",
    "data",
    "compute",
    "workspace",
    "batch_endpoint",
    "batch_deployment",
    "component",
)

_REFERENCE_DOCS = {
    "job": "https://aka.ms/ml-cli-v2-job-command-yaml-reference",
    "environment": "https://aka.ms/ml-cli-v2-environment-yaml-reference",
    "model": "https://aka.ms/ml-cli-v2-model-yaml-reference",
    "online_endpoint": "https://aka.ms/ml-cli-v2-endpoint-online-yaml-reference",
    "online_deployment": "https://aka.ms/ml-cli-v2-deployment-managed-online-yaml-reference",
    "model_package": "https://learn.microsoft.com/azure/machine-learning/how-to-package-models",
    "data": "https://aka.ms/ml-cli-v2-data-yaml-reference",
    "compute": "https://aka.ms/ml-cli-v2-compute-aml-yaml-reference",
    "workspace": "https://aka.ms/ml-cli-v2-workspace-yaml-reference",
    "batch_endpoint": "https://aka.ms/ml-cli-v2-endpoint-batch-yaml-reference",
    "batch_deployment": "https://aka.ms/ml-cli-v2-deployment-batch-yaml-reference",
    "component": "https://aka.ms/ml-cli-v2-component-command-yaml-reference",
}
_SCHEMAS = {
    "job": "azure.ai.ml._schema.job.command_job:CommandJobSchema",
    "pipeline_job": "azure.ai.ml._schema.pipeline.pipeline_job:PipelineJobSchema",
    "environment": "azure.ai.ml._schema.assets.environment:EnvironmentSchema",
    "model": "azure.ai.ml._schema.assets.model:ModelSchema",
    "online_endpoint": "azure.ai.ml._schema._endpoint:ManagedOnlineEndpointSchema",
    "online_deployment": (
        "azure.ai.ml._schema._deployment.online.online_deployment:ManagedOnlineDeploymentSchema"
    ),
    "model_package": "azure.ai.ml._schema.assets.package.model_package:ModelPackageSchema",
    "data": "azure.ai.ml._schema.assets.data:DataSchema",
    "compute": "azure.ai.ml._schema.compute.aml_compute:AmlComputeSchema",
    "workspace": "azure.ai.ml._schema.workspace.workspace:WorkspaceSchema",
    "batch_endpoint": "azure.ai.ml._schema._endpoint.batch.batch_endpoint:BatchEndpointSchema",
    "batch_deployment": "azure.ai.ml._schema._deployment.batch.batch_deployment:BatchDeploymentSchema",
    "component": "azure.ai.ml._schema.component.command_component:CommandComponentSchema",
}

PathKey = tuple[str | int, ...]


@dataclass(frozen=True)
class Positions:
    """Where each key and value of a YAML document starts (1-based line and column)."""

    file: str
    keys: dict[PathKey, tuple[int, int]] = field(default_factory=dict)
    values: dict[PathKey, tuple[int, int]] = field(default_factory=dict)

    def of(self, path: PathKey, *, key: bool = False) -> Location:
        """The location of `path` (its key when `key`), falling back to the nearest known ancestor."""
        table = self.keys if key else self.values
        probe = path
        while probe:
            if probe in table:
                line, col = table[probe]
                return Location(self.file, line, col)
            if probe in self.keys:
                line, col = self.keys[probe]
                return Location(self.file, line, col)
            probe = probe[:-1]
        return Location(self.file, 1, 1)


@dataclass(frozen=True)
class Spec:
    """A validated Azure ML YAML: the raw mapping (after overrides) and the SDK entity built from it."""

    kind: str
    path: Path
    data: dict[str, Any]
    entity: Any
    positions: Positions

    @property
    def base_dir(self) -> Path:
        """Relative paths inside the YAML are relative to the YAML file, as in the real CLI."""
        return self.path.parent

    def location(self, *path: str | int, key: bool = False) -> Location:
        return self.positions.of(tuple(path), key=key)


def resolve_file(file: str, cwd: Path | None = None) -> Path:
    """`--file` is relative to the working directory; a missing file is an argument error."""
    path = Path(file)
    if not path.is_absolute():
        path = (cwd or Path.cwd()) / path
    path = path.resolve()
    if not path.is_file():
        raise AzArgumentError(
            f"argument --file/-f: no such file: {file}",
            hint=f"the path is relative to the working directory {cwd or Path.cwd()}",
        )
    return path


def read_yaml(path: Path) -> tuple[dict[str, Any], Positions]:
    """Parse a YAML mapping keeping positions; syntax errors become located AzSpecErrors."""
    text = path.read_text(encoding="utf-8")
    try:
        loader = yaml.SafeLoader(text)
        try:
            node = loader.get_single_node()
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = Location(str(path), mark.line + 1, mark.column + 1) if mark else Location(str(path))
        problem = exc.problem or "invalid YAML"
        context = f" ({exc.context})" if exc.context else ""
        raise AzSpecError(
            f"the file is not valid YAML: {problem}{context}",
            location,
            hint="check indentation and quoting around this position",
        ) from exc
    if not isinstance(data, dict):
        raise AzSpecError(
            "the file must hold a YAML mapping (key: value pairs)",
            Location(str(path), 1, 1),
            expected="an Azure ML YAML specification",
        )
    positions = Positions(str(path))
    if node is not None:
        _record_positions(node, (), positions)
    return data, positions


def _record_positions(node: yaml.Node, path: PathKey, positions: Positions) -> None:
    positions.values[path] = (node.start_mark.line + 1, node.start_mark.column + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else str(key_node.value)
            child = path + (key,)
            positions.keys[child] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            _record_positions(value_node, child, positions)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _record_positions(item, path + (index,), positions)


def parse_set_values(values: list[str] | None) -> list[tuple[str, Any]]:
    """`--set a.b=value` pairs; the value is JSON when it parses as JSON, else the string (as az)."""
    pairs: list[tuple[str, Any]] = []
    for raw in values or []:
        key, sep, value = raw.partition("=")
        if not sep or not key:
            raise AzArgumentError(
                f"argument --set: expected PATH=VALUE, got {raw!r}",
                hint="for example: --set model=azureml:credit-model:3",
            )
        try:
            parsed: Any = json.loads(value)
        except ValueError:
            parsed = value
        pairs.append((key.strip(), parsed))
    return pairs


def _split_dotted(dotted: str) -> list[str | int]:
    parts: list[str | int] = []
    for piece in dotted.split("."):
        match = re.fullmatch(r"([^\[\]]+)((?:\[\d+\])*)", piece)
        if not match:
            parts.append(piece)
            continue
        parts.append(match.group(1))
        parts.extend(int(i) for i in re.findall(r"\[(\d+)\]", match.group(2)))
    return parts


def apply_overrides(data: dict[str, Any], overrides: list[tuple[str, Any]]) -> dict[str, Any]:
    """A copy of `data` with dotted-path overrides applied, creating mappings on the way."""
    result = copy.deepcopy(data)
    for dotted, value in overrides:
        target: Any = result
        parts = _split_dotted(dotted)
        for part in parts[:-1]:
            if isinstance(target, list) and isinstance(part, int) and part < len(target):
                target = target[part]
                continue
            if not isinstance(target, dict):
                raise AzArgumentError(f"argument --set: cannot set {dotted!r}: {part!r} is not a mapping")
            if not isinstance(target.get(part), (dict, list)):
                target[part] = {}
            target = target[part]
        last = parts[-1]
        if isinstance(target, list) and isinstance(last, int) and last < len(target):
            target[last] = value
        elif isinstance(target, dict):
            target[last] = value
        else:
            raise AzArgumentError(f"argument --set: cannot set {dotted!r}")
    return result


def _loader(kind: str, data: dict[str, Any] | None = None) -> Callable[..., Any]:
    logging.getLogger("azure.ai.ml._utils._experimental").setLevel(logging.ERROR)
    logging.getLogger("azure.ai.ml").setLevel(logging.ERROR)
    import azure.ai.ml as sdk

    if kind == "batch_deployment" and data is not None and "settings" in data:
        # the newer schema (`type: model` + `settings:`) that current docs use; az picks it the same way
        from azure.ai.ml.entities._load_functions import load_model_batch_deployment

        return load_model_batch_deployment

    loaders: dict[str, Callable[..., Any]] = {
        "job": sdk.load_job,
        "environment": sdk.load_environment,
        "model": sdk.load_model,
        "online_endpoint": sdk.load_online_endpoint,
        "online_deployment": sdk.load_online_deployment,
        "model_package": sdk.load_model_package,
        "data": sdk.load_data,
        "compute": sdk.load_compute,
        "workspace": sdk.load_workspace,
        "batch_endpoint": sdk.load_batch_endpoint,
        "batch_deployment": sdk.load_batch_deployment,
        "component": sdk.load_component,
    }
    return loaders[kind]


def load_spec(kind: str, path: Path, overrides: list[tuple[str, Any]] | None = None) -> Spec:
    """Read, override and validate `path` as an Azure ML `kind` specification."""
    data, positions = read_yaml(path)
    pairs = overrides or []
    data = apply_overrides(data, pairs)
    params = [{key: value} for key, value in pairs]
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the SDK's marshmallow deprecation noise is not the user's
            entity = _loader(kind, data)(source=str(path), params_override=params)
    except Exception as exc:  # noqa: BLE001 - every SDK failure becomes a located message
        raise translate_error(kind, path, data, positions, exc) from None
    if kind == "job" and data.get("type") == "pipeline":
        _validate_entity(kind, path, data, positions, entity)
    return Spec(kind=kind, path=path, data=data, entity=entity, positions=positions)


def _validate_entity(kind: str, path: Path, data: dict[str, Any], positions: Positions, entity: Any) -> None:
    """The SDK's second validation pass (az runs it before submitting; load_job alone does not)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = entity._validate()
    except Exception:  # noqa: BLE001 - a validator crash is not the user's problem
        return
    if getattr(result, "passed", True):
        return
    failure = Exception(f"Validation for {type(entity).__name__} failed:\n{result}")
    raise translate_error(kind, path, data, positions, failure)


# --- turning the SDK's errors into located messages ---------------------------------------------


def _embedded_json(text: str) -> Any:
    """The JSON object embedded after 'Validation for X failed:' in a marshmallow message, if any."""
    start = text.find("{", text.find("failed:") if "failed:" in text else 0)
    if start < 0:
        return None
    try:
        value, _ = json.JSONDecoder().raw_decode(text[start:])
    except ValueError:
        return None
    return value


def _flatten(obj: Any, path: PathKey) -> Iterator[tuple[PathKey, str]]:
    if isinstance(obj, str):
        nested = _embedded_json(obj) if "failed:" in obj else None
        if nested is not None:
            yield from _flatten(nested, path)
        else:
            yield path, obj
    elif isinstance(obj, dict):
        if obj.get("result") == "Failed" and isinstance(obj.get("errors"), list):
            for err in obj["errors"]:
                sub = str(err.get("path", "*"))
                sub_path = path if sub in ("*", "") else path + tuple(_split_dotted(sub))
                yield from _flatten(err.get("message", ""), sub_path)
            return
        for key, value in obj.items():
            if key == "_schema":
                yield from _flatten(value, path)
            else:
                step: str | int = int(key) if isinstance(key, str) and key.isdigit() else key
                yield from _flatten(value, path + (step,))
    elif isinstance(obj, list):
        if obj and all(isinstance(item, dict) for item in obj):
            # A union field: one dict per alternative schema; the first names the intended one.
            yield from _flatten(obj[0], path)
        else:
            for item in obj:
                yield from _flatten(item, path)


def _inline_step_path(data: Any, path: PathKey) -> PathKey:
    """`jobs.<step>.component.<field>` is the SDK's view of an inline step's `jobs.<step>.<field>`."""
    if len(path) >= 3 and path[0] == "jobs" and path[2] == "component":
        step = (data.get("jobs") or {}).get(path[1]) if isinstance(data, dict) else None
        if isinstance(step, dict) and "component" not in step:
            return path[:2] + path[3:]
    return path


def _existing_path(data: Any, path: PathKey) -> tuple[PathKey, bool]:
    """The part of `path` that exists in `data` (skipping the SDK's synthetic 'value' level)."""
    kept: list[str | int] = []
    node = data
    complete = True
    for step in path:
        if isinstance(node, dict) and step in node:
            node = node[step]
            kept.append(step)
        elif isinstance(node, list) and isinstance(step, int) and step < len(node):
            node = node[step]
            kept.append(step)
        elif step == "value":
            continue
        else:
            complete = False
            kept.append(step)
            break
    return tuple(kept), complete


def _known_fields(kind: str, data: dict[str, Any]) -> list[str]:
    """Top-level field names the SDK schema accepts, for did-you-mean hints."""
    if kind == "job" and data.get("type") == "pipeline":
        kind = "pipeline_job"
    target = _SCHEMAS.get(kind)
    if target is None:
        return []
    module_name, _, class_name = target.partition(":")
    try:
        import importlib

        schema: Any = getattr(importlib.import_module(module_name), class_name)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return sorted(schema(context={"base_path": "."}).fields)
    except Exception:  # noqa: BLE001 - hints are best effort
        return []


def _locate_missing_file(data: Any, base: Path, missing: str, path: PathKey = ()) -> PathKey | None:
    if isinstance(data, str):
        try:
            if (base / data).resolve() == Path(missing).resolve():
                return path
        except (OSError, ValueError):
            return None
        return None
    items: list[tuple[str | int, Any]] = []
    if isinstance(data, dict):
        items = list(data.items())
    elif isinstance(data, list):
        items = list(enumerate(data))
    for key, value in items:
        found = _locate_missing_file(value, base, missing, path + (key,))
        if found is not None:
            return found
    return None


def _dotted(path: PathKey) -> str:
    out = ""
    for step in path:
        out += f"[{step}]" if isinstance(step, int) else (f".{step}" if out else str(step))
    return out


def translate_error(
    kind: str, path: Path, data: dict[str, Any], positions: Positions, exc: Exception
) -> AzSpecError:
    """One located, readable error from whatever the SDK raised."""
    text = str(exc)
    docs = _REFERENCE_DOCS.get(kind)
    if kind == "job" and data.get("type") == "pipeline":
        docs = "https://aka.ms/ml-cli-v2-job-pipeline-yaml-reference"
    link = re.search(r"Visit this link to refer to the .*? schema if needed: (\S+?)\.?\n", text)
    reference = link.group(1) if link else docs
    problems = list(_flatten(_embedded_json(text), ())) if "failed:" in text else []
    if problems:
        found: list[tuple[Location, str, str]] = []
        hint: str | None = None
        for raw_path, message in problems:
            field_path, complete = _existing_path(data, _inline_step_path(data, raw_path))
            unknown = "Unknown field" in message
            absent = not complete and not unknown
            location = positions.of(field_path if complete else field_path[:-1], key=unknown or absent)
            name = _dotted(field_path) or "(document)"
            found.append((location, name, message))
            if unknown and hint is None and len(field_path) == 1 and isinstance(field_path[0], str):
                hint = did_you_mean(field_path[0], _known_fields(kind, data))
        first_location, first_field, first_message = found[0]
        text_out = f"{first_field}: {first_message}"
        for location, name, message in found[1:]:
            text_out += f"; {name} (line {location.line}): {message}"
        more = f" ({len(found)} problems)" if len(found) > 1 else ""
        return AzSpecError(
            f"invalid {kind.replace('_', ' ')} specification{more}: {text_out}",
            first_location,
            hint=" ".join(
                h for h in (hint, f"see the YAML reference: {reference}" if reference else None) if h
            ),
            field=first_field,
        )
    missing_file = re.search(r"No such file or directory: (\S+)", text) or re.search(
        r"Can't find directory or file in resolved absolute path: (\S+?)\.?$", text
    )
    if missing_file:
        where = _locate_missing_file(data, path.parent, missing_file.group(1))
        location = positions.of(where) if where else Location(str(path))
        field_name = _dotted(where) if where else None
        prefix = f"{field_name}: " if field_name else ""
        return AzSpecError(
            f"{prefix}no such file or directory: {missing_file.group(1)}",
            location,
            hint="relative paths inside an Azure ML YAML are resolved from the folder of the YAML file",
            field=field_name,
        )
    first_line = text.strip().splitlines()[0] if text.strip() else type(exc).__name__
    binding = re.search(r"\$\{\{[^}]*\}\}", first_line)
    if binding:
        found_at = _find_text(path, binding.group(0))
        return AzSpecError(
            f"invalid {kind.replace('_', ' ')} specification: {first_line.rstrip('.')}",
            found_at or Location(str(path)),
            hint="pipeline bindings are ${{parent.inputs.<input>}}, ${{parent.jobs.<step>.outputs.<output>}} "
            "and ${{parent.outputs.<output>}}, each naming something the pipeline declares",
        )
    return AzSpecError(
        f"invalid {kind.replace('_', ' ')} specification: {first_line}",
        Location(str(path)),
        hint=f"see the YAML reference: {reference}" if reference else None,
    )


def _find_text(path: Path, token: str) -> Location | None:
    """The first position of `token` in the file (for SDK errors that only quote the offending text)."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return None
    for index, line in enumerate(lines):
        col = line.find(token)
        if col >= 0:
            return Location(str(path), index + 1, col + 1)
    return None
