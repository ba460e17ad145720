"""The package's shape: imports point one way, Streamlit stays at the edge, modules stay small."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "shipments"
MAX_LINES = 400
MIGRATIONS = PACKAGE / "migrations"


def modules() -> dict[str, Path]:
    """Return every module of the package (migrations aside) by its dotted name."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if MIGRATIONS in path.parents:
            continue
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def imported_modules(name: str, path: Path, known: set[str]) -> set[str]:
    """Return the package modules that ``name`` imports anywhere in its file, functions included."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> dict[str, set[str]]:
    """Return, for each module, the package modules it imports."""
    known = modules()
    return {name: imported_modules(name, path, set(known)) for name, path in known.items()}


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph()
    # A package's __init__ that re-exports its modules is where they are imported from, not a
    # module that they import: an edge from a submodule to its own package is left out.
    for name, targets in graph.items():
        graph[name] = {t for t in targets if not name.startswith(f"{t}.")}
    cycles = []
    state: dict[str, int] = {}

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for target in sorted(graph[name]):
            if state.get(target) == 1:
                cycles.append([*trail[trail.index(target) :], target])
            elif target not in state:
                visit(target, [*trail, target])
        state[name] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])
    assert cycles == []


def test_streamlit_is_imported_only_by_the_interface() -> None:
    graph_files = modules()
    below = [
        name
        for name, path in graph_files.items()
        if not name.startswith("shipments.ui")
        and not name.startswith("shipments.web")
        and re.search(r"^\s*(import streamlit|from streamlit)", path.read_text(), re.M)
    ]
    assert below == []


@pytest.mark.parametrize("name", sorted(modules()))
def test_each_module_stays_small(name: str) -> None:
    lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{name} has {lines} lines"


def test_only_the_unit_module_converts_kilograms_and_tonnes() -> None:
    arithmetic = re.compile(r"[*/%]\s*1_?000\b|\b1_?000\s*[*/%]|Decimal\(1_?000\)")
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in modules().values()
        if path.name != "units.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if arithmetic.search(line)
    ]
    assert found == []
