"""Modules keep their private names to themselves and do not import each other in a circle.

Read with ``ast`` from ``src/vigil`` (nothing is imported or run):

* A name with one leading underscore is private to its module. No module may import one
  from another module (``from vigil.ingest.reports import _REPORT_SCHEMA``), nor reach one
  through an imported module (``reports._REPORT_SCHEMA``). Dunder names (``__version__``)
  are public.
* No import cycle between modules, counting the imports that run when a module is loaded:
  those at module level, in class bodies and under ``if TYPE_CHECKING:`` (a typing-only
  cycle is still two modules that each need the other). Imports inside a function body are
  not counted: they are how an optional heavy dependency (PySpark) is loaded only when
  used. A cycle that such imports close is still reported by its own test, so an import
  moved into a function only to hide a cycle fails unless it is on the allow-list below.
* An edge goes to the module named: ``from vigil.a import b`` points at ``vigil.a.b`` when
  that is a module, else at ``vigil.a``. The implicit loading of parent packages is not an
  edge (every submodule would otherwise "import" its package's ``__init__``).

``python tests/test_module_hygiene.py`` prints which package imports which. The layer table of
docs/architecture.md is checked against it: every package in one row, no import pointing up
the table, and each row's "imports" column exactly what the row imports.
"""

from __future__ import annotations

import ast
import re
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"

# Violations allowed for now, each as (importing module, "module._name"): none since the CLI's
# shared helpers are public names of cli/core.py. The test fails when an entry is no longer
# needed, so the list only shrinks.
ALLOWED_PRIVATE: set[tuple[str, str]] = set()

# Load-time cycles allowed: none.
ALLOWED_CYCLES: set[frozenset[str]] = set()

# Cycles that exist only through imports inside functions, each a frozenset of its modules:
# none since the stages both attribution runs share live in attribute/derive.py.
ALLOWED_DEFERRED_CYCLES: set[frozenset[str]] = set()


@dataclass(frozen=True)
class Import:
    source: str  # the importing module
    target: str  # the imported module
    deferred: bool  # inside a function body
    line: int


@dataclass(frozen=True)
class PrivateUse:
    source: str
    target: str  # "module._name"
    line: int


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in sorted((SRC / "vigil").rglob("*.py"))}


def _resolve_from(node: ast.ImportFrom, name: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = name.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


class _Visitor(ast.NodeVisitor):
    def __init__(self, name: str, is_package: bool, known: set[str]) -> None:
        self.name = name
        self.is_package = is_package
        self.known = known
        self.imports: list[Import] = []
        self.private: list[PrivateUse] = []
        self.aliases: dict[str, str] = {}  # local name -> vigil module
        self.depth = 0

    def _edge(self, target: str, line: int) -> None:
        if target in self.known and target != self.name:
            self.imports.append(Import(self.name, target, self.depth > 0, line))

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    visit_AsyncFunctionDef = visit_FunctionDef  # type: ignore[assignment]

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self.depth += 1
        self.generic_visit(node)
        self.depth -= 1

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            if not alias.name.startswith("vigil"):
                continue
            self._edge(alias.name, node.lineno)
            if alias.asname:
                self.aliases[alias.asname] = alias.name
            else:
                self.aliases["vigil"] = "vigil"

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        base = _resolve_from(node, self.name, self.is_package)
        if not base.startswith("vigil"):
            return
        for alias in node.names:
            full = f"{base}.{alias.name}"
            if full in self.known:
                self._edge(full, node.lineno)
                self.aliases[alias.asname or alias.name] = full
                if _is_private(alias.name):
                    self.private.append(PrivateUse(self.name, full, node.lineno))
            else:
                self._edge(base, node.lineno)
                if _is_private(alias.name) and base != self.name:
                    self.private.append(PrivateUse(self.name, full, node.lineno))

    def visit_Attribute(self, node: ast.Attribute) -> None:
        chain: list[str] = []
        value: ast.expr = node
        while isinstance(value, ast.Attribute):
            chain.append(value.attr)
            value = value.value
        if isinstance(value, ast.Name) and value.id in self.aliases:
            module = self.aliases[value.id]
            for attr in reversed(chain):
                if f"{module}.{attr}" in self.known:
                    module = f"{module}.{attr}"
                    continue
                if _is_private(attr) and module != self.name:
                    self.private.append(PrivateUse(self.name, f"{module}.{attr}", node.lineno))
                break
            return  # the chain is handled whole
        self.generic_visit(node)


def analyse() -> tuple[list[Import], list[PrivateUse]]:
    found = modules()
    known = set(found)
    imports: list[Import] = []
    private: list[PrivateUse] = []
    for name, path in found.items():
        visitor = _Visitor(name, path.name == "__init__.py", known)
        visitor.visit(ast.parse(path.read_text(), str(path)))
        imports += visitor.imports
        private += sorted(set(visitor.private), key=lambda p: (p.line, p.target))
    return imports, private


def _cycles(edges: dict[str, set[str]]) -> list[frozenset[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[frozenset[str]] = []
    sys.setrecursionlimit(10000)

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                out.append(frozenset(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return out


def load_time_cycles(imports: list[Import]) -> list[frozenset[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for i in imports:
        if not i.deferred:
            edges[i.source].add(i.target)
    return _cycles(edges)


def deferred_cycles(imports: list[Import]) -> list[frozenset[str]]:
    """Cycles that exist only because of imports inside functions."""
    edges: dict[str, set[str]] = defaultdict(set)
    for i in imports:
        edges[i.source].add(i.target)
    eager = set(load_time_cycles(imports))
    return [c for c in _cycles(edges) if c not in eager]


def package_of(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2])


def package_edges(imports: list[Import]) -> dict[tuple[str, str], list[Import]]:
    out: dict[tuple[str, str], list[Import]] = defaultdict(list)
    for i in imports:
        a, b = package_of(i.source), package_of(i.target)
        if a != b:
            out[(a, b)].append(i)
    return out


# --- the tests -------------------------------------------------------------------------


def test_the_analysis_sees_imports_and_private_names(tmp_path: Path) -> None:
    """The checker itself can fail: a made-up module with each kind of violation."""
    known = {"vigil", "vigil.a", "vigil.a.b", "vigil.c"}
    source = (
        "from vigil.a.b import _SECRET, PUBLIC\n"
        "from vigil.a import b\n"
        "import vigil.c as c\n"
        "from . import b as bee\n"
        "x = b._hidden + c._other + bee.PUBLIC + vigil_free._x\n"
        "def f():\n    from vigil.c import thing\n    return thing\n"
    )
    visitor = _Visitor("vigil.a.d", False, known)
    visitor.visit(ast.parse(source))
    assert sorted(p.target for p in visitor.private) == ["vigil.a.b._SECRET", "vigil.a.b._hidden", "vigil.c._other"]
    assert {(i.target, i.deferred) for i in visitor.imports} == {
        ("vigil.a.b", False),
        ("vigil.c", False),
        ("vigil.c", True),
    }
    loop = [Import("vigil.a", "vigil.c", False, 1), Import("vigil.c", "vigil.a", False, 1)]
    assert load_time_cycles(loop) == [frozenset({"vigil.a", "vigil.c"})]
    hidden = [Import("vigil.a", "vigil.c", False, 1), Import("vigil.c", "vigil.a", True, 1)]
    assert load_time_cycles(hidden) == [] and deferred_cycles(hidden) == [frozenset({"vigil.a", "vigil.c"})]


def test_no_module_uses_another_modules_private_names() -> None:
    _, private = analyse()
    found = {(p.source, p.target) for p in private}
    unexpected = sorted(f"{p.source}:{p.line} uses {p.target}" for p in private if (p.source, p.target) not in ALLOWED_PRIVATE)
    assert not unexpected, "private names used across modules:\n" + "\n".join(unexpected)
    stale = sorted(ALLOWED_PRIVATE - found)
    assert not stale, f"allow-list entries no longer needed (remove them): {stale}"


def test_no_import_cycle_between_modules() -> None:
    imports, _ = analyse()
    cycles = set(load_time_cycles(imports))
    unexpected = sorted(sorted(c) for c in cycles - ALLOWED_CYCLES)
    assert not unexpected, f"import cycles: {unexpected}"
    stale = sorted(sorted(c) for c in ALLOWED_CYCLES - cycles)
    assert not stale, f"allow-list entries no longer needed (remove them): {stale}"


def test_imports_inside_functions_hide_no_new_cycle() -> None:
    imports, _ = analyse()
    cycles = set(deferred_cycles(imports))
    unexpected = sorted(sorted(c) for c in cycles - ALLOWED_DEFERRED_CYCLES)
    assert not unexpected, f"cycles through imports inside functions: {unexpected}"
    stale = sorted(sorted(c) for c in ALLOWED_DEFERRED_CYCLES - cycles)
    assert not stale, f"allow-list entries no longer needed (remove them): {stale}"


_CORE_NOTE = "the core packages, in the rows below vigil.store, are left out of the third column"


def _layer_rows() -> list[tuple[list[str], set[str]]]:
    """The layer table of docs/architecture.md, top row first: (packages, imports listed)."""
    text = (ROOT / "docs" / "architecture.md").read_text()
    section = text.split("## Layers", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        if not line.startswith("| `vigil"):
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        packages = re.findall(r"`(vigil[\w.]*)`", cells[0])
        rows.append((packages, set(re.findall(r"`(vigil[\w.]*)`", cells[-1]))))
    return rows


def test_architecture_layers_are_the_measured_imports() -> None:
    """docs/architecture.md lists every package once, imports point down the list only, and
    each row's third column is what that row imports from the non-core rows below it."""
    rows = _layer_rows()
    assert len(rows) > 10, "the layer table of docs/architecture.md was not found"
    row_of: dict[str, int] = {}
    for i, (packages, _) in enumerate(rows):
        for package in packages:
            assert package not in row_of, f"{package} is in two rows of the layer table"
            row_of[package] = i
    imports, _ = analyse()
    missing = sorted({package_of(m) for m in modules()} - set(row_of))
    assert not missing, f"packages missing from the layer table of docs/architecture.md: {missing}"
    upward = sorted(
        f"{a} imports {b} ({items[0].source}:{items[0].line})"
        for (a, b), items in package_edges(imports).items()
        if row_of[a] > row_of[b]
    )
    assert not upward, "imports pointing up the layer list:\n" + "\n".join(upward)
    core = {p for packages, _ in rows[row_of["vigil.store"] + 1 :] for p in packages}
    measured: dict[int, set[str]] = defaultdict(set)
    for a, b in package_edges(imports):
        if row_of[a] != row_of[b] and b not in core:
            measured[row_of[a]].add(b)
    for i, (packages, listed) in enumerate(rows):
        assert listed == measured[i], (
            f"docs/architecture.md, row {packages}: lists {sorted(listed)}, "
            f"imports {sorted(measured[i])} ({_CORE_NOTE})"
        )


if __name__ == "__main__":
    all_imports, all_private = analyse()
    for p in all_private:
        print(f"private {p.source}:{p.line} -> {p.target}")
    for c in load_time_cycles(all_imports):
        print("cycle", sorted(c))
    for c in deferred_cycles(all_imports):
        print("deferred cycle", sorted(c))
    for (a, b), items in sorted(package_edges(all_imports).items()):
        kinds = "deferred" if all(i.deferred for i in items) else "load"
        print(f"edge {a} -> {b} ({len(items)}, {kinds})")
