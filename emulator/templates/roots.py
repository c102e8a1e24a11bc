"""The roots of documents: where directives may not appear, what an extends template may hold, and how an
extending pipeline and its template are merged."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from emulator.errors import Location, TemplateError, did_you_mean
from emulator.templates.directives import first_directive
from emulator.templates.references import TemplateFile
from emulator.templates.text import clip
from emulator.yamlio import YMap, YSeq, location_of

TEMPLATE_ROOT_KEYS = {
    "stages": ("stages",),
    "jobs": ("jobs", "phases"),
    "steps": ("steps",),
    "variables": ("variables",),
}
"""The list key an included template of each kind has [SCHEMA stagesTemplate, jobsTemplate, stepsTemplate,
variablesTemplate]."""


def check_directive_positions(doc: Mapping[str, Any]) -> None:
    """Where the service does not expand directives [PG C-E03-110]: in `resources.repositories` a
    directive is "A template expression is not allowed in this context"; in `trigger` it is left as
    a mapping key and the schema rejects it ("A mapping was not expected")."""
    resources = doc.get("resources")
    if isinstance(resources, dict):
        found = first_directive(resources.get("repositories"))
        if found is not None:
            raise TemplateError(
                "A template expression is not allowed in this context",
                found,
                hint="repositories are resolved before templates are expanded; plain "
                "values (${{ }} without if/each/insert) are allowed",
            )
    found = first_directive(doc.get("trigger"))
    if found is not None:
        raise TemplateError(
            "A mapping was not expected", found, hint="directives are not expanded in 'trigger'"
        )


def merge_extended(own: YMap, extended: YMap) -> YMap:
    """The extending document's keys with the extended template's: `resources` lists are joined
    [RS Pipeline.cs], any other key defined in both is an error ("'variables' is already defined",
    semantics notes 1.2)."""
    out = YMap(own.loc)
    folded = {k.lower(): k for k in own}
    for k, v in own.items():
        out[k] = v
        out.key_locs[k] = own.key_locs.get(k, own.loc)
    for k, v in extended.items():
        kl = extended.key_locs.get(k, extended.loc)
        mine = folded.get(k.lower())
        if mine is None:
            out[k] = v
            out.key_locs[k] = kl
            continue
        if k == "resources" and isinstance(out[mine], dict) and isinstance(v, dict):
            out[mine] = _merge_resources(out[mine], v, kl)
            continue
        raise TemplateError(
            f"'{k}' is already defined",
            kl,
            hint=f"both the pipeline and the template it extends define '{k}' "
            f"(first at {own.key_locs.get(mine, own.loc)}); keep one",
        )
    return out


def _merge_resources(first: Mapping[str, Any], second: Mapping[str, Any], loc: Location) -> YMap:
    out = YMap(location_of(first) or loc)
    for k, v in first.items():
        out[k] = v
    for k, v in second.items():
        if k in out and isinstance(out[k], list) and isinstance(v, list):
            out[k] = YSeq(location_of(out[k]) or loc, [*out[k], *v])
        elif k in out:
            raise TemplateError(f"'{k}' is already defined", loc)
        else:
            out[k] = v
    return out


_EXTENDS_BODIES = ("stages", "jobs", "steps")
_EXTENDS_ALLOWED = {"trigger", "resources", "parameters", "variables"}


def check_extends_root(doc: Mapping[str, Any], target: TemplateFile, loc: Location) -> None:
    """The root keys an extends template may have [SCHEMA extendsTemplate]."""
    key_locs = doc.key_locs if isinstance(doc, YMap) else {}
    bodies = [k for k in doc if k in _EXTENDS_BODIES]
    if "extends" in doc:
        allowed = {"trigger", "resources", "parameters", "extends"}
    else:
        allowed = _EXTENDS_ALLOWED | set(bodies[:1])
    for k in doc:
        if k not in allowed:
            raise TemplateError(
                f"Unexpected value '{clip(k)}'",
                key_locs.get(k, loc),
                expected=f"in an extends template: {', '.join(sorted(allowed))}",
                hint=did_you_mean(k, sorted(allowed))
                or (
                    f"{target.display()} can have one of stages, jobs or steps"
                    if k in _EXTENDS_BODIES
                    else None
                ),
            )


def template_body_key(
    doc: Mapping[str, Any], target: TemplateFile, allowed: tuple[str, ...], kind: str, loc: Location
) -> str | None:
    """The list key of an included template, checked against where it is used [SCHEMA *Template]."""
    key_locs = doc.key_locs if isinstance(doc, YMap) else {}
    body: str | None = None
    for k in doc:
        if k == "parameters":
            continue
        if k in allowed and body is None:
            body = k
            continue
        kinds = [name for name, keys in TEMPLATE_ROOT_KEYS.items() if k in keys]
        hint = (
            f"{target.display()} is a {kinds[0]} template; reference it from a '{kinds[0]}:' list"
            if kinds
            else did_you_mean(k, ["parameters", *allowed])
        )
        raise TemplateError(
            f"Unexpected value '{clip(k)}'",
            key_locs.get(k, loc),
            expected=f"parameters: and {' or '.join(allowed)}: in a {kind} template",
            hint=hint,
        )
    return body
