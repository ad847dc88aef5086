"""The shape of ``theory`` and ``sims`` in numbers: rooms (top-level packages and loose
modules), floors, import cycles (function-level imports included), imports inside functions,
name switches, the functions that run a round or a client's local steps (the trainers), and
functions and modules over the size limits.

A *name switch* is a comparison of a configuration name with a string literal
(``method == "mim"``, ``cfg.framework != "fl"``, ``mixing in ("uniform", ...)``, also inside
``match`` statements), where the name is one of :data:`SWITCH_NAMES`: code that dispatches on
a name where a value could be handed in.

    python benchmarks/architecture.py            # the table
    python benchmarks/architecture.py --json     # the numbers
    python benchmarks/architecture.py --list     # every name switch and long function
"""

from __future__ import annotations

import argparse
import ast
import json
import sys
from collections import Counter
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.test_layout import FLOORS, import_graph, modules, room  # noqa: E402

SWITCH_NAMES = {
    "method",
    "framework",
    "mixing",
    "optimizer",
    "optimiser",
    "aggregation",
    "lr_schedule",
    "schedule",
    "loss",
    "kind",
}
MAX_FUNCTION_LINES = 80
MAX_MODULE_LINES = 600
#: modules that are data tables written as code (exempt from the module limit)
DATA_TABLES = ("sims.glossary",)


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Constant):
        return str(node.slice.value)
    return None


def _is_strings(node: ast.AST) -> bool:
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str)
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return bool(node.elts) and all(_is_strings(e) for e in node.elts)
    return False


def name_switches(path: Path) -> list[tuple[int, str]]:
    """(line, source) of every name switch in one file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = node.left, node.comparators[0]
            for a, b in ((left, right), (right, left)):
                if isinstance(a, ast.Attribute) and a.attr == "kind":
                    continue  # ``x.dtype.kind == "f"``: a NumPy type code, not a name switch
                if _name(a) in SWITCH_NAMES and _is_strings(b):
                    out.append((node.lineno, ast.unparse(node)))
                    break
        elif isinstance(node, ast.Match) and _name(node.subject) in SWITCH_NAMES:
            out.append((node.lineno, f"match {ast.unparse(node.subject)}"))
    return out


def vocabularies() -> dict[str, frozenset]:
    """The project's vocabularies of names, read from their one home each: methods, frameworks,
    optimisers, schedules, federated algorithms (Track C's configuration), Track D objectives,
    claim ids and claim readings."""
    from sims.losses import methods
    from sims.trackc import engine_config as ec
    from sims.trackd.losses import OBJECTIVES
    from theory import claims_model as cm

    readings = {r for values in cm.READINGS.values() for r in values}
    return {
        "method": frozenset(methods.NAMES),
        "framework": frozenset(ec.FRAMEWORKS),
        "optimizer": frozenset(ec.OPTIMIZERS),
        "lr_schedule": frozenset(ec.LR_SCHEDULES),
        "algorithm": frozenset(ec.ALGORITHMS),
        "objective": frozenset(OBJECTIVES),
        "claim": frozenset(cm.CLAIM_IDS),
        "reading": frozenset(readings),
    }


def _literals(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return [node.value]
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        return [v for e in node.elts for v in _literals(e)]
    return []


def vocabulary_switches(path: Path, vocab: dict[str, frozenset]) -> list[tuple[int, str, str]]:
    """(line, vocabulary, source) of every ``==`` / ``!=`` / ``in`` comparison of anything with
    a string literal of one of the vocabularies (whatever the variable is called: ``bm ==
    "mim"`` counts as a method switch), and every ``match`` case on such a literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        lits = []
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            if isinstance(node.ops[0], (ast.Eq, ast.NotEq, ast.In, ast.NotIn)):
                lits = _literals(node.left) + _literals(node.comparators[0])
        elif isinstance(node, ast.match_case) and isinstance(node.pattern, ast.MatchValue):
            lits = _literals(node.pattern.value)
        for name, words in vocab.items():
            if any(w in words for w in lits):
                out.append((node.lineno if hasattr(node, "lineno") else 0, name,
                            ast.unparse(node)[:80]))  # fmt: skip
                break
    return out


def users() -> list[Path]:
    """The Python files outside the package that read its names: tests, benchmarks, docs hooks."""
    return [p for folder in ("tests", "benchmarks", "docs") for p in
            sorted((ROOT / folder).rglob("*.py")) if "vendor" not in p.parts]  # fmt: skip


def _names_taken(tree: ast.AST, mods: dict[str, Path]) -> list[tuple[str, str]]:
    """``(module, name)`` of every name a file reads from a project module: ``from m import
    name``, and ``alias.name`` where ``alias`` is the module (``import m as alias``, ``from
    package import m as alias``)."""
    taken, alias = [], {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name in mods:
                    alias[a.asname or a.name] = a.name
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            for a in node.names:
                full = f"{node.module}.{a.name}"
                if full in mods:
                    alias[a.asname or a.name] = full
                elif node.module in mods:
                    taken.append((node.module, a.name))
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            mod = alias.get(node.value.id)
            if mod is not None:
                taken.append((mod, node.attr))
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Attribute):
            dotted = ast.unparse(node.value)
            if dotted in mods:
                taken.append((dotted, node.attr))
    return taken


def reexported_names(mods: dict[str, Path], users=()) -> tuple[list[str], list[str]]:
    """Names other modules import from a module that only imported them (a façade): all of
    them, and the private ones (leading underscore), as ``module.name``. The importers are the
    modules themselves and the files ``users`` (tests, benchmarks, docs hooks)."""
    imported: dict[str, set[str]] = {}
    defined: dict[str, set[str]] = {}
    taken: list[tuple[str, str]] = []
    for path in users:
        taken.extend(_names_taken(ast.parse(path.read_text(encoding="utf-8")), mods))
    for mod, path in mods.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported[mod] = set()
        defined[mod] = set()
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                defined[mod].add(node.name)
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                defined[mod].update(t.id for t in targets if isinstance(t, ast.Name))
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in mods and not node.level:
                imported[mod].update(a.asname or a.name for a in node.names)
        taken.extend(_names_taken(tree, mods))
    out = sorted({f"{m}.{n}" for m, n in taken
                  if n in imported.get(m, ()) and n not in defined.get(m, ()) and
                  f"{m}.{n}" not in mods})  # fmt: skip
    return out, [x for x in out if x.rpartition(".")[2].startswith("_")]


def long_functions(path: Path) -> list[tuple[str, int]]:
    """(qualified name, lines) of every function over :data:`MAX_FUNCTION_LINES` lines."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []

    def visit(node, prefix=""):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                if not isinstance(child, ast.ClassDef):
                    n = child.end_lineno - child.lineno + 1
                    if n > MAX_FUNCTION_LINES:
                        out.append((name, n))
                visit(child, name + ".")

    visit(tree)
    return out


def function_level_imports(path: Path) -> int:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    count = 0
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for sub in ast.walk(node):
                if isinstance(sub, ast.ImportFrom) and (sub.module or "").startswith(
                    ("sims", "theory")
                ):
                    count += 1
                elif isinstance(sub, ast.Import) and any(
                    a.name.startswith(("sims", "theory")) for a in sub.names
                ):
                    count += 1
    return count


def measure() -> dict:
    mods = modules()
    graph = import_graph()
    cycles = [sorted(c) for c in nx.strongly_connected_components(graph) if len(c) > 1]
    rooms = Counter(room(m) for m in mods)
    loose_root = sorted(
        m
        for m, p in mods.items()
        if m.startswith("sims.") and m.count(".") == 1 and p.name != "__init__.py"
    )
    switches = {m: name_switches(p) for m, p in mods.items()}
    vocab = vocabularies()
    vswitches = {m: vocabulary_switches(p, vocab) for m, p in mods.items()}
    core_words = {
        m: v for m, v in vswitches.items() if m == "sims.core" or m.startswith("sims.core.")
    }
    reexported, private = reexported_names(mods, users())
    longs = {m: long_functions(p) for m, p in mods.items()}
    lines = {m: len(p.read_text(encoding="utf-8").splitlines()) for m, p in mods.items()}
    up = [(a, b) for a, b in graph.edges if FLOORS.get(room(b), 0) > FLOORS.get(room(a), 0)]
    calls = {name: [] for name in TRAINER_CALLS}
    for m, p in mods.items():
        for name, where in callers(p).items():
            calls[name] += [f"{m}.{w}" for w in where]
    return {
        "modules": len(mods),
        "round_functions": calls["one_round"],
        "local_loop_callers": calls["local_train"],
        "lines": sum(lines.values()),
        "rooms": {r: rooms[r] for r in sorted(rooms, key=lambda r: (FLOORS[r], r))},
        "floors": len(set(FLOORS.values())),
        "loose_modules_in_sims": loose_root,
        "cycles": cycles,
        "upward_imports": [f"{a} -> {b}" for a, b in up],
        "function_level_imports": sum(function_level_imports(p) for p in mods.values()),
        "name_switches": sum(len(v) for v in switches.values()),
        "name_switch_files": sum(bool(v) for v in switches.values()),
        "vocabulary_switches": sum(len(v) for v in vswitches.values()),
        "vocabulary_switch_files": sum(bool(v) for v in vswitches.values()),
        "vocabulary_switches_by_vocabulary": dict(
            Counter(name for v in vswitches.values() for _, name, _ in v).most_common()
        ),
        "vocabulary_switches_in_sims_core": sum(len(v) for v in core_words.values()),
        "reexported_names": len(reexported),
        "reexported_private_names": private,
        "functions_over_80_lines": sum(len(v) for v in longs.values()),
        "modules_over_600_lines": sorted(
            f"{m} ({n})" for m, n in lines.items() if n > MAX_MODULE_LINES and m not in DATA_TABLES
        ),
        "_switches": {m: v for m, v in switches.items() if v},
        "_vswitches": {m: v for m, v in vswitches.items() if v},
        "_long": {m: v for m, v in longs.items() if v},
    }


#: The calls that make a trainer: running a round (:func:`sims.core.rounds.one_round`) and
#: running a client's local steps (:func:`sims.core.rounds.local_train`).
TRAINER_CALLS = ("one_round", "local_train")


def callers(path: Path, names: tuple[str, ...] = TRAINER_CALLS) -> dict[str, list[str]]:
    """For each name of ``names``, the qualified names (``outer.<inner>``) of the functions of
    ``path`` that call it (as ``name(...)`` or ``module.name(...)``), outside its definition."""
    found: dict[str, list[str]] = {name: [] for name in names}

    def visit(node: ast.AST, stack: tuple[str, ...]) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                visit(child, stack + (child.name,))
                continue
            if isinstance(child, ast.Call) and stack and _name(child.func) in found:
                where = ".".join(stack[:1] + tuple(f"<{s}>" for s in stack[1:]))
                if stack[0] != _name(child.func) and where not in found[_name(child.func)]:
                    found[_name(child.func)].append(where)
            visit(child, stack)

    visit(ast.parse(path.read_text(encoding="utf-8")), ())
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", action="store_true", help="print the numbers as JSON")
    parser.add_argument("--list", action="store_true", help="list switches and long functions")
    args = parser.parse_args(argv)
    m = measure()
    if args.json:
        print(json.dumps({k: v for k, v in m.items() if not k.startswith("_")}, indent=1))
        return 0
    print(f"modules {m['modules']}, lines {m['lines']}")
    print("rooms (modules): " + ", ".join(f"{r} {n}" for r, n in m["rooms"].items()))
    print(f"loose modules in sims/: {len(m['loose_modules_in_sims'])} {m['loose_modules_in_sims']}")
    print(f"import cycles: {len(m['cycles'])}  {[len(c) for c in m['cycles']]}")
    print(f"imports going up a floor: {len(m['upward_imports'])}")
    print(f"project imports inside functions: {m['function_level_imports']}")
    print(f"name switches: {m['name_switches']} in {m['name_switch_files']} files")
    print(
        f"name switches by vocabulary: {m['vocabulary_switches']} in "
        f"{m['vocabulary_switch_files']} files {m['vocabulary_switches_by_vocabulary']}; "
        f"in sims/core: {m['vocabulary_switches_in_sims_core']}"
    )
    print(
        f"re-exported names: {m['reexported_names']}, private: "
        f"{len(m['reexported_private_names'])} {m['reexported_private_names']}"
    )
    print(
        f"functions that run a round (call one_round): {len(m['round_functions'])} "
        f"{m['round_functions']}"
    )
    print(
        f"functions that run a client's local steps (call local_train): "
        f"{len(m['local_loop_callers'])} {m['local_loop_callers']}"
    )
    print(f"functions over {MAX_FUNCTION_LINES} lines: {m['functions_over_80_lines']}")
    print(f"modules over {MAX_MODULE_LINES} lines: {m['modules_over_600_lines']}")
    if args.list:
        for mod, items in m["_switches"].items():
            for line, src in items:
                print(f"switch  {mod}:{line}  {src}")
        for mod, items in m["_vswitches"].items():
            for line, name, src in items:
                print(f"vocab   {mod}:{line}  [{name}] {src}")
        for mod, items in m["_long"].items():
            for name, n in items:
                print(f"long    {mod}.{name}  {n} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
