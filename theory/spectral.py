"""Spectral quantities of mixing matrices (extension: arXiv 2607.02447's theory uses only |Ā|).

Every numeric function here is ``jax.jit``-compiled, float64, and accepts one matrix
``(n, n)`` or a batch ``(b, n, n)`` (it then ``vmap``\\ s internally); each can also be
``jax.vmap``\\ ped by the caller. Shapes are checked at trace time; *values* are not checked
inside ``jit`` — run :func:`theory.topology.validate_mixing` first on untrusted input.

Definitions (toolkit convention x <- W x, rows of W sum to 1; spec
docs/theory/consensus.md §0, §3 D7):

* π — stationary weights: the left Perron vector, πᵀW = πᵀ, Σπ = 1.
* S = D_π^{1/2} W D_π^{-1/2} — the π-symmetrised similar matrix. W is *reversible*
  (π_i W_ij = π_j W_ji) iff S is symmetric; then the eigenvalues of W are real and equal to
  those of S. All rules in :data:`theory.topology.MIXINGS` give reversible W.
* λ = ``contraction(W)`` := ‖D_π^{1/2}(W − 1πᵀ)D_π^{-1/2}‖₂, the one-step contraction of the
  disagreement x − 1(πᵀx) in the π-weighted norm. For reversible W this equals
  max(|λ₂|, |λ_N|); for doubly-stochastic W (π = 1/N) it equals ‖W − J‖₂, which covers the
  non-reversible directed exponential graph of Ying et al. (there: max_{k≠0}|eig_k|, as W is
  circulant).
* spectral gap δ = 1 − λ; Koloskova et al.'s p = 1 − λ² (tight for a fixed W, τ = 1).
* |A_i| = deg_i + 1 (the client counts itself) and |Ā| = mean_i |A_i| (Section 3.1).
* Eq. (1) objective weights π^obj_j = (column sum j of W)/N; with the paper's uniform W these
  are the weights the DecL objective puts on L_j (docs/theory/decl_weights.md §2). They differ from
  the stationary π on irregular graphs.
* n_W(γ) — effective number of neighbours of Vogels, Hendrikx & Jaggi (NeurIPS 2022).
"""

from __future__ import annotations

import functools
import math

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from theory import _validate as v
from theory._precision import float64

_REV_TOL = 1e-9  # tolerance of the reversibility / stochasticity tests (float64)
_SMITH_STEPS = 64  # doubling steps for the Lyapunov sum: covers 2**64 terms of the series


# --------------------------------------------------------------------------------------------
# plumbing
# --------------------------------------------------------------------------------------------


def _matrix(W, field: str = "W"):
    """Cast to float64 and check (static) shape: (n, n) or (b, n, n) with n >= 1."""
    W = jnp.asarray(W)
    if W.ndim not in (2, 3) or W.shape[-1] != W.shape[-2] or W.shape[-1] < 1:
        v.fail(field, "a square matrix (n, n) or a batch (b, n, n)", f"shape {W.shape}")
    return W.astype(jnp.float64)


def _batch(core, W, *args):
    """Apply the unbatched ``core`` to one matrix or vmap it over a leading batch axis."""
    if W.ndim == 3:
        return jax.vmap(core, in_axes=(0,) + (None,) * len(args))(W, *args)
    return core(W, *args)


def _is_tracer(x) -> bool:
    return isinstance(x, jax.core.Tracer)


# --------------------------------------------------------------------------------------------
# unbatched cores (one (n, n) matrix)
# --------------------------------------------------------------------------------------------


def _stationary(W):
    # Solve (I − Wᵀ + 11ᵀ) π = 1: for irreducible W its unique solution is the stationary
    # distribution (πᵀW = πᵀ and 1ᵀπ = 1 imply it; the matrix is then nonsingular).
    n = W.shape[0]
    m = jnp.eye(n, dtype=W.dtype) - W.T + jnp.ones((n, n), dtype=W.dtype)
    pi = jnp.linalg.solve(m, jnp.ones((n,), dtype=W.dtype))
    return pi / jnp.sum(pi)


def _symmetrised(W, pi):
    d = jnp.sqrt(jnp.abs(pi))
    return d[:, None] * W / d[None, :], d


def _reversible(W, pi):
    s, _ = _symmetrised(W, pi)
    return jnp.max(jnp.abs(s - s.T)) <= _REV_TOL


def _eigenvalues(W):
    pi = _stationary(W)
    s, _ = _symmetrised(W, pi)
    ev = jnp.linalg.eigvalsh(0.5 * (s + s.T))[::-1]
    return jnp.where(_reversible(W, pi), ev, jnp.nan)


def _sturm_count(diag, off2, x):
    # Number of eigenvalues < x of the symmetric tridiagonal matrix (diag, sqrt(off2)), by the
    # signs of the LDLᵀ pivots of T − xI (Sturm sequence, as in LAPACK dstebz); x has shape (k,).
    pivmin = jnp.finfo(diag.dtype).tiny * jnp.maximum(1.0, jnp.max(off2, initial=0.0))

    def guard(q):
        return jnp.where(jnp.abs(q) < pivmin, -pivmin, q)

    q0 = guard(diag[0] - x)

    def step(q, inputs):
        d_i, e2_i = inputs
        q = guard(d_i - x - e2_i / q)
        return q, (q < 0).astype(jnp.int32)

    _, negative = jax.lax.scan(step, q0, (diag[1:], off2))
    return (q0 < 0).astype(jnp.int32) + jnp.sum(negative, axis=0, dtype=jnp.int32)


def _extreme_eigenvalues(g):
    """(λ_min, λ_max) of a symmetric matrix: Householder tridiagonalisation, then bisection.

    Cheaper than a full ``eigvalsh``/SVD on CPU (no eigenvectors); accurate to a few ulps of
    ‖g‖ after 64 halvings of the Gershgorin interval.
    """
    n = g.shape[0]
    if n == 1:
        return g[0, 0], g[0, 0]
    _, diag, off, _ = jax.lax.linalg.tridiagonal(g, lower=True)
    off2 = off * off
    absoff = jnp.abs(off)
    radius = jnp.max(
        jnp.abs(diag)
        + jnp.concatenate([jnp.zeros((1,), g.dtype), absoff])
        + jnp.concatenate([absoff, jnp.zeros((1,), g.dtype)])
    )
    target = jnp.array([0, n - 1], dtype=jnp.int32)  # indices (ascending) of λ_min, λ_max

    def halve(_, bounds):
        lo, hi = bounds
        mid = 0.5 * (lo + hi)
        above = _sturm_count(diag, off2, mid) > target
        return jnp.where(above, lo, mid), jnp.where(above, mid, hi)

    lo0 = jnp.full((2,), -radius - 1e-300)
    hi0 = jnp.full((2,), radius + 1e-300)
    lo, hi = jax.lax.fori_loop(0, 64, halve, (lo0, hi0))
    mid = 0.5 * (lo + hi)
    return mid[0], mid[1]


def _contraction_with_pi(W, pi):
    # M = D^{1/2}(W − 1πᵀ)D^{-1/2} = S − √π√πᵀ. Reversible W: M is symmetric and
    # ‖M‖₂ = max(|λ_min(M)|, |λ_max(M)|). Otherwise ‖M‖₂ = √λ_max(MᵀM) (accurate to ~1e-8
    # absolute when λ itself is below ~1e-8, because of the squaring).
    s, d = _symmetrised(W, pi)
    m = s - jnp.outer(d, d)
    rev = jnp.max(jnp.abs(m - m.T)) <= _REV_TOL
    g = jnp.where(rev, 0.5 * (m + m.T), m.T @ m)
    lo, hi = _extreme_eigenvalues(g)
    return jnp.where(rev, jnp.maximum(jnp.abs(lo), jnp.abs(hi)), jnp.sqrt(jnp.maximum(hi, 0.0)))


def _contraction(W):
    return _contraction_with_pi(W, _stationary(W))


def _lyapunov_trace(W, gamma):
    # C = Σ_{t>=0} γ^t W^{t+1} (W^{t+1})ᵀ, the stationary covariance of x <- W(√γ x + ξ),
    # by Smith's doubling: X <- X + A X Aᵀ, A <- A², starting from X = WWᵀ, A = √γ W. After k
    # steps X holds the first 2^k terms; stop once A = (√γW)^(2^k) is negligible (its entries
    # bound every remaining term's factor), or after _SMITH_STEPS steps.
    def cond(carry):
        _, a, k = carry
        return (k < _SMITH_STEPS) & (jnp.max(jnp.abs(a)) > 1e-18)

    def body(carry):
        x, a, k = carry
        return x + a @ x @ a.T, a @ a, k + 1

    start = (W @ W.T, jnp.sqrt(gamma) * W, jnp.asarray(0, dtype=jnp.int32))
    x, _, _ = jax.lax.while_loop(cond, body, start)
    return jnp.trace(x)


def _effective_neighbours(W, gamma):
    n = W.shape[0]
    mean_var = _lyapunov_trace(W, gamma) / n
    return 1.0 / ((1.0 - gamma) * mean_var)


def _primitive(W):
    # Wielandt: a nonnegative n×n matrix is primitive iff W^m > 0 with m = (n−1)² + 1; every
    # power >= m is then positive, so test the support of W^(2^k) with 2^k >= m.
    n = W.shape[0]
    k = max(1, math.ceil(math.log2((n - 1) ** 2 + 1)))
    b = (W > 0).astype(W.dtype)

    def square(p, _):
        return (p @ p > 0).astype(p.dtype), None

    b, _ = jax.lax.scan(square, b, None, length=k)
    return jnp.all(b > 0)


def _stochasticity(W):
    n = W.shape[0]
    tol = _REV_TOL * max(1, n)
    pi = _stationary(W)
    row = jnp.max(jnp.abs(W.sum(axis=1) - 1.0)) <= tol
    col = jnp.max(jnp.abs(W.sum(axis=0) - 1.0)) <= tol
    nonneg = jnp.all(W >= 0)
    return {
        "row": row,
        "column": col,
        "doubly": row & col,
        "symmetric": jnp.max(jnp.abs(W - W.T)) <= _REV_TOL,
        "nonnegative": nonneg,
        "primitive": nonneg & _primitive(W),
        "reversible": _reversible(W, pi),
    }


def _checked(kind: str, field: str = "W"):
    """Decorator: validate the first argument when it is concrete (not traced) — finite, and
    for ``kind="stochastic"`` non-negative and row-stochastic (to 1e-8·n), for ``"mixing"``
    also irreducible (π unique), for ``"adjacency"`` a 0/1 matrix. One-line ValueError naming
    ``field`` otherwise."""

    def wrap(fn):
        @functools.wraps(fn)
        def checked(W, *args, **kwargs):
            if not _is_tracer(W):
                _check_matrix(W, field, kind)
            return fn(W, *args, **kwargs)

        return checked

    return wrap


def _check_matrix(W, field: str, kind: str) -> None:
    a = v.array(W, field)
    if a.ndim not in (2, 3) or a.shape[-1] != a.shape[-2] or a.shape[-1] < 1:
        v.fail(field, "a square matrix (n, n) or a batch (b, n, n)", f"shape {a.shape}")
    n = a.shape[-1]
    if kind == "adjacency":
        if not np.all((a == 0) | (a == 1)):
            v.fail(field, "a 0/1 adjacency matrix", "other entries")
        return
    if np.any(a < -1e-12):
        v.fail(field, "entrywise >= 0 (a mixing matrix)", f"min entry {a.min():.3g}")
    rows = a.sum(axis=-1)
    if np.max(np.abs(rows - 1.0)) > 1e-8 * max(1, n):
        v.fail(field, "row-stochastic (rows sum to 1)", f"row sums in [{rows.min()}, {rows.max()}]")
    if kind != "mixing":
        return
    from scipy.sparse.csgraph import connected_components

    for w in a.reshape(-1, n, n):
        if n > 1 and connected_components(w > 0, directed=True, connection="strong")[0] > 1:
            v.fail(field, "irreducible (a strongly connected support)", "a reducible matrix")


# --------------------------------------------------------------------------------------------
# public, jitted
# --------------------------------------------------------------------------------------------


@_checked("mixing")
@float64
@jax.jit
def stationary_weights(W):
    """Stationary weights π: left Perron vector of W, πᵀW = πᵀ, Σ_i π_i = 1.

    This is the weighting D-SGD with W actually optimises at consensus
    (docs/theory/consensus.md §3 D7);
    for the paper's uniform W, π_i ∝ |A_i|. Needs W irreducible (connected graph).

    Args: W (n, n) or (b, n, n), row-stochastic. Returns (n,) or (b, n).

    >>> from theory.topology import star, uniform_mixing
    >>> np.round(np.asarray(stationary_weights(uniform_mixing(star(4)))), 4).tolist()
    [0.4, 0.2, 0.2, 0.2]
    """
    return _batch(_stationary, _matrix(W))


@_checked("mixing")
@float64
@jax.jit
def objective_weights(W):
    """Eq. (1) weights π^obj_j = (1/N) Σ_i W_ij (column sums / N) of arXiv 2607.02447.

    With the paper's uniform W (w_ij = 1/|A_i|), Σ_i (1/N)(1/|A_i|) Σ_{j∈A_i} L_j = Σ_j π^obj_j L_j
    (docs/theory/decl_weights.md §2). Equals 1/N for every doubly-stochastic W.

    Args: W (n, n) or (b, n, n). Returns (n,) or (b, n).

    >>> from theory.topology import star, uniform_mixing
    >>> np.asarray(objective_weights(uniform_mixing(star(4)))).tolist()
    [0.4375, 0.1875, 0.1875, 0.1875]
    """
    W = _matrix(W)
    return W.sum(axis=-2) / W.shape[-1]


@_checked("stochastic")
@float64
@jax.jit
def eigenvalues(W):
    """Real eigenvalues of a reversible W, descending (λ₁ = 1 >= λ₂ >= ... >= λ_N).

    Computed as ``eigvalsh`` of the π-symmetrised similar matrix D_π^{1/2} W D_π^{-1/2}.
    Returns NaN entries for a non-reversible W (its spectrum may be complex; use
    :func:`eigenvalues_complex`). Args: W (n, n) or (b, n, n). Returns (n,) or (b, n).
    """
    return _batch(_eigenvalues, _matrix(W))


def eigenvalues_complex(W) -> np.ndarray:
    """All (complex) eigenvalues of any square W, by descending modulus (NumPy, not jitted).

    For non-reversible matrices such as :func:`theory.topology.exponential_mixing`.
    """
    w = v.array(W, "W")
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        v.fail("W", "a square matrix (n, n)", f"shape {w.shape}")
    ev = np.linalg.eigvals(w)
    return ev[np.argsort(-np.abs(ev), kind="stable")]


@_checked("stochastic")
@float64
@jax.jit
def lambda2(W):
    """Second-largest eigenvalue λ₂ of a reversible W (NaN if W is not reversible).

    Args: W (n, n) or (b, n, n). Returns () or (b,).
    """
    return eigenvalues(W)[..., 1]


@_checked("stochastic")
@float64
@jax.jit
def lambda_min(W):
    """Smallest eigenvalue λ_N of a reversible W (NaN if W is not reversible)."""
    return eigenvalues(W)[..., -1]


@_checked("mixing")
@float64
@jax.jit
def contraction(W):
    """Contraction factor λ = ‖D_π^{1/2}(W − 1πᵀ)D_π^{-1/2}‖₂ ∈ [0, 1].

    = max(|λ₂|, |λ_N|) for reversible W (all rules in MIXINGS), and = ‖W − J‖₂ for
    doubly-stochastic W, including the non-reversible directed exponential graph
    (docs/theory/consensus.md §0). Not in the paper's theory: an extension
    (docs/theory/consensus.md, note at the top).

    Args: W (n, n) or (b, n, n), row-stochastic, irreducible. Returns () or (b,).

    >>> from theory.topology import ring, uniform_mixing
    >>> round(float(contraction(uniform_mixing(ring(6)))), 12)
    0.666666666667
    """
    return _batch(_contraction, _matrix(W))


@_checked("mixing")
@float64
@jax.jit
def spectral_gap(W):
    """Spectral gap δ = 1 − λ with λ = :func:`contraction`. Returns () or (b,)."""
    return _batch(lambda w: 1.0 - _contraction(w), _matrix(W))


@_checked("mixing")
@float64
@jax.jit
def koloskova_p(W):
    """Koloskova et al.'s consensus rate p = 1 − λ² for a fixed W (τ = 1;
    docs/theory/consensus.md §1)."""
    return _batch(lambda w: 1.0 - _contraction(w) ** 2, _matrix(W))


@_checked("adjacency", "adjacency")
@float64
@jax.jit
def connectivity(adjacency):
    """|A_i| = deg_i + 1: neighbourhood size counting the client itself (Section 3.1).

    Args: adjacency (n, n) or (b, n, n), 0/1 with zero diagonal. Returns (n,) or (b, n).
    """
    a = _matrix(adjacency, "adjacency")
    return a.sum(axis=-1) + 1.0


@_checked("adjacency", "adjacency")
@float64
@jax.jit
def avg_connectivity(adjacency):
    """Average connectivity |Ā| = (1/N) Σ_i |A_i| (Assumption A.1). Returns () or (b,)."""
    return connectivity(adjacency).mean(axis=-1)


@jax.jit
def _effective_neighbours_jit(W, gamma):
    return _batch(_effective_neighbours, _matrix(W), jnp.asarray(gamma, dtype=jnp.float64))


@_checked("stochastic")
@float64
def effective_neighbours(W, gamma):
    """Effective number of neighbours n_W(γ) of Vogels, Hendrikx & Jaggi (NeurIPS 2022).

    n_W(γ) = 1 / ((1 − γ) · (1/n) tr C), C = Σ_{t>=0} γ^t W^{t+1}(W^{t+1})ᵀ the stationary
    covariance of the random walk x <- W(√γ x + ξ), ξ ~ N(0, I) (docs/theory/consensus.md §6, "mean"
    mode). For symmetric W: n_W = (1/(1−γ)) / ((1/n) Σ_k λ_k²/(1 − γλ_k²)). n_W(0) = n/‖W‖_F².

    Args: W (n, n) or (b, n, n); gamma in [0, 1). Returns () or (b,).
    """
    if not _is_tracer(gamma):
        gamma = v.real(gamma, "gamma", lo=0.0, hi=1.0, hi_open=True)
    return _effective_neighbours_jit(W, gamma)


@float64
@jax.jit
def stochasticity(W):
    """Boolean properties of W: row / column / doubly stochastic, symmetric, nonnegative,
    primitive (irreducible and aperiodic: W^m > 0 for some m), reversible.

    Returns a dict of boolean arrays (shape () or (b,)).
    """
    return _batch(_stochasticity, _matrix(W))


def _summary_core(W, gamma):
    n = W.shape[0]
    pi = _stationary(W)
    lam = _contraction_with_pi(W, pi)
    ev = _eigenvalues(W)
    flags = _stochasticity(W)
    return {
        "eigenvalues": ev,
        "lambda2": ev[1] if n > 1 else jnp.asarray(jnp.nan),
        "lambda_min": ev[-1],
        "lambda": lam,
        "spectral_gap": 1.0 - lam,
        "p": 1.0 - lam * lam,
        "objective_weights": W.sum(axis=0) / n,
        "stationary_weights": pi,
        "effective_neighbours": _effective_neighbours(W, gamma),
        "row_stochastic": flags["row"],
        "column_stochastic": flags["column"],
        "doubly_stochastic": flags["doubly"],
        "symmetric": flags["symmetric"],
        "primitive": flags["primitive"],
        "reversible": flags["reversible"],
    }


def _adjacency_core(a):
    deg = a.sum(axis=-1)
    return {
        "degrees": deg,
        "mean_degree": deg.mean(axis=-1),
        "connectivity": deg + 1.0,
        "avg_connectivity": (deg + 1.0).mean(axis=-1),
    }


@jax.jit
def _summary_jit(W, adjacency, gamma):
    out = _batch(_summary_core, W, gamma)
    if adjacency is not None:
        out.update(_adjacency_core(adjacency))
    return out


@_checked("mixing")
@float64
def summary(W, adjacency=None, gamma: float = 0.9) -> dict:
    """All quantities of this module for W (and its graph, if ``adjacency`` is given).

    Keys: n, eigenvalues, lambda2, lambda_min, lambda (= :func:`contraction`), spectral_gap,
    p, objective_weights, stationary_weights, effective_neighbours (at ``gamma``), gamma,
    row_stochastic, column_stochastic, doubly_stochastic, symmetric, primitive, reversible;
    with ``adjacency`` also degrees, mean_degree, connectivity (|A_i|), avg_connectivity (|Ā|).
    Eigenvalue-based keys are NaN for a non-reversible W; ``lambda`` is always defined.

    Args: W (n, n) or (b, n, n); adjacency of the same shape or None; gamma in [0, 1).
    """
    if not _is_tracer(gamma):
        gamma = v.real(gamma, "gamma", lo=0.0, hi=1.0, hi_open=True)
    W = _matrix(W)
    if adjacency is not None:
        adjacency = _matrix(adjacency, "adjacency")
        if adjacency.shape != W.shape:
            v.fail("adjacency", f"of shape {W.shape} like W", f"shape {adjacency.shape}")
    out = dict(_summary_jit(W, adjacency, jnp.asarray(gamma, dtype=jnp.float64)))
    out["n"] = int(W.shape[-1])
    out["gamma"] = gamma
    return out


@_checked("mixing")
@float64
@jax.jit
def lambda_gap_pi(W):
    """(λ, δ = 1 − λ, π) in one pass: the stationary solve is shared. Batched like the rest."""

    def core(w):
        pi = _stationary(w)
        lam = _contraction_with_pi(w, pi)
        return lam, 1.0 - lam, pi

    return _batch(core, _matrix(W))


# --------------------------------------------------------------------------------------------
# closed forms (sympy) — docs/theory/consensus.md §4 table, §3 D7 (uniform star), §6 (n_W)
# --------------------------------------------------------------------------------------------

CLOSED_FORM_GRAPHS = ("complete", "ring", "torus", "star", "hypercube", "exponential")
N_SYM = sp.Symbol("n", integer=True, positive=True)


def _default_mixing(graph: str, mixing: str | None) -> str:
    if mixing is None:
        return "ying" if graph == "exponential" else "metropolis"
    return mixing


def _int(value, field: str, lo: int) -> int:
    return v.integer(value, field, lo=lo)


def closed_form_eigenvalues(
    graph: str,
    *,
    n: int | None = None,
    rows: int | None = None,
    cols: int | None = None,
    mixing: str | None = None,
) -> list[sp.Expr]:
    """Exact eigenvalues (with multiplicity, as sympy expressions) of a named gossip matrix.

    * ``complete`` (any of uniform / metropolis / max_degree / fedavg: all give J): 1, 0^(n−1).
    * ``ring`` (weights 1/3): (1 + 2cos(2πk/n))/3, k = 0..n−1.
    * ``torus`` rows×cols (weights 1/5): (1 + 2cos(2πk/rows) + 2cos(2πl/cols))/5.
    * ``star``, mixing ``metropolis``/``max_degree``: 1, (1 − 1/n)^(n−2), 0; mixing ``uniform``:
      1, (1/2)^(n−2), 1/n − 1/2 (docs/theory/consensus.md §3 D7).
    * ``hypercube`` n = 2^d (weights 1/(d+1)): 1 − 2k/(d+1) with multiplicity C(d, k).
    * ``exponential``: Ying et al.'s directed W (mixing ``ying``, :func:`exponential_mixing`),
      circulant, so eig_k = (1 + Σ_{ℓ<τ} e^{2πi k 2^ℓ/n})/(τ+1), τ = ⌈log₂ n⌉ (complex).

    For the regular graphs (complete, ring, torus, hypercube) the uniform, Metropolis and
    max-degree rules coincide. ``mixing=None`` picks the default (``ying`` for exponential,
    ``metropolis`` otherwise). Returns a list of n expressions (unsorted).
    """
    graph = v.choice(graph, "graph", CLOSED_FORM_GRAPHS)
    mixing = _default_mixing(graph, mixing)
    if graph == "torus":
        rows, cols = _int(rows, "rows", 3), _int(cols, "cols", 3)
        return [
            (1 + 2 * sp.cos(2 * sp.pi * k / rows) + 2 * sp.cos(2 * sp.pi * l / cols)) / 5
            for k in range(rows)
            for l in range(cols)
        ]
    if graph == "exponential":
        v.choice(mixing, "mixing", ("ying",))
        n = _int(n, "n", 3)
        tau = math.ceil(math.log2(n))
        return [
            (1 + sum(sp.exp(2 * sp.pi * sp.I * k * 2**ell / n) for ell in range(tau))) / (tau + 1)
            for k in range(n)
        ]
    if graph == "star":
        mixing = v.choice(mixing, "mixing", ("metropolis", "max_degree", "uniform"))
        n = _int(n, "n", 3)
        if mixing == "uniform":
            return (
                [sp.Integer(1)]
                + [sp.Rational(1, 2)] * (n - 2)
                + [sp.Rational(1, n) - sp.Rational(1, 2)]
            )
        return [sp.Integer(1)] + [1 - sp.Rational(1, n)] * (n - 2) + [sp.Integer(0)]
    v.choice(mixing, "mixing", ("uniform", "metropolis", "max_degree", "fedavg"))
    if graph == "complete":
        n = _int(n, "n", 2)
        return [sp.Integer(1)] + [sp.Integer(0)] * (n - 1)
    if graph == "ring":
        n = _int(n, "n", 3)
        return [(1 + 2 * sp.cos(2 * sp.pi * k / n)) / 3 for k in range(n)]
    n = _int(n, "n", 2)
    if n & (n - 1):
        v.fail("n", "a power of 2 for the hypercube", n)
    d = n.bit_length() - 1
    out: list[sp.Expr] = []
    for k in range(d + 1):
        out += [1 - sp.Rational(2 * k, d + 1)] * math.comb(d, k)
    return out


def closed_form_lambda(
    graph: str,
    *,
    n: int | None = None,
    rows: int | None = None,
    cols: int | None = None,
    mixing: str | None = None,
) -> sp.Expr:
    """Exact contraction factor λ of a named gossip matrix (docs/theory/consensus.md §4 table).

    With ``n=None`` (ring, star, complete) the result is symbolic in ``N_SYM``:
    ring (1 + 2cos(2π/n))/3 (n >= 3); torus (3 + 2cos(2π/m))/5, m = max(rows, cols);
    star Metropolis 1 − 1/n, star uniform 1/2; hypercube (d−1)/(d+1); complete 0;
    exponential (Ying, n >= 3): max_{k≠0} |eig_k|, which is (τ−1)/(τ+1) for even n.
    """
    graph = v.choice(graph, "graph", CLOSED_FORM_GRAPHS)
    mixing = _default_mixing(graph, mixing)
    n_ = N_SYM if n is None else n
    if graph == "complete":
        return sp.Integer(0)
    if graph == "ring":
        return (1 + 2 * sp.cos(2 * sp.pi / n_)) / 3
    if graph == "star":
        mixing = v.choice(mixing, "mixing", ("metropolis", "max_degree", "uniform"))
        return sp.Rational(1, 2) if mixing == "uniform" else 1 - 1 / sp.sympify(n_)
    if graph == "torus":
        m = max(_int(rows, "rows", 3), _int(cols, "cols", 3))
        return (3 + 2 * sp.cos(2 * sp.pi / m)) / 5
    if graph == "hypercube":
        n = _int(n, "n", 2)
        if n & (n - 1):
            v.fail("n", "a power of 2 for the hypercube", n)
        d = n.bit_length() - 1
        return sp.Rational(d - 1, d + 1)
    v.choice(mixing, "mixing", ("ying",))
    n = _int(n, "n", 3)
    tau = math.ceil(math.log2(n))
    moduli = []
    for k in range(1, n):
        angles = [2 * sp.pi * k * 2**ell / n for ell in range(tau)]
        re = 1 + sum(sp.cos(a) for a in angles)
        im = sum(sp.sin(a) for a in angles)
        moduli.append(sp.sqrt(re**2 + im**2) / (tau + 1))
    # the exact modulus that is largest (chosen by 30-digit evaluation)
    return max(moduli, key=lambda e: sp.N(e, 30))


def closed_form_effective_neighbours(eigs, gamma) -> sp.Expr:
    """n_W(γ) = (1/(1−γ)) / ((1/n) Σ_k λ_k²/(1 − γλ_k²)) for a symmetric W with eigenvalues
    ``eigs`` (docs/theory/consensus.md §6). ``gamma`` may be a number or a sympy symbol."""
    eigs = [sp.sympify(e) for e in eigs]
    g = sp.sympify(gamma)
    n = len(eigs)
    mean_var = sum(e**2 / (1 - g * e**2) for e in eigs) / n
    return 1 / ((1 - g) * mean_var)
