"""``dssl topology``: build a graph and mixing matrix, print its spectral summary."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from sims.commands import _common, _lazy, _names
from theory import _validate as v

topology = _lazy.module("theory.topology")

NAME = "topology"
HELP = "Spectral summary (lambda2, lambda, gap, p, |A-bar|, pi, n_W) of a graph and mixing rule."

LAMBDA_REVERSIBLE = "max(|lambda2|, |lambdaN|) of W (reversible W: real spectrum)"
LAMBDA_GENERAL = (
    "||D^1/2 (W - 1 pi^T) D^-1/2||_2, D = diag(pi); W is not reversible, so lambda2 is"
    " undefined (null); for this doubly-stochastic W it equals ||W - J||_2"
)


def add_arguments(parser) -> None:
    parser.add_argument("--graph", default="ring", choices=_names.GRAPHS, help="graph family")
    parser.add_argument(
        "--n-clients",
        dest="n",
        type=_common.integer(lo=2),
        default=None,
        help="number of clients N (default 20)",
    )
    _common.add_renamed(parser, "--n", "--n-clients")
    parser.add_argument(
        "--mixing",
        default="uniform",
        choices=tuple(SPELLINGS),
        help="mixing rule ('ying': Ying et al.'s directed W, only with --graph exponential)",
    )
    _common.add_mixing_file_argument(parser)
    parser.add_argument("--rows", type=_common.integer(lo=3), default=None, help="torus rows")
    parser.add_argument("--cols", type=_common.integer(lo=3), default=None, help="torus columns")
    parser.add_argument(
        "--degree", type=_common.integer(lo=2), default=None, help="random_regular degree"
    )
    parser.add_argument(
        "--avg-degree",
        type=_common.real(0.0, lo_open=True),
        default=None,
        help="paper_code nominal average degree (code's avg_connectivity; |A| = degree + 1),"
        " or erdos_renyi target average degree",
    )
    parser.add_argument(
        "--prob",
        type=_common.real(0.0, 1.0, lo_open=True),
        default=None,
        help="erdos_renyi edge probability",
    )
    parser.add_argument(
        "--seed", type=_common.integer(0, 2**32 - 1), default=None, help="seed of random graphs"
    )
    parser.add_argument(
        "--sizes",
        type=_common.reals(0.0, lo_open=True, max_sum=1e300),
        default=None,
        help="comma-separated client data sizes > 0 (data_size mixing)",
    )
    parser.add_argument(
        "--gamma",
        type=_common.real(0.0, 1.0, hi_open=True),
        default=0.9,
        help="decay of the effective-neighbours walk, [0, 1)",
    )


#: Dense (N, N) float64 matrices alive at once in a topology summary (adjacency, W, its
#: eigen-decomposition and spectral work arrays): the memory estimate is this × 8·N² bytes.
DENSE_COPIES = 12

RANDOM_GRAPHS = ("erdos_renyi", "random_regular", "paper_code")


#: floating-point work of a topology summary per N³ (eigen-decompositions, inverse, powers)
#: and the rate assumed on a CPU: the time estimate (:func:`estimate_seconds`)
SUMMARY_FLOPS_PER_N3 = 40
ASSUMED_FLOPS = 5e9


def estimate_seconds(n: int) -> float:
    """Estimated seconds of ``dssl topology`` on N clients (dense O(N³) linear algebra).

    >>> round(estimate_seconds(2500))
    125
    """
    return SUMMARY_FLOPS_PER_N3 * float(n) ** 3 / ASSUMED_FLOPS


def estimate_bytes(n: int) -> int:
    """Estimated peak bytes of ``dssl topology`` on N clients (dense N×N matrices).

    >>> estimate_bytes(10_000_000) > 2**50
    True
    """
    return int(DENSE_COPIES * 8 * n * n)


def _checked_time(field: str, value, n: int):
    """Refuse a summary estimated past the time budget; the progress printer of one that runs
    longer than a few seconds (:func:`sims.commands._common.progress`)."""
    seconds = estimate_seconds(n)
    v.check_time(field, value, seconds, what="the dense N×N summary")
    return _common.progress(NAME, seconds, f"N = {n}, dense N×N spectral summary")


def _rule_on_graph(args, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, adjacency): the ``theory.topology`` rule ``--mixing`` on the ``--graph`` drawn."""
    adjacency = topology.make_graph(
        args.graph,
        n,
        rows=args.rows,
        cols=args.cols,
        degree=args.degree,
        avg_degree=args.avg_degree,
        prob=args.prob,
        seed=seed,
    )
    W = topology.mixing_matrix(args.mixing, adjacency, sizes=args.sizes)
    topology.validate_mixing(W, adjacency=adjacency)
    return W, adjacency


def _ying(args, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, adjacency): Ying et al.'s directed W, which is its own graph (exponential only)."""
    if args.graph != "exponential":
        v.fail("mixing", "'ying' only with --graph exponential", args.mixing)
    n = v.integer(n, "n", lo=3)
    W = topology.exponential_mixing(n)
    adjacency = (W > 0).astype(float) - np.eye(n)  # out-neighbours: |A_i| = τ + 1
    topology.validate_mixing(W, doubly=True, positive_diagonal=True)
    return W, adjacency


class Spelling(NamedTuple):
    """What a ``--mixing`` spelling stands for: ``build(args, n, seed) -> (W, adjacency)``,
    whether it reads ``--sizes`` (the client data sizes), and whether it is defined on the
    complete graph only (FedAvg's J = 11ᵀ/N)."""

    build: Callable
    takes_sizes: bool = False
    complete_only: bool = False


#: Every ``--mixing`` spelling (the ``theory.topology`` rules, then ``ying``), read once.
SPELLINGS = {name: Spelling(_rule_on_graph) for name in _names.MIXINGS} | {
    "data_size": Spelling(_rule_on_graph, takes_sizes=True),
    "fedavg": Spelling(_rule_on_graph, complete_only=True),
    "ying": Spelling(_ying),
}


def _check_flags(args) -> None:
    """Reject flags that have no effect with the given graph / mixing / mixing file."""
    na = _common.not_applicable
    if args.mixing_file is not None:
        for flag, value, default in (
            ("--graph", args.graph, "ring"),
            ("--mixing", args.mixing, "uniform"),
        ):
            if value != default:
                na(flag, "with --mixing-file (the file gives the mixing matrix)", value)
        for flag, value in (
            ("--n-clients", args.n),
            ("--sizes", args.sizes),
            ("--seed", args.seed),
        ):
            if value is not None:
                na(flag, "with --mixing-file (N is the size of the file's matrix)", value)
        _common.check_graph_flags(args, None)
        return
    _common.check_graph_flags(args, args.graph)
    spelling = SPELLINGS[args.mixing]
    if spelling.build is _ying:  # Ying et al.'s W is its own graph: exponential, N >= 3
        if args.graph != "exponential":
            v.fail("mixing", "'ying' only with --graph exponential", args.mixing)
        if args.n is not None:
            v.integer(args.n, "n", lo=3)
    if spelling.complete_only and args.graph != "complete":
        v.fail("mixing", f"{args.mixing!r} only with --graph complete (J = 11ᵀ/N joins every pair)",
               f"{args.mixing} with --graph {args.graph}")  # fmt: skip
    if args.sizes is not None and not spelling.takes_sizes:
        na("--sizes", f"with --mixing {args.mixing} (it applies to data_size)", args.sizes)
    if args.seed is not None and args.graph not in RANDOM_GRAPHS:
        na("--seed", f"with --graph {args.graph} (it applies to random graphs)", args.seed)


#: checked before JAX is imported (sims.cli)
check = _check_flags


def run(args) -> dict:
    from theory import spectral

    _check_flags(args)
    seed = 0 if args.seed is None else v.integer(args.seed, "seed", lo=0)
    gamma = v.real(args.gamma, "gamma", lo=0.0, hi=spectral.GAMMA_MAX, why=spectral.GAMMA_WHY)
    n_req = 20 if args.n is None else args.n
    if args.mixing_file is not None:
        W = _common.mixing_from_args(args)
        say = _checked_time("mixing-file", args.mixing_file, W.shape[0])
        adjacency = ((W + W.T) > 0).astype(float)
        np.fill_diagonal(adjacency, 0.0)
    else:
        _common.check_fits("n", n_req, estimate_bytes(n_req), what="the dense N×N matrices")
        say = _checked_time("n", n_req, n_req)
        say(f"the {args.graph} graph and its {args.mixing} mixing matrix")
        W, adjacency = SPELLINGS[args.mixing].build(args, n_req, seed)
    say("the spectrum and the summary")
    out = spectral.summary(W, adjacency, gamma=gamma)
    from_file = args.mixing_file is not None
    result = {
        "graph": None if from_file else args.graph,
        "mixing": "file" if from_file else args.mixing,
        "n": out.pop("n"),
        "seed": seed if (args.graph in RANDOM_GRAPHS and not from_file) else None,
    }
    if from_file:
        result["mixing_file"] = args.mixing_file
    result.update(out)
    if args.graph == "paper_code" and not from_file:
        result["nominal_degree"] = int(args.avg_degree)
        result["degree_excess"] = float(result["mean_degree"]) - int(args.avg_degree)
    if not bool(result["reversible"]):
        result["eigenvalue_moduli"] = np.abs(spectral.eigenvalues_complex(W)).tolist()
    result["lambda_definition"] = (
        LAMBDA_REVERSIBLE if bool(result["reversible"]) else LAMBDA_GENERAL
    )
    return result


def _fmt(value) -> str:
    if isinstance(value, list):
        if len(value) > 8:
            return "[" + ", ".join(_fmt(x) for x in value[:8]) + f", ... ({len(value)} values)]"
        return "[" + ", ".join(_fmt(x) for x in value) + "]"
    if isinstance(value, float):
        return f"{value:.6g}"
    if value is None:
        return "n/a"
    return str(value)


def format_text(result: dict) -> str:
    order = [
        "graph",
        "mixing",
        "n",
        "seed",
        "lambda2",
        "lambda_min",
        "lambda",
        "spectral_gap",
        "p",
        "avg_connectivity",
        "mean_degree",
        "nominal_degree",
        "degree_excess",
        "effective_neighbours",
        "gamma",
        "row_stochastic",
        "column_stochastic",
        "doubly_stochastic",
        "symmetric",
        "reversible",
        "primitive",
        "objective_weights",
        "stationary_weights",
        "eigenvalues",
        "eigenvalue_moduli",
        "lambda_definition",
    ]
    keys = [k for k in order if k in result] + [k for k in result if k not in order]
    skip = {"degrees", "connectivity"}
    width = max(len(k) for k in keys)
    return "\n".join(f"{k:<{width}}  {_fmt(result[k])}" for k in keys if k not in skip)
