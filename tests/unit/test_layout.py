"""The shape of the house, checked with `ast` so it stays true: no import cycle between files, no product
package importing the dev stack, and transforms/ free of Prefect and Elasticsearch."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from newsfacet.settings import REPO_ROOT

PACKAGES = ("newsfacet", "flows", "transforms", "readers", "search")
# The CLI's es/up/down/status commands start the dev stack; nothing else in the product may.
MAY_IMPORT_DEVSTACK = {"newsfacet.cli"}


def _module_files() -> dict[str, Path]:
    files: dict[str, Path] = {}
    for package in PACKAGES:
        for path in sorted((REPO_ROOT / package).rglob("*.py")):
            parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            files[".".join(parts)] = path
    return files


def _imports(module: str, path: Path, known: set[str]) -> set[str]:
    """Project modules this file imports, anywhere in it (a lazy import in a function counts too)."""
    found: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names = [f"{base}.{alias.name}" for alias in node.names] + [base]
        for name in names:
            # the longest known module this name starts with ("readers.ReaderError" -> "readers")
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:
                found.add(name)
    return found


def _graph() -> dict[str, set[str]]:
    files = _module_files()
    return {module: _imports(module, path, set(files)) for module, path in files.items()}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_the_walker_sees_the_imports():
    graph = _graph()
    assert "transforms.pipeline" in graph and "transforms.clean" in graph["transforms.pipeline"]
    assert "newsfacet.errors" in graph["readers.errors"]


def test_no_import_cycle_between_files():
    assert _cycles(_graph()) == []


def test_the_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_product_module_imports_the_dev_stack():
    offenders = {
        module: sorted(d for d in deps if d.startswith("newsfacet.devstack"))
        for module, deps in _graph().items()
        if not module.startswith("newsfacet.devstack") and module not in MAY_IMPORT_DEVSTACK
    }
    assert {m: d for m, d in offenders.items() if d} == {}


def test_transforms_stay_pure():
    for path in sorted((REPO_ROOT / "transforms").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                roots = {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom):
                roots = {(node.module or "").split(".")[0]}
            else:
                continue
            assert not roots & {"prefect", "elasticsearch", "elastic_transport", "flows", "search"}, path


def test_no_flow_module_shadows_the_standard_library():
    # Prefect puts an entrypoint's folder (flows/) on sys.path: a flows/secrets.py would then hide the
    # stdlib's `secrets` from every process the worker spawns (numpy's random imports it).
    shadows = sorted(
        str(path.relative_to(REPO_ROOT))
        for path in (REPO_ROOT / "flows").rglob("*.py")
        if path.stem in sys.stdlib_module_names
    )
    assert shadows == []
