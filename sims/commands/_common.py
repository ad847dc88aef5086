"""Options shared by several subcommands: the data model and the communication graph."""

from __future__ import annotations

import argparse

from theory import _validate as v
from theory.datamodel import RARE_AXIS_MODES, DataModel


def add_model_arguments(
    parser: argparse.ArgumentParser, *, d: int = 400, n_clients: int = 4
) -> None:
    """--d, --n-clients, --p, --c, --tau, --mu, --rare-fraction, --rare-axis."""
    parser.add_argument("--d", type=int, default=d, help=f"input dimension >= 2N (default {d})")
    parser.add_argument(
        "--n-clients", type=int, default=n_clients, help=f"number of clients N >= 2 ({n_clients})"
    )
    parser.add_argument("--p", type=float, default=0.75, help="mask ratio in (0, 1)")
    parser.add_argument("--c", type=int, default=None, help="embedding width (default 2N)")
    parser.add_argument("--tau", type=float, default=None, help="offset scale (default d^{1/5})")
    parser.add_argument("--mu", type=float, default=None, help="noise scale (default d^{-1/5})")
    parser.add_argument("--rare-fraction", type=float, default=0.05, help="rare-class weight")
    parser.add_argument(
        "--rare-axis",
        default="class-index",
        help="one of " + ", ".join(RARE_AXIS_MODES) + ", or N comma-separated 1-based axes",
    )


def rare_axis(text: str):
    """Parse --rare-axis: a mode name or comma-separated 1-based coordinates."""
    if text in RARE_AXIS_MODES:
        return text
    try:
        return tuple(int(t) for t in text.split(","))
    except ValueError:
        v.fail(
            "rare-axis",
            "one of " + ", ".join(RARE_AXIS_MODES) + " or comma-separated integers",
            text,
        )


def model_from_args(args) -> DataModel:
    """The DataModel of the parsed model options."""
    return DataModel(
        d=args.d,
        n_clients=args.n_clients,
        tau=args.tau,
        mu=args.mu,
        rare_fraction=args.rare_fraction,
        rare_axis=rare_axis(args.rare_axis),
        c=args.c,
    )


def add_graph_arguments(parser: argparse.ArgumentParser, *, graph: str = "ring") -> None:
    """--graph, --rows/--cols, --degree, --avg-degree, --prob, --seed."""
    from theory.topology import GRAPHS

    parser.add_argument("--graph", default=graph, choices=GRAPHS, help=f"graph ({graph})")
    parser.add_argument("--rows", type=int, default=None, help="torus rows")
    parser.add_argument("--cols", type=int, default=None, help="torus columns")
    parser.add_argument("--degree", type=int, default=None, help="random_regular degree")
    parser.add_argument(
        "--avg-degree", type=float, default=None, help="erdos_renyi / paper_code average degree"
    )
    parser.add_argument("--prob", type=float, default=None, help="erdos_renyi edge probability")
    parser.add_argument("--seed", type=int, default=0, help="seed (random graph, samples)")


def graph_kwargs(args) -> dict:
    """Keyword arguments of ``theory.topology.make_graph`` from the parsed graph options."""
    return dict(
        rows=args.rows,
        cols=args.cols,
        degree=args.degree,
        avg_degree=args.avg_degree,
        prob=args.prob,
        seed=args.seed,
    )
