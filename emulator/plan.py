"""Dependency graphs of stages and jobs: edges, order and cycles.

Stages depend on the previous stage unless `dependsOn` says otherwise (`dependsOn: []` = none);
jobs in a stage are independent unless `dependsOn` is given [DOC yaml-schema stages-stage.md,
phases.md; semantics notes 1.8].
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from emulator.errors import Location, PipelineError
from emulator.model import Pipeline, Stage


@dataclass(frozen=True)
class Graph:
    """Nodes in authored order and, for each, the nodes it depends on (canonical names)."""

    nodes: tuple[str, ...]
    depends_on: Mapping[str, tuple[str, ...]]

    def order(self) -> tuple[str, ...]:
        """A topological order that keeps authored order among independent nodes."""
        done: list[str] = []
        remaining = list(self.nodes)
        while remaining:
            ready = [n for n in remaining if all(d in done for d in self.depends_on[n])]
            if not ready:  # pragma: no cover - cycles are rejected when the graph is built
                raise AssertionError("cycle")
            done.append(ready[0])
            remaining.remove(ready[0])
        return tuple(done)

    def dependents(self, name: str) -> tuple[str, ...]:
        return tuple(n for n in self.nodes if name in self.depends_on[n])


def stage_dependencies(stages: Sequence[Stage]) -> dict[str, tuple[str, ...]]:
    """Each stage's direct dependencies, with the implicit 'previous stage' default applied."""
    canonical = {s.name.lower(): s.name for s in stages}
    deps: dict[str, tuple[str, ...]] = {}
    for i, stage in enumerate(stages):
        if stage.depends_on is None:
            deps[stage.name] = (stages[i - 1].name,) if i > 0 else ()
        else:
            deps[stage.name] = tuple(canonical[d.lower()] for d in stage.depends_on)
    return deps


def _graph(names: Sequence[str], deps: Mapping[str, tuple[str, ...]], locations: Mapping[str, Location],
           what: str) -> Graph:
    cycle = find_cycle(names, deps)
    if cycle:
        path = " -> ".join(cycle)
        raise PipelineError(f"The {what} dependency graph has a cycle: {path}", locations[cycle[0]],
                            hint=f"remove one of the dependsOn entries between {', '.join(sorted(set(cycle)))}")
    return Graph(tuple(names), dict(deps))


def stage_graph(pipeline: Pipeline) -> Graph:
    deps = stage_dependencies(pipeline.stages)
    return _graph([s.name for s in pipeline.stages], deps, {s.name: s.location for s in pipeline.stages}, "stage")


def job_graph(stage: Stage) -> Graph:
    canonical = {j.name.lower(): j.name for j in stage.jobs}
    deps = {j.name: tuple(canonical[d.lower()] for d in j.depends_on) for j in stage.jobs}
    return _graph([j.name for j in stage.jobs], deps, {j.name: j.location for j in stage.jobs}, "job")


def find_cycle(names: Sequence[str], deps: Mapping[str, tuple[str, ...]]) -> list[str] | None:
    """The members of one cycle, first repeated at the end (a -> b -> a), or None."""
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for dep in deps.get(node, ()):
            if state.get(dep) == 1:
                return [*stack[stack.index(dep):], dep]
            if dep not in state:
                found = visit(dep)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for name in names:
        if name not in state:
            found = visit(name)
            if found:
                return found
    return None


def check(pipeline: Pipeline) -> tuple[Graph, dict[str, Graph]]:
    """Both levels of graphs; raises a located error naming a cycle's members."""
    return stage_graph(pipeline), {s.name: job_graph(s) for s in pipeline.stages}
