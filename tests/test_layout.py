"""The architecture of ``theory`` and ``sims`` as a test: the import graph, function-level
imports included (not those under ``if TYPE_CHECKING``), has no cycle, and every import goes to
a room on the same floor or below (CONTRIBUTING.md, "The layout in one screen"):

======  ==============================================================================
floor   rooms
======  ==============================================================================
0       ``theory`` (never imports ``sims``)
1       ``sims.keys`` (the PRNG derivations), ``sims.glossary``, ``sims.data``
2       ``sims.losses`` (losses and the method values handed to the core)
3       ``sims.core`` (the simulator), ``sims.algorithms`` (federated algorithms as values),
        ``sims.api`` and the ``sims`` package (:func:`sims.run`)
4       the wings ``sims.trackc`` and ``sims.trackd`` (neither imports the other)
5       ``sims.verdict_map``
6       ``sims.reproduce`` (pipeline, stages, figures, report, CSV export)
7       ``sims.commands`` (one module per subcommand)
8       ``sims.cli`` (discovers the subcommands)
======  ==============================================================================

An edge ``from X import Y`` counts as importing ``X`` (and ``X.Y`` where that is a module), the
way Python executes it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import networkx as nx
import pytest

ROOT = Path(__file__).resolve().parents[1]

#: (module prefix, floor); the longest matching prefix decides
FLOORS = {
    "theory": 0,
    "sims.keys": 1,
    "sims.files": 1,
    "sims.glossary": 1,
    "sims.data": 1,
    "sims.losses": 2,
    "sims.core": 3,
    "sims.algorithms": 3,
    "sims.api": 3,
    "sims": 3,
    "sims.trackc": 4,
    "sims.trackd": 4,
    "sims.verdict_map": 5,
    "sims.reproduce": 6,
    "sims.commands": 7,
    "sims.cli": 8,
}
WINGS = ("sims.trackc", "sims.trackd")


def modules() -> dict[str, Path]:
    """Every module of ``theory`` and ``sims``: dotted name → file."""
    out = {}
    for pkg in ("theory", "sims"):
        for path in sorted((ROOT / pkg).rglob("*.py")):
            parts = list(path.relative_to(ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join(parts)] = path
    return out


def _under_type_checking(tree: ast.AST) -> set[int]:
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for sub in node.body:
                skip.update(id(n) for n in ast.walk(sub))
    return skip


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """The modules of ``known`` that module ``name`` imports, anywhere in its body."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    skip = _under_type_checking(tree)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [base, *(f"{base}.{a.name}" for a in node.names)]
        else:
            continue
        for target in targets:
            while target and target not in known:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_graph() -> nx.DiGraph:
    mods = modules()
    graph = nx.DiGraph()
    graph.add_nodes_from(mods)
    for name, path in mods.items():
        graph.add_edges_from((name, t) for t in imports_of(name, path, set(mods)))
    return graph


def room(module: str) -> str:
    """The longest prefix of :data:`FLOORS` that ``module`` is in."""
    best = max((p for p in FLOORS if module == p or module.startswith(p + ".")), key=len)
    return best


@pytest.fixture(scope="module")
def graph() -> nx.DiGraph:
    return import_graph()


def test_the_graph_sees_function_level_imports():
    """The reader counts an import inside a function (a cycle hidden there is still a cycle)."""
    code = "def f():\n    from sims.core import engine\n"
    path = ROOT / "tests" / "_layout_probe.py"
    tree_mods = {"sims.core", "sims.core.engine", "probe"}
    try:
        path.write_text(code)
        assert imports_of("probe", path, tree_mods) == {"sims.core", "sims.core.engine"}
    finally:
        path.unlink()


def test_no_import_cycles(graph):
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    assert cycles == []


def test_every_import_goes_to_the_same_floor_or_below(graph):
    up = [f"{a} -> {b}" for a, b in graph.edges if FLOORS[room(b)] > FLOORS[room(a)]]
    assert up == []


def test_the_wings_do_not_import_each_other(graph):
    across = [
        f"{a} -> {b}"
        for a, b in graph.edges
        if room(a) in WINGS and room(b) in WINGS and room(a) != room(b)
    ]
    assert across == []


def test_every_module_has_a_floor():
    assert all(room(m) in FLOORS for m in modules())


def _architecture():
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "architecture", ROOT / "benchmarks" / "architecture.py"
    )
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_no_private_name_is_read_through_a_facade():
    """Every private name is read from the module that defines it, by the package and by the
    tests, benchmarks and docs hooks alike (``benchmarks/architecture.py``'s count)."""
    arch = _architecture()
    assert arch.reexported_names(arch.modules(), arch.users())[1] == []


def test_the_facade_count_sees_imports_and_module_attributes(tmp_path):
    """The count finds ``from b import _x`` and ``b._x`` through an alias when b only imported
    ``_x`` from a, and not a name b defines."""
    arch = _architecture()
    (tmp_path / "a.py").write_text("_x = 1\n")
    (tmp_path / "b.py").write_text("from a import _x\n_y = 2\n")
    (tmp_path / "u1.py").write_text("import b as bb\nprint(bb._x, bb._y)\n")
    (tmp_path / "u2.py").write_text("from b import _x\n")
    mods = {"a": tmp_path / "a.py", "b": tmp_path / "b.py"}
    for user in ("u1.py", "u2.py"):
        assert arch.reexported_names(mods, [tmp_path / user])[1] == ["b._x"]
    assert arch.reexported_names(mods, [])[1] == []


def test_one_round_function():
    """One trainer: every round of every trainer (Track C, ``sims.run``, Track D through it)
    runs in the engine's ``make_round`` (``benchmarks/architecture.py``'s count of the
    functions that call ``sims.core.rounds.one_round``)."""
    arch = _architecture()
    assert arch.measure()["round_functions"] == ["sims.core.engine.make_round.<round_step>"]


def test_the_round_count_sees_every_caller(tmp_path):
    """``callers`` finds a call by name and through a module, in nested functions, once per
    function, and not the definition itself."""
    arch = _architecture()
    src = tmp_path / "m.py"
    src.write_text(
        "from r import one_round\nimport r\n"
        "def one_round():\n    return one_round()\n"
        "def a():\n    one_round(); one_round()\n"
        "def b():\n    def step():\n        return r.one_round()\n    return step\n"
    )
    assert arch.callers(src)["one_round"] == ["a", "b.<step>"]
