"""Argument checks shared by the losses of :mod:`sims.losses`.

Shapes and dtypes are always checked; values (finiteness, p ∈ (0, 1), γ ≥ 0, …) only when they
are concrete, i.e. outside ``jit``/``vmap`` tracing. Every failure is one ValueError line naming
the field (``theory._validate``).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from theory import _validate as v


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
