r"""Heterogeneity constants of the linear SSL losses
:math:`f_i(W) = -\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W\rVert_F^2`.

An EXTENSION (docs/theory/consensus.md §0, §7; not in the paper's theory, docs/theory/consensus.md,
note at the top):

* :math:`\zeta^2(W) = \sum_i w_i \lVert \nabla f_i(W) - \nabla f_w(W)\rVert^2`
  :math:`= \sum_i w_i \, 4\lVert W(X_i - \bar X_w)\rVert_F^2`
  (uniform :math:`w = 1/N` gives :math:`\frac4N \sum_i \lVert W(X_i - \bar X)\rVert_F^2`), since
  :math:`\nabla f_i = -2 W X_i + 2 W W^\top W`;
  identity: :math:`\sum_i w_i \lVert \nabla f_i\rVert^2 = \lVert \nabla f_w\rVert^2 + \zeta^2`.
* curvature spread :math:`\delta = \max_i 2\lVert X_i - \bar X_w\rVert_2` (Hessian
  dissimilarity; the quartic term cancels).
* local smoothness on :math:`\mathfrak{B}_R = \{\lVert W\rVert_2 \le R\}`:
  :math:`L_R = \max_i \max\big(2\lambda_{\max}(X_i),\ 6R^2 - 2\lambda_{\min}(X_i)\big)`.

* the global loss
  :math:`f_w(W) = \sum_i w_i f_i(W)`
  :math:`= -\operatorname{tr}(W \bar X_w W^\top) + \tfrac12 \lVert W^\top W\rVert_F^2`,
  :math:`\bar X_w = \sum_i w_i X_i` (Eq. 1 with :math:`\pi = w`, Eq. 16 of arXiv 2607.02447).
* the consensus distance :math:`\Xi_w = \sum_i w_i \lVert W_i - \bar W_w\rVert^2`,
  :math:`\bar W_w = \sum_i w_i W_i` (docs/theory/consensus.md §0, D7; uniform w gives
  Koloskova's :math:`\Xi = \frac1n \sum_i \lVert W_i - \bar W\rVert^2`).

These three quantities have one implementation each, here. ``global_loss_jnp``, ``zeta_sq_jnp``
and ``consensus_sq_jnp`` are the plain ``jax.numpy`` forms: their dtype follows the inputs and
they can be called inside jitted or vmapped code (the engine, ``sims.metrics``,
``sims.trackc.consensus``, ``sims.core.rounds``). ``global_loss``, ``zeta_sq`` and ``consensus_sq``
are the same functions jitted and run in float64 (a scoped ``jax.enable_x64(True)``).
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


def global_loss_jnp(
    W: jax.Array, targets: jax.Array, weights: jax.Array | None = None
) -> jax.Array:
    r"""The global loss
    :math:`f_w(W) = -\operatorname{tr}(W \bar X_w W^\top) + \tfrac12 \lVert W W^\top\rVert_F^2`
    (Eq. 16).

    $$
    f_w(W) = \sum_i w_i \Big[-\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W
    \rVert_F^2\Big] = -\operatorname{tr}(W \bar X_w W^\top) + \tfrac12 \lVert W W^\top
    \rVert_F^2, \qquad \bar X_w = \sum_i w_i X_i
    $$

    Args:
      W: (c, d) encoder.
      targets: (N, d, d) per-client :math:`X_i`.
      weights: (N,) summing to 1; ``None`` means 1/N.

    Returns:
      scalar, in the dtype of the inputs (jittable; see :func:`global_loss` for float64).
    """
    xbar = jnp.tensordot(_weights(targets, weights), targets, axes=(0, 0))
    gram = W @ W.T
    return -jnp.sum((W @ xbar) * W) + 0.5 * jnp.sum(gram * gram)


def zeta_sq_jnp(W: jax.Array, targets: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    r"""Gradient dissimilarity
    :math:`\zeta^2(W) = \sum_i w_i \, 4\lVert W (X_i - \bar X_w)\rVert_F^2`,
    :math:`\bar X_w = \sum_i w_i X_i` (docs/theory/consensus.md §0).

    $$
    \zeta^2(W) = \sum_i w_i \lVert \nabla f_i(W) - \nabla f_w(W) \rVert_F^2
    = \sum_i w_i \, 4 \lVert W (X_i - \bar X_w) \rVert_F^2
    $$

    Args:
      W: (c, d) encoder.
      targets: (N, d, d) per-client :math:`X_i`.
      weights: (N,) summing to 1; ``None`` means 1/N
        (then :math:`\zeta^2 = \frac4N \sum_i \lVert W(X_i - \bar X)\rVert_F^2`).

    Returns:
      scalar, in the dtype of the inputs (jittable; see :func:`zeta_sq` for float64).
    """
    w = _weights(targets, weights)
    dev = targets - jnp.einsum("n,nde->de", w, targets)[None]
    per = jnp.sum(jnp.einsum("cd,nde->nce", W, dev) ** 2, axis=(1, 2))
    return 4.0 * jnp.sum(w * per)


def consensus_sq_jnp(
    W: jax.Array, weights: jax.Array | None = None, axis_name: str | None = None
) -> jax.Array:
    r"""Consensus distance :math:`\Xi_w = \sum_i w_i \lVert W_i - \bar W_w\rVert^2`,
    :math:`\bar W_w = \sum_i w_i W_i` (docs/theory/consensus.md §0, D7).

    $$
    \Xi_w = \sum_i w_i \lVert W_i - \bar W_w \rVert^2, \qquad \bar W_w = \sum_i w_i W_i
    $$

    Args:
      W: (N, ...) stacked client parameters (any trailing shape).
      weights: (N,) summing to 1; ``None`` means 1/N
        (:math:`\Xi = \frac1N \sum_i \lVert W_i - \bar W\rVert^2`).
      axis_name: inside ``jax.shard_map`` with the clients split over this mesh axis, ``W``
        and ``weights`` are this device's clients and the sums run over all devices' clients
        (``lax.psum``; N is then the total number of clients).

    Returns:
      scalar, in the dtype of ``W`` (jittable; see :func:`consensus_sq` for float64).
    """

    def total(a):
        return a if axis_name is None else jax.lax.psum(a, axis_name)

    if weights is None and axis_name is not None:
        n = W.shape[0] * jax.lax.axis_size(axis_name)
        weights = jnp.full((W.shape[0],), 1.0 / n, dtype=W.dtype)
    w = _weights(W, weights)
    dev = (W - total(jnp.tensordot(w, W, axes=(0, 0)))[None]).reshape(W.shape[0], -1)
    return total(jnp.sum(w * jnp.sum(dev**2, axis=1)))


global_loss = float64(jax.jit(global_loss_jnp))
global_loss.__doc__ = "Float64, jitted :func:`global_loss_jnp` (Eq. 16)."
zeta_sq = float64(jax.jit(zeta_sq_jnp))
zeta_sq.__doc__ = r"""Float64, jitted :func:`zeta_sq_jnp`:
:math:`\zeta^2(W) = \sum_i w_i \, 4\lVert W (X_i - \bar X_w)\rVert_F^2`.

Example:
  >>> import numpy as np
  >>> X = np.stack([np.eye(2), -np.eye(2)])
  >>> float(zeta_sq(np.eye(2), X))
  8.0
"""
consensus_sq = float64(jax.jit(consensus_sq_jnp))
consensus_sq.__doc__ = r"""Float64, jitted :func:`consensus_sq_jnp`:
:math:`\Xi_w = \sum_i w_i \lVert W_i - \bar W_w\rVert^2`."""


@float64
@jax.jit
def curvature_spread(targets: jax.Array, weights: jax.Array | None = None) -> jax.Array:
    r""":math:`\delta = \max_i 2\lVert X_i - \bar X_w\rVert_2` (spectral norm;
    :math:`X_i` symmetric) (docs/theory/consensus.md §7)."""
    w = _weights(targets, weights)
    dev = targets - jnp.einsum("n,nde->de", w, targets)[None]
    dev = 0.5 * (dev + jnp.swapaxes(dev, 1, 2))
    return 2.0 * jnp.max(jnp.abs(jnp.linalg.eigvalsh(dev)))


@float64
@jax.jit
def local_smoothness(targets: jax.Array, R) -> jax.Array:
    r""":math:`L_R = \max_i \max\big(2\lambda_{\max}(X_i),\ 6R^2 - 2\lambda_{\min}(X_i)\big)`
    on the ball :math:`\lVert W\rVert_2 \le R` (docs/theory/consensus.md §7).

    Args:
      targets: (N, d, d) symmetric :math:`X_i` (a single (d, d) matrix is also accepted).
      R: radius of the spectral-norm ball.
    """
    X = targets if targets.ndim == 3 else targets[None]
    X = 0.5 * (X + jnp.swapaxes(X, 1, 2))
    lam = jnp.linalg.eigvalsh(X)
    R = jnp.asarray(R, dtype=X.dtype)
    return jnp.max(jnp.maximum(2.0 * lam[:, -1], 6.0 * R**2 - 2.0 * lam[:, 0]))
