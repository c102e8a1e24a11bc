"""Load YAML the way Azure Pipelines reads it, keeping file, line and column for every node.

Azure Pipelines accepts a subset of YAML: one document per file, no anchors or aliases, no complex
keys, no custom tags, and no duplicate keys (compared case-insensitively) [semantics notes 1.15].
By default plain scalars are typed with the YAML 1.2 core schema (null, booleans, integers, floats)
and quoted scalars are strings. With `text_scalars=True` (what the template engine uses) every
non-null scalar stays the text that was written, marked plain or quoted: the service binds a scalar
by its *source text* (`True` stays `True`, `007` stays `007`) and only types it where a typed value
is asked for, e.g. an `object` parameter [PG C-E03-321/324; C-E04-066].
"""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from emulator.errors import Location, YamlError

try:  # the C parser is much faster when PyYAML was built with libyaml
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on the PyYAML build
    _Loader = yaml.SafeLoader

DIRECTIVE_DUPLICATE_MARK = "\x00"
MAX_DEPTH = 100
"""Nesting of mappings and sequences in one file. The service stops deep structures with "Maximum object
depth exceeded" [PG C-E03-208] and documents 100 levels of template nesting [DOC templates.md "Imposed
limits"]; 100 levels also keep every recursive walk of the tree well inside Python's stack."""

_NULL = re.compile(r"^(?:~|null|Null|NULL)?$")
_BOOL_TRUE = {"true", "True", "TRUE"}
_BOOL_FALSE = {"false", "False", "FALSE"}
_INT = re.compile(r"^[-+]?[0-9]+$")
_OCT = re.compile(r"^0o[0-7]+$")
_HEX = re.compile(r"^0x[0-9a-fA-F]+$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$")
_INF = re.compile(r"^[-+]?\.(?:inf|Inf|INF)$")
_NAN = re.compile(r"^\.(?:nan|NaN|NAN)$")


PLAIN = ""
"""`YStr.style` of a plain (unquoted) scalar; quoted ones carry `'` or `"`, blocks `|` or `>`."""


class YStr(str):
    """A string that remembers where it was written and how (`style`: None when computed)."""

    loc: Location
    style: str | None

    def __new__(cls, value: str, loc: Location, style: str | None = None) -> YStr:
        obj = super().__new__(cls, value)
        obj.loc = loc
        obj.style = style
        return obj

    def __reduce__(self) -> Any:  # deepcopy/pickle keep the location and style
        return (YStr, (str(self), self.loc, self.style))

    @property
    def plain(self) -> bool:
        """Written without quotes: such text may still be typed (true, 3, 1.5) where a type is asked."""
        return self.style == PLAIN


class YMap(dict[str, Any]):
    """A mapping that remembers where it and each of its keys were written.

    `origin`: for a step normalized from a shortcut (`publish:`, `download:`), that shortcut, so the
    service's spelling of it can be restored for display.
    """

    loc: Location
    key_locs: dict[str, Location]
    origin: str | None = None

    def __init__(self, loc: Location, items: Any = ()) -> None:
        super().__init__(items)
        self.loc = loc
        self.key_locs = {}

    def key_loc(self, key: str) -> Location:
        return self.key_locs.get(key, self.loc)

    def value_loc(self, key: str) -> Location:
        value = self.get(key)
        return location_of(value) or self.key_loc(key)

    def set(self, key: str, value: Any, key_loc: Location | None = None) -> None:
        self[key] = value
        if key_loc is not None:
            self.key_locs[key] = key_loc


class YSeq(list[Any]):
    """A sequence that remembers where it was written."""

    loc: Location

    def __init__(self, loc: Location, items: Any = ()) -> None:
        super().__init__(items)
        self.loc = loc


@contextmanager
def no_cyclic_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while building big trees of small acyclic nodes.

    Why: its full passes rescan every live node, which made expanding 5,000 jobs cost twice as much
    per job as 1,000 (benchmarks/expand.py). Reference counting still frees everything.
    """
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()


def location_of(value: Any) -> Location | None:
    """The location of a node, if it carries one."""
    loc = getattr(value, "loc", None)
    return loc if isinstance(loc, Location) else None


def _loc(file: str, mark: Any) -> Location:
    return Location(file, mark.line + 1, mark.column + 1)


def resolve_plain_scalar(text: str) -> Any:
    """Type a plain (unquoted) scalar with the YAML 1.2 core schema."""
    if _NULL.match(text):
        return None
    if text in _BOOL_TRUE:
        return True
    if text in _BOOL_FALSE:
        return False
    if _INT.match(text):
        return int(text)
    if _OCT.match(text):
        return int(text[2:], 8)
    if _HEX.match(text):
        return int(text[2:], 16)
    if _FLOAT.match(text):
        return float(text)
    if _INF.match(text):
        return float("-inf") if text.startswith("-") else float("inf")
    if _NAN.match(text):
        return float("nan")
    return text


class _Builder:
    def __init__(self, file: str, events: Iterator[Any], text_scalars: bool = False) -> None:
        self.file = file
        self.events = events
        self.text_scalars = text_scalars
        self.depth = 0

    def deeper(self, event: Any) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(
                event,
                f"Maximum object depth exceeded: mappings and sequences nest more than "
                f"{MAX_DEPTH} levels deep here",
                hint="flatten the structure, or move parts into templates",
            )

    def fail(self, event: Any, message: str, hint: str | None = None) -> YamlError:
        return YamlError(message, _loc(self.file, event.start_mark), hint=hint)

    def next(self) -> Any:
        return next(self.events)

    def node(self, event: Any) -> Any:
        if isinstance(event, yaml.AliasEvent):
            raise self.fail(
                event,
                "Anchors and aliases are not supported by Azure Pipelines",
                hint="repeat the value, or use a template with parameters",
            )
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise self.fail(
                event,
                f"Anchors are not supported by Azure Pipelines ('&{anchor}')",
                hint="remove the anchor; use templates to share YAML",
            )
        tag = getattr(event, "tag", None)
        if tag is not None and tag != "!" and not tag.startswith("tag:yaml.org"):
            raise self.fail(event, f"Custom YAML tags are not supported ('{tag}')")
        loc = _loc(self.file, event.start_mark)
        if isinstance(event, yaml.ScalarEvent):
            if not event.style and event.implicit[0] and tag is None:
                if self.text_scalars:
                    return None if _NULL.match(event.value) else YStr(event.value, loc, PLAIN)
                value = resolve_plain_scalar(event.value)
                return YStr(value, loc, PLAIN) if isinstance(value, str) else value
            return YStr(event.value, loc, event.style or PLAIN)
        if isinstance(event, yaml.SequenceStartEvent):
            self.deeper(event)
            seq = YSeq(loc)
            while not isinstance(ev := self.next(), yaml.SequenceEndEvent):
                seq.append(self.node(ev))
            self.depth -= 1
            return seq
        if isinstance(event, yaml.MappingStartEvent):
            self.deeper(event)
            mapping = self.mapping(loc)
            self.depth -= 1
            return mapping
        raise self.fail(event, f"Unexpected YAML event {type(event).__name__}")  # pragma: no cover

    def mapping(self, loc: Location) -> YMap:
        result = YMap(loc)
        seen: dict[str, str] = {}
        while not isinstance(ev := self.next(), yaml.MappingEndEvent):
            if not isinstance(ev, yaml.ScalarEvent):
                raise self.fail(ev, "Complex mapping keys are not supported by Azure Pipelines")
            key_node = self.node(ev)
            key = "" if key_node is None else str(key_node)
            if isinstance(key_node, bool):
                key = "true" if key_node else "false"
            key_loc = _loc(self.file, ev.start_mark)
            folded = key.lower()
            if folded in seen:
                if key.startswith("${{") and seen[folded] == key:
                    n = 1
                    while f"{key}{DIRECTIVE_DUPLICATE_MARK}{n}" in result:
                        n += 1
                    key = f"{key}{DIRECTIVE_DUPLICATE_MARK}{n}"
                else:
                    first = result.key_locs.get(seen[folded])
                    raise YamlError(
                        f"'{key}' is already defined",
                        key_loc,
                        hint=f"keys are compared case-insensitively; first defined at {first}",
                    )
            else:
                seen[folded] = key
            value = self.node(self.next())
            result[key] = value
            result.key_locs[key] = key_loc
        return result


def loads(text: str, file: str = "<string>", *, text_scalars: bool = False) -> Any:
    """Parse one YAML document into YMap/YSeq/YStr nodes (plus bool/int/float/None scalars, or only
    None with `text_scalars`)."""
    with no_cyclic_gc():
        return _parse(text, file, text_scalars)


def _parse(text: str, file: str, text_scalars: bool) -> Any:
    try:
        events = yaml.parse(text, Loader=_Loader)
        builder = _Builder(file, events, text_scalars)
        ev = builder.next()
        assert isinstance(ev, yaml.StreamStartEvent)
        ev = builder.next()
        if isinstance(ev, yaml.StreamEndEvent):
            return None
        root = builder.node(builder.next())
        builder.next()  # DocumentEndEvent
        ev = builder.next()
        if not isinstance(ev, yaml.StreamEndEvent):
            raise builder.fail(
                ev, "A file may hold only one YAML document", hint="split the documents into separate files"
            )
        return root
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        loc = _loc(file, mark) if mark is not None else Location(file)
        lines = text.splitlines() or [""]
        if loc.line > len(lines):  # the parser ran off the end: point after the last character
            loc = Location(file, len(lines), len(lines[-1]) + 1)
        problem = exc.problem or "invalid YAML"
        context = f" {exc.context}" if exc.context else ""
        raise YamlError(
            f"YAML syntax error: {problem}{context}",
            loc,
            hint="check the indentation and quoting around this line",
        ) from None
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow (NUL, other controls)
        raise YamlError(
            f"YAML syntax error: unacceptable character #x{exc.character:04x}: control "
            "characters are not allowed",
            _position(file, text, exc.position),
            hint="remove the character, or write it as an escape in a double-quoted string",
        ) from None
    except yaml.YAMLError as exc:  # pragma: no cover - non-marked errors are rare
        raise YamlError(f"YAML error: {exc}", Location(file)) from None
    except RecursionError:  # pragma: no cover - MAX_DEPTH stops deep trees first
        raise YamlError(
            "Maximum object depth exceeded",
            Location(file),
            hint="the YAML is nested too deeply; flatten it or move parts into templates",
        ) from None


def _position(file: str, text: str, offset: int) -> Location:
    """The line and column of a character offset in `text`."""
    line = text.count("\n", 0, offset) + 1
    return Location(file, line, offset - (text.rfind("\n", 0, offset) + 1) + 1)


def load_file(path: Path, display: str | None = None, *, text_scalars: bool = False) -> Any:
    """Read and parse a YAML file; errors name the file as `display` (default: the path)."""
    name = display or str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise YamlError(f"File {name} not found", Location(name)) from None
    except OSError as exc:
        raise YamlError(f"Cannot read {name}: {exc.strerror or exc}", Location(name)) from None
    return load_bytes(raw, str(path) if display is None else display, text_scalars=text_scalars)


def load_bytes(raw: bytes, name: str, *, text_scalars: bool = False) -> Any:
    """Parse a YAML file's content, read by the caller; errors name the file as `name`."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        raise YamlError(
            f"{name} is not UTF-8 text: byte 0x{raw[exc.start]:02x} can't be decoded",
            Location(name, line, col),
            expected="a file encoded as UTF-8",
            hint="save the file as UTF-8 (Azure Pipelines reads YAML files as UTF-8)",
        ) from None
    return loads(text, name, text_scalars=text_scalars)


def plain(value: Any) -> Any:
    """Strip locations: YMap/YSeq/YStr become dict/list/str (for JSON and dumping)."""
    if isinstance(value, dict):
        return {str(k).split(DIRECTIVE_DUPLICATE_MARK)[0]: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    if isinstance(value, YStr):
        return str(value)
    return value


class _Dumper(yaml.SafeDumper):  # type: ignore[misc,unused-ignore]  # older types-PyYAML: untyped base
    """Block YAML the way the service's final YAML reads [PG C-E03-250/251, C-E03-181/252].

    Sequences sit at their key's column, quotes are single, nothing is wrapped; text written plain
    stays plain (`enabled: false`), text written quoted stays quoted, multi-line text is a literal
    block, and a Boolean (or the text `True`/`False` an expression produced) is `True`/`False`.
    Everything still reads back to the same text, with either loader mode.
    """


def _is_block_text(data: str) -> bool:
    return (
        "\n" in data
        and all(ch == "\n" or ch == "\t" or ord(ch) >= 32 for ch in data)
        and data == data.rstrip(" ")
    )


def _str_representer(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    text = str(data)
    if _is_block_text(text):
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="|")
    style = data.style if isinstance(data, YStr) else None
    if style == PLAIN or (style is None and text in ("True", "False")):
        # Emitted plain where YAML allows it; the node's tag is what a plain scalar resolves to, so
        # the emitter does not quote `true` or `3` just because a loader would type them.
        tag = dumper.resolve(yaml.ScalarNode, text, (True, False))  # type: ignore[no-untyped-call,unused-ignore]
        node = yaml.ScalarNode(tag, text, style=None)
        return node
    if style in ("'", '"'):
        return dumper.represent_scalar("tag:yaml.org,2002:str", text, style="'")
    return dumper.represent_scalar("tag:yaml.org,2002:str", text)


def _bool_representer(dumper: yaml.SafeDumper, data: bool) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:bool", "True" if data else "False")


def _none_representer(dumper: yaml.SafeDumper, data: None) -> yaml.ScalarNode:
    return dumper.represent_scalar("tag:yaml.org,2002:str", "", style="'")


def _float_representer(dumper: yaml.SafeDumper, data: float) -> yaml.ScalarNode:
    if data.is_integer() and abs(data) < 1e16:
        return dumper.represent_int(int(data))
    return dumper.represent_float(data)


_Dumper.add_representer(str, _str_representer)
_Dumper.add_representer(YStr, _str_representer)
_Dumper.add_representer(bool, _bool_representer)
_Dumper.add_representer(type(None), _none_representer)
_Dumper.add_representer(float, _float_representer)
_Dumper.add_representer(YMap, yaml.SafeDumper.represent_dict)
_Dumper.add_representer(YSeq, yaml.SafeDumper.represent_list)


def _unmark(value: Any) -> Any:
    """Directive-duplicate marks off the keys, locations kept (the dumper reads YStr styles)."""
    if isinstance(value, dict):
        return {str(k).split(DIRECTIVE_DUPLICATE_MARK)[0]: _unmark(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_unmark(v) for v in value]
    return value


def dumps(value: Any) -> str:
    """YAML text of a value, keys in authored order (how `mlops expand` prints a pipeline).

    Null is written `''` as in the service's final YAML (an unnamed job is `job: ''`, [PG C-E04-004]).
    """
    with no_cyclic_gc():
        text: str = yaml.dump(
            _unmark(value),
            Dumper=_Dumper,
            sort_keys=False,
            default_flow_style=False,
            allow_unicode=True,
            width=1000000,
        )
    return text


def display_path(path: Path) -> str:
    """A path as users see it: relative to the working directory when inside it."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)
