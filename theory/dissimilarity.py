"""Heterogeneity constants of the linear SSL losses f_i(W) = −tr(W X_i Wᵀ) + ½‖WᵀW‖_F².

An EXTENSION (docs/theory/consensus.md §0, §7; not in the paper's theory, docs/theory/consensus.md,
note at the top):

* ζ²(W) = Σ_i w_i ‖∇f_i(W) − ∇f_w(W)‖² = Σ_i w_i · 4‖W(X_i − X̄_w)‖_F²
  (uniform w = 1/N gives (4/N) Σ_i ‖W(X_i − X̄)‖_F²), since ∇f_i = −2 W X_i + 2 W WᵀW;
  identity: Σ_i w_i ‖∇f_i‖² = ‖∇f_w‖² + ζ².
* curvature spread δ = max_i 2‖X_i − X̄_w‖₂ (Hessian dissimilarity; the quartic term cancels).
* local smoothness on 𝔅_R = {‖W‖₂ ≤ R}: L_R = max_i max(2λ_max(X_i), 6R² − 2λ_min(X_i)).

All functions are jittable (``jax.jit``); inputs are float arrays.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from theory._precision import float64


def _weights(targets: jax.Array, weights) -> jax.Array:
    n = targets.shape[0]
    if weights is None:
        return jnp.full((n,), 1.0 / n, dtype=targets.dtype)
    return jnp.asarray(weights, dtype=targets.dtype)


@float64
@jax.jit
def zeta_sq(W: jax.Array, targets: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    """ζ²(W) = Σ_i w_i · 4‖W (X_i − X̄_w)‖_F², X̄_w = Σ_i w_i X_i (docs/theory/consensus.md §0).

    Args:
      W: (c, d) encoder.
      targets: (N, d, d) per-client X_i.
      weights: (N,) summing to 1; ``None`` means 1/N (then ζ² = (4/N) Σ‖W(X_i − X̄)‖_F²).

    Returns:
      scalar ζ²(W).
    """
    w = _weights(targets, weights)
    dev = targets - jnp.einsum("n,nde->de", w, targets)[None]
    per = jnp.sum(jnp.einsum("cd,nde->nce", W, dev) ** 2, axis=(1, 2))
    return 4.0 * jnp.sum(w * per)


@float64
@jax.jit
def curvature_spread(targets: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    """δ = max_i 2‖X_i − X̄_w‖₂ (spectral norm; X_i symmetric) (docs/theory/consensus.md §7)."""
    w = _weights(targets, weights)
    dev = targets - jnp.einsum("n,nde->de", w, targets)[None]
    dev = 0.5 * (dev + jnp.swapaxes(dev, 1, 2))
    return 2.0 * jnp.max(jnp.abs(jnp.linalg.eigvalsh(dev)))


@float64
@jax.jit
def local_smoothness(targets: jax.Array, R) -> jax.Array:
    """L_R = max_i max(2λ_max(X_i), 6R² − 2λ_min(X_i)) on the ball ‖W‖₂ ≤ R
    (docs/theory/consensus.md §7).

    Args:
      targets: (N, d, d) symmetric X_i (a single (d, d) matrix is also accepted).
      R: radius of the spectral-norm ball.
    """
    X = targets if targets.ndim == 3 else targets[None]
    X = 0.5 * (X + jnp.swapaxes(X, 1, 2))
    lam = jnp.linalg.eigvalsh(X)
    R = jnp.asarray(R, dtype=X.dtype)
    return jnp.max(jnp.maximum(2.0 * lam[:, -1], 6.0 * R**2 - 2.0 * lam[:, 0]))
