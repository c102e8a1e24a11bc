"""Template expansion: `${{ }}` expressions, directives and template references.

This is the service's first processing step [DOC runs.md "Process the pipeline"; template-expressions.md]:
it works on the YAML text alone, before any variable exists at run time. The rules followed here are
in semantics notes 1.2-1.4 and 1.7, refined by what the service was measured to do [PG C-E03-100..194]:

* a file is checked when it is read: every `${{ }}` must parse, and a directive keyword in value
  position is `Unexpected value '...'` - even inside a branch that is never taken;
* directives are mapping keys with lower-case keywords; `if`/`elseif`/`else` chains run over the
  whole containing list or mapping (ordinary siblings do not end a chain, `each` and `insert` do);
  once a branch is taken later conditions are not evaluated;
* a scalar that is exactly one `${{ }}` keeps the value's type when it is a list or mapping (a list
  inserted into a list is flattened) and is its String form otherwise; mixed text stringifies
  every hole; keys are always strings;
* compile-time `variables` are layered (pipeline, stage, job) and sequential: a definition is
  visible to everything written after it.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.errors import ExpressionError, Location, MlopsError, TemplateError
from emulator.expressions import (
    CaseInsensitiveDict,
    Segment,
    evaluate_text,
    find_template_expressions,
    parse,
    to_bool,
    to_string,
)
from emulator.expressions.limits import MAX_STRING_LENGTH, check_length
from emulator.templates.directives import Directive, directive_of, is_directive_text
from emulator.templates.parameters import Declarations, bind, check_schema, parse_declarations
from emulator.templates.references import MAX_DEPTH, References, TemplateFile
from emulator.templates.roots import (
    TEMPLATE_ROOT_KEYS,
    check_directive_positions,
    check_extends_root,
    merge_extended,
    template_body_key,
)
from emulator.templates.scopes import ABSENT, Frame, Recorder, Scope, VariableLayer, chain_text, variable_text
from emulator.templates.text import clip, hole_location, kind_name
from emulator.yamlio import DIRECTIVE_DUPLICATE_MARK, YMap, YSeq, YStr, location_of, plain

__all__ = ["Expander", "Frame", "Scope", "VariableLayer", "expand_error", "merge_extended"]

LIST_KINDS = {
    "stages": "stages",
    "jobs": "jobs",
    "phases": "jobs",
    "steps": "steps",
    "variables": "variables",
}
"""Lists whose items may be `- template:` references, by key [SCHEMA stage/job/phase/step/variable]."""
RECIPE_TEMPLATE_NAMES = ("template.yml", "template.yaml")  # a recipe's schema.json describes these
MAX_NODES = 1_000_000
"""Expanded mappings and lists before the emulator gives up: the service stops at 20 MB of memory
[DOC templates.md limits]; a million nodes is well past any real pipeline and keeps a runaway
`each` from exhausting the machine."""
MAX_EXPANDED_CHARS = MAX_STRING_LENGTH
"""The text of the whole expanded pipeline (keys and values): the 20 MB the service allows while it
parses a pipeline [DOC templates.md 2025-02-26 "Imposed limits": "no more than 20 megabytes of memory
consumed while parsing the YAML"], as UTF-16 (two bytes a character). Counted as values are made, so a
pipeline that would pass it is refused before it is built, whatever the size of its files."""


# ---- the expander ---------------------------------------------------------------------------


@dataclass
class Expander:
    """Walks YAML trees and produces the expanded tree (locations kept, inputs never modified)."""

    refs: References
    used_files: list[str] = field(default_factory=list)
    extends_files: list[str] = field(default_factory=list)
    nodes: int = 0
    chars: int = 0  # text of the expanded pipeline so far (see MAX_EXPANDED_CHARS)
    _sizes: dict[int, int] = field(default_factory=dict)  # id of an inserted list/mapping -> its text
    _checked: set[str] = field(default_factory=set)
    _directives: dict[str, Directive | None] = field(default_factory=dict)
    _segments: dict[str, list[Segment]] = field(default_factory=dict)
    _declarations: dict[Any, Declarations] = field(default_factory=dict)

    # ---- reading a file -------------------------------------------------------------------------
    def check_file(self, doc: Any, name: str) -> None:
        """Parse every expression of a file once, as the service does when it reads the file: syntax
        errors are fatal even in a branch that is never taken [RS expr-syntax-error-is-fatal-*]."""
        if name in self._checked:
            return
        self._checked.add(name)
        self._check(doc, None)

    def _check(self, node: Any, loc: Location | None) -> None:
        if isinstance(node, dict):
            mloc = location_of(node) or loc
            key_locs = node.key_locs if isinstance(node, YMap) else {}
            for key, value in node.items():
                if "${{" in key:
                    kloc = key_locs.get(key, mloc) or Location("<unknown>")
                    d = self.directive(key, kloc)
                    if d is not None:
                        if d.expression:
                            parse(d.expression, kloc.shifted(d.offset))
                    else:
                        self._parse_all(key, kloc)
                self._check(value, mloc)
        elif isinstance(node, list):
            lloc = location_of(node) or loc
            for item in node:
                self._check(item, lloc)
        elif isinstance(node, str) and "${{" in node:
            sloc = location_of(node) or loc or Location("<unknown>")
            if is_directive_text(node):
                raise TemplateError(
                    f"Unexpected value '{clip(str(node))}'",
                    sloc,
                    hint="directives (if, elseif, else, each, insert) only work as mapping "
                    "keys: end the line with ':' and indent what it applies to",
                )
            self._parse_all(node, sloc)

    def _parse_all(self, text: str, loc: Location) -> None:
        for seg in self.segments(text, loc):
            if seg.kind == "expr":
                parse(seg.text, hole_location(text, seg.offset, loc))

    def directive(self, key: str, loc: Location) -> Directive | None:
        try:
            return self._directives[key]
        except KeyError:
            pass
        d = directive_of(key, loc)
        self._directives[key] = d
        return d

    def segments(self, text: str, loc: Location | None) -> list[Segment]:
        cached = self._segments.get(text)
        if cached is None:
            cached = find_template_expressions(str(text), loc)
            if len(self._segments) < 200_000:
                self._segments[text] = cached
        return cached

    # ---- values ---------------------------------------------------------------------------------
    def node(self, value: Any, scope: Scope, key: str | None = None) -> Any:
        if isinstance(value, str):
            out = self.scalar(value, scope) if "${{" in value else value
            self._add_text(out, location_of(value))
            return out
        if isinstance(value, dict):
            return self.mapping(value, scope)
        if isinstance(value, list):
            return self.sequence(value, scope, LIST_KINDS.get(key) if key is not None else None)
        return value

    def evaluate(self, text: str, scope: Scope, loc: Location | None) -> Any:
        return evaluate_text(text, scope.context, loc)

    def scalar(self, text: str, scope: Scope) -> Any:
        """A value with `${{ }}`: lone keeps lists and mappings, else the String form [PG C-E03-177..189]."""
        loc = location_of(text)
        segments = self.segments(text, loc)
        if len(segments) == 1 and segments[0].kind == "expr":
            if is_directive_text(text):
                raise TemplateError(
                    f"Unexpected value '{clip(str(text))}'",
                    loc or scope.file_location(),
                    hint="directives only work as mapping keys",
                )
            value = self.evaluate(segments[0].text, scope, hole_location(text, segments[0].offset, loc))
            if isinstance(value, dict | list):
                return value
            result = to_string(value)
            return YStr(result, loc) if loc is not None else result
        parts: list[str] = []
        for seg in segments:
            if seg.kind == "text":
                parts.append(seg.text)
                continue
            sloc = hole_location(text, seg.offset, loc)
            value = self.evaluate(seg.text, scope, sloc)
            if isinstance(value, dict | list):
                kind = "Array" if isinstance(value, list) else "Object"
                raise ExpressionError(
                    f"Unable to convert from {kind} to String. Value: {kind}",
                    sloc,
                    hint="a list or mapping can only be inserted as a whole value "
                    "(the scalar must be exactly one ${{ }}, without text around it)",
                )
            parts.append(to_string(value))
        check_length(sum(map(len, parts)), "This value", loc)
        joined = "".join(parts)
        return YStr(joined, loc) if loc is not None else joined

    def key(self, key: str, scope: Scope, loc: Location) -> str:
        """An expression key: always a string; a lone list or mapping is an error [PG C-E03-190/191]."""
        segments = self.segments(key, loc)
        if len(segments) == 1 and segments[0].kind == "expr":
            value = self.evaluate(segments[0].text, scope, loc.shifted(segments[0].offset))
            if isinstance(value, dict | list):
                raise TemplateError(
                    "Expected a scalar value",
                    loc,
                    hint="a key must be text; this expression gives a "
                    f"{'list' if isinstance(value, list) else 'mapping'}",
                )
            return to_string(value)
        return str(self.scalar(YStr(key, loc), scope))

    # ---- mappings -------------------------------------------------------------------------------
    def mapping(
        self,
        node: Mapping[str, Any],
        scope: Scope,
        record: Recorder | None = None,
        layer: VariableLayer | None = None,
        *,
        own_scope: bool = True,
    ) -> YMap:
        """Expand a mapping. One with a `variables:` key (pipeline, stage, job) opens a variables
        layer, expanded first so the other keys see it; `layer` is that layer when the caller made it.
        `own_scope=False`: the mapping is itself a variables block, where `variables` is just a name."""
        loc = location_of(node) or scope.file_location()
        self._count(len(node), loc)
        self._add_chars(sum(len(k) for k in node), loc)
        out = YMap(loc)
        seen: dict[str, str] = {}
        key_locs = node.key_locs if isinstance(node, YMap) else {}
        pre: Any = ABSENT
        if own_scope and "variables" in node:
            if layer is None:
                layer = VariableLayer(scope.variables)
                scope = scope.with_variables(layer)
            pre = self.variables_block(node["variables"], scope, layer)
        chain: str | None = None  # None | "open" (no branch taken yet) | "taken"
        for key, value in node.items():
            key_loc = key_locs.get(key, loc)
            d = self.directive(key, key_loc) if "${{" in key else None
            if d is None:
                if key == "variables" and pre is not ABSENT:
                    self._merge(out, seen, key, pre, key_loc, record)
                    continue
                new_key = (
                    self.key(key.split(DIRECTIVE_DUPLICATE_MARK, 1)[0], scope, key_loc)
                    if "${{" in key
                    else key
                )
                self._merge(out, seen, new_key, self.node(value, scope, new_key), key_loc, record)
                continue
            if d.kind == "each":
                chain = None
                for loop_scope in self._each(d, scope, key_loc):
                    body = self._mapping_body(value, loop_scope, key_loc, record)
                    self._merge_all(out, seen, body, key_loc, record)
            elif d.kind == "insert":
                chain = None
                inserted = self.node(value, scope)
                if not isinstance(inserted, dict):
                    raise TemplateError(
                        "Expected a mapping",
                        location_of(value) or key_loc,
                        hint="`${{ insert }}` merges a mapping into this mapping; this "
                        f"value is {kind_name(inserted)}",
                    )
                self._merge_all(out, seen, inserted, location_of(value) or key_loc, record)
            else:
                take, chain = self._branch(d, chain, scope, key_loc)
                if take:
                    body = self._mapping_body(value, scope, key_loc, record)
                    self._merge_all(out, seen, body, key_loc, record)
        return out

    def _mapping_body(
        self, body: Any, scope: Scope, key_loc: Location, record: Recorder | None
    ) -> Mapping[str, Any]:
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise TemplateError(
                "Expected a mapping",
                location_of(body) or key_loc,
                hint="a directive inside a mapping holds key: value pairs indented under it",
            )
        return self.mapping(body, scope, record)

    def _merge(
        self, out: YMap, seen: dict[str, str], key: str, value: Any, loc: Location, record: Recorder | None
    ) -> None:
        folded = key.lower()
        first = seen.get(folded)
        if first is not None:
            raise TemplateError(
                f"'{clip(key)}' is already defined",
                loc,
                hint=f"keys are compared ignoring case; '{first}' is defined at "
                f"{out.key_locs.get(first, out.loc)}",
            )
        seen[folded] = key
        out[key] = value
        out.key_locs[key] = loc
        if record is not None:
            record({"name": key, "value": value})

    def _merge_all(
        self,
        out: YMap,
        seen: dict[str, str],
        extra: Mapping[str, Any],
        loc: Location,
        record: Recorder | None,
    ) -> None:
        extra_locs = extra.key_locs if isinstance(extra, YMap) else {}
        for k, v in extra.items():
            self._merge(out, seen, k, v, extra_locs.get(k, loc), record)

    def _branch(
        self, d: Directive, chain: str | None, scope: Scope, key_loc: Location
    ) -> tuple[bool, str | None]:
        """One member of an if/elseif/else chain: (take this body?, the chain's next state)."""
        if d.kind == "if":
            taken = to_bool(self.evaluate(d.expression, scope, key_loc.shifted(d.offset)))
            return taken, "taken" if taken else "open"
        if chain is None:
            raise TemplateError(
                f"The expression directive '{d.kind}' is not supported in this context",
                key_loc,
                hint=f"an '{d.kind}' must follow an 'if' (or 'elseif') in the same list or "
                "mapping, and nothing may follow an 'else'",
            )
        if d.kind == "elseif":
            if chain == "taken":
                return False, "taken"  # later conditions are not evaluated [PG C-E03-132]
            taken = to_bool(self.evaluate(d.expression, scope, key_loc.shifted(d.offset)))
            return taken, "taken" if taken else "open"
        return chain == "open", None  # else

    def _each(self, d: Directive, scope: Scope, key_loc: Location) -> Iterator[Scope]:
        coll_loc = key_loc.shifted(d.offset)
        collection = self.evaluate(d.expression, scope, coll_loc)
        if collection is None or (isinstance(collection, str) and collection == ""):
            return  # each over Null runs no iteration [RS null-each-loop]
        if isinstance(collection, Mapping):
            items: list[Any] = [CaseInsensitiveDict({"key": k, "value": v}) for k, v in collection.items()]
        elif isinstance(collection, list):
            items = collection
        else:
            raise TemplateError(
                f"'each' needs a sequence or a mapping to iterate, not {kind_name(collection)}",
                coll_loc,
                hint="iterate a list or an object parameter (type: object)",
            )
        if not items:
            return
        yield scope.with_loop(d.variable, items[0], key_loc)  # checks the name once
        for item in items[1:]:
            loops = {**scope.loops, d.variable: item}
            yield Scope.make(scope.parameters, scope.variables, loops, scope.chain)

    # ---- variables ------------------------------------------------------------------------------
    def variables_block(self, value: Any, scope: Scope, layer: VariableLayer) -> Any:
        """Expand a `variables:` value, defining each variable as it appears [semantics notes 1.7]."""

        def record(item: Any) -> None:
            if isinstance(item, dict) and "name" in item and "group" not in item:
                name = item["name"]
                if isinstance(name, str):
                    layer.define(str(name), variable_text(item.get("value")))

        if isinstance(value, list):
            return self.sequence(value, scope, "variables", record)
        if isinstance(value, dict):
            return self.mapping(value, scope, record, own_scope=False)
        expanded = self.node(value, scope)
        if isinstance(expanded, list):
            for item in expanded:
                record(item)
        elif isinstance(expanded, dict):
            for k, v in expanded.items():
                record({"name": k, "value": v})
        return expanded

    # ---- sequences ------------------------------------------------------------------------------
    def sequence(
        self, node: list[Any], scope: Scope, kind: str | None, record: Recorder | None = None
    ) -> YSeq:
        """Expand a list. An item that is one `if`/`elseif`/`else`/`each` key holding a list splices
        that list; with any other value the item is an ordinary mapping and the directive works
        inside it (so `- ${{ each pair in step }}:` rebuilds one step, as the templates doc's
        examples need) [RS TemplateUnraveler sequence insertion; PG C-E03-136]."""
        loc = location_of(node) or scope.file_location()
        self._count(len(node), loc)
        out = YSeq(loc)
        chain: str | None = None
        for item in node:
            if isinstance(item, dict):
                if len(item) == 1:
                    key = next(iter(item))
                    if "${{" in key:
                        key_loc = item.key_locs.get(key, loc) if isinstance(item, YMap) else loc
                        d = self.directive(key, key_loc)
                        if d is not None and d.kind != "insert" and isinstance(item[key], list):
                            if d.kind == "each":
                                chain = None
                                for loop_scope in self._each(d, scope, key_loc):
                                    out.extend(self.sequence(item[key], loop_scope, kind, record))
                            else:
                                take, chain = self._branch(d, chain, scope, key_loc)
                                if take:
                                    out.extend(self.sequence(item[key], scope, kind, record))
                            continue
                        if d is not None and d.kind in ("each", "insert"):
                            chain = None  # a directive sibling ends a chain [PG C-E03-138]
                if kind is not None and "template" in item:
                    out.extend(self.include(item, kind, scope, record))
                    continue
                value: Any = self.mapping(item, scope)
            elif isinstance(item, str) and "${{" in item:
                value = self.scalar(item, scope)
                self._add_text(value, location_of(item))
                if isinstance(value, list):  # an array inserted into an array is flattened [DOC]
                    self._extend_evaluated(out, value, kind, scope, record)
                    continue
                if isinstance(value, dict):
                    self._extend_evaluated(out, [value], kind, scope, record)
                    continue
            elif isinstance(item, list):
                value = self.sequence(item, scope, None)
            else:
                value = item
                self._add_text(value, location_of(item))
            out.append(value)
            if record is not None:
                record(value)
        return out

    def _extend_evaluated(
        self, out: YSeq, values: list[Any], kind: str | None, scope: Scope, record: Recorder | None
    ) -> None:
        for produced in values:
            if kind is not None and isinstance(produced, dict) and "template" in produced:
                out.extend(self.include(produced, kind, scope, record, evaluated=True))
                continue
            out.append(produced)
            if record is not None:
                record(produced)

    # ---- template references --------------------------------------------------------------------
    def include(
        self,
        item: Mapping[str, Any],
        kind: str,
        scope: Scope,
        record: Recorder | None = None,
        *,
        evaluated: bool = False,
    ) -> list[Any]:
        """Expand `- template: path` in a stages/jobs/steps/variables list into its items.

        `evaluated`: the reference came out of an expression, so its values are final and are not
        expanded a second time (a literal `${{` in them stays literal [PG C-E03-188]).
        """
        loc = location_of(item) or scope.file_location()
        key_locs = item.key_locs if isinstance(item, YMap) else {}
        for extra in item:
            if extra not in ("template", "parameters"):
                raise TemplateError(
                    f"Unexpected value '{clip(extra)}'",
                    key_locs.get(extra, loc),
                    expected="template: and parameters: only",
                    hint="a template reference takes no other properties; set them inside "
                    "the template, or pass them as parameters",
                )
        ref_node = item["template"]
        ref_loc = location_of(ref_node) or key_locs.get("template", loc)
        ref = ref_node if evaluated else self.node(ref_node, scope)
        if not isinstance(ref, str):
            raise TemplateError(
                "A template reference must be a file path", ref_loc, expected="template: path/to/file.yml"
            )
        # A reference that came out of an expression (a stepList parameter, an object) resolves from
        # the file it was written in, not from the template that inserts it.
        including = self.refs.file_written(ref_loc) if evaluated else None
        target = self.refs.resolve(str(ref), including or scope.file, ref_loc)
        doc = self._load(target, ref_loc)
        allowed = TEMPLATE_ROOT_KEYS[kind]
        body_key = template_body_key(doc, target, allowed, kind, ref_loc)
        given_node = item.get("parameters")
        given = given_node if evaluated else self.node(given_node, scope, "parameters")
        if given is None:
            given = YMap(loc)
        if not isinstance(given, dict):
            raise TemplateError(
                "Expected a mapping",
                location_of(given_node) or key_locs.get("parameters", loc),
                hint="'parameters' of a template reference maps names to values",
            )
        tscope = self.template_scope(target, doc, given, ref_loc, scope, "template")
        body = doc.get(body_key) if body_key else None
        if body is None:
            return []
        if kind == "variables" and isinstance(body, dict):
            # The mapping form `NAME: value` is a variables template too [DOC templates.md "Variable
            # reuse"; SCHEMA variablesTemplate: variables is a mapping or a list]; its items join the
            # including list as `{name, value}`, each visible to what follows.
            return _variable_items(self.mapping(body, tscope, record, own_scope=False))
        if not isinstance(body, list):
            raise TemplateError(
                f"'{body_key}' in template {target.display()} must be a list", location_of(body) or ref_loc
            )
        return list(self.sequence(body, tscope, kind, record))

    def _load(self, target: TemplateFile, loc: Location) -> Mapping[str, Any]:
        doc = self.refs.load(target, loc)
        self.used_files.append(target.display())
        if doc is None:
            return YMap(loc)
        if not isinstance(doc, dict):
            raise TemplateError(
                f"Template {target.display()} must be a mapping",
                location_of(doc) or loc,
                expected="parameters: and one of stages:, jobs:, steps:, variables:",
            )
        self.check_file(doc, str(target.path))
        return doc

    def template_scope(
        self,
        target: TemplateFile,
        doc: Mapping[str, Any],
        given: Mapping[str, Any],
        call_loc: Location,
        scope: Scope,
        position: str,
    ) -> Scope:
        """Bind the parameters a template is given; the template sees only its own [PG C-E03-319]."""
        decl_key = (target.path, position)
        decls = self._declarations.get(decl_key)
        if decls is None:
            decls = parse_declarations(doc.get("parameters"), location_of(doc) or call_loc, position=position)
            self._declarations[decl_key] = decls
        key_locs = given.key_locs if isinstance(given, YMap) else {}
        given_locs = {k: key_locs.get(k, call_loc) for k in given}
        values = bind(decls, given, given_locs, call_loc, target.display())
        schema = target.path.parent / "schema.json"
        if target.path.name in RECIPE_TEMPLATE_NAMES and self.refs.provider.is_file(schema):
            value_locs = {k: location_of(given[k]) or given_locs[k] for k in given}
            check_schema(schema, self._schema_text(schema), values, value_locs, call_loc)
        chain = scope.chain
        self._check_chain(target, values, chain, call_loc)
        frame = Frame(target, values)
        return Scope.make(CaseInsensitiveDict(values, strict=True), scope.variables, {}, (*chain, frame))

    def _schema_text(self, schema: Path) -> str:
        try:
            return self.refs.provider.read(schema).decode("utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise TemplateError(
                f"Cannot read the parameter schema {schema}: {exc}", Location(str(schema))
            ) from None

    def _check_chain(
        self, target: TemplateFile, values: Mapping[str, Any], chain: tuple[Frame, ...], loc: Location
    ) -> None:
        """Nesting limit, and a reference cycle: the same file given the same parameters again can only
        recurse forever (the service dies of "Maximum object depth exceeded" [PG C-E03-208])."""
        if len(chain) > MAX_DEPTH:
            raise TemplateError(
                f"No more than {MAX_DEPTH} levels of template nesting are allowed",
                loc,
                hint="templates including templates: " + chain_text([*chain, Frame(target, {})]),
            )
        same = [f for f in chain if f.file.path == target.path]
        if same:
            current = plain(dict(values))
            if any(plain(dict(f.parameters)) == current for f in same):
                raise TemplateError(
                    "Maximum object depth exceeded: template reference cycle "
                    + chain_text([*chain, Frame(target, values)]),
                    loc,
                    hint="the template includes itself with the same parameters, so the "
                    "expansion never ends; remove the reference that closes the loop",
                )

    # ---- documents and extends ------------------------------------------------------------------
    def document(
        self, doc: Mapping[str, Any], scope: Scope, skip: tuple[str, ...] = ()
    ) -> tuple[YMap, Scope]:
        """Expand a pipeline or extends-template root without the `skip` keys; returns it and the
        scope its body saw (with its variables), which an `extends:` in it continues from."""
        loc = location_of(doc) or scope.file_location()
        body = YMap(loc)
        key_locs = doc.key_locs if isinstance(doc, YMap) else {}
        for k, v in doc.items():
            if k not in skip:
                body[k] = v
                if k in key_locs:
                    body.key_locs[k] = key_locs[k]
        check_directive_positions(body)
        layer: VariableLayer | None = None
        if "variables" in body:
            layer = VariableLayer(scope.variables)
            scope = scope.with_variables(layer)
        return self.mapping(body, scope, layer=layer), scope

    def extends(self, node: Any, scope: Scope, key_loc: Location) -> YMap:
        """Expand `extends: {template, parameters}` into the template's root mapping (recursively)."""
        spec = self.node(node, scope)
        loc = location_of(node) or key_loc
        if not isinstance(spec, dict) or "template" not in spec:
            raise TemplateError(
                "'extends' needs a 'template'", loc, expected="extends:\n  template: path.yml"
            )
        spec_locs = spec.key_locs if isinstance(spec, YMap) else {}
        for k in spec:
            if k not in ("template", "parameters"):
                raise TemplateError(
                    f"Unexpected value '{clip(k)}'",
                    spec_locs.get(k, loc),
                    expected="template: and parameters:",
                )
        ref = spec["template"]
        ref_loc = location_of(ref) or spec_locs.get("template", loc)
        if not isinstance(ref, str):
            raise TemplateError("A template reference must be a file path", ref_loc)
        target = self.refs.resolve(str(ref), scope.file, ref_loc)
        doc = self._load(target, ref_loc)
        self.extends_files.append(target.display())
        check_extends_root(doc, target, ref_loc)
        resources = doc.get("resources")
        if isinstance(resources, dict):
            self.refs.declare_repositories(resources.get("repositories"))
        given = spec.get("parameters")
        if given is None:
            given = YMap(loc)
        if not isinstance(given, dict):
            raise TemplateError("Expected a mapping", location_of(given) or loc)
        tscope = self.template_scope(target, doc, given, ref_loc, scope, "extends")
        expanded, body_scope = self.document(doc, tscope, skip=("parameters", "extends"))
        if "extends" in doc:
            dlocs = doc.key_locs if isinstance(doc, YMap) else {}
            inner = self.extends(doc["extends"], body_scope, dlocs.get("extends", ref_loc))
            expanded = merge_extended(expanded, inner)
        return expanded

    # ---- limits ---------------------------------------------------------------------------------
    def _count(self, n: int, loc: Location) -> None:
        self.nodes += n + 1
        if self.nodes > MAX_NODES:
            raise TemplateError(
                "The expanded pipeline is too large",
                loc,
                hint="the service stops at 20 MB of memory while expanding templates; "
                "check for an 'each' that multiplies more than intended",
            )

    def _add_text(self, value: Any, loc: Location | None) -> None:
        """Count a value the expansion produced: a string, or a list or mapping an expression inserted
        whole (measured once, however often it is inserted)."""
        if isinstance(value, str):
            self._add_chars(len(value), loc)
        elif isinstance(value, dict | list):
            size = self._sizes.get(id(value))
            if size is None:
                size = self._sizes[id(value)] = _text_size(value)
            self._add_chars(size, loc)

    def _add_chars(self, n: int, loc: Location | None) -> None:
        self.chars += n
        if self.chars > MAX_EXPANDED_CHARS:
            raise TemplateError(
                f"The expanded pipeline would be more than {MAX_EXPANDED_CHARS:,} characters (the 20 MB "
                "the service allows while it parses a pipeline)",
                loc,
                hint="this value takes it past the limit; a template or an 'each' that repeats large values "
                "can't run on Azure Pipelines either: pass smaller values, or split the pipeline",
            )


def _text_size(value: Any) -> int:
    """Characters of the keys and strings in a list or mapping (without recursion: nesting is deep)."""
    total = 0
    todo = [value]
    while todo:
        item = todo.pop()
        if isinstance(item, str):
            total += len(item)
        elif isinstance(item, dict):
            total += sum(len(str(k)) for k in item)
            todo.extend(item.values())
        elif isinstance(item, list):
            todo.extend(item)
    return total


def _variable_items(block: YMap) -> list[Any]:
    """A mapping-form variables block as the `{name, value}` items of a variables list."""
    items: list[Any] = []
    for name, value in block.items():
        loc = block.key_locs.get(name, block.loc)
        items.append(YMap(loc, {"name": YStr(name, loc), "value": value}))
    return items


def expand_error(err: Exception, loc: Location) -> MlopsError:
    """Any unexpected failure as a located error (a traceback for bad input is a bug)."""
    if isinstance(err, MlopsError):
        return err
    if isinstance(err, RecursionError):
        return TemplateError(
            "Maximum object depth exceeded",
            loc,
            hint="the pipeline nests too deeply (templates, directives or YAML)",
        )
    return TemplateError(
        f"Internal error while expanding templates: {type(err).__name__}: {err}",
        loc,
        hint="this is a bug in the emulator; please report it with the pipeline",
    )
