"""Optimal sets with their numerical tolerance (rules T1–T3, R4 of docs/verdict_rules.md).

* :func:`solve_target`: the Eckart–Young optimum of a symmetric target with its eigen-solver
  tolerance, tie detection and, when tied, RVs over a set of points of the optimal set.
  :func:`solve_recon` does the same for the Eq. (3) reconstruction optimum.
* :func:`spread`, :func:`gap`, :func:`min_rv`: the quantities of a claim over the optimal set,
  as :class:`theory.verdicts.Value` (point, attained values, outer interval, tolerance), which
  the rules of :mod:`theory.verdicts` turn into words.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable

import numpy as np

from theory import _validate as v
from theory.solve import EY_REL_TOL, _orth
from theory.verdicts import EPS, POSITIVITY, TIE_SAMPLES, Value, eig_tolerance


@dataclasses.dataclass(frozen=True)
class Solution:
    r"""An optimum of a linear SSL objective with what the verdicts need.

    ``rv`` (d,) at the solver's pick; ``samples`` (S, m) RVs of the first m coordinates at S
    points of the optimal set (row 0: the pick); ``lo``, ``hi`` (m,) exact per-coordinate range
    over the optimal set (``None`` if unknown: recon ties); ``rank``; ``tied`` (T2);
    ``delta_lambda`` (T1), ``delta_r`` (T3); ``eigenvalues`` (top c + 1, descending);
    ``free`` (Eq. (3) only): encoder rows the decoder ignores (:math:`c - \mathrm{rank}` where
    the regression has rank :math:`< c`), which make the optimum a set as a tie does
    (:func:`solve_recon`); ``certified`` (m,): where finite, a proved bound :math:`s_j` with
    :math:`r_j \in [1 - s_j, 1]` over the whole optimal set (:func:`certify_top`; NaN where no
    certificate applies).
    """

    rv: np.ndarray
    samples: np.ndarray
    lo: np.ndarray | None
    hi: np.ndarray | None
    rank: int
    tied: bool
    delta_lambda: float
    delta_r: float
    eigenvalues: np.ndarray
    free: int = 0
    certified: np.ndarray | None = None

    @property
    def is_set(self) -> bool:
        """Whether the optimum is a set: tied at position c (T2) or with free rows."""
        return self.tied or self.free > 0

    def summary(self) -> dict:
        out = {
            "rank": self.rank,
            "tied": self.tied,
            "delta_lambda": self.delta_lambda,
            "delta_r": self.delta_r,
        }
        if self.free:
            out["free_rows"] = self.free
        return out


def _gaussian(rng, basis: np.ndarray, n: int, lead: tuple = ()) -> np.ndarray:
    """Standard normal coordinates (*lead, q, n) in the orthonormal ``basis`` (d, q), drawn as
    ``basisᵀ z`` with z standard normal in R^d: the same distribution as drawing them in the
    basis directly, but the spanned subspaces ``basis @ g = P z`` (P the projector onto
    span(basis)) do not depend on which orthonormal basis of a tied eigenspace or of a
    projector's range the eigen-solver returned, so the samples are the same on every LAPACK
    build and CPU (up to rounding)."""
    z = rng.standard_normal((*lead, basis.shape[0], n))
    return basis.T @ z


def _random_frame(rng, basis: np.ndarray, k: int) -> np.ndarray:
    """k orthonormal columns uniformly at random in span(basis) (basis orthonormal, (d, q))."""
    q, _ = np.linalg.qr(_gaussian(rng, basis, k))
    return basis @ q


def _frames(T: np.ndarray, k: int, coords: int, rng) -> np.ndarray:
    """Cluster frames K (F, q, k) in the coordinates of the orthonormal cluster basis T (d, q):
    for each of the first ``coords`` coordinates j the frame containing t_j = T[j] and one
    orthogonal to it, then TIE_SAMPLES random ones (batched QR; the first column of a QR of
    [t_j, G] spans t_j; G from :func:`_gaussian`, so the frames' spans are basis-free)."""
    T_m = T[:coords]
    norms = np.linalg.norm(T_m, axis=1)
    t = T_m[norms > 0] / norms[norms > 0, None]  # (J, q)
    J, q = t.shape[0], T.shape[1]
    parts = []
    if J and k >= 1:
        g = _gaussian(rng, T, k, (J,))
        g[:, :, 0] = t
        parts.append(np.linalg.qr(g)[0])
    if J and k <= q - 1:
        # a random k-frame orthogonal to t_j: QR of [t_j, G], drop the first column
        g = _gaussian(rng, T, k + 1, (J,))
        g[:, :, 0] = t
        parts.append(np.linalg.qr(g)[0][:, :, 1:])
    parts.append(np.linalg.qr(_gaussian(rng, T, k, (TIE_SAMPLES,)))[0])
    return np.concatenate(parts, axis=0)


def certify_top(X, c: int, m: int, dl: float, thr: float) -> np.ndarray:
    r"""Proved RVs near 1 (rule T7): for each of the first m coordinates, :math:`s_j` with
    :math:`r_j \in [1 - s_j, 1]` over the whole optimal set, or NaN where no certificate applies.

    The coordinates split into blocks that couple only through entries
    :math:`\lvert X_{jk}\rvert \le \delta\lambda` (any split is valid; this one keeps the coupling E
    at the size of the solver's own error). Let :math:`X_0` be X without E, J a block,
    :math:`a = \lambda_{\min}(X_{JJ})`, b the largest eigenvalue of :math:`X_0` below a, and k the
    number of eigenvalues of :math:`X_0` at least a. If :math:`k \le c`, :math:`a > \mathrm{thr}`
    (positive, T2) and the gap :math:`a - b` exceeds :math:`\lVert E\rVert_2 + 2\delta\lambda`
    (eigenvalues of the blocks are computed within :math:`\delta\lambda`), the top-k eigenspace of X
    is unique and lies in every rank-c optimum, and by the Davis–Kahan sin θ theorem it holds
    :math:`\operatorname{span}(e_J)` up to
    :math:`\sin\theta \le \lVert E\rVert_2 / (a - b - 2\delta\lambda - \lVert E\rVert_2)`:
    :math:`r_j \ge 1 - \sin^2\theta` for :math:`j \in J`. :math:`\lVert E\rVert_2` is bounded by
    :math:`\lVert E\rVert_F`; with :math:`E = 0` (the model's exact zeros) :math:`s_j = 0`, so the
    comparison is decided without the eigen-solver's tolerance :math:`\delta r` (T3), which grows
    with N.

    >>> X = np.diag([5.0, 4.0, 1.0, 0.5]); X[0, 1] = X[1, 0] = 0.5
    >>> certify_top(X, 2, 3, 1e-15, 0.0).tolist()[:2], bool(np.isnan(certify_top(X, 2, 3,
    ...     1e-15, 0.0)[2]))
    ([0.0, 0.0], True)
    """
    from scipy.sparse.csgraph import connected_components

    X = np.asarray(X, float)
    strong = np.abs(X) > dl
    np.fill_diagonal(strong, True)
    # blocks: connected components of the strong couplings (the pairs above the diagonal)
    _, label = connected_components(np.triu(strong, 1), directed=False)
    E = np.where(strong, 0.0, X)
    e_norm = float(np.sqrt(np.sum(E**2)))
    blocks = {r: np.nonzero(label == r)[0] for r in set(label[:m].tolist())}
    others = np.concatenate(
        [np.linalg.eigvalsh(X[np.ix_(b, b)]) for b in (np.nonzero(label == r)[0]
                                                        for r in set(label.tolist()))]
    )  # fmt: skip
    out = np.full(m, np.nan)
    for idx in blocks.values():
        if idx.size > c:
            continue
        a = float(np.linalg.eigvalsh(X[np.ix_(idx, idx)]).min())
        k = int(np.sum(others >= a))
        below = others[others < a]
        b = float(below.max()) if below.size else -np.inf
        margin = a - b - 2.0 * dl - e_norm
        if k > c or a <= thr or margin <= 0:
            continue
        sin = e_norm / margin
        if sin < 1.0:
            out[idx[idx < m]] = sin**2
    return out


def solve_target(
    X, c: int, *, coords: int | None = None, seed: int = 0, positivity: str = "eigen-error"
) -> Solution:
    r"""Eckart–Young optimum of a symmetric target X with tolerance and tie handling (T1–T3, R4).

    :math:`W^\top W = \sum_{j \le c} (\lambda_j)_+ v_j v_j^\top` (docs/theory/optimum.md §1).
    Eigenvalues :math:`\le 2\delta\lambda` (T1) count as non-positive
    (``positivity="eigen-error"``, rule T2 as changed, see ``RULE_CHANGES``);
    ``positivity="relative"`` is the first rule, ``EY_REL_TOL`` · :math:`\lVert X\rVert_2` as in
    :func:`theory.solve.eckart_young`, which drops genuine eigenvalues
    :math:`\mu^2 \approx d^{-2/5}` once :math:`\lVert X\rVert_2 \approx N\tau^2 = N d^{2/5}`
    makes their ratio fall below :math:`10^{-9}` (:math:`d \gtrsim 10^{10}`).

    Args:
      X: (d, d) symmetric target (symmetrised).
      c: embedding width, 1 ≤ c ≤ d.
      coords: RVs of the first ``coords`` coordinates are sampled over the optimal set
        (default c).
      seed: seed of the random points of a tied optimal set.
      positivity: ``"eigen-error"`` (default) or ``"relative"`` (the first rule).

    Returns:
      :class:`Solution`.

    Example:
      >>> s = solve_target(np.diag([3.0, 1.0, 1.0]), 2)
      >>> s.tied, s.rank, float(s.rv[0].round(6)), float(s.lo[1]), float(s.hi[1])
      (True, 2, 1.0, 0.0, 1.0)
    """
    X = v.array(X, "X", ndim=2)
    if X.shape[0] != X.shape[1]:
        v.fail("X", "a square matrix", f"shape {X.shape}")
    d = X.shape[0]
    c = v.integer(c, "c", lo=1, hi=d)
    m = c if coords is None else v.integer(coords, "coords", lo=1, hi=d)
    X = 0.5 * (X + X.T)
    lam, vec = np.linalg.eigh(X)
    lam, vec = lam[::-1], vec[:, ::-1]
    norm2 = float(max(abs(lam[0]), abs(lam[-1])))
    dl = eig_tolerance(norm2, d)
    v.choice(positivity, "positivity", POSITIVITY)
    thr = 2.0 * dl if positivity == "eigen-error" else EY_REL_TOL * norm2
    pos = lam > thr
    keep = np.arange(d) < c
    kept = keep & pos
    rank = int(kept.sum())
    rv = np.sum(vec[:, kept] ** 2, axis=1)
    floor = 16.0 * c * EPS
    tied = False
    lo = hi = None
    if rank == c and c < d and lam[c - 1] - lam[c] <= 2.0 * dl:
        tied = True
    if not tied:
        below = lam[rank] if rank < d else -np.inf
        above = lam[rank - 1] if rank > 0 else np.inf
        g = above - max(below, thr) if rank > 0 else np.inf
        dr = min(1.0, dl / g) if g > 0 else 1.0
        dr += floor
        samples = rv[None, :m].copy()
        lo, hi = rv[:m].copy(), rv[:m].copy()
        cert = certify_top(X, c, m, dl, thr)
        return Solution(rv, samples, lo, hi, rank, False, dl, dr, lam[: c + 1].copy(), 0, cert)
    lc = lam[c - 1]
    in_cluster = np.abs(lam - lc) <= 2.0 * dl
    strict = lam > lc + 2.0 * dl
    S, T = vec[:, strict], vec[:, in_cluster]
    k = c - int(strict.sum())
    g_above = lam[strict].min() - lam[in_cluster].max() if strict.any() else np.inf
    rest = ~(strict | in_cluster)
    g_below = lam[in_cluster].min() - max(lam[rest].max(), thr) if rest.any() else np.inf
    g = min(g_above, g_below)
    dr = (min(1.0, dl / g) if g > 0 else 1.0) + floor
    rS = np.sum(S[:m] ** 2, axis=1)
    T_m = T[:m]
    lo = rS.copy()
    hi = rS + np.sum(T_m**2, axis=1)
    rng = np.random.default_rng(seed)
    K = _frames(T, k, m, rng)  # (F, q, k)
    cl_part = np.sum(np.matmul(T_m[None], K) ** 2, axis=2)  # (F, m)
    samples = np.concatenate([rv[None, :m], rS[None, :] + cl_part], axis=0)
    cert = certify_top(X, c, m, dl, thr)
    return Solution(rv, samples, lo, hi, rank, True, dl, dr, lam[: c + 1].copy(), 0, cert)


def solve_recon(
    sigma_uu,
    sigma_vu,
    c: int,
    *,
    coords: int | None = None,
    seed: int = 0,
    positivity: str = "eigen-error",
    free_rows: bool = True,
):
    r"""Encoder row space of the Eq. (3) reduced-rank-regression optimum with tolerance and ties.

    The encoder rows span :math:`S^+ \Sigma_{uv} U_c`, :math:`U_c` the top-c eigenvectors of
    :math:`G G^\top = \Sigma_{vu} S^+ \Sigma_{uv}` with :math:`S = \Sigma_{uu}`
    (:func:`theory.solve.recon_optimum`). T1 is applied to :math:`G G^\top` and :math:`\delta r`
    is multiplied by :math:`\operatorname{cond}(S)` (the encoder map :math:`S^+ \Sigma_{uv}`
    amplifies the subspace error by at most that). When :math:`\sigma_c` is tied, RVs are sampled
    over random cluster frames (no exact per-coordinate range: lo = hi = ``None``).

    Free rows: Eq. (3) fixes only the product :math:`W_d W_e`. Where :math:`G G^\top` has rank
    :math:`r < c` the product is the full regression, and every encoder whose row space R
    contains :math:`R_F = \operatorname{span}(S^+ \Sigma_{uv} U_r)` is optimal (the decoder gives
    the other rows zero weight). Over that set :math:`r_j` ranges over :math:`[f_j, 1]`,
    :math:`f_j = \lVert \Pi_{R_F} e_j\rVert^2`: :math:`R = R_F`, or :math:`R_F` plus the direction
    of :math:`e_j` orthogonal to it (the bounds hold with :math:`\operatorname{rank}(W) = c` too,
    as Assumption A.5 asks, whenever the space has :math:`c + 1` dimensions). The samples are the
    pick :math:`R = R_F` and rank-c members :math:`R_F \oplus V`, V a :math:`(c - r)`-frame of
    :math:`R_F^\perp` through each coordinate's direction, orthogonal to it, and at random.
    ``free_rows=False``: the rule before (the pick alone, as if the optimum were unique), kept
    for the record of that rule change (``theory.verdicts.RULE_CHANGES``).
    """
    S = 0.5 * (np.asarray(sigma_uu, float) + np.asarray(sigma_uu, float).T)
    M = np.asarray(sigma_vu, float)
    d = S.shape[0]
    c = v.integer(c, "c", lo=1, hi=d)
    m = c if coords is None else v.integer(coords, "coords", lo=1, hi=d)
    ls, Q = np.linalg.eigh(S)
    keep = ls > 1e-12 * ls.max()
    S_pinv = (Q[:, keep] / ls[keep]) @ Q[:, keep].T
    cond = float(ls.max() / ls[keep].min())
    A = S_pinv @ M.T  # encoder map: row space = span(A U_c)
    GG = M @ S_pinv @ M.T
    sol = solve_target(GG, c, coords=m, seed=seed, positivity=positivity)
    lam, vec = np.linalg.eigh(0.5 * (GG + GG.T))
    lam, vec = lam[::-1], vec[:, ::-1]
    norm = max(abs(lam[0]), abs(lam[-1]))
    thr = 2.0 * sol.delta_lambda if positivity == "eigen-error" else EY_REL_TOL * norm
    kept = (np.arange(d) < c) & (lam > thr)
    rv = _encoder_rv(A, vec[:, kept])
    dr = min(1.0, (sol.delta_r - 16.0 * c * EPS) * cond) + 16.0 * c * EPS
    sol = dataclasses.replace(sol, certified=None)  # G Gᵀ's eigenvectors are not the encoder's
    if sol.tied:
        return _recon_tied(sol, A, lam, vec, rv, dr, c, m, seed)
    if not free_rows or sol.rank >= c:
        return dataclasses.replace(
            sol, rv=rv, samples=rv[None, :m], lo=rv[:m], hi=rv[:m], delta_r=dr
        )
    return _recon_free_rows(sol, A @ vec[:, kept], rv, dr, c, m, seed)


def _encoder_rv(A: np.ndarray, U: np.ndarray) -> np.ndarray:
    """RVs of the encoder row space span(A U) of Eq. (3) (zeros when it is empty)."""
    return np.sum(_orth(A @ U, 1e-9) ** 2, axis=1)


def _recon_free_rows(sol: Solution, B: np.ndarray, rv, dr: float, c: int, m: int, seed: int):
    """Eq. (3) with rank r < c: the pick R_F = span(B) and the members R_F ⊕ V (free rows)."""
    d = B.shape[0]
    F = _orth(B, 1e-9)
    T = _orth(np.eye(d) - F @ F.T, 1e-9)  # R_F^⊥, (d, d − r)
    k = c - F.shape[1]
    T_m = T[:m]
    qq = np.sum(T_m**2, axis=1)
    rng = np.random.default_rng(seed)
    K = _frames(T, k, m, rng)  # (F, q, k)
    members = rv[None, :m] + np.sum(np.matmul(T_m[None], K) ** 2, axis=2)
    samples = np.concatenate([rv[None, :m], members], axis=0)
    lo = rv[:m] + (qq if k == T.shape[1] else 0.0)
    hi = np.minimum(rv[:m] + qq, 1.0)
    return dataclasses.replace(sol, rv=rv, samples=samples, lo=lo, hi=hi, delta_r=dr, free=k)


def _recon_tied(sol: Solution, A, lam, vec, rv, dr: float, c: int, m: int, seed: int):
    """Eq. (3) with σ_c tied (T2): RVs over random frames of the cluster (lo = hi = None)."""
    lc = lam[c - 1]
    strict = lam > lc + 2.0 * sol.delta_lambda
    in_cluster = np.abs(lam - lc) <= 2.0 * sol.delta_lambda
    k = c - int(strict.sum())
    rng = np.random.default_rng(seed)
    rows = [rv[:m]]
    for _ in range(TIE_SAMPLES):
        K = _random_frame(rng, vec[:, in_cluster], k)
        rows.append(_encoder_rv(A, np.column_stack([vec[:, strict], K]))[:m])
    return dataclasses.replace(
        sol, rv=rv, samples=np.stack(rows), lo=None, hi=None, delta_r=dr, tied=True
    )


def _coords(coords: Iterable[int], m: int) -> np.ndarray:
    idx = np.asarray(list(coords), dtype=np.int64)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= m:
        v.fail("coords", f"a non-empty set of indices in [0, {m - 1}]", list(idx))
    return idx


def _proved(sol: Solution, idx: np.ndarray) -> float | None:
    """max s_j over ``idx`` when every r_j there is proved in [1 − s_j, 1] (T7), else None."""
    if sol.certified is None:
        return None
    s = sol.certified[idx]
    return float(s.max()) if np.all(np.isfinite(s)) else None


def spread(sol: Solution, coords: Iterable[int]) -> Value:
    r"""Spread :math:`\max_k r_k - \min_k r_k` over ``coords`` (Thm 4.4's s) on the optimal set;
    tol :math:`2\delta r`, or, where every :math:`r_k` is proved in :math:`[1 - s, 1]` (T7), 0
    within s (``certified``)."""
    idx = _coords(coords, sol.samples.shape[1])
    proved = _proved(sol, idx)
    if proved is not None:
        return Value(0.0, (0.0,), 0.0, 0.0, proved, certified=True)
    sub = sol.samples[:, idx]
    vals = sub.max(1) - sub.min(1)
    if sol.lo is None:
        lo_o, hi_o = -np.inf, np.inf
    else:
        lo, hi = sol.lo[idx], sol.hi[idx]
        lo_o, hi_o = max(0.0, lo.max() - hi.min()), hi.max() - lo.min()
    if not sol.is_set:
        lo_o = hi_o = float(vals[0])
    return Value(float(vals[0]), tuple(vals.tolist()), float(lo_o), float(hi_o), 2 * sol.delta_r)


def min_rv(sol: Solution, coords: Iterable[int]) -> Value:
    r""":math:`\min_k r_k` over ``coords`` on the optimal set (the left side of Thm 4.2/4.3); tol
    :math:`\delta r`, or, where every :math:`r_k` is proved in :math:`[1 - s, 1]` (T7), 1 within s
    (``certified``)."""
    idx = _coords(coords, sol.samples.shape[1])
    proved = _proved(sol, idx)
    if proved is not None:
        return Value(1.0, (1.0,), 1.0, 1.0, proved, certified=True)
    vals = sol.samples[:, idx].min(1)
    if not sol.is_set:
        lo_o = hi_o = float(vals[0])
    elif sol.lo is None:
        lo_o, hi_o = -np.inf, np.inf
    else:
        lo_o, hi_o = float(sol.lo[idx].min()), float(sol.hi[idx].min())
    return Value(float(vals[0]), tuple(vals.tolist()), lo_o, hi_o, sol.delta_r)


def gap(sol: Solution, coords: Iterable[int]) -> Value:
    r"""Sensitivity read as the bound gap :math:`1 - \min_k r_k` over ``coords`` (the proofs' s);
    tol :math:`\delta r`."""
    m = min_rv(sol, coords)
    return Value(
        1 - m.point, tuple(1 - x for x in m.samples), 1 - m.hi, 1 - m.lo, m.tol, m.certified
    )
