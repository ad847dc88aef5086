"""The pieces of one communication round, shared by :func:`sims.run` and the engine.

Each piece is written for ONE client (unbatched) or acts on a pytree whose leaves carry the
clients on a leading axis N (Algorithms 1 and 2 of arXiv 2607.02447):

* keys: :func:`as_key` checks one; the key streams: the minibatch rows of client i at local
  step s of round t (:func:`batch_indices`, stream 0 of the run's key), the key handed to the loss
  (:func:`loss_key`, stream 1) and FedAvg participation (:func:`participation`, stream 2),
  each folded in by (round, client, step), so every random number depends only on those;
* client batching: :func:`map_clients` (``vmap``, or ``lax.map`` over chunks of clients);
* local training: :func:`local_train`, E optimiser steps of one client in a ``lax.scan``;
* mixing: :func:`mix_gossip` (θ_i ← Σ_j W_ij θ_j) and :func:`mix_average` (FedAvg's 1 sᵀ in
  O(N)); and the consensus distance of the mixed models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import optax
from jax import lax
from jaxtyping import Array, Float, Int

import sims.keys as keys
from theory import _validate as v
from theory import dissimilarity

__all__ = [
    "as_key",
    "batch_indices",
    "loss_key",
    "participation",
    "map_clients",
    "mix_gossip",
    "mix_average",
    "local_train",
]

_BATCH, _LOSS, _PARTICIPATION = 0, 1, 2


def as_key(key: Any, field: str = "key") -> Array:
    """Return ``key`` if it is a JAX PRNG key: new-style (``jr.key``) or raw uint32 (2,)
    (``jr.PRNGKey``); raise a one-line ValueError naming ``field`` otherwise.

    >>> as_key(jr.key(0)).shape, as_key(jr.PRNGKey(0)).shape
    ((), (2,))
    """
    try:
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) and key.shape == ():
            return key
        if key.dtype == jnp.uint32 and key.shape == (2,):
            return key
    except AttributeError:
        pass
    v.fail(field, "a JAX PRNG key (jr.key(seed) or jr.PRNGKey(seed))", key)


def _fold_in_all(key: Array, data: tuple) -> Array:
    """``fold_in(... fold_in(key, data[0]) ..., data[-1])`` (:func:`sims.keys.fold_in`: the bits
    of ``jax.random.fold_in``, written out)."""
    for d in data:
        key = keys.fold_in(key, d)
    return key


def batch_indices(
    key: Array,
    t: Int[Array, ""] | int,
    i: Int[Array, ""] | int,
    s: Int[Array, ""] | int,
    n_i: Int[Array, ""] | int,
    batch_size: int,
) -> Int[Array, " B"]:
    """Minibatch rows of client i at local step s of round t: B uniform draws from [0, n_i)
    with key ``fold_in(fold_in(fold_in(fold_in(key, 0), t), i), s)`` (``jr.randint`` with int32
    rows, so float32 and float64 runs draw the same rows; computed by :mod:`sims.keys`, the
    same bits written out).

    >>> batch_indices(jr.key(0), 0, 1, 0, 5, 3).shape
    (3,)
    """
    return keys.randint(_fold_in_all(key, (_BATCH, t, i, s)), batch_size, n_i)


def loss_key(key: Array, t: Any, i: Any, s: Any) -> Array:
    """The key handed to ``loss`` for client i at local step s of round t:
    ``fold_in(fold_in(fold_in(fold_in(key, 1), t), i), s)`` (``jr.fold_in``, by
    :mod:`sims.keys`)."""
    return _fold_in_all(key, (_LOSS, t, i, s))


def participation(key: Array, t: Any, n: int, n_sampled: int, dtype: Any) -> Float[Array, " N"]:
    """FedAvg participation mask of round t: 1 on ``n_sampled`` clients drawn without
    replacement with ``fold_in(fold_in(key, 2), t)``, 0 elsewhere (all ones if S = N).

    >>> participation(jr.key(0), 0, 4, 2, jnp.float32).sum().item()
    2.0
    """
    if n_sampled >= n:
        return jnp.ones((n,), dtype)
    k = _fold_in_all(key, (_PARTICIPATION, t))
    chosen = jr.permutation(k, n)[:n_sampled]
    return jnp.zeros((n,), dtype).at[chosen].set(1)


def map_clients(fn: Callable, args: tuple, n: int, chunk: int | None = None):
    """``vmap(fn)(*args)`` over the leading client axis, or ``lax.map`` over chunks of ``chunk``
    clients (each chunk one ``vmap``) when chunk < N: the working set is then ``chunk``
    clients. Per-client results do not depend on the chunking (each client's computation is
    independent); only the batching of the kernels differs."""
    if chunk is None or chunk >= n:
        return jax.vmap(fn)(*args)
    return lax.map(lambda a: fn(*a), args, batch_size=chunk)


def mix_gossip(W: Float[Array, "N N"], tree: Any) -> Any:
    """θ_i ← Σ_j W_ij θ_j on every leaf (leading axis N); W is cast to each leaf's dtype."""
    return jax.tree.map(lambda a: jnp.tensordot(W.astype(a.dtype), a, axes=(1, 0)), tree)


def mix_average(s: Float[Array, " N"], tree: Any) -> Any:
    """FedAvg mixing 1 sᵀ without forming it: every client gets Σ_j s_j θ_j (O(N) work)."""

    def one(a):
        avg = jnp.tensordot(s.astype(a.dtype), a, axes=(0, 0))
        return jnp.broadcast_to(avg, a.shape)

    return jax.tree.map(one, tree)


def local_train(
    value_and_grad: Callable,
    optimizer: optax.GradientTransformation,
    params: Any,
    opt_state: Any,
    data_i: Any,
    n_i: Int[Array, ""],
    keys: tuple[Array, Array],
    t: Int[Array, ""],
    i: Int[Array, ""],
    *,
    steps: int,
    batch_size: int,
    scale: Any = None,
    record: bool = False,
):
    """E optimiser steps of ONE client (unbatched; ``vmap`` it over clients).

    The E minibatches (rows from :func:`batch_indices` with ``keys[0]``) are gathered once,
    before a ``lax.scan`` over the steps; step s calls ``value_and_grad(params, batch,
    key=loss_key(keys[1], t, i, s)) -> (loss, grads, aux)``. ``scale`` multiplies the updates
    (learning-rate schedule). ``data_i`` None: no minibatches (full-batch losses).

    Returns:
      ``(params, opt_state, losses (E,), aux (E, ...), record)`` with ``record`` the pair
      (iterates (E, ...), gradients (E, ...)) if ``record`` else None.
    """
    key_b, key_l = keys
    ss = jnp.arange(steps)
    if data_i is None:
        batches = jnp.zeros((steps,), jnp.int32)
    else:
        rows = jax.vmap(lambda s: batch_indices(key_b, t, i, s, n_i, batch_size))(ss)
        batches = jax.tree.map(lambda a: a[rows], data_i)

    def step(carry, inp):
        p, o = carry
        s, batch = inp
        val, g, aux = value_and_grad(
            p, None if data_i is None else batch, key=loss_key(key_l, t, i, s)
        )
        with jax.numpy_dtype_promotion("standard"):  # optax mixes int counts and floats
            upd, o = optimizer.update(g, o, p)
        if scale is not None:
            upd = jax.tree.map(lambda u: scale * u, upd)
        rec = (p, g) if record else None
        return (optax.apply_updates(p, upd), o), (val, aux, rec)

    (params, opt_state), (vals, aux, rec) = lax.scan(step, (params, opt_state), (ss, batches))
    return params, opt_state, vals, aux, rec


def _consensus_distance(tree: Any) -> Array:
    """(1/N)Σ_i‖θ_i − θ̄‖² summed over the leaves (:func:`theory.dissimilarity.consensus_sq_jnp`)."""
    total = [dissimilarity.consensus_sq_jnp(a) for a in jax.tree.leaves(tree)]
    out = total[0]
    for x in total[1:]:
        out = out + x.astype(out.dtype)
    return out
