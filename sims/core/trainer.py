r"""Train any model with FedAvg, gossip or push-sum: the plug-in API of the engine.

``run(loss, params, data, ...)`` trains one pytree of parameters per client with the user's own
per-client loss ``loss(params, batch, *, key) -> scalar`` (written for ONE client, unbatched) on
the user's own data, and mixes the clients after every round with one of three rules, each a
value of :mod:`sims.core.mixing` handed to the round (the strings below are spellings of them):

* ``mixing="fedavg"`` (FedAvg, Algorithm 1 of arXiv 2607.02447): the server model
  :math:`\theta \leftarrow \sum_j s_j \theta_j` with s the aggregation weights of this round's
  participants (a random subset of ``clients_per_round`` clients, or all), normalised over them;
  every client starts the next round from it. This is gossip with the matrix
  :math:`\mathbf{1} s^\top` (:math:`J = \mathbf{1}\mathbf{1}^\top/N` with full, uniform
  participation), applied in O(N) without forming it.
* ``mixing=W`` with W an (N, N) row-stochastic matrix (gossip DecL, Algorithm 2,
  adapt-then-combine): :math:`\theta_i \leftarrow \sum_j W_{ij} \theta_j`.
* ``mixing=("push-sum", A)`` with A an (N, N) column-stochastic matrix (directed graphs; Kempe
  et al. 2003, in the adapt-then-combine form of stochastic gradient push, Assran et al. 2019):
  every client carries a weight :math:`w_i` (initially 1); after local training it sends the
  pairs :math:`A_{ji}\cdot(w_i \theta_i, w_i)` and sets
  :math:`\theta_i \leftarrow \sum_j A_{ij} w_j \theta_j / \sum_j A_{ij} w_j`. The de-biased
  :math:`\theta_i` reach the average of the clients even though A is not row-stochastic.

A round: every client (with FedAvg and ``clients_per_round`` S < N, the S sampled clients
only) runs ``local_steps`` optimiser steps (``lax.scan``) on minibatches of
``batch_size`` rows drawn uniformly WITH replacement from its own rows (ragged clients are
padded; only the first :math:`n_i` rows are drawn), the clients are ``jax.vmap``-ed (or
``lax.map``-ed in chunks of ``chunk`` clients), then mixed. The round is the engine's, the one
Track C trains with (:func:`sims.core.engine.make_round`); this module hands it the user's loss
and data as its clients (``_clients``: :func:`client_round` on every client, the trace and
``record``) and carries the push-sum weights in its state. Rounds are a ``lax.scan``; the whole
run is jitted and compiled once per configuration.

Data drawn from keys (:class:`KeyedData`): where the clients' data is a generator rather
than a sample, ``data=KeyedData(sample, n_clients)`` draws every minibatch inside the round,
``sample(key, i, batch_size)`` with the key that would have drawn its rows, so a run holds the
models and no data and its number of clients is bounded by time, not memory.

Randomness, one key: the minibatch rows of client i at local step s of round t come from
``fold_in(fold_in(fold_in(fold_in(key, 0), t), i), s)`` (:func:`batch_indices`; with
:class:`KeyedData` that key draws the minibatch itself), the key handed to ``loss`` from the
same path with stream 1 instead of 0, and FedAvg participation from
``fold_in(fold_in(key, 2), t)``. Every random number therefore depends only on (key, round,
client, step), never on how the rounds are split into calls.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr  # noqa: F401  (used by the doctests)
import numpy as np
import optax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P
from jaxtyping import Array

from sims.core import rounds
from sims.core.engine import (
    Clients,
    State,
    advanced,
    check_clients_mesh,
    consuming_scan,
    make_round,
    shard_state,
)
from sims.core.environ import (
    bounded_compile_options,
    compiler_options_key,
    compiler_options_of,
)
from sims.core.mixing import FedAvg, mixing_rule
from sims.core.rounds import (
    _consensus_distance,
    as_key,
    clients_per_chunk,
    concat_traces,
    local_train,
    map_clients,
    scan_in_calls,
)
from theory import _validate as v

__all__ = [
    "Result",
    "KeyedData",
    "run",
    "clients_at_once",
    "partition",
    "client_round",
    "DivergenceWarning",
]


class DivergenceWarning(RuntimeWarning):
    """A :func:`run` whose parameters or losses stopped being finite: the result is returned
    (NaN/inf included) and the warning names the first round whose loss was not finite."""


def _warn_if_diverged(result: Result, rounds: int) -> None:
    """:class:`DivergenceWarning` when ``result`` holds a non-finite parameter or loss."""
    import warnings

    finite = all(bool(jnp.all(jnp.isfinite(a))) for a in jax.tree.leaves(result.params))
    loss = np.asarray(result.trace["loss"])
    bad = np.flatnonzero(~np.isfinite(loss))
    if finite and bad.size == 0:
        return
    when = f"from round {int(bad[0]) + 1} of {rounds}" if bad.size else "in its parameters"
    warnings.warn(
        f"sims.run diverged: non-finite loss {when} (a smaller lr or step size may help; "
        "data drawn by a KeyedData sample is not checked for NaN/inf)",
        DivergenceWarning,
        stacklevel=3,
    )


class Result(NamedTuple):
    r"""What :func:`run` returns.

    Attributes:
      params: the clients' parameters after the last round, a pytree with leading axis N.
      global_params: one pytree: the FedAvg server model, or the average of the DecL models
        (uniform for gossip, :math:`\sum w_i \theta_i / \sum w_i` for push-sum).
      trace: dict of per-round arrays (leading axis T): ``loss`` (mean local loss of the
        participants), ``client_loss`` (T, N) (each client's mean over its local steps; NaN
        for a client that did not take part in the round, which FedAvg with
        ``clients_per_round`` < N does not train), ``consensus_distance``
        :math:`\frac1N \sum_i \lVert \theta_i - \bar\theta\rVert^2` after mixing, and ``record``
        (what ``record(global_params)`` returned, if given).
      weights: (N,) push-sum weights :math:`w_i` after the last round (ones for the other
        rules).
    """

    params: Any
    global_params: Any
    trace: dict
    weights: Array


@dataclass(frozen=True)
class KeyedData:
    """Clients' data as a generator: :func:`run` draws each minibatch from its key inside the
    round instead of gathering rows of a held sample.

    Attributes:
      sample: ``sample(key, i, batch_size) -> batch``: ``batch_size`` fresh rows of client i
        (an int32 scalar, possibly traced) drawn from ``key`` alone, a pytree whose leaves have
        ``batch_size`` rows (what ``loss`` reads as its ``batch``). It is handed the key that
        draws a held sample's rows (:func:`sims.core.rounds.batch_key` of the run's key,
        round t, client i, step s), so every minibatch is a function of (key, t, i, s) only:
        not of the other clients, ``chunk``, the mesh or ``rounds_per_call``. Written for one
        client and traced by JAX (``jax.random`` draws, no Python randomness). A function, or
        any hashable callable: it is part of the compiled run's cache key.
      n_clients: N ≥ 1, the number of clients.

    Every client holds as many rows as it is handed (FedAvg's ``weights="size"`` is refused).
    The E minibatches of a client's round are drawn before its first step while they take at
    most :data:`sims.core.rounds.PREDRAW_MAX_BYTES` (else each step draws its own; the same
    numbers either way).

    Example (10⁴ clients, client i's inputs centred on i/N):
      >>> def sample(key, i, b):
      ...     x = jr.normal(key, (b, 2))
      ...     x = x + jnp.asarray(i, x.dtype) / 10_000
      ...     return x, x @ jnp.array([1.0, -1.0], x.dtype)
      >>> data = KeyedData(sample, 10_000)
      >>> [a.shape for a in data.sample(jr.key(0), 3, 8)]
      [(8, 2), (8,)]
    """

    sample: Callable
    n_clients: int

    def __post_init__(self) -> None:
        if not callable(self.sample):
            v.fail("sample", "a function sample(key, i, batch_size) -> batch", self.sample)
        try:
            hash(self.sample)
        except TypeError:
            v.fail("sample", "a hashable callable (a function, or a frozen dataclass)",
                   type(self.sample).__name__)  # fmt: skip
        object.__setattr__(self, "n_clients", v.integer(self.n_clients, "n_clients", lo=1))


def _keyed_batch(data: KeyedData, batch_size: int, key: Array) -> Any:
    """The shapes of one minibatch of ``data`` (``jax.eval_shape``: nothing is drawn), traced
    with a minibatch key of the run's ``key`` (a new-style key or a raw uint32 one, as the run
    hands ``sample``); every leaf a numeric or boolean array with ``batch_size`` rows."""
    try:
        batch = jax.eval_shape(
            lambda k: data.sample(
                rounds.batch_key(k, 0, 0, 0), jnp.zeros((), jnp.int32), batch_size
            ),
            key,
        )
    except Exception as err:  # the user's function, traced: one line naming it
        first = (str(err).strip().splitlines() or [""])[0]
        v.fail("sample", "a function sample(key, i, batch_size) -> batch that JAX can trace",
               f"{type(err).__name__}: {first}")  # fmt: skip
    leaves = jax.tree.leaves(batch)
    if not all(jnp.issubdtype(a.dtype, jnp.number) or a.dtype == bool for a in leaves):
        v.fail("sample", "a batch of numeric or boolean arrays",
               [str(a.dtype) for a in leaves])  # fmt: skip
    if not leaves or any(getattr(a, "shape", ())[:1] != (batch_size,) for a in leaves):
        v.fail("sample", f"a batch whose every leaf has batch_size = {batch_size} rows",
               [getattr(a, "shape", None) for a in leaves])  # fmt: skip
    return batch


# ---------------------------------------------------------------------------------------------
# validation


def _batch_shapes(data: Any, batch_size: int) -> Any:
    """The shapes of one minibatch of the padded (N, M, ...) ``data``."""
    return jax.tree.map(
        lambda a: jax.ShapeDtypeStruct((batch_size,) + tuple(a.shape[2:]), a.dtype), data
    )


def _check_loss_is_scalar(loss: Callable, params: Any, batch: Any) -> None:
    """``loss(params, batch, key=...)`` traced once on shapes (no computation; ``batch`` their
    ``ShapeDtypeStruct`` pytree): it must return a scalar (the gradient of a vector is not
    defined), and traced on these shapes at all (one line naming ``loss`` with the error, e.g.
    data whose rows do not fit the parameters)."""
    try:
        out = jax.eval_shape(lambda p, b, k: loss(p, b, key=k), params, batch, jr.key(0))
    except Exception as err:  # the user's function, traced: one line naming it
        first = (str(err).strip().splitlines() or [""])[0]
        shapes = jax.tree.map(lambda a: tuple(a.shape), batch)
        v.fail("loss", f"a function loss(params, batch, *, key) that JAX can trace on the "
               f"params and a batch of the data (batch shapes {shapes})",
               f"{type(err).__name__}: {first}")  # fmt: skip
    shape = getattr(out, "shape", None)
    if shape != ():
        v.fail("loss", "a function returning a scalar (one number per client and batch)",
               f"an output of shape {shape}")  # fmt: skip


def _client_data(data: Any) -> tuple[Any, np.ndarray]:
    """(padded pytree of (N, M, ...) arrays, sizes (N,)) from an array, a list of per-client
    arrays, a list of per-client pytrees, or a pytree of either."""
    from sims.data import stack_clients

    if isinstance(data, list) and data and not hasattr(data[0], "shape"):
        # a list of N per-client pytrees -> a pytree of N-lists
        try:
            data = jax.tree.map(lambda *xs: list(xs), *data)
        except ValueError:
            v.fail("data", "per-client pytrees of the same structure", "different structures")
    leaves, treedef = jax.tree.flatten(data, is_leaf=lambda z: isinstance(z, list))
    if not leaves:
        v.fail(
            "data", "an (N, M, ...) array, a list of N per-client arrays, or a pytree of them", data
        )
    padded, sizes = [], None
    for leaf in leaves:
        if isinstance(leaf, list):
            if not leaf:
                v.fail("data", "a non-empty list of per-client arrays", leaf)
            rows = np.array([np.shape(a)[0] if np.ndim(a) else -1 for a in leaf])
            if np.any(rows < 1):
                v.fail("data", "per-client arrays with at least one row each", f"rows {rows}")
            try:
                arr, _ = stack_clients(leaf)
            except ValueError as err:
                raise ValueError(str(err).replace("x_list", "data", 1)) from None
            except TypeError:  # e.g. strings: JAX holds numbers and booleans only
                bad = next((a for a in leaf if np.asarray(a).dtype.kind not in "biuf"), leaf[0])
                v.fail("data", "per-client numeric or boolean arrays",
                       f"{type(bad).__name__} of dtype {np.asarray(bad).dtype}")  # fmt: skip
        else:
            try:
                arr = jnp.asarray(leaf)
            except (TypeError, ValueError):
                arr = None
            if arr is None or not (jnp.issubdtype(arr.dtype, jnp.number) or arr.dtype == bool):
                v.fail("data", "numeric or boolean arrays",
                       type(leaf).__name__ if arr is None else f"dtype {arr.dtype}")  # fmt: skip
            if arr.ndim < 2 or arr.shape[0] < 1 or arr.shape[1] < 1:
                v.fail("data", "arrays of shape (N, M, ...) with N, M >= 1", f"shape {arr.shape}")
            if jnp.issubdtype(arr.dtype, jnp.inexact) and not bool(jnp.all(jnp.isfinite(arr))):
                v.fail("data", "finite (no NaN or inf)", "an array with NaN/inf entries")
            rows = np.full(arr.shape[0], arr.shape[1])
        if sizes is None:
            sizes = rows
        elif rows.shape != sizes.shape or np.any(rows != sizes):
            v.fail("data", "leaves with the same clients and rows per client", f"sizes {rows}")
        padded.append(arr)
    if sizes.shape[0] < 1:
        v.fail("data", "at least one client", sizes.shape[0])
    return jax.tree.unflatten(treedef, padded), sizes


def _agg_weights(weights: Any, sizes: np.ndarray | None, n: int) -> np.ndarray:
    """FedAvg's (N,) aggregation weights: uniform, the clients' sizes (None: keyed data, whose
    clients have none) or the given positive array."""
    if weights is None or (isinstance(weights, str) and weights == "uniform"):
        return np.ones(n)
    if isinstance(weights, str):
        v.choice(weights, "weights", ("uniform", "size"))
        if sizes is None:
            v.fail("weights", "'uniform' or an (N,) array with KeyedData (no client has a size)",
                   weights)  # fmt: skip
        return sizes.astype(np.float64)
    w = v.array(weights, "weights", shape=(n,))
    if np.any(w <= 0):
        v.fail("weights", "(N,) positive aggregation weights", w)
    return w


# ---------------------------------------------------------------------------------------------
# the trainer


def client_round(loss: Callable, optimizer: optax.GradientTransformation, params: Any,
                 data_i: Any, n_i: Any, i: Any, key: Array, t: Any, *, local_steps: int,
                 batch_size: int, algorithm: Any = None, state: Any = (), shared: Any = (),
                 sample: Callable | None = None) -> tuple[Any, Array, Any]:  # fmt: skip
    """One client's local round in :func:`run` (unbatched; the trainer vmaps it over the
    clients, and a per-client loop of it is their oracle): ``local_steps`` steps of
    ``optimizer`` (initialised afresh) from ``params`` with ``loss(params, batch, *, key)`` on
    minibatches of ``batch_size`` rows drawn from the first ``n_i`` rows of ``data_i`` (a pytree
    of (M, ...) arrays); the rows and loss keys of client i in round t
    (:func:`sims.core.rounds.step_streams` with ``key`` for both streams), gathered once before
    the steps (:func:`sims.core.rounds.local_train`). With ``sample`` (:attr:`KeyedData.sample`;
    ``data_i`` and ``n_i`` are then not read) step s trains on
    ``sample(batch_key(key, t, i, s), i, batch_size)``, the E minibatches drawn before the
    steps while they take at most :data:`sims.core.rounds.PREDRAW_MAX_BYTES`, else each in its
    step.

    Returns:
      ``(params, mean loss over the steps, algorithm state)`` (``state`` as given without an
      ``algorithm``).
    """
    vg = jax.value_and_grad(loss)

    def vga(p, batch, *, key):
        val, g = vg(p, batch, key=key)
        return val, g, None

    rows, keys = rounds.step_streams(
        key, key, t, i, n_i, steps=local_steps, batch=batch_size, keyed=sample is not None
    )
    batch_of = lambda x: x  # noqa: E731
    if sample is None:
        batches = jax.tree.map(lambda a: a[rows], data_i)
    else:
        draw = lambda k: sample(k, i, batch_size)  # noqa: E731
        if rounds.predraw_fits(tree_nbytes(jax.eval_shape(draw, rows[0])), local_steps):
            batches = jax.vmap(draw)(rows)
        else:
            batches, batch_of = rows, draw
    end, _, vals, _, _, state = local_train(
        vga, optimizer, params, optimizer.init(params), batches, keys, batch_of=batch_of,
        algorithm=algorithm, state=state, shared=shared,
    )  # fmt: skip
    return end, jnp.mean(vals), state


class _Data(NamedTuple):
    """A :func:`run`'s arrays as the engine's round reads them (its ``problem``): the clients'
    padded data (a pytree of (N, M, ...) arrays), their valid rows (N,) and the mixing rule
    (a value of :mod:`sims.core.mixing`)."""

    x: Any
    sizes: Array
    mixing: Any
    agg: Any = None


@dataclass(frozen=True)
class _Settings:
    """What the engine's round (:func:`sims.core.engine.make_round`) reads of a :func:`run`:
    N, S, the dtype of its participation and FedAvg weights; the mixing rule is the problem's
    own ``mixing`` (the rule value, not a matrix to build one from)."""

    n_clients: int
    n_sampled: int
    dtype: str
    server_model: bool = False

    def mixing_rule(self, matrix: Any = None, agg: Any = None) -> Any:
        return matrix


def _clients(loss, optimizer, n, n_sampled, local_steps, batch_size, chunk, record, mesh,
             algorithm, sample=None) -> Clients:  # fmt: skip
    """The :class:`sims.core.engine.Clients` of a :func:`run`: every client runs
    :func:`client_round` with the user's loss on its own rows (the run's key for both key
    streams and for the participants), the S sampled ones mixed alone, and the round records
    the participants' mean loss, each client's (NaN if it did not train), the consensus
    distance after mixing and ``record(global_params)``."""

    def client(p, data_i, n_i, i, st, key, t, shared):
        end, val, st = client_round(
            loss, optimizer, p, data_i, n_i, i, key, t, local_steps=local_steps,
            batch_size=batch_size, algorithm=algorithm, state=st, shared=shared, sample=sample,
        )  # fmt: skip
        return end, (val, st)

    def train(params, data, sizes, algo, who, key, t, shared):
        """The local updates of the clients ``who`` (all of them, or one device's)."""
        count = who.shape[0]
        return map_clients(
            lambda p, d, ni, st, i: client(p, d, ni, i, st, key, t, shared),
            (params, data, sizes, algo, who),
            count,
            None if chunk is None else min(chunk, count),
        )

    train = rounds.per_device(train, mesh, n_sampled, (True,) * 5 + (False,) * 3) or train

    def prepare(state: State, problem: _Data):
        shared = () if algorithm is None else algorithm.share(state.algo)
        inputs = (state.params, state.opt_state, problem.sizes, state.algo)
        return state.key, (state.round, state.key, shared), inputs

    def updates(clients, shared, data, who):
        params, opt_state, sizes, algo = clients
        t, key, algo_shared = shared
        taken = data if who.shape[0] == n else jax.tree.map(lambda a: a[who], data)
        local, (vals, algo) = train(params, taken, sizes, algo, who, key, t, algo_shared)
        zs = jnp.zeros((who.shape[0], 1, 1), vals.dtype)  # no embeddings are shared
        return local, opt_state, vals, zs, None, algo

    def measure(state: State, r, problem: _Data, stats, inputs):
        vals = r.extras[1]
        if mesh is None and hasattr(r.rule, "mix_over"):
            # a rule that can (neighbour lists) writes the mixed models over the round-start
            # ones, which nothing reads after the local steps: a round holds two stacks of N
            # models, not three (the same sums as rule.mix; its global model, their mean)
            mixed = r.rule.mix_over(r.local, state.params)
            r = r._replace(mixed=mixed, glob=r.rule.average(mixed, r.carry))
        trace = {
            "loss": jnp.mean(r.trained[1]),
            "client_loss": jnp.where(r.active > 0, vals, jnp.nan),
            "consensus_distance": _consensus_distance(r.mixed),
        }
        if record is not None:
            trace["record"] = record(r.glob)
        return advanced(state, r), trace

    return Clients(prepare, updates, measure, put_back=False)


@functools.lru_cache(maxsize=16)
def _trainer(loss, optimizer, rule_def, n, n_sampled, local_steps, batch_size, chunk, record,
             mesh=None, options=None, algorithm=None, dtype="float32", sample=None,
             donate=False):  # fmt: skip
    """Jitted ``consume(params, state, problem, stats, length) -> (state, trace)`` of one
    configuration (:func:`sims.core.engine.consuming_scan`; ``stats`` None): the engine's
    round (:func:`sims.core.engine.make_round`) handed ``_clients`` (cached by the rule's tree
    structure, so repeated calls of equal shapes compile once, whatever the matrix), the
    models ``params`` donated with ``donate``. With ``mesh``, the clients of a round are
    trained in ``jax.shard_map``, each device its own. ``options``: the ``compiler_options``
    as :func:`sims.core.environ.compiler_options_key` has them (None:
    :func:`bounded_compile_options`). ``algorithm``: a
    :class:`sims.core.rounds.ClientAlgorithm` or None. ``sample``: a :class:`KeyedData`'s
    generator, or None (the problem's data)."""
    clients = _clients(
        loss, optimizer, n, n_sampled, local_steps, batch_size, chunk, record, mesh, algorithm,
        sample,
    )  # fmt: skip
    _, round_step = make_round(_Settings(n, n_sampled, dtype), mesh, clients)
    options = bounded_compile_options() if options is None else compiler_options_of(options)
    return consuming_scan(round_step, options or None, donate)


def run(loss: Callable, params: Any, data: Any, *, mixing: Any = "fedavg", rounds: int,
        local_steps: int = 1, batch_size: int,
        optimizer: optax.GradientTransformation | None = None, lr: float | None = None,
        clients_per_round: int | None = None, weights: Any = None, key: Array,
        chunk: int | None = None, record: Callable | None = None,
        rounds_per_call: int | None = None, on_chunk: Callable | None = None,
        mesh: Any = None, compiler_options: Any = None,
        algorithm: Any = None) -> Result:  # fmt: skip
    """Train ``params`` on every client with the user's ``loss``, mixed by FedAvg, gossip or
    push-sum (Algorithms 1 and 2 of arXiv 2607.02447 with any model and loss).

    Args:
      loss: ``loss(params, batch, *, key) -> scalar`` for ONE client (unbatched); ``batch`` has
        the structure of ``data`` with B rows per leaf; ``key`` is a fresh PRNG key per client,
        round and local step (for augmentations, masks, dropout).
      params: the initial parameters, any pytree of float arrays, copied to every client.
      data: an (N, M, ...) array (N clients of M rows), a list of N per-client arrays
        (:math:`M_i`, ...) (ragged: padded, and only the first :math:`M_i` rows of client i are
        drawn), a list of N per-client pytrees, or a pytree of such arrays/lists (e.g.
        ``(x, y)``); or a :class:`KeyedData` generator: no sample is held, each minibatch is
        drawn from its key inside the round (any N the time allows).
      mixing: a rule of :mod:`sims.core.mixing`: ``sims.fedavg(weights, clients_per_round)``,
        ``sims.gossip(W)`` with W (N, N) row-stochastic, or ``sims.push_sum(A)`` with A (N, N)
        column-stochastic (directed graphs); or the spellings ``"fedavg"``, W and
        ``("push-sum", A)``. Matrices are validated by :func:`check_mixing` (finite, ≥ 0,
        stochastic, irreducible). At scale and over time (:mod:`sims.core.mixing`):
        ``sparse_gossip(W)`` (neighbour lists), ``gossip_sequence(Ws)`` (:math:`W_t` cycled by
        round), ``one_peer_exponential(N)``, ``random_matching(N)`` (drawn from ``key``).
      rounds: T ≥ 1 communication rounds. local_steps: E ≥ 1 optimiser steps per round.
      batch_size: B ≥ 1 rows per local step (drawn with replacement).
      optimizer: an optax transformation, re-initialised every round on every client (as the
        official code re-creates its optimiser); or ``lr`` for plain SGD. Exactly one of the two.
      clients_per_round: S ≤ N clients sampled per round (FedAvg only); default all.
      weights: FedAvg aggregation weights: ``"uniform"`` (default), ``"size"`` (rows per
        client; not with :class:`KeyedData`) or an (N,) positive array; normalised over each
        round's participants.
      key: a PRNG key (``jr.key(seed)`` or ``jr.PRNGKey(seed)``); same key, same result.
      chunk: train ``chunk`` clients at once (``lax.map`` over chunks) to bound memory;
        default all N in one ``vmap`` (with :class:`KeyedData`: on a CPU as many as fit its
        caches, on an accelerator a quarter of its memory, on each device of a ``mesh``;
        :func:`sims.core.rounds.clients_per_chunk`). Results do not depend on it (beyond the
        rounding of batched reductions).
      record: optional ``record(global_params) -> pytree`` evaluated after every round (jitted
        with the run); stored in ``trace["record"]``.
      rounds_per_call, on_chunk: run the rounds in jitted calls of ``rounds_per_call`` rounds
        and call ``on_chunk(rounds_done, result_so_far)`` after each; a truthy return value
        stops the run there. Results do not depend on the split (keys depend only on the key,
        the round, the client and the step). Without ``on_chunk`` the clients' models are
        donated from call to call (XLA writes each call's over the last's); the results handed
        to ``on_chunk`` stay readable, so with it a run holds one more copy of the N models.
        ``params`` and ``key`` are never donated.
      mesh: a one-axis :class:`jax.sharding.Mesh` (:func:`sims.core.sharding.client_mesh`) over
        devices whose number divides N: the clients are split over them and each device
        trains its own (``jax.shard_map``; on a CPU, one device per core with
        ``--xla_force_host_platform_device_count``, see :func:`sims.core.engine.make_engine`).
        Results equal a one-device run up to the rounding of the cross-device sums. FedAvg
        rounds whose sampled clients do not split evenly train without ``shard_map``.
      compiler_options: ``jax.jit`` compiler options of the training program, a mapping of
        XLA option names to values (e.g. :func:`sims.core.environ.long_training_options` for
        a run far longer than its compilation); None: :func:`bounded_compile_options`. They
        may change float results in rounding. A name the installed XLA does not define is
        refused before anything compiles.
      algorithm: a federated algorithm value that transforms the local steps and carries a
        per-client state (:class:`sims.core.rounds.ClientAlgorithm`; e.g.
        ``sims.algorithms.fedprox.fedprox(mu)``, ``sims.algorithms.scaffold.scaffold(lr)``);
        None: plain local training.

    Returns:
      :class:`Result` ``(params, global_params, trace, weights)``; a run whose loss or
      parameters stopped being finite also emits a :class:`DivergenceWarning` naming the
      first such round (the CLI reports the same as a named divergence).

    Example (least squares on 3 clients, FedAvg):
      >>> import optax
      >>> xs = jr.normal(jr.key(1), (3, 20, 2)); w_true = jnp.array([1.0, -2.0])
      >>> def loss(w, batch, *, key):
      ...     x, y = batch
      ...     return 0.5 * jnp.mean((x @ w - y) ** 2)
      >>> res = run(loss, jnp.zeros(2), (xs, xs @ w_true), rounds=50, local_steps=2,
      ...           batch_size=8, optimizer=optax.sgd(0.2), key=jr.key(0))
      >>> res.params.shape, bool(jnp.allclose(res.global_params, w_true, atol=1e-3))
      ((3, 2), True)
    """
    scan, state, args, rounds, per_call = _prepare(
        loss, params, data, mixing, rounds, local_steps, batch_size, optimizer, lr,
        clients_per_round, weights, key, chunk, record, rounds_per_call, on_chunk, mesh,
        compiler_options, algorithm,
    )  # fmt: skip
    calls = _calls(scan, state, args, rounds, per_call)
    del state  # held by ``calls`` alone: the first call's models are freed after it
    result = _rounds(calls, args[0].mixing, rounds, on_chunk)
    _warn_if_diverged(result, rounds)
    return result


def _prepare(loss, params, data, mixing, rounds, local_steps, batch_size, optimizer, lr,
             clients_per_round, weights, key, chunk, record, rounds_per_call, on_chunk,
             mesh, compiler_options=None, algorithm=None) -> tuple:  # fmt: skip
    """:func:`run`'s arguments checked, and what its rounds need: ``(scan, initial state,
    (problem,), rounds, rounds per call)`` with ``problem`` the run's :class:`_Data` (padded
    data, sizes, mixing rule)."""
    if not callable(loss):
        v.fail("loss", "a function loss(params, batch, *, key) -> scalar", loss)
    params = _check_params(params)
    keyed = isinstance(data, KeyedData)
    if keyed:  # no sample held: minibatches drawn inside the round (client_round)
        data_p, sizes, n = None, None, data.n_clients
    else:
        data_p, sizes = _client_data(data)
        n = int(sizes.shape[0])
    rule = mixing_rule(mixing, n)
    rounds = v.integer(rounds, "rounds", lo=1, hi=2**31 - 1, why="the int32 round counter")
    local_steps = v.integer(local_steps, "local_steps", lo=1)
    batch_size = v.integer(batch_size, "batch_size", lo=1)
    optimizer = _check_optimizer(optimizer, lr)
    clients_per_round = _clients_per_round(rule, clients_per_round, n)
    n_sampled = n if clients_per_round is None else clients_per_round
    chunk = None if chunk is None else v.integer(chunk, "chunk", lo=1)
    check_clients_mesh(n, mesh)
    devices = 1 if mesh is None else int(mesh.devices.size)
    key = as_key(key)
    batch = _keyed_batch(data, batch_size, key) if keyed else _batch_shapes(data_p, batch_size)
    if keyed and chunk is None:  # the CPU caches (an accelerator: its memory) bound a chunk
        per = _keyed_client_bytes(params, batch, local_steps)
        chunk = clients_per_chunk(per, -(-n_sampled // devices))
    at_once = clients_at_once(n_sampled, chunk, devices)
    _check_round_memory(batch, params, n, at_once, batch_size, local_steps, keyed)
    _check_loss_is_scalar(loss, params, batch)
    rule = _with_weights(rule, weights, sizes, n, clients_per_round)
    if mesh is not None and hasattr(rule, "on_mesh"):  # the rule as it mixes split
        rule = rule.on_mesh()
    if record is not None and not callable(record):
        v.fail("record", "a function record(global_params) -> pytree, or None", record)
    per_call = (
        rounds if rounds_per_call is None else v.integer(rounds_per_call, "rounds_per_call", lo=1)
    )
    if on_chunk is not None and not callable(on_chunk):
        v.fail("on_chunk", "a function on_chunk(rounds_done, result), or None", on_chunk)
    options = compiler_options_key(compiler_options)
    dt = jax.tree.leaves(params)[0].dtype
    stacked = jax.tree.map(lambda a: jnp.broadcast_to(a, (n,) + a.shape), params)
    algo = () if algorithm is None else jax.vmap(_check_algorithm(algorithm).init)(stacked)
    # an algorithm's state may be the models themselves (an anchor): its own buffers, since the
    # models are donated and one buffer cannot be handed to a call twice
    algo = jax.tree.map(jnp.copy, algo)
    # the engine's state of a run of the user's model: no optimiser state between rounds (it
    # is re-initialised every round), no z̄ or divergence flag; the push-sum weights
    state = State(
        params=stacked, opt_state=(), round=jnp.zeros((), jnp.int32),
        counts=jnp.zeros((n,), jnp.int32), z_bar=None, key=key, algo=algo,
        weights=jnp.ones((n,), dt),
    )  # fmt: skip
    if mesh is not None:
        state = shard_state(state, mesh, n)
    # the rule's float arrays in the run's dtype (neighbour indices stay integers)
    rule = jax.tree.map(
        lambda a: jnp.asarray(a, dtype=dt) if np.asarray(a).dtype.kind == "f" else jnp.asarray(a),
        rule,
    )
    # keyed data: every client's n_i is unread (its minibatches are drawn, not gathered)
    sizes_arr = jnp.asarray(np.ones(n) if keyed else sizes, dtype=jnp.int32)
    if mesh is not None:  # each client's rows on the device that trains it, once per run
        split = NamedSharding(mesh, P(mesh.axis_names[0]))
        data_p, sizes_arr = jax.device_put((data_p, sizes_arr), split)
    scan = _trainer(
        loss, optimizer, jax.tree.structure(rule), n, n_sampled, local_steps, batch_size,
        chunk, record, mesh, options, algorithm, "float64" if dt == jnp.float64 else "float32",
        data.sample if keyed else None,
        # the models between calls are the run's own unless on_chunk is handed them
        on_chunk is None,
    )  # fmt: skip
    problem = _Data(data_p, sizes_arr, rule)
    return scan, state, (problem,), rounds, per_call


def clients_at_once(n_sampled: int, chunk: int | None, devices: int) -> int:
    """How many of a round's ``n_sampled`` clients :func:`run` trains at once: all of them
    (``chunk`` None: one ``vmap``), or ``chunk`` on each of ``devices`` where they split evenly
    over them (:func:`sims.core.rounds.per_device`), else ``chunk`` in all.

    >>> clients_at_once(8, None, 4), clients_at_once(8, 1, 4), clients_at_once(3, 1, 4)
    (8, 4, 1)
    """
    if chunk is None:
        return n_sampled
    split = devices if n_sampled % devices == 0 else 1
    return min(n_sampled, chunk * split)


def _check_algorithm(algorithm: Any) -> Any:
    """A :class:`sims.core.rounds.ClientAlgorithm` (its four functions), hashable (the
    trainer's cache key)."""
    names = ("init", "share", "grad", "finish")
    if not all(callable(getattr(algorithm, f, None)) for f in names):
        v.fail("algorithm", "a value with init, share, grad and finish, or None", algorithm)
    try:
        hash(algorithm)
    except TypeError:
        v.fail("algorithm", "a hashable value (e.g. a frozen dataclass)", algorithm)
    return algorithm


def _check_params(params: Any) -> Any:
    """``params`` as a pytree of JAX arrays: at least one, all float, all finite."""
    if not jax.tree.leaves(params):
        v.fail("params", "a pytree with at least one array", params)
    params = jax.tree.map(jnp.asarray, params)
    for a in jax.tree.leaves(params):
        if not jnp.issubdtype(a.dtype, jnp.floating):
            v.fail("params", "a pytree of float arrays", f"dtype {a.dtype}")
        if not bool(jnp.all(jnp.isfinite(a))):
            v.fail("params", "finite (no NaN or inf)", "an array with NaN/inf entries")
    return params


@functools.lru_cache(maxsize=64)
def _sgd(lr: float) -> optax.GradientTransformation:
    """SGD with ``lr``, one value per ``lr``: ``_trainer``'s cache, keyed by the optimiser,
    then serves repeated runs with the same ``lr`` one compiled program (``optax.sgd`` makes a
    new value, and so a new compilation, at every call)."""
    return optax.sgd(lr)


def _check_optimizer(optimizer: Any, lr: Any) -> optax.GradientTransformation:
    """The optax transformation, or SGD with ``lr``: exactly one of the two given."""
    if (optimizer is None) == (lr is None):
        v.fail("optimizer", "given exactly once (an optax transformation, or lr= for SGD)", None)
    if optimizer is None:
        return _sgd(v.real(lr, "lr", lo=0.0, lo_open=True))
    if not isinstance(optimizer, optax.GradientTransformation):
        v.fail("optimizer", "an optax.GradientTransformation", type(optimizer).__name__)
    return optimizer


def _given_once(rule: Any, field: str, value: Any, why: str) -> Any:
    """FedAvg's ``field`` given here (``value``) or in ``fedavg(...)``, not both; only FedAvg
    takes it (``why``: the reason the other rules do not)."""
    fed = isinstance(rule, FedAvg)
    if value is not None and not fed:
        v.fail(field, f"None unless mixing='fedavg'{why}", value)
    if fed and getattr(rule, field) is not None:
        if value is not None:
            v.fail(field, "given once (here or in fedavg(...))", value)
        return getattr(rule, field)
    return value


def _clients_per_round(rule: Any, clients_per_round: Any, n: int) -> int | None:
    """S, given here or in ``fedavg(...)`` (not both; FedAvg only), in [1, N]; None: all."""
    clients_per_round = _given_once(rule, "clients_per_round", clients_per_round, "")
    if clients_per_round is not None:
        clients_per_round = v.integer(clients_per_round, "clients_per_round", lo=1, hi=n)
    return clients_per_round


def _check_round_memory(batch: Any, params: Any, n: int, clients: int, batch_size: int,
                        local_steps: int, keyed: bool = False) -> None:  # fmt: skip
    """One round's models and minibatches fit in memory: the N clients' models (at most five
    copies: the state's, the round-start, local and mixed models, and the next state's; fewer
    where the models are donated and the rule mixes in place: peak RSS 3.1 float32 stacks at
    10⁵ clients on the one-peer graph, 5 before, benchmarks/results/scale_run_inplace_2026-11-28.md;
    the bound stays five, for the rules that mix into a new array) and, of the
    ``clients`` trained at once, the (clients, E, B) row indices and, per step, each client's
    batch with its gradient's working copies (about three), or with keyed data
    :func:`_drawn_bytes`; checked before anything runs, named by the largest term (the models:
    ``n_clients`` of keyed data, else ``params``)."""
    row = tree_nbytes(batch) // batch_size  # bytes of one row of every leaf
    p = tree_nbytes(params)
    if keyed:
        minibatches = clients * _drawn_bytes(batch, local_steps)
        steps_dominate = local_steps >= 3 and rounds.predraw_fits(tree_nbytes(batch), local_steps)
    else:
        minibatches = clients * batch_size * (8 * local_steps + 3 * row)
        steps_dominate = 8 * local_steps >= 3 * row
    models = 5 * n * p
    if models >= minibatches:
        field, value = (
            ("n_clients", n) if keyed else ("params", f"{p} bytes on each of {n} clients")
        )
    elif steps_dominate:
        field, value = "local_steps", local_steps
    else:
        field, value = "batch_size", batch_size
    v.check_fits(field, value, models + minibatches, what="one round's models and minibatches")


#: copies of one client's parameters its round holds (parameters, gradient, an optimiser's two
#: moments, the round-start, local and mixed models, the next state's)
CLIENT_MODEL_COPIES = 8


def tree_nbytes(tree: Any) -> int:
    """Bytes of the arrays (or ``jax.ShapeDtypeStruct`` shapes) of a pytree.

    >>> w, b = jnp.zeros((3, 4), jnp.float32), jax.ShapeDtypeStruct((4,), np.float64)
    >>> tree_nbytes({"w": w, "b": b})
    80
    """
    return sum(int(np.prod(a.shape)) * np.dtype(a.dtype).itemsize for a in jax.tree.leaves(tree))


def _drawn_bytes(batch: Any, local_steps: int) -> int:
    """A keyed client's minibatch bytes in a round: the E drawn before the steps
    (:func:`sims.core.rounds.predraw_fits`) or the step's one, and about three working copies
    of a step's."""
    size = tree_nbytes(batch)
    return ((local_steps if rounds.predraw_fits(size, local_steps) else 1) + 3) * size


def _keyed_client_bytes(params: Any, batch: Any, local_steps: int) -> int:
    """Estimated bytes of one client's round with keyed data (what picks :func:`run`'s default
    chunk): its parameters :data:`CLIENT_MODEL_COPIES` times and :func:`_drawn_bytes`. The
    loss's own intermediates are the user's and not counted."""
    return CLIENT_MODEL_COPIES * tree_nbytes(params) + _drawn_bytes(batch, local_steps)


def _with_weights(rule: Any, weights: Any, sizes: np.ndarray | None, n: int,
                  clients_per_round) -> Any:  # fmt: skip
    """FedAvg's rule with its aggregation weights (given here or in ``fedavg(...)``, not both)
    and S; the matrix rules as they are (they take no weights)."""
    weights = _given_once(rule, "weights", weights, " (the matrix holds the weights)")
    if not isinstance(rule, FedAvg):
        return rule
    return FedAvg(_agg_weights(weights, sizes, n), clients_per_round)


def _calls(scan, start: State, args: tuple, rounds: int, per_call: int):
    """The run's jitted calls of ``per_call`` rounds from ``start``
    (:func:`sims.core.rounds.scan_in_calls` of ``_trainer``'s ``scan``): a generator, which
    alone holds ``start`` once the caller lets go of it, so that the first call's models are
    not kept beside the rounds'."""

    def call(state, problem, k):
        return scan(state.params, state._replace(params=None), problem, None, k)

    return scan_in_calls(call, start, args, rounds, per_call)


def _rounds(calls, rule: Any, rounds: int, on_chunk) -> Result:
    """All the rounds of ``calls`` (:func:`_calls`), ``on_chunk`` after each; ``rule`` gives
    the global model."""
    traces, result = [], None
    for done, state, tr in calls:
        traces.append(tr)
        if on_chunk is not None or done == rounds:
            traces = [concat_traces(traces)]
            glob = rule.average(state.params, state.weights)
            result = Result(state.params, glob, traces[0], state.weights)
        if on_chunk is not None and done < rounds and on_chunk(done, result):
            break
    return result


def partition(
    x: Any,
    y: Any,
    n_clients: int,
    *,
    alpha: float,
    key: Array,
    balanced: bool = False,
    min_size: int = 1,
) -> tuple[list, list]:
    """Split labelled data (x, y) over clients with Dirichlet(α) label skew, for :func:`run`.

    Calls :func:`sims.data.dirichlet_partition` on ``y`` (Hsu et al.'s form, or with
    ``balanced=True`` the official code's balanced form) and returns the per-client rows.

    Args:
      x: (n, ...) inputs. y: (n,) integer labels ≥ 0. n_clients: K ≥ 1.
      alpha: Dirichlet concentration α > 0 (small α: each client sees few classes).
      key: PRNG key. balanced, min_size: as in ``dirichlet_partition``.

    Returns:
      ``(xs, ys)``: two lists of K per-client arrays, ready as ``data=(xs, ys)`` for :func:`run`.

    Example:
      >>> xs, ys = partition(np.zeros((100, 3)), np.repeat(np.arange(4), 25), 5, alpha=0.5,
      ...                    key=jr.key(0))
      >>> len(xs), sum(len(a) for a in xs), xs[0].shape[1]
      (5, 100, 3)
    """
    from sims.data import dirichlet_partition

    xa = np.asarray(x)
    ya = np.asarray(y)
    if xa.ndim < 1 or ya.ndim != 1 or xa.shape[0] != ya.shape[0]:
        v.fail("y", f"(n,) labels, one per row of x ({xa.shape[:1]})", f"shape {ya.shape}")
    parts = dirichlet_partition(
        ya, n_clients, alpha, key=as_key(key), balanced=balanced, min_size=min_size
    )
    return [xa[p] for p in parts], [ya[p] for p in parts]
