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


# Dependencies point one way: a module imports only from layers below its own (or from its own
# package). Layer by layer, from the bottom.
LAYERS = (
    ("shipments.errors",),
    ("shipments.rules",),
    ("shipments.units",),
    ("shipments.models",),
    ("shipments.db", "shipments.rows"),
    ("shipments.transaction",),
    ("shipments.sessions",),
    (
        "shipments.audit",
        "shipments.auth",
        "shipments.ledger",
        "shipments.sign_in_form",
        "shipments.sso",
    ),
    ("shipments.claims", "shipments.reading_index"),
    ("shipments.revision_store",),
    ("shipments.revision_arrays",),
    ("shipments.reconcile",),
    ("shipments.discrepancies", "shipments.corroboration"),
    ("shipments.exchange", "shipments.seed"),
    # The dashboard's figure builders import no streamlit: a layer below the pages, so that
    # the static snapshot (shipments.publish) draws the same figures.
    ("shipments.ui.bars", "shipments.ui.placement", "shipments.ui.points"),
    ("shipments.ui.markers",),
    ("shipments.ui.charts",),
    ("shipments.publish",),
    ("shipments.cli", "shipments.ui", "shipments.web"),
    ("shipments.__main__",),
)


def layer_of(name: str) -> tuple[int, str]:
    """Return a module's layer and the package (or module) that places it there."""
    for number, members in enumerate(LAYERS):
        for member in members:
            if name == member or name.startswith(f"{member}."):
                return number, member
    raise AssertionError(f"{name} is in no layer: add it to LAYERS")


def test_imports_point_down_the_layers() -> None:
    upward = []
    for name, targets in import_graph().items():
        if name == "shipments":
            continue
        layer, home = layer_of(name)
        for target in targets:
            if target == "shipments" or target.startswith(f"{home}.") or target == home:
                continue
            if layer_of(target)[0] >= layer:
                upward.append(f"{name} -> {target}")
    assert upward == []


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
    arithmetic = re.compile(
        r"[*/%]\s*1_?000\b|\b1_?000\s*[*/%]|Decimal\(1_?000\)|scaleb\(-3\)|KG_PER_TONNE"
    )
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in modules().values()
        if path.name != "units.py"
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if arithmetic.search(line)
    ]
    assert found == []


def test_the_readme_layout_names_every_module() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    layout = readme[readme.index("## Layout") :]
    missing = []
    for path in modules().values():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        only_names = all(
            isinstance(node, ast.ImportFrom | ast.Import | ast.Assign | ast.Expr)
            for node in tree.body
        )
        if path.name in ("__init__.py", "__main__.py") and only_names:
            continue
        if str(path.relative_to(ROOT)) not in layout:
            missing.append(str(path.relative_to(ROOT)))
    assert missing == []
