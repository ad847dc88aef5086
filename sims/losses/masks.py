"""The visibility masks of the MIM-type losses and of the engine, from a counter-based hash.

A mask m (True = visible) has P(m_k = 1) = 1 − p i.i.d. over entries, p the mask ratio of
Eq. (4) of arXiv 2607.02447. Its words come from :func:`random_bits32`, a hash of the element
index keyed by the two words of a JAX key (about 20 integer operations per word instead of
threefry's ~100), and a word is visible iff it is below :func:`mask_threshold` (p). The same
key gives the same mask in float32 and float64 runs and on every backend, so the engine can
reproduce the embeddings a loss saw.
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jaxtyping import Bool, UInt32

from sims.losses._checks import _concrete
from theory import _validate as v

__all__ = ["random_bits32", "mask_threshold", "mask"]


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
    stream with float32 draws (kept by :func:`mim_recon`, whose masks Track D's Bernoulli patch
    masks reproduce). The probability is a float32 array, whatever ``dtype`` and JAX's x64
    mode: a Python-float p would make JAX draw 64-bit uniforms under x64, another stream."""
    if exact:
        return jr.bernoulli(key, jnp.asarray(1.0 - p, jnp.float32), shape).astype(dtype)
    return mask(key, p, shape).astype(dtype)
