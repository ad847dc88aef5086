r"""The random draws of the losses and of the engine within a step, from a counter-based hash:
the visibility masks of MIM and the Gaussian augmentation noise of CL.

A mask m (True = visible) has :math:`P(m_k = 1) = 1 - p` i.i.d. over entries, p the mask ratio
of Eq. (4) of arXiv 2607.02447. Its words come from :func:`random_bits32`, a hash of the element
index keyed by the two words of a JAX key (about 20 integer operations per word instead of
threefry's ~100), and a word is visible iff it is below :func:`mask_threshold` (p). The noise
:math:`\xi \sim \mathcal{N}(0, I)` of the CL views (Eq. 2) is :func:`gaussian`: the same words
through the normal quantile function, in float32. The same key gives the same mask and the same
noise in float32 and float64 runs and on every backend, so the engine can reproduce the
embeddings a loss saw.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Bool, UInt32

import sims.keys as keys
from sims.losses._checks import _concrete
from theory import _validate as v

__all__ = ["random_bits32", "mask_threshold", "mask", "gaussian"]


def _lowbias32(h: jax.Array) -> jax.Array:
    """A 32-bit integer bijection with strong avalanche ("lowbias32": xor-shift-multiply with
    constants 0x7feb352d, 0x846ca68b and shifts 16, 15, 16; Wellons' hash search)."""
    h = h ^ (h >> 16)
    h = h * jnp.uint32(0x7FEB352D)
    h = h ^ (h >> 15)
    h = h * jnp.uint32(0x846CA68B)
    return h ^ (h >> 16)


def random_bits32(key: jax.Array, shape: tuple) -> UInt32[jax.Array, "..."]:
    r"""uint32 random words of ``shape`` from a counter-based hash of the element index keyed by
    the two words of ``key``: :math:`h_j = H\big(H(H(j \oplus k_0) + k_1) \oplus k_0\big)` with
    H = lowbias32.

    Deviation from ``jax.random.bits`` (threefry, ~100 integer operations per word): about 20
    operations per word, x64-independent, the same words on every backend. Used for the MIM
    masks, where threefry was a third of the engine's time, and for the CL noise
    (:func:`gaussian`). Keys still come from threefry
    (``fold_in``), so streams of different (round, client, step) keys are independent draws of
    the hash; within one key, element j gets word :math:`h_j`.
    """
    size = int(np.prod(shape)) if shape else 1
    if size >= 2**32:
        v.fail("shape", "fewer than 2**32 elements per draw", shape)
    k0, k1 = keys.words(key)
    j = jax.lax.iota(jnp.uint32, size).reshape(shape)
    return _lowbias32(_lowbias32(_lowbias32(j ^ k0) + k1) ^ k0)


def mask_threshold(p: float) -> int:
    r""":math:`T = \lceil (1 - p)\cdot 2^{32}\rceil` (at most :math:`2^{32} - 1`): a word h is
    visible iff :math:`h < T`, so :math:`P(\text{visible}) = T/2^{32} = 1 - p` to within 2.3e-10
    (exactly 1 − p when :math:`(1 - p)\cdot 2^{32}` is an integer)."""
    import math
    from fractions import Fraction

    return min(math.ceil(Fraction(1.0 - float(p)) * 2**32), 2**32 - 1)


def mask(key: jax.Array, p: Any, shape: tuple) -> Bool[jax.Array, "..."]:
    """Visibility mask m (bool, True = visible), :math:`P(m_k = 1) = 1 - p`, i.i.d. over entries.

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


#: Giles' single-precision erfinv (M. Giles, "Approximating the erfinv function", GPU Computing
#: Gems Jade Edition, 2011): erfinv(x) = x·P(w), w = −log(1 − x²), with P a polynomial in
#: w − 2.5 for w < 5 and in √w − 3 beyond; coefficients from the highest degree down
_ERFINV_CENTRAL = (
    2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06, 0.00021858087,
    -0.00125372503, -0.00417768164, 0.246640727, 1.50140941,
)  # fmt: skip
_ERFINV_TAIL = (
    -0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
    -0.0076224613, 0.00943887047, 1.00167406, 2.83297682,
)  # fmt: skip


def _horner(coeffs: tuple, w: jax.Array) -> jax.Array:
    p = jnp.full_like(w, coeffs[0])
    for c in coeffs[1:]:
        p = p * w + jnp.float32(c)
    return p


def _log32(y: jax.Array) -> jax.Array:
    """log y of positive normal float32 y in arithmetic only: y = 2ᵉ·m with m ∈ [√½, √2),
    log m = 2·atanh(t), t = (m − 1)/(m + 1), |t| ≤ 0.172, by its series to t⁹ (truncation
    below 2e-9). On XLA's CPU with its older fusion code generator (which ``dssl`` uses),
    :func:`gaussian` made 98-138 M draws/s with it and 68-110 M with ``jnp.log`` (2 cores,
    four runs of ``benchmarks/bench_gaussian.py``; 1.4-1.9x in three of them, equal in one;
    with the newer generator 406-530 M and 464-581 M)."""
    f32 = jnp.float32
    bits = jax.lax.bitcast_convert_type(y, jnp.int32)
    e = (bits >> 23) - 127
    m = jax.lax.bitcast_convert_type((bits & 0x7FFFFF) | 0x3F800000, f32)
    big = m > f32(1.4142135)
    m = jnp.where(big, m * f32(0.5), m)
    e = jnp.where(big, e + 1, e)
    t = (m - 1) / (m + 1)
    t2 = t * t
    s = t2 * (f32(1 / 3) + t2 * (f32(1 / 5) + t2 * (f32(1 / 7) + t2 * f32(1 / 9))))
    return e.astype(f32) * f32(0.6931471805599453) + 2 * t * (1 + s)


def gaussian(key: jax.Array, shape: tuple, dtype: Any = jnp.float32) -> jax.Array:
    r"""Standard normal draws of ``shape``, computed in float32 and cast to ``dtype``: the
    augmentation noise ξ of the CL views (Eq. 2).

    From the words h of :func:`random_bits32`: k = h >> 8 (24 bits),
    :math:`u = (k + \tfrac12)/2^{24} \in (0, 1)` and
    :math:`z = \Phi^{-1}(u) = \sqrt2\, \operatorname{erfinv}(2u - 1)` (Giles' single-precision
    erfinv, with a float32 logarithm of its own). Checked against ``scipy.special.ndtri`` at every
    one of the :math:`2^{24}` values of u: relative error below 4e-7 (``tests/test_losses.py``).
    The draws are symmetric (:math:`u \mapsto 1 - u` gives −z exactly), so their mean is 0;
    :math:`|z| < 5.42`.

    Deviation from ``jax.random.normal``: another stream (the hash instead of threefry, and the
    inverse CDF in float32 for every dtype), so float32 and float64 runs see the same noise.
    Faster on XLA's CPU (2 cores, four runs of ``benchmarks/bench_gaussian.py``): 98-138
    against 47-55 M float32 draws/s under the ``dssl`` flags, 406-530 against 98-146 M with
    XLA's newer fusion generator.

    Example:
      >>> z = gaussian(jr.key(0), (100_000,))
      >>> z.dtype.name, abs(float(z.mean())) < 0.01, abs(float(z.var()) - 1) < 0.02
      ('float32', True, True)
    """
    return _quantile(random_bits32(key, shape)).astype(dtype)


def _quantile(words: jax.Array) -> jax.Array:
    """Φ⁻¹((k + ½)/2²⁴) in float32 for k the top 24 bits of each uint32 word (:func:`gaussian`)."""
    f32 = jnp.float32
    k = (words >> 8).astype(jnp.int32)  # 0 .. 2^24 - 1
    j = jnp.minimum(k, (1 << 24) - 1 - k)  # distance from the nearer end of the range
    v = (j.astype(f32) + f32(0.5)) * f32(2.0**-24)  # min(u, 1 − u), exact
    x = 1 - 2 * v  # |2u − 1|, exact (an odd multiple of 2^-24)
    w = -_log32(4 * v * (1 - v))  # −log(1 − x²)
    central = _horner(_ERFINV_CENTRAL, w - f32(2.5))
    tail = _horner(_ERFINV_TAIL, jnp.sqrt(w) - f32(3))
    z = f32(np.sqrt(2.0)) * x * jnp.where(w < 5, central, tail)
    return jnp.where(k < (1 << 23), -z, z)


def _mask(key: jax.Array, p: Any, shape: tuple, dtype: Any, exact: bool = False) -> jax.Array:
    """Float mask of ``dtype``: :func:`mask`, or with ``exact`` the ``jax.random.bernoulli``
    stream with float32 draws (kept by :func:`mim_recon`, whose masks Track D's Bernoulli patch
    masks reproduce). The probability is a float32 array, whatever ``dtype`` and JAX's x64
    mode: a Python-float p would make JAX draw 64-bit uniforms under x64, another stream."""
    if exact:
        return jr.bernoulli(key, jnp.asarray(1.0 - p, jnp.float32), shape).astype(dtype)
    return mask(key, p, shape).astype(dtype)
