"""The key derivations of a round (fold-in, split, minibatch rows) written out as straight-line
Threefry-2x32 code: the same bits as ``jax.random``, fewer and cheaper programs on a CPU.

Every random number of a round comes from the run's key through ``fold_in`` (round, client,
step), ``split`` (the two draws of a loss) and ``randint`` (the minibatch rows):
:func:`sims.core.rounds.batch_indices`, :func:`sims.core.rounds.loss_key` and the views of
:mod:`sims.losses.methods` and :mod:`sims.losses`. Their core is the Threefry-2x32 hash with 20
rounds (Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011).
On the CPU, JAX lowers the hash as a loop over its five blocks of four rounds, so every
``fold_in`` or ``split`` became a small ``while`` loop of its own: hundreds per round of the
engine, each a handful of tiny kernels. Written out here (:func:`threefry2x32`), XLA fuses a
derivation with its neighbours instead. At the quick setting of ``dssl bench`` (N = 100, d = 64,
c = 16, B = 32, E = 5, T = 20; 2 cores, three runs of ``benchmarks/bench_keys.py``) the engine
took 4-7 % less time (medians) with its default metrics and 8-14 % less recording only the
losses, with the same final models (docs/performance.md).

The functions reproduce ``jax.random`` with JAX's default Threefry implementation and its
default ``jax_threefry_partitionable`` mode (``tests/test_keys.py`` checks them against
``jax.random`` on random keys, data and ranges, and :func:`threefry2x32` against the published
known-answer vectors). So the streams are those of ``jax.random`` under JAX's defaults, and
they are defined here, not by JAX's configuration: with ``jax_threefry_partitionable`` off,
``jax.random.split`` would give other keys, these functions the same ones. A typed key of
another implementation (``jax.random.key(0, impl="rbg")``) goes to ``jax.random`` itself.

Keys may be typed (``jax.random.key``) or raw (uint32 (..., 2), ``jax.random.PRNGKey``); each
function returns a key of the kind it was given.
"""

from __future__ import annotations

import contextlib
import operator

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
from jax import lax

__all__ = ["threefry2x32", "fold_in", "split", "randint", "key_data", "words"]

#: rotation distances of the even and the odd blocks of four rounds (Salmon et al. 2011)
ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
#: the constant of Threefry's key schedule: the third key word is k0 ^ k1 ^ PARITY
PARITY = 0x1BD11BDA
#: blocks of four rounds (20 rounds in all)
BLOCKS = 5


def threefry2x32(k0, k1, x0, x1, xp=None):
    """Threefry-2x32-20 of the counters (x0, x1) under the key (k0, k1), uint32 arrays of ``xp``
    (``jax.numpy`` by default; NumPy too, as the tests' oracle), broadcast together.

    The key is injected before the first round and after every block of four rounds, the i-th
    injection adding i to the second word.

    >>> import numpy as np
    >>> tuple(hex(int(w)) for w in threefry2x32(*np.zeros(4, np.uint32), xp=np))
    ('0x6b200159', '0x99ba4efe')
    """
    if xp is None or xp is jnp:
        # lax primitives on arrays broadcast once: each jnp operator is a function of its own
        # that a trace enters (type promotion, broadcasting), and under the engine's nested
        # vmap the 100 operators of a hash took 0.1 s of tracing per call: 1.7 s of the
        # paper-size dssl simulate's 16 hashes under cProfile, 0.68 s as primitives (the same
        # bits: tests/test_keys.py, and that run's JSON byte-identical)
        args = jnp.broadcast_arrays(*(jnp.asarray(a, dtype=jnp.uint32) for a in (k0, k1, x0, x1)))
        return _schedule(*args, add=lax.add, xor=lax.bitwise_xor, rotl=_rotl_lax, const=np.uint32)
    u32 = xp.uint32
    args = (xp.asarray(a, dtype=u32) for a in (k0, k1, x0, x1))
    # the sums wrap modulo 2³² by design (NumPy would warn on its scalars)
    with xp.errstate(over="ignore") if hasattr(xp, "errstate") else contextlib.nullcontext():
        return _schedule(*args, add=operator.add, xor=operator.xor, const=u32,
                         rotl=lambda x, r: (x << u32(r)) | (x >> u32(32 - r)))  # fmt: skip


def _rotl_lax(x, r: int):
    """x rotated left by r bits (uint32 words), as lax primitives."""
    return lax.bitwise_or(
        lax.shift_left(x, np.uint32(r)), lax.shift_right_logical(x, np.uint32(32 - r))
    )


def _schedule(k0, k1, x0, x1, *, add, xor, rotl, const):
    """The 20 rounds and 6 key injections of :func:`threefry2x32`, in the array library's own
    operations (``add`` and ``xor`` of two words, ``rotl`` by a distance, ``const`` a uint32)."""
    keys = (k0, k1, xor(xor(k0, k1), const(PARITY)))
    x0 = add(x0, keys[0])
    x1 = add(x1, keys[1])
    for block in range(BLOCKS):
        for r in ROTATIONS[block % 2]:
            x0 = add(x0, x1)
            x1 = xor(rotl(x1, r), x0)
        x0 = add(x0, keys[(block + 1) % 3])
        x1 = add(add(x1, keys[(block + 2) % 3]), const(block + 1))
    return x0, x1


def _is_threefry(key) -> bool:
    """Whether ``key`` is a Threefry key these functions derive from: a typed key of JAX's
    ``threefry2x32`` implementation, or raw uint32 data of shape (..., 2)."""
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return str(jr.key_impl(key)) == "threefry2x32"
    return key.dtype == jnp.uint32 and key.ndim >= 1 and key.shape[-1] == 2


def key_data(key):
    """The raw data (..., words) of a typed (``jax.random.key``) or raw (``jax.random.PRNGKey``)
    key."""
    return jr.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key


def words(key):
    """The first two words of a key's data as uint32 arrays (k0, k1)."""
    data = key_data(key)
    return data[..., 0].astype(jnp.uint32), data[..., 1].astype(jnp.uint32)


def _key_like(key, w0, w1):
    """The key (w0, w1), typed if ``key`` is typed."""
    data = jnp.stack([w0, w1], axis=-1)
    if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
        return jr.wrap_key_data(data, impl=jr.key_impl(key))
    return data


def _hash(key, x0, x1):
    k0, k1 = words(key)
    return threefry2x32(k0, k1, x0, x1)


def fold_in(key, data):
    """``jax.random.fold_in(key, data)`` (a scalar ``data``, taken as uint32): the hash of the
    counter (0, data).

    >>> import numpy as np
    >>> k = jr.key(3)
    >>> bool(np.array_equal(jr.key_data(fold_in(k, 7)), jr.key_data(jr.fold_in(k, 7))))
    True
    """
    if not _is_threefry(key):
        return jr.fold_in(key, data)
    if isinstance(data, int):  # as jax.random.fold_in: a Python int taken as uint32
        data = jnp.asarray(data, dtype=jnp.uint32)
    data = jnp.asarray(data).astype(jnp.uint32)
    return _key_like(key, *_hash(key, jnp.zeros_like(data), data))


def split(key):
    """``jax.random.split(key)`` unpacked: the two keys (k₁, k₂), the hashes of the counters
    (0, 0) and (0, 1) (JAX's partitionable split).

    >>> import numpy as np
    >>> k = jr.key(3)
    >>> bool(np.array_equal(jr.key_data(jnp.stack(split(k))), jr.key_data(jr.split(k))))
    True
    """
    if not _is_threefry(key):
        k1, k2 = jr.split(key)
        return k1, k2
    zero = jnp.uint32(0)
    return _key_like(key, *_hash(key, zero, zero)), _key_like(key, *_hash(key, zero, jnp.uint32(1)))


def _bits32(key, n: int):
    """``jax.random.bits(key, (n,), uint32)`` (partitionable): the two words of the hash of the
    counters (0, j), j < n, XORed."""
    k0, k1 = words(key)
    j = jnp.arange(n, dtype=jnp.uint32)
    w0, w1 = threefry2x32(k0[..., None], k1[..., None], jnp.zeros_like(j), j)
    return w0 ^ w1


def randint(key, n: int, maxval):
    """``jax.random.randint(key, (n,), 0, maxval, dtype=int32)`` for a scalar ``maxval`` below 2³¹:
    two 32-bit words per draw from the keys of :func:`split`, combined as JAX does (hi·2³² + lo
    reduced mod maxval in uint32 arithmetic; maxval ≤ 0 gives 0).

    >>> import numpy as np
    >>> k = jr.key(3)
    >>> bool(np.array_equal(randint(k, 5, 11), jr.randint(k, (5,), 0, 11, dtype=jnp.int32)))
    True
    """
    if not _is_threefry(key):
        return jr.randint(key, (n,), 0, maxval, dtype=jnp.int32)
    k_hi, k_lo = split(key)
    hi, lo = _bits32(k_hi, n), _bits32(k_lo, n)
    maxval = jnp.asarray(maxval, jnp.int32)
    span = jnp.where(maxval <= 0, jnp.uint32(1), maxval.astype(jnp.uint32))
    mult = jnp.uint32(1 << 16) % span  # 2³² mod span, as (2¹⁶ mod span)² mod span
    mult = (mult * mult) % span
    return (((hi % span) * mult + lo % span) % span).astype(jnp.int32)
