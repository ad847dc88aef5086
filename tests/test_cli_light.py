"""The command line answers at once: ``dssl --help``, every subcommand's ``--help`` and every
argument error parse without importing JAX, SciPy, SymPy or networkx; the help lists options
only; one spelling per option (old spellings refused with a one-line hint)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("jax", "scipy", "sympy", "networkx", "matplotlib")
COMMANDS = ("topology", "bounds", "exact", "verify", "simulate", "bench", "reproduce",
            "trackd", "compare", "explain")  # fmt: skip


def _imported_after(argv: list[str], columns: int = 100) -> tuple[int, list[str], str]:
    """(exit status, heavy modules imported, stdout) of ``dssl argv`` in a fresh interpreter
    whose terminal is ``columns`` wide."""
    code = (
        "import json, sys\n"
        "from sims.cli import main\n"
        f"try:\n    rc = main({argv!r})\nexcept SystemExit as e:\n    rc = e.code\n"
        f"print(json.dumps([rc, [m for m in {HEAVY!r} if m in sys.modules]]), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": str(columns)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)  # fmt: skip
    rc, heavy = json.loads(proc.stderr.strip().splitlines()[-1])
    return rc, heavy, proc.stdout


@pytest.mark.parametrize("command", [None, *COMMANDS])
def test_help_imports_nothing_heavy_and_fits_60_lines_at_80_columns(command):
    argv = ["--help"] if command is None else [command, "--help"]
    rc, heavy, out = _imported_after(argv, columns=80)
    assert rc == 0 and heavy == []
    assert len(out.splitlines()) <= 60, f"dssl {command} --help: {len(out.splitlines())} lines"
    assert max(len(line) for line in out.splitlines()) <= 80


@pytest.mark.parametrize(
    "argv",
    [
        ["topology", "--graph", "nope"],
        ["verify", "--n-clients", "1"],
        ["simulate", "--rounds", "0"],
        ["topology", "--n", "8"],
        ["bounds", "--d", "1e5", "--p", "0.75", "--n", "20"],
        ["verify", "--claims", "nope"],  # checks between options that need no JAX (check)
        ["topology", "--graph", "ring", "--sizes", "1,2"],
        ["bounds", "--d", "1e5", "--p", "0.5", "--frameworks", "nope"],
        ["bounds", "--d", "1e5", "--p", "0.5", "--frameworks", "decl"],
        ["bounds", "--d", "1e5", "--p", "0.5", "--abar", "3", "--frameworks", "fl"],
        ["bounds", "--d", "1e5", "--p", "0.5", "--c-f", "2"],
        ["exact", "--method", "nope"],
        ["exact", "--d", "1e40"],
        ["exact", "--transform", "nope", "--method", "cl-dissimilar"],
        ["exact", "--transform", "dct-rotation", "--method", "cl-dissimilar"],
        ["exact", "--samples", "0"],
        ["exact", "--mixing", "nope"],
        ["exact", "--graph", "ring", "--degree", "3"],
        ["verify", "--sim-seed", "3"],
        ["verify", "--rare-axis", "nope"],
        ["verify", "--map-preset", "fast"],
        ["verify", "--map", "--d", "100"],
        ["verify", "--graph", "ring", "--degree", "3"],
        ["topology", "--mixing", "ying", "--graph", "ring"],
        ["topology", "--mixing", "data_size", "--n-clients", "8"],
        ["simulate", "--mu", "0.1"],
        ["simulate", "--mu", "0.1", "--algorithm", "scaffold"],
        ["topology", "--solver", "sparse", "--graph", "star", "--n-clients", "8"],
        ["topology", "--solver", "sparse", "--mixing", "data_size", "--sizes", "1,2,3,4"],
        ["topology", "--mixing", "ying", "--graph", "exponential", "--n-clients", "2"],
        ["compare", "no-such-folder", "no-such-folder"],
        ["reproduce", "--jobs", "0"],
        ["reproduce", "--list", "--fast"],
        ["explain", "nope"],
        ["explain", "p", "--output-of", "nope"],
        ["simulate", "--framework", "fl", "--graph", "ring"],
        ["simulate", "--aggregation", "uniform"],
        ["simulate", "--method", "mim", "--gamma-max", "0.1"],
        ["simulate", "--population", "--batch", "8"],
        ["simulate", "--graph", "ring", "--degree", "3"],
    ],
)
def test_argument_errors_imports_nothing_heavy(argv):
    rc, heavy, _ = _imported_after(argv)
    assert rc == 2 and heavy == []


@pytest.mark.parametrize("command", ["topology", "bounds", "simulate", "bench", "exact", "verify"])
def test_old_client_count_spelling_is_refused_with_a_hint(capsys, command):
    from sims.cli import main

    argv = [command, "--n", "8"] + (["--d", "1e5", "--p", "0.75"] if command == "bounds" else [])
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--n: renamed --n-clients" in err[0]


def test_one_spelling_of_the_client_count():
    from sims.cli import build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if hasattr(a, "choices") and a.choices)
    for name, p in sub.choices.items():
        shown = [s for a in p._actions if a.help != "==SUPPRESS==" for s in a.option_strings]
        assert "--n" not in shown, name


def test_parse_time_names_equal_their_sources():
    from sims.cli import FORCE_SIZE_HELP
    from sims.commands import _names as n
    from sims.core import mixing
    from sims.trackc import engine_config as config
    from sims.trackc import simulate
    from sims.trackd import data, verdicts
    from theory import _validate as v
    from theory import bounds, claims, objectives, structured, topology

    assert f"; {v.TIME_BUDGET_S / 60:g} minutes)" in FORCE_SIZE_HELP  # --force-size's two budgets
    assert n.GRAPHS == tuple(topology.GRAPHS) and n.MIXINGS == tuple(topology.MIXINGS)
    assert n.RULE_GRAPHS == mixing.RULE_GRAPHS
    assert n.DENSE_GOSSIP_MAX_BYTES == mixing.DENSE_GOSSIP_MAX_BYTES
    from theory import sparse_graphs

    assert n.SPARSE_GRAPHS == sparse_graphs.SPARSE_GRAPHS
    assert n.SPARSE_MIXINGS == sparse_graphs.SPARSE_MIXINGS
    assert n.SIGNS == tuple(bounds.SIGNS) and n.FL_TERMS == tuple(bounds.FL_TERMS)
    assert n.OBJECTIVE_METHODS == objectives.METHODS
    assert n.OBJECTIVE_TRANSFORMS == objectives.TRANSFORMS
    assert n.STRUCTURED_TRANSFORMS == structured.STRUCTURED_TRANSFORMS
    assert n.SIM_METHODS == config.METHODS and n.FRAMEWORKS == config.FRAMEWORKS
    assert n.OPTIMIZERS == config.OPTIMIZERS and n.AGGREGATIONS == config.AGGREGATIONS
    assert n.DTYPES == config.DTYPES and n.ALGORITHMS == tuple(config.ALGORITHMS)
    assert n.MATRIX_FRAMEWORKS == tuple(
        f for f in config.FRAMEWORKS if config.MIXING_RULES[f].takes_matrix
    )
    from sims.losses import methods

    assert n.EMBEDDING_METHODS == tuple(m for m in config.METHODS if methods.get(m).embeddings)
    assert n.MASKING_METHODS == tuple(m for m in config.METHODS if methods.get(m).masks)
    assert n.MASK_RATIO_METHODS == tuple(m for m in objectives.METHODS
                                         if objectives.uses_mask_ratio(m))  # fmt: skip
    assert n.TRANSFORM_METHODS == tuple(m for m in objectives.METHODS
                                        if objectives.takes_transform(m))  # fmt: skip
    assert n.BOUND_CONSTANT_RANGE == bounds.CONSTANT_RANGE
    assert n.DATA_PATHS == {name: source.path for name, source in data.SOURCES.items()}
    from tests._helpers import load_script

    assert n.BENCH_SAMPLES_PER_CLIENT == load_script("timing").SAMPLES_PER_CLIENT
    from sims.data import datasets

    assert n.CIFAR10_BATCHES == datasets._CIFAR_TRAIN + (datasets._CIFAR_TEST,)
    from sims.reproduce.stages import STAGES

    assert n.STAGE_NAMES == tuple(s.name for s in STAGES)
    assert n.STAGE_NEEDS == {s.name: s.needs for s in STAGES if s.needs}
    assert n.SIM_DEFAULTS == simulate.DEFAULTS
    from sims.commands import simulate as simulate_command

    assert simulate_command.TIME_DEFAULTS == simulate.TIME_DEFAULTS
    assert n.LR_STABLE_FRACTION == simulate.LR_STABLE_FRACTION
    assert n.DATASETS == data.DATASETS and n.CLAIM_IDS == claims.CLAIM_IDS
    assert n.TRACKD_VERDICTS_FILE == verdicts.VERDICTS_FILE
    assert n.TRACKD_DECISIVE_DIR == verdicts.DECISIVE_DIR
    assert n.TRACKD_DECISIVE_COMMAND == verdicts.DECISIVE_COMMAND
    assert n.TRACKD_CLAIM_OF == verdicts.CLAIM_OF
    assert n.TRACKD_PAPER_SCALE_DIR == verdicts.PAPER_SCALE_DIR


def test_explain_prints_a_claim_and_a_key(capsys):
    from sims.cli import main

    assert main(["explain", "thm4.2.local"]) == 0
    assert "k in [N]\\{i}" in capsys.readouterr().out
    assert main(["explain", "probe_accuracy"]) == 0
    assert capsys.readouterr().out.startswith("probe_accuracy: ")
    assert main(["verify", "--explain", "thm4.4"]) == 0
    assert "Thm 4.4" in capsys.readouterr().out
    assert main(["explain", "nope"]) == 2
    assert capsys.readouterr().err.startswith("dssl explain: error: KEY|CLAIM: ")
    assert main(["explain", "mar"]) == 2  # a shortened key: the refusal names what it may mean
    err = capsys.readouterr().err
    assert "(near 'mar': mar(§5), mar_vs_mim, margin)" in err and len(err.splitlines()) == 1
    assert main(["explain", "mar_vs_mim"]) == 0
    assert "Fig 2b" in capsys.readouterr().out
    assert main(["explain", "p", "--output-of", "topology"]) == 0
    assert "mixing matrix" in capsys.readouterr().out
    assert main(["explain", "p", "--output-of", "nope"]) == 2
    assert capsys.readouterr().err.startswith("dssl explain: error: --output-of: ")


def _refusal(argv: list[str]) -> tuple[int, list[str], list[str]]:
    """(exit status, heavy modules imported, stderr lines) of ``dssl argv`` in a fresh
    interpreter."""
    code = (
        "import json, sys\n"
        "from sims.cli import main\n"
        f"rc = main({argv!r})\n"
        f"print(json.dumps([rc, [m for m in {HEAVY!r} if m in sys.modules]]), file=sys.stderr)\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    env.pop("XLA_FLAGS", None)
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=120)  # fmt: skip
    *lines, last = proc.stderr.strip().splitlines()
    rc, heavy = json.loads(last)
    return rc, heavy, lines


#: argument errors the run used to find after importing JAX (1.2-5 s of CPU), now refused at
#: parse time with the line the run printed (or one naming the option the user typed)
PARSE_TIME_REFUSALS = [
    (["bounds", "--d", "0.5", "--p", "0.5"], "--d: must be a finite number >= 1.0, got '0.5'"),
    (["bounds", "--d", "1e5", "--p", "1"], "--p: must be a finite number in (0.0, 1.0), got '1'"),
    (["bounds", "--d", "1e5", "--p", "0.5", "--n-clients", "1"],
     "--n-clients: must be a finite number >= 2.0, got '1'"),
    (["bounds", "--d", "1e5", "--p", "0.5", "--trH", "0"],
     "--trH: must be a finite number > 0.0, got '0'"),
    (["bounds", "--d", "1e5", "--p", "0.5", "--abar", "0.5"],
     "--abar: must be a finite number >= 1.0, got '0.5'"),
    (["bounds", "--d", "1e5", "--p", "0.5", "--c-den", "1e101"],
     "--c-den: must be a finite number in [1e-100, 1e+100], got '1e101'"),
    (["verify", "--d", "6"], "--d: must be an integer >= 8 (2·n_clients), got 6"),
    (["verify", "--rare-axis", "1,2"],
     "--rare-axis: must be a mode or a tuple of n_clients=4 coordinates, got (1, 2)"),
    (["verify", "--graph", "torus", "--rows", "3"], "--rows: must be a divisor of n=4, got 3"),
    (["verify", "--graph", "hypercube", "--n-clients", "5"],
     "--graph: must be a graph defined on n_clients=5 nodes, got 'hypercube'"),
    (["verify", "--transform", "nope"],
     "--transform: must be one of identity, permutation, sign-flip, rotation, got 'nope'"),
    (["verify", "--d-sweep", "1,2"], "--d-sweep: must be an integer >= 8, got 1"),
    (["verify", "--map"], "--map: the verdict map is computed by dssl reproduce --stages "
     "verdict_map --out DIR (--fast: the small one); dssl verify --map-results DIR reads it"),
    (["verify", "--map-results", "no-such-folder"],
     "--map-results: must be an existing folder, got 'no-such-folder'"),
    (["verify", "--mixing-file", "no-such-file.npy"],
     "--mixing-file: must be an existing readable file, got 'no-such-file.npy'"),
    (["simulate", "--c", "1000"], "--c: must be an integer in [1, 64], got 1000"),
    (["simulate", "--d", "6"], "--d: must be an integer >= 8 (2·n_clients), got 6"),
    (["simulate", "--n-clients", "40"],
     "--n-clients: must be at most --d / 2 = 32 (the paper's data model needs d >= 2·n_clients; "
     "raise --d with it), got 40"),
    (["verify", "--n-clients", "300"],
     "--n-clients: must be at most --d / 2 = 200 (the paper's data model needs d >= "
     "2·n_clients; raise --d with it), got 300"),
    (["simulate", "--graph", "torus", "--rows", "3"], "--rows: must be a divisor of n=4, got 3"),
    (["simulate", "--graph", "hypercube", "--n-clients", "5"],
     "--n-clients: must be a power of 2 for the hypercube, got 5"),
    (["simulate", "--graph", "random_regular", "--degree", "9"],
     "--degree: must be an integer in [2, 3], got 9"),
    (["simulate", "--method", "cl", "--p", "0.5"],
     "--p: must be omitted with --method cl (p enters only the masking methods), got 0.5"),
    (["simulate", "--framework", "fl", "--clients-per-round", "5"],
     "--clients-per-round: must be an integer in [1, 4], got 5"),
    (["simulate", "--method", "mar", "--gamma-max", "0.001", "--gamma-min", "0.1"],
     "--gamma-min: must be <= --gamma-max = 0.001, got 0.1"),
    (["exact", "--method", "cl", "--p", "0.5"],
     "--p: must be omitted with --method cl (p enters only the MIM targets), got 0.5"),
    (["exact", "--method", "cl-dissimilar", "--transform", "rotation"],
     "--transform: must be one of identity, block-sign-flip, block-permutation, block-rotation "
     "on the structured path (add --dense for a transform of all d axes), got 'rotation'"),
    (["exact", "--transform", "identity"],
     "--transform: must be omitted with --method mim (only cl-dissimilar has a transform H), "
     "got 'identity'"),
    (["exact", "--method", "cl-dissimilar", "--transform-seed", "1"],
     "--transform-seed: must be omitted with the identity transform (nothing is random), got 1"),
    (["exact", "--d", "6"], "--d: must be an integer >= 8 (2·n_clients), got 6"),
    (["exact", "--dense", "--d", "5000"],
     "--d: must be <= 4000 with --dense or --samples (drop them for any d), got 5000"),
    (["exact", "--samples", "10", "--sample-seeds", "0"],
     "--sample-seeds: must be an integer in [1, 10000], got 0"),
    (["exact", "--graph", "random_regular", "--degree", "9"],
     "--degree: must be an integer in [2, 3], got 9"),
    (["exact", "--mixing", "fedavg", "--graph", "ring"],
     "--graph: must be the complete graph with mixing 'fedavg' (J = 11ᵀ/N averages every client "
     "whatever the graph; any_graph=True to allow it), got 'a graph with 4 of 6 edges'"),
    (["reproduce", "--stages", "report"],
     "--stages: must be a list that includes verify (needed by report), got 'report'"),
    (["bench", "--n-clients", "1"], "--n-clients: must be an integer in [2, 2000], got 1"),
    (["bench", "--c", "100"], "--c: must be an integer in [1, 64] (at most d), got 100"),
    (["bench", "--batch", "300"], "--batch: must be at most the 256 samples per client, got 300"),
    (["trackd", "--data-path", "no-such-folder"],
     "--data-path: must be omitted with --dataset digits (its data ship with the install), "
     "got 'no-such-folder'"),
    (["trackd", "--dataset", "cifar10", "--data-path", "no-such-folder"],
     "--data-path: must be an existing directory for --dataset cifar10, got 'no-such-folder'"),
    (["trackd", "--dataset", "npz"],
     "--data-path: must be a file when the dataset is npz, got None"),
    (["trackd", "--balanced", "--experiment", "fig2a"],
     "--balanced: must be omitted except with --experiment table1, got True"),
]  # fmt: skip


@pytest.mark.parametrize("argv, line", PARSE_TIME_REFUSALS)
def test_refused_at_parse_time_in_one_line_without_jax(argv, line):
    rc, heavy, err = _refusal(argv)
    assert (rc, heavy) == (2, [])
    assert err == [f"dssl {argv[0]}: error: {line}"]


def test_devices_beyond_the_cores_refused_at_parse_time():
    cores = len(os.sched_getaffinity(0))
    n = 2 * (cores + 1)
    rc, heavy, err = _refusal(["simulate", "--n-clients", str(n), "--devices", str(cores + 1)])
    assert (rc, heavy) == (2, [])
    assert err == [
        f"dssl simulate: error: --devices: must be at most the {cores} device(s) JAX sees here "
        f"(on a CPU dssl makes one per core), got {cores + 1}"
    ]
    rc, heavy, err = _refusal(["trackd", "--devices", str(cores + 1)])
    assert (rc, heavy) == (2, [])
    assert err == [
        f"dssl trackd: error: --devices: must be in [1, {cores}] (the devices JAX sees here), "
        f"got {cores + 1}"
    ]
    if cores >= 2:
        rc, heavy, err = _refusal(["simulate", "--n-clients", "5", "--d", "20", "--devices", "2"])
        assert (rc, heavy) == (2, [])
        assert err == [
            "dssl simulate: error: --devices: must be a divisor of --n-clients = 5, got 2"
        ]


def test_host_device_count_is_what_jax_sees():
    from sims.commands import _common
    from sims.core import environ
    from sims.core.environ import set_environ

    flag = environ.host_devices_flag()
    for flags in (flag, "--xla_force_host_platform_device_count=3"):
        env = {**os.environ, "JAX_PLATFORMS": "cpu", "XLA_FLAGS": flags}
        code = "import jax; print(len(jax.devices()))"
        seen = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                              env=env, timeout=120)  # fmt: skip
        with set_environ({"JAX_PLATFORMS": "cpu", "XLA_FLAGS": flags}):
            assert _common.host_device_count() == int(seen.stdout.strip())
    with set_environ({"JAX_PLATFORMS": "cuda"}):
        assert _common.host_device_count() is None


def _refused_or_none(fn, *args, **kwargs) -> str | None:
    try:
        fn(*args, **kwargs)
    except ValueError as err:
        return str(err)
    return None


def test_graph_params_refuse_what_make_graph_refuses():
    from theory import graph_params, topology

    params = [
        {},
        {"rows": 3},
        {"cols": 4},
        {"rows": 3, "cols": 4},
        {"rows": 4, "cols": 4},
        {"degree": 3},
        {"degree": 2},
        {"degree": 9},
        {"avg_degree": 2.0},
        {"avg_degree": 0.5},
        {"avg_degree": 40.0},
        {"prob": 0.9},
        {"prob": 1.0},
        {"prob": 0.9, "avg_degree": 2.0},
    ]
    checked = 0
    for name in topology.GRAPHS:
        for n in range(2, 17):
            for kw in params:
                expected = _refused_or_none(topology.make_graph, name, n, seed=0, **kw)
                if expected is not None and "connected graph in" in expected:
                    continue  # a random draw, not the parameters
                got = _refused_or_none(graph_params.check_graph, name, n, **kw)
                assert got == expected, (name, n, kw)
                checked += expected is not None
    assert checked > 100


def test_edge_counts_are_make_graphs():
    """The edges ``dssl exact`` counts before JAX (``--mixing fedavg`` takes the complete graph
    only) are those of the graph make_graph builds."""
    import numpy as np

    from theory import graph_params, topology

    checked = 0
    for name in topology.GRAPHS:
        for n in range(2, 34):
            for kw in ({}, {"degree": 2}, {"degree": 3}, {"rows": 3}):
                if _refused_or_none(graph_params.check_graph, name, n, **kw) is not None:
                    continue
                edges = graph_params.edge_count(name, n, **kw)
                if edges is None:
                    continue
                a = topology.make_graph(name, n, seed=0, **kw)
                assert edges == int(np.count_nonzero(np.triu(a, 1))), (name, n, kw)
                checked += 1
    assert checked > 150


def test_simulate_sizes_at_parse_time_are_the_runs():
    from sims.trackc import simulate
    from theory.datamodel import DataModel

    for n, d, c in [(4, 6, None), (4, 8, None), (4, 64, 65), (4, 64, 0), (3, 64, 64), (2, 3, 1)]:
        run = _refused_or_none(simulate.SimulateSettings, n_clients=n, d=d, c=c)
        assert _refused_or_none(DataModel, d=d, n_clients=n, c=c) == run, (n, d, c)


@pytest.mark.parametrize(
    "argv",
    [
        ["simulate", "--rounds", "1000000000"],
        ["simulate", "--d", "100000000"],
        ["simulate", "--framework", "fl", "--n-clients", "100000", "--d", "200000"],
        ["simulate", "--samples-per-client", "100000000", "--batch", "8"],
    ],
)
def test_simulate_budgets_at_parse_time_are_the_runs(argv):
    """A run over the memory or time budget is refused before JAX starts (it took 1.9-2.4 s
    of CPU after importing it) with the line the run itself prints for the same settings, up
    to the memory estimate: before JAX it leaves out the sampling temporaries and the engine's
    working set (a lower bound, so nothing the run would accept is refused)."""
    from sims.cli import build_parser
    from sims.commands import simulate as command
    from sims.trackc import simulate
    from theory import _validate as v

    rc, heavy, err = _refusal(argv)
    assert (rc, heavy) == (2, [])
    with pytest.raises(ValueError) as run:
        simulate.simulate(command._settings(build_parser().parse_args(argv)))
    line = f"dssl simulate: error: {run.value}".replace(v.FORCE_HINT, v.CLI_FORCE_HINT)
    memory = re.compile(r"estimated ([\d.]+) (\w+), budget")
    if memory.search(line) is None:  # the time budget: the same estimate
        assert err == [line]
        return
    units = {"B": 0, "KiB": 1, "MiB": 2, "GiB": 3, "TiB": 4, "PiB": 5}
    early, late = (memory.search(text) for text in (err[0], line))
    assert [memory.sub("", err[0])] == [memory.sub("", line)]
    size = {m: float(m[1]) * 1024 ** units[m[2]] for m in (early, late)}
    assert 0.95 * size[late] <= size[early] <= size[late]


def test_verify_configuration_at_parse_time_is_verify_configs():
    from sims.cli import build_parser
    from sims.commands import verify
    from theory.claims_model import VerifyConfig

    cases = [
        {"d": 6},
        {"n_clients": 5, "graph": "hypercube"},
        {"graph": "torus", "rows": 3},
        {"graph": "random_regular", "degree": 9},
        {"graph": "paper_code", "avg_degree": 100.0},
        {"transform": "nope"},
        {"transform_seed": -1},
        {"d_sweep": (8, 4)},
        {"c": 500},
        {"rare_axis": (1, 2)},
        {"graph": "ring", "n_clients": 5},
    ]
    for kw in cases:
        argv = ["verify"]
        for key, value in kw.items():
            text = ",".join(map(str, value)) if isinstance(value, tuple) else str(value)
            argv += ["--" + key.replace("_", "-"), text]
        args = build_parser().parse_args(argv)
        expected = _refused_or_none(VerifyConfig, **kw)
        assert _refused_or_none(verify._check_configuration, args) == expected, kw


@pytest.mark.parametrize(
    "option, value",
    [("d", 1.0), ("d", 0.999), ("p", 1e-9), ("p", 0.0), ("p", 1.0), ("n", 2.0), ("n", 1.999),
     ("trH", 0.0), ("trH", 1e-300), ("abar", 1.0), ("abar", 0.999), ("c_num", 1e-100),
     ("c_num", 0.99e-100), ("c_den", 1e100), ("c_den", 1.01e100), ("c_n", 0.0)],
)  # fmt: skip
def test_bounds_ranges_at_parse_time_are_theory_bounds(option, value):
    from sims.cli import build_parser
    from theory import bounds

    flag = {"n": "--n-clients", "c_num": "--c-num", "c_den": "--c-den", "c_n": "--c-n"}
    argv = ["bounds", "--d", "1e5", "--p", "0.5", flag.get(option, "--" + option), repr(value)]
    if option == "d":
        argv[2] = repr(value)
        argv = argv[:-2]
    if option == "p":
        argv[4] = repr(value)
        argv = argv[:-2]
    try:
        build_parser().parse_args(argv)
        parsed = True
    except SystemExit:
        parsed = False
    point = {"d": 1e5, "p": 0.5, option: value} if option in ("d", "p", "n", "trH", "abar") else {
        "d": 1e5, "p": 0.5, "constants": {option: value}}  # fmt: skip
    assert parsed == (_refused_or_none(bounds.evaluate, **point) is None)


def test_trackd_data_path_checks_are_the_loaders(tmp_path):
    import jax.random as jr

    from sims.commands import trackd
    from sims.data import datasets

    zipless = tmp_path / "zipless.npz"
    zipless.write_bytes(b"not an archive")
    empty, partial, nested = tmp_path / "empty", tmp_path / "partial", tmp_path / "nested"
    empty.mkdir()
    datasets.write_random_cifar10(partial, 10, 10)
    (partial / "test_batch").unlink()
    datasets.write_random_cifar10(nested / "cifar-10-batches-py", 10, 10)
    (nested / "cifar-10-batches-py" / "data_batch_3").unlink()
    cases = [("npz", zipless, lambda p: datasets.load_npz_images(p, key=jr.key(0)))]
    cases += [("cifar10", path, datasets.load_cifar10) for path in (empty, partial, nested)]
    for dataset, path, load in cases:
        expected = _refused_or_none(load, str(path))
        assert expected is not None
        assert _refused_or_none(trackd.data_path_readable, dataset, str(path)) == expected
    rc, heavy, err = _refusal(["trackd", "--dataset", "npz", "--data-path", str(zipless)])
    assert (rc, heavy) == (2, [])
    assert err == ["dssl trackd: error: --data-path: must be a .npz archive (numpy.savez), "
                   "got 'zipless.npz: not a zip archive'"]  # fmt: skip


def test_an_output_folder_that_cannot_be_made_is_refused_before_the_run(tmp_path):
    """--save (and --out) that cannot become a folder is refused in one line (exit 2) before
    anything trains: a symbolic link to nothing (it had trained every arm, then failed with
    'File exists', exit 1) and a folder whose making the file system refuses (/proc). A path
    that can be made is probed and left as it was."""
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "nothing")
    rc, heavy, err = _refusal(["trackd", "--save", str(dangling)])
    assert (rc, heavy) == (2, [])
    assert err[0].startswith("dssl trackd: error: --save: must be a folder or a free path (it is "
                             "a symbolic link to nothing), got '")  # fmt: skip
    if os.path.isdir("/proc/self"):
        rc, heavy, err = _refusal(["trackd", "--save", "/proc/dssl-out"])
        assert (rc, heavy) == (2, [])
        assert err[0].startswith(("dssl trackd: error: --save: must be a folder that exists or "
                                  "can be created (making it: ",  # root: mkdir says no
                                  "dssl trackd: error: --save: must be creatable (no write "
                                  "permission in /proc)"))  # fmt: skip
        assert err[0].endswith("got '/proc/dssl-out'") and len(err) == 1
    from sims.commands._common import check_out_dir

    fresh = tmp_path / "a" / "b"
    assert check_out_dir(str(fresh), "save") == str(fresh)
    assert sorted(os.listdir(tmp_path)) == ["dangling"]
