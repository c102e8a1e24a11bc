"""The package's import rules, read from the code's own imports (every `import`, also those inside
functions, so that no cycle can hide in one).

- The pure core (expressions, templates, model, plan, normalize, yamlio, errors, manual_validation,
  records) imports nothing from the edges.
- The emulated Azure ML is layered, `resident -> az -> serving -> compute -> assets -> {errors,
  context}`: a module imports only from its own layer or the layers below, and from outside the
  package only the project's errors, which extras are installed (`extras`), the state folder (`store`)
  and process identity (`processes`); the thin `az` client (what the shim runs without `site`) imports
  only the standard library.
- No import cycle among the modules of the emulated Azure ML, nor among those of the runtime.
- No module of the package over 800 lines.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "emulator"
CORE = (
    "emulator.expressions",
    "emulator.templates",
    "emulator.model",
    "emulator.plan",
    "emulator.normalize",
    "emulator.yamlio",
    "emulator.errors",
    "emulator.manual_validation",
    "emulator.records",
)
EDGES = (
    "emulator.runtime",
    "emulator.azureml",
    "emulator.cli",
    "emulator.gates",
    "emulator.store",
    "emulator.tasks",
    "emulator.testing",
    "emulator.runner",
    "emulator.report",
    "emulator.processes",
)
AZUREML = "emulator.azureml"
RUNTIME = "emulator.runtime"
# From the top down; a module may import its own layer and the layers below it.
LAYERS = ("__main__", "resident", "az", "serving", "compute", "assets", "base")
# What the `az` shim runs with `python -S` before anything else: the standard library only.
THIN_CLIENT = ("emulator.azureml.__main__", "emulator.azureml.resident.client")
AZUREML_MAY_USE = ("emulator.errors", "emulator.extras", "emulator.store", "emulator.processes")
MAX_LINES = 800


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {_module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def _resolve(name: str) -> str | None:
    """The module of this package that `name` (a module or a name inside one) refers to."""
    while name:
        if name in MODULES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports(module: str) -> Iterator[tuple[str, int]]:
    """(imported module of this package, line) for every import statement of `module`."""
    path = MODULES[module]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            targets = [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            resolved = _resolve(target)
            if resolved is not None and resolved != module:
                yield resolved, node.lineno


def _within(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def layer(module: str) -> str:
    """The layer of a module of the emulated Azure ML."""
    rest = module[len(AZUREML) :].lstrip(".").split(".")[0]
    return rest if rest in LAYERS else "base"


def test_the_core_imports_no_edge() -> None:
    broken = [
        f"{module} imports {target} (line {line})"
        for module in MODULES
        if _within(module, CORE)
        for target, line in imports(module)
        if _within(target, EDGES)
    ]
    assert broken == [], "the pure core imports edge packages:\n" + "\n".join(broken)


def test_azureml_imports_only_downward() -> None:
    broken = []
    for module in MODULES:
        if not _within(module, (AZUREML,)):
            continue
        for target, line in imports(module):
            if _within(target, (AZUREML,)):
                if LAYERS.index(layer(target)) < LAYERS.index(layer(module)):
                    broken.append(f"{module} ({layer(module)}) imports {target} ({layer(target)}) l.{line}")
            elif not _within(target, AZUREML_MAY_USE):
                broken.append(f"{module} imports {target} from outside its layers, line {line}")
    assert broken == [], "imports against the layers of emulator/azureml:\n" + "\n".join(broken)


def _cycle_from(start: str, graph: dict[str, set[str]]) -> list[str] | None:
    """A shortest import cycle through `start`, if there is one."""
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node]):
                if target == start:
                    return paths[node] + [start]
                if target not in paths:
                    paths[target] = paths[node] + [target]
                    following.append(target)
        frontier = following
    return None


def _cycles(package: str) -> set[str]:
    members = [m for m in MODULES if _within(m, (package,))]
    graph = {m: {t for t, _ in imports(m) if t in members} for m in members}
    return {" -> ".join(cycle) for m in members if (cycle := _cycle_from(m, graph))}


@pytest.mark.parametrize("package", [AZUREML, RUNTIME])
def test_no_import_cycle(package: str) -> None:
    cycles = _cycles(package)
    assert not cycles, f"import cycles in {package}:\n" + "\n".join(sorted(cycles))


def test_a_cycle_is_seen() -> None:
    """The walk finds a cycle when there is one (also through an import inside a function)."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycle_from("a", graph) == ["a", "b", "c", "a"]
    assert _cycle_from("d", graph) is None


@pytest.mark.parametrize("module", list(MODULES))
def test_no_module_is_over_800_lines(module: str) -> None:
    lines = len(MODULES[module].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{module} has {lines} lines; split it by concept"


def test_the_thin_client_imports_only_the_standard_library() -> None:
    """The shim starts Python without `site`; the client may import the emulator only to run a call in
    process (inside a function), never at module level."""
    broken = []
    for module in THIN_CLIENT:
        tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
        for node in tree.body:
            names = (
                [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else ([node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            )
            for name in names:
                top = name.split(".")[0]
                if (
                    top not in sys.stdlib_module_names
                    and top != "__future__"
                    and name not in ("emulator.azureml.resident.client",)
                ):
                    broken.append(f"{module} imports {name} at module level (line {node.lineno})")
    assert broken == [], "the thin az client must start without site-packages:\n" + "\n".join(broken)


def test_the_rules_see_the_package() -> None:
    """The walk reads the real package: every layer has modules, and imports are found."""
    layers = {layer(m) for m in MODULES if _within(m, (AZUREML,))}
    assert layers == set(LAYERS)
    assert any(t == "emulator.azureml.assets.records" for t, _ in imports("emulator.azureml.assets.data"))
    assert any(_within(t, CORE) for m in MODULES if _within(m, CORE) for t, _ in imports(m))
