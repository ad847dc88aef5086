"""``dssl topology``: build a graph and mixing matrix, print its spectral summary."""

from __future__ import annotations

import numpy as np

from theory import _validate as v

NAME = "topology"
HELP = "Spectral summary (lambda2, lambda, gap, p, |A-bar|, pi, n_W) of a graph and mixing rule."

LAMBDA_REVERSIBLE = "max(|lambda2|, |lambdaN|) of W (reversible W: real spectrum)"
LAMBDA_GENERAL = (
    "||D^1/2 (W - 1 pi^T) D^-1/2||_2, D = diag(pi); W is not reversible, so lambda2 is"
    " undefined (null); for this doubly-stochastic W it equals ||W - J||_2"
)


def add_arguments(parser) -> None:
    from theory.topology import GRAPHS, MIXINGS

    parser.add_argument("--graph", default="ring", choices=GRAPHS, help="graph family")
    parser.add_argument("--n", type=int, default=20, help="number of clients N")
    parser.add_argument(
        "--mixing",
        default="uniform",
        choices=MIXINGS + ("ying",),
        help="mixing rule ('ying': Ying et al.'s directed W, only with --graph exponential)",
    )
    parser.add_argument("--rows", type=int, default=None, help="torus rows")
    parser.add_argument("--cols", type=int, default=None, help="torus columns")
    parser.add_argument("--degree", type=int, default=None, help="random_regular degree")
    parser.add_argument(
        "--avg-degree",
        type=float,
        default=None,
        help="paper_code nominal average degree (code's avg_connectivity; |A| = degree + 1),"
        " or erdos_renyi target average degree",
    )
    parser.add_argument("--prob", type=float, default=None, help="erdos_renyi edge probability")
    parser.add_argument("--seed", type=int, default=0, help="seed of random graphs")
    parser.add_argument(
        "--sizes", default=None, help="comma-separated client data sizes (data_size mixing)"
    )
    parser.add_argument(
        "--gamma", type=float, default=0.9, help="decay of the effective-neighbours walk, [0, 1)"
    )


def _parse_sizes(text):
    if text is None:
        return None
    try:
        return [float(s) for s in text.split(",") if s.strip()]
    except ValueError:
        v.fail("sizes", "comma-separated numbers > 0", text)


def run(args) -> dict:
    from theory import spectral, topology

    seed = v.integer(args.seed, "seed", lo=0)
    gamma = v.real(args.gamma, "gamma", lo=0.0, hi=1.0, hi_open=True)
    if args.mixing == "ying":
        if args.graph != "exponential":
            v.fail("mixing", "'ying' only with --graph exponential", args.mixing)
        n = v.integer(args.n, "n", lo=3)
        W = topology.exponential_mixing(n)
        adjacency = (W > 0).astype(float) - np.eye(n)  # out-neighbours: |A_i| = τ + 1
        topology.validate_mixing(W, doubly=True, positive_diagonal=True)
    else:
        adjacency = topology.make_graph(
            args.graph,
            args.n,
            rows=args.rows,
            cols=args.cols,
            degree=args.degree,
            avg_degree=args.avg_degree,
            prob=args.prob,
            seed=seed,
        )
        W = topology.mixing_matrix(args.mixing, adjacency, sizes=_parse_sizes(args.sizes))
        topology.validate_mixing(W, adjacency=adjacency)
    out = spectral.summary(W, adjacency, gamma=gamma)
    result = {
        "graph": args.graph,
        "mixing": args.mixing,
        "n": out.pop("n"),
        "seed": seed if args.graph in topology.RANDOM_GRAPHS else None,
    }
    result.update(out)
    if args.graph == "paper_code":
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
