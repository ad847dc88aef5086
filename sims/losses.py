"""Stochastic losses on samples: one client's minibatch, unbatched and jittable.

Every alignment loss has the generic form of docs/theory/optimum.md §1 (arXiv 2607.02447, Eqs. 2 and
4),

    ℓ(W; x, ω) = −mean_b (W a_b)ᵀ(W b_b) + ½‖WᵀW‖_F²,

with views (a, b) drawn from the randomness ω (augmentation noise or masks). Its expectation
over ω for a FIXED batch x is −tr(W X̂ Wᵀ) + ½‖WᵀW‖_F² with X̂ =
``theory.objectives.empirical_target(x, method)``:

=====================  ===========================  =========================================
loss                   (a, b)                       X̂  (S = mean_b x_b x_bᵀ, κ = p(1−p))
=====================  ===========================  =========================================
``cl_similar``         x + ξ, x + ξ′                S
``cl_dissimilar``      x + ξ, H x                   ½(H S + S Hᵀ)
``mim``                x ⊙ m, x ⊙ (1 − m)           κ (S − diag S)
``mim_independent``    x ⊙ m, x ⊙ (1 − m′)          κ S
=====================  ===========================  =========================================

Also: the reconstruction loss (Eq. 3), the MAR regulariser A-MMD with its adaptive kernel and
cosine γ schedule (Eqs. 5–7, docs/theory/mar.md), and the SSD soft-separation regulariser DSR
(docs/theory/ssd.md §2, §3). Masks: m_k = 1 means visible, P(m_k = 1) = 1 − p (p = mask ratio).

Key use (so that the engine can reproduce the embeddings a loss saw): ``k_mask, k_other =
jr.split(key)``; the first mask is ``mask(k_mask, p, x.shape)`` (:func:`mask`, a counter-based
hash keyed by ``k_mask``) in :func:`mim`, :func:`mim_independent`, :func:`mar` and
:func:`masked_embeddings`; :func:`mim_recon` (and MAR on it) keeps
``bernoulli(k_mask, 1 − p, x.shape)``, the stream Track D's Bernoulli patch masks reproduce.

Validation: shapes are always checked; values (finiteness, p ∈ (0, 1), γ ≥ 0, …) are checked
when they are concrete, i.e. outside ``jit``/``vmap`` tracing.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Bool, UInt32

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
    "ammd",
    "mar",
    "gamma_schedule",
    "gamma_cosine",
    "mask",
    "mask_threshold",
    "random_bits32",
    "dsr",
    "dsr_scales",
    "dsr_linear",
]

BANDWIDTHS = ("mean", "mean-code")
MAR_BASES = ("mim", "mim-independent", "recon")
DSR_FORMS = ("paper", "code")


# --------------------------------------------------------------------------------------------
# validation helpers (shape checks always; value checks only on concrete inputs)


def _concrete(value: Any) -> bool:
    return not isinstance(value, jax.core.Tracer)


def _arr(value: Any, field: str, ndim: int, shape: tuple | None = None) -> jax.Array:
    if not hasattr(value, "shape"):
        value = v.array(value, field)
    if value.ndim != ndim:
        v.fail(field, f"an array of rank {ndim}", f"shape {tuple(value.shape)}")
    if shape is not None and any(
        s is not None and s != t for s, t in zip(shape, value.shape, strict=True)
    ):
        want = "(" + ", ".join("*" if s is None else str(s) for s in shape) + ")"
        v.fail(field, f"an array of shape {want}", f"shape {tuple(value.shape)}")
    if not jnp.issubdtype(value.dtype, jnp.floating):
        v.fail(field, "a float array", f"dtype {value.dtype}")
    if _concrete(value) and not bool(np.all(np.isfinite(np.asarray(value)))):
        v.fail(field, "finite (no NaN or inf)", "an array with NaN/inf entries")
    return jnp.asarray(value)


def _prob(p: Any, field: str = "p") -> Any:
    if _concrete(p):
        v.real(p, field, lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    return p


def _nonneg(g: Any, field: str) -> Any:
    if _concrete(g):
        v.real(g, field, lo=0.0)
    return g


def _key(key: Any) -> None:
    ok = False
    try:
        ok = jnp.issubdtype(key.dtype, jax.dtypes.prng_key) or (
            key.dtype == jnp.uint32 and key.shape[-1:] == (2,)
        )
    except AttributeError:
        pass
    if not ok:
        v.fail("key", "a JAX PRNG key", key)


def _encoder_and_batch(W: Any, x: Any) -> tuple[jax.Array, jax.Array]:
    W = _arr(W, "W", 2)
    x = _arr(x, "x", 2, (None, W.shape[1]))
    if x.shape[0] < 1:
        v.fail("x", "a batch with at least one row", f"shape {tuple(x.shape)}")
    if W.dtype != x.dtype:
        v.fail("x", f"the dtype of W ({W.dtype})", f"dtype {x.dtype}")
    return W, x


def _reg(W: jax.Array) -> jax.Array:
    """½‖WᵀW‖_F² computed as ½‖WWᵀ‖_F² (c×c)."""
    gram = W @ W.T
    return 0.5 * jnp.sum(gram * gram)


def _align(W: jax.Array, a: jax.Array, b: jax.Array) -> jax.Array:
    """−mean_b (W a_b)ᵀ(W b_b) + ½‖WᵀW‖_F²."""
    return -jnp.mean(jnp.sum((a @ W.T) * (b @ W.T), axis=-1)) + _reg(W)


def _lowbias32(h: jax.Array) -> jax.Array:
    """A 32-bit integer bijection with strong avalanche ("lowbias32": xor-shift-multiply with
    constants 0x7feb352d, 0x846ca68b and shifts 16, 15, 16; Wellons' hash search)."""
    h = h ^ (h >> 16)
    h = h * jnp.uint32(0x7FEB352D)
    h = h ^ (h >> 15)
    h = h * jnp.uint32(0x846CA68B)
    return h ^ (h >> 16)


def _key_words(key: jax.Array) -> tuple[jax.Array, jax.Array]:
    data = jr.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key
    return data[..., 0].astype(jnp.uint32), data[..., 1].astype(jnp.uint32)


def random_bits32(key: jax.Array, shape: tuple) -> UInt32[jax.Array, "..."]:
    """uint32 random words of ``shape`` from a counter-based hash of the element index keyed by
    the two words of ``key``: h_j = H(H(H(j ⊕ k₀) + k₁) ⊕ k₀) with H = lowbias32.

    Deviation from ``jax.random.bits`` (threefry, ~100 integer operations per word): about 20
    operations per word, x64-independent, the same words on every backend. Used for the MIM
    masks, where threefry was a third of the engine's time. Keys still come from threefry
    (``fold_in``), so streams of different (round, client, step) keys are independent draws of
    the hash; within one key, element j gets word h_j.
    """
    size = int(np.prod(shape)) if shape else 1
    if size >= 2**32:
        v.fail("shape", "fewer than 2**32 elements per draw", shape)
    k0, k1 = _key_words(key)
    j = jax.lax.iota(jnp.uint32, size).reshape(shape)
    return _lowbias32(_lowbias32(_lowbias32(j ^ k0) + k1) ^ k0)


def mask_threshold(p: float) -> int:
    """T = ⌈(1 − p)·2³²⌉ (at most 2³² − 1): a word h is visible iff h < T, so P(visible) =
    T/2³² = 1 − p to within 2.3e-10 (exactly 1 − p when (1 − p)·2³² is an integer)."""
    import math
    from fractions import Fraction

    return min(math.ceil(Fraction(1.0 - float(p)) * 2**32), 2**32 - 1)


def mask(key: jax.Array, p: Any, shape: tuple) -> Bool[jax.Array, "..."]:
    """Visibility mask m (bool, True = visible), P(m_k = 1) = 1 − p, i.i.d. over entries.

    m = :func:`random_bits32` < :func:`mask_threshold` (p) for a concrete p; for a traced p the
    top 24 bits are compared as a float with 1 − p. The mask of every MIM-type loss here and of
    the engine (so the two agree bit for bit); float32 and float64 runs see the same masks.

    Example:
      >>> m = mask(jr.key(0), 0.75, (1000, 64))
      >>> m.dtype.name, abs(float(m.mean()) - 0.25) < 0.01
      ('bool', True)
    """
    bits = random_bits32(key, shape)
    if _concrete(p):
        return bits < jnp.uint32(mask_threshold(p))
    u = (bits >> 8).astype(jnp.float32) * jnp.float32(2.0**-24)
    return u < (1 - p)


def _mask(key: jax.Array, p: Any, shape: tuple, dtype: Any, exact: bool = False) -> jax.Array:
    """Float mask of ``dtype``: :func:`mask`, or with ``exact`` the ``jax.random.bernoulli``
    stream (kept by :func:`mim_recon`, whose masks other code reproduces)."""
    if exact:
        return jr.bernoulli(key, 1.0 - p, shape).astype(dtype)
    return mask(key, p, shape).astype(dtype)


# --------------------------------------------------------------------------------------------
# population and alignment losses


def population_loss(W: Any, X: Any) -> jax.Array:
    """L(W) = −tr(W X Wᵀ) + ½‖WᵀW‖_F² for W (c, d) and a symmetric target X (d, d).

    The exact-expectation counterpart of every alignment loss here (docs/theory/optimum.md §1);
    evaluates ``theory.objectives.loss``.
    """
    W = _arr(W, "W", 2)
    X = _arr(X, "X", 2, (W.shape[1], W.shape[1]))
    if X.dtype != W.dtype:
        v.fail("X", f"the dtype of W ({W.dtype})", f"dtype {X.dtype}")
    return _objectives.loss(W, X)


def cl_similar(W: Any, x: Any, *, key: jax.Array) -> jax.Array:
    """Linear CL with similar augmentations (Eq. 2 of arXiv 2607.02447) on one minibatch.

    ℓ = −mean_b (W(x_b + ξ_b))ᵀ(W(x_b + ξ′_b)) + ½‖WᵀW‖_F²,  ξ, ξ′ ~ N(0, I) i.i.d. (unit
    variance, not scaled by μ). E_ξ[ℓ] = −tr(W S Wᵀ) + ½‖WᵀW‖², S = mean_b x_b x_bᵀ.

    Args:
      W: (c, d) encoder. x: (B, d) batch. key: PRNG key for ξ, ξ′.

    Returns:
      scalar loss.
    """
    W, x = _encoder_and_batch(W, x)
    _key(key)
    k1, k2 = jr.split(key)
    a = x + jr.normal(k1, x.shape, dtype=x.dtype)
    b = x + jr.normal(k2, x.shape, dtype=x.dtype)
    return _align(W, a, b)


def cl_dissimilar(W: Any, x: Any, H: Any, *, key: jax.Array) -> jax.Array:
    """Linear CL with dissimilar augmentations (Eq. 2 of arXiv 2607.02447) on one minibatch.

    ℓ = −mean_b (W(x_b + ξ_b))ᵀ(W H x_b) + ½‖WᵀW‖_F², ξ ~ N(0, I).
    E_ξ[ℓ] = −tr(W X̂ Wᵀ) + ½‖WᵀW‖² with X̂ = ½(H S + S Hᵀ).

    Args:
      W: (c, d). x: (B, d). H: (d, d) linear transform. key: PRNG key for ξ.
    """
    W, x = _encoder_and_batch(W, x)
    H = _arr(H, "H", 2, (W.shape[1], W.shape[1]))
    if H.dtype != W.dtype:
        v.fail("H", f"the dtype of W ({W.dtype})", f"dtype {H.dtype}")
    _key(key)
    k1, _ = jr.split(key)
    a = x + jr.normal(k1, x.shape, dtype=x.dtype)
    return _align(W, a, x @ H.T)


def mim(W: Any, x: Any, p: Any, *, key: jax.Array) -> jax.Array:
    """Linear MIM alignment surrogate (Eq. 4 of arXiv 2607.02447) with a sampled mask.

    ℓ = −mean_b (W(x_b ⊙ m_b))ᵀ(W(x_b ⊙ (1 − m_b))) + ½‖WᵀW‖_F², m_bk ~ Bernoulli(1 − p)
    i.i.d. (1 = visible). E_m[ℓ] = −tr(W X̂ Wᵀ) + ½‖WᵀW‖² with X̂ = p(1−p)(S − diag S).

    Args:
      W: (c, d). x: (B, d). p: mask ratio in (0, 1). key: PRNG key (mask from ``split(key)[0]``).

    Example:
      >>> W = jnp.eye(2, 3); x = jnp.ones((4, 3))
      >>> float(mim(W, x, 0.5, key=jr.key(0))) <= 1.0
      True
    """
    W, x = _encoder_and_batch(W, x)
    _prob(p)
    _key(key)
    k_mask, _ = jr.split(key)
    m = _mask(k_mask, p, x.shape, x.dtype)
    return _align(W, x * m, x * (1 - m))


def mim_independent(W: Any, x: Any, p: Any, *, key: jax.Array) -> jax.Array:
    """MIM surrogate with independent masks: b = x ⊙ (1 − m′), m′ independent of m.

    Not in the paper (a control): E[ℓ] = −tr(W X̂ Wᵀ) + ½‖WᵀW‖² with X̂ = p(1−p) S (the
    diagonal is kept, unlike the hollow target of complementary masks).

    Args:
      W: (c, d). x: (B, d). p: mask ratio in (0, 1). key: PRNG key (m from ``split(key)[0]``,
        m′ from ``split(key)[1]``).
    """
    W, x = _encoder_and_batch(W, x)
    _prob(p)
    _key(key)
    k_mask, k_other = jr.split(key)
    m = _mask(k_mask, p, x.shape, x.dtype)
    m2 = _mask(k_other, p, x.shape, x.dtype)
    return _align(W, x * m, x * (1 - m2))


def mim_recon(params: Any, x: Any, p: Any, *, key: jax.Array) -> jax.Array:
    """Linear MIM reconstruction loss (Eq. 3 of arXiv 2607.02447) on one minibatch.

    ℓ = mean_b ‖W_d W_e (x_b ⊙ m_b) − x_b ⊙ (1 − m_b)‖², m_bk ~ Bernoulli(1 − p), 1 = visible.
    E_m[ℓ] = tr(B Σ_uu Bᵀ) − 2 tr(B Σ_uv) + tr(Σ_vv), B = W_d W_e, with the batch moments of
    ``theory.objectives.recon_moments(x, p=p, with_vv=True)``.

    Args:
      params: ``(W_e, W_d)`` with W_e (c, d) and W_d (d, c).
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
    k_mask, _ = jr.split(key)
    m = _mask(k_mask, p, x.shape, x.dtype, exact=True)
    recon = (x * m) @ W_e.T @ W_d.T
    return jnp.mean(jnp.sum((recon - x * (1 - m)) ** 2, axis=-1))


def masked_embeddings(W: Any, x: Any, p: Any, *, key: jax.Array, exact: bool = False) -> jax.Array:
    """Local masked embeddings z = W(x ⊙ m), shape (B, c), with the same mask as the MIM losses.

    The z_i a client sends for MAR (Alg. 1–2 of arXiv 2607.02447). With the same key this is
    the z used inside :func:`mar` and the visible view inside :func:`mim`; with ``exact=True``
    the mask of :func:`mim_recon` (``jax.random.bernoulli``).

    Args:
      W: (c, d) encoder (W_e). x: (B, d). p: mask ratio in (0, 1). key: PRNG key.
      exact: use :func:`mim_recon`'s mask stream.
    """
    W, x = _encoder_and_batch(W, x)
    _prob(p)
    _key(key)
    k_mask, _ = jr.split(key)
    return (x * _mask(k_mask, p, x.shape, x.dtype, exact)) @ W.T


# --------------------------------------------------------------------------------------------
# MAR: A-MMD, γ schedule


def _sq_dists(a: jax.Array, b: jax.Array) -> jax.Array:
    """‖a_i − b_j‖² from explicit differences (exact zeros on identical rows)."""
    diff = a[:, None, :] - b[None, :, :]
    return jnp.sum(diff * diff, axis=-1)


def _safe_sqrt(d2: jax.Array) -> jax.Array:
    """√d2 with a zero (not NaN) gradient at d2 = 0."""
    pos = d2 > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, d2, 1.0)), 0.0)


def ammd(z: Any, z_bar: Any, *, bandwidth: Any = "mean", squared: bool = True) -> jax.Array:
    """A-MMD of Eq. (6) of arXiv 2607.02447 between pooled embeddings z (B, c) and z̄ (B̄, c).

      A-MMD = Σ_{a≠b} k(z_a, z_b)/(B(B−1)) + Σ_{a≠b} k(z̄_a, z̄_b)/(B̄(B̄−1))
              − 2 Σ_{a,b} k(z_a, z̄_b)/(B B̄),
      k(z, z′) = exp(−‖z − z′‖² / (2σ²))   (``squared=True``, default, as the official code),
      k(z, z′) = exp(−‖z − z′‖ / (2σ²))    (``squared=False``, the paper's printed kernel),

    with the adaptive bandwidth σ computed from the local set z under ``stop_gradient`` (as the
    code, which uses ``no_grad``):

    * ``"mean"`` (default, the paper's Eq. 6): σ = mean_{a≠b} ‖z_a − z_b‖;
    * ``"mean-code"``: σ = mean over all B² pairs including the zero diagonal
      (= (B−1)/B × the above; the code's ``cdist(...).mean()``);
    * a positive number: a fixed σ (then the estimator is unbiased for MMD² with that kernel).

    Why squared by default: the unsquared numerator makes k non-Gaussian and the σ² in the
    denominator dimensionally inconsistent (a distance over a squared distance);
    docs/theory/mar.md §1
    flags it as a probable typo and the released code squares it (§2). Both are kept.
    Deviation from the code (docs/theory/mar.md §2): the within-set sums exclude a = b here (the
    code keeps the diagonal, adding a constant), and only pooled 2-D embeddings are accepted (the
    code's 3-D token tensors mis-scale the cross term). If all local embeddings coincide
    (σ = 0), σ = 1 is used; the kernel values are then exact anyway for identical points.

    Args:
      z: (B, c) local embeddings, B ≥ 2. z_bar: (B̄, c) global embeddings, B̄ ≥ 2.
      bandwidth: ``"mean"``, ``"mean-code"`` or a float σ > 0.
      squared: squared (code) or unsquared (paper as printed) distance in the kernel.

    Returns:
      scalar (may be slightly negative: the within-set terms are unbiased).
    """
    z = _arr(z, "z", 2)
    z_bar = _arr(z_bar, "z_bar", 2, (None, z.shape[1]))
    if z.shape[0] < 2:
        v.fail("z", "an array of shape (B, c) with B >= 2", f"shape {tuple(z.shape)}")
    if z_bar.shape[0] < 2:
        v.fail("z_bar", "an array of shape (B, c) with B >= 2", f"shape {tuple(z_bar.shape)}")
    if z_bar.dtype != z.dtype:
        v.fail("z_bar", f"the dtype of z ({z.dtype})", f"dtype {z_bar.dtype}")
    if isinstance(bandwidth, str):
        v.choice(bandwidth, "bandwidth", BANDWIDTHS)
    elif _concrete(bandwidth):
        v.real(bandwidth, "bandwidth", lo=0.0, lo_open=True)
    b, bb = z.shape[0], z_bar.shape[0]
    d_zz = _sq_dists(z, z)
    d_bb = _sq_dists(z_bar, z_bar)
    d_zb = _sq_dists(z, z_bar)
    if isinstance(bandwidth, str):
        dist = _safe_sqrt(jax.lax.stop_gradient(d_zz))
        n_pairs = b * (b - 1) if bandwidth == "mean" else b * b
        sigma = jnp.sum(dist) / n_pairs
        sigma = jnp.where(sigma > 0, sigma, 1.0)
    else:
        sigma = jnp.asarray(bandwidth, dtype=z.dtype)

    def kern(d2):
        num = d2 if squared else _safe_sqrt(d2)
        return jnp.exp(-num / (2.0 * sigma**2))

    off = 1.0 - jnp.eye(b, dtype=z.dtype)
    off_bar = 1.0 - jnp.eye(bb, dtype=z.dtype)
    k_zz = jnp.sum(kern(d_zz) * off) / (b * (b - 1))
    k_bb = jnp.sum(kern(d_bb) * off_bar) / (bb * (bb - 1))
    k_zb = jnp.sum(kern(d_zb)) / (b * bb)
    return k_zz + k_bb - 2.0 * k_zb


def mar(
    W: Any,
    x: Any,
    z_bar: Any,
    gamma: Any,
    p: Any,
    *,
    key: jax.Array,
    base: str = "mim",
    bandwidth: Any = "mean",
    squared: bool = True,
    return_embeddings: bool = False,
) -> Any:
    """MAR loss (Eq. 5 of arXiv 2607.02447): base MIM loss + γ · A-MMD(z, z̄).

    z = W(x ⊙ m) are the local masked embeddings of this batch, with the same mask m as the base
    loss (and as :func:`masked_embeddings` with the same key); z̄ is the global embedding set
    received from the server / neighbours, treated as a constant (``stop_gradient``).

    ``base``: ``"mim"`` (Eq. 4 surrogate, default: the loss the theory analyses),
    ``"mim-independent"``, or ``"recon"`` (Eq. 3, the paper's Eq. 5 literally; then ``W`` is
    the pair (W_e, W_d) and z = W_e(x ⊙ m)).

    Args:
      W: (c, d) encoder, or (W_e, W_d) for ``base="recon"``.
      x: (B, d) batch. z_bar: (B̄, c) global embeddings. gamma: weight γ ≥ 0 (may be traced).
      p: mask ratio in (0, 1). key: PRNG key.
      bandwidth, squared: passed to :func:`ammd`.
      return_embeddings: also return z (use ``jax.value_and_grad(..., has_aux=True)``).

    Returns:
      scalar loss, or ``(loss, z)`` with z (B, c).
    """
    v.choice(base, "base", MAR_BASES)
    _nonneg(gamma, "gamma")
    if base == "recon":
        base_loss = mim_recon(W, x, p, key=key)
        W_e = W[0]
    else:
        base_loss = (mim if base == "mim" else mim_independent)(W, x, p, key=key)
        W_e = W
    z = masked_embeddings(W_e, x, p, key=key, exact=base == "recon")
    reg = ammd(z, jax.lax.stop_gradient(jnp.asarray(z_bar)), bandwidth=bandwidth, squared=squared)
    total = base_loss + gamma * reg
    return (total, z) if return_embeddings else total


def gamma_schedule(
    count: Any, omega: Any, gamma_max: float = 1e-1, gamma_min: float = 1e-3
) -> jax.Array:
    """Cosine MAR weight of Eq. (7) of arXiv 2607.02447 over a client's participation count.

    γ = γ_min + (γ_max − γ_min) · ½(1 + cos(π · clip(ω/Ω, 0, 1))).

    ω = ``count`` is the number of times the client has been selected so far; the ratio is
    clipped to [0, 1] as in the official code (``min(1, count/c_cap)``), so γ stays at γ_min
    once ω ≥ Ω (the paper's formula would rise again for ω > Ω). γ(0) = γ_max, γ(Ω) = γ_min.
    The paper's Ω is T in DecL and the expected number of selections per client in FL.

    Args:
      count: ω ≥ 0, scalar or array (e.g. (N,) per client); may be traced.
      omega: Ω > 0 (may be traced).
      gamma_max, gamma_min: 0 ≤ γ_min ≤ γ_max (paper defaults 1e−1 and 1e−3).

    Returns:
      float64 array of the shape of ``count``.

    Example:
      >>> [round(float(gamma_schedule(c, 4)), 4) for c in (0, 2, 4, 9)]
      [0.1, 0.0505, 0.001, 0.001]
    """
    gmin = v.real(gamma_min, "gamma_min", lo=0.0)
    gmax = v.real(gamma_max, "gamma_max", lo=gmin)
    if _concrete(omega):
        v.real(omega, "omega", lo=0.0, lo_open=True)
    if _concrete(count):
        c_np = np.asarray(count, dtype=np.float64)
        if not np.all(np.isfinite(c_np)) or np.any(c_np < 0):
            v.fail("count", "participation counts >= 0", count)
    f64 = jnp.float64
    return gamma_cosine(jnp.asarray(count, f64), jnp.asarray(omega, f64), gmax, gmin)


def gamma_cosine(count: Any, omega: Any, gamma_max: Any, gamma_min: Any) -> jax.Array:
    """The formula of :func:`gamma_schedule` without validation, for traced (swept) γ's:
    γ_min + (γ_max − γ_min)·½(1 + cos(π·clip(ω/Ω, 0, 1))) in the dtype of ``count``."""
    ratio = jnp.clip(count / omega, 0.0, 1.0)
    return gamma_min + (gamma_max - gamma_min) * 0.5 * (1.0 + jnp.cos(jnp.pi * ratio))


# --------------------------------------------------------------------------------------------
# SSD: dimension-scaled regularisation


def _normalize_rows(z: jax.Array) -> jax.Array:
    norm = _safe_sqrt(jnp.sum(z * z, axis=-1, keepdims=True))
    return z / jnp.where(norm > 0, norm, 1.0)


def _dsr_value(z: jax.Array, target: jax.Array, form: str) -> jax.Array:
    diff = z - target
    if form == "paper":
        return jnp.mean(jnp.sum(diff * diff, axis=-1))
    return _safe_sqrt(jnp.sum(diff * diff)) / z.shape[0]


def _check_dsr(z: Any, Q: Any, scale: Any, field: str = "z") -> tuple:
    z = _arr(z, field, 2)
    c = z.shape[1]
    Q = _arr(Q, "Q", 2, (c, c))
    scale = _arr(scale, "scale", 1, (c,))
    if Q.dtype != z.dtype or scale.dtype != z.dtype:
        v.fail("Q", f"Q and scale of the dtype of {field} ({z.dtype})", f"{Q.dtype}/{scale.dtype}")
    return z, Q, scale


def dsr(z: Any, Q: Any, scale: Any, *, form: str = "paper", normalize: bool = True) -> jax.Array:
    """SSD's soft-separation regulariser (DSR; docs/theory/ssd.md §2) for one client's embeddings.

      T = normalize_rows(stop_gradient(Q diag(d_k) Qᵀ z_b)),
      ``form="paper"``: mean_b ‖z_b − T_b‖²   (the project page's squared expectation),
      ``form="code"``:  ‖Z − T‖_F / B          (the official code: Frobenius norm, not squared).

    With ``normalize=True`` (as in SSD, whose z is the L2-normalised projector output) the rows
    of z are L2-normalised first, and the gradient flows through that normalisation.

    Args:
      z: (B, c) embeddings. Q: (c, c) orthogonal. scale: (c,) the client's d_k.
      form: ``"paper"`` or ``"code"``. normalize: L2-normalise the rows of z first.

    Returns:
      scalar.
    """
    v.choice(form, "form", DSR_FORMS)
    z, Q, scale = _check_dsr(z, Q, scale)
    if normalize:
        z = _normalize_rows(z)
    target = _normalize_rows(jax.lax.stop_gradient(((z @ Q) * scale) @ Q.T))
    return _dsr_value(z, target, form)


def dsr_scales(
    n_clients: int, dim: int, *, key: jax.Array, weight: float = 10.0, dtype: Any = jnp.float64
) -> tuple[jax.Array, jax.Array]:
    """Shared rotation Q and per-client scalings d_k of SSD's DSR (docs/theory/ssd.md §2.2, §3).

    Q is Haar-random orthogonal (QR of a Gaussian matrix, signs fixed by diag R). A random
    permutation of the dim coordinates is cut into disjoint blocks S_k of m = dim // K
    coordinates; d_k = ``weight`` on S_k and 1 elsewhere, so M_k M_kᵀ = Q diag(d_k) Qᵀ.
    Row k belongs to client id k (the paper's intent; the code assigns by selection slot).

    Args:
      n_clients: K ≥ 1 with K ≤ dim. dim: embedding width c. key: PRNG key.
      weight: w > 0 (the code uses 10). dtype: float dtype.

    Returns:
      ``(Q (dim, dim), scales (K, dim))``.
    """
    k = v.integer(n_clients, "n_clients", lo=1)
    c = v.integer(dim, "dim", lo=1)
    if k > c:
        v.fail("n_clients", f"an integer in [1, dim={c}]", k)
    w = v.real(weight, "weight", lo=0.0, lo_open=True)
    _key(key)
    # Host-side draw (NumPy generator seeded from the key): no XLA compilation for a one-off.
    rng = np.random.default_rng(np.asarray(jr.key_data(key)).ravel())
    q, r = np.linalg.qr(rng.standard_normal((c, c)))
    q = q * np.sign(np.diagonal(r))[None, :]
    m = c // k
    perm = rng.permutation(c)[: k * m].reshape(k, m)
    scales = np.ones((k, c))
    scales[np.arange(k)[:, None], perm] = w
    return jnp.asarray(q, dtype=dtype), jnp.asarray(scales, dtype=dtype)


def dsr_linear(
    W: Any, x: Any, Q: Any, scale: Any, *, normalize: bool = False, form: str = "paper"
) -> jax.Array:
    """Projector-free DSR for a linear encoder: the regulariser applied to z = W x directly.

    A linear encoder has no projector, so there is nothing for Projector Distillation to do and
    DSR acts on the representation itself (docs/theory/ssd.md §3). Default (``normalize=False``):
    ℓ = mean_b ‖z_b − stop_gradient(M z_b)‖², M = Q diag(d_k) Qᵀ, without the row
    normalisation. Chosen because its gradient is exactly

        ∇_W ℓ = −2 (M − I) W S,   S = mean_b x_b x_bᵀ,

    i.e. λ·DSR changes the linear objective's gradient −2 W X + 2 W WᵀW by a term that is
    again linear in the data second moment, so training with it stays comparable with the
    closed forms of :mod:`theory.objectives` (and it is well defined at z = 0, where the
    normalised form is not). ``normalize=True`` gives SSD's normalised version of
    :func:`dsr` on z = W x (scale-invariant in W: it only rotates W).

    Args:
      W: (c, d). x: (B, d). Q: (c, c). scale: (c,). normalize: see above. form: as :func:`dsr`
        (used only with ``normalize=True``; the default form is the paper's squared mean).
    """
    W, x = _encoder_and_batch(W, x)
    z = x @ W.T
    if normalize:
        return dsr(z, Q, scale, form=form, normalize=True)
    z, Q, scale = _check_dsr(z, Q, scale)
    target = jax.lax.stop_gradient(((z @ Q) * scale) @ Q.T)
    return _dsr_value(z, target, "paper")
