"""The unbatched kernels behind :mod:`theory.spectral`, its shape plumbing and argument checks.

Each kernel takes one (n, n) matrix; :mod:`theory.spectral` jit-compiles them, runs them in
float64 and maps them over a leading batch axis with ``jax.vmap`` (``_batch``). Definitions and
references are in :mod:`theory.spectral`.
"""

from __future__ import annotations

import dataclasses
import functools
import math

import jax
import jax.numpy as jnp
import numpy as np

from theory import _validate as v

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


#: the largest γ of n_W(γ): closer to 1, float64 resolves 1 − γ and the series too coarsely
#: (measured on the complete graph, where n_W = n exactly: relative error ≈ 1e-9 at
#: γ = 1 − 1e-6, 1e-7 at 1 − 1e-9, 2e-4 at 1 − 1e-11 with n = 100)
GAMMA_MAX = 1.0 - 1e-6


def _effective_neighbours(W, gamma):
    """n_W(γ), clipped to [1, n]: for any row-stochastic W every row of W^k has squared norm in
    [1/n, 1], so (1/n) tr C lies in [1/(n(1−γ)), 1/(1−γ)] and n_W in [1, n]; the clip removes
    the rounding of the series at the ends (n_W = n on the complete graph)."""
    n = W.shape[0]
    mean_var = _lyapunov_trace(W, gamma) / n
    return jnp.clip(1.0 / ((1.0 - gamma) * mean_var), 1.0, float(n))


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


@dataclasses.dataclass(frozen=True)
class _MatrixKind:
    """What :func:`_check_matrix` demands beyond a finite square matrix: 0/1 entries (an
    adjacency) or else non-negative and row-stochastic, and then also irreducible (π unique)."""

    zero_one: bool
    irreducible: bool


_MATRIX_KINDS = {
    "adjacency": _MatrixKind(zero_one=True, irreducible=False),
    "stochastic": _MatrixKind(zero_one=False, irreducible=False),
    "mixing": _MatrixKind(zero_one=False, irreducible=True),
}


def _checked(kind: str, field: str = "W"):
    """Decorator: validate the first argument when it is concrete (not traced) — finite, and
    for ``kind="stochastic"`` non-negative and row-stochastic (to 1e-8·n), for ``"mixing"``
    also irreducible (π unique), for ``"adjacency"`` a 0/1 matrix. One-line ValueError naming
    ``field`` otherwise."""
    spec = _MATRIX_KINDS[kind]

    def wrap(fn):
        @functools.wraps(fn)
        def checked(W, *args, **kwargs):
            if not _is_tracer(W):
                _check_matrix(W, field, spec)
            return fn(W, *args, **kwargs)

        return checked

    return wrap


def _check_matrix(W, field: str, spec: _MatrixKind) -> None:
    a = v.array(W, field)
    if a.ndim not in (2, 3) or a.shape[-1] != a.shape[-2] or a.shape[-1] < 1:
        v.fail(field, "a square matrix (n, n) or a batch (b, n, n)", f"shape {a.shape}")
    n = a.shape[-1]
    if spec.zero_one:
        if not np.all((a == 0) | (a == 1)):
            v.fail(field, "a 0/1 adjacency matrix", "other entries")
        return
    if np.any(a < -1e-12):
        v.fail(field, "entrywise >= 0 (a mixing matrix)", f"min entry {a.min():.3g}")
    rows = a.sum(axis=-1)
    if np.max(np.abs(rows - 1.0)) > 1e-8 * max(1, n):
        v.fail(field, "row-stochastic (rows sum to 1)", f"row sums in [{rows.min()}, {rows.max()}]")
    if not spec.irreducible:
        return
    from scipy.sparse.csgraph import connected_components

    for w in a.reshape(-1, n, n):
        if n > 1 and connected_components(w > 0, directed=True, connection="strong")[0] > 1:
            v.fail(field, "irreducible (a strongly connected support)", "a reducible matrix")


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
