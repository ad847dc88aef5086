r"""Track B on finite samples, matrix-free: :math:`M = d^\beta` samples per client, many seeds, any
bound.

The paper's statements hold "with high probability" over
:math:`\lvert D_i\rvert = \Theta(d^\beta)`, :math:`\beta \ge 1`, i.i.d. samples per client
(Assumption A.7 of arXiv 2607.02447). Here the population expectation over x is replaced by the
average over M samples (the mask and augmentation expectations stay exact, as in
``theory.objectives.empirical_target``), and the exact optimum of that finite-sample objective
is computed for local, FL and DecL weights, over many seeds.

The sufficient statistic of each client's samples is drawn exactly, without forming the M×d
sample or a d×d target (:mod:`theory.finite_sample.statistic`, whose docstring has the
derivation):

$$
M S = E_K \Sigma^\top \Sigma E_K^\top + \mu\,(E_K \Sigma^\top \Xi + \Xi^\top \Sigma E_K^\top)
+ \mu^2\, \Xi^\top \Xi
$$

from the thin QR of the signal, a Gaussian block and a Bartlett factor of the Wishart part, at
cost :math:`O(d^2)` per client.

Solver: block Krylov with Rayleigh–Ritz
---------------------------------------
For every weighting (each local client, FL, each DecL π) the top-c eigenpairs of the target T
are found from the block Krylov space :math:`\operatorname{span}\{Q_0, T Q_0, \dots, T^q Q_0\}`,
:math:`Q_0 = [E_K, \text{Gaussian columns}]` (:math:`b = \lvert K\rvert` + ``oversample``
columns), with full re-orthogonalisation and a Rayleigh–Ritz step; the Krylov space is shift
invariant, so the top *algebraic* eigenvalues come out directly (the hollow MIM target has large
negative eigenvalues). Dissimilar CL under a dense rotation of all d axes
(``H="rotation-full"``: ``theory.structured.ImplicitOrthogonal``, a DCT with random signs,
:math:`O(d \log d)` per column, never formed) uses the same solver with :math:`H E_K` added to
the start block. Eq. (3) (``"mim-recon"``) is reduced-rank regression: Krylov on
:math:`\Sigma_{vu} \Sigma_{uu}^{-1} \Sigma_{uv}` with every :math:`\Sigma_{uu}^{-1}` by
preconditioned conjugate gradients.

The residual :math:`R = T V - V \Theta` of the Ritz pairs is computed from the stored products
(no extra pass); ``subspace_bound`` = :math:`\lVert R\rVert_F / (\theta_c - \theta_{c+1})`
bounds :math:`\sin\angle` between the computed and the exact top-c space (Davis–Kahan, with
the Ritz gap) and each RV is then accurate to 2·subspace_bound.

Seeds
-----
One named stream per source, as in the project's key tree (``sims.core.config.key_tree``: stream
``"data"`` is index 0 of its stream list): client i of seed s uses
``numpy.random.SeedSequence(s, spawn_key=(0, i))`` with PCG64; the Krylov start block uses
``spawn_key=(6, 0)`` (the ``"probe"`` stream, index 6). Theory does not import ``sims``, so the
draws are numpy's, not JAX's: the same seed gives other samples than ``sims.data``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence

import numpy as np

from theory import _validate as v
from theory.datamodel import DataModel
from theory.finite_sample._solvers import (  # noqa: F401  (re-exported)
    CG_MAX_ITER,
    CG_TOL,
    FULL_ROTATION,
    _diagonal_optima,
    _krylov_optima,
    _recon_optima,
    _transform,
)
from theory.finite_sample.statistic import (  # noqa: F401  (re-exported)
    PROBE_STREAM,
    _seed_sequence,
    bartlett_factor,
    client_statistic,
)
from theory.frameworks import BOUND_OF_EXACT, framework_of
from theory.objectives import (
    METHODS,
    has_decoder,
    has_diagonal_target,
    mask_ratio,
    takes_transform,
)
from theory.structured import ImplicitOrthogonal, signal_coords
from theory.structured.rotation import _trace_h


def _summary(x: np.ndarray) -> dict:
    x = np.asarray(x, dtype=np.float64)
    q = np.quantile(x, [0.0, 0.05, 0.5, 0.95, 1.0], axis=0)
    return {"min": q[0], "q05": q[1], "median": q[2], "q95": q[3], "max": q[4], "mean": x.mean(0)}


def track_b_samples(
    model: DataModel,
    method: str,
    *,
    beta: float = 1.0,
    m: int | None = None,
    seeds: Sequence[int] | int = 20,
    p: float | None = None,
    H=None,
    decl: Mapping[str, Sequence[float]] | None = None,
    abar: Mapping[str, float] | None = None,
    steps: int = 3,
    oversample: int = 2,
    constants: Mapping[str, float] | None = None,
) -> dict:
    r"""Finite-sample Track B over seeds: RVs, sensitivities and the fraction meeting each bound.

    Thm 4.2 / 4.3 of arXiv 2607.02447 "with high probability": for each seed,
    :math:`M = \operatorname{round}(d^\beta)` samples per client (or ``m``), the exact optimum of
    the empirical objective for each local client, FL and every DecL weighting in ``decl``; the
    bound of theory.bounds at (d, p, :math:`\lvert\bar A\rvert`, N) is met when
    :math:`\min_k r_k \ge \mathrm{LB}` (:math:`k \in [N] \setminus \{i\}` local,
    :math:`k \in [N]` global).

    Args:
      model: data model (d up to ~1e4: :math:`O(N d^2)` memory in float32).
      method: one of ``METHODS``; ``"mim-recon"`` is Eq. (3).
      beta: :math:`M = \operatorname{round}(d^\beta)` (:math:`\beta \ge 1` in the paper); m:
        explicit M (overrides β).
      seeds: a number of seeds (0..n−1) or the list of seeds.
      p: mask ratio; H: transform of ``"cl-dissimilar"``: a structured block transform
        (``theory.structured.STRUCTURED_TRANSFORMS``) or ``"rotation-full"`` /
        an ``ImplicitOrthogonal`` (a dense rotation of all d axes, matrix-free).
      decl: name → π (N weights) of the DecL objectives to solve (e.g. Eq. 1 weights); a name
        other than ``fl``, ``local0`` … ``local{N-1}`` (the FL and local weightings) and the
        result's own keys ``config``, ``local`` and ``seconds``.
      abar: name → :math:`\lvert\bar A\rvert` of those graphs (for the DecL bound); missing →
        bound not evaluated.
      steps, oversample: Krylov steps q and extra start columns.
      constants: hidden constants of the bounds (default 1).

    Returns:
      dict with ``config`` and, per framework key (``local`` stacked over clients, ``fl``,
      every DecL name): per-seed arrays ``rv`` (seeds, [clients,] k), ``s_N``, ``s_c``,
      ``gap``, ``min_rv``, ``rank``, ``subspace_bound``; ``summary`` quantiles; ``bound``
      (LB) and ``fraction_meeting_bound`` (both ``None`` where the bound is not evaluated: a
      DecL graph without :math:`\lvert\bar A\rvert`, or
      :math:`\operatorname{tr}(P_c H_{\mathrm{sym}} P_c) \le 0`, where Thm 4.3's dissimilar
      bound is undefined; ``config["bound_defined"]``); plus ``seconds``.
    """
    from theory import bounds

    start_t = time.perf_counter()
    p, m, seed_list, steps, oversample, t, weight_sets = _track_b_args(
        model, method, beta, m, seeds, p, H, decl, steps, oversample
    )
    n, d, c = model.n_clients, model.d, model.c
    K = list(signal_coords(model))
    k_show = min(d, max(c, 2 * n))
    per = {
        name: {key: [] for key in ("rv", "s_N", "s_c", "gap", "min_rv", "rank", "subspace_bound")}
        for name in weight_sets
    }
    weights = {name: w for name, (_, w) in weight_sets.items()}
    for seed in seed_list:
        res = _seed_optima(model, method, m, seed, weights, p, t, steps, oversample, K)
        _record_seed(per, res, n, c, d, k_show)
    consts = dict(constants or {})
    bmethod = BOUND_OF_EXACT[method]
    trh = 1.0 if t is None else _trace_h(t, c)
    out = {"config": _config(method, d, n, c, m, p, seed_list, steps, oversample, t, trh, k_show)}
    for name, acc in per.items():
        framework = weight_sets[name][0]
        lb = _weighting_bound(
            bounds.lower_bound, bmethod, framework, name, d, n, p, trh, abar, consts
        )
        out[name] = _weighting_entry(acc, lb)
    out["local"] = _local_entry(out, n)
    out["seconds"] = time.perf_counter() - start_t
    return out


#: the keys of track_b_samples' result beside its weightings (a DecL weighting may not take them)
_RESULT_KEYS = ("config", "local", "seconds")


def _track_b_args(model, method, beta, m, seeds, p, H, decl, steps, oversample) -> tuple:
    """Validated (p, M, seeds, steps, oversample, transform, weightings) of track_b_samples;
    the weightings by name, each ``(framework, (N,) weights)``."""
    if not isinstance(model, DataModel):
        v.fail("model", "a DataModel", model)
    v.choice(method, "method", METHODS)
    p = mask_ratio(method, p)  # None: the default; refused where p does not enter (CL)
    n, d = model.n_clients, model.d
    if m is None:
        beta = v.real(beta, "beta", lo=1.0, hi=2.0)
        m = int(round(float(d) ** beta))
    m = v.integer(m, "m", lo=len(signal_coords(model)) + 1)
    seed_list = (
        list(range(v.integer(seeds, "seeds", lo=1)))
        if np.isscalar(seeds)
        else [v.integer(s, "seeds", lo=0) for s in seeds]
    )
    steps = v.integer(steps, "steps", lo=1, hi=50)
    oversample = v.integer(oversample, "oversample", lo=0, hi=64)
    t = _transform(model, H) if takes_transform(method) else None
    # each weighting with its framework (what its bound reads): the local optima, FL's
    # uniform average, and the caller's DecL weightings
    weight_sets = {f"local{i}": ("local", np.eye(n)[i]) for i in range(n)}
    weight_sets["fl"] = ("fl", np.full(n, 1.0 / n))
    for name, w in (decl or {}).items():
        if name in weight_sets or name in _RESULT_KEYS:
            v.fail(
                "decl", f"names other than fl, local, local0..local{n - 1}, config, seconds", name
            )
        w = v.array(w, "decl", shape=(n,))
        if np.any(w < 0) or abs(w.sum() - 1.0) > 1e-9:
            v.fail("decl", "weights that are non-negative and sum to 1", w.tolist())
        weight_sets[name] = ("decl", w)
    return p, m, seed_list, steps, oversample, t, weight_sets


def _start_block(d: int, K: list, c: int, oversample: int, seed: int, t) -> np.ndarray:
    """Orthonormal Krylov start block Q₀ = [E_K, Gaussian columns] (and H E_K, full rotation)."""
    rng = np.random.Generator(np.random.PCG64(_seed_sequence(seed, PROBE_STREAM, 0)))
    b = max(c, len(K)) + oversample
    start = np.zeros((d, b))
    start[K, np.arange(len(K))] = 1.0
    start[:, len(K) :] = rng.standard_normal((d, b - len(K)))
    if isinstance(t, ImplicitOrthogonal):  # the low-rank part lives in span(E_K, H E_K)
        start = np.concatenate([start, t.apply(start[:, : len(K)])], axis=1)
    start, _ = np.linalg.qr(start)
    return start


def _seed_optima(model, method, m, seed, weight_sets, p, t, steps, oversample, K) -> dict:
    """Exact optima of one seed's finite-sample objectives, for every weighting."""
    stats = [client_statistic(model, i, m, seed) for i in range(model.n_clients)]
    diags = [s.diagonal() if method.startswith("mim") else None for s in stats]
    c = model.c
    start = _start_block(model.d, K, c, oversample, seed, t)
    if has_diagonal_target(method):  # its optimum is the top-c diagonal axes
        return _diagonal_optima(diags, weight_sets, p, c)
    if has_decoder(method):
        return _recon_optima(stats, weight_sets, p, c, steps, start, diags)
    return _krylov_optima(stats, weight_sets, method, p, t, c, steps, start, diags)


def _record_seed(per: dict, res: dict, n: int, c: int, d: int, k_show: int) -> None:
    """Append one seed's RVs, s_N, s_c, gap and min r_k (k ∈ [N] ∖ {i} local, [N] global)."""
    JN = list(range(n))
    for name, r in res.items():
        rv = np.sum(r["vectors"] ** 2, axis=1)
        own = int(name[5:]) if name.startswith("local") else None
        Jg = [k for k in JN if k != own]
        per[name]["rv"].append(rv[:k_show])
        per[name]["s_N"].append(float(np.ptp(rv[JN])))
        per[name]["s_c"].append(float(np.ptp(rv[: min(c, d)])))
        per[name]["gap"].append(float(1.0 - rv[Jg].min()))
        per[name]["min_rv"].append(float(rv[Jg].min()))
        per[name]["rank"].append(r["rank"])
        per[name]["subspace_bound"].append(r["subspace_bound"])


def _config(method, d, n, c, m, p, seed_list, steps, oversample, t, trh, k_show) -> dict:
    """The ``config`` entry of track_b_samples (tr H of Assumption A.9, whether LB is defined)."""
    return {
        "method": method,
        "d": d,
        "n_clients": n,
        "c": c,
        "m": m,
        "beta": None if m is None else float(np.log(m) / np.log(d)),
        "p": p,
        "seeds": seed_list,
        "steps": steps,
        "oversample": oversample,
        "trH": trh,
        "transform": None
        if t is None
        else ("rotation-full" if isinstance(t, ImplicitOrthogonal) else "block"),
        "trH_reading": "tr(P_c H_sym P_c) over e_1..e_c (Assumption A.9)",
        "bound_defined": trh > 0,
        "rv_coords": f"e_1..e_{k_show}",
    }


def _weighting_bound(lower_bound, bmethod, framework, name, d, n, p, trh, abar, consts):
    """LB of Thm 4.2 / 4.3 for the weighting ``name`` of ``framework`` (None: DecL without
    |Ā|, or tr H ≤ 0)."""
    fw = framework_of(framework)
    lb = None
    if trh > 0 and (not fw.has_graph or (abar and name in abar)):
        kw = dict(d=float(d), p=p, n=float(n), trH=trh, constants=consts)
        if fw.has_graph:
            kw["abar"] = float(abar[name])
        lb = float(lower_bound(bmethod, framework, **kw))
    return lb


def _weighting_entry(acc: dict, lb: float | None) -> dict:
    """Per-seed arrays, their summary, the bound and the fraction of seeds meeting it."""
    arrs = {key: np.asarray(val) for key, val in acc.items()}
    entry = {
        **arrs,
        "summary": {key: _summary(arrs[key]) for key in ("s_N", "s_c", "gap", "min_rv", "rv")},
    }
    entry["bound"] = lb
    entry["fraction_meeting_bound"] = None if lb is None else float(np.mean(arrs["min_rv"] >= lb))
    return entry


def _local_entry(out: dict, n: int) -> dict:
    """The ``local`` entry: the local clients' arrays stacked (seeds, clients, ...)."""
    local_names = [f"local{i}" for i in range(n)]
    local = {
        key: np.stack([out[nm][key] for nm in local_names], axis=1)
        for key in ("rv", "s_N", "s_c", "gap", "min_rv", "rank", "subspace_bound")
    }
    local["bound"] = out["local0"]["bound"]
    local["fraction_meeting_bound"] = (
        None
        if out["local0"]["bound"] is None
        else float(np.mean(local["min_rv"] >= out["local0"]["bound"]))
    )
    local["summary"] = {
        key: _summary(local[key].reshape(-1)) for key in ("s_N", "s_c", "gap", "min_rv")
    }
    return local
