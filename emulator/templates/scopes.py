"""What an expression sees while templates expand: compile-time variables, parameters, loops, files."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from emulator.errors import Location, TemplateError
from emulator.expressions import EvalContext, to_string
from emulator.expressions.values import fold
from emulator.templates.references import TemplateFile
from emulator.yamlio import display_path


class VariableLayer(Mapping[str, Any]):
    """Compile-time `variables` at one level (pipeline, stage, job) over the enclosing level.

    Why layers and not copies: a stage's definitions must not leak into the next stage, and a job
    must see its own value over the pipeline's [RS override-same-variable-name-in-different-scope;
    PG C-E12-024], while thousands of jobs must not each copy the pipeline's variables.
    """

    __slots__ = ("_own", "_parent")

    def __init__(
        self, parent: Mapping[str, Any] | None = None, initial: Mapping[str, Any] | None = None
    ) -> None:
        self._own: dict[str, tuple[str, Any]] = {}
        self._parent = parent
        if initial:
            for key, value in initial.items():
                self.define(key, value)

    def define(self, name: str, value: Any) -> None:
        self._own[fold(name)] = (name, value)

    def __getitem__(self, key: str) -> Any:
        if not isinstance(key, str):
            raise KeyError(key)
        entry = self._own.get(fold(key))
        if entry is not None:
            return entry[1]
        if self._parent is None:
            raise KeyError(key)
        return self._parent[key]

    def get(self, key: str, default: Any = None) -> Any:
        try:
            return self[key]
        except KeyError:
            return default

    def _names(self) -> dict[str, str]:
        names: dict[str, str] = {}
        if isinstance(self._parent, VariableLayer):
            names.update(self._parent._names())
        elif self._parent is not None:
            names.update({fold(k): k for k in self._parent})
        for folded, (name, _) in self._own.items():
            names.setdefault(folded, name)
        return names

    def __iter__(self) -> Iterator[str]:
        return iter(self._names().values())

    def __len__(self) -> int:
        return len(self._names())

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key, ABSENT) is not ABSENT


ABSENT: Any = object()


@dataclass(frozen=True)
class Frame:
    """One template in the chain of references: the file and the parameters it was given."""

    file: TemplateFile
    parameters: Mapping[str, Any]


@dataclass(frozen=True)
class Scope:
    """What an expression can see at one point of the expansion (built once, shared by its nodes)."""

    parameters: Mapping[str, Any]
    variables: Mapping[str, Any]
    loops: Mapping[str, Any]
    chain: tuple[Frame, ...]
    context: EvalContext = field(compare=False, repr=False)

    @staticmethod
    def make(
        parameters: Mapping[str, Any],
        variables: Mapping[str, Any],
        loops: Mapping[str, Any],
        chain: tuple[Frame, ...],
    ) -> Scope:
        named: dict[str, Any] = {"parameters": parameters, "variables": variables}
        named.update(loops)
        return Scope(parameters, variables, loops, chain, EvalContext(named=named))

    @property
    def file(self) -> TemplateFile:
        return self.chain[-1].file

    def file_location(self) -> Location:
        """The current file, for nodes that carry no location of their own."""
        return Location(display_path(self.file.path))

    def with_variables(self, variables: Mapping[str, Any]) -> Scope:
        return Scope.make(self.parameters, variables, self.loops, self.chain)

    def with_loop(self, name: str, value: Any, loc: Location) -> Scope:
        taken = {"parameters", "variables", *(k.lower() for k in self.loops)}
        if name.lower() in taken:
            raise TemplateError(
                f"The idenfifier '{name}' has already been defined within the current scope",
                loc,
                hint="choose another name for the loop variable (the service's message "
                "spells 'identifier' this way)",
            )
        return Scope.make(self.parameters, self.variables, {**self.loops, name: value}, self.chain)


Recorder = Callable[[Any], None]


def variable_text(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dict | list):
        return value
    return to_string(value)


def chain_text(frames: list[Frame]) -> str:
    names = [f.file.display() for f in frames]
    if len(names) > 12:
        names = [*names[:5], f"... ({len(names) - 10} more)", *names[-5:]]
    return " -> ".join(names)
