"""Template and pipeline parameters: declarations, binding by type, `values:` and recipe schemas.

The rules are the service's as measured [PG C-E03-300..333] where the docs are silent or wrong, and
the docs' [DOC template-parameters.md, runtime-parameters.md; semantics notes 1.3] otherwise:

* a file without a `parameters:` block, or with the legacy mapping form, accepts any argument;
  the typed (sequence) form rejects an undeclared one (`Unexpected parameter 'x'`) and requires a
  value when there is no default (`A value for the 'x' parameter must be provided.`);
* the two positions have their own type vocabularies (`legacyObject` only in templates,
  `environment`/`filePath`/`pool`/`secureFile`/`serviceConnection` only at the pipeline root);
  a missing `type:` is `string`;
* a value binds by its source text: a `string` parameter given `True` is `True`, `007` is `007`;
  `number`/`boolean` parse that text; `object` types the plain leaves (a null leaf is `''`);
  `legacyObject` keeps every leaf as text; steps in `step`/`stepList` are already desugared
  (`script:` is `task: CmdLine@2`) when the template sees them;
* `values:` is checked after coercion, case-sensitively, and ignored on `object`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from emulator.errors import Location, MlopsError, TemplateError, did_you_mean
from emulator.expressions import LiteralNode, find_template_expressions, parse, to_string, try_to_number
from emulator.yamlio import YMap, YSeq, YStr, location_of, plain, resolve_plain_scalar

TEMPLATE_TYPES = frozenset(
    {
        "string",
        "stringList",
        "number",
        "boolean",
        "object",
        "step",
        "stepList",
        "job",
        "jobList",
        "deployment",
        "deploymentList",
        "stage",
        "stageList",
        "container",
        "containerList",
        "legacyObject",
    }
)
"""[SCHEMA templateParameterType; PG C-E03-304: exactly these 16, `stringList` included]."""
PIPELINE_TYPES = (TEMPLATE_TYPES - {"legacyObject"}) | {
    "environment",
    "filePath",
    "pool",
    "secureFile",
    "serviceConnection",
}
"""[SCHEMA pipelineTemplateParameterType; PG C-E03-305: no `legacyObject` at the root]."""

_TYPE_TITLES = {
    "string": "String",
    "stringList": "StringList",
    "number": "Number",
    "boolean": "Boolean",
    "object": "Object",
    "legacyObject": "LegacyObject",
    "step": "Step",
    "stepList": "StepList",
    "job": "Job",
    "jobList": "JobList",
    "deployment": "Deployment",
    "deploymentList": "DeploymentList",
    "stage": "Stage",
    "stageList": "StageList",
    "container": "Container",
    "containerList": "ContainerList",
    "environment": "Environment",
    "filePath": "FilePath",
    "pool": "Pool",
    "secureFile": "SecureFile",
    "serviceConnection": "ServiceConnection",
}
_TEXT_TYPES = frozenset({"string", "filePath", "environment", "secureFile", "serviceConnection"})
_STEP_KEYS = (
    "task",
    "script",
    "bash",
    "pwsh",
    "powershell",
    "checkout",
    "download",
    "downloadBuild",
    "getPackage",
    "publish",
    "upload",
    "reviewApp",
    "template",
)
_STRUCTURE_KEYS: dict[str, tuple[str, ...]] = {
    "step": _STEP_KEYS,
    "job": ("job", "deployment", "template"),
    "deployment": ("deployment", "template"),
    "stage": ("stage", "template"),
    "container": ("container",),
}
_DECLARATION_KEYS = ("name", "displayName", "type", "default", "values")
_NOT_ALLOWED_HERE = "A template expression is not allowed in this context"
_MISSING: Any = object()


@dataclass(frozen=True)
class ParameterSpec:
    """One declared parameter; `default` is already bound to the type (when `has_default`)."""

    name: str
    type: str
    default: Any
    has_default: bool
    values: tuple[Any, ...] | None
    display_name: str | None
    location: Location


@dataclass(frozen=True)
class Declarations:
    """The `parameters:` block of a template or pipeline.

    `form` is `typed` (sequence of declarations), `legacy` (mapping of defaults) or `none` (no
    block): the last two accept any argument [PG C-E03-318; RS old-style-template-*].
    """

    form: str
    specs: tuple[ParameterSpec, ...]
    legacy_defaults: Mapping[str, Any]
    location: Location

    @property
    def typed(self) -> bool:
        return self.form == "typed"

    def names(self) -> list[str]:
        return [s.name for s in self.specs] if self.typed else list(self.legacy_defaults)


def parse_declarations(node: Any, file_loc: Location, *, position: str = "template") -> Declarations:
    """Read a `parameters:` block; `position` is `pipeline`, `template` or `extends`.

    The pipeline root and extends templates only take the typed form [SCHEMA pipelineTemplateParameters,
    extendsParameters are arrays].
    """
    loc = location_of(node) or file_loc
    if node is None:
        return Declarations("none", (), {}, loc)
    if isinstance(node, dict):
        if position != "template":
            raise TemplateError(
                "A mapping was not expected",
                loc,
                expected="- name: x\n  type: string\n  default: ...",
                hint="the pipeline and extends templates declare parameters as a list "
                "(the mapping form is only for included templates)",
            )
        return Declarations("legacy", (), dict(node), loc)
    if not isinstance(node, list):
        raise TemplateError(
            f"Unexpected value '{_clip(to_text(node))}'",
            loc,
            expected="a list of parameter declarations: - name: x",
        )
    allowed = PIPELINE_TYPES if position == "pipeline" else TEMPLATE_TYPES
    specs: list[ParameterSpec] = []
    seen: set[str] = set()
    for item in node:
        iloc = location_of(item) or loc
        if not isinstance(item, dict) or not item:
            raise TemplateError(
                "A parameter declaration must be a mapping that starts with 'name:'",
                iloc,
                expected="- name: x\n  type: string",
            )
        first = next(iter(item))
        if "name" not in item or first != "name":
            key = first if first != "name" else "name"
            raise TemplateError(
                f"Unexpected value '{_clip(key)}'",
                _key_loc(item, key, iloc),
                expected="- name: x\n  type: string",
                hint="a parameter declaration starts with 'name:' [SCHEMA templateParameter]",
            )
        for key in item:
            if key not in _DECLARATION_KEYS:
                raise TemplateError(
                    f"Unexpected value '{_clip(key)}'",
                    _key_loc(item, key, iloc),
                    expected="name, displayName, type, default, values",
                    hint=did_you_mean(key, _DECLARATION_KEYS),
                )
        raw_name = item["name"]
        if raw_name is None or isinstance(raw_name, dict | list) or to_text(raw_name) == "":
            raise TemplateError("A parameter needs a non-empty 'name'", _value_loc(item, "name", iloc))
        name = to_text(raw_name)
        if name.lower() in seen:
            raise TemplateError(
                f"The '{name}' parameter is declared more than once in the parameter list.", iloc
            )
        seen.add(name.lower())
        ptype = "string" if item.get("type") is None else to_text(item["type"])
        if ptype not in allowed:
            raise TemplateError(
                f"Unexpected value '{_clip(ptype)}'",
                _value_loc(item, "type", iloc),
                expected="one of " + ", ".join(sorted(allowed)),
                hint=_type_hint(ptype, position, allowed),
            )
        values = item.get("values")
        if values is not None:
            if not isinstance(values, list) or any(isinstance(v, dict | list) or v is None for v in values):
                raise TemplateError(
                    f"'values' of the '{name}' parameter must be a list of values",
                    _value_loc(item, "values", iloc),
                )
        display = item.get("displayName")
        spec = ParameterSpec(
            name=name,
            type=ptype,
            default=None,
            has_default="default" in item,
            values=tuple(values) if values is not None else None,
            display_name=to_text(display) if display is not None else None,
            location=iloc,
        )
        if spec.has_default:
            dloc = _value_loc(item, "default", iloc)
            default = _literal_default(item["default"], dloc)
            bound = coerce(spec, default, dloc)
            check_values(spec, bound, dloc)
            spec = ParameterSpec(spec.name, spec.type, bound, True, spec.values, spec.display_name, iloc)
        specs.append(spec)
    return Declarations("typed", tuple(specs), {}, loc)


def _type_hint(ptype: str, position: str, allowed: frozenset[str]) -> str | None:
    if ptype in PIPELINE_TYPES | TEMPLATE_TYPES:
        where = "at the pipeline root" if position == "pipeline" else "in a template"
        return f"type '{ptype}' is not available {where}"
    close = did_you_mean(ptype, sorted(allowed))
    return f"{close} (type names are case-sensitive)" if close else None


def _literal_default(value: Any, loc: Location) -> Any:
    """Defaults are literals: the only expression allowed is a lone single-quoted string [PG C-E03-315]."""
    if isinstance(value, str) and "${{" in value:
        segments = find_template_expressions(str(value), loc)
        if len(segments) == 1 and segments[0].kind == "expr":
            node = parse(segments[0].text, loc.shifted(segments[0].offset))
            if isinstance(node, LiteralNode) and isinstance(node.value, str):
                return YStr(node.value, loc)
        raise TemplateError(_NOT_ALLOWED_HERE, loc, hint="parameter defaults must be literal values")
    if isinstance(value, dict):
        for key, item in value.items():
            if "${{" in key:
                raise TemplateError(
                    _NOT_ALLOWED_HERE,
                    _key_loc(value, key, loc),
                    hint="parameter defaults must be literal values",
                )
            _literal_default(item, location_of(item) or loc)
    elif isinstance(value, list):
        for item in value:
            _literal_default(item, location_of(item) or loc)
    return value


# ---- binding values to types ------------------------------------------------------------------


def coerce(spec: ParameterSpec, value: Any, loc: Location) -> Any:
    """Bind a value to the declared type, as the service does, or fail located [PG C-E03-321..328]."""
    t = spec.type
    if t in _TEXT_TYPES or t == "pool":
        if t == "pool" and isinstance(value, dict):
            return value
        if isinstance(value, dict | list):
            shape = "A sequence was not expected" if isinstance(value, list) else "A mapping was not expected"
            raise TemplateError(
                f"{_not_valid(spec)} {shape}",
                loc,
                expected="a single value",
                hint="declare it with 'type: object' to pass a list or a mapping",
            )
        return to_text(value)
    if t == "number":
        if isinstance(value, bool) or isinstance(value, dict | list):
            raise _bad_value(spec, value, loc)
        if isinstance(value, int | float):
            return value
        text = to_text(value)
        number = try_to_number(text) if text.strip() else None
        if number is None:
            raise _bad_value(spec, value, loc)
        return number
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, dict | list):
            raise _bad_value(spec, value, loc)
        text = to_text(value).strip().lower()
        if text not in ("true", "false"):
            raise _bad_value(spec, value, loc, expected="true or false")
        return text == "true"
    if t == "object":
        return typed_value(value)
    if t == "legacyObject":
        return text_value(value)
    if t == "stringList":
        if not isinstance(value, list):
            if value is None:
                return []
            raise TemplateError(
                f"The '{spec.name}' parameter value '{_clip(_show(value))}' is not a valid StringList.",
                loc,
                expected="a list of strings",
            )
        items = []
        for item in value:
            if isinstance(item, dict | list):
                shape = "sequence" if isinstance(item, list) else "mapping"
                raise TemplateError(
                    f"{_not_valid(spec)} A {shape} was not expected", location_of(item) or loc
                )
            items.append(to_text(item))
        return items
    if t in _STRUCTURE_KEYS:
        return _structure(spec, value, t, loc)
    if t.endswith("List") and t[:-4] in _STRUCTURE_KEYS:
        if value is None or value == "":
            return []
        if not isinstance(value, list):
            raise TemplateError(
                f"{_not_valid(spec)} Unexpected value '{_clip(_show(value))}'",
                loc,
                expected=f"a list of {t[:-4]}s",
            )
        return YSeq(
            location_of(value) or loc,
            [_structure(spec, item, t[:-4], location_of(item) or loc) for item in value],
        )
    return value  # pragma: no cover - every declared type is handled above


def _structure(spec: ParameterSpec, value: Any, kind: str, loc: Location) -> Any:
    keys = _STRUCTURE_KEYS[kind]
    if not isinstance(value, dict):
        raise TemplateError(
            f"{_not_valid(spec)} Unexpected value '{_clip(_show(value))}'",
            loc,
            expected=f"a mapping with one of: {', '.join(keys)}",
        )
    if not any(k in value for k in keys):
        first = next(iter(value), "")
        raise TemplateError(
            f"{_not_valid(spec)} Unexpected value '{_clip(first)}'",
            _key_loc(value, first, loc) if first else loc,
            expected=f"a mapping with one of: {', '.join(keys)}",
            hint=did_you_mean(first, keys) if first else None,
        )
    if kind in ("step", "deployment") and "template" not in value:
        # A bound step is already in task form [PG C-E03-328; DOC templates.md, the extends example
        # that rejects `CmdLine@2` steps in a stepList]; so is a bound deployment job: its hooks'
        # steps in task form, `environment: x` as `{name: x}` [issue 13 item 5; UNVERIFIED beyond steps].
        from emulator import normalize

        try:
            if kind == "step":
                return normalize.step(value, loc)
            node = value if isinstance(value, YMap) else YMap(loc, value)
            return normalize.jobs(YSeq(loc, [node]), loc)[0]
        except MlopsError as err:
            raise TemplateError(
                f"{_not_valid(spec)} {err.message}", err.location or loc, expected=err.expected, hint=err.hint
            ) from None
    return value


def _not_valid(spec: ParameterSpec) -> str:
    return f"The '{spec.name}' parameter is not a valid {_TYPE_TITLES.get(spec.type, spec.type)}."


def _bad_value(spec: ParameterSpec, value: Any, loc: Location, expected: str | None = None) -> TemplateError:
    if isinstance(value, dict | list):
        return TemplateError(_not_valid(spec), loc, expected=expected)
    return TemplateError(
        f"The '{spec.name}' parameter value '{_clip(to_text(value))}' is not a valid "
        f"{_TYPE_TITLES.get(spec.type, spec.type)}.",
        loc,
        expected=expected or f"a {spec.type}",
    )


def typed_value(value: Any) -> Any:
    """An `object` value: plain scalars typed (YAML 1.2 core), Null leaves `''` [PG C-E03-324]."""
    if value is None:
        return YStr("", Location("<default>"))
    if isinstance(value, YStr):
        if value.style == "":
            typed = resolve_plain_scalar(str(value))
            if typed is None:
                return YStr("", value.loc)
            return value if isinstance(typed, str) else typed
        return value
    if isinstance(value, dict):
        loc = location_of(value) or Location("<value>")
        out = YMap(loc)
        key_locs = value.key_locs if isinstance(value, YMap) else {}
        for k, v in value.items():
            out[k] = typed_value(v)
            if k in key_locs:
                out.key_locs[k] = key_locs[k]
        return out
    if isinstance(value, list):
        return YSeq(location_of(value) or Location("<value>"), [typed_value(v) for v in value])
    return value


def text_value(value: Any) -> Any:
    """A `legacyObject` value: every scalar leaf its text [PG C-E03-325]."""
    if isinstance(value, dict):
        loc = location_of(value) or Location("<value>")
        out = YMap(loc)
        for k, v in value.items():
            out[k] = text_value(v)
            if isinstance(value, YMap) and k in value.key_locs:
                out.key_locs[k] = value.key_locs[k]
        return out
    if isinstance(value, list):
        return YSeq(location_of(value) or Location("<value>"), [text_value(v) for v in value])
    return value if isinstance(value, str) else to_text(value)


def check_values(spec: ParameterSpec, value: Any, loc: Location) -> None:
    """`values:` membership after coercion, case-sensitive; ignored on `object` [PG C-E03-311/314]."""
    if spec.values is None or spec.type in ("object", "legacyObject"):
        return
    allowed = [_allowed(spec, v, loc) for v in spec.values]
    items = value if isinstance(value, list) else [value]
    for item in items:
        if isinstance(item, dict | list):
            continue
        if not any(_same(item, a) for a in allowed):
            raise TemplateError(
                f"The '{spec.name}' parameter value '{_clip(to_text(item))}' is not a valid value.",
                location_of(item) if isinstance(value, list) and location_of(item) else loc,
                expected="one of: " + ", ".join(to_text(a) for a in allowed),
                hint=_values_hint(to_text(item), [to_text(a) for a in allowed]),
            )


def _allowed(spec: ParameterSpec, raw: Any, loc: Location) -> Any:
    if spec.type in ("number", "boolean"):
        try:
            return coerce(spec, raw, loc)
        except TemplateError:
            return to_text(raw)
    return to_text(raw)


def _same(value: Any, allowed: Any) -> bool:
    if isinstance(value, bool) or isinstance(allowed, bool):
        return isinstance(value, bool) and isinstance(allowed, bool) and value == allowed
    if isinstance(value, int | float) and isinstance(allowed, int | float):
        return value == allowed
    return to_text(value) == to_text(allowed)


def _values_hint(text: str, allowed: list[str]) -> str | None:
    folded = [a for a in allowed if a.lower() == text.lower()]
    if folded:
        return f"values are case-sensitive: did you mean '{folded[0]}'?"
    return did_you_mean(text, allowed)


def bind(
    decls: Declarations,
    given: Mapping[str, Any],
    given_locs: Mapping[str, Location],
    call_loc: Location,
    template_name: str,
) -> dict[str, Any]:
    """The parameter values a template sees, from what the caller passed."""
    if decls.form == "none":
        return dict(given)
    if decls.form == "legacy":
        merged = dict(decls.legacy_defaults)
        lowered = {k.lower(): k for k in merged}
        for key, val in given.items():
            merged[lowered.get(key.lower(), key)] = val
        return merged
    by_name = {s.name.lower(): s for s in decls.specs}
    for key in given:
        if key.lower() not in by_name:
            raise TemplateError(
                f"Unexpected parameter '{_clip(key)}'",
                given_locs.get(key, call_loc),
                expected=f"one of the parameters {template_name} declares: "
                f"{', '.join(decls.names()) or '(none)'}",
                hint=did_you_mean(key, decls.names()),
            )
    lowered_given = {k.lower(): k for k in given}
    missing = [s for s in decls.specs if s.name.lower() not in lowered_given and not s.has_default]
    if missing:
        others = ", ".join(f"'{s.name}'" for s in missing[1:])
        raise TemplateError(
            f"A value for the '{missing[0].name}' parameter must be provided.",
            call_loc,
            hint=f"pass it under 'parameters:' ({template_name} declares it without a default"
            f" at {missing[0].location})" + (f"; also missing: {others}" if others else ""),
        )
    values: dict[str, Any] = {}
    for spec in decls.specs:
        given_key = lowered_given.get(spec.name.lower())
        if given_key is None:
            values[spec.name] = spec.default
            continue
        loc = location_of(given[given_key]) or given_locs.get(given_key, call_loc)
        value = coerce(spec, given[given_key], loc)
        check_values(spec, value, loc)
        values[spec.name] = value
    return values


def bind_runtime(decls: Declarations, given: Mapping[str, str], pipeline_loc: Location) -> dict[str, Any]:
    """Pipeline (runtime) parameters from `-p NAME=VALUE`: text coerced to the declared type.

    A JSON/YAML text given to an `object` or list parameter is parsed [PG C-E03-329]. Without a
    default the first of `values:` is used, as the queue dialog does [DOC runtime-parameters.md].
    """
    from emulator.yamlio import loads

    names = [s.name for s in decls.specs]
    cli = Location("command line")
    for key in given:
        if key.lower() not in {n.lower() for n in names}:
            raise TemplateError(
                f"Unexpected parameter '{_clip(key)}' (given with -p)",
                pipeline_loc,
                expected=f"one of: {', '.join(names) or '(the pipeline declares none)'}",
                hint=did_you_mean(key, names),
            )
    values: dict[str, Any] = {}
    for spec in decls.specs:
        raw = next((v for k, v in given.items() if k.lower() == spec.name.lower()), None)
        if raw is not None:
            value: Any = YStr(raw, cli)
            if (
                spec.type in ("object", "legacyObject", "stringList", "pool", "container")
                or spec.type in _STRUCTURE_KEYS
                or spec.type.endswith("List")
            ) and raw.strip()[:1] in ("[", "{"):
                value = loads(raw, "command line", text_scalars=True)
            elif spec.type in ("object", "legacyObject"):
                value = YStr(raw, cli, "")
            try:
                value = coerce(spec, value, cli)
                check_values(spec, value, cli)
            except TemplateError as exc:  # point at the declaration the command-line value breaks
                raise TemplateError(
                    f"{exc.message} (given with -p {spec.name}=...)",
                    spec.location,
                    expected=exc.expected,
                    hint=exc.hint,
                ) from None
        elif spec.has_default:
            value = spec.default
        elif spec.values:
            value = coerce(spec, spec.values[0], spec.location)
        else:
            raise TemplateError(
                f"A value for the '{spec.name}' parameter must be provided.",
                spec.location,
                hint=f"pass it with -p {spec.name}=VALUE, or give it a default",
            )
        values[spec.name] = value
    return values


# ---- recipe schemas ---------------------------------------------------------------------------


@lru_cache(maxsize=64)
def _validator(schema_path: str, text: str) -> Any:
    import jsonschema

    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TemplateError(
            f"Cannot read the parameter schema {schema_path}: {exc}", Location(schema_path)
        ) from None
    try:
        validator_cls = jsonschema.validators.validator_for(schema)
        validator_cls.check_schema(schema)
    except jsonschema.SchemaError as exc:
        raise TemplateError(
            f"The parameter schema {schema_path} is not a valid JSON Schema: {exc.message}",
            Location(schema_path),
        ) from None
    return validator_cls(schema)


def check_schema(
    schema_path: Path,
    schema_text: str,
    values: Mapping[str, Any],
    given_locs: Mapping[str, Location],
    call_loc: Location,
) -> None:
    """Validate bound parameters against a recipe's JSON Schema (`schema_text`, read from `schema_path`);
    errors point at the caller."""
    validator = _validator(str(schema_path), schema_text)
    errors = sorted(
        validator.iter_errors(plain(dict(values))), key=lambda e: [str(p) for p in e.absolute_path]
    )
    if not errors:
        return
    err = errors[0]
    path = [str(p) for p in err.absolute_path]
    top = path[0] if path else None
    loc = call_loc
    if top is not None:
        loc = next((v for k, v in given_locs.items() if k.lower() == top.lower()), call_loc)
    where = f"parameter '{'.'.join(path)}'" if path else "parameters"
    raise TemplateError(
        f"Invalid {where}: {err.message}",
        loc,
        expected=_schema_expectation(err.schema) if isinstance(err.schema, dict) else None,
        hint=f"see {schema_path}",
    )


def _schema_expectation(schema: Mapping[str, Any]) -> str | None:
    if "enum" in schema:
        return "one of " + ", ".join(str(v) for v in schema["enum"])
    if "pattern" in schema:
        return f"text matching {schema['pattern']}"
    if "type" in schema:
        return f"a value of type {schema['type']}"
    return schema.get("description") if isinstance(schema.get("description"), str) else None


# ---- small helpers ----------------------------------------------------------------------------


def to_text(value: Any) -> str:
    """A scalar's text: source text for YAML text, the service's String form otherwise."""
    if isinstance(value, str):
        return str(value)
    if value is None:
        return ""
    try:
        return to_string(value)
    except MlopsError:
        return json.dumps(plain(value))


def _show(value: Any) -> str:
    return json.dumps(plain(value)) if isinstance(value, dict | list) else to_text(value)


_LONG = 500


def _clip(text: str) -> str:
    """Service messages are cut at 500 characters [PG C-E02-107]."""
    return text if len(text) <= _LONG else text[:_LONG] + "[...]"


def _key_loc(node: Any, key: str, fallback: Location) -> Location:
    return node.key_locs.get(key, fallback) if isinstance(node, YMap) else fallback


def _value_loc(node: Any, key: str, fallback: Location) -> Location:
    return location_of(node.get(key)) or _key_loc(node, key, fallback)


_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
