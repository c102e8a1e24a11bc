"""Template expansion: `${{ }}` expressions, directives and template references.

This is the service's first processing step [DOC runs.md "Process the pipeline"; template-expressions.md]:
it works on the YAML text alone, before any variable exists at run time. Semantics notes 1.2–1.4
list the rules followed here (lone vs mixed expressions, directive forms, flattening, collisions).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import ExpressionError, Location, TemplateError, did_you_mean
from emulator.expressions import (
    CaseInsensitiveDict,
    EvalContext,
    evaluate_text,
    find_template_expressions,
    to_bool,
    to_string,
)
from emulator.templates.parameters import bind, check_schema, parse_declarations
from emulator.templates.references import References, TemplateFile
from emulator.yamlio import DIRECTIVE_DUPLICATE_MARK, YMap, YSeq, YStr, location_of

_DIRECTIVE = re.compile(r"^\$\{\{\s*(if|elseif|each)\s+(.*?)\s*\}\}$", re.DOTALL)
_BARE_DIRECTIVE = re.compile(r"^\$\{\{\s*(else|insert)\s*\}\}$")
_EACH = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)\s+in\s+(.+)$", re.DOTALL)
LIST_KINDS = ("stages", "jobs", "steps", "variables")
RECIPE_TEMPLATE_NAMES = ("template.yml", "template.yaml")  # a recipe's schema.json describes these
_TEMPLATE_ROOT_KEYS = {"stages", "jobs", "steps", "variables"}
_EXTENDS_ROOT_KEYS = {"parameters", "stages", "jobs", "steps", "trigger", "pr", "resources", "variables",
                      "extends", "name", "pool", "schedules", "lockBehavior", "appendCommitMessageToRunName"}


@dataclass(frozen=True)
class Directive:
    kind: str          # if | elseif | else | each | insert
    expression: str
    offset: int        # where the expression starts inside the key text


def parse_directive(key: str) -> Directive | None:
    """A mapping key that is a directive (lower-case keywords only, as the service requires)."""
    text = key.split(DIRECTIVE_DUPLICATE_MARK)[0]
    if not text.startswith("${{"):
        return None
    m = _DIRECTIVE.match(text)
    if m:
        return Directive(m.group(1), m.group(2), m.start(2))
    m = _BARE_DIRECTIVE.match(text)
    if m:
        return Directive(m.group(1), "", 0)
    return None


@dataclass(frozen=True)
class Scope:
    """What an expression can see at one point of the expansion."""

    parameters: CaseInsensitiveDict
    variables: CaseInsensitiveDict
    loops: Mapping[str, Any]
    file: TemplateFile
    chain: tuple[TemplateFile, ...]

    def context(self, loc: Location | None) -> EvalContext:
        named: dict[str, Any] = {"parameters": self.parameters, "variables": self.variables}
        named.update(self.loops)
        return EvalContext(named=named, location=loc)

    def file_location(self) -> Location:
        return Location(str(self.file.path))

    def with_variables(self, variables: CaseInsensitiveDict) -> Scope:
        return Scope(self.parameters, variables, self.loops, self.file, self.chain)

    def with_loop(self, name: str, value: Any, loc: Location) -> Scope:
        taken = {"parameters", "variables", *(k.lower() for k in self.loops)}
        if name.lower() in taken:
            raise TemplateError(f"The idenfifier '{name}' has already been defined within the current scope",
                                loc, hint="choose another name for the loop variable")
        return Scope(self.parameters, self.variables, {**self.loops, name: value}, self.file, self.chain)


@dataclass
class Expander:
    """Walks a YAML tree and produces the expanded tree (locations kept)."""

    refs: References
    used_files: list[str] = field(default_factory=list)

    # ---- values -------------------------------------------------------------------------------
    def value(self, node: Any, scope: Scope, key: str | None = None) -> Any:
        if isinstance(node, YStr) or isinstance(node, str):
            return self.scalar(node, scope)
        if isinstance(node, dict):
            return self.mapping(node, scope)
        if isinstance(node, list):
            kind = key if key in LIST_KINDS else None
            return self.sequence(node, scope, kind)
        return node

    def evaluate(self, text: str, scope: Scope, loc: Location | None) -> Any:
        return evaluate_text(text, scope.context(loc), loc)

    def scalar(self, text: str, scope: Scope) -> Any:
        if "${{" not in text:
            return text
        loc = location_of(text)
        segments = find_template_expressions(str(text))
        if len(segments) == 1 and segments[0].kind == "expr":
            seg = segments[0]
            value = self.evaluate(seg.text, scope, loc.shifted(seg.offset) if loc else None)
            if isinstance(value, dict | list):
                return value
            return YStr(to_string(value), loc) if loc else to_string(value)
        parts: list[str] = []
        for seg in segments:
            if seg.kind == "text":
                parts.append(seg.text)
                continue
            sloc = loc.shifted(seg.offset) if loc else None
            value = self.evaluate(seg.text, scope, sloc)
            if isinstance(value, dict | list):
                kind = "Array" if isinstance(value, list) else "Object"
                raise ExpressionError(f"Unable to convert from {kind} to String. Value: {kind}", sloc,
                                      hint="a list or mapping can only be inserted as a whole value "
                                           "(the scalar must be exactly one ${{ }})")
            parts.append(to_string(value))
        joined = "".join(parts)
        return YStr(joined, loc) if loc else joined

    # ---- mappings -----------------------------------------------------------------------------
    def mapping(self, node: Mapping[str, Any], scope: Scope) -> YMap:
        loc = location_of(node) or scope.file_location()
        out = YMap(loc)
        keys = list(node)
        block_variables: Any = None
        if "variables" in node:
            block_variables, scope = self._with_block_variables(node, scope)
        chain_state: str | None = None  # None | "taken" | "open"
        for key in keys:
            key_loc = node.key_loc(key) if isinstance(node, YMap) else loc
            directive = parse_directive(key)
            if directive is None:
                chain_state = None
                if key == "variables":
                    self._merge_key(out, key, block_variables, key_loc)
                    continue
                new_key = self.scalar(YStr(key, key_loc), scope) if "${{" in key else key
                if isinstance(new_key, dict | list):
                    raise TemplateError("A mapping key must be a single value", key_loc)
                value = self.value(node[key], scope, key=str(new_key))
                self._merge_key(out, str(new_key), value, key_loc)
                continue
            chain_state = self._mapping_directive(directive, node[key], key_loc, scope, out, chain_state)
        return out

    def _mapping_directive(self, d: Directive, body: Any, key_loc: Location, scope: Scope, out: YMap,
                           chain_state: str | None) -> str | None:
        expr_loc = key_loc.shifted(d.offset)
        if d.kind in ("elseif", "else") and chain_state is None:
            raise TemplateError(f"Unexpected '{d.kind}' directive: it must follow an 'if' or 'elseif'", key_loc)
        if d.kind == "each":
            for loop_scope in self._each(d, scope, expr_loc):
                self._merge_mapping(out, self._directive_body_mapping(body, loop_scope, key_loc), key_loc)
            return None
        if d.kind == "insert":
            value = self.value(body, scope)
            if value is None:
                return None
            if not isinstance(value, dict):
                raise TemplateError("'${{ insert }}' needs a mapping to insert", key_loc)
            self._merge_mapping(out, value, key_loc)
            return None
        take = self._branch(d, scope, expr_loc, chain_state)
        if take:
            self._merge_mapping(out, self._directive_body_mapping(body, scope, key_loc), key_loc)
        if d.kind == "else":
            return None
        return "taken" if take or chain_state == "taken" else "open"

    def _branch(self, d: Directive, scope: Scope, expr_loc: Location, chain_state: str | None) -> bool:
        if d.kind == "else":
            return chain_state == "open"
        condition = self.evaluate(d.expression, scope, expr_loc)  # evaluated even when not taken
        if d.kind == "elseif" and chain_state == "taken":
            return False
        return to_bool(condition)

    def _directive_body_mapping(self, body: Any, scope: Scope, key_loc: Location) -> YMap:
        if body is None:
            return YMap(key_loc)
        if not isinstance(body, dict):
            raise TemplateError("A directive inside a mapping must hold a mapping", key_loc,
                                expected="key: value pairs indented under the directive")
        return self.mapping(body, scope)

    def _each(self, d: Directive, scope: Scope, expr_loc: Location) -> list[Scope]:
        m = _EACH.match(d.expression)
        if not m:
            raise TemplateError("The expected format of an 'each' expression is: "
                                "${{ each <identifier> in <value> }}", expr_loc)
        name, collection_text = m.group(1), m.group(2)
        coll_loc = expr_loc.shifted(m.start(2))
        collection = self.evaluate(collection_text, scope, coll_loc)
        if collection is None:
            return []
        if isinstance(collection, dict):
            items: list[Any] = [CaseInsensitiveDict({"key": k, "value": v}) for k, v in collection.items()]
        elif isinstance(collection, list):
            items = list(collection)
        else:
            raise TemplateError(f"'each' needs a sequence or a mapping, got '{to_string(collection)}'",
                                coll_loc)
        return [scope.with_loop(name, item, expr_loc) for item in items]

    def _merge_mapping(self, out: YMap, extra: Mapping[str, Any], loc: Location) -> None:
        for k, v in extra.items():
            kl = extra.key_loc(k) if isinstance(extra, YMap) else loc
            self._merge_key(out, k, v, kl)

    def _merge_key(self, out: YMap, key: str, value: Any, loc: Location) -> None:
        if any(k.lower() == key.lower() for k in out):
            raise TemplateError(f"'{key}' is already defined", loc,
                                hint=f"first defined at {out.key_loc(next(k for k in out if k.lower() == key.lower()))}")
        out.set(key, value, loc)

    def _with_block_variables(self, node: Mapping[str, Any], scope: Scope) -> tuple[Any, Scope]:
        """Expand a pipeline/stage/job `variables:` first so later keys see them [semantics 1.7]."""
        block = node["variables"]
        vars_acc = CaseInsensitiveDict(dict(scope.variables.items()))
        inner = scope.with_variables(vars_acc)
        if isinstance(block, list):
            expanded: Any = self.sequence(block, inner, "variables", vars_acc)
        else:
            expanded = self.value(block, inner)
            if isinstance(expanded, dict):
                for k, v in expanded.items():
                    vars_acc[str(k)] = to_string(v) if not isinstance(v, dict | list) else v
        return expanded, scope.with_variables(CaseInsensitiveDict(dict(vars_acc.items())))

    # ---- sequences ----------------------------------------------------------------------------
    def sequence(self, node: list[Any], scope: Scope, kind: str | None,
                 variables_acc: CaseInsensitiveDict | None = None) -> YSeq:
        loc = location_of(node) or scope.file_location()
        out = YSeq(loc)
        chain_state: str | None = None
        for item in node:
            iloc = location_of(item) or loc
            directive = None
            if isinstance(item, dict) and len(item) == 1:
                directive = parse_directive(next(iter(item)))
            if directive is not None:
                key = next(iter(item))
                key_loc = item.key_loc(key) if isinstance(item, YMap) else iloc
                chain_state = self._sequence_directive(directive, item[key], key_loc, scope, kind, out,
                                                       chain_state, variables_acc)
                continue
            chain_state = None
            if kind and isinstance(item, dict) and "template" in item:
                for produced in self.include(item, kind, scope):
                    self._append(out, produced, kind, variables_acc)
                continue
            value = self.value(item, self._scope_for(scope, variables_acc))
            if isinstance(value, list) and isinstance(item, str):
                for produced in value:  # "When an array is inserted into an array, it is flattened"
                    if kind and isinstance(produced, dict) and "template" in produced:
                        for inner in self.include(produced, kind, scope):
                            self._append(out, inner, kind, variables_acc)
                    else:
                        self._append(out, produced, kind, variables_acc)
            else:
                self._append(out, value, kind, variables_acc)
        return out

    def _scope_for(self, scope: Scope, variables_acc: CaseInsensitiveDict | None) -> Scope:
        if variables_acc is None:
            return scope
        return scope.with_variables(CaseInsensitiveDict(dict(variables_acc.items())))

    def _append(self, out: YSeq, value: Any, kind: str | None, variables_acc: CaseInsensitiveDict | None) -> None:
        out.append(value)
        if variables_acc is not None and kind == "variables" and isinstance(value, dict) and "name" in value:
            raw = value.get("value")
            variables_acc[str(value["name"])] = "" if raw is None else (
                to_string(raw) if not isinstance(raw, dict | list) else raw)

    def _sequence_directive(self, d: Directive, body: Any, key_loc: Location, scope: Scope, kind: str | None,
                            out: YSeq, chain_state: str | None,
                            variables_acc: CaseInsensitiveDict | None) -> str | None:
        expr_loc = key_loc.shifted(d.offset)
        if d.kind in ("elseif", "else") and chain_state is None:
            raise TemplateError(f"Unexpected '{d.kind}' directive: it must follow an 'if' or 'elseif'", key_loc)
        if d.kind == "insert":
            raise TemplateError("'${{ insert }}' can only be used as a mapping key", key_loc)
        if d.kind == "each":
            for loop_scope in self._each(d, self._scope_for(scope, variables_acc), expr_loc):
                self._splice(body, loop_scope, kind, out, key_loc, variables_acc)
            return None
        take = self._branch(d, self._scope_for(scope, variables_acc), expr_loc, chain_state)
        if take:
            self._splice(body, scope, kind, out, key_loc, variables_acc)
        if d.kind == "else":
            return None
        return "taken" if take or chain_state == "taken" else "open"

    def _splice(self, body: Any, scope: Scope, kind: str | None, out: YSeq, key_loc: Location,
                variables_acc: CaseInsensitiveDict | None) -> None:
        if body is None:
            return
        if isinstance(body, list):
            inner_scope = self._scope_for(scope, variables_acc) if variables_acc is not None else scope
            produced = self.sequence(body, inner_scope, kind, variables_acc)
            out.extend(produced)
            return
        if kind and isinstance(body, dict) and "template" in body:
            for item in self.include(body, kind, scope):
                self._append(out, item, kind, variables_acc)
            return
        self._append(out, self.value(body, self._scope_for(scope, variables_acc)), kind, variables_acc)

    # ---- template references ------------------------------------------------------------------
    def include(self, item: Mapping[str, Any], kind: str, scope: Scope) -> list[Any]:
        """Expand `- template: path` in a stages/jobs/steps/variables list into its items."""
        loc = location_of(item) or scope.file_location()
        extra = [k for k in item if k not in ("template", "parameters")]
        if extra:
            kl = item.key_loc(extra[0]) if isinstance(item, YMap) else loc
            raise TemplateError(f"Unexpected property '{extra[0]}' next to 'template'", kl,
                                expected="template: and parameters:")
        ref_node = item["template"]
        ref = self.value(ref_node, scope)
        ref_loc = location_of(ref_node) or loc
        target = self.refs.resolve(str(ref), scope.file, ref_loc)
        doc = self.refs.load(target, scope.chain, ref_loc)
        self.used_files.append(target.display())
        if not isinstance(doc, dict):
            raise TemplateError(f"Template {target.display()} must be a mapping", ref_loc)
        unknown = [k for k in doc if k != "parameters" and k not in _TEMPLATE_ROOT_KEYS]
        if unknown:
            raise TemplateError(f"Unexpected value '{unknown[0]}' in template {target.display()}",
                                doc.key_loc(unknown[0]) if isinstance(doc, YMap) else ref_loc,
                                expected="parameters: and one of stages:, jobs:, steps:, variables:")
        if kind not in doc:
            has = next((k for k in _TEMPLATE_ROOT_KEYS if k in doc), None)
            raise TemplateError(
                f"Template {target.display()} is a {has or 'empty'} template but is used in a {kind} list",
                ref_loc, hint=f"reference it from a '{has}:' list" if has else None)
        given_node = item.get("parameters")
        given = self.value(given_node, scope) if given_node is not None else YMap(loc)
        if not isinstance(given, dict):
            raise TemplateError("'parameters' of a template reference must be a mapping", location_of(given_node) or loc)
        tscope = self.template_scope(target, doc, given, loc, scope)
        body = doc[kind]
        if body is None:
            return []
        if not isinstance(body, list):
            raise TemplateError(f"'{kind}' in template {target.display()} must be a sequence",
                                location_of(body) or ref_loc)
        return list(self.sequence(body, tscope, kind))

    def template_scope(self, target: TemplateFile, doc: Mapping[str, Any], given: Mapping[str, Any],
                       call_loc: Location, scope: Scope) -> Scope:
        decls = parse_declarations(doc.get("parameters"), Location(str(target.path)), pipeline=False)
        given_locs = {k: (given.key_loc(k) if isinstance(given, YMap) else call_loc) for k in given}
        values = bind(decls, given, given_locs, call_loc, target.display())
        schema = target.path.parent / "schema.json"
        if target.path.name in RECIPE_TEMPLATE_NAMES and schema.is_file():
            check_schema(schema, values, given_locs, call_loc)
        return Scope(CaseInsensitiveDict(values, strict=True), scope.variables, {}, target,
                     (*scope.chain, target))

    # ---- extends ------------------------------------------------------------------------------
    def extends(self, node: Any, scope: Scope, loc: Location) -> YMap:
        """Expand `extends: {template, parameters}` into the template's root mapping."""
        spec = self.value(node, scope)
        if not isinstance(spec, dict) or "template" not in spec:
            raise TemplateError("'extends' needs a 'template'", loc, expected="extends:\n  template: path.yml")
        unknown = [k for k in spec if k not in ("template", "parameters")]
        if unknown:
            raise TemplateError(f"Unexpected property '{unknown[0]}' in 'extends'", loc,
                                expected="template: and parameters:")
        ref_loc = location_of(spec["template"]) or loc
        target = self.refs.resolve(str(spec["template"]), scope.file, ref_loc)
        doc = self.refs.load(target, scope.chain, ref_loc)
        self.used_files.append(target.display())
        if not isinstance(doc, dict):
            raise TemplateError(f"Template {target.display()} must be a mapping", ref_loc)
        bad = [k for k in doc if k not in _EXTENDS_ROOT_KEYS]
        if bad:
            raise TemplateError(f"Unexpected value '{bad[0]}' in extends template {target.display()}",
                                doc.key_loc(bad[0]) if isinstance(doc, YMap) else ref_loc,
                                hint=did_you_mean(bad[0], _EXTENDS_ROOT_KEYS))
        given = spec.get("parameters") or YMap(loc)
        tscope = self.template_scope(target, doc, given, ref_loc, scope)
        body = YMap(location_of(doc) or ref_loc)
        for k in doc:
            if k != "parameters":
                body.set(k, doc[k], doc.key_loc(k) if isinstance(doc, YMap) else ref_loc)
        expanded = self.mapping(body, tscope)
        if "extends" in expanded:
            nested = expanded.pop("extends")
            inner = self.extends(nested, tscope, ref_loc)
            for k, v in expanded.items():
                self._merge_key(inner, k, v, expanded.key_loc(k))
            return inner
        return expanded
