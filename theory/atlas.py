r"""Cor 4.5 and Thm 4.6 over every connected graph with :math:`N \le 7` and over named graph
families.

The exact DecL optimum of Eq. (1) depends on the graph only through the objective weights
:math:`\pi_j = \frac1N \sum_i W_{ij}` (docs/theory/decl_weights.md §2): π is computed for all
graphs of a size at once (batched column sums of the mixing matrices) and one eigen-solve is
done per distinct π (rounded to 1e-12) and method, shared by every graph and mixing rule with
that π (``theory.claims``'s solution cache). Doubly-stochastic rules (Metropolis, max-degree)
give :math:`\pi = 1/N`, the FL optimum.

Per graph and mixing rule: :math:`|\bar A|` (Assumption A.1, self included), :math:`\lambda_2`
of the mixing matrix (an extension, not in the paper), the spread :math:`\max \pi - \min \pi`,
and per method and sensitivity reading the exact DecL sensitivity with its tolerance
(docs/verdict_rules.md T3). Per graph size and rule: the rank correlation of the sensitivity
with :math:`|\bar A|`, :math:`\lambda_2` and the spread of π, the
monotonicity violations of Cor 4.5 (pairs of graphs where the better-connected one is less
robust, rule R6) with the graphs that cause them, and the Thm 4.6 / Eq. 87 verdict counts.

Graphs come from ``networkx.graph_atlas_g()`` (all graphs up to 7 nodes, Read & Wilson's
atlas); :func:`connected_graphs` keeps the connected ones with :math:`N \ge 2` (995 graphs).
"""

from __future__ import annotations

import dataclasses
from collections import Counter

import networkx as nx
import numpy as np

from theory import _validate as v
from theory import claims as cl
from theory import claims_model as cm
from theory import topology
from theory import verdicts as vd

#: mixing rules of ``theory.topology`` applied to each graph; ``data_size`` uses equal client
#: sizes (the paper's |D_1| = … = |D_N|), so it equals ``uniform`` and is not repeated;
#: ``fedavg`` ignores the graph (it is FL).
MIXING_RULES = ("uniform", "metropolis", "max_degree")
#: named families at N = 20 and 100: (name, make_graph keyword arguments)
FAMILIES = (
    ("ring", {}),
    ("star", {}),
    ("complete", {}),
    ("torus", {}),
    ("exponential", {}),
    ("random_regular", {"degree": 3}),
    ("random_regular", {"degree": 6}),
    ("erdos_renyi", {"avg_degree": 4.0}),
    ("paper_code", {"avg_degree": 2.0}),
    ("paper_code", {"avg_degree": 5.0}),
    ("paper_code", {"avg_degree": 10.0}),
)
FAMILY_SIZES = (20, 100)
ATLAS_METHODS = ("eq4-complementary", "similar")


@dataclasses.dataclass(frozen=True)
class AtlasConfig:
    """Settings of the graph atlas study.

    Args:
      d, p, rare_fraction, rare_axis: the data model (``theory.claims.VerifyConfig``); the
        block reduction makes any d cheap.
      max_n: largest atlas graph size, 2 ≤ max_n ≤ 7.
      methods: reading values of ``theory.claims.READINGS["method"]``.
      sensitivities: sensitivity readings.
      mixings: mixing rules (``MIXING_RULES``).
      families: include the named families at N = 20 and 100.
      seed: seed of the random families.
    """

    d: int = 10**6
    p: float = 0.75
    rare_fraction: float = 0.05
    rare_axis: str = "class-index"
    max_n: int = 7
    methods: tuple = ATLAS_METHODS
    sensitivities: tuple = cl.SENSITIVITIES
    mixings: tuple = MIXING_RULES
    families: bool = True
    seed: int = 0

    def __post_init__(self) -> None:
        v.integer(self.max_n, "max_n", lo=2, hi=7)
        for m in self.methods:
            v.choice(m, "methods", cl.READINGS["method"])
        for s in self.sensitivities:
            v.choice(s, "sensitivities", cl.SENSITIVITIES)
        for m in self.mixings:
            v.choice(m, "mixings", MIXING_RULES)
        v.integer(self.seed, "seed", lo=0)
        self.verify_config(20 if self.families else self.max_n)  # validates the model

    def verify_config(self, n: int) -> cl.VerifyConfig:
        return cl.VerifyConfig(
            d=max(self.d, 4 * n),
            n_clients=n,
            p=self.p,
            rare_fraction=self.rare_fraction,
            rare_axis=self.rare_axis,
            graph="complete",
            d_sweep=(),
        )


def connected_graphs(max_n: int = 7, min_n: int = 2) -> list[tuple[int, np.ndarray]]:
    """Every connected graph of ``networkx.graph_atlas_g()`` with min_n ≤ N ≤ max_n.

    Returns ``[(atlas index, adjacency (N, N) float)]`` in atlas order (by N, then edges).

    >>> len(connected_graphs(4))
    9
    """
    max_n = v.integer(max_n, "max_n", lo=1, hi=7)
    min_n = v.integer(min_n, "min_n", lo=1, hi=max_n)
    out = []
    for idx, g in enumerate(nx.graph_atlas_g()):
        n = g.number_of_nodes()
        if min_n <= n <= max_n and nx.is_connected(g):
            out.append((idx, nx.to_numpy_array(g, nodelist=range(n), dtype=float)))
    return out


def graph_features(adjacency: np.ndarray, mixing: str) -> dict:
    r""":math:`|\bar A|`, π (Eq. 1 weights), spread of π and :math:`\lambda_2` for a batch of
    graphs of one size.

    Args:
      adjacency: (B, N, N) symmetric 0/1 adjacency matrices, connected.
      mixing: one of ``MIXING_RULES``.

    Returns:
      dict of arrays: ``abar`` (B,), ``pi`` (B, N), ``pi_spread`` (B,), ``lambda2`` (B,)
      (second-largest eigenvalue of the mixing matrix; real for these reversible rules).
    """
    A = np.asarray(adjacency, float)
    if A.ndim != 3 or A.shape[1] != A.shape[2]:
        v.fail("adjacency", "an array of shape (B, N, N)", f"shape {A.shape}")
    v.choice(mixing, "mixing", MIXING_RULES)
    W = np.stack([topology.mixing_matrix(mixing, a, any_graph=True) for a in A])
    n = A.shape[1]
    pi = W.sum(axis=1) / n  # column sums / N, batched
    ev = np.sort(np.linalg.eigvals(W).real, axis=1)
    return {
        "abar": A.sum(axis=2).mean(axis=1) + 1.0,
        "pi": pi,
        "pi_spread": pi.max(1) - pi.min(1),
        "lambda2": ev[:, -2] if n > 1 else np.zeros(A.shape[0]),
    }


#: the largest graph whose λ₂ and π the atlas certifies in ball arithmetic (about 0.01 s per
#: mixing matrix at N = 7 and 0.1 s at N = 20 on one core; a 100-node matrix takes seconds)
CERTIFY_MAX_N = 20


def certified_features(adjacency: np.ndarray, mixing: str, feats: dict) -> dict:
    r""":math:`\lambda_2` and π of each graph certified in ball arithmetic, beside the float64
    values of :func:`graph_features`: the mixing matrix built exactly in rationals
    (:func:`theory.certify.balls.exact_mixing`), its Eq. (1) weights
    :math:`\pi = (\text{column sums})/N` exact (fmpq), :math:`\lambda_2` enclosed by
    :func:`theory.certify.balls.mixing_lambda` (radius < 1e-30).

    Returns:
      ``{"certified": k, "graphs": B, "max_radius_lambda2": r, "max_float_error_lambda2": e,
      "max_float_error_pi": e_pi, "not_certified": [reasons]}``, or ``{"status": "not-run",
      "reason": ...}`` above :data:`CERTIFY_MAX_N` nodes.
    """
    from flint import fmpq

    from theory.certify import balls

    A = np.asarray(adjacency)
    n = A.shape[1]
    if n > CERTIFY_MAX_N:
        return {"status": "not-run", "reason": f"N = {n} > CERTIFY_MAX_N = {CERTIFY_MAX_N}"}
    done, radius, err_l, err_pi, missed = 0, 0.0, 0.0, 0.0, []
    for b, a in enumerate(A):
        W = balls.exact_mixing(mixing, a.astype(int))
        pi = [sum((W[i, j] for i in range(n)), fmpq(0)) / n for j in range(n)]
        err_pi = max(err_pi, max(abs(float(feats["pi"][b][j]) - float(pi[j])) for j in range(n)))
        res = balls.mixing_lambda(W)
        if not res.certified:
            missed.append(res.reason)
            continue
        done += 1
        radius = max(radius, res.radius)
        err_l = max(err_l, abs(float(feats["lambda2"][b]) - float(res.value[1].mid())))
    return {
        "certified": done,
        "graphs": int(A.shape[0]),
        "max_radius_lambda2": radius,
        "max_float_error_lambda2": err_l,
        "max_float_error_pi": err_pi,
        "not_certified": missed[:5],
    }


def _key(pi_row: np.ndarray) -> tuple:
    return tuple(np.round(pi_row, 12).tolist())


def _values(
    cfg: cl.VerifyConfig, method: str, pis: np.ndarray, sens: str
) -> tuple[list[vd.Value], np.ndarray]:
    """Exact DecL sensitivity per graph and the rank of its optimum (one solve per distinct π,
    shared via the cache)."""
    ex = cm._exact(cfg)
    mth, tr, _ = cm._method_of({"method": method}, "method")
    out, ranks = [], []
    for row in pis:
        sol = ex.solution(mth, tr, _key(row))
        out.append(cm._sens(sol, sens, ex.n, ex.c))
        ranks.append(sol.rank)
    return out, np.asarray(ranks, int)


def trend_arrays(
    abar, lo, hi, tol, *, ordered_decrease: bool = True, flat_by_proof: bool = False
) -> tuple[str, list]:
    r"""Rule R6 vectorised over many graphs: ``lo``/``hi`` the attained range of each graph's
    sensitivity, ``tol`` per graph (T3). A certain violation is a pair with
    :math:`|\bar A|_i < |\bar A|_j` and
    :math:`\mathrm{lo}_j - \mathrm{hi}_i > \mathrm{tol}_i + \mathrm{tol}_j`. Returns
    ``(word, [(i, j, increase)])`` worst first; the word as :func:`theory.verdicts.trend`
    (``not-unique`` when a violation is possible but not certain; ``holds`` only with a certain
    decrease, :math:`\mathrm{lo}_i - \mathrm{hi}_j > \mathrm{tol}_i + \mathrm{tol}_j` for
    :math:`|\bar A|_i < |\bar A|_j`; ``ordered_decrease=False``: the first implementation,
    without that condition). ``flat_by_proof``: the series is constant by proof
    (:func:`theory.verdicts.proved_flat`), so R13 makes the strict "improves with
    :math:`|\bar A|`" ``violated`` (without it: ``degenerate``).
    """
    a, lo, hi, t = (np.asarray(x, float) for x in (abar, lo, hi, tol))
    later = a[None, :] > a[:, None] + 1e-12  # (i, j): j better connected than i
    tt = t[:, None] + t[None, :]
    certain = _certain_increases(a, lo, hi, t)
    possible = later & (hi[None, :] - lo[:, None] > tt)
    if certain.any():
        i, j = np.nonzero(certain)
        inc = lo[j] - hi[i]
        order = np.argsort(-inc, kind="stable")
        return "violated", [(int(i[k]), int(j[k]), float(inc[k])) for k in order]
    if possible.any():
        return "not-unique", []
    if flat_by_proof and a.max() > a.min() + 1e-12:
        return "violated", []
    if hi.max() - lo.min() <= tt.max():
        return "degenerate", []
    if ordered_decrease and not _certain_decreases(a, lo, hi, t).any():
        return "degenerate", []
    return "holds", []


def _certain_increases(a, lo, hi, t) -> np.ndarray:
    """(i, j) → whether |Ā|_i < |Ā|_j and the sensitivity certainly increases by more than the
    pair's tolerance (an R6 violation): lo_j − hi_i > t_i + t_j."""
    later = a[None, :] > a[:, None] + 1e-12
    return later & (lo[None, :] - hi[:, None] > t[:, None] + t[None, :])


def _certain_decreases(a, lo, hi, t) -> np.ndarray:
    """(i, j) → whether |Ā|_i < |Ā|_j and the sensitivity certainly decreases by more than
    the pair's tolerance: lo_i − hi_j > t_i + t_j, an increase of −s (x − y and (−y) − (−x)
    round alike)."""
    return _certain_increases(a, -hi, -lo, t)


def trend_collapse_arrays(
    word: str,
    abar,
    lo,
    hi,
    tol,
    ranks,
    n_signal: int,
    spread: bool,
    *,
    both_directions=True,
    flat_by_proof: bool = False,
) -> str:
    r"""Rule R7 on an R6 trend, vectorised as :func:`trend_arrays` (the same as
    :func:`theory.verdicts.trend_collapse_guard`): a ``holds`` stays only if some certain
    decrease (:math:`|\bar A|_i < |\bar A|_j` and
    :math:`\mathrm{lo}_i - \mathrm{hi}_j > \mathrm{tol}_i + \mathrm{tol}_j`) ends at a graph whose
    optimum has rank ≥ ``n_signal``, a ``violated`` only if some certain violation
    (:math:`\mathrm{lo}_j - \mathrm{hi}_i > \mathrm{tol}_i + \mathrm{tol}_j`) starts at one
    (``both_directions=False``: ``violated`` unguarded, the rule before RULE_CHANGES' R7 entry of
    2026-11-25); else, when s is a spread (``spread``), ``collapsed`` (R13).
    A ``violated`` of a series constant by proof (``flat_by_proof``) stays where no optimum
    collapsed.

    >>> ab, s, tol, ranks = [2, 3], [0.3, 0.0], [0, 0], [4, 1]
    >>> trend_collapse_arrays("holds", ab, s, s, tol, ranks, 4, True)
    'collapsed'
    >>> trend_collapse_arrays("violated", ab, s[::-1], s[::-1], tol, [1, 4], 4, True)
    'collapsed'
    """
    if word not in ("holds", "violated") or not vd.is_spread(spread):
        return word
    if word == "violated" and not both_directions:
        return word
    a, lo, hi, t = (np.asarray(x, float) for x in (abar, lo, hi, tol))
    full = np.asarray(ranks, int) >= int(n_signal)
    if word == "holds":
        kept = (_certain_decreases(a, lo, hi, t) & full[None, :]).any()
    elif flat_by_proof:
        kept = bool(full.all())
    else:
        kept = (_certain_increases(a, lo, hi, t) & full[:, None]).any()
    return word if kept else "collapsed"


def _resolved(x: np.ndarray, tol: np.ndarray | float) -> bool:
    """Whether the values of a series differ by more than their tolerance: the spread
    max − min exceeds twice the largest tolerance (two values within ``tol`` of the truth
    can differ by 2·tol) and 1e-12 relative to the values' scale (rounding of exact zeros).

    >>> _resolved(np.array([0.3, 0.3 + 1e-16]), 0.0), _resolved(np.array([0.1, 0.3]), 0.01)
    (False, True)
    """
    x = np.asarray(x, float)
    scale = max(1.0, float(np.max(np.abs(x)))) if x.size else 1.0
    return bool(np.ptp(x) > max(2.0 * float(np.max(tol)), 1e-12 * scale))


def _tolerant_ranks(x: np.ndarray, tol: float) -> np.ndarray:
    """Ranks 1..n of ``x`` in which values that lie within ``2·tol`` of the first value of
    their run (in sorted order) are tied and share their average rank: an order decided by
    rounding is not an order.

    >>> _tolerant_ranks(np.array([0.3, 0.1, 0.3 + 1e-16, 0.2]), 1e-12).tolist()
    [3.5, 1.0, 3.5, 2.0]
    """
    x = np.asarray(x, float)
    order = np.argsort(x, kind="stable")
    ranks = np.empty(x.size)
    start = 0
    for k in range(1, x.size + 1):
        if k == x.size or x[order[k]] - x[order[start]] > 2.0 * tol:
            ranks[order[start:k]] = (start + k + 1) / 2.0  # mean of ranks start+1..k
            start = k
    return ranks


def _correlations(s: np.ndarray, feats: dict, tol: np.ndarray | float = 0.0) -> dict:
    """Spearman's ρ of the sensitivities ``s`` with each graph feature: the Pearson correlation
    of their ranks, where values within their tolerance of each other are tied
    (:func:`_tolerant_ranks`; ``s`` at its largest derived tolerance, a feature at 1e-12 of its
    scale). None (undefined) where either series is not resolved at all (:func:`_resolved`).
    Rounding-level differences change neither the ties nor the value, so ``dssl compare`` of a
    fresh run against the committed figures no longer sees them."""
    out = {}
    t_s = float(np.max(tol)) if np.size(tol) else 0.0
    for name in ("abar", "lambda2", "pi_spread"):
        x = np.asarray(feats[name], float)
        if s.size < 3 or not _resolved(x, 0.0) or not _resolved(s, tol):
            out[name] = None
            continue
        t_x = 1e-12 * max(1.0, float(np.max(np.abs(x))))
        rx, rs = _tolerant_ranks(x, t_x), _tolerant_ranks(s, max(t_s, 1e-12))
        out[name] = float(np.corrcoef(rx, rs)[0, 1])
    return out


#: significant digits of the per-graph numbers written to atlas.json (the verdicts use the
#: unrounded values): features and sensitivities, and tolerances
DIGITS, TOL_DIGITS = 7, 2


def _rounded(x, digits: int = DIGITS) -> list:
    """``x`` as a list of floats with ``digits`` significant digits (keeps atlas.json < 1 MB)."""
    return [float(f"{float(y):.{digits}g}") for y in np.asarray(x).ravel()]


def _study(
    cfg: AtlasConfig, n: int, ids: list, adjs: np.ndarray, names: list | None = None
) -> dict:
    """All graphs of one size: features, sensitivities, R6 trend, Thm 4.6 / Eq. 87 words."""
    vcfg = cfg.verify_config(n)
    ex = cm._exact(vcfg)
    fl = cm._fl_weights(n)
    out: dict = {"n": n, "graphs": ids if names is None else names, "mixings": {}}
    for mixing in cfg.mixings:
        feats = graph_features(adjs, mixing)
        res: dict = {
            "abar": _rounded(feats["abar"]),
            "lambda2": _rounded(feats["lambda2"]),
            "pi_spread": _rounded(feats["pi_spread"]),
            "distinct_pi": len({_key(r) for r in feats["pi"]}),
            "certified": certified_features(adjs, mixing, feats),
            "methods": {},
        }
        for method in cfg.methods:
            mth, tr, _ = cm._method_of({"method": method}, "method")
            sol_fl = ex.solution(mth, tr, fl)
            res["methods"][method] = {}
            for sens in cfg.sensitivities:
                spread = cm.SENSITIVITY[sens].spread
                vals, ranks = _values(vcfg, method, feats["pi"], sens)
                vfed = cm._sens(sol_fl, sens, n, ex.c)
                s = np.array([x.point for x in vals])
                lo = np.array([min(x.samples) for x in vals])
                hi = np.array([max(x.samples) for x in vals])
                tol = np.array([x.tol for x in vals])
                flat = vd.proved_flat(vals)
                r6_old, viol = trend_arrays(feats["abar"], lo, hi, tol)
                r6 = trend_arrays(feats["abar"], lo, hi, tol, flat_by_proof=flat)[0]
                first = trend_arrays(feats["abar"], lo, hi, tol, ordered_decrease=False)[0]
                ab = feats["abar"]
                one_way = vd.before_r13(
                    trend_collapse_arrays(
                        r6_old, ab, lo, hi, tol, ranks, n, spread, both_directions=False
                    )
                )
                before = vd.before_r13(
                    trend_collapse_arrays(r6_old, ab, lo, hi, tol, ranks, n, spread)
                )
                word = trend_collapse_arrays(
                    r6, ab, lo, hi, tol, ranks, n, spread, flat_by_proof=flat
                )
                # R11: an optimum W = 0 on any graph voids the trend
                word, zero = vd.premise_guard(word, ranks)
                one_way = "void" if zero else one_way
                before = "void" if zero else before
                thm46, eq87, thm46_old, eq87_old = Counter(), Counter(), Counter(), Counter()
                for k, x in enumerate(vals):
                    same = vd.same_weights(feats["pi"][k], fl)
                    void = vd.premise_a5([ranks[k], sol_fl.rank]) is not None
                    for rel, new, old in ((">=", thm46, thm46_old), (">", eq87, eq87_old)):
                        if rel == ">" and ab[k] >= n - 1e-12:
                            continue
                        raw = vd.compare(x, vfed, rel)
                        raw_old = vd.compare(x, vfed, rel, r13=False)
                        old[vd.before_r13(vd.collapse_guard(raw_old, sol_fl.rank, n, spread))] += 1
                        w = vd.collapse_guard(raw, sol_fl.rank, n, spread, other_rank=ranks[k])
                        w = vd.IDENTITY_WORDS[rel] if same else w
                        new["void" if void else w] += 1
                label = out["graphs"]
                res["methods"][method][sens] = {
                    "s": _rounded(s),
                    "tol": _rounded(tol, TOL_DIGITS),
                    "s_fed": vfed.point,
                    "cor45": word,
                    "cor45_without_r7": r6_old,
                    "cor45_before_r13": before,
                    "cor45_r6_first_implementation": first,
                    "cor45_r7_one_direction": one_way,
                    "violations": len(viol),
                    "worst": [
                        {
                            "from": label[i],
                            "to": label[j],
                            "abar": [float(feats["abar"][i]), float(feats["abar"][j])],
                            "s": [float(s[i]), float(s[j])],
                            "increase": x,
                        }
                        for i, j, x in viol[:5]
                    ],
                    "spearman": _correlations(s, feats, tol),
                    "thm46": dict(thm46),
                    "eq87": dict(eq87),
                    "thm46_before_r7_r11_r12": dict(thm46_old),
                    "eq87_before_r7_r11_r12": dict(eq87_old),
                }
        out["mixings"][mixing] = res
    return out


def atlas_study(cfg: AtlasConfig | None = None) -> dict:
    """Cor 4.5 and Thm 4.6 over every connected graph with 2 ≤ N ≤ ``max_n`` and every mixing
    rule (plus the named families at N = 20 and 100). Returns a JSON-ready dict:
    ``{"config", "atlas": {N: study}, "families": {N: study}, "counts": {N: #graphs}}``.
    """
    cfg = AtlasConfig() if cfg is None else cfg
    if not isinstance(cfg, AtlasConfig):
        v.fail("cfg", "an AtlasConfig", cfg)
    graphs = connected_graphs(cfg.max_n)
    by_n: dict = {}
    for idx, a in graphs:
        by_n.setdefault(a.shape[0], []).append((idx, a))
    out = {"config": dataclasses.asdict(cfg), "atlas": {}, "families": {}, "counts": {}}
    for n, items in sorted(by_n.items()):
        ids = [i for i, _ in items]
        adjs = np.stack([a for _, a in items])
        out["atlas"][str(n)] = _study(cfg, n, ids, adjs)
        out["counts"][str(n)] = len(items)
    if cfg.families:
        for n in FAMILY_SIZES:
            names, adjs = [], []
            for name, kw in FAMILIES:
                try:
                    a = topology.make_graph(name, n, seed=cfg.seed, **kw)
                except ValueError:
                    continue  # the family is not defined at this N (e.g. torus shape)
                if topology.is_connected(a):
                    names.append(name + "".join(f"-{k}={x:g}" for k, x in kw.items()))
                    adjs.append(a)
            out["families"][str(n)] = _study(cfg, n, names, np.stack(adjs), names)
    return out


def adjacency_of(index: int) -> np.ndarray:
    """Adjacency (N, N) of ``networkx.graph_atlas(index)`` (for figures of the worst pair)."""
    g = nx.graph_atlas(v.integer(index, "index", lo=0, hi=1252))
    return nx.to_numpy_array(g, nodelist=range(g.number_of_nodes()), dtype=float)
