"""Sweeps of the theory over its parameters: hidden-constant grids, bound tables, exact optima
against d, exact optima over graphs of increasing connectivity, and the paper's lower bound at a
configuration. Pure maths (NumPy/SciPy, and ``theory.bounds`` which runs in float64 on its
own); no file I/O. The ``track_a`` stage of ``dssl reproduce`` and notebook 03 use these.

``config`` arguments are read-only mappings (a ``dict``, or a stage ``Config`` of
:mod:`sims.reproduce.stages`, which reads like one) with the keys each function lists.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from theory import _validate as v
from theory.frameworks import BOUND_METHOD_NAMES, BOUND_OF_EXACT, FRAMEWORK_NAMES
from theory.objectives import p_for, takes_transform

#: the frameworks and bound methods of the Track A tables (:mod:`theory.frameworks`)
FRAMEWORKS = FRAMEWORK_NAMES
BOUND_METHODS = BOUND_METHOD_NAMES
#: exact-model method -> the Track A bound it is compared with, for the exact methods the
#: Track A sweeps run (:data:`theory.frameworks.BOUND_OF_EXACT`; not mim-recon)
EXACT_TO_BOUND = {
    m: BOUND_OF_EXACT[m] for m in ("mim", "mim-paper", "mim-independent", "cl", "cl-dissimilar")
}


def seed_grid(seed: int, seeds: int, repeat: int = 1) -> list[int]:
    """Seeds ``seed + s`` for s < ``seeds``, the block repeated ``repeat`` times (outer loop over
    configurations, inner over seeds).

    >>> seed_grid(10, 2, repeat=2)
    [10, 11, 10, 11]
    """
    seed = v.integer(seed, "seed")
    seeds = v.integer(seeds, "seeds", lo=1)
    repeat = v.integer(repeat, "repeat", lo=1)
    return [seed + s for _ in range(repeat) for s in range(seeds)]


def degree_sweep(n: int, seeds: Sequence[int] = (0,)) -> list[tuple[str, dict]]:
    r"""Graphs of increasing connectivity on ``n`` nodes (Cor 4.5, Thm 4.6 of arXiv 2607.02447): the
    official code's generator ``paper_code`` at every nominal degree :math:`k = 1, \dots, n - 2`
    (for each seed), then the complete graph. Returns ``(graph, make_graph keywords)`` pairs.

    >>> degree_sweep(4)
    [('paper_code', {'avg_degree': 1.0, 'seed': 0}), ('paper_code', {'avg_degree': 2.0, 'seed': 0}), ('complete', {})]
    """  # noqa: E501
    n = v.integer(n, "n", lo=2)
    graphs = [
        ("paper_code", {"avg_degree": float(k), "seed": int(s)})
        for k in range(1, n - 1)
        for s in seeds
    ]
    graphs.append(("complete", {}))
    return graphs


def constant_grid(constants_range: Sequence[float], points: int) -> tuple[np.ndarray, int]:
    r"""(K, 3) grid of the hidden constants (:math:`C_{num}`, :math:`C_{den}`,
    :math:`\operatorname{tr} H`), each over ``points`` log-spaced values in ``constants_range``,
    and the index of the point nearest all-ones.

    >>> grid, centre = constant_grid((0.1, 10.0), 3)
    >>> grid.shape, grid[centre].tolist()
    ((27, 3), [1.0, 1.0, 1.0])
    """
    lo, hi = (v.real(x, "constants_range", lo=0.0, lo_open=True) for x in constants_range)
    vals = np.geomspace(lo, hi, v.integer(points, "constants_points", lo=1))
    grid = np.array([(a, b, t) for a in vals for b in vals for t in vals], dtype=float)
    centre = int(np.argmin(np.abs(np.log(grid)).sum(axis=1)))
    return grid, centre


def bound_table(config: Mapping, d, abar) -> dict:
    r"""Sensitivities :math:`s = 1 - \mathrm{LB}` over the hidden-constant grid (Thms 4.2, 4.3).

    ``config`` keys: p, n_clients, sign, fl_term, constants_range, constants_points. ``d`` and
    ``abar`` broadcast together. Returns
    ``{method: {framework: {"s": (K, *shape), "vacuous": (K, *shape)}}}``; where a bound is vacuous
    (undefined or :math:`\mathrm{LB} \le 0`) s is set to 1 (the RV is in [0, 1] anyway). One jitted
    evaluation of :func:`theory.bounds.evaluate` for the grid.
    """
    from theory import bounds

    grid, _ = constant_grid(config["constants_range"], config["constants_points"])
    d, abar = np.broadcast_arrays(np.asarray(d, dtype=float), np.asarray(abar, dtype=float))
    lead = (slice(None),) + (None,) * d.ndim  # constants on a new leading axis: (K, *shape)
    ev = bounds.evaluate(
        d=d[None],
        p=config["p"],
        abar=abar[None],
        n=float(config["n_clients"]),
        trH=grid[:, 2][lead],
        c_num=grid[:, 0][lead],
        c_den=grid[:, 1][lead],
        sign=config["sign"],
        fl_term=config["fl_term"],
    )
    table = {}
    for m in BOUND_METHODS:
        table[m] = {}
        for f in FRAMEWORKS:
            s = np.asarray(ev["sensitivity"][m][f], dtype=float)
            vac = np.asarray(ev["vacuous"][m][f], dtype=bool)
            table[m][f] = {"s": np.where(vac, 1.0, s), "vacuous": vac}
    return table


def band(s: np.ndarray) -> dict:
    """``{"lo", "hi"}``: min and max of ``s`` over its leading (constants) axis."""
    return {"lo": np.min(s, axis=0), "hi": np.max(s, axis=0)}


def weights_of(adjacency) -> tuple[float, np.ndarray]:
    r"""(:math:`\lvert\bar A\rvert`, objective weights π of Eq. (1)) of a graph under uniform
    mixing."""
    from theory import spectral, topology

    w = topology.mixing_matrix("uniform", adjacency)
    a = np.asarray(adjacency, dtype=np.float64)
    return float(spectral.avg_connectivity(a)), np.asarray(spectral.objective_weights(w))


def _rv_row(solve, r: np.ndarray, n: int, c: int) -> dict:
    return {
        "gap_N": float(1.0 - r[:n].min()),
        "spread_N": float(solve.sensitivity_N(r, n)),
        "spread_c": float(solve.sensitivity_c(r, c)),
    }


def exact_row(model, method: str, H, pi_obj, p: float) -> dict:
    r"""Exact local / FL / DecL optima of one method (Thms 4.2, 4.3, Track B): gaps
    :math:`1 - \min r` and RV spreads over [N] and [c]; ``local`` is the worst client,
    :math:`k \in [N] \setminus \{i\}`."""
    from theory import objectives, solve

    n, c = model.n_clients, model.c
    targets = objectives.population_targets(model, method, p=p_for(method, p), H=H)
    opt = solve.optima(targets, c, decl_weights=pi_obj)
    row = {}
    for f in ("fl", "decl"):
        r = solve.representability_vector(opt[f])
        row[f] = {"rv_N": r[:n].tolist(), **_rv_row(solve, r, n, c)}
    gaps, spreads_n, spreads_c = [], [], []
    for i in range(n):
        r = solve.representability_vector(opt["local"][i])
        others = [k for k in range(n) if k != i]  # Thm 4.2/4.3 item 1: k in [N] \ {i}
        gaps.append(1.0 - float(r[others].min()))
        spreads_n.append(solve.sensitivity_N(r, n))
        spreads_c.append(solve.sensitivity_c(r, c))
    row["local"] = {
        "gap_N": float(max(gaps)),
        "spread_N": float(max(spreads_n)),
        "spread_c": float(max(spreads_c)),
        "note": "worst client (max over i)",
    }
    return row


def exact_vs_d(config: Mapping) -> dict:
    """Exact optima of the paper's data model at each d of ``exact_d`` (Track B of Thms
    4.2–4.4). ``config`` keys: n_clients, graph, exact_d, exact_methods, p, transform,
    transform_seed (H for ``cl-dissimilar``)."""
    from theory import objectives, topology
    from theory.datamodel import DataModel

    n = int(config["n_clients"])
    abar, pi_obj = weights_of(topology.make_graph(config["graph"], n, seed=0))
    records = []
    for d in config["exact_d"]:
        model = DataModel(d=int(d), n_clients=n)
        H = objectives.transform(config["transform"], model.d, seed=config["transform_seed"])
        rec = {"d": int(d), "c": model.c, "trH": float(np.trace(H)), "methods": {}}
        for method in config["exact_methods"]:
            rec["methods"][method] = exact_row(
                model, method, H if takes_transform(method) else None, pi_obj, config["p"]
            )
        records.append(rec)
    return {"n_clients": n, "graph": config["graph"], "abar": abar, "records": records}


def exact_all_d(config: Mapping) -> dict:
    r"""Exact optima at every d of a log-spaced grid up to :math:`10^{12}` and beyond (Track B of
    Thms 4.2–4.4), through the structured solver :func:`theory.structured.solve` (no d-sized array).

    ``config`` keys: n_clients, graph, p, exact_methods, ``exact_all_d_log10`` = (lo, hi,
    points) and ``structured_transform`` (the structure-keeping H of ``cl-dissimilar``,
    Assumption A.9; a rotation of all d axes is not structured). Per method and framework, lists
    over the grid of (min, max) pairs over the optimal set: ``gap_N`` =
    :math:`1 - \min_{k \in [N]} r_k` (Thms 4.2/4.3 bound it; local: the worst client,
    :math:`k \in [N] \setminus \{i\}`), ``spread_N`` and ``spread_c`` (:math:`\max r - \min r`
    over [N] and over the leading c coordinates), and ``rank``.

    Example:
      >>> out = exact_all_d({"n_clients": 4, "graph": "complete", "p": 0.75,
      ...     "exact_methods": ("mim",), "exact_all_d_log10": (2, 12, 2),
      ...     "structured_transform": "block-rotation"})
      >>> out["d"], [round(g[1], 12) for g in out["methods"]["mim"]["fl"]["gap_N"]]
      ([100, 1000000000000], [0.75, 0.75])
    """
    from theory import structured, topology
    from theory.datamodel import DataModel

    n = v.integer(config["n_clients"], "n_clients", lo=2)
    lo, hi, num = config["exact_all_d_log10"]
    ds = structured.d_grid(10.0 ** float(lo), 10.0 ** float(hi), int(num))
    abar, pi_obj = weights_of(topology.make_graph(config["graph"], n, seed=0))
    h_name = config["structured_transform"]
    keys = ("gap_N", "spread_N", "spread_c", "rank")
    methods = {m: {f: {k: [] for k in keys} for f in FRAMEWORKS} for m in config["exact_methods"]}

    def pair(x) -> list:
        return [float(x[0]), float(x[1])]

    for d in ds:
        model = DataModel(d=int(d), n_clients=n)
        for m, by_fw in methods.items():
            kw = {"H": h_name if takes_transform(m) else None, "p": p_for(m, float(config["p"]))}
            for f, w in (("fl", "fl"), ("decl", pi_obj)):
                r = structured.solve(model, m, weights=w, **kw)
                for k, val in (("gap_N", r.gap), ("spread_N", r.s_N), ("spread_c", r.s_c)):
                    by_fw[f][k].append(pair(val))
                by_fw[f]["rank"].append(int(r.rank))
            local = [structured.solve(model, m, client=i, **kw) for i in range(n)]
            for k, attr in (("gap_N", "gap"), ("spread_N", "s_N"), ("spread_c", "s_c")):
                vals = [getattr(r, attr) for r in local]
                by_fw["local"][k].append([max(x[0] for x in vals), max(x[1] for x in vals)])
            by_fw["local"]["rank"].append(int(max(r.rank for r in local)))
    return {
        "n_clients": n,
        "graph": config["graph"],
        "abar": abar,
        "structured_transform": h_name,
        "d": [int(d) for d in ds],
        "methods": methods,
    }


def connectivity_sweep(config: Mapping) -> dict:
    r"""Exact DecL optima (Eq. 1 weights) over graphs of increasing :math:`\lvert\bar A\rvert`
    (Cor 4.5, Thm 4.6): star, ring and :func:`degree_sweep`. ``config`` keys: p and
    ``connectivity`` (n_clients, d, paper_code_seeds). Records are sorted by
    :math:`\lvert\bar A\rvert`; ``fl`` is the FL optimum for reference. Each method's row also
    has ``rank``, the rank of the optimal W (at most c)."""
    from theory import objectives, solve, topology
    from theory.datamodel import DataModel

    cc = config["connectivity"]
    n, d = int(cc["n_clients"]), int(cc["d"])
    model = DataModel(d=d, n_clients=n)
    targets = {
        m: objectives.population_targets(model, m, p=p_for(m, config["p"])) for m in ("mim", "cl")
    }
    sweep = degree_sweep(n, seeds=range(int(cc["paper_code_seeds"])))
    graphs = [("star", {}), ("ring", {}), sweep[-1], *sweep[:-1]]  # complete first: stable sort
    fl = {}
    for m, x in targets.items():
        w = solve.eckart_young_np(x.mean(0), model.c)
        fl[m] = _rv_row(solve, solve.representability_vector(w), n, model.c)
        fl[m]["rank"] = int(np.linalg.matrix_rank(w))
    records = []
    for name, kw in graphs:
        abar, pi_obj = weights_of(topology.make_graph(name, n, **kw))
        rec = {"graph": name, "params": kw, "abar": abar, "pi_spread": float(np.ptp(pi_obj))}
        for m, x in targets.items():
            w = solve.eckart_young_np(solve.global_target(x, pi_obj), model.c)
            rec[m] = _rv_row(solve, solve.representability_vector(w), n, model.c)
            rec[m]["rank"] = int(np.linalg.matrix_rank(w))
        records.append(rec)
    records.sort(key=lambda r: r["abar"])
    return {"n_clients": n, "d": d, "c": model.c, "fl": fl, "records": records}


def paper_lower_bound(cfg, method: str, framework: str, abar=None) -> float:
    r"""The paper's lower bound LB (Thm 4.2 for MIM, Thm 4.3 for CL) at a configuration.

    ``cfg``: a ``theory.claims.VerifyConfig`` (d, p, n_clients, transform, transform_seed,
    c_num, c_den, c_f, c_n, sign, fl_term); N = n_clients is given, not :math:`C_N d^{1/20}`.
    ``method``: exact-model name (mim, cl, cl-dissimilar; :math:`\operatorname{tr} H` of the
    transform enters cl-dissimilar). ``abar``: :math:`\lvert\bar A\rvert` for DecL.
    """
    from theory import bounds

    bound = {"mim": "mim", "cl": "cl_similar", "cl-dissimilar": "cl_dissimilar"}
    method = v.choice(method, "method", bound)
    trh = 1.0
    if takes_transform(method):
        trh = float(np.trace(cfg.transform_matrix()))  # Track B's H_m ⊕ I_{d−m}
    return float(
        bounds.lower_bound(
            bound[method],
            framework,
            d=cfg.d,
            p=cfg.p,
            abar=abar,
            n=cfg.n_clients,
            trH=trh,
            c_num=cfg.c_num,
            c_den=cfg.c_den,
            c_f=cfg.c_f,
            c_n=cfg.c_n,
            sign=cfg.sign,
            fl_term=cfg.fl_term,
        )
    )
