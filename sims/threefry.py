"""JAX's threefry2x32 hash lowered on the CPU as straight-line code: the same random bits, faster.

Every random number of a run (data, partition, graph, client sampling, masks, Gaussian views,
init) comes from JAX's default PRNG, whose core is the Threefry-2x32 hash with 20 rounds
(Salmon, Moraes, Dror and Shaw, "Parallel random numbers: as easy as 1, 2, 3", SC 2011). On
the CPU, JAX lowers the hash as a loop over its five blocks of four rounds, which XLA runs as
five passes over the whole array of counters. :func:`use_straight_threefry` registers a
lowering that writes the 20 rounds out, so XLA fuses the hash with what consumes its bits
(uniforms, normals, masks) into one pass.

Measured on 2 cores (AMD EPYC, AVX-512; ``benchmarks/bench_threefry.py``, figures in
``benchmarks/results/threefry.json``): 2.46 M 32-bit words and float32 normals, and the
Track C runs of the default configuration, whose CL views' Gaussian noise is most of their
time.

The hash is a fixed function, so every random bit is the same under either lowering
(``tests/test_threefry.py`` checks the published known-answer vectors, an independent NumPy
evaluation, and JAX's own lowering on normals, integers, permutations and keys). Float32
results computed FROM the bits can still round differently, because XLA then fuses the
floating-point operations around the draws differently (2026-11-23: a default ``dssl
reproduce`` equal in all 82,886 values; a fast one differs in 29 of 26,154 values, Track D
Table 5, at the 7th digit). The registration is global to the process and only affects
programs compiled afterwards; it is never done on import: the ``dssl`` commands (and their
worker processes) call it, and so may you::

    import sims.threefry
    sims.threefry.use_straight_threefry()
"""

from __future__ import annotations

import contextlib

#: rotation distances of the even and the odd blocks of four rounds (Salmon et al. 2011)
ROTATIONS = ((13, 15, 26, 6), (17, 29, 16, 24))
#: the constant of Threefry's key schedule: the third key word is k0 ^ k1 ^ PARITY
PARITY = 0x1BD11BDA
#: blocks of four rounds (20 rounds in all)
BLOCKS = 5

_registered = False


def threefry2x32(k0, k1, x0, x1, xp=None):
    """Threefry-2x32-20 of the counters (x0, x1) under the key (k0, k1), for uint32 arrays of
    ``xp`` (``jax.numpy`` by default; NumPy works too: the tests use it as an oracle).

    Key injection before the first round and after every block of four rounds, the i-th
    injection adding i to the second word.

    >>> import numpy as np
    >>> [hex(int(w)) for w in threefry2x32(*np.zeros(4, np.uint32), xp=np)]
    ['0x6b200159', '0x99ba4efe']
    """
    if xp is None:
        import jax.numpy as xp
    u32 = xp.uint32
    k0, k1, x0, x1 = (xp.asarray(a, dtype=u32) for a in (k0, k1, x0, x1))
    # the sums wrap modulo 2³² by design (NumPy would warn on its scalars)
    wrap = xp.errstate(over="ignore") if hasattr(xp, "errstate") else contextlib.nullcontext()
    with wrap:
        keys = (k0, k1, k0 ^ k1 ^ u32(PARITY))
        x0 = x0 + keys[0]
        x1 = x1 + keys[1]
        for block in range(BLOCKS):
            for r in ROTATIONS[block % 2]:
                x0 = x0 + x1
                x1 = (x1 << u32(r)) | (x1 >> u32(32 - r))
                x1 = x1 ^ x0
            x0 = x0 + keys[(block + 1) % 3]
            x1 = x1 + keys[(block + 2) % 3] + u32(block + 1)
    return x0, x1


def _lowering(ctx, k0, k1, x0, x1):
    """MLIR lowering rule of ``threefry2x32_p``: the four operands broadcast to the output
    shape (the primitive broadcasts them), then :func:`threefry2x32` traced as straight-line
    code."""
    import jax.numpy as jnp
    from jax.interpreters import mlir

    shape = ctx.avals_out[0].shape

    def straight(*args):
        return threefry2x32(*(jnp.broadcast_to(a, shape) for a in args))

    return mlir.lower_fun(straight, multiple_results=True)(ctx, k0, k1, x0, x1)


def use_straight_threefry() -> bool:
    """Lower JAX's ``threefry2x32`` hash on the CPU as straight-line code (see the module
    docstring) from now on in this process; returns True once it is in effect, False where
    this JAX does not export what it needs (nothing changes then). Idempotent. Programs
    compiled before keep the loop lowering (the same numbers)."""
    global _registered
    if _registered:
        return True
    try:
        from jax.extend.random import threefry2x32_p
        from jax.interpreters import mlir
    except ImportError:  # pragma: no cover - an older or newer JAX without these exports
        return False
    mlir.register_lowering(threefry2x32_p, _lowering, platform="cpu")
    _registered = True
    return True
