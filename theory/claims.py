"""The claims registry: each claim of arXiv 2607.02447 → evidence per track → a verdict word.

Verdicts are *outputs* of computations, never inputs; the rules are docs/verdict_rules.md,
implemented in :mod:`theory.verdicts`.

* Track A — the paper's own formulas: ``informative`` / ``vacuous`` / ``invalid`` (never
  "holds": a formula with hidden constants cannot be checked against itself).
* Track B — the exact linear model: ``holds`` / ``violated`` / ``degenerate`` / ``not-unique``,
  with tolerances from the eigen-solver error and ties resolved over the optimal set.
* Track C — filled by the simulations in :mod:`sims.evidence` (``theory`` never imports
  ``sims``); ``not-run`` otherwise.

Every claim is evaluated under every reading (:data:`READINGS`): the MIM objective
(Eq. 4 with complementary masks — exact —, Eq. 4 with independent masks, Eq. 3 reconstruction,
the paper's Eq. 17 surrogate), the CL augmentation (similar; dissimilar with the identity, a
rotation, a permutation, a sign flip), and the sensitivity (spread over [N] — the proofs'
coordinates —, spread over [c] — the definition —, the gap 1 − min r). :func:`evaluate_reading`
gives one cell; :func:`evaluate` gives the ``dssl verify`` table, whose Track B word is the
verdict under the primary reading (:func:`primary_readings`) with every reading's word in the
numbers.

Exact model at any d: the population targets of the paper's model are a scalar times the
identity outside the leading 2N coordinates (μ² for CL, 0 for MIM), so the optimum of a
d-dimensional target equals that of its leading m = min(d, 2N + c) block with the scalar kept
on m − 2N ≥ c stand-in coordinates (at most c eigen-directions are selected). Dissimilar CL
uses H = H_m ⊕ I_{d−m} (the transform acts on the leading m coordinates), which keeps the
structure; tr(H) = tr(H_m) + d − m.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import itertools
from collections.abc import Callable, Mapping

import numpy as np

from theory import _validate as v
from theory import objectives, solve, spectral, symbolic, topology
from theory import verdicts as vd
from theory.datamodel import DataModel

VERDICTS = vd.WORDS
CLAIM_IDS = (
    "eq17",
    "eq29-30",
    "thm4.2.local",
    "thm4.2.decl",
    "thm4.2.fl",
    "thm4.3.local",
    "thm4.3.decl",
    "thm4.3.fl",
    "thm4.4",
    "cor4.5",
    "thm4.6",
    "thm4.6.eq87",
    "thm4.6.eq89",
)
#: MIM objective readings → target method of :mod:`theory.objectives`
OBJECTIVES = {
    "eq4-complementary": "mim",
    "eq4-independent": "mim-independent",
    "eq3-reconstruction": "mim-recon",
    "eq17-surrogate": "mim-paper",
}
#: CL readings → (target method, transform of Assumption A.9)
CL_READINGS = {
    "similar": ("cl", "identity"),
    "dissimilar-identity": ("cl-dissimilar", "identity"),
    "dissimilar-rotation": ("cl-dissimilar", "rotation"),
    "dissimilar-permutation": ("cl-dissimilar", "permutation"),
    "dissimilar-sign-flip": ("cl-dissimilar", "sign-flip"),
}
SENSITIVITIES = ("spread-N", "spread-c", "gap")
#: reading dimensions and their values ("method": any SSL method, MIM or CL)
READINGS = {
    "objective": tuple(OBJECTIVES),
    "cl": tuple(CL_READINGS),
    "method": tuple(OBJECTIVES) + tuple(CL_READINGS),
    "sensitivity": SENSITIVITIES,
}
#: the reading dimensions each claim depends on
CLAIM_READINGS = {
    "eq17": (),
    "eq29-30": (),
    "thm4.2.local": ("objective",),
    "thm4.2.decl": ("objective",),
    "thm4.2.fl": ("objective",),
    "thm4.3.local": ("cl",),
    "thm4.3.decl": ("cl",),
    "thm4.3.fl": ("cl",),
    "thm4.4": ("objective", "cl", "sensitivity"),
    "cor4.5": ("method", "sensitivity"),
    "thm4.6": ("method", "sensitivity"),
    "thm4.6.eq87": ("method", "sensitivity"),
    "thm4.6.eq89": ("method", "sensitivity"),
}


class NotApplicable(Exception):
    """A check that cannot run at a valid configuration (e.g. Cor 4.5 with one graph at N = 2).

    Deliberately not a ValueError: bad input raises ValueError and is never swallowed.
    """


@dataclasses.dataclass(frozen=True)
class Evidence:
    """One track's verdict on one claim, with the numbers behind it."""

    verdict: str
    numbers: Mapping
    note: str = ""

    def __post_init__(self) -> None:
        v.choice(self.verdict, "verdict", VERDICTS)

    def to_dict(self) -> dict:
        return {"verdict": self.verdict, "note": self.note, "numbers": dict(self.numbers)}


NOT_RUN = Evidence("not-run", {}, "no evidence computed for this track")


@dataclasses.dataclass(frozen=True)
class VerifyConfig:
    """Configuration of the Track A/B checks.

    Args:
      d, n_clients, p, c, rare_fraction, rare_axis, tau, mu: the data model and mask ratio
        (``theory.datamodel.DataModel``; c defaults to 2N). d may be astronomically large.
      graph, degree, avg_degree, prob, rows, cols, graph_seed: the DecL graph
        (``theory.topology.make_graph``); ``star`` by default, an irregular graph, because on
        regular graphs the exact Eq. (1) objective equals FL (paper.md §3.4). It must be
        connected and fully specified (ValueError otherwise).
      transform, transform_seed: H of CL with dissimilar augmentations in the primary reading.
      d_sweep: dimensions at which Thm 4.4's primary reading is also reported (a limit d → ∞).
      c_num, c_den, c_f, c_n, sign, fl_term: Track A hidden constants and variants
        (``theory.bounds``); N is the actual number of clients.
    """

    d: int = 400
    n_clients: int = 4
    p: float = 0.75
    c: int | None = None
    rare_fraction: float = 0.05
    rare_axis: str | tuple = "class-index"
    tau: float | None = None
    mu: float | None = None
    graph: str = "star"
    degree: int | None = None
    avg_degree: float | None = None
    prob: float | None = None
    rows: int | None = None
    cols: int | None = None
    graph_seed: int = 0
    transform: str = "identity"
    transform_seed: int = 0
    d_sweep: tuple = (100, 200, 400)
    c_num: float = 1.0
    c_den: float = 1.0
    c_f: float = 1.0
    c_n: float = 1.0
    sign: str = "+"
    fl_term: str = "eq37"

    def __post_init__(self) -> None:
        v.real(self.p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        v.choice(self.graph, "graph", topology.GRAPHS)
        v.choice(self.transform, "transform", objectives.TRANSFORMS)
        v.choice(self.sign, "sign", symbolic.SIGNS)
        v.choice(self.fl_term, "fl_term", symbolic.FL_TERMS)
        for name in ("c_num", "c_den", "c_f", "c_n"):
            v.real(getattr(self, name), name, lo=0.0, lo_open=True)
        sweep = tuple(v.integer(x, "d_sweep", lo=2 * self.n_clients) for x in self.d_sweep)
        object.__setattr__(self, "d_sweep", sweep)
        self.model()  # validates d, n_clients, c, τ, μ, rare options
        try:  # validates the graph: defined at this N, fully specified, connected
            a = self.adjacency()
        except ValueError as err:
            msg = " ".join(str(err).split())
            if msg.startswith("n:"):  # the graph is not defined at this N: name the graph
                v.fail("graph", f"a graph defined on n_clients={self.n_clients} nodes", self.graph)
            raise
        if not topology.is_connected(a):
            v.fail("graph", "a connected graph", f"{self.graph} (disconnected)")

    def model(self, d: int | None = None) -> DataModel:
        return DataModel(
            d=self.d if d is None else d,
            n_clients=self.n_clients,
            tau=self.tau,
            mu=self.mu,
            rare_fraction=self.rare_fraction,
            rare_axis=self.rare_axis,
            c=self.c,
        )

    def adjacency(self, graph: str | None = None, **overrides) -> np.ndarray:
        params = dict(
            rows=self.rows,
            cols=self.cols,
            degree=self.degree,
            avg_degree=self.avg_degree,
            prob=self.prob,
            seed=self.graph_seed,
        )
        params.update(overrides)
        return topology.make_graph(graph or self.graph, self.n_clients, **params)


@dataclasses.dataclass(frozen=True)
class Claim:
    """A claim of the paper with the functions that compute its Track A and B evidence under a
    reading (a dict {dimension: value} over ``CLAIM_READINGS[id]``)."""

    id: str
    reference: str
    statement: str
    track_a: Callable[[VerifyConfig, dict], Evidence]
    track_b: Callable[[VerifyConfig, dict], Evidence]


# ----------------------------------------------------------------------------------------------
# the exact model at any d (block reduction) and its solutions
# ----------------------------------------------------------------------------------------------
_DENSE_MAX = 4000
_SOLUTIONS: dict = {}  # (model key, p or None, method, transform, weights) -> Solution
_SOLUTIONS_MAX = 50_000
_POSITIVITY = ["eigen-error"]  # rule T2 in force (theory.verdicts.RULE_CHANGES)


@contextlib.contextmanager
def positivity_rule(rule: str):
    """Evaluate under another T2 positivity threshold (``"relative"``: the first rule), to
    report the old rule's answer beside the new one (docs/verdict_rules.md, changes)."""
    v.choice(rule, "positivity", vd.POSITIVITY)
    old = _POSITIVITY[0]
    _POSITIVITY[0] = rule
    try:
        yield
    finally:
        _POSITIVITY[0] = old


def _rare_max(model: DataModel) -> int:
    from theory.datamodel import rare_axes

    return int(np.max(rare_axes(model))) + 1


class _Exact:
    """Optima of one configuration (any d) for every method, cached per weights."""

    def __init__(self, cfg: VerifyConfig) -> None:
        model = cfg.model()
        self.cfg, self.n, self.c, self.d = cfg, model.n_clients, model.c, model.d
        lead = max(2 * self.n, _rare_max(model))
        self.m = min(self.d, lead + self.c)
        if self.m > _DENSE_MAX:
            v.fail("rare_axis", f"coordinates with max + c <= {_DENSE_MAX}", cfg.rare_axis)
        self.small = DataModel(
            d=self.m,
            n_clients=self.n,
            tau=model.tau,
            mu=model.mu,
            rare_fraction=model.rare_fraction,
            rare_axis=model.rare_axis,
            c=self.c,
        )
        self.coords = max(self.c, self.n)
        self._cache: dict = {}
        # CL targets do not depend on p: their optima are shared across configurations
        base = (self.d, self.n, self.c, model.tau, model.mu, model.rare_fraction)
        self._key = base + (model.rare_axis, cfg.transform_seed)

    def transform(self, name: str) -> np.ndarray:
        return objectives.transform(name, self.m, seed=self.cfg.transform_seed)

    def trace_h(self, name: str) -> float:
        return float(np.trace(self.transform(name))) + (self.d - self.m)

    def targets(self, method: str, transform: str = "identity"):
        key = ("targets", method, transform)
        if key not in self._cache:
            if method == "mim-recon":
                self._cache[key] = objectives.recon_moments(self.small, p=self.cfg.p)
            else:
                H = self.transform(transform) if method == "cl-dissimilar" else None
                self._cache[key] = objectives.population_targets(
                    self.small, method, p=self.cfg.p, H=H
                )
        return self._cache[key]

    def solution(self, method: str, transform: str, weights) -> vd.Solution:
        """Optimum of Σ_j w_j L_j (``weights``: (N,) tuple, or an int i: client i alone)."""
        p = None if method.startswith("cl") else self.cfg.p
        pos = _POSITIVITY[0]
        key = (self._key, p, method, transform, weights, pos)
        if key not in _SOLUTIONS:
            if len(_SOLUTIONS) > _SOLUTIONS_MAX:
                _SOLUTIONS.clear()
            tg = self.targets(method, transform)
            if isinstance(weights, int):
                w = np.eye(self.n)[weights]
            else:
                w = np.asarray(weights, float)
            if method == "mim-recon":
                uu, vu = (np.einsum("n,nde->de", w, t) for t in tg)
                sol = vd.solve_recon(uu, vu, self.c, coords=self.coords, positivity=pos)
            else:
                X = np.einsum("n,nde->de", w, tg)
                sol = vd.solve_target(X, self.c, coords=self.coords, positivity=pos)
            _SOLUTIONS[key] = sol
        return _SOLUTIONS[key]


@functools.lru_cache(maxsize=256)
def _exact(cfg: VerifyConfig) -> _Exact:
    return _Exact(cfg)


def _fl_weights(n: int) -> tuple:
    return tuple(np.full(n, 1.0 / n).tolist())


@functools.lru_cache(maxsize=1024)
def _graph_info(cfg: VerifyConfig, graph: str | None = None, key: tuple = ()) -> dict:
    a = cfg.adjacency(graph, **dict(key))
    w = topology.mixing_matrix("uniform", a)
    pi = np.asarray(spectral.objective_weights(w), dtype=np.float64)
    return {
        "adjacency": a,
        "abar": float(a.sum(1).mean() + 1.0),
        "pi_objective": pi,
        "weights": tuple(pi.tolist()),
        "pi_stationary": np.asarray(spectral.stationary_weights(w), dtype=np.float64),
        "regular": bool(np.all(a.sum(1) == a.sum(1)[0])),
    }


def _method_of(reading: dict, dim: str) -> tuple[str, str, str]:
    """(target method, transform, Track A bound method) of a reading value."""
    value = reading[dim]
    if value in OBJECTIVES:
        return OBJECTIVES[value], "identity", "mim"
    method, transform = CL_READINGS[value]
    return method, transform, "cl_dissimilar" if method == "cl-dissimilar" else "cl_similar"


def _sens(sol: vd.Solution, reading: str, n: int, c: int) -> vd.Value:
    if reading == "spread-N":
        return vd.spread(sol, range(n))
    if reading == "spread-c":
        return vd.spread(sol, range(c))
    return vd.gap(sol, range(n))


def _lst(x, digits: int = 9) -> list:
    return np.round(np.asarray(x, dtype=float), digits).tolist()


# ----------------------------------------------------------------------------------------------
# Track A: the paper's bounds with their denominators (T4, R3)
# ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8192)
def _bound_values(method, framework, d, p, abar, n, trh, c_num, c_den, c_f, c_n, sign, fl_term):
    import jax.numpy as jnp

    from theory import bounds
    from theory._precision import x64

    raw = (float(d), p, np.nan if abar is None else abar, float(n), trh, c_num, c_den, c_f, c_n)
    out = []
    with x64():  # the bounds are evaluated in float64 (T4), never in JAX's default float32
        args = tuple(jnp.asarray(x, dtype=jnp.float64) for x in raw)
        for kind in ("lower_bound", "denominator"):
            f = bounds.bound_function(
                method, framework, kind=kind, sign=sign, fl_term=fl_term, n_given=True
            )
            out.append(float(f(*args)))
    return tuple(out)


def _paper_bound(
    cfg: VerifyConfig, method: str, framework: str, abar: float | None, trh: float = 1.0
) -> tuple[float, float]:
    """(LB, denominator) of the paper's bound at the configuration, N = n_clients given."""
    return _bound_values(
        method,
        framework,
        cfg.d,
        cfg.p,
        abar,
        cfg.n_clients,
        trh,
        cfg.c_num,
        cfg.c_den,
        cfg.c_f,
        cfg.c_n,
        cfg.sign,
        cfg.fl_term,
    )


def _a_word(lb: float, den: float) -> str:
    return vd.track_a(lb, den)


def _worst_a(words) -> str:
    for w in ("invalid", "vacuous", "informative"):
        if w in words:
            return w
    return "not-run"


def _bound_entry(cfg, ex, bmethod, framework, abar, transform) -> dict:
    trh = ex.trace_h(transform) if bmethod == "cl_dissimilar" else 1.0
    lb, den = _paper_bound(cfg, bmethod, framework, abar, trh)
    out = {"lower_bound": lb, "denominator": den, "track_a": _a_word(lb, den)}
    if bmethod == "cl_dissimilar":
        out["trH"] = trh
    return out


# ----------------------------------------------------------------------------------------------
# Eq. (17) and Eqs. (29)–(30)
# ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=4)
def _eq17_symbolic() -> dict:
    return symbolic.check_eq17(3)


def _eq17_a(cfg: VerifyConfig, reading: dict) -> Evidence:
    r = _eq17_symbolic()
    numbers = {
        "exact_offdiag": r["offdiag_coefficient"],
        "exact_diag": r["diag_coefficient"],
        "paper_offdiag": r["paper_offdiag_coefficient"],
        "paper_diag": r["paper_diag_coefficient"],
        "exact_is_hollow": r["is_hollow"],
        "paper_is_diagonal": r["paper_is_diagonal"],
    }
    word = "informative" if r["equal"] else "invalid"
    return Evidence(word, numbers, "exact mask expectation of Eq. 4 (sympy) vs the paper's Eq. 17")


def _eq17_b(cfg: VerifyConfig, reading: dict) -> Evidence:
    ex = _exact(cfg)
    exact, paper = ex.targets("mim"), ex.targets("mim-paper")
    equal, diff, tol = vd.targets_equal(exact, paper)
    fl = _fl_weights(ex.n)
    se, sp_ = ex.solution("mim", "identity", fl), ex.solution("mim-paper", "identity", fl)
    numbers = {
        "max_target_difference": diff,
        "tolerance_T5": tol,
        "fl_rv_exact_N": _lst(se.rv[: ex.n]),
        "fl_rv_paper_N": _lst(sp_.rv[: ex.n]),
        "rank_exact_fl": se.rank,
        "rank_paper_fl": sp_.rank,
    }
    return Evidence(
        "holds" if equal else "violated",
        numbers,
        "exact Eq. 4 target (hollow) vs the paper's Eq. 17 target (diagonal), T5 tolerance",
    )


@functools.lru_cache(maxsize=256)
def _eq2930_symbolic(adj_key: bytes, n: int, d: int) -> dict:
    # p is kept symbolic: the comparison does not depend on it (κ factors out), one call per graph
    adj = np.frombuffer(adj_key, dtype=np.float64).reshape(n, n)
    return symbolic.check_eq29_30(adj, p_value=None, d_value=d)


def _eq2930_a(cfg: VerifyConfig, reading: dict) -> Evidence:
    info = _graph_info(cfg)
    a = np.ascontiguousarray(info["adjacency"], dtype=np.float64)
    r = _eq2930_symbolic(a.tobytes(), a.shape[0], cfg.d)
    numbers = {
        "graph": cfg.graph,
        "abar": r["abar"],
        "mean_inv_size": r["mean_inv_size"],
        "inv_abar": r["inv_abar"],
        "max_rel_diff": r["max_rel_diff"],
        "regular": r["regular"],
    }
    word = "informative" if r["equal"] else "invalid"
    return Evidence(word, numbers, "neighbourhood average (sympy) vs Eq. 30's (1-1/|Ā|)τ²")


def _eq2930_b(cfg: VerifyConfig, reading: dict) -> Evidence:
    ex, info = _exact(cfg), _graph_info(cfg)
    targets = ex.targets("mim-paper")
    exact_t = solve.global_target(targets, info["pi_objective"])
    paper_t = solve.paper_decl_target(targets, info["abar"])
    n = ex.n
    e_diag, p_diag = np.diagonal(exact_t)[:n], np.diagonal(paper_t)[:n]
    equal, diff, tol = vd.targets_equal(e_diag, p_diag)
    return Evidence(
        "holds" if equal else "violated",
        {
            "graph": cfg.graph,
            "abar": info["abar"],
            "pi_objective": _lst(info["pi_objective"]),
            "exact_target_diag_N": _lst(e_diag),
            "paper_target_diag_N": _lst(p_diag),
            "max_difference": diff,
            "tolerance_T5": tol,
        },
        "exact Eq. (1) DecL target (π-weighted, paper's diagonal model) vs Eqs. 27-30",
    )


# ----------------------------------------------------------------------------------------------
# Theorems 4.2 / 4.3: lower bounds on the RV of e_1..e_N
# ----------------------------------------------------------------------------------------------
def _abar_for(cfg: VerifyConfig, framework: str) -> float | None:
    return _graph_info(cfg)["abar"] if framework == "decl" else None


def _bound_a(dim: str, framework: str):
    def check(cfg: VerifyConfig, reading: dict) -> Evidence:
        ex = _exact(cfg)
        _, transform, bmethod = _method_of(reading, dim)
        abar = _abar_for(cfg, framework)
        e = _bound_entry(cfg, ex, bmethod, framework, abar, transform)
        numbers = {**e, "d": cfg.d, "p": cfg.p, "n_clients": cfg.n_clients}
        if abar is not None:
            numbers["abar"] = abar
        return Evidence(e["track_a"], numbers, "the paper's bound at the configuration (R3)")

    return check


def _bound_b(dim: str, framework: str):
    def check(cfg: VerifyConfig, reading: dict) -> Evidence:
        ex = _exact(cfg)
        n = ex.n
        method, transform, bmethod = _method_of(reading, dim)
        abar = _abar_for(cfg, framework)
        e = _bound_entry(cfg, ex, bmethod, framework, abar, transform)
        lb, a_word = e["lower_bound"], e["track_a"]
        numbers: dict = {"lower_bound": lb, "track_a": a_word, "d": cfg.d, "p": cfg.p}
        if framework == "local":
            # Thm 4.2/4.3 item 1 bounds r_{i,k} for k in [N] \ {i}, every client i.
            words, mins, ties = [], [], []
            for i in range(n):
                sol = ex.solution(method, transform, i)
                val = vd.min_rv(sol, [k for k in range(n) if k != i])
                words.append(vd.bound_check(val, lb, a_word))
                mins.append(val.point)
                ties.append(sol.tied)
            word = vd.combine(words)
            numbers.update(min_rv_per_client=_lst(mins), min_rv=float(min(mins)), tied=any(ties))
        else:
            w = _fl_weights(n) if framework == "fl" else _graph_info(cfg)["weights"]
            sol = ex.solution(method, transform, w)
            val = vd.min_rv(sol, range(n))
            word = vd.bound_check(val, lb, a_word)
            numbers.update(rv_N=_lst(sol.rv[:n]), min_rv=val.to_dict(), **sol.summary())
            if abar is not None:
                numbers.update(abar=abar, graph=cfg.graph)
        return Evidence(word, numbers, "exact RV of e_1..e_N vs the paper's lower bound (R2)")

    return check


# ----------------------------------------------------------------------------------------------
# Theorem 4.4: MIM is more robust than CL (s^C > s^M)
# ----------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=8)
def _thm44_symbolic(sign: str, fl_term: str) -> dict:
    return symbolic.check_thm44("decl", sign, fl_term, "default")


def _thm44_a(cfg: VerifyConfig, reading: dict) -> Evidence:
    ex = _exact(cfg)
    _, _, bm = _method_of(reading, "objective")
    _, transform, bc = _method_of(reading, "cl")
    lim = _thm44_symbolic(cfg.sign, cfg.fl_term)
    key = "dissimilar" if bc == "cl_dissimilar" else "similar"
    numbers: dict = {"ratio_limit_d_to_oo": lim[key]["ratio_limit"]}
    words = []
    for fw in ("local", "decl", "fl"):
        abar = _abar_for(cfg, fw)
        em = _bound_entry(cfg, ex, bm, fw, abar, "identity")
        ec = _bound_entry(cfg, ex, bc, fw, abar, transform)
        words += [em["track_a"], ec["track_a"]]
        numbers[fw] = {
            "s_mim": 1.0 - em["lower_bound"],
            "s_cl": 1.0 - ec["lower_bound"],
            "formula_order_s_cl_gt_s_mim": bool(ec["lower_bound"] < em["lower_bound"]),
            "track_a": [em["track_a"], ec["track_a"]],
        }
    return Evidence(_worst_a(words), numbers, "the paper's s = 1 - LB of MIM and CL (R3)")


def _thm44_b(cfg: VerifyConfig, reading: dict) -> Evidence:
    ex = _exact(cfg)
    n, c = ex.n, ex.c
    mm, tm, _ = _method_of(reading, "objective")
    mc, tc, _ = _method_of(reading, "cl")
    sens = reading["sensitivity"]
    numbers: dict = {}
    words = []
    weights = {"fl": _fl_weights(n), "decl": _graph_info(cfg)["weights"]}
    for fw in ("local", "decl", "fl"):
        keys = list(range(n)) if fw == "local" else [weights[fw]]
        row = []
        for w in keys:
            sm, sc = ex.solution(mm, tm, w), ex.solution(mc, tc, w)
            vm, vc = _sens(sm, sens, n, c), _sens(sc, sens, n, c)
            word = vd.collapse_guard(vd.compare(vc, vm, ">"), sm.rank, n, sens)
            words.append(word)
            row.append(
                {
                    "s_mim": vm.to_dict(),
                    "s_cl": vc.to_dict(),
                    "rank_mim": sm.rank,
                    "rank_cl": sc.rank,
                    "verdict": word,
                }
            )
        numbers[fw] = row if fw == "local" else row[0]
    return Evidence(
        vd.combine(words), numbers, f"exact s^C > s^M ({sens}) for local, DecL, FL (R1, R7)"
    )


# ----------------------------------------------------------------------------------------------
# Corollary 4.5: DecL robustness improves with |Ā|
# ----------------------------------------------------------------------------------------------
def _graph_sweep(cfg: VerifyConfig) -> list[tuple[str, tuple]]:
    """Graphs of increasing connectivity on n_clients nodes: paper_code at every degree."""
    n = cfg.n_clients
    sweep = [
        ("paper_code", (("avg_degree", float(k)), ("seed", cfg.graph_seed)))
        for k in range(1, n - 1)
    ]
    sweep.append(("complete", ()))
    return sweep


@functools.lru_cache(maxsize=8)
def _cor45_symbolic(method: str, sign: str) -> dict:
    return symbolic.check_cor45(method, sign)


def _cor45_a(cfg: VerifyConfig, reading: dict) -> Evidence:
    ex = _exact(cfg)
    _, transform, bm = _method_of(reading, "method")
    words, rows = [], []
    for graph, key in _graph_sweep(cfg):
        info = _graph_info(cfg, graph, key)
        e = _bound_entry(cfg, ex, bm, "decl", info["abar"], transform)
        words.append(e["track_a"])
        rows.append({"graph": graph, "params": dict(key), "abar": info["abar"], **e})
    r = _cor45_symbolic("mim" if bm == "mim" else "cl_similar", cfg.sign)
    numbers = {"sweep": rows, "derivative_sign": r["derivative_sign_paper_range"]}
    return Evidence(_worst_a(words), numbers, "the paper's DecL bound over the graph sweep (R3)")


def _cor45_series(cfg: VerifyConfig, reading: dict) -> tuple[list, list, list]:
    ex = _exact(cfg)
    method, transform, _ = _method_of(reading, "method")
    rows, vals, abars = [], [], []
    for graph, key in _graph_sweep(cfg):
        info = _graph_info(cfg, graph, key)
        sol = ex.solution(method, transform, info["weights"])
        val = _sens(sol, reading["sensitivity"], ex.n, ex.c)
        rows.append(
            {
                "graph": graph,
                "params": dict(key),
                "abar": info["abar"],
                "s": val.to_dict(),
                "rank": sol.rank,
            }
        )
        vals.append(val)
        abars.append(info["abar"])
    return rows, vals, abars


def _cor45_b(cfg: VerifyConfig, reading: dict) -> Evidence:
    rows, vals, abars = _cor45_series(cfg, reading)
    if len(rows) < 2:
        raise NotApplicable("fewer than two graphs at this N (Cor 4.5 needs N >= 3)")
    word, viol = vd.trend(abars, vals)
    order = np.argsort(abars, kind="stable")
    old = vd.old_trend_rule({"s": [vals[i].point for i in order]})
    numbers = {
        "sweep": rows,
        "violations": [
            {"from": rows[i]["params"], "to": rows[j]["params"], "increase": x} for i, j, x in viol
        ],
        "old_rule_verdict": old,
    }
    return Evidence(word, numbers, "exact DecL sensitivity over graphs of increasing |Ā| (R6)")


# ----------------------------------------------------------------------------------------------
# Theorem 4.6: FL is no less robust than DecL (s_Dec >= s_Fed); Eq. 87 (strict), Eq. 89 (=)
# ----------------------------------------------------------------------------------------------
def _thm46_graph(cfg: VerifyConfig, which: str) -> dict:
    if which == "eq89":
        return _graph_info(cfg, "complete", ())
    info = _graph_info(cfg)
    if which == "eq87" and info["abar"] >= cfg.n_clients:
        raise NotApplicable(f"Eq. 87 needs |Ā| < N; the graph has |Ā| = {info['abar']:g}")
    return info


def _thm46_a(which: str):
    def check(cfg: VerifyConfig, reading: dict) -> Evidence:
        ex = _exact(cfg)
        info = _thm46_graph(cfg, which)
        _, transform, bm = _method_of(reading, "method")
        ed = _bound_entry(cfg, ex, bm, "decl", info["abar"], transform)
        ef = _bound_entry(cfg, ex, bm, "fl", None, transform)
        numbers = {
            "abar": info["abar"],
            "n_clients": cfg.n_clients,
            "s_dec": 1.0 - ed["lower_bound"],
            "s_fed": 1.0 - ef["lower_bound"],
            "track_a": [ed["track_a"], ef["track_a"]],
        }
        return Evidence(_worst_a(numbers["track_a"]), numbers, "the paper's s_Dec and s_Fed")

    return check


def _thm46_b(which: str):
    relation = {"thm4.6": ">=", "eq87": ">", "eq89": "=="}[which]

    def check(cfg: VerifyConfig, reading: dict) -> Evidence:
        ex = _exact(cfg)
        info = _thm46_graph(cfg, which)
        method, transform, _ = _method_of(reading, "method")
        sens = reading["sensitivity"]
        sd = ex.solution(method, transform, info["weights"])
        sf = ex.solution(method, transform, _fl_weights(ex.n))
        vdec, vfed = _sens(sd, sens, ex.n, ex.c), _sens(sf, sens, ex.n, ex.c)
        word = vd.compare(vdec, vfed, relation)
        if relation != "==":
            word = vd.collapse_guard(word, sf.rank, ex.n, sens)
        numbers = {
            "graph": "complete" if which == "eq89" else cfg.graph,
            "abar": info["abar"],
            "s_dec": vdec.to_dict(),
            "s_fed": vfed.to_dict(),
            "rank_dec": sd.rank,
            "rank_fed": sf.rank,
            "relation": f"s_Dec {relation} s_Fed",
        }
        return Evidence(word, numbers, f"exact s_Dec {relation} s_Fed ({sens}) (R1, R7)")

    return check


# ----------------------------------------------------------------------------------------------
# the registry
# ----------------------------------------------------------------------------------------------
REGISTRY: dict[str, Claim] = {
    c.id: c
    for c in (
        Claim(
            "eq17",
            "Eq. (17), App. A.6.2",
            "the mask expectation of Eq. 4 is 2p(1-p)·diag(E[x∘x])",
            _eq17_a,
            _eq17_b,
        ),
        Claim(
            "eq29-30",
            "Eqs. (27)-(30), App. A.6.2",
            "the DecL neighbourhood average gives (1-1/|Ā|)τ² on every coordinate of [N]",
            _eq2930_a,
            _eq2930_b,
        ),
        Claim(
            "thm4.2.local",
            "Thm 4.2 item 1",
            "local MIM RV r_{i,k} >= 1 - O(d^-2/5)/(2p(1-p)d^2/5 + O(d^-2/5)), k in [N]\\{i}",
            _bound_a("objective", "local"),
            _bound_b("objective", "local"),
        ),
        Claim(
            "thm4.2.decl",
            "Thm 4.2 item 2",
            "DecL MIM RV >= 1 - O(d^-2/5)/(2p(1-p)(1-1/|Ā|)d^2/5 + O(d^-2/5))",
            _bound_a("objective", "decl"),
            _bound_b("objective", "decl"),
        ),
        Claim(
            "thm4.2.fl",
            "Thm 4.2 item 3",
            "FL MIM RV >= 1 - O(d^-2/5)/(2p(1-p)d^2/5 - Θ(d^7/20) + O(d^-2/5))",
            _bound_a("objective", "fl"),
            _bound_b("objective", "fl"),
        ),
        Claim(
            "thm4.3.local",
            "Thm 4.3 item 1, Lemma A.11",
            "local CL RV >= 1 - O(d^-1/5)/(d^2/5 + O(d^-1/5)) (tr(H) d^2/5 if dissimilar)",
            _bound_a("cl", "local"),
            _bound_b("cl", "local"),
        ),
        Claim(
            "thm4.3.decl",
            "Thm 4.3 item 2",
            "DecL CL RV >= 1 - O(d^-1/5)/((1-1/|Ā|)d^2/5 + O(d^-1/5))",
            _bound_a("cl", "decl"),
            _bound_b("cl", "decl"),
        ),
        Claim(
            "thm4.3.fl",
            "Thm 4.3 item 3",
            "FL CL RV >= 1 - O(d^-1/5)/(d^2/5 - Θ(d^7/20) + O(d^-1/5))",
            _bound_a("cl", "fl"),
            _bound_b("cl", "fl"),
        ),
        Claim(
            "thm4.4",
            "Thm 4.4, Eqs. (62)-(73)",
            "MIM is more robust than CL: lim_{d->oo} s^C > s^M",
            _thm44_a,
            _thm44_b,
        ),
        Claim(
            "cor4.5",
            "Cor 4.5, App. A.6.5",
            "in DecL, robustness improves with the average connectivity |Ā|",
            _cor45_a,
            _cor45_b,
        ),
        Claim(
            "thm4.6",
            "Thm 4.6, Eqs. (79)-(89)",
            "FL is no less robust than DecL: lim_{d->oo} s_Dec >= s_Fed",
            _thm46_a("thm4.6"),
            _thm46_b("thm4.6"),
        ),
        Claim(
            "thm4.6.eq87",
            "Thm 4.6, Eq. (87)",
            "strict inequality s_Dec > s_Fed when |Ā| < N",
            _thm46_a("eq87"),
            _thm46_b("eq87"),
        ),
        Claim(
            "thm4.6.eq89",
            "Thm 4.6, Eqs. (88)-(89)",
            "equality s_Dec = s_Fed when |A_i| = N for all i",
            _thm46_a("eq89"),
            _thm46_b("eq89"),
        ),
    )
}
assert tuple(REGISTRY) == CLAIM_IDS


def readings_of(claim_id: str) -> list[dict]:
    """Every reading of a claim: the product of its dimensions' values (``[{}]`` if none)."""
    v.choice(claim_id, "claim", CLAIM_IDS)
    dims = CLAIM_READINGS[claim_id]
    return [
        dict(zip(dims, vals, strict=True))
        for vals in itertools.product(*(READINGS[d] for d in dims))
    ]


def reading_name(reading: dict) -> str:
    """``"objective=eq4-complementary,sensitivity=gap"`` (``"-"`` for no reading)."""
    return ",".join(f"{k}={val}" for k, val in reading.items()) or "-"


def primary_readings(cfg: VerifyConfig, claim_id: str) -> list[dict]:
    """The readings the ``dssl verify`` table reports: Eq. 4 with complementary masks, similar
    CL (and the configuration's transform when it is not the identity), spread over [N]."""
    cls = ["similar"] + ([f"dissimilar-{cfg.transform}"] if cfg.transform != "identity" else [])
    base = {
        "objective": ["eq4-complementary"],
        "cl": cls,
        "sensitivity": ["spread-N"],
        "method": ["eq4-complementary", *cls],
    }
    dims = CLAIM_READINGS[claim_id]
    return [
        dict(zip(dims, vals, strict=True)) for vals in itertools.product(*(base[d] for d in dims))
    ]


def _safe(fn: Callable, cfg: VerifyConfig, reading: dict) -> Evidence:
    """Run one check; only a check that does not apply at a valid configuration is reported as
    ``not-run`` (:class:`NotApplicable`); bad input (ValueError) propagates."""
    try:
        return fn(cfg, reading)
    except NotApplicable as err:
        return Evidence("not-run", {"reason": str(err)}, "check does not apply here")


def evaluate_reading(cfg: VerifyConfig, claim_id: str, reading: dict) -> dict:
    """One cell of the verdict map: ``{"track_a": Evidence, "track_b": Evidence}``.

    Args:
      cfg: the configuration.
      claim_id: one of ``CLAIM_IDS``.
      reading: {dimension: value} over ``CLAIM_READINGS[claim_id]``.
    """
    v.choice(claim_id, "claim", CLAIM_IDS)
    dims = CLAIM_READINGS[claim_id]
    for d in dims:
        if d not in reading:
            v.fail("reading", f"a value for {d}", reading)
        v.choice(reading[d], d, READINGS[d])
    reading = {d: reading[d] for d in dims}
    claim = REGISTRY[claim_id]
    return {
        "track_a": _safe(claim.track_a, cfg, reading),
        "track_b": _safe(claim.track_b, cfg, reading),
    }


def _combine_a(words) -> str:
    words = [w for w in words if w != "not-run"]
    return _worst_a(words) if words else "not-run"


def evaluate(
    cfg: VerifyConfig | None = None,
    *,
    claims: tuple = CLAIM_IDS,
    track_c: Mapping[str, Evidence] | None = None,
    all_readings: bool = True,
) -> list[dict]:
    """Compute every claim's evidence. Returns a list of dicts (JSON-ready).

    Each dict: ``id``, ``reference``, ``statement``, ``track_a``, ``track_b``, ``track_c``
    (verdict words under the primary readings, combined with R5), ``readings``
    ({reading name: Track B word} under every reading when ``all_readings``) and ``evidence``
    ({"track_a": {...}, "track_b": {...}, "track_c": {...}}).
    """
    cfg = VerifyConfig() if cfg is None else cfg
    if not isinstance(cfg, VerifyConfig):
        v.fail("cfg", "a VerifyConfig", cfg)
    track_c = {} if track_c is None else dict(track_c)
    for cid in claims:
        v.choice(cid, "claim", CLAIM_IDS)
    out = []
    for cid in claims:
        claim = REGISTRY[cid]
        prim = primary_readings(cfg, cid)
        cells = {reading_name(r): evaluate_reading(cfg, cid, r) for r in prim}
        a_word = _combine_a([x["track_a"].verdict for x in cells.values()])
        b_word = vd.combine([x["track_b"].verdict for x in cells.values()])
        if len(cells) == 1:
            a_ev, b_ev = next(iter(cells.values())).values()
            a = Evidence(a_word, a_ev.numbers, a_ev.note)
            b_numbers = dict(b_ev.numbers)
            b_note = b_ev.note
        else:
            a = Evidence(
                a_word,
                {k: x["track_a"].to_dict() for k, x in cells.items()},
                "primary readings; worst Track A word",
            )
            b_numbers = {k: x["track_b"].to_dict() for k, x in cells.items()}
            b_note = "primary readings combined with R5"
        readings = {}
        if all_readings:
            for r in readings_of(cid):
                name = reading_name(r)
                cell = cells.get(name) or evaluate_reading(cfg, cid, r)
                readings[name] = cell["track_b"].verdict
        if cid == "thm4.4" and cfg.d_sweep:
            # the claim is a limit d -> oo: the primary readings' word at every d of d_sweep
            b_numbers["d_sweep"] = {
                str(d): vd.combine(
                    evaluate_reading(dataclasses.replace(cfg, d=d), cid, r)["track_b"].verdict
                    for r in prim
                )
                for d in cfg.d_sweep
            }
        b = Evidence(b_word, {**b_numbers, "primary_readings": list(cells)}, b_note)
        c = track_c.get(cid, NOT_RUN)
        out.append(
            {
                "id": cid,
                "reference": claim.reference,
                "statement": claim.statement,
                "track_a": a.verdict,
                "track_b": b.verdict,
                "track_c": c.verdict,
                "readings": readings,
                "evidence": {
                    "track_a": a.to_dict(),
                    "track_b": b.to_dict(),
                    "track_c": c.to_dict(),
                },
            }
        )
    return out


def config_dict(cfg: VerifyConfig) -> dict:
    """The configuration as a plain dict (for reports and hashing)."""
    return dataclasses.asdict(cfg)


def _reading_summary(readings: dict) -> str:
    if not readings:
        return ""
    counts: dict = {}
    for w in readings.values():
        counts[w] = counts.get(w, 0) + 1
    return ", ".join(f"{w} {k}" for w, k in sorted(counts.items(), key=lambda t: -t[1]))


def format_table(rows: list[dict]) -> str:
    """A plain-text table of the verdicts (Track B under every reading in the last column)."""
    head = f"{'claim':<13}{'track A':<13}{'track B':<12}{'track C':<12}{'reference':<28}readings"
    lines = [head, "-" * len(head)]
    for r in rows:
        lines.append(
            f"{r['id']:<13}{r['track_a']:<13}{r['track_b']:<12}{r['track_c']:<12}"
            f"{r['reference']:<28}{_reading_summary(r.get('readings', {}))}"
        )
    return "\n".join(lines)
