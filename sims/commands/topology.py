"""``dssl topology``: build a graph and mixing matrix, print its spectral summary.

Three kinds of summary, chosen by the graph and its size:

* dense (``theory.spectral.summary``): every graph of ``theory.topology`` while the N × N
  matrices fit (``--solver dense``, or ``auto`` with 8·N² bytes at most
  ``sims.core.mixing.DENSE_GOSSIP_MAX_BYTES``);
* sparse (``theory.sparse_graphs.spectrum``, ARPACK): the graphs and rules with a sparse form,
  above that size or with ``--solver sparse``; each eigenvalue with the residual bound of its
  Ritz pair as ``*_error``; the ring and torus by their closed forms instead
  (``theory.sparse_graphs.closed_form_spectrum``, exact to float64's rounding: their gap,
  of order 1/N², is past what ARPACK resolves at large N);
* a period (``theory.time_varying``): the graphs that are their own mixing rule
  (``sims.core.mixing.RULE_GRAPHS``: one-peer exponential, Ying et al.'s static exponential,
  random matchings drawn from ``--seed``) report ρ_P = ‖W_{P−1} ⋯ W_0 − J‖₂ over a window of P
  rounds and ρ_P^{1/P} (dense and exact, or ``svds`` with its residual bound at large N).
"""

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
    parser.add_argument(
        "--graph",
        default="ring",
        choices=_names.GRAPHS + _names.RULE_GRAPHS,
        help="graph family (one_peer_exp, static_exp, matching: their own weights, no --mixing)",
    )
    parser.add_argument(
        "--n-clients",
        dest="n",
        type=_common.integer(lo=2),
        default=None,
        help="number of clients N (default 20)",
    )
    parser.add_argument(
        "--mixing",
        default=None,
        choices=tuple(SPELLINGS),
        help="mixing rule (uniform; 'ying': Ying et al.'s directed W, only with --graph"
        " exponential)",
    )
    parser.add_argument(
        "--solver",
        default="auto",
        choices=SOLVERS,
        help="dense eigen-decomposition or sparse (ARPACK; the ring and torus by their closed"
        " forms; auto: sparse above the dense size)",
    )
    parser.add_argument(
        "--period",
        type=_common.integer(lo=1, hi=10_000),
        default=None,
        help="rounds in the window of rho_P (matching; default ceil(log2 N))",
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

RANDOM_GRAPHS = ("erdos_renyi", "random_regular", "paper_code", "matching")
SOLVERS = ("auto", "dense", "sparse")


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
    adjacency = topology.make_graph(args.graph, n, **_common.graph_kwargs(args) | {"seed": seed})
    W = topology.mixing_matrix(args.mixing, adjacency, sizes=args.sizes)
    topology.validate_mixing(W, adjacency=adjacency)
    return W, adjacency


def _ying(args, n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(W, adjacency): Ying et al.'s directed W, which is its own graph (exponential only, N ≥ 3:
    :func:`_check_flags` refused the rest)."""
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
    if args.period is not None and args.graph != "matching":
        na("--period", f"with --graph {args.graph} (it applies to matching)", args.period)
    if args.graph in _names.RULE_GRAPHS:
        for flag, value in (
            ("--mixing", args.mixing),
            ("--mixing-file", args.mixing_file),
            ("--sizes", args.sizes),
        ):
            if value is not None:
                na(flag, f"with --graph {args.graph} (it holds its own weights)", value)
        _common.check_graph_flags(args, None)
        if args.seed is not None and args.graph not in RANDOM_GRAPHS:
            na("--seed", f"with --graph {args.graph} (it applies to random graphs)", args.seed)
        return
    if args.mixing_file is not None:
        if args.solver == "sparse":
            na("--solver", "with --mixing-file (a dense matrix file)", args.solver)
        for flag, value, default in (
            ("--graph", args.graph, "ring"),
            ("--mixing", args.mixing or "uniform", "uniform"),
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
    args.mixing = args.mixing or "uniform"
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


def check(args) -> None:
    """Before JAX is imported (sims.cli): the flags that do not apply, the mixing file's name
    and the graph at N clients (``theory.graph_params``)."""
    _check_flags(args)
    n = 20 if args.n is None else args.n
    if args.mixing_file is not None:
        _common.check_mixing_path(args.mixing_file)
    elif args.graph not in _names.RULE_GRAPHS:
        if SPELLINGS[args.mixing].build is _rule_on_graph:
            _common.check_graph_sizes(args, args.graph, n, n_field="n")
        if _sparse(args, n):
            _check_sparse(args, n, _names.SPARSE_GRAPHS, _names.SPARSE_MIXINGS)
        if args.mixing == "data_size" and args.sizes is None:
            v.fail("sizes", f"given (n={n} client data sizes > 0)", None)  # theory.topology's


def run(args) -> dict:
    from theory import spectral

    _check_flags(args)
    seed = 0 if args.seed is None else v.integer(args.seed, "seed", lo=0)
    gamma = v.real(args.gamma, "gamma", lo=0.0, hi=spectral.GAMMA_MAX, why=spectral.GAMMA_WHY)
    n_req = 20 if args.n is None else args.n
    if args.graph in _names.RULE_GRAPHS and args.mixing_file is None:
        return _period_summary(args, v.integer(n_req, "n", lo=2), seed)
    if args.mixing_file is None and _sparse(args, n_req):
        return _sparse_summary(args, n_req, seed)
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


def _sparse(args, n: int) -> bool:
    """Whether the summary is the sparse one: ``--solver sparse``, or ``auto`` where the dense
    W would be above ``sims.core.mixing.DENSE_GOSSIP_MAX_BYTES``."""
    if args.solver == "auto":
        return 8 * n * n > _names.DENSE_GOSSIP_MAX_BYTES
    return args.solver == "sparse"


def _check_sparse(args, n: int, graphs: tuple, mixings: tuple) -> None:
    """The graph and rule the sparse summary can take (``theory.sparse_graphs``' names)."""
    if args.graph not in graphs:
        v.fail("graph", "one of " + ", ".join(graphs) + " for the sparse "
               f"summary (N = {n}; a dense one needs --solver dense and a smaller N)",
               args.graph)  # fmt: skip
    if args.mixing not in mixings:
        v.fail("mixing", "one of " + ", ".join(mixings) + f" for the sparse summary (N = {n})",
               args.mixing)  # fmt: skip


#: how many Lanczos restarts ARPACK may take before the sparse summary gives up
ARPACK_MAXITER = 20_000
#: seconds per node of the sparse summary (ARPACK's λ₂, λ_N on an exponential graph: 94 s at
#: N = 10⁵ on 2 shared cores at load average ~12): its time estimate
SPARSE_SECONDS_PER_NODE = 1e-3


def _sparse_checks(n: int, per_node: int, what: str, *, timed: bool = True) -> None:
    """Refuse a sparse summary past the memory or (``timed``: ARPACK runs) the time budget
    before building anything: ``per_node`` float64 numbers per node (the lists, their copies,
    ARPACK's work vectors)."""
    _common.check_fits("n", n, 8 * per_node * n, what=what)
    if timed:
        v.check_time("n", n, SPARSE_SECONDS_PER_NODE * n, what=what)


def _sparse_summary(args, n: int, seed: int) -> dict:
    """The sparse summary (``theory.sparse_graphs``): λ₂, λ_N, λ with their errors (ARPACK's
    residual bounds; the rounding of the ring's and torus' closed forms), the stationary
    weights' range, |Ā|; no N × N array."""
    from scipy.sparse.linalg import ArpackNoConvergence

    from theory import sparse_graphs

    _check_sparse(args, n, sparse_graphs.SPARSE_GRAPHS, sparse_graphs.SPARSE_MIXINGS)
    n = v.integer(n, "n", lo=4)
    k = 1 + sparse_graphs.row_entries(args.graph, n, args.degree)  # most nonzeros of W's rows
    closed = args.graph in sparse_graphs.CLOSED_FORM_SPARSE  # no ARPACK: no time check
    _sparse_checks(n, 4 * k + 40, "the sparse spectral summary", timed=not closed)
    adj = sparse_graphs.sparse_graph(
        args.graph, n, rows=args.rows, cols=args.cols, degree=args.degree, seed=seed
    )
    if closed:  # exact, where ARPACK cannot resolve a gap of order 1/N² at large N
        out = sparse_graphs.closed_form_spectrum(args.graph, n, rows=args.rows, cols=args.cols)
    else:
        say = _common.progress(NAME, SPARSE_SECONDS_PER_NODE * n, f"N = {n}, sparse summary")
        say("ARPACK: lambda2 and lambda_N")
        try:
            out = sparse_graphs.spectrum(sparse_graphs.sparse_mixing(args.mixing, adj),
                                         maxiter=ARPACK_MAXITER)  # fmt: skip
        except ArpackNoConvergence:
            v.fail("n", f"a graph whose spectral gap ARPACK resolves in {ARPACK_MAXITER} "
                   "restarts", n)  # fmt: skip
    deg = np.asarray(adj.sum(axis=1)).ravel()
    lam = out["lambda"]
    return {
        "graph": args.graph,
        "mixing": args.mixing,
        "n": n,
        "seed": seed if args.graph in RANDOM_GRAPHS else None,
        "solver": "closed form (theory.spectral_closed_forms), rounded from 30 digits"
        if closed
        else "sparse (ARPACK eigsh on the pi-symmetrised W)",
        "lambda2": out["lambda2"].value,
        "lambda2_error": out["lambda2"].error,
        "lambda_min": out["lambda_min"].value,
        "lambda_min_error": out["lambda_min"].error,
        "lambda": lam.value,
        "lambda_error": lam.error,
        "spectral_gap": out["spectral_gap"].value,
        "p": out["p"].value,
        "avg_connectivity": float(np.mean(deg + 1.0)),
        "mean_degree": float(np.mean(deg)),
        "stationary_weights_min": float(out["pi"].min()),
        "stationary_weights_max": float(out["pi"].max()),
        "pi_residual": out["pi_residual"],
        "asymmetry": out["asymmetry"],
        "lambda_definition": LAMBDA_REVERSIBLE
        + (
            "; *_error: its rounding to float64"
            if closed
            else "; *_error: the residual bound of its Ritz pair"
        ),  # fmt: skip
    }


#: seconds of the period summary (``svds`` on the period's product) at N = 10⁶, twice those
#: measured on 2 AMD EPYC cores at load average ~1.3 (one-peer 16.4 s, static exponential
#: 9.6 s, random matchings 210 s), and the power of N they grow with (the matchings' period
#: product needs more iterations as N grows: 14.6 s at N = 2·10⁵; the others are linear:
#: one-peer 2.95 s at 2·10⁵ and 50.3 s at 4·10⁶)
PERIOD_SECONDS_AT_1E6 = {"one_peer_exp": 33.0, "static_exp": 20.0, "matching": 420.0}
PERIOD_GROWTH = {"one_peer_exp": 1.0, "static_exp": 1.0, "matching": 1.66}


def period_seconds(graph: str, n: int, period: int | None = None) -> float:
    """The period summary's time estimate (:data:`PERIOD_SECONDS_AT_1E6`, measured over the
    default window of ⌈log₂ N⌉ rounds) at N = ``n``, in proportion to a window of ``period``
    rounds (``--period``: each round is one more W_t in the product)."""
    from theory.time_varying import one_peer_offsets

    window = 1.0 if period is None else period / len(one_peer_offsets(n))
    return PERIOD_SECONDS_AT_1E6[graph] * (n / 1e6) ** PERIOD_GROWTH[graph] * window


#: what the period summary's ``solver`` says of ``rule_contraction``'s solver
SOLVER_TEXT = {"dense": "dense (float64 product, spectral norm)", "sparse": "sparse (ARPACK svds)"}


def _period_summary(args, n: int, seed: int) -> dict:
    """The period summary of a graph that is its own rule: ρ_P = ‖W_{P−1} ⋯ W_0 − J‖₂ over P
    rounds and ρ_P^{1/P} (``sims.core.mixing.rule_contraction``: dense where the matrices fit,
    ``svds`` with its residual bound otherwise)."""
    from sims.core import mixing as mx
    from sims.core.config import key_tree, round_key
    from theory import time_varying

    if args.graph == "static_exp":
        n = v.integer(n, "n", lo=3)
    tau = len(time_varying.one_peer_offsets(n))
    seconds = period_seconds(args.graph, n, args.period)
    _sparse_checks(n, 8 * (tau + 2) + 40, "the period summary", timed=False)
    v.check_time("n", n, seconds, what="the period summary")
    rule = mx.graph_rule(args.graph, n, mixing=None)
    key = round_key(key_tree(seed)["root"])  # the matchings dssl simulate --seed draws
    dense = {"auto": None, "dense": True, "sparse": False}[args.solver]
    say = _common.progress(NAME, seconds, f"N = {n}, period summary")
    say("the contraction over the period")
    rc = mx.rule_contraction(rule, n, key=key, period=args.period, dense=dense)
    return {
        "graph": args.graph,
        "n": n,
        "seed": seed if args.graph in RANDOM_GRAPHS else None,
        "solver": SOLVER_TEXT[rc.solver],
        "period": rc.period,
        "rho_period": rc.rho,
        "rho_period_error": rc.error,
        "rho_per_round": rc.per_round,
        "neighbours_per_round": int(np.asarray(rule.at_round(key, 0).index).shape[1])
        if hasattr(rule, "at_round")
        else int(np.asarray(rule.index).shape[1]),
        "doubly_stochastic": True,
        "lambda_definition": "rho_period = ||W_{P-1} ... W_0 - J||_2 over P rounds, J = 11^T/N;"
        " rho_per_round = rho_period^(1/P)",
    }


def _fmt(value, room: int = 80) -> str:
    """``value`` as text; a list shows its first values (at most 8) that fit in ``room``
    characters, then how many it has."""
    if isinstance(value, list):
        parts = [_fmt(x) for x in value[:8]]
        if len(value) <= 8 and len(", ".join(parts)) + 2 <= room:
            return "[" + ", ".join(parts) + "]"
        tail = f", ... ({len(value)} values)]"
        while len(parts) > 1 and len(", ".join(parts)) + 1 + len(tail) > room:
            parts.pop()
        return "[" + ", ".join(parts) + tail
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
        "solver",
        "period",
        "rho_period",
        "rho_period_error",
        "rho_per_round",
        "neighbours_per_round",
        "lambda2",
        "lambda2_error",
        "lambda_min",
        "lambda_min_error",
        "lambda",
        "lambda_error",
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
    room = _common.terminal_width() - width - 2
    hang = " " * (width + 2)
    return "\n".join(_common.fill(f"{k:<{width}}  {_fmt(result[k], room)}", subsequent=hang)
                     for k in keys if k not in skip)  # fmt: skip
