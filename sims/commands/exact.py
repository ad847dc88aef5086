"""``dssl exact``: representability of the exact linear-model optima (Track B).

Default path (``structured``): the targets are a scalar times I plus a block on the signal
coordinates (``theory.structured``), so any d works, e.g. ``--d 1e12`` or ``--d 1e20``; each
optimum is reported as (min, max) over the whole optimal set when eigenvalues tie at position c.
``--dense`` (or ``--samples``, a finite sample) builds the d×d matrices instead (the oracle;
small d only). ``--transform rotation-full`` (dissimilar CL with a seeded DCT-based rotation of all
d axes, the verdict map's reading of that name) and
``--samples M --sample-seeds K`` (finite-sample Track B over K seeds) are matrix-free
(``theory.structured.solve_rotation``, ``theory.finite_sample``). Representability vectors
follow Def. 4.1 of arXiv 2607.02447.
"""

from __future__ import annotations

import argparse
import time
from decimal import Decimal, InvalidOperation

import numpy as np

from sims.commands import _common, _lazy, _names
from theory import _validate as v
from theory import graph_params

ob = _lazy.module("theory.objectives")
so = _lazy.module("theory.solve")
spectral = _lazy.module("theory.spectral")
structured = _lazy.module("theory.structured")
topology = _lazy.module("theory.topology")

NAME = "exact"
HELP = "exact linear-model optima (local / FL / DecL) and their representability vectors"

N_EIGENVALUES = 10


#: Largest d of the dense path (d×d float64 matrices per client).
DENSE_MAX_D = 4000
#: Largest d accepted (τ = d^{1/5} and μ = d^{-1/5} stay far from float64 over/underflow).
MAX_D = 10**30
#: a dense seeded DCT-based orthogonal, solved matrix-free (theory.structured.solve_rotation)
MATRIX_FREE_ROTATION = "rotation-full"
#: spellings refused with a hint to the one in use (one spelling per transform)
OLD_SPELLINGS = {"dct-rotation": MATRIX_FREE_ROTATION}
TRANSFORMS = tuple(
    dict.fromkeys(
        _names.OBJECTIVE_TRANSFORMS + _names.STRUCTURED_TRANSFORMS + (MATRIX_FREE_ROTATION,)
    )
)
#: The methods whose exact target is hollow (κ(S − diag S), Eq. 4): the paper's DecL
#: construction keeps only the diagonal of the targets, so for them it is zero (HOLLOW_NOTE).
HOLLOW_TARGETS = frozenset({"mim"})
HOLLOW_NOTE = (
    "paper_decl keeps only the diagonal of the targets (as Eqs. 27-30 "
    "do); for the hollow mim target it is zero: compare mim-paper"
)
#: Largest d of the matrix-free paths (finite samples: O(N d²) float32 memory).
FINITE_MAX_D = 20_000
ROTATION_MAX_D = 10**6
#: Most seeds of --sample-seeds.
MAX_SAMPLE_SEEDS = 10_000


#: the mask ratio of the MIM methods when --p is not given
DEFAULT_P = 0.75


def add_arguments(parser) -> None:
    parser.add_argument(
        "--method", default="mim", help="one of " + ", ".join(_names.OBJECTIVE_METHODS)
    )
    _common.add_model_arguments(parser)
    for action in parser._actions:  # --d accepts float-style integers such as 1e12
        if action.dest == "d":
            action.type = str
            action.default = "400"
            action.help = "input dimension, an integer >= 2N written as 400, 1e12 or 1e20 (400)"
        if action.dest == "p":  # None: not given (refused where p does not enter the method)
            action.default = None
            action.help = "mask ratio in (0, 1), MIM methods only (default 0.75)"
    parser.add_argument(
        "--transform",
        default=None,
        help="H for cl-dissimilar (identity): "
        + ", ".join(_names.STRUCTURED_TRANSFORMS)
        + " (structured); permutation, sign-flip, rotation act on all d axes (--dense)",
    )
    parser.add_argument(
        "--dense",
        action="store_true",
        help=f"build the d x d matrices (d <= {DENSE_MAX_D}) instead of the structured path",
    )
    parser.add_argument(
        "--transform-seed",
        type=_common.integer(),
        default=None,
        help="seed of a random H (cl-dissimilar; 0)",
    )
    _common.add_graph_arguments(parser, graph="ring")
    parser.add_argument("--mixing", default=None, help="DecL mixing rule (default uniform)")
    _common.add_mixing_file_argument(parser)
    parser.add_argument(
        "--samples",
        type=_common.integer(),
        default=None,
        help="finite sample: M samples per client (default: population)",
    )
    parser.add_argument(
        "--sample-seeds",
        type=_common.integer(),
        default=None,
        help="with --samples: matrix-free finite-sample Track B over this many seeds "
        f"(d <= {FINITE_MAX_D}); without it --samples uses one dense sample",
    )


def _graph_weights(args, n: int) -> dict:
    """π (Eq. 1 column sums / N), stationary π and |Ā| of the requested graph and mixing, or of
    the matrix of ``--mixing-file`` (its support is the graph: A_i = {j : W_ij > 0} ∪ {i})."""
    if args.mixing is not None and args.mixing_file is not None:
        _common.not_applicable(
            "--mixing", "with --mixing-file (the file gives the mixing matrix)", args.mixing
        )
    W = _common.mixing_from_args(args, n)
    if W is not None:
        args.mixing = "file"  # reported as topology and simulate report it
        _common.check_graph_flags(args, None)
        adjacency = (W > 0).astype(np.float64)
        adjacency = np.maximum(adjacency, adjacency.T)  # |A_i| counts neighbours either way
        np.fill_diagonal(adjacency, 0.0)
    else:
        args.mixing = "uniform" if args.mixing is None else args.mixing
        with v.renamed("n", "n_clients"):  # the graph's size is --n-clients
            adjacency = topology.make_graph(args.graph, n, **_common.graph_kwargs(args))
        if not topology.is_connected(adjacency):
            v.fail("graph", "connected (DecL needs a connected graph)", args.graph)
        # equal |D_i| (paper §3.2): data_size mixing reads them, every other rule ignores them
        with v.renamed("adjacency", "graph"):  # fedavg: only the complete graph
            W = topology.mixing_matrix(args.mixing, adjacency, sizes=np.ones(n))
    return {
        "pi": np.asarray(spectral.objective_weights(W)),
        "stationary": np.asarray(spectral.stationary_weights(W)),
        "abar": float(spectral.avg_connectivity(adjacency)),
    }


def _degenerate(eigenvalues: np.ndarray, c: int) -> bool:
    """True when λ_c = λ_{c+1} (relative 1e-9) and λ_c > 0: the rank-c optimum is not unique."""
    if c >= eigenvalues.size:
        return False
    lc, lnext = eigenvalues[c - 1], eigenvalues[c]
    scale = max(abs(eigenvalues[0]), 1e-300)
    return bool(lc > so.EY_REL_TOL * scale and abs(lc - lnext) <= 1e-9 * scale)


def parse_d(value) -> int:
    """--d as an int: an integer-valued number (``400``, ``1e12``, ``1.5e3``) in [1, 1e30]."""
    allowed = "an integer-valued number such as 400 or 1e12, at most 1e30"
    try:
        dec = Decimal(str(value).strip())
    except InvalidOperation:
        v.fail("d", allowed, value)
    if not dec.is_finite() or dec != dec.to_integral_value() or dec < 1 or dec > MAX_D:
        v.fail("d", allowed, value)
    return int(dec)


def _transform_options(args, method: str, fill: bool = True) -> None:
    """--transform and --transform-seed shape H, which only ``cl-dissimilar`` has: refused
    with any other method, the seed also with the identity (nothing random); defaults filled
    (unless ``fill`` is false: :func:`check`)."""
    if method not in _names.TRANSFORM_METHODS:  # theory.objectives.takes_transform
        for flag, dest in (("--transform", "transform"), ("--transform-seed", "transform_seed")):
            if getattr(args, dest) is not None:
                _common.not_applicable(
                    flag, f"with --method {method} (only cl-dissimilar has a transform H)",
                    getattr(args, dest),
                )  # fmt: skip
    if args.transform in (None, "identity") and args.transform_seed is not None:
        _common.not_applicable(
            "--transform-seed", "with the identity transform (nothing is random)",
            args.transform_seed,
        )  # fmt: skip
    if args.transform_seed is not None:
        v.integer(args.transform_seed, "transform_seed", lo=0)
    if fill:
        args.transform = "identity" if args.transform is None else args.transform
        args.transform_seed = 0 if args.transform_seed is None else args.transform_seed


def _transform_name(name: str) -> None:
    """--transform: a name of :data:`TRANSFORMS` (an old spelling refused with a hint)."""
    if name in OLD_SPELLINGS:
        v.fail("transform", f"{OLD_SPELLINGS[name]!r} (the old spelling {name!r} names it)", name)
    v.choice(name, "transform", TRANSFORMS)


def _mask_ratio(args, method: str) -> None:
    """--p only for the methods whose target it enters (theory.objectives.uses_mask_ratio)."""
    if args.p is not None and method not in _names.MASK_RATIO_METHODS:
        _common.not_applicable("--p", f"with --method {method} (p enters only the MIM targets)",
                               args.p)  # fmt: skip


def _path_refusals(args, method: str, d: int) -> None:
    """What the path chosen by the options cannot do: d beyond its largest (--sample-seeds,
    --dense or --samples, the matrix-free rotation), a transform it does not know, --sample-seeds
    without --samples or out of range. ``d``: --d parsed; ``args.transform`` may be None."""
    transform = "identity" if args.transform is None else args.transform
    if args.sample_seeds is not None:
        if d > FINITE_MAX_D:  # before any memory estimate
            v.fail("d", f"<= {FINITE_MAX_D} with --sample-seeds", d)
        if args.samples is None:
            v.fail("samples", "given (M samples per client) with --sample-seeds", None)
        v.integer(args.sample_seeds, "sample-seeds", lo=1, hi=MAX_SAMPLE_SEEDS)
        return
    if transform == MATRIX_FREE_ROTATION:
        if method not in _names.TRANSFORM_METHODS or args.dense or args.samples is not None:
            v.fail(
                "transform",
                f"{MATRIX_FREE_ROTATION} only with --method cl-dissimilar (population)",
                "",
            )
        if d > ROTATION_MAX_D:
            v.fail("d", f"<= {ROTATION_MAX_D} with --transform {MATRIX_FREE_ROTATION}", d)
        return
    if args.samples is not None or args.dense:
        if d > DENSE_MAX_D:
            v.fail("d", f"<= {DENSE_MAX_D} with --dense or --samples (drop them for any d)", d)
        if transform in _names.STRUCTURED_TRANSFORMS[1:]:
            v.fail(
                "transform",
                "one of " + ", ".join(_names.OBJECTIVE_TRANSFORMS) + " with --dense",
                transform,
            )
        return
    if transform not in _names.STRUCTURED_TRANSFORMS:
        v.fail(
            "transform",
            "one of "
            + ", ".join(_names.STRUCTURED_TRANSFORMS)
            + " on the structured path (add --dense for a transform of all d axes)",
            transform,
        )


def check(args) -> None:
    """The checks that need no JAX, before it is imported (sims.cli): --method, --p, --d,
    --transform and --transform-seed, --samples and --sample-seeds, what the chosen path
    cannot do, the data model (d >= 2N, c, the rare axes), --mixing, the mixing file's name
    and the graph at N clients."""
    method = v.choice(args.method, "method", _names.OBJECTIVE_METHODS)
    if args.transform is not None:
        _transform_name(args.transform)
    _mask_ratio(args, method)
    _transform_options(args, method, fill=False)
    d = parse_d(args.d)
    if args.samples is not None:
        v.integer(args.samples, "--samples", lo=1)
    _path_refusals(args, method, d)
    _common.model_from_args(argparse.Namespace(**{**vars(args), "d": d}))
    if args.mixing_file is None:
        if args.mixing is not None:
            v.choice(args.mixing, "mixing", _names.MIXINGS)
        _common.check_graph_flags(args, args.graph)
        _common.check_graph_sizes(args, args.graph, args.n_clients)
        _graph_free_mixing(args)
    else:
        _common.check_mixing_path(args.mixing_file)


def _graph_free_mixing(args) -> None:
    """``--mixing fedavg`` on a graph that is not complete, refused as the run refuses it
    (:func:`theory.graph_params.check_graph_free`) where the graph's edges are fixed by its
    parameters (a random graph's are known once drawn, by the run)."""
    n = args.n_clients
    kwargs = {"rows": args.rows, "cols": args.cols, "degree": args.degree}
    edges = None if args.graph is None else graph_params.edge_count(args.graph, n, **kwargs)
    if edges is not None:
        with v.renamed("adjacency", "graph"):
            graph_params.check_graph_free(args.mixing, n, edges)


def run(args) -> dict:
    method = v.choice(args.method, "method", ob.METHODS)
    _mask_ratio(args, method)
    args.p = DEFAULT_P if args.p is None else args.p
    _transform_options(args, method)
    args.d = parse_d(args.d)
    _transform_name(args.transform)
    _path_refusals(args, method, args.d)
    if args.samples is not None:  # sampled in float64 before anything else is checked
        from sims.data.paper_model import check_sample_fits

        m = v.integer(args.samples, "--samples", lo=1)
        n = v.integer(args.n_clients, "--n-clients", lo=2)
        # named by the larger factor of the N·M·d draw (M samples or d coordinates per client)
        field, value = ("--d", args.d) if args.d > m else ("--samples", m)
        check_sample_fits(field, n, m, args.d, value)
    if args.sample_seeds is not None:
        return _run_finite(args, method)
    if args.transform == MATRIX_FREE_ROTATION:
        return _run_rotation(args)
    if args.samples is not None or args.dense:
        # d is at most DENSE_MAX_D here: the dense (N, d, d) moments outgrow memory with N
        with v.renamed("model", "n_clients"):
            return _run_dense(args, method)
    return _run_structured(args, method)


def _run_rotation(args) -> dict:
    """cl-dissimilar with a dense DCT-based rotation, matrix-free (block Krylov)."""
    start = time.perf_counter()
    model = _common.model_from_args(args)
    n = model.n_clients
    graph = _graph_weights(args, n)
    H = structured.ImplicitOrthogonal(
        model.d, v.integer(args.transform_seed, "transform-seed", lo=0)
    )
    runs = {f"local{i + 1}": {"client": i} for i in range(n)}
    runs["fl"] = {"weights": "fl"}
    runs["decl"] = {"weights": graph["pi"]}
    out = {key: structured.solve_rotation(model, rotation=H, **kw) for key, kw in runs.items()}
    return {
        "path": "matrix-free rotation",
        "method": "cl-dissimilar",
        "transform": MATRIX_FREE_ROTATION,
        "d": model.d,
        "n_clients": n,
        "c": model.c,
        "optima": out,
        "graph": {"name": args.graph, "abar": graph["abar"], "decl_weights": graph["pi"]},
        "notes": [
            "H = signs * DCT-II * signs (dense, seeded); block Krylov + Rayleigh-Ritz; "
            "'converged' is False when slots come from the bulk edge of mu^2 H_sym",
        ],
        "seconds": time.perf_counter() - start,
    }


def _run_finite(args, method: str) -> dict:
    """Matrix-free finite-sample Track B over seeds (theory.finite_sample)."""
    from theory import finite_sample as fs

    v.choice(method, "method", fs.METHODS)
    seeds = v.integer(args.sample_seeds, "sample-seeds", lo=1, hi=MAX_SAMPLE_SEEDS)
    model = _common.model_from_args(args)
    graph = _graph_weights(args, model.n_clients)
    H = args.transform if ob.takes_transform(method) else None
    res = fs.track_b_samples(
        model,
        method,
        m=args.samples,
        seeds=[args.seed + s for s in range(seeds)],
        p=ob.p_for(method, args.p),
        H=H,
        decl={"decl": graph["pi"]},
        abar={"decl": graph["abar"]},
    )
    keys = ("fl", "decl", "local")
    return {
        "path": "finite-sample matrix-free",
        "method": method,
        "config": res["config"],
        **{
            key: {
                "summary": res[key]["summary"],
                "bound": res[key]["bound"],
                "fraction_meeting_bound": res[key]["fraction_meeting_bound"],
                "max_subspace_bound": float(np.max(res[key]["subspace_bound"])),
            }
            for key in keys
        },
        "graph": {"name": args.graph, "abar": graph["abar"], "decl_weights": graph["pi"]},
        "seconds": res["seconds"],
    }


def _p_text(result: dict) -> str:
    """`` p=0.75`` in the text header, or nothing where p does not enter the method."""
    return "" if result["p"] is None else f" p={result['p']}"


def _header(path: str, method: str, model, p: float | None, rare_axis) -> dict:
    """The keys every exact result starts with: how it was computed and the data model (``p``
    None where the mask ratio does not enter the method)."""
    return {
        "path": path,
        "method": method,
        "d": model.d,
        "n_clients": model.n_clients,
        "c": model.c,
        "p": p,
        "tau": model.tau,
        "mu": model.mu,
        "rare_fraction": model.rare_fraction,
        "rare_axis": rare_axis,
    }


def _exact_p(args, method: str) -> float | None:
    """``--p`` as the method takes it (``objectives.p_for``), checked in (0, 1)."""
    return ob.p_for(method, v.real(args.p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True))


def _rv_coords(k: int) -> str:
    """What the listed coordinates of a representability vector are (``rv_coords``)."""
    return f"first max(c, 2N) = {k} coordinates e_1..e_{k} (index 0 is e_1)"


def _graph_json(args, graph: dict) -> dict:
    """The ``graph`` key: the graph and mixing asked for and :func:`_graph_weights`' numbers."""
    return {
        "name": args.graph,
        "mixing": args.mixing,
        "abar": graph["abar"],
        "decl_weights": graph["pi"],
        "stationary_weights": graph["stationary"],
    }


def _optimum_json(r: structured.StructuredOptimum, k: int) -> dict:
    lo, hi = r.rv_range(range(min(k, r.d)))
    return {
        "eigenvalues": list(r.eigenvalues[:N_EIGENVALUES]),
        "multiplicities": list(r.multiplicities[:N_EIGENVALUES]),
        "eigenvalue_source": r.eigenvalue_source,
        "rank": r.rank,
        "a5_rank_equals_c": r.a5_met,
        "tied": r.tied,
        "free_rows": r.free_rows,
        "tie_tol": r.tie_tol,
        "exact": r.exact,
        "brackets": r.brackets,
        "rv_min": lo,
        "rv_max": hi,
        "rv_rest": list(r.rv_rest),
        "s_N": list(r.s_N),
        "s_c": list(r.s_c),
        "gap": list(r.gap),
    }


def _run_structured(args, method: str) -> dict:
    start = time.perf_counter()
    model = _common.model_from_args(args)
    n, d, c = model.n_clients, model.d, model.c
    p = _exact_p(args, method)
    H = args.transform if ob.takes_transform(method) else None
    graph = _graph_weights(args, n)
    k = min(d, max(c, 2 * n))
    local = [structured.solve(model, method, client=i, H=H, p=p) for i in range(n)]
    glob = {
        "fl": structured.solve(model, method, weights="fl", H=H, p=p),
        "decl": structured.solve(model, method, weights=graph["pi"], H=H, p=p),
        "decl_stationary": structured.solve(model, method, weights=graph["stationary"], H=H, p=p),
    }
    notes = [
        "structured path: targets are a*I + a block on the signal coordinates; every "
        "(min, max) pair is over the whole optimal set (min = max when the optimum is unique)",
        "rv_min/rv_max list the coordinates e_1..e_k; rv_rest is every other coordinate",
    ]
    paper = None
    if not ob.has_decoder(method):
        Xp = structured.paper_decl_block(model, method, graph["abar"], H=H, p=p)
        paper = _optimum_json(structured.solve_block(Xp, c, n), k)
        if method in HOLLOW_TARGETS:
            notes.append(HOLLOW_NOTE)
    else:
        notes.append(
            "mim-recon: optima are the encoder row spaces of the reduced-rank regression; "
            "eigenvalues are those of Σ_vu Σ_uu⁺ Σ_uv; paper_decl does not apply; where the "
            "regression has rank r < c, free_rows = c − r encoder rows may point anywhere "
            "outside it, so the RVs are intervals"
        )
    result = {
        **_header("structured", method, model, p, args.rare_axis),
        "transform": args.transform if ob.takes_transform(method) else None,
        "samples": None,
        "rv_coords": _rv_coords(k),
        "local": [_optimum_json(r, k) for r in local],
        **{key: _optimum_json(r, k) for key, r in glob.items()},
        "paper_decl": paper,
        "sensitivity_N": {"local": [list(r.s_N) for r in local]},
        "sensitivity_c": {"local": [list(r.s_c) for r in local]},
        "gap": {"local": [list(r.gap) for r in local]},
        "rank": {"local": [r.rank for r in local]},
        "tied": {"local": [r.tied for r in local]},
        "eigenvalues": list(glob["fl"].eigenvalues[:N_EIGENVALUES]),
        "multiplicities": list(glob["fl"].multiplicities[:N_EIGENVALUES]),
        "graph": _graph_json(args, graph),
        "notes": notes,
    }
    for key, r in glob.items():
        result["sensitivity_N"][key] = list(r.s_N)
        result["sensitivity_c"][key] = list(r.s_c)
        result["gap"][key] = list(r.gap)
        result["rank"][key] = r.rank
        result["tied"][key] = r.tied
    result["seconds"] = time.perf_counter() - start
    return result


def _dense_samples(args, model) -> np.ndarray | None:
    """The ``--samples`` per client drawn from the data model (``--seed``), or None."""
    if args.samples is None:
        return None
    m = v.integer(args.samples, "samples", lo=1)
    import jax.random as jr

    from sims.data import sample_paper_model

    x, _ = sample_paper_model(model, m, key=jr.key(v.integer(args.seed, "seed", lo=0)))
    return np.asarray(x)


def _dense_recon(model, data, p: float, c: int, graph: dict, notes: list) -> tuple:
    """mim-recon: ``(optima, FL eigenvalues, degenerate at c, paper_decl = None)`` of the
    reduced-rank regression (the encoders W_e), with its notes."""
    uu, vu = ob.recon_moments(model if data is None else data, p=p)
    opt = so.recon_optima(
        uu, vu, c, decl_weights=graph["pi"], stationary_weights=graph["stationary"]
    )
    full = opt["sv_fl"] ** 2
    notes.append(
        "mim-recon: optima are the encoders W_e of the reduced-rank regression; "
        "eigenvalues are those of Σ_vu Σ_uu⁺ Σ_uv; paper_decl does not apply"
    )
    r_fl = int(np.sum(full[:c] > so.EY_REL_TOL * max(abs(full[0]), 1e-300)))
    if r_fl < c:
        notes.append(
            f"mim-recon: the FL regression has rank {r_fl} < c = {c}, so {c - r_fl} encoder "
            "rows are free (Eq. 3 has no regulariser; the decoder ignores them): the RVs "
            "here are one point of the optimal set (its RV intervals: drop --dense)"
        )
    return opt, full[:N_EIGENVALUES], _degenerate(full, c), None


def _dense_targets(model, data, method: str, p: float, H, c, k, n, graph, notes) -> tuple:
    """The alignment methods: ``(optima, FL eigenvalues, degenerate at c, paper_decl)`` of the
    population or sample targets, and the paper's |Ā| construction (Eqs. 27-30)."""
    targets = (
        ob.population_targets(model, method, p=p, H=H)
        if data is None
        else ob.empirical_target(data, method, p=p, H=H)
    )
    opt = so.optima(targets, c, decl_weights=graph["pi"], stationary_weights=graph["stationary"])
    full = np.linalg.eigvalsh(opt["target_fl"])[::-1]
    if method in HOLLOW_TARGETS:
        notes.append(HOLLOW_NOTE)
    Xp = so.paper_decl_target(targets, graph["abar"])
    Wp = np.asarray(so.eckart_young(Xp, c))
    rp = so.representability_vector(Wp)
    paper = {
        "rv": rp[:k],
        "sensitivity_N": so.sensitivity_N(rp, n),
        "sensitivity_c": so.sensitivity_c(rp, c),
        "eigenvalues": np.sort(np.diagonal(Xp))[::-1][:N_EIGENVALUES],
    }
    return opt, full[:N_EIGENVALUES], _degenerate(full, c), paper


def _run_dense(args, method: str) -> dict:
    model = _common.model_from_args(args)
    n, d, c = model.n_clients, model.d, model.c
    p = _exact_p(args, method)
    H = ob.transform(args.transform, d, seed=args.transform_seed)
    H = H if ob.takes_transform(method) else None  # H enters cl-dissimilar only
    data = _dense_samples(args, model)
    notes = []
    graph = _graph_weights(args, n)
    k = min(d, max(c, 2 * n))
    if ob.has_decoder(method):
        opt, eig, degenerate, paper = _dense_recon(model, data, p, c, graph, notes)
    else:
        opt, eig, degenerate, paper = _dense_targets(
            model, data, method, p, H, c, k, n, graph, notes
        )

    local = [so.representability_vector(W) for W in opt["local"]]
    result = {
        **_header("dense", method, model, p, args.rare_axis),
        "samples": args.samples,
        "rv_coords": _rv_coords(k),
        "local_rv": [r[:k] for r in local],
        "fl_rv": None,
        "decl_rv": None,
        "decl_stationary_rv": None,
        "sensitivity_N": {"local": [so.sensitivity_N(r, n) for r in local]},
        "sensitivity_c": {"local": [so.sensitivity_c(r, c) for r in local]},
        "rank": {"local": [int(np.sum(np.any(W != 0, axis=1))) for W in opt["local"]]},
        "eigenvalues": eig,
        "fl_degenerate_at_c": degenerate,
        "paper_decl": paper,
        "graph": _graph_json(args, graph),
        "notes": notes,
    }
    for key in ("fl", "decl", "decl_stationary"):
        if key in opt:
            r = so.representability_vector(opt[key])
            result[key + "_rv"] = r[:k]
            result["sensitivity_N"][key] = so.sensitivity_N(r, n)
            result["sensitivity_c"][key] = so.sensitivity_c(r, c)
            result["rank"][key] = int(np.sum(np.any(np.asarray(opt[key]) != 0, axis=1)))
    return result


def format_text(result: dict) -> str:
    if result.get("path") in ("matrix-free rotation", "finite-sample matrix-free"):
        import json

        from sims.reproduce.pipeline.jsonio import to_jsonable

        return json.dumps(to_jsonable(result), indent=1)
    if result.get("path") == "structured":
        return _format_structured(result)
    return _format_dense(result)


def _format_structured(result: dict) -> str:
    def fmt(xs):
        return " ".join(f"{x:.3f}" for x in xs)

    def pair(xs):
        return f"[{xs[0]:.4g}, {xs[1]:.4g}]"

    def row(name, o):
        rv = (
            fmt(o["rv_min"])
            if o["rv_min"] == o["rv_max"]
            else ("min " + fmt(o["rv_min"]) + " | max " + fmt(o["rv_max"]))
        )
        tie = " TIED" if o["tied"] else ""
        return _common.pack([f"{name:<15} rank {o['rank']}{tie}", f"rv {rv}",
                             f"rest {pair(o['rv_rest'])}", f"s_N {pair(o['s_N'])}",
                             f"s_c {pair(o['s_c'])}", f"gap {pair(o['gap'])}"], 16)  # fmt: skip

    lines = [
        _common.fill(f"method {result['method']}  d={result['d']} N={result['n_clients']} "
                     f"c={result['c']}{_p_text(result)}  structured  ({result['rv_coords']})")
    ]  # fmt: skip
    for i, o in enumerate(result["local"]):
        lines.append(row(f"local {i + 1}", o))
    for key in ("fl", "decl", "decl_stationary"):
        lines.append(row(key, result[key]))
    if result.get("paper_decl"):
        lines.append(row("paper-DecL", result["paper_decl"]))
    pairs = zip(result["eigenvalues"], result["multiplicities"], strict=True)
    eig = [f"{x:.4g}" + (f"(x{m})" if m > 1 else "") for x, m in pairs]
    lines.append(_common.fill("FL eigenvalues " + " ".join(eig), subsequent=" " * 15))
    lines.append(f"seconds {result['seconds']:.3f}")
    return "\n".join(lines + _notes(result))


def _notes(result: dict) -> list[str]:
    """The answer's notes, each wrapped to the terminal."""
    return [_common.fill("note: " + n, subsequent=" " * 6) for n in result["notes"]]


def _format_dense(result: dict) -> str:
    def fmt(xs):
        return " ".join(f"{x:.3f}" for x in xs)

    lines = [
        _common.fill(f"method {result['method']}  d={result['d']} N={result['n_clients']} "
                     f"c={result['c']}{_p_text(result)}  ({result['rv_coords']})")
    ]  # fmt: skip
    for i, r in enumerate(result["local_rv"]):
        lines.append(_common.pack([f"local {i + 1:<3}", f"rv {fmt(r)}"], 11))
    for key in ("fl", "decl", "decl_stationary"):
        if result.get(key + "_rv") is not None:
            lines.append(_common.pack([f"{key:<9}", f"rv {fmt(result[key + '_rv'])}",
                                       f"s_N={result['sensitivity_N'][key]:.4f}",
                                       f"s_c={result['sensitivity_c'][key]:.4f}"], 11))  # fmt: skip
    if result.get("paper_decl"):
        pd = result["paper_decl"]
        lines.append(_common.pack(["paper-DecL", f"rv {fmt(pd['rv'])}",
                                   f"s_N={pd['sensitivity_N']:.4f}",
                                   f"s_c={pd['sensitivity_c']:.4f}"], 11))  # fmt: skip
    lines.append(_common.fill("FL target eigenvalues " + fmt(result["eigenvalues"]),
                              subsequent=" " * 22))  # fmt: skip
    return "\n".join(lines + _notes(result))
