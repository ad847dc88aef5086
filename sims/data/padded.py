"""Padded per-client arrays: ragged per-client data as one ``(K, M_max, ...)`` array with a
validity mask, ready for ``jax.vmap``, and minibatches drawn from the valid rows."""

from __future__ import annotations

from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sims.data._checks import _check_key, _concrete, _labels
from theory import _validate as v
from theory._precision import x64

__all__ = ["stack_clients", "client_arrays", "minibatch"]


def stack_clients(
    x_list: Any, *, pad_to: int | None = None, pad_value: float = 0
) -> tuple[jax.Array, jax.Array]:
    r"""Pad K per-client arrays (M_k, ...) to one (K, M_max, ...) array plus a validity mask.

    Args:
      x_list: sequence of K arrays with equal trailing shape and any leading length
        :math:`M_k \ge 0`.
      pad_to: :math:`M_{\max}`; default :math:`\max_k M_k` (must be ≥ it).
      pad_value: value of padded rows.

    Returns:
      ``(x, mask)``: x (K, M_max, ...) with the inputs' dtype, mask (K, M_max) bool, True on
      real rows.

    Example:
      >>> x, mask = stack_clients([np.ones((2, 3)), np.ones((1, 3))])
      >>> x.shape, mask.sum(axis=1).tolist()
      ((2, 2, 3), [2, 1])
    """
    arrays = [np.asarray(a) for a in x_list]
    if not arrays:
        v.fail("x_list", "a non-empty sequence of arrays", x_list)
    tail = arrays[0].shape[1:]
    for k, a in enumerate(arrays):
        if a.ndim < 1 or a.shape[1:] != tail:
            v.fail("x_list", f"arrays of shape (M_k, {tail})", f"client {k}: shape {a.shape}")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            v.fail("x_list", "finite (no NaN or inf)", f"client {k} has NaN/inf")
    longest = max(a.shape[0] for a in arrays)
    m = longest if pad_to is None else v.integer(pad_to, "pad_to", lo=max(longest, 1))
    m = max(m, 1)
    dtype = np.result_type(*arrays)
    out = np.full((len(arrays), m, *tail), pad_value, dtype=dtype)
    mask = np.zeros((len(arrays), m), bool)
    for k, a in enumerate(arrays):
        out[k, : a.shape[0]] = a
        mask[k, : a.shape[0]] = True
    return jnp.asarray(out), jnp.asarray(mask)


def client_arrays(
    partition: Any, x: Any, y: Any, *, pad_to: int | None = None
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Padded per-client data from a partition: (x (K, M_max, d), y (K, M_max), mask (K, M_max)).

    Padded rows have :math:`x = 0` and label −1.
    """
    xa = v.array(x, "x", ndim=2)
    ya = _labels(y, "y")
    if ya.size != xa.shape[0]:
        v.fail("y", f"{xa.shape[0]} labels (one per row of x)", ya.size)
    parts = [np.asarray(p, dtype=np.int64) for p in partition]
    for k, p in enumerate(parts):
        if p.size and (p.min() < 0 or p.max() >= xa.shape[0]):
            v.fail("partition", f"indices in [0, {xa.shape[0]})", f"client {k}")
    xs, mask = stack_clients([xa[p] for p in parts], pad_to=pad_to)
    ys, _ = stack_clients([ya[p] for p in parts], pad_to=pad_to, pad_value=-1)
    return xs, ys, mask


def minibatch(
    x: jax.Array, mask: jax.Array, batch_size: int, *, key: jax.Array, replace: bool = False
) -> tuple[jax.Array, jax.Array]:
    r"""Draw a minibatch of ``batch_size`` valid rows of one padded client.

    Without replacement (default) the rows are the top-B of Gumbel scores over valid rows, so
    each B-subset of valid rows is equally likely; with replacement rows are i.i.d. uniform
    over valid rows. Unbatched and jittable; ``jax.vmap`` it over clients. Under ``jit`` the
    check :math:`B \le \#\text{valid rows}` cannot run: padded rows would then be drawn.

    Args:
      x: (M, ...) one client's padded data.
      mask: (M,) bool, True on real rows.
      batch_size: :math:`B \ge 1` (≤ number of valid rows when ``replace`` is False).
      key: JAX PRNG key.
      replace: sample with replacement.

    Returns:
      ``(xb, idx)``: xb (B, ...) and the row indices idx (B,).
    """
    b = v.integer(batch_size, "batch_size", lo=1)
    _check_key(key)
    if jnp.ndim(mask) != 1 or jnp.ndim(x) < 1 or jnp.shape(x)[0] != jnp.shape(mask)[0]:
        v.fail("mask", "a (M,) bool array matching x's first axis", f"shape {jnp.shape(mask)}")
    if _concrete(mask):
        valid = int(np.asarray(mask).sum())
        if valid == 0 or (not replace and b > valid):
            v.fail("batch_size", f"an integer in [1, {valid}] (valid rows)", b)
    elif not replace and b > jnp.shape(mask)[0]:
        v.fail("batch_size", f"an integer in [1, {jnp.shape(mask)[0]}]", b)
    mask = jnp.asarray(mask, dtype=bool)
    with x64():  # float64 draws whatever the caller's x64 setting (same rows for any dtype)
        if replace:
            logits = jnp.where(mask, 0.0, -jnp.inf)
            idx = jr.categorical(key, logits, shape=(b,)).astype(jnp.int32)
        else:
            scores = jnp.where(mask, jr.gumbel(key, mask.shape, dtype=jnp.float64), -jnp.inf)
            idx = jax.lax.top_k(scores, b)[1].astype(jnp.int32)
    return jnp.asarray(x)[idx], idx
