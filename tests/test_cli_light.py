"""The command line answers at once: ``dssl --help``, every subcommand's ``--help`` and every
argument error parse without importing JAX, SciPy, SymPy or networkx; the help lists options
only; one spelling per option (old spellings refused with a one-line hint)."""

from __future__ import annotations

import json
import os
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


@pytest.mark.parametrize("command", ["topology", "bounds"])
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
    from sims.commands import _names as n
    from sims.core import mixing
    from sims.trackc import engine_config as config
    from sims.trackc import simulate
    from sims.trackd import data, verdicts
    from theory import bounds, claims, objectives, structured, topology

    assert n.GRAPHS == tuple(topology.GRAPHS) and n.MIXINGS == tuple(topology.MIXINGS)
    assert n.RULE_GRAPHS == mixing.RULE_GRAPHS
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
    assert n.SIM_DEFAULTS == simulate.DEFAULTS
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
    assert main(["explain", "p", "--output-of", "topology"]) == 0
    assert "mixing matrix" in capsys.readouterr().out
    assert main(["explain", "p", "--output-of", "nope"]) == 2
    assert capsys.readouterr().err.startswith("dssl explain: error: --output-of: ")
