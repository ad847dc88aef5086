r"""Population and alignment losses of one client's minibatch: CL (Eq. 2), MIM (Eqs. 3–4).

Every alignment loss has the generic form of docs/theory/optimum.md §1 (arXiv 2607.02447,
Eqs. 2 and 4),

$$
\ell(W; x, \omega) = -\operatorname{mean}_b (W a_b)^\top (W b_b) +
\tfrac12 \lVert W^\top W\rVert_F^2,
$$

with views (a, b) drawn from
the randomness ω (augmentation noise or masks); :func:`population_loss` is its exact
expectation. :func:`mim_recon` is the reconstruction loss (Eq. 3) and
:func:`masked_embeddings` the embeddings :math:`z = W(x \odot m)` a MAR client sends. The table
of the losses and their expected targets is in :mod:`sims.losses`.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp

import sims.keys as keys
from sims.losses._checks import _arr, _encoder_and_batch, _key, _prob
from sims.losses.masks import _mask, gaussian
from theory import _validate as v
from theory import objectives as _objectives

__all__ = [
    "population_loss",
    "cl_similar",
    "cl_dissimilar",
    "mim",
    "mim_independent",
    "mim_recon",
    "masked_embeddings",
]


def _reg(W: jax.Array) -> jax.Array:
    """½‖WᵀW‖_F² computed as ½‖WWᵀ‖_F² (c×c)."""
    gram = W @ W.T
    return 0.5 * jnp.sum(gram * gram)


def _align(W: jax.Array, a: jax.Array, b: jax.Array) -> jax.Array:
    """−mean_b (W a_b)ᵀ(W b_b) + ½‖WᵀW‖_F²."""
    return -jnp.mean(jnp.sum((a @ W.T) * (b @ W.T), axis=-1)) + _reg(W)


def population_loss(W: Any, X: Any) -> jax.Array:
    r""":math:`L(W) = -\operatorname{tr}(W X W^\top) + \tfrac12 \lVert W^\top W\rVert_F^2` for
    W (c, d) and a symmetric target X (d, d).

    The exact-expectation counterpart of every alignment loss here (docs/theory/optimum.md §1);
    evaluates ``theory.objectives.loss``.
    """
    W = _arr(W, "W", 2)
    X = _arr(X, "X", 2, (W.shape[1], W.shape[1]))
    if X.dtype != W.dtype:
        v.fail("X", f"the dtype of W ({W.dtype})", f"dtype {X.dtype}")
    return _objectives.loss(W, X)


def cl_similar(W: Any, x: Any, *, key: jax.Array) -> jax.Array:
    r"""Linear CL with similar augmentations (Eq. 2 of arXiv 2607.02447) on one minibatch.

    $$
    \ell = -\operatorname{mean}_b \big(W(x_b + \xi_b)\big)^\top \big(W(x_b + \xi'_b)\big) +
    \tfrac12 \lVert W^\top W\rVert_F^2,
    $$

    :math:`\xi, \xi' \sim \mathcal{N}(0, I)` i.i.d. (unit variance, not scaled by μ; drawn by
    :func:`sims.losses.gaussian`).

    $$
    \mathbb{E}_\xi[\ell] = -\operatorname{tr}(W S W^\top) + \tfrac12 \lVert W^\top W\rVert^2,
    \qquad S = \operatorname{mean}_b x_b x_b^\top.
    $$

    Args:
      W: (c, d) encoder. x: (B, d) batch. key: PRNG key for ξ, ξ′.

    Returns:
      scalar loss.
    """
    W, x = _encoder_and_batch(W, x)
    _key(key)
    k1, k2 = keys.split(key)
    a = x + gaussian(k1, x.shape, x.dtype)
    b = x + gaussian(k2, x.shape, x.dtype)
    return _align(W, a, b)


def cl_dissimilar(W: Any, x: Any, H: Any, *, key: jax.Array) -> jax.Array:
    r"""Linear CL with dissimilar augmentations (Eq. 2 of arXiv 2607.02447) on one minibatch.

    $$
    \ell = -\operatorname{mean}_b \big(W(x_b + \xi_b)\big)^\top (W H x_b) +
    \tfrac12 \lVert W^\top W\rVert_F^2,
    $$

    :math:`\xi \sim \mathcal{N}(0, I)` (:func:`sims.losses.gaussian`).

    $$
    \mathbb{E}_\xi[\ell] = -\operatorname{tr}(W \hat X W^\top) + \tfrac12 \lVert W^\top W\rVert^2
    \quad \text{with} \quad \hat X = \tfrac12 (H S + S H^\top).
    $$

    Args:
      W: (c, d). x: (B, d). H: (d, d) linear transform. key: PRNG key for ξ.
    """
    W, x = _encoder_and_batch(W, x)
    H = _arr(H, "H", 2, (W.shape[1], W.shape[1]))
    if H.dtype != W.dtype:
        v.fail("H", f"the dtype of W ({W.dtype})", f"dtype {H.dtype}")
    _key(key)
    k1, _ = keys.split(key)
    a = x + gaussian(k1, x.shape, x.dtype)
    return _align(W, a, x @ H.T)


def mim(W: Any, x: Any, p: Any, *, key: jax.Array) -> jax.Array:
    r"""Linear MIM alignment surrogate (Eq. 4 of arXiv 2607.02447) with a sampled mask.

    $$
    \ell = -\operatorname{mean}_b \big(W(x_b \odot m_b)\big)^\top
    \big(W(x_b \odot (1 - m_b))\big) + \tfrac12 \lVert W^\top W\rVert_F^2,
    $$

    :math:`m_{bk} \sim \mathrm{Bernoulli}(1 - p)` i.i.d. (1 = visible).

    $$
    \mathbb{E}_m[\ell] = -\operatorname{tr}(W \hat X W^\top) + \tfrac12 \lVert W^\top W\rVert^2
    \quad \text{with} \quad \hat X = p(1-p)(S - \operatorname{diag} S).
    $$

    Args:
      W: (c, d). x: (B, d). p: mask ratio in (0, 1). key: PRNG key (mask from ``split(key)[0]``).

    Example:
      >>> W = jnp.eye(2, 3); x = jnp.ones((4, 3))
      >>> import jax.random as jr
      >>> float(mim(W, x, 0.5, key=jr.key(0))) <= 1.0
      True
    """
    W, x = _encoder_and_batch(W, x)
    _prob(p)
    _key(key)
    k_mask, _ = keys.split(key)
    m = _mask(k_mask, p, x.shape, x.dtype)
    return _align(W, x * m, x * (1 - m))


def mim_independent(W: Any, x: Any, p: Any, *, key: jax.Array) -> jax.Array:
    r"""MIM surrogate with independent masks: :math:`b = x \odot (1 - m')`, m′ independent of m.

    Not in the paper (a control):
    :math:`\mathbb{E}[\ell] = -\operatorname{tr}(W\hat X W^\top) + \tfrac12 \lVert W^\top W\rVert^2`
    with :math:`\hat X = p(1-p)\, S` (the diagonal is kept, unlike the hollow target of
    complementary masks).

    Args:
      W: (c, d). x: (B, d). p: mask ratio in (0, 1). key: PRNG key (m from ``split(key)[0]``,
        m′ from ``split(key)[1]``).
    """
    W, x = _encoder_and_batch(W, x)
    _prob(p)
    _key(key)
    k_mask, k_other = keys.split(key)
    m = _mask(k_mask, p, x.shape, x.dtype)
    m2 = _mask(k_other, p, x.shape, x.dtype)
    return _align(W, x * m, x * (1 - m2))


def mim_recon(params: Any, x: Any, p: Any, *, key: jax.Array) -> jax.Array:
    r"""Linear MIM reconstruction loss (Eq. 3 of arXiv 2607.02447) on one minibatch.

    :math:`\ell = \operatorname{mean}_b \lVert W_d W_e (x_b \odot m_b) - x_b \odot (1-m_b)\rVert^2`,
    :math:`m_{bk} \sim \mathrm{Bernoulli}(1 - p)`, 1 = visible.

    $$
    \mathbb{E}_m[\ell] = \operatorname{tr}(B \Sigma_{uu} B^\top) - 2 \operatorname{tr}(B
    \Sigma_{uv}) + \operatorname{tr}(\Sigma_{vv}), \qquad B = W_d W_e,
    $$

    with the batch moments of ``theory.objectives.recon_moments(x, p=p, with_vv=True)``.

    Args:
      params: ``(W_e, W_d)`` with :math:`W_e` (c, d) and :math:`W_d` (d, c).
      x: (B, d). p: mask ratio in (0, 1). key: PRNG key (mask from ``split(key)[0]``).
    """
    try:
        W_e, W_d = params
    except (TypeError, ValueError):
        v.fail("params", "a pair (W_e (c, d), W_d (d, c))", type(params).__name__)
    W_e, x = _encoder_and_batch(W_e, x)
    W_d = _arr(W_d, "W_d", 2, (W_e.shape[1], W_e.shape[0]))
    if W_d.dtype != W_e.dtype:
        v.fail("W_d", f"the dtype of W_e ({W_e.dtype})", f"dtype {W_d.dtype}")
    _prob(p)
    _key(key)
    k_mask, _ = keys.split(key)
    m = _mask(k_mask, p, x.shape, x.dtype, exact=True)
    recon = (x * m) @ W_e.T @ W_d.T
    return jnp.mean(jnp.sum((recon - x * (1 - m)) ** 2, axis=-1))


def masked_embeddings(W: Any, x: Any, p: Any, *, key: jax.Array, exact: bool = False) -> jax.Array:
    r"""Local masked embeddings :math:`z = W(x \odot m)`, shape (B, c), with the same mask as the
    MIM losses.

    The :math:`z_i` a client sends for MAR (Alg. 1–2 of arXiv 2607.02447). With the same key this
    is the z used inside :func:`mar` and the visible view inside :func:`mim`; with ``exact=True``
    the mask of :func:`mim_recon` (``jax.random.bernoulli``).

    Args:
      W: (c, d) encoder (:math:`W_e`). x: (B, d). p: mask ratio in (0, 1). key: PRNG key.
      exact: use :func:`mim_recon`'s mask stream.
    """
    W, x = _encoder_and_batch(W, x)
    _prob(p)
    _key(key)
    k_mask, _ = keys.split(key)
    return (x * _mask(k_mask, p, x.shape, x.dtype, exact)) @ W.T
