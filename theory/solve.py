r"""Exact optima of the linear SSL objectives and the paper's representability measures.

* :func:`eckart_young`: the minimiser of
  :math:`L(W) = \tfrac12\lVert X - W^\top W\rVert_F^2 - \tfrac12\lVert X\rVert_F^2` over W (c, d)
  is a best PSD rank-c factor, :math:`W^\top W = \sum_{j\le c} (\lambda_j)_+ v_j v_j^\top`
  (docs/theory/optimum.md §1).
* :func:`optima`: local, FL (uniform weights) and DecL (π-weighted) optima; the π of Eq. (1)
  are column sums of the uniform mixing matrix divided by N (docs/theory/decl_weights.md §2), the
  D-SGD fixed
  point uses the stationary distribution instead (docs/theory/consensus.md §3 D7). Weights are plain
  arrays.
* :func:`paper_decl_target`: the DecL target as the paper's Eqs. (27)–(30) build it (labelled).
* :func:`recon_optimum`: the exact rank-c optimum of the Eq. (3) reconstruction loss
  (reduced-rank regression over the mask distribution).
* :func:`representability_vector` (Def. 4.1), :func:`energy_weighted_rv`, sensitivities,
  :func:`principal_angles`.
"""

from __future__ import annotations

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np

from theory import _validate as v
from theory._precision import float64
from theory._spectral_cores import _is_tracer

#: Eigenvalues of X at most ``EY_REL_TOL · ‖X‖₂`` count as non-positive in :func:`eckart_young`.
#: float64 ``eigh`` rounding is ≈ d·ε·‖X‖₂ (≈ 1e-13 relative for d = 400), far below this; the
#: data model's smallest genuine positive eigenvalues (≈ μ² ≈ d^{-2/5}) are far above it.
EY_REL_TOL = 1e-9
#: Singular values of W at most ``ROW_SPACE_REL_TOL · σ_max`` are not part of row(W). Any row kept
#: by :func:`eckart_young` has σ/σ_max ≥ √EY_REL_TOL ≈ 3e-5, well above this threshold.
ROW_SPACE_REL_TOL = 1e-6


def _square(X, field: str):
    if _is_tracer(X):
        if X.ndim != 2 or X.shape[0] != X.shape[1]:
            v.fail(field, "a square matrix", f"shape {X.shape}")
        return X
    X = v.array(X, field, ndim=2)
    if X.shape[0] != X.shape[1]:
        v.fail(field, "a square matrix", f"shape {X.shape}")
    return jnp.asarray(X)


@partial(jax.jit, static_argnames=("c",))
def _eckart_young(X: jax.Array, c: int, tol) -> jax.Array:
    X = 0.5 * (X + X.T)
    lam, vecs = jnp.linalg.eigh(X)  # ascending
    lam_top = lam[::-1][:c]
    v_top = vecs[:, ::-1][:, :c]
    scale = jnp.max(jnp.abs(lam))
    thr = EY_REL_TOL * scale if tol is None else tol
    keep = lam_top > thr
    root = jnp.sqrt(jnp.where(keep, lam_top, 0.0))
    return root[:, None] * v_top.T


@float64
def eckart_young(X, c: int, *, tol: float | None = None) -> jax.Array:
    r"""Best PSD rank-c factor W (c, d):
    :math:`W^\top W = \sum_{j\le c} (\lambda_j)_+ v_j v_j^\top`.

    Minimises :math:`\tfrac12\lVert X - W^\top W\rVert_F^2`
    (:math:`\equiv -\operatorname{tr}(W X W^\top) + \tfrac12\lVert W^\top W\rVert_F^2`,
    docs/theory/optimum.md §1; the paper's Eq. (16) stationary condition with Eckart–Young,
    A.6.2). Row j is :math:`\sqrt{\lambda_j}\, v_j^\top` for the j-th largest eigenpair when
    :math:`\lambda_j > \mathrm{tol}`, else zero — rounding noise never adds a spurious direction.
    Ties at the c-th eigenvalue make the optimum non-unique; ``eigh`` picks one.

    Args:
      X: (d, d) symmetric target (it is symmetrised).
      c: number of rows, :math:`1 \le c \le d` (static under ``jit``).
      tol: eigenvalues ≤ tol count as non-positive; ``None`` means ``EY_REL_TOL · ‖X‖₂``.

    Returns:
      W of shape (c, d), rows in decreasing eigenvalue order.

    Example:
      >>> W = eckart_young(np.diag([3.0, -1.0, 2.0]), 2)
      >>> np.round(np.asarray(W.T @ W), 6).tolist()
      [[3.0, 0.0, 0.0], [0.0, 0.0, 0.0], [0.0, 0.0, 2.0]]
    """
    X = _square(X, "X")
    c = v.integer(c, "c", lo=1, hi=X.shape[0])
    if tol is not None and not _is_tracer(tol):
        tol = v.real(tol, "tol", lo=0.0)
    return _eckart_young(X, c, tol)


def eckart_young_np(X: np.ndarray, c: int, tol: float | None = None) -> np.ndarray:
    r"""NumPy/SciPy twin of :func:`eckart_young` for the non-jitted solvers.

    Computes only the top-c eigenpairs (``scipy.linalg.eigh(subset_by_index=...)``) and the
    smallest eigenvalue (for the scale :math:`\lVert X\rVert_2` of the positivity threshold);
    same rows, same threshold as the jitted version, several times faster at large d.
    """
    import scipy.linalg  # here: importing theory.solve (and its _orth) loads no SciPy

    X = 0.5 * (X + X.T)
    d = X.shape[0]
    lam, vecs = scipy.linalg.eigh(X, subset_by_index=[d - c, d - 1])
    lam_min = scipy.linalg.eigh(X, eigvals_only=True, subset_by_index=[0, 0])[0]
    lam, vecs = lam[::-1], vecs[:, ::-1]
    scale = max(abs(lam[0]), abs(lam_min))
    thr = EY_REL_TOL * scale if tol is None else tol
    root = np.sqrt(np.where(lam > thr, lam, 0.0))
    return root[:, None] * vecs.T


def row_space_basis(W, *, rel_tol: float = ROW_SPACE_REL_TOL) -> np.ndarray:
    r"""Orthonormal basis (d, r) of row(W): right singular vectors with
    :math:`\sigma > \texttt{rel\_tol} \cdot \sigma_{\max}`.

    W = 0 gives an empty (d, 0) basis. The same threshold is used by the simulation metrics.
    """
    W = v.array(W, "W", ndim=2)
    rel_tol = v.real(rel_tol, "rel_tol", lo=0.0, hi=1.0, hi_open=True)
    _, s, vt = np.linalg.svd(W, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return np.zeros((W.shape[1], 0))
    return vt[s > rel_tol * s[0]].T


def representability_vector(W, *, rel_tol: float = ROW_SPACE_REL_TOL) -> np.ndarray:
    r"""Representability vector :math:`r_k = \lVert \Pi_{\mathrm{row}(W)} e_k\rVert^2`, shape (d,)
    (Def. 4.1 of arXiv 2607.02447).

    :math:`r_k = \sum_j (e_k^\top v_j)^2` over an orthonormal basis :math:`\{v_j\}` of row(W)
    (:func:`row_space_basis`); :math:`0 \le r_k \le 1` and :math:`\sum_k r_k = \operatorname{rank}`.

    Example:
      >>> representability_vector(np.array([[1.0, 1.0, 0.0]])).round(6).tolist()
      [0.5, 0.5, 0.0]
    """
    basis = row_space_basis(W, rel_tol=rel_tol)
    return np.sum(basis**2, axis=1)


@float64
@jax.jit
def energy_weighted_rv(W: jax.Array) -> jax.Array:
    r"""Energy-weighted RV: :math:`\sum_j \sigma_j^2 (v_j^\top e_k)^2 / \sum_j \sigma_j^2`
    :math:`= \mathrm{diag}(W^\top W)_k / \lVert W\rVert_F^2`, shape (d,).

    Not in the paper (an extension): weights each row-space direction by its energy, so it is
    insensitive to a threshold. Normalised to sum to 1 over k (not to max 1 like Def. 4.1).
    """
    col = jnp.sum(W * W, axis=0)
    return col / jnp.sum(col)


def sensitivity(r, coords) -> float:
    r"""Spread :math:`\max_{k\in\mathrm{coords}} r_k - \min_{k\in\mathrm{coords}} r_k`
    (Thm 4.4's s; ``coords`` 0-based)."""
    r = v.array(r, "r", ndim=1)
    idx = np.asarray(list(coords), dtype=np.int64)
    if idx.size == 0 or idx.min() < 0 or idx.max() >= r.size:
        v.fail("coords", f"a non-empty set of indices in [0, {r.size - 1}]", coords)
    sub = r[idx]
    return float(sub.max() - sub.min())


def sensitivity_N(r, n_clients: int) -> float:
    r"""Spread over :math:`k \in [N]` (:math:`e_1, \dots, e_N`): the coordinates the paper's
    proofs actually bound.

    Theorems 4.2/4.3 bound :math:`r_k` only for :math:`k \in [N]` (docs/theory/errata.md (e));
    this is the proof's reading.
    """
    n = v.integer(n_clients, "n_clients", lo=1)
    return sensitivity(r, range(n))


def sensitivity_c(r, c: int) -> float:
    r"""Spread over the leading c coordinates: the literal definition in Thm 4.4 / Def. 4.1.

    With :math:`c \ge 2N` this includes the rare / noise axes :math:`e_{N+1}, \dots, e_c`
    (docs/theory/errata.md (e)).
    """
    c = v.integer(c, "c", lo=1)
    return sensitivity(r, range(c))


def _orth(A: np.ndarray, rel_tol: float = 1e-12) -> np.ndarray:
    u, s, _ = np.linalg.svd(A, full_matrices=False)
    if s.size == 0 or s[0] == 0.0:
        return np.zeros((A.shape[0], 0))
    return u[:, s > rel_tol * s[0]]


def principal_angles(A, B) -> np.ndarray:
    r"""Principal angles (radians, ascending) between the column spaces of A (d, k) and B (d, l).

    Cosines are the singular values of :math:`Q_A^\top Q_B`; angles below :math:`\pi/4` use the
    sines (singular values of :math:`Q_B - Q_A Q_A^\top Q_B`) for accuracy (Björck & Golub 1973;
    Knyazev & Argentati 2002). Returns :math:`\min(\operatorname{rank} A, \operatorname{rank} B)`
    angles.
    """
    A = v.array(A, "A", ndim=2)
    B = v.array(B, "B", ndim=2)
    if A.shape[0] != B.shape[0]:
        v.fail("B", f"an array with {A.shape[0]} rows (like A)", f"shape {B.shape}")
    qa, qb = _orth(A), _orth(B)
    if qa.shape[1] < qb.shape[1]:
        qa, qb = qb, qa
    k = qb.shape[1]
    if k == 0:
        return np.zeros(0)
    cos = np.linalg.svd(qa.T @ qb, compute_uv=False)[:k]
    sin = np.linalg.svd(qb - qa @ (qa.T @ qb), compute_uv=False)[:k]
    ang_cos = np.arccos(np.clip(cos, -1.0, 1.0))  # descending cos -> ascending angles
    ang_sin = np.arcsin(np.clip(sin[::-1], -1.0, 1.0))  # ascending sines -> ascending angles
    return np.where(ang_cos < np.pi / 4, ang_sin, ang_cos)


def _weights(weights, n: int, field: str) -> np.ndarray:
    w = v.array(weights, field, shape=(n,))
    if np.any(w < 0) or abs(w.sum() - 1.0) > 1e-9:
        v.fail(field, "non-negative weights summing to 1", w.tolist())
    return w


def _targets(targets) -> np.ndarray:
    X = v.array(targets, "targets", ndim=3)
    if X.shape[1] != X.shape[2] or X.shape[0] < 1 or X.shape[1] < 1:
        v.fail("targets", "an array of shape (N, d, d) with N, d >= 1", f"shape {X.shape}")
    return v.symmetric(X, "targets")


def global_target(targets, weights) -> np.ndarray:
    r""":math:`X_w = \sum_j w_j X_j`, (d, d): the target of :math:`\min_W \sum_j w_j L_j(W)` (the
    loss is linear in X).

    Args:
      targets: (N, d, d) per-client targets.
      weights: (N,) non-negative, summing to 1 (1/N for FL; π for DecL,
      docs/theory/decl_weights.md §2).
    """
    X = _targets(targets)
    w = _weights(weights, X.shape[0], "weights")
    return np.einsum("n,nde->de", w, X)


def optima(
    targets,
    c: int,
    *,
    decl_weights=None,
    stationary_weights=None,
    tol: float | None = None,
    local: bool = True,
) -> dict:
    r"""Exact local, FL and DecL optima (Eq. 1 of arXiv 2607.02447, exact weights).

    Args:
      targets: (N, d, d) per-client targets :math:`X_i`.
      c: embedding width.
      decl_weights: :math:`\pi_j = (\text{column } j \text{ sum of the uniform mixing matrix})/N`,
        the weights Eq. (1) induces (docs/theory/decl_weights.md §2); e.g.
        ``theory.spectral.objective_weights``.
        Optional.
      stationary_weights: the stationary distribution of the mixing matrix, the objective D-SGD
        converges to (docs/theory/consensus.md §3 D7); e.g. ``theory.spectral.stationary_weights``.
        Optional.
      tol: passed to :func:`eckart_young`.
      local: also compute the N local optima (skip them when only global optima are needed).

    Returns:
      dict with ``"local"`` (N, c, d), ``"fl"`` (c, d), ``"target_fl"`` (d, d), and when the
      weights are given ``"decl"`` / ``"target_decl"`` and ``"decl_stationary"`` /
      ``"target_decl_stationary"``.
    """
    X = _targets(targets)
    n, d = X.shape[0], X.shape[1]
    c = v.integer(c, "c", lo=1, hi=d)
    if tol is not None:
        tol = v.real(tol, "tol", lo=0.0)
    out = {"local": np.stack([eckart_young_np(Xi, c, tol) for Xi in X])} if local else {}
    out["target_fl"] = global_target(X, np.full(n, 1.0 / n))
    out["fl"] = eckart_young_np(out["target_fl"], c, tol)
    for key, w in (("decl", decl_weights), ("decl_stationary", stationary_weights)):
        if w is not None:
            out["target_" + key] = global_target(X, _weights(w, n, key + "_weights"))
            out[key] = eckart_young_np(out["target_" + key], c, tol)
    return out


def paper_decl_target(targets, abar: float) -> np.ndarray:
    r"""DecL target as the paper's Eqs. (27)–(30) build it — labelled "paper", NOT Eq. (1).

    The paper works with diagonal targets and, in Eq. (30), gives *every* coordinate
    :math:`k \in [N]` the neighbourhood-averaged value
    :math:`(1 - 1/|\bar A|)\cdot(\text{value on a client that does not own } e_k)`
    :math:`+ (1/|\bar A|)\cdot(\text{value on the owner, client } k)`, as if every client's
    neighbourhood contained the owner with weight :math:`1/|\bar A|` (docs/theory/errata.md (c)).
    Generalised to any targets:

    $$
    X_{\mathrm{paper}} = \operatorname{diag}(t), \qquad
    t_k = \begin{cases}
    \frac{1}{|\bar A|} X_{k,kk} + \big(1 - \frac{1}{|\bar A|}\big) \operatorname{mean}_{j\ne k}
    X_{j,kk} & (k < N), \\
    \operatorname{mean}_j X_{j,kk} & (k \ge N).
    \end{cases}
    $$

    Off-diagonal entries are dropped as in the paper (Eq. 29 is diagonal). The :math:`\Theta(1)`
    term :math:`\kappa/|\bar A|` that Eq. (30) drops in its last line is kept. At
    :math:`|\bar A| = N` this equals :math:`\operatorname{diag}(\bar X_{\mathrm{FL}})`.
    DEVIATION from Eq. (1) on purpose: the exact DecL target is ``global_target(targets, π)``.

    Args:
      targets: (N, d, d) per-client targets (client i owns coordinate :math:`e_i`, 0-based
        i < N).
      abar: average connectivity :math:`|\bar A| \in [1, N]` (neighbourhood size including
        self).
    """
    X = _targets(targets)
    n = X.shape[0]
    abar = v.real(abar, "abar", lo=1.0, hi=float(n))
    dg = np.diagonal(X, axis1=1, axis2=2)  # (N, d)
    t = dg.mean(axis=0)
    own = dg[np.arange(n), np.arange(n)]
    others = (dg[:, :n].sum(axis=0) - own) / (n - 1)
    t[:n] = own / abar + (1.0 - 1.0 / abar) * others
    return np.diag(t)


def recon_optimum(sigma_uu, sigma_vu, c: int, *, rel_tol: float = 1e-12):
    r"""Exact rank-c optimum of the linear reconstruction loss Eq. (3) (reduced-rank regression).

    Minimise :math:`F(W_e, W_d) = \mathbb{E}\lVert W_d W_e u - v\rVert^2` over :math:`W_e` (c, d),
    :math:`W_d` (d, c), with :math:`u = x \odot m`, :math:`v = x \odot (1 - m)` and the moments of
    :func:`theory.objectives.recon_moments` (expectation over data and masks). Derivation, with
    :math:`B = W_d W_e` (any matrix of rank ≤ c), :math:`S = \Sigma_{uu}` (PSD):

    1. :math:`F = \operatorname{tr}(B S B^\top) - 2 \operatorname{tr}(B \Sigma_{uv})`
       :math:`+ \operatorname{tr}(\Sigma_{vv})`.
    2. :math:`u \in \operatorname{range}(S)` almost surely, so
       :math:`\Sigma_{vu} = \Sigma_{vu} S^+ S`. Completing the square,
       :math:`F = \lVert B S^{1/2} - \Sigma_{vu} S^{+1/2}\rVert_F^2`
       :math:`+ \operatorname{tr}(\Sigma_{vv}) - \lVert \Sigma_{vu} S^{+1/2}\rVert_F^2`.
    3. :math:`C = B S^{1/2}` ranges over all rank-≤c matrices whose rows lie in range(S); by
       Eckart–Young the best is :math:`C^* = U_c U_c^\top G` with
       :math:`G = \Sigma_{vu} S^{+1/2} = U \Sigma V^\top` (SVD), i.e. :math:`U_c` = top-c
       eigenvectors of :math:`G G^\top = \Sigma_{vu} S^+ \Sigma_{uv}`.
    4. :math:`B^* = C^* S^{+1/2} = U_c U_c^\top \Sigma_{vu} S^+` (the projection of the full
       regression :math:`B_0 = \Sigma_{vu} S^+` onto the top-c eigenspace of
       :math:`\Sigma_{vu} S^+ \Sigma_{uv}`), and
       :math:`F^* = \operatorname{tr}(\Sigma_{vv}) - \sum_{j\le c} \sigma_j^2`.
    5. Factor :math:`W_d = U_c`, :math:`W_e = U_c^\top \Sigma_{vu} S^+`. Every optimal
       factorisation is :math:`(W_d G, G^{-1} W_e)`, so the encoder row space
       :math:`\operatorname{span}(S^+ \Sigma_{uv} U_c)` is determined whenever
       :math:`\sigma_c > 0` (and unique when :math:`\sigma_c > \sigma_{c+1}`).

    S singular (possible only for finite samples with a coordinate that is zero in every
    sample; in population :math:`\operatorname{diag}(S) \ge (1 - p)\mu^2 > 0`): :math:`S^+` is
    the pseudo-inverse, eigenvalues of S at most ``rel_tol · ‖S‖₂`` are treated as zero; B then
    acts as zero on null(S) (minimum-norm solution). Encoder rows j with
    :math:`\sigma_j \le \texttt{rel\_tol} \cdot \sigma_1` are set to zero (no spurious directions).

    Args:
      sigma_uu: (d, d) :math:`\Sigma_{uu} = \mathbb{E}[u u^\top]`.
      sigma_vu: (d, d) :math:`\Sigma_{vu} = \mathbb{E}[v u^\top]`.
      c: rank, :math:`1 \le c \le d`.

    Returns:
      ``(W_e (c, d), W_d (d, c), singular_values (d,))``: all singular values :math:`\sigma_j`
      of :math:`G = \Sigma_{vu} S^{+1/2}` (descending; :math:`\sigma_j^2` are the eigenvalues of
      :math:`\Sigma_{vu} S^+ \Sigma_{uv}`). The optimum is
      :math:`F^* = \operatorname{tr}(\Sigma_{vv}) - \sum_{j\le c} \sigma_j^2`, i.e.
      :math:`-\sum_{j\le c} \sigma_j^2` for :func:`theory.objectives.recon_loss` (which drops
      the constant).
    """
    S = np.asarray(_square(sigma_uu, "sigma_uu"))
    M = np.asarray(_square(sigma_vu, "sigma_vu"))
    d = S.shape[0]
    if M.shape != S.shape:
        v.fail("sigma_vu", f"an array of shape ({d}, {d})", f"shape {M.shape}")
    c = v.integer(c, "c", lo=1, hi=d)
    lam, Q = np.linalg.eigh(0.5 * (S + S.T))
    keep = lam > rel_tol * max(lam.max(), 0.0) if lam.max() > 0 else np.zeros_like(lam, bool)
    inv_sqrt = np.where(keep, 1.0 / np.sqrt(np.where(keep, lam, 1.0)), 0.0)
    S_pinv_half = (Q * inv_sqrt) @ Q.T
    S_pinv = (Q * inv_sqrt**2) @ Q.T
    G = M @ S_pinv_half
    U, sig, _ = np.linalg.svd(G)
    U_c = U[:, :c]
    W_e = U_c.T @ M @ S_pinv
    live = sig[:c] > rel_tol * sig[0] if sig[0] > 0 else np.zeros(c, bool)
    W_e = np.where(live[:, None], W_e, 0.0)
    return W_e, U_c, sig


def recon_optima(sigma_uu, sigma_vu, c: int, *, decl_weights=None, stationary_weights=None) -> dict:
    r"""Local / FL / DecL optima of Eq. (3): the loss is linear in
    :math:`(\Sigma_{uu}, \Sigma_{vu})`, so a weighted objective :math:`\sum_j w_j F_j` has moments
    :math:`\sum_j w_j \Sigma_{uu,j}` and :math:`\sum_j w_j \Sigma_{vu,j}`.

    Args:
      sigma_uu, sigma_vu: (N, d, d) per-client moments.
      c, decl_weights, stationary_weights: as in :func:`optima`.

    Returns:
      dict like :func:`optima` with encoders :math:`W_e` under ``"local"`` (N, c, d), ``"fl"``,
      ``"decl"``, ``"decl_stationary"``, and ``"sv_*"`` all d singular values
      (:math:`\sigma_j^2` are the eigenvalues of :math:`\Sigma_{vu} \Sigma_{uu}^+ \Sigma_{uv}`).
    """
    uu, vu = _targets(sigma_uu), _targets(sigma_vu)
    n = uu.shape[0]
    if vu.shape != uu.shape:
        v.fail("sigma_vu", f"an array of shape {uu.shape}", f"shape {vu.shape}")
    loc = [recon_optimum(uu[i], vu[i], c) for i in range(n)]
    out = {"local": np.stack([r[0] for r in loc]), "sv_local": np.stack([r[2] for r in loc])}
    weights = {
        "fl": np.full(n, 1.0 / n),
        "decl": decl_weights,
        "decl_stationary": stationary_weights,
    }
    for key, w in weights.items():
        if w is not None:
            w = _weights(w, n, key + "_weights")
            W_e, _, sv = recon_optimum(
                np.einsum("n,nde->de", w, uu), np.einsum("n,nde->de", w, vu), c
            )
            out[key], out["sv_" + key] = W_e, sv
    return out
