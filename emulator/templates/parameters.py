"""Template and pipeline parameters: declarations, type checks, `values:` and recipe schemas.

Follows the service [DOC template-parameters.md, runtime-parameters.md; semantics notes 1.3]:
typed (sequence) declarations reject unexpected parameters and require a value when there is no
default; legacy (mapping) declarations accept anything; a missing `type:` means `string`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.errors import Location, TemplateError, did_you_mean
from emulator.yamlio import YMap, YSeq, location_of, plain

TEMPLATE_TYPES = frozenset({
    "string", "number", "boolean", "object", "step", "stepList", "job", "jobList", "deployment",
    "deploymentList", "stage", "stageList", "container", "containerList", "legacyObject",
})
PIPELINE_TYPES = frozenset({
    "string", "stringList", "number", "boolean", "object", "step", "stepList", "job", "jobList",
    "deployment", "deploymentList", "stage", "stageList", "container", "containerList", "environment",
    "filePath", "pool", "secureFile", "serviceConnection",
})
_STRUCTURE_KEYS = {
    "step": ("task", "script", "bash", "pwsh", "powershell", "checkout", "download", "downloadBuild",
             "getPackage", "publish", "template", "reviewApp"),
    "job": ("job", "template"),
    "deployment": ("deployment", "template"),
    "stage": ("stage", "template"),
    "container": ("container",),
}
_TRUE = {"true"}
_FALSE = {"false"}


@dataclass(frozen=True)
class ParameterSpec:
    """One declared parameter."""

    name: str
    type: str
    default: Any
    has_default: bool
    values: tuple[Any, ...] | None
    display_name: str | None
    location: Location


@dataclass(frozen=True)
class Declarations:
    """The `parameters:` block of a template or pipeline."""

    typed: bool
    specs: tuple[ParameterSpec, ...]
    legacy_defaults: Mapping[str, Any]
    location: Location

    def names(self) -> list[str]:
        return [s.name for s in self.specs] if self.typed else list(self.legacy_defaults)


def parse_declarations(node: Any, file_loc: Location, *, pipeline: bool) -> Declarations:
    """Read a `parameters:` block (typed sequence or legacy mapping)."""
    loc = location_of(node) or file_loc
    if node is None:
        return Declarations(True, (), {}, loc)
    if isinstance(node, YMap) or isinstance(node, dict):
        return Declarations(False, (), dict(node), loc)
    if not isinstance(node, list):
        raise TemplateError("'parameters' must be a sequence of parameter declarations", loc,
                            expected="- name: x\n    type: string\n    default: ...")
    allowed = TEMPLATE_TYPES | PIPELINE_TYPES if pipeline else TEMPLATE_TYPES
    specs: list[ParameterSpec] = []
    seen: set[str] = set()
    for item in node:
        iloc = location_of(item) or loc
        if not isinstance(item, dict) or "name" not in item:
            raise TemplateError("A parameter declaration needs a 'name'", iloc,
                                expected="- name: x\n    type: string")
        unknown = set(item) - {"name", "type", "default", "values", "displayName"}
        if unknown:
            key = sorted(unknown)[0]
            kloc = item.key_loc(key) if isinstance(item, YMap) else iloc
            raise TemplateError(f"Unexpected property '{key}' in parameter declaration", kloc,
                                expected="name, displayName, type, default, values",
                                hint=did_you_mean(key, ["name", "displayName", "type", "default", "values"]))
        name = str(item["name"])
        if name.lower() in seen:
            raise TemplateError(f"Parameter '{name}' is declared twice", iloc)
        seen.add(name.lower())
        ptype = str(item.get("type") or "string")
        if ptype not in allowed:
            tloc = item.value_loc("type") if isinstance(item, YMap) else iloc
            raise TemplateError(f"Unknown parameter type '{ptype}' for parameter '{name}'", tloc,
                                expected=", ".join(sorted(allowed)), hint=did_you_mean(ptype, allowed))
        values = item.get("values")
        if values is not None and not isinstance(values, list):
            raise TemplateError(f"'values' of parameter '{name}' must be a sequence", iloc)
        spec = ParameterSpec(
            name=name, type=ptype, default=item.get("default"), has_default="default" in item,
            values=tuple(values) if values is not None else None,
            display_name=str(item["displayName"]) if item.get("displayName") is not None else None,
            location=iloc)
        if spec.has_default and spec.default is not None:
            dloc = item.value_loc("default") if isinstance(item, YMap) else iloc
            coerced = coerce(spec, spec.default, dloc)
            check_values(spec, coerced, dloc, what="The default value")
        specs.append(spec)
    return Declarations(True, tuple(specs), {}, loc)


def coerce(spec: ParameterSpec, value: Any, loc: Location) -> Any:
    """Convert a given value to the declared type, as the service does, or fail located."""
    t = spec.type
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
            return value.strip().lower() in _TRUE
        raise TemplateError(f"The '{spec.name}' parameter value '{_show(value)}' is not a valid Boolean.",
                            loc, expected="true or false")
    if t == "number":
        if isinstance(value, bool):
            raise TemplateError(f"The '{spec.name}' parameter value '{_show(value)}' is not a valid Number.",
                                loc, expected="a number")
        if isinstance(value, int | float):
            return value
        if isinstance(value, str):
            try:
                number = float(value.strip().replace(",", ""))
            except ValueError:
                pass
            else:
                return int(number) if number.is_integer() else number
        raise TemplateError(f"The '{spec.name}' parameter value '{_show(value)}' is not a valid Number.",
                            loc, expected="a number")
    if t in ("string", "filePath", "environment", "pool", "secureFile", "serviceConnection"):
        if t == "pool" and isinstance(value, dict):
            return value
        if isinstance(value, dict | list):
            raise TemplateError(f"The '{spec.name}' parameter is not a valid String: "
                                f"a {'sequence' if isinstance(value, list) else 'mapping'} was not expected",
                                loc, expected="a single value", hint="declare it with 'type: object'")
        return "" if value is None else _scalar_text(value)
    if t == "stringList":
        items = value if isinstance(value, list) else [value]
        return [_scalar_text(v) for v in items]
    if t in _STRUCTURE_KEYS:
        _check_structure(spec, value, t, loc)
        return value
    if t.endswith("List") and t[:-4] in _STRUCTURE_KEYS:
        if value is None:
            return []
        if not isinstance(value, list):
            raise TemplateError(f"The '{spec.name}' parameter must be a sequence of {t[:-4]}s", loc)
        for item in value:
            _check_structure(spec, item, t[:-4], location_of(item) or loc)
        return value
    return value  # object, legacyObject


def _check_structure(spec: ParameterSpec, value: Any, kind: str, loc: Location) -> None:
    keys = _STRUCTURE_KEYS[kind]
    if not isinstance(value, dict) or not any(k in value for k in keys):
        raise TemplateError(f"The '{spec.name}' parameter is not a valid {kind}", loc,
                            expected=f"a mapping with one of: {', '.join(keys)}")


def check_values(spec: ParameterSpec, value: Any, loc: Location, what: str = "The value") -> None:
    if spec.values is None:
        return
    allowed = [_scalar_text(v) for v in spec.values]
    items = value if isinstance(value, list) else [value]
    for item in items:
        text = _scalar_text(item) if not isinstance(item, dict | list) else json.dumps(plain(item))
        if not any(text.lower() == a.lower() for a in allowed):
            raise TemplateError(
                f"{what} '{text}' for parameter '{spec.name}' is not in the list of allowed values",
                loc, expected=", ".join(allowed), hint=did_you_mean(text, allowed))


def bind(decls: Declarations, given: Mapping[str, Any], given_locs: Mapping[str, Location],
         call_loc: Location, template_name: str) -> dict[str, Any]:
    """The parameter values a template sees, from what the caller passed."""
    if not decls.typed:
        values = dict(decls.legacy_defaults)
        for key, val in given.items():
            match = next((k for k in values if k.lower() == key.lower()), key)
            values[match] = val
        return values
    by_name = {s.name.lower(): s for s in decls.specs}
    for key in given:
        if key.lower() not in by_name:
            raise TemplateError(f"Unexpected parameter '{key}'", given_locs.get(key, call_loc),
                                expected=f"one of the parameters {template_name} declares: "
                                         f"{', '.join(decls.names()) or '(none)'}",
                                hint=did_you_mean(key, decls.names()))
    values: dict[str, Any] = {}
    lowered = {k.lower(): k for k in given}
    for spec in decls.specs:
        if spec.name.lower() in lowered:
            key = lowered[spec.name.lower()]
            loc = given_locs.get(key, call_loc)
            value = coerce(spec, given[key], loc)
        elif spec.has_default:
            loc = spec.location
            value = coerce(spec, spec.default, loc) if spec.default is not None else _empty(spec)
        else:
            raise TemplateError(f"A value for the '{spec.name}' parameter must be provided.", call_loc,
                                hint=f"pass it under 'parameters:' ({template_name} declares it without a "
                                     f"default at {spec.location})")
        check_values(spec, value, loc)
        values[spec.name] = value
    return values


def bind_runtime(decls: Declarations, given: Mapping[str, str], pipeline_loc: Location) -> dict[str, Any]:
    """Pipeline (runtime) parameters from `-p NAME=VALUE`: strings coerced to the declared type.

    Runtime parameters can't be optional: without a default the first of `values:` is used
    [DOC runtime-parameters.md].
    """
    specs = decls.specs
    names = [s.name for s in specs]
    cli = Location("command line")
    for key in given:
        if key.lower() not in {n.lower() for n in names}:
            raise TemplateError(f"Unexpected parameter '{key}'", cli,
                                expected=f"one of: {', '.join(names) or '(the pipeline declares none)'}",
                                hint=did_you_mean(key, names))
    values: dict[str, Any] = {}
    for spec in specs:
        raw = next((v for k, v in given.items() if k.lower() == spec.name.lower()), None)
        if raw is not None:
            value: Any = raw
            if spec.type in ("object", "stepList", "jobList", "stageList", "deploymentList", "stringList",
                             "step", "job", "stage", "deployment") and raw.strip()[:1] in ("[", "{"):
                from emulator.yamlio import loads

                value = loads(raw, "command line")
            value = coerce(spec, value, cli)
            check_values(spec, value, cli)
        elif spec.has_default and spec.default is not None:
            value = coerce(spec, spec.default, spec.location)
        elif spec.values:
            value = coerce(spec, spec.values[0], spec.location)
        else:
            raise TemplateError(f"A value for the '{spec.name}' parameter must be provided.", spec.location,
                                hint=f"pass it with -p {spec.name}=VALUE, or give it a default")
        values[spec.name] = value
    return values


def check_schema(schema_path: Path, values: Mapping[str, Any], given_locs: Mapping[str, Location],
                 call_loc: Location) -> None:
    """Validate bound parameters against a recipe's JSON Schema; errors point at the caller."""
    import jsonschema

    try:
        schema = json.loads(schema_path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise TemplateError(f"Cannot read the parameter schema {schema_path}: {exc}",
                            Location(str(schema_path))) from None
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(schema)
    errors = sorted(validator.iter_errors(plain(dict(values))), key=lambda e: list(e.absolute_path))
    if not errors:
        return
    err = errors[0]
    path = [str(p) for p in err.absolute_path]
    top = path[0] if path else None
    loc = call_loc
    if top is not None:
        loc = next((v for k, v in given_locs.items() if k.lower() == top.lower()), call_loc)
    where = f"parameter '{'.'.join(path)}'" if path else "parameters"
    raise TemplateError(f"Invalid {where}: {err.message}", loc,
                        expected=_schema_expectation(err.schema) if isinstance(err.schema, dict) else None,
                        hint=f"see {schema_path}")


def _schema_expectation(schema: Mapping[str, Any]) -> str | None:
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "pattern" in schema:
        return f"text matching {schema['pattern']}"
    if "type" in schema:
        return f"a value of type {schema['type']}"
    return schema.get("description") if isinstance(schema.get("description"), str) else None


def _empty(spec: ParameterSpec) -> Any:
    return [] if spec.type.endswith("List") else ({} if spec.type == "object" else "")


def _scalar_text(value: Any) -> str:
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return "" if value is None else str(value)


def _show(value: Any) -> str:
    return json.dumps(plain(value)) if isinstance(value, dict | list | YSeq) else _scalar_text(value)
