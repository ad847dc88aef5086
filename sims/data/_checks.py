"""Argument checks shared by the data modules: PRNG keys, tracers, integer label arrays."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from theory import _validate as v


def _check_key(key: Any) -> None:
    if key is None:
        v.fail("key", "a JAX PRNG key", key)
    try:
        typed = jnp.issubdtype(key.dtype, jax.dtypes.prng_key)
        raw = key.dtype == jnp.uint32 and key.shape[-1:] == (2,)
        shape = tuple(key.shape)
    except (AttributeError, TypeError):
        typed = raw = False
    if typed or raw:
        if shape == (() if typed else (2,)):
            return
        v.fail("key", "one JAX PRNG key (jax.random.key(seed), shape (); not a batch of keys)",
               f"keys of shape {shape}")  # fmt: skip
    v.fail("key", "a JAX PRNG key", key)


def _concrete(value: Any) -> bool:
    return not isinstance(value, jax.core.Tracer)


def _labels(labels: Any, field: str = "labels") -> np.ndarray:
    a = np.asarray(labels)
    if a.ndim != 1 or a.size == 0:
        v.fail(field, "a non-empty 1-D array of integer labels", f"shape {a.shape}")
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            v.fail(field, "integer labels >= 0", "non-integer entries")
    if a.min() < 0:
        v.fail(field, "integer labels >= 0", int(a.min()))
    return a.astype(np.int64)
