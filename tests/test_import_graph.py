"""No import cycle between the project's modules (docs/architecture.md, "The import graph").

Every module under ``packages/*/src`` and ``tests/third_party_backend/src`` is parsed with
``ast`` (nothing is imported). An edge A -> B is any ``import`` statement in A naming the
project module B, wherever it stands: at module level, under ``if TYPE_CHECKING:``, or inside
a function. Counting the last two is the point: a cycle hidden behind a type-only or a
function-level import is still a cycle in the layering, and the fix is to move the shared
rule to a leaf module. Importing ``a.b.c`` is an edge to ``a.b.c`` only, not to the
packages ``a`` and ``a.b`` that Python runs on the way; ``from a import name`` where
``name`` is not a submodule is an edge to ``a`` itself (its ``__init__``).

Run it as a script to print the graph's summary and any cycle:
``python tests/test_import_graph.py``.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_ROOTS = [*sorted(ROOT.glob("packages/*/src")), ROOT / "tests/third_party_backend/src"]


def project_modules(roots: Iterable[Path] = SOURCE_ROOTS) -> dict[str, Path]:
    """Map every project module's dotted name to its file."""
    modules: dict[str, Path] = {}
    for root in roots:
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def _resolve(module: str, path: Path, level: int, target: str | None) -> str:
    """The absolute name of a (possibly relative) ``from ... import`` target."""
    if level == 0:
        return target or ""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    base = package[: len(package) - (level - 1)]
    return ".".join([*base, target] if target else base)


def _imported(module: str, path: Path, tree: ast.AST, modules: dict[str, Path]) -> Iterator[str]:
    """The project modules that ``module`` imports, anywhere in its body."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                name = alias.name
                while name and name not in modules:
                    name = name.rpartition(".")[0]
                if name:
                    yield name
        elif isinstance(node, ast.ImportFrom):
            base = _resolve(module, path, node.level, node.module)
            for alias in node.names:
                submodule = f"{base}.{alias.name}"
                if submodule in modules:
                    yield submodule
                elif base in modules:
                    yield base


def import_graph(modules: dict[str, Path] | None = None) -> dict[str, set[str]]:
    """Module -> the project modules it imports (self-imports left out)."""
    modules = project_modules() if modules is None else modules
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[name] = {target for target in _imported(name, path, tree, modules) if target != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for peer in sorted(graph.get(node, ())):
            if peer not in index:
                visit(peer)
                low[node] = min(low[node], low[peer])
            elif peer in on_stack:
                low[node] = min(low[node], index[peer])
        if low[node] == index[node]:
            component: list[str] = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 10 * len(graph) + 100))
    try:
        for node in sorted(graph):
            if node not in index:
                visit(node)
    finally:
        sys.setrecursionlimit(limit)
    return sorted(found)


def _loop_through(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One concrete loop inside ``component``, starting and ending at its first module."""
    members = set(component)
    start = component[0]
    paths: dict[str, list[str]] = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for peer in sorted(graph[node] & members):
            if peer == start:
                return [*paths[node], start]
            if peer not in paths:
                paths[peer] = [*paths[node], peer]
                queue.append(peer)
    return component


def describe(graph: dict[str, set[str]]) -> str:
    """A readable report: one block per cycle, with one concrete loop through it."""
    lines = []
    for component in cycles(graph):
        lines.append(f"cycle of {len(component)} modules: {', '.join(component)}")
        lines.append("  e.g. " + " -> ".join(_loop_through(graph, component)))
    return "\n".join(lines)


def test_the_graph_covers_every_distribution() -> None:
    graph = import_graph()
    roots = {name.split(".")[0] for name in graph}
    assert {"pywry", "pywry_server", "pywry_state_redis", "pywry_state_sqlite"} <= roots
    assert "pywry.widgets.widget" in graph["pywry.widgets.page"] or graph["pywry.widgets.page"]


def test_counts_type_only_and_function_level_imports(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n"
    )
    (package / "b.py").write_text("def f():\n    from . import a\n")
    (package / "c.py").write_text("import pkg.a\n")
    graph = import_graph(project_modules([tmp_path]))
    assert graph["pkg.a"] == {"pkg.b"}
    assert graph["pkg.b"] == {"pkg.a"}
    assert cycles(graph) == [["pkg.a", "pkg.b"]]


def test_no_import_cycle() -> None:
    graph = import_graph()
    report = describe(graph)
    assert not report, "import cycles between project modules:\n" + report


if __name__ == "__main__":
    found = import_graph()
    edges = sum(len(targets) for targets in found.values())
    print(f"{len(found)} modules, {edges} imports between them")
    print(describe(found) or "no cycle")
