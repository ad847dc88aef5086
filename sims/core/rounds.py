r"""One communication round and its pieces.

The round itself is :func:`one_round` (Algorithms 1 and 2 of arXiv 2607.02447): draw the
participants, train them, put their results back among the N clients (unless the caller keeps
the participants' alone: FedAvg's server model), mix with the rule; the rounds of a run are
jitted calls of :func:`scan_in_calls` (their traces joined by :func:`concat_traces`). The one
trainer, :func:`sims.core.engine.make_round`, runs it with the values it is handed (the
clients' training and record, :class:`sims.core.engine.Clients`; the mixing rule, N, S): Track
C's and :func:`sims.run`'s. Its pieces are written
for ONE client (unbatched) or act on a pytree whose leaves carry the clients on a leading axis N:

* keys: :func:`as_key` checks one; the key streams: the minibatch of client i at local step s
  of round t (:func:`batch_key`, stream 0 of the run's key: its rows, :func:`batch_indices`, or
  its samples drawn from a generator of the data), the key handed to the loss
  (:func:`loss_key`, stream 1) and FedAvg participation (:func:`participation`, stream 2),
  each folded in by (round, client, step), so every random number depends only on those;
* client batching: :func:`map_clients` (``vmap``, or ``lax.map`` over chunks of clients),
  the chunk width :func:`clients_per_chunk` (the memory and cache budgets), and
  :func:`per_device` (``jax.shard_map``: each device trains the clients it holds);
* local training: :func:`local_train`, E optimiser steps of one client in a ``lax.scan``
  (keyed minibatches drawn before the steps up to :data:`PREDRAW_MAX_BYTES`);
* mixing: :func:`mix_gossip` (:math:`\theta_i \leftarrow \sum_j W_{ij} \theta_j`),
  :func:`mix_neighbours` (the same from padded neighbour lists, O(N·k)) and :func:`mix_average`
  (FedAvg's :math:`\mathbf{1} s^\top` in O(N)); the key of a round's random mixing matrix
  (:func:`mixing_key`, stream 3); and the consensus distance of the mixed models.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, NamedTuple, Protocol

import jax
import jax.numpy as jnp
import jax.random as jr
import optax
from jax import lax
from jax.sharding import PartitionSpec as P
from jaxtyping import Array, Float, Int

import sims.keys as keys
from theory import _validate as v
from theory import dissimilarity

__all__ = [
    "as_key",
    "batch_key",
    "batch_indices",
    "loss_key",
    "participation",
    "map_clients",
    "mix_gossip",
    "mix_neighbours",
    "mix_shifted",
    "neighbours_row",
    "mix_average",
    "mixing_key",
    "local_train",
    "step_streams",
    "ClientAlgorithm",
    "one_round",
    "Round",
    "per_device",
    "scan_in_calls",
    "concat_traces",
]

_BATCH, _LOSS, _PARTICIPATION, _MIXING = 0, 1, 2, 3


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


def batch_key(
    key: Array, t: Int[Array, ""] | int, i: Int[Array, ""] | int, s: Int[Array, ""] | int
) -> Array:
    """The minibatch key of client i at local step s of round t:
    ``fold_in(fold_in(fold_in(fold_in(key, 0), t), i), s)`` (by :mod:`sims.keys`). It draws the
    step's rows of a materialised sample (:func:`batch_indices`) or, with a generator of the
    data (``EngineConfig.sampler``), the step's samples themselves.

    >>> import numpy as np
    >>> k = jr.PRNGKey(0)
    >>> bool(np.array_equal(batch_key(k, 2, 1, 0),
    ...                     jr.fold_in(jr.fold_in(jr.fold_in(jr.fold_in(k, 0), 2), 1), 0)))
    True
    """
    return _fold_in_all(key, (_BATCH, t, i, s))


def batch_indices(
    key: Array,
    t: Int[Array, ""] | int,
    i: Int[Array, ""] | int,
    s: Int[Array, ""] | int,
    n_i: Int[Array, ""] | int,
    batch_size: int,
) -> Int[Array, " B"]:
    """Minibatch rows of client i at local step s of round t: B uniform draws from
    :math:`[0, n_i)` with key ``fold_in(fold_in(fold_in(fold_in(key, 0), t), i), s)``
    (``jr.randint`` with int32 rows, so float32 and float64 runs draw the same rows; computed
    by :mod:`sims.keys`, the same bits written out).

    >>> batch_indices(jr.key(0), 0, 1, 0, 5, 3).shape
    (3,)
    """
    return keys.randint(batch_key(key, t, i, s), batch_size, n_i)


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


def mixing_key(key: Array, t: Any) -> Array:
    """The key of round t's random mixing matrix (a random matching,
    :class:`sims.core.mixing.RandomMatching`): ``fold_in(fold_in(key, 3), t)``."""
    return _fold_in_all(key, (_MIXING, t))


def map_clients(fn: Callable, args: tuple, n: int, chunk: int | None = None):
    r"""``vmap(fn)(*args)`` over the leading client axis, or a loop over chunks of at most
    ``chunk`` clients (each chunk one ``vmap``) when chunk < N: the working set is then at
    most ``chunk`` clients. Per-client results do not depend on the chunking (each client's
    computation is independent); only the batching of the kernels differs.

    The loop reads each chunk where it lies (``dynamic_slice``) and writes its results into
    the (N, ...) outputs in place, so the chunking copies no client's arguments and stacks no
    second copy of the results (``lax.map`` with a ``batch_size`` that does not divide N
    sliced and reshaped the arguments and concatenated the results: two more arrays of N
    clients). The N clients are split into :math:`K = \lceil N/\mathrm{chunk}\rceil` chunks
    of equal width :math:`\lceil N/K\rceil \le` ``chunk``; the last one ends at client N and
    overlaps its predecessor by fewer than K clients, which it computes again with the same
    kernel. (With chunks ``chunk`` wide the overlap could reach ``chunk`` − 1 clients: at
    N = 10⁶ on an NVIDIA H200, four chunks as wide as the memory budget allowed trained over
    10⁵ clients twice, and the round took 14 % longer than with four chunks of 250,000.)

    >>> map_clients(lambda a: 2 * a, (jnp.arange(7.0),), 7, chunk=3).tolist()
    [0.0, 2.0, 4.0, 6.0, 8.0, 10.0, 12.0]
    """
    batched = jax.vmap(fn)
    if chunk is None or chunk >= n:
        return batched(*args)
    count = -(-n // chunk)  # chunks, the last one overlapping its predecessor
    chunk = -(-n // count)  # all as wide, so that the overlap is under ``count`` clients

    def part(j):
        start = jnp.minimum(j * chunk, n - chunk)
        return start, jax.tree.map(lambda a: lax.dynamic_slice_in_dim(a, start, chunk), args)

    shapes = jax.eval_shape(lambda a: batched(*a), part(0)[1])
    out = jax.tree.map(lambda s: jnp.zeros((n,) + s.shape[1:], s.dtype), shapes)

    def body(j, out):
        start, a = part(j)
        return jax.tree.map(
            lambda o, r: lax.dynamic_update_slice_in_dim(o, r, start, 0), out, batched(*a)
        )

    return lax.fori_loop(0, count, body, out)


#: Default memory budget (bytes) of the clients processed at once; see
#: :func:`clients_per_chunk`.
CLIENT_MEMORY_BUDGET = 1 << 30


#: Working-set target (bytes) of the clients processed at once: a vmapped step runs each
#: operation over all clients of a chunk before the next, so a chunk that fits the CPU caches
#: avoids streaming every intermediate through memory (measured: N = 1000, d = 64: 1.44 s →
#: 0.33 s per round with 50-client chunks; N = 100, d = 512: 1.15 s → 0.064 s with 8).
CLIENT_CACHE_BUDGET = 8 << 20


def clients_per_chunk(
    per_client: int, n: int, budget_bytes: int | None = None, cache_bytes: int | None = None
) -> int:
    """Clients per chunk (:func:`map_clients`) for clients of ``per_client`` bytes each: the
    largest k ≤ ``n`` with k·``per_client`` ≤ min(memory budget, cache budget) (defaults on a
    CPU :data:`CLIENT_MEMORY_BUDGET` and :data:`CLIENT_CACHE_BUDGET`, on an accelerator a
    quarter of its memory for both), at least 2 where two clients fit the memory budget (else
    1). The rule of the engine (:func:`sims.core.client.auto_client_chunk`) and of
    :func:`sims.run` with :class:`sims.core.trainer.KeyedData`.

    >>> clients_per_chunk(100_000, 10**6, cache_bytes=8 << 20)
    83
    """
    mem_default, cache_default = _backend_budgets()
    budget = mem_default if budget_bytes is None else budget_bytes
    budget = v.integer(budget, "budget_bytes", lo=1)
    cache = cache_default if cache_bytes is None else cache_bytes
    cache = v.integer(cache, "cache_bytes", lo=1)
    per = max(1, int(per_client))
    k = min(budget, cache) // per
    # never one client per chunk while two fit the memory budget: one-client chunks run
    # each client's products unbatched inside the round's loop, measured 1.9-3x slower than
    # chunks of two (fresh processes, AMD EPYC, 2 cores, AVX-512; FedAvg, float32, seconds per
    # round): N = 100, d = 512, c = 64, B = 128: chunk 1 0.40-0.44, 2 0.21, 3 0.23, 4 0.21,
    # 8 0.24, 10 0.31, 100 0.38; N = 100, d = 4096, c = 16, B = 32: chunk 1 0.73, 2 0.24, 4 0.32.
    # (An earlier machine measured the opposite at the first setting, in one process: chunk 1
    # 0.42, 2 0.66, 10 0.44; this rule follows the measurements in fresh processes.)
    if k < 2 and 2 * per <= budget:
        k = 2
    return int(max(1, min(n, k)))


def _backend_budgets() -> tuple[int, int]:
    """(memory, cache) budgets of the default backend. CPU: :data:`CLIENT_MEMORY_BUDGET` and
    :data:`CLIENT_CACHE_BUDGET`. An accelerator has no CPU caches to fit and wants as many
    clients per kernel as its memory holds: a quarter of the device's memory for both (1 GiB
    where the device does not report its memory)."""
    if jax.default_backend() == "cpu":
        return CLIENT_MEMORY_BUDGET, CLIENT_CACHE_BUDGET
    try:
        limit = int((jax.devices()[0].memory_stats() or {}).get("bytes_limit", 0))
    except Exception:  # a backend without memory_stats
        limit = 0
    budget = limit // 4 if limit > 0 else CLIENT_MEMORY_BUDGET
    return budget, budget


#: Bytes of one client's E keyed minibatches up to which they are drawn together, before its
#: first step (:func:`sims.core.client.predraws`, and :func:`sims.run` with keyed data);
#: above it each step draws its own, holding B·d samples instead of E·B·d. At 64 MiB: E = 5
#: steps of B = 256 samples up to d = 6,553 in float64.
PREDRAW_MAX_BYTES = 64 << 20


def predraw_fits(step_bytes: int, local_steps: int) -> bool:
    """Whether a client draws the E keyed minibatches of its round, ``step_bytes`` each, before
    its first step: while they take at most :data:`PREDRAW_MAX_BYTES` together (the rule of
    :func:`sims.core.client.predraws` and of :func:`sims.run` with keyed data).

    >>> predraw_fits(32 * 64 * 4, 5), predraw_fits(32 * 64 * 8, 10**5)
    (True, False)
    """
    return local_steps * step_bytes <= PREDRAW_MAX_BYTES


def per_device(fn: Callable, mesh: Any, k: int, split: tuple[bool, ...]) -> Callable | None:
    """``fn`` in ``jax.shard_map`` over the one axis of ``mesh``: each device runs it on the
    clients it holds, with no communication. The arguments marked True in ``split`` are split
    along their leading client axis, the others replicated; the outputs are split. None when
    there is no mesh, it has one device, or the ``k`` clients of a round do not split evenly
    over its devices (the caller then trains them without ``shard_map``)."""
    if mesh is None or int(mesh.devices.size) < 2 or k % int(mesh.devices.size):
        return None
    c, r = P(mesh.axis_names[0]), P()
    specs = tuple(c if s else r for s in split)
    return jax.shard_map(fn, mesh=mesh, in_specs=specs, out_specs=c, check_vma=False)


def mix_gossip(W: Float[Array, "N N"], tree: Any) -> Any:
    r""":math:`\theta_i \leftarrow \sum_j W_{ij} \theta_j` on every leaf (leading axis N); W is
    cast to each leaf's dtype."""
    return jax.tree.map(lambda a: jnp.tensordot(W.astype(a.dtype), a, axes=(1, 0)), tree)


def mix_neighbours(
    index: Int[Array, "N k"], weights: Float[Array, "N k"], tree: Any, base: Any = None,
    keep: Any = None,
) -> Any:  # fmt: skip
    r""":math:`\theta_i \leftarrow \sum_m \mathrm{weights}[i, m]\, \theta_{\mathrm{index}[i, m]}`
    on every leaf (leading axis N): gossip with the sparse W whose row i holds ``weights[i]``
    at the columns ``index[i]`` (padded neighbour lists,
    :func:`theory.sparse_graphs.neighbour_lists`), in O(N·k) work and memory O(N) per leaf: a
    ``fori_loop`` over the k columns, one gather of the N models each (never the (N, k, ...)
    array of all neighbours' models).

    With ``base`` (a tree like ``tree``, dead after): the same sums accumulated in ``base``'s
    place, so that XLA writes the mixed models over it instead of into a new (N, ...) array
    (the round-start models of the engine, :func:`sims.core.engine.track_c_clients`, and of
    :func:`sims.run`); with the bool scalar ``keep`` as well, ``base`` where ``keep``. Without
    ``keep`` the first column's products overwrite ``base`` (the sums start from 0 as without
    ``base``, whatever ``base`` holds, NaN included)."""
    if base is None:
        return jax.tree.map(lambda a: _neighbour_sums(index, weights, a, jnp.zeros_like(a)), tree)

    def one(a, b):
        if keep is None:
            return _neighbour_sums(index, weights, a, b, overwrite=True)
        start = jnp.where(keep, b, jnp.zeros_like(b))
        return _neighbour_sums(index, weights, a, start, keep)

    return jax.tree.map(one, tree, base)


def mix_shifted(weights: Float[Array, "N k"], shifts: tuple, entry: Any, tree: Any) -> Any:
    r""":func:`mix_neighbours` where every column m of the neighbour lists is a shift,
    ``index[i, m] = (i + shifts[entry][m]) mod N``:
    :math:`\theta_i \leftarrow \sum_m \mathrm{weights}[i, m]\,\theta_{(i + s_m) \bmod N}`, each
    neighbour's models a ``jnp.roll`` of all N by a static shift, the same sums in the same
    order. ``shifts``: a tuple of such rows of k shifts (one per entry of a cycle), ``entry``
    the row this round mixes by (an int32 scalar, traced: a ``lax.switch`` over the rows; None
    for one row). With the clients split over devices, ``jit``'s partitioner moves only the
    rows that cross a device (collective permutes) where the gather of
    :func:`mix_neighbours` has every device gather all N models
    (:func:`sims.core.mixing.with_shifts` finds the shifts; ``sims.core.sharding``)."""

    def by(row: tuple):
        def one(a, w):
            acc = jnp.zeros_like(a)
            for m, s in enumerate(row):
                wm = w[:, m].reshape((-1,) + (1,) * (a.ndim - 1))
                acc = acc + wm * jnp.roll(a, -s, axis=0)
            return acc

        return one

    def leaf(a):
        w = weights.astype(a.dtype)
        if len(shifts) == 1:
            return by(shifts[0])(a, w)
        return lax.switch(entry, [by(row) for row in shifts], a, w)

    return jax.tree.map(leaf, tree)


def neighbours_row(
    index: Int[Array, "N k"], weights: Float[Array, "N k"], tree: Any, i: Any
) -> Any:
    r"""Row i of :func:`mix_neighbours` on every leaf,
    :math:`\sum_m \mathrm{weights}[i, m]\, \theta_{\mathrm{index}[i, m]}`: the same sums in
    the same order (XLA may still round a fused product and sum otherwise), for the batched
    metrics that read the mixed models without forming all N
    (:class:`sims.core.recorded.MixedRows`)."""
    rows = jnp.asarray(index)[i][None], jnp.asarray(weights)[i][None]

    def one(a):
        return _neighbour_sums(*rows, a, jnp.zeros((1,) + a.shape[1:], a.dtype))[0]

    return jax.tree.map(one, tree)


def _neighbour_sums(index, weights, a, start, keep=None, overwrite=False):
    r"""``start`` plus :math:`\sum_m` ``weights[:, m]`` · ``a[index[:, m]]`` for the rows of
    ``index`` (a ``fori_loop`` over its k columns); with ``keep``, ``start`` itself where
    ``keep`` is true; with ``overwrite``, 0 in place of ``start`` (its buffer only is used)."""
    w = weights.astype(a.dtype)

    def add(m, acc):
        col = lax.dynamic_index_in_dim(index, m, axis=1, keepdims=False)
        wm = lax.dynamic_index_in_dim(w, m, axis=1, keepdims=False)
        if overwrite:
            acc = jnp.where(m == 0, jnp.zeros((), a.dtype), acc)
        new = acc + wm.reshape((-1,) + (1,) * (a.ndim - 1)) * a[col]
        return new if keep is None else jnp.where(keep, acc, new)

    return lax.fori_loop(0, index.shape[1], add, start)


def mix_average(s: Float[Array, " N"], tree: Any) -> Any:
    r"""FedAvg mixing :math:`\mathbf{1} s^\top` without forming it: every client gets
    :math:`\sum_j s_j \theta_j` (O(N) work)."""

    def one(a):
        avg = jnp.tensordot(s.astype(a.dtype), a, axes=(0, 0))
        return jnp.broadcast_to(avg, a.shape)

    return jax.tree.map(one, tree)


def step_streams(
    k_rows: Array,
    k_loss: Array,
    t: Any,
    index: Any,
    sizes: Any,
    *,
    steps: int,
    batch: int | None,
    keyed: bool = False,
) -> tuple[Any, Array]:
    r"""The key scheme of a round: minibatch rows and loss keys of clients ``index`` at local
    steps :math:`0, \dots, E-1` of round t, ``rows[i, s]`` = :func:`batch_indices`
    (k_rows, t, i, s, sizes[i], B) (None when ``batch`` is None: full-batch losses; with
    ``keyed`` the minibatch keys :func:`batch_key` (k_rows, t, i, s) instead, from which a
    generator draws the step's samples) and ``keys[i, s]`` = :func:`loss_key`
    (k_loss, t, i, s); leading axes those of ``index`` (a scalar: one client). The two base
    keys are the caller's: one key for both (:func:`sims.run`), or two streams of a seed's key
    tree (the Track C engine); the per-(round, client, step) derivation is this one.

    Drawn for all clients of a round at once where the caller can (one vectorised threefry
    pass instead of a few tiny ones per client and step; the same numbers either way).

    >>> rows, keys = step_streams(jr.PRNGKey(0), jr.PRNGKey(1), 0, 2, 5, steps=3, batch=4)
    >>> rows.shape, keys.shape
    ((3, 4), (3, 2))
    """
    ss = jnp.arange(steps, dtype=jnp.int32)

    def one(i, n_i):
        keys = jax.vmap(lambda s: loss_key(k_loss, t, i, s))(ss)
        if batch is None:
            return None, keys
        if keyed:
            return jax.vmap(lambda s: batch_key(k_rows, t, i, s))(ss), keys
        return jax.vmap(lambda s: batch_indices(k_rows, t, i, s, n_i, batch))(ss), keys

    index, sizes = jnp.asarray(index), jnp.asarray(sizes)
    fn = one
    for _ in range(index.ndim):
        fn = jax.vmap(fn)
    return fn(index, sizes)


def local_train(
    value_and_grad: Callable,
    optimizer: optax.GradientTransformation,
    params: Any,
    opt_state: Any,
    xs: Any,
    keys: Array,
    *,
    batch_of: Callable = lambda x: x,
    scale: Any = None,
    record: Callable | None = None,
    algorithm: ClientAlgorithm | None = None,
    state: Any = (),
    shared: Any = (),
):
    """E optimiser steps of ONE client (unbatched; ``vmap`` it over clients): the one local
    loop of every trainer (Track C's engine, :func:`sims.run`, Track D).

    Step s calls ``value_and_grad(params, batch_of(xs[s]), key=keys[s]) -> (loss, grads, aux)``,
    transforms the gradient by ``algorithm`` if given (``algorithm.grad(g, params, start,
    state, shared)``, ``start`` the model before the first step) and applies ``optimizer``'s
    update, times ``scale`` if given (a learning-rate schedule's factor); ``xs`` (leading
    axis E) are the step's minibatches, or what ``batch_of`` gathers them from (e.g. the rows
    of :func:`step_streams`: each step then gathers its own), and ``keys`` (E, ...) the loss
    keys of :func:`step_streams`. After the steps the client's ``state`` of the algorithm
    becomes ``algorithm.finish(state, start, params, shared, steps=E)``.

    Returns:
      ``(params, opt_state, losses (E,), aux (E, ...), record, state)`` with ``record`` the
      stacked ``record(params, grads)`` of every step if given, else None, and ``state`` the
      algorithm's (as given without one).

    >>> vg = lambda p, b, *, key: (jnp.sum(p * b), b, None)
    >>> opt, p0 = optax.sgd(0.5), jnp.zeros(2)
    >>> p, _, vals, _, _, _ = local_train(vg, opt, p0, opt.init(p0), jnp.ones((3, 2)),
    ...                                   jnp.zeros((3, 2), jnp.uint32))
    >>> p.tolist(), vals.tolist()
    ([-1.5, -1.5], [0.0, -1.0, -2.0])
    """
    start = params
    if algorithm is not None:
        plain = value_and_grad

        def value_and_grad(p, batch, *, key):
            val, g, aux = plain(p, batch, key=key)
            return val, algorithm.grad(g, p, start, state, shared), aux

    def step(carry, inp):
        p, o = carry
        x, key = inp
        val, g, aux = value_and_grad(p, batch_of(x), key=key)
        with jax.numpy_dtype_promotion("standard"):  # optax mixes int counts and floats
            upd, o = optimizer.update(g, o, p)
        if scale is not None:
            upd = jax.tree.map(lambda u: scale * u, upd)
        rec = None if record is None else record(p, g)
        return (optax.apply_updates(p, upd), o), (val, aux, rec)

    (params, opt_state), (vals, aux, rec) = lax.scan(step, (params, opt_state), (xs, keys))
    if algorithm is not None:
        state = algorithm.finish(state, start, params, shared, steps=vals.shape[0])
    return params, opt_state, vals, aux, rec, state


class ClientAlgorithm(Protocol):
    """A federated algorithm as a value handed to a trainer (FedProx, SCAFFOLD, ...: the
    modules of :mod:`sims.algorithms`): it transforms each local step's gradient and carries a
    per-client state between rounds; None is plain local training.

    * ``init(params) -> state``: one client's state before the first round;
    * ``share(states) -> shared``: what every client reads this round, from the N clients'
      states (leading axis N);
    * ``grad(g, params, start, state, shared) -> g``: the step's gradient transformed, ``start``
      the client's model at the start of the round;
    * ``finish(state, start, params, shared, *, steps) -> state``: the client's state after its
      ``steps`` local steps from ``start`` to ``params`` (a client that does not train keeps
      its state).
    """

    def init(self, params: Any) -> Any: ...

    def share(self, states: Any) -> Any: ...

    def grad(self, g: Any, params: Any, start: Any, state: Any, shared: Any) -> Any: ...

    def finish(self, state: Any, start: Any, params: Any, shared: Any, *, steps: int) -> Any: ...


class Round(NamedTuple):
    """What :func:`one_round` hands back.

    Attributes:
      active: (N,) 0/1 participants of the round (``rule.participants``).
      who: (k,) int32 the clients trained: all N, or the S participants.
      local: their trained models: among all N (put back into ``kept``) or the k of ``who``.
      trained: ``train``'s other outputs, the k rows of ``who``.
      extras: those put back among the N clients (``fill``'s values for the untrained).
      mixed, carry, glob: what ``rule.mix`` returned (the next models, the rule's carry, the
        global model).
      rule: the rule that mixed this round (``rule.at_round(key, t)`` for a time-varying one).
    """

    active: Array
    who: Array
    local: Any
    trained: Any
    extras: Any
    mixed: Any
    carry: Any
    glob: Any
    rule: Any = None


def one_round(
    rule: Any,
    key: Array,
    t: Any,
    carry: Any,
    inputs: Any,
    train: Callable[[Any, Array], tuple[Any, Any]],
    *,
    n: int,
    n_sampled: int,
    dtype: Any,
    fill: Callable[[Any], Any] | None,
    kept: Any = None,
    take: Callable[[Any, Array], Any] | None = None,
) -> Round:
    """One round of Algorithms 1 and 2: participants, their training, put-back, mixing.

    The rule draws round t's participants ``active`` with ``key``; the trained clients ``who``
    are all N, or (``n_sampled`` S < N) the S participants, in client order; ``train(taken,
    who) -> (models, outputs)`` trains them: ``taken`` is ``take(inputs, who)`` where ``take``
    is given (the FedAvg server model: one row of parameters that every participant starts
    from), else ``inputs`` itself with every client training and with S < N the rows ``who``
    of ``inputs`` (a pytree with the clients on a leading axis N; None leaves stay None); with
    S < N the ``outputs`` go back among the N clients, into ``fill(outputs)`` (the values of
    the untrained; ``fill`` None: they stay the S rows of ``who``), read only then. With S < N
    the models are mixed in one of two orders, each its caller's own (they sum in a different
    order, so their floating-point bits differ):

    * ``kept`` (N, ...) given (the round-start models): the trained models are put back among
      them first and the rule mixes all N, ``rule.mix(local, carry, active)`` (an untrained
      client weighs 0 in FedAvg);
    * ``kept`` None: the rule mixes the S trained models only, ``rule.mix(local, carry,
      active, who)``.

    The rule is any value of :mod:`sims.core.mixing` (``participants``, ``mix``); nothing here
    depends on which. A rule whose matrix changes with the round (a time-varying topology)
    answers ``at_round(key, t)`` with round t's rule, which then mixes; a rule without
    ``at_round`` mixes as it is.

    Example:
      >>> from sims.core.mixing import fedavg
      >>> r = one_round(fedavg(jnp.ones(4), 2), jr.key(0), 0, None, jnp.arange(4.0),
      ...               lambda x, who: (x + 1, x), n=4, n_sampled=2, dtype=jnp.float32,
      ...               fill=lambda out: jnp.full(4, -1.0))
      >>> r.who.tolist(), r.extras.tolist(), r.mixed.tolist()
      ([1, 2], [-1.0, 1.0, 2.0, -1.0], [2.5, 2.5, 2.5, 2.5])
    """
    at_round = getattr(rule, "at_round", None)
    rule = rule if at_round is None else at_round(key, t)
    active = rule.participants(key, t, n, dtype)
    if n_sampled >= n:
        who = jnp.arange(n, dtype=jnp.int32)
        local, trained = train(inputs if take is None else take(inputs, who), who)
        mixed, carry, glob = rule.mix(local, carry, active)
        return Round(active, who, local, trained, trained, mixed, carry, glob, rule)
    # FedAvg with S < N (Algorithm 1): only the S sampled clients train; their client indices
    # keep each one's own minibatch and loss keys
    who = jnp.nonzero(active > 0, size=n_sampled)[0].astype(jnp.int32)

    def back(full, sub):  # the k rows ``sub`` put at ``who`` among the N of ``full``
        return jax.tree.map(lambda a, b: a.at[who].set(b), full, sub)

    taken = jax.tree.map(lambda a: a[who], inputs) if take is None else take(inputs, who)
    local, trained = train(taken, who)
    extras = trained if fill is None else back(fill(trained), trained)
    if kept is None:
        mixed, carry, glob = rule.mix(local, carry, active, who)
    else:
        local = back(kept, local)
        mixed, carry, glob = rule.mix(local, carry, active)
    return Round(active, who, local, trained, extras, mixed, carry, glob, rule)


def scan_in_calls(scan: Callable, state: Any, args: tuple, total: int, per_call: int):
    """The one run loop of every trainer: ``total`` rounds as jitted calls
    ``scan(state, *args, k)`` of k ≤ ``per_call`` rounds, yielding ``(rounds_done, state,
    trace_of_the_call)`` after each (a caller stops between calls by leaving the loop). Every
    key depends only on (key, round, client, step), so the result does not depend on the
    split.

    >>> scan = lambda s, step, k: (s + step * k, jnp.arange(k))
    >>> for done, s, _ in scan_in_calls(scan, jnp.int32(0), (2,), 5, 2):
    ...     print(done, int(s))
    2 4
    4 8
    5 10
    """
    done = 0
    while done < total:
        k = min(per_call, total - done)
        state, trace = scan(state, *args, k)
        done += k
        yield done, state, trace


def concat_traces(traces: list) -> Any:
    """The traces of consecutive calls (pytrees with the rounds on the leading axis) as one."""
    if len(traces) == 1:
        return traces[0]
    return jax.tree.map(lambda *a: jnp.concatenate(a), *traces)


def _consensus_distance(tree: Any) -> Array:
    """(1/N)Σ_i‖θ_i − θ̄‖² summed over the leaves (:func:`theory.dissimilarity.consensus_sq_jnp`)."""
    total = [dissimilarity.consensus_sq_jnp(a) for a in jax.tree.leaves(tree)]
    out = total[0]
    for x in total[1:]:
        out = out + x.astype(out.dtype)
    return out
