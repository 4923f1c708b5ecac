"""The layers and the absence of import cycles, read from the source (ast), so that a cycle
cannot hide inside a function or behind `if TYPE_CHECKING:`.

bot → handlers → storage → core: core imports nothing of bot, handlers or storage; storage
nothing of bot or handlers; handlers nothing of bot. Inside handlers, the outbox's notices
(`handlers.notices`) use the conversations, never the other way round. No module reaches itself
through its imports, whatever the layers say: a cycle is a piece that belongs a layer down.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "core", "handlers", "storage")
# (importer's prefix, imported prefix): never allowed.
FORBIDDEN = [
    ("core", "bot"),
    ("core", "handlers"),
    ("core", "storage"),
    ("storage", "bot"),
    ("storage", "handlers"),
    ("handlers", "bot"),
]
NOTICES = "handlers.notices"


@dataclass(frozen=True)
class Edge:
    importer: str
    imported: str
    line: int

    def __str__(self) -> str:
        return f"{self.importer} → {self.imported} (line {self.line})"


def modules(root: Path, packages: Iterable[str] = PACKAGES) -> dict[str, Path]:
    """Dotted module name → file, for every .py under the packages."""
    found = {}
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def _within(name: str, package: str) -> bool:
    return name == package or name.startswith(f"{package}.")


def import_edges(found: Mapping[str, Path]) -> list[Edge]:
    """Every import anywhere in each module (top level, functions, TYPE_CHECKING blocks),
    resolved to the modules it runs: `from a.b import c` runs a.b.c when that is a module,
    and importing a.b.c runs the packages a and a.b first (unless the importer is inside them,
    where they are already running)."""
    edges = []
    for name, path in found.items():
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:  # relative: from the importer's package up
                    parts = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join([*parts, base] if base else parts)
                targets = [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                module = _module_of(target, found)
                if module is None or module == name:
                    continue
                edges.append(Edge(name, module, node.lineno))
                parts = module.split(".")
                for i in range(1, len(parts)):
                    parent = ".".join(parts[:i])
                    if parent in found and not _within(name, parent):
                        edges.append(Edge(name, parent, node.lineno))
    return list(dict.fromkeys(edges))  # one per line and target, in order


def _module_of(target: str, found: Mapping[str, Path]) -> str | None:
    """The module of the tree that `target` (a module, or a name in one) is."""
    while target and target not in found:
        target = target.rpartition(".")[0]
    return target or None


def cycles(edges: Iterable[Edge]) -> list[list[Edge]]:
    """The strongly connected components with more than one module (Tarjan), each given as the
    edges inside it."""
    graph: dict[str, list[Edge]] = {}
    for edge in edges:
        graph.setdefault(edge.importer, []).append(edge)
        graph.setdefault(edge.imported, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[Edge]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for edge in graph[node]:
            if edge.imported not in index:
                visit(edge.imported)
                low[node] = min(low[node], low[edge.imported])
            elif edge.imported in on_stack:
                low[node] = min(low[node], index[edge.imported])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                inside = [e for m in sorted(component) for e in graph[m] if e.imported in component]
                found.append(inside)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_violations(edges: Iterable[Edge]) -> list[Edge]:
    wrong = []
    for edge in edges:
        forbidden = any(
            _within(edge.importer, low) and _within(edge.imported, high) for low, high in FORBIDDEN
        )
        into_notices = _within(edge.imported, NOTICES) and _within(edge.importer, "handlers")
        if forbidden or (into_notices and not _within(edge.importer, NOTICES)):
            wrong.append(edge)
    return wrong


@pytest.fixture(scope="module")
def edges() -> list[Edge]:
    return import_edges(modules(ROOT))


def test_no_import_cycle(edges: list[Edge]) -> None:
    found = cycles(edges)
    report = "\n\n".join("\n".join(str(e) for e in component) for component in found)
    assert not found, f"import cycles (move the shared piece down a layer):\n{report}"


def test_layers(edges: list[Edge]) -> None:
    wrong = layer_violations(edges)
    assert not wrong, "imports against the layers:\n" + "\n".join(str(e) for e in wrong)


def test_the_walk_sees_every_kind_of_import(edges: list[Edge]) -> None:
    """Top level, inside a function, relative, and a name that is a module (known imports of
    the tree, so that a walker that missed a kind would fail here rather than pass quietly)."""
    pairs = {(e.importer, e.imported) for e in edges}
    assert ("bot.app", "handlers.tickets") in pairs  # `from handlers import (…, tickets, …)`
    assert ("bot.delivery", "handlers.notices") in pairs
    assert ("bot.cli", "bot.telegram_runner") in pairs  # inside a function
    assert ("storage.sqlite", "storage.sql") in pairs


def test_a_cycle_and_a_layer_violation_are_found(tmp_path: Path) -> None:
    """The checks themselves: a cycle through a function-level import and a relative import,
    a TYPE_CHECKING import against the layers, a submodule importing its own package."""
    files = {
        "core/__init__.py": "",
        "core/a.py": "from core.b import x\n",
        "core/b.py": "def f():\n    from . import a\n",
        "core/c.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import storage.s\n",
        "storage/__init__.py": "",
        "storage/s.py": "",
        "handlers/__init__.py": "",
        "handlers/notices/__init__.py": "from handlers import talk\n",
        "handlers/talk.py": "from handlers.notices import render\n",
        "bot/__init__.py": "",
        "bot/p/__init__.py": "from bot.p.m import y\n",
        "bot/p/m.py": "y = 1\n",
        "bot/q.py": "from bot.p import m\n",
        "core/own/__init__.py": "from core.own.sub import w\nz = 2\n",
        "core/own/sub.py": "from core.own import z\nw = 1\n",
    }
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    found_edges = import_edges(modules(tmp_path))
    components = [sorted({e.importer for e in c}) for c in cycles(found_edges)]
    # bot.p → bot.p.m is a package importing its module, not a cycle; core.own.sub importing
    # a name of its own package's __init__ (which imports it) is one.
    assert sorted(components) == [
        ["core.a", "core.b"],
        ["core.own", "core.own.sub"],
        ["handlers.notices", "handlers.talk"],
    ]
    assert {(e.importer, e.imported) for e in layer_violations(found_edges)} == {
        ("core.c", "storage"),
        ("core.c", "storage.s"),
        ("handlers.talk", "handlers.notices"),
    }
