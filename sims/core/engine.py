r"""Vmapped FL / DecL training of linear CL, MIM and MAR encoders (Track C of arXiv 2607.02447).

One engine, two mixing rules. A round is: every client runs E local steps of an optax optimiser
(written for ONE client, then ``jax.vmap`` over clients), then the stacked client parameters are
mixed with a per-round N×N matrix :math:`M_t` (adapt-then-combine,
docs/theory/consensus.md §3):

* DecL (Algorithm 2): :math:`M_t = \mathcal{W}`, any row-stochastic mixing matrix (uniform
  :math:`1/|A_i|`, Metropolis, data-size, ...). The downstream model is the uniform average of
  the local models.
* FL (FedAvg, Algorithm 1): :math:`M_t = \mathbf{1} s_t^\top` with :math:`s_t` the aggregation
  weights of the S clients sampled this round (uniform or data-size, normalised over the sampled
  set, 0 elsewhere), so every client starts the next round from the server model and
  non-sampled updates are discarded.

The round (:func:`make_round`; its sequence of participants, the clients that train, their
training, put-back among the N and mixing is :func:`sims.core.rounds.one_round`) is the one
round of every trainer: it is handed its clients as a value (:class:`Clients`: what they read,
how they train, what the round records). Track C's (:func:`track_c_clients`) train this
module's linear encoders with a method's loss and keep the persistent optimiser state, MAR's
γ schedule and :math:`\bar z`, the per-round metrics of :mod:`sims.core.recorded` and the
divergence freeze; :func:`sims.run` (and through it Track D) hands it the user's loss and
data (:mod:`sims.core.trainer`).

Rounds are a ``lax.scan``; cheap metrics are recorded inside the scan. A sweep (seeds, mixing
matrices of equal N, partitions of equal shape, γ) is one more ``vmap`` and compiles once.

Local losses (per client, on a minibatch of the client's samples; from :mod:`sims.losses`):

* cl: :math:`-\operatorname{mean}\, (W(x+\xi))^\top (W(x+\xi')) + \tfrac12 \lVert W^\top W\rVert^2`
  (Eq. 2, similar augmentations);
* cl-dissimilar: :math:`-\operatorname{mean}\, (W(x+\xi))^\top (W H x)`
  :math:`{} + \tfrac12 \lVert W^\top W\rVert^2` (Eq. 2, dissimilar);
* mim: :math:`-\operatorname{mean}\, (W(x \odot m))^\top (W(x \odot (1-m)))`
  :math:`{} + \tfrac12 \lVert W^\top W\rVert^2` (Eq. 4, complementary masks);
* mim-independent: as mim with an independent second mask;
* mim-recon: :math:`\operatorname{mean} \lVert W_d W_e (x \odot m) - x \odot (1-m)\rVert^2` (Eq. 3);
* mar: mim + :math:`\gamma_t^{(i)} \cdot \text{A-MMD}(z_i, \bar z_i)` (Eq. 5–7).

With ``population=True`` the loss is the population form
:math:`-\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W\rVert^2` with the exact
:math:`X_i` of Track B (docs/theory/optimum.md §1), i.e. full-batch gradients with no sampling
noise.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
from jax import lax
from jax.sharding import NamedSharding
from jax.sharding import PartitionSpec as P

import sims.losses as losses
from sims.core import rounds
from sims.core.client import (
    ClientInput,
    RoundInput,
    _draw_init,
    _given_init,
    _raw_key,
    auto_client_chunk,
    embedding_rows,
    encoder,
    make_local_update,
)
from sims.core.config import EngineSettings, float_dtype, round_key, split_streams
from sims.core.environ import (
    bounded_compile_options,
    compiler_options_key,
    compiler_options_of,
)
from sims.core.problem import Problem
from sims.core.recorded import (
    METRICS_OF_LEVEL,
    MixedRows,
    _round_metrics,
    clients_finite,
    norm_batch,
    problem_stats,
    target_stats,
)
from sims.core.sharding import check_mesh, shard_clients
from theory import _validate as v

Array = jax.Array
log = logging.getLogger(__name__)

__all__ = [
    "State",
    "Engine",
    "Clients",
    "track_c_clients",
    "make_round",
    "advanced",
    "untrained",
    "check_clients_mesh",
    "shard_state",
    "make_engine",
    "consuming_scan",
    "seed_keys",
    "sweep",
    "sweep_call",
    "server_model",
]


class State(NamedTuple):
    r"""Training state (a pytree).

    Attributes:
      params: (N, c, d) stacked encoders, or ``(W_e (N, c, d), W_d (N, d, c))`` for mim-recon.
      opt_state: stacked optax states.
      round: int32 scalar, rounds done.
      counts: (N,) int32 participation counts ω (Eq. 7).
      z_bar: (N, B, c) global representation :math:`\bar z` seen by each client (MAR; an
        (N, 1, c) placeholder for a method that shares no embeddings).
      key: the run's root PRNG key.
      diverged: bool scalar, set once a client's loss or parameters became NaN/inf; from then
        on the state is frozen at the last finite round (see :func:`divergence`).
      algo: (N, ...) the clients' states of the configuration's federated algorithm
        (:class:`sims.core.rounds.ClientAlgorithm`; ``()`` without one).
      weights: (N,) the mixing rule's carry: push-sum weights :math:`w_i` (:func:`sims.run`),
        None for a rule that carries nothing.
    """

    params: Any
    opt_state: Any
    round: Array
    counts: Array
    z_bar: Array
    key: Array
    diverged: Array | None = None
    algo: Any = ()
    weights: Array | None = None


class Engine(NamedTuple):
    """Pure functions of one configuration: ``init``, ``round_step``, ``run``, ``scan``,
    ``chunks`` (see :func:`make_engine`)."""

    config: EngineSettings
    init: Callable
    round_step: Callable
    run: Callable
    scan: Callable
    chunks: Callable


# ---------------------------------------------------------------------------------------------
# the engine (one client: sims.core.client; round metrics and divergence: sims.core.recorded)


def check_clients_mesh(n: int, mesh) -> None:
    """``mesh`` is None or a one-axis mesh over a number of devices that divides the ``n``
    clients (what :func:`make_round` and :func:`sims.run` take); one line naming ``mesh``
    otherwise."""
    if mesh is None:
        return
    if n % check_mesh(mesh):
        v.fail("mesh", f"devices that divide the {n} clients", f"{mesh.devices.size} devices")


def _make_init(config: EngineSettings) -> Callable:
    """``init(problem, *, key, params=None) -> State`` of :func:`make_round` (Track C's
    configurations: the encoder drawn by its method, its optimiser's state)."""

    def init(problem: Problem, *, key, params=None) -> State:
        n, c, d = config.n_clients, config.c, config.d
        dt, opt = float_dtype(config), config.local_optimizer
        key = _raw_key(key)
        if params is None:
            params = _draw_init(config.loss_method, key, c, d, config.init_scale, dt)
        rows = 1 if server_model(config) else n  # the server model: one row stands for all N
        stacked = jax.tree.map(lambda a: jnp.broadcast_to(a, (rows,) + a.shape), params)
        opt_state = jax.vmap(opt.init)(stacked)
        alg = config.client_algorithm
        return State(
            params=stacked,
            opt_state=opt_state,
            round=jnp.zeros((), jnp.int32),
            counts=jnp.zeros((n,), jnp.int32),
            z_bar=jnp.zeros((rows, embedding_rows(config), c), dt),
            key=key,
            diverged=jnp.zeros((), bool),
            algo=() if alg is None else jax.vmap(alg.init)(stacked),
        )

    return init


def _make_updates(config: EngineSettings, mesh) -> Callable:
    """``updates(clients, shared, x, who) -> (local, opt_state, vals, zs, rec, algo)``: the local
    updates of the k clients ``who`` (vmapped, ``lax.map`` over chunks of
    :func:`auto_client_chunk` clients; with ``mesh`` each device trains the clients it holds);
    ``x`` the (N, M, d) samples of every client or None."""
    d, n = config.d, config.n_clients
    chunk = auto_client_chunk(config)
    local_update = make_local_update(config)

    def streams_of(clients: ClientInput, shared: RoundInput):
        """The minibatch rows and loss keys of ``clients`` this round
        (:func:`sims.core.rounds.step_streams`)."""
        return rounds.step_streams(
            shared.k_rows, shared.k_loss, shared.t, clients.index, clients.n,
            steps=config.local_steps, batch=None if config.population else config.batch,
            keyed=getattr(config, "sampler", None) is not None,
        )  # fmt: skip

    def on_rows(clients: ClientInput, shared: RoundInput, data, offsets, k: int):
        """The updates of ``k`` clients whose samples are the rows ``data`` (k·M or N·M, d),
        client i's first row at ``offsets[i]``."""
        rows, keys = streams_of(clients, shared)
        if data is not None:
            rows = rows + offsets[:, None, None]
        clients = clients._replace(rows=rows, keys=keys)
        return rounds.map_clients(
            lambda cl: local_update(cl, shared, data), (clients,), k, min(chunk, k)
        )

    def of_shard(clients: ClientInput, shared: RoundInput, xs):
        """The clients one device holds, their samples ``xs`` (k, M, d) as (k·M, d) rows."""
        k_here = clients.index.shape[0]
        if xs is None:
            return on_rows(clients, shared, None, None, k_here)
        m = xs.shape[1]
        offsets = jnp.arange(k_here, dtype=jnp.int32) * m
        return on_rows(clients, shared, xs.reshape(k_here * m, d), offsets, k_here)

    # each device trains the clients it holds, with no communication until the mixing: left
    # to jit's partitioner, the per-step minibatch gather from the sharded samples became a
    # collective inside every local step
    sharded = rounds.per_device(of_shard, mesh, config.n_sampled, (True, False, True))

    def updates(clients: ClientInput, shared: RoundInput, x, who):
        k = who.shape[0]
        clients = clients._replace(index=who)
        if sharded is not None:
            return sharded(clients, shared, None if x is None else x[who] if k < n else x)
        if x is None:
            return on_rows(clients, shared, None, None, k)
        m = x.shape[1]
        # every client's samples as (N·M, d) rows (a reshape, no copy), minibatch rows as
        # global row numbers i·M + r: no per-round copy of any client's data
        return on_rows(clients, shared, x.reshape(n * m, d), who * m, k)

    return updates


def _make_metrics(config: EngineSettings, mesh) -> Callable:
    """The round's metrics (:func:`sims.core.recorded._round_metrics` at the configuration's
    level); with ``mesh`` in one ``shard_map``: each device sums over its clients, then a few
    collectives (left to the partitioner, the metrics' small reductions became a dozen
    collectives per round, each a wait for the slower device: more than the local steps they
    followed)."""
    if mesh is None:
        return functools.partial(_round_metrics, level=config.metrics)
    axis = mesh.axis_names[0]

    def sharded(before, local, after, pi, vals, active, gamma, rec, stats):
        c, r = P(axis), P()
        out_specs = dict.fromkeys(METRICS_OF_LEVEL[config.metrics], r)
        if rec is not None:
            out_specs |= {"local_iterates": c, "local_grads": c}
        return jax.shard_map(
            functools.partial(_round_metrics, axis=axis, level=config.metrics),
            mesh=mesh,
            in_specs=(c, c, c, c, c, c, c, None if rec is None else (c, c), r),
            out_specs=out_specs,
            check_vma=False,
        )(before, local, after, pi, vals, active, gamma, rec, stats)

    return sharded


def untrained(state: State, outputs):
    """What the clients that did not train this round hold in place of ``outputs`` (the
    opt_state, vals, zs, rec, algo of the S sampled clients, put back among all N by
    :func:`sims.core.rounds.one_round`): their round-start optimiser state (Δ_i = 0), loss 0,
    no embeddings, their algorithm state; their recorded iterates are the round-start model
    and their gradients 0 (the round's default :attr:`Clients.fill`)."""
    n = state.counts.shape[0]
    _, vals, zs, rec, _ = outputs
    if rec is not None:
        W0 = encoder(state.params)
        its = jnp.broadcast_to(W0[:, None], (n,) + rec[0].shape[1:])
        rec = (its, jnp.zeros_like(its))
    zeros_zs = jnp.zeros((n,) + zs.shape[1:], zs.dtype)
    return state.opt_state, jnp.zeros((n,), vals.dtype), zeros_zs, rec, state.algo


def _applied(state: State, new_state: State, vals, finite, active, metrics: dict, index=None):
    """``(state, metrics)`` after the divergence check: a participating client whose loss or
    parameters are NaN/inf (``finite``: (k,) whether each one's parameters are finite,
    :func:`sims.core.recorded.clients_finite`), or an average whose global loss (Eq. 16) is no
    longer finite (parameters so large that ‖WWᵀ‖² overflows while every entry is still
    finite), stops the run at ``state`` (:func:`divergence`). ``index``: the client ids of the
    rows of ``vals`` and ``finite`` (None: row i is client i)."""
    bad = ~jnp.isfinite(vals) | ~finite
    bad = bad & (active > 0)
    blown = ~jnp.isfinite(metrics["loss_global"])
    now_bad = jnp.any(bad) | blown
    first = jnp.where(jnp.any(bad), jnp.argmax(bad), 0).astype(jnp.int32)
    stop = state.diverged | now_bad
    new_state = new_state._replace(diverged=stop)
    frozen = state._replace(diverged=stop)
    new_state = jax.tree.map(lambda a, o: jnp.where(stop, o, a), new_state, frozen)
    metrics["diverged"] = now_bad
    client = first if index is None else index[first]
    metrics["diverged_client"] = jnp.where(jnp.any(bad), client, -1)
    metrics["diverged_loss"] = jnp.where(jnp.any(bad), vals[first], metrics["loss_global"])
    return new_state, metrics


def server_model(config: EngineSettings) -> bool:
    """Whether rounds keep ONE server model instead of N client copies
    (``config.server_model``; EngineConfig admits it only for FedAvg with S <= N clients that
    keep no state between rounds: no persistent optimiser state, federated algorithm, MAR
    embeddings or recorded iterates)."""
    return bool(getattr(config, "server_model", False))


def advanced(state: State, r) -> State:
    r"""The state after round ``r`` (:class:`sims.core.rounds.Round`) of the N-copy round: the
    mixed models, the clients' optimiser and algorithm states (the untrained ones' kept), the
    rule's carry, participation counts and the round counter; :math:`\bar z` and the
    divergence flag as they were."""
    opt_state, _, _, _, algo = r.extras
    counts = state.counts + (r.active > 0).astype(jnp.int32)
    return State(r.mixed, opt_state, state.round + 1, counts, state.z_bar, state.key, None, algo,
                 r.carry)  # fmt: skip


def _server_take(s: int) -> Callable:
    r"""``take(inputs, who)``: the S participants' inputs of the server-model round, each one
    the server row (its parameters, optimiser state and :math:`\bar z`) with its own sizes,
    targets and γ."""

    def taken(a):  # the server row for every trained client
        return jnp.broadcast_to(a, (s,) + a.shape[1:])

    def take(inp: ClientInput, who) -> ClientInput:
        return ClientInput(
            jax.tree.map(taken, inp.params), jax.tree.map(taken, inp.opt_state), None,
            inp.n[who], None if inp.X is None else inp.X[who],
            jax.tree.map(taken, inp.z_bar), inp.gamma[who], None, algo=(),
        )  # fmt: skip

    return take


def _server_measure(config: EngineSettings, metrics_fn: Callable) -> Callable:
    """The record of FedAvg's round (Algorithm 1) with the server model ``state.params``
    (leading axis 1) in place of the N identical client copies: the S participants of
    :meth:`~sims.core.mixing.FedAvg.participants` trained from it (``_server_take``, their
    own minibatch and loss keys) and the rule mixed them alone into the next server model;
    nothing is put back among the N. Memory and work per round: the S trained models, not N.

    The metrics are :func:`sims.core.recorded._round_metrics` over S + 1 rows: the S trained
    clients, and one row standing for the N − S others (their local iterate is the round-start
    server model, their update 0), with weight (N − S)/N in the uniform means and
    1 − Σ_(who) π in the π-weighted ones; the same quantities as the N-copy round, summed in
    another order (``tests/test_keyed_data.py``)."""
    n, s = config.n_clients, config.n_sampled

    def taken(a, rows):
        return jnp.broadcast_to(a, (rows,) + a.shape[1:])

    def measure(state: State, r, problem: Problem, stats, inputs: ClientInput):
        if stats is None:
            stats = problem_stats(problem)
        gamma = inputs.gamma
        active, who, local, vals = r.active, r.who, r.local, r.trained[1]
        server = jax.tree.map(lambda g: g[None], r.glob)
        pi_who = problem.pi[who]
        rest = jnp.ones((1,), pi_who.dtype)
        one = jnp.ones((s,), pi_who.dtype)

        def rows(trained, others):
            return jax.tree.map(lambda a, b: jnp.concatenate([a, b]), trained, others)

        metrics = metrics_fn(
            jax.tree.map(lambda a: taken(a, s + 1), state.params),
            rows(local, state.params),
            jax.tree.map(lambda a: taken(a, s + 1), server),
            jnp.concatenate([pi_who, rest - jnp.sum(pi_who)]),
            jnp.concatenate([vals, jnp.zeros((1,), vals.dtype)]),
            jnp.concatenate([one, 0 * rest]),
            jnp.concatenate([gamma[who], jnp.zeros((1,), gamma.dtype)]),
            None,
            stats,
            uniform=jnp.concatenate([one / n, rest * (n - s) / n]),
        )
        counts = state.counts + (active > 0).astype(jnp.int32)
        new_state = state._replace(params=server, round=state.round + 1, counts=counts)
        return _applied(state, new_state, vals, clients_finite(local), one, metrics, index=who)

    return measure


def _round_inputs(config: EngineSettings, state: State, problem: Problem):
    r"""``(shared, inputs)``: what every client of the round reads (:class:`RoundInput`: t, the
    minibatch and loss streams of the run's key, H, the learning-rate factor, the algorithm's
    shared part) and each client's own inputs (:class:`ClientInput`, the clients on the leading
    axis: parameters, optimiser state, sizes, population targets, :math:`\bar z`, and MAR's
    :math:`\gamma_t^{(i)}` of Eq. 7, 0 in round 0 where Algorithms 1-2 run plain MIM)."""
    t, dt, n = state.round, float_dtype(config), config.n_clients
    streams = split_streams(state.key)
    gamma = losses.gamma_cosine(
        state.counts.astype(dt), config.gamma_omega, problem.gamma_max, problem.gamma_min
    )
    gamma = jnp.where(t > 0, gamma, jnp.zeros_like(gamma))
    sizes = problem.sizes if problem.sizes is not None else jnp.ones((n,), jnp.int32)
    scale, alg = config.lr_scale, config.client_algorithm
    shared = RoundInput(
        t, streams["sampling"], streams["masks"], problem.H,
        jnp.ones((), dt) if scale is None else scale(t, config.rounds, dt),
        () if alg is None else alg.share(state.algo),
    )  # fmt: skip
    inputs = ClientInput(
        state.params, state.opt_state, None, sizes,
        problem.targets if config.population else None, state.z_bar, gamma, None,
        algo=state.algo,
    )  # fmt: skip
    return shared, inputs


class Clients(NamedTuple):
    """How the clients of a round train and what the round records: the values a trainer hands
    :func:`make_round` (Track C's, :func:`track_c_clients`, from its configuration; those of
    :func:`sims.run`, from the user's loss and data).

    Attributes:
      prepare: ``prepare(state, problem) -> (key, shared, inputs)``: the key of the round's
        participants, what every client reads this round and each client's inputs (a pytree
        with the clients on the leading axis N; Track C's: a :class:`RoundInput` and a
        :class:`ClientInput`).
      updates: ``updates(clients, shared, x, who) -> (local, opt_state, vals, zs, rec, algo)``:
        the local updates of the clients ``who`` (``clients`` their rows of the inputs, ``x``
        the problem's data of all N): their models, optimiser states, mean local losses,
        mean embeddings (k, rows, c), recorded iterates (or None) and algorithm states.
        The round reads ``problem.mixing``, ``problem.agg`` and ``problem.x`` and hands the
        problem to ``prepare`` and ``measure`` as it is.
      measure: ``measure(state, r, problem, stats, inputs) -> (state, metrics)``: the next
        state and the round's record, from the round-start state and the
        :class:`sims.core.rounds.Round` ``r`` (:func:`advanced` is the N-copy round's next
        state; Track C's holds it at the last finite round once a round diverges,
        :func:`divergence`).
      put_back: FedAvg with S < N: put the S trained models back among the round-start models
        and mix all N (the round-start models are then every untrained client's local
        iterate, which Track C's metrics read), or mix the S alone (:func:`sims.run`). The
        two orders sum differently, so their bits differ.
      take: ``take(inputs, who)``: the S participants' inputs where they are not the rows
        ``who`` of ``inputs`` (the server model: ``_server_take``); None: those rows.
      fill: ``fill(state, outputs)``: what the untrained clients hold in place of the S
        participants' outputs (:func:`untrained`); None: the outputs stay the S rows.
    """

    prepare: Callable
    updates: Callable
    measure: Callable
    put_back: bool = True
    take: Callable | None = None
    fill: Callable | None = untrained


def track_c_clients(config: EngineSettings, mesh=None) -> Clients:
    r"""Track C's :class:`Clients`: the configuration's method, optimiser, data and key streams
    (``_round_inputs``, ``_make_updates``), and its metrics
    (:mod:`sims.core.recorded`, at the configuration's level), MAR's :math:`\bar z` and the
    divergence check as the record; with ``config.server_model``, FedAvg's server-model form
    (``_server_take``, ``_server_measure``)."""
    round_metrics, method = _make_metrics(config, mesh), config.loss_method
    finite = rounds.per_device(clients_finite, mesh, config.n_clients, (True,)) or clients_finite

    def prepare(state: State, problem: Problem):
        shared, inputs = _round_inputs(config, state, problem)
        return round_key(state.key), shared, inputs

    updates = _make_updates(config, mesh)
    if server_model(config):
        return Clients(
            prepare, updates, _server_measure(config, round_metrics), put_back=False,
            take=_server_take(config.n_sampled), fill=None,
        )  # fmt: skip

    def measure(state: State, r, problem: Problem, stats, inputs):
        new_state = advanced(state, r)
        _, vals, zs, rec, _ = r.extras
        if method.embeddings:
            new_state = new_state._replace(z_bar=r.rule.mix(zs, None, r.active)[0])
        if stats is None:
            stats = problem_stats(problem)
        # above norm_batch() clients the round's models are written over the round-start ones
        # (which the divergence check falls back to) once every metric has read them. A rule
        # that can (neighbour lists on one device) mixes in place: the metrics read the mixed
        # models row by row, and a round holds two stacks of models, not three. Any other rule
        # (FedAvg, a dense W, neighbour lists split over devices) mixes into a new stack,
        # which is then selected over the round-start models, not beside a copy of them
        large = config.n_clients > norm_batch()
        over = mesh is None and hasattr(r.rule, "mix_over") and large
        after = MixedRows(lambda i: r.rule.row(r.local, i)) if over else r.mixed
        metrics = round_metrics(
            state.params, r.local, after, problem.pi, vals, r.active, inputs.gamma, rec, stats
        )
        if not large:
            return _applied(state, new_state, vals, finite(r.local), r.active, metrics)
        new_state, metrics = _applied(
            state, new_state._replace(params=state.params), vals, finite(r.local), r.active,
            metrics,
        )  # fmt: skip
        # the write over the round-start models waits for every metric that reads them: the
        # update spread (of Wl − W0) decides nothing, so without this term (never true: a
        # square root, or NaN) XLA had no order between it and the write and copied the
        # round-start models first (a stack more: in XLA's account of the two-device chunk at
        # 10^4 clients, 20.4 kB held per client with the copy, 16.3 without,
        # benchmarks/round_memory.py; docs/performance.md)
        keep = new_state.diverged
        if "update_spread" in metrics:
            keep = keep | (metrics["update_spread"] < -1)
        if over:
            params = r.rule.mix_over(r.local, state.params, keep)
        else:
            params = jax.tree.map(lambda o, m: jnp.where(keep, o, m), state.params, r.mixed)
        return new_state._replace(params=params), metrics

    return Clients(prepare, updates, measure)


#: The :class:`State` fields that hold no client rows: replicated on a mesh (:func:`shard_state`).
_SHARED_FIELDS = ("round", "key", "diverged")


def shard_state(state: State, mesh, n: int) -> State:
    """Place a run's :class:`State` on ``mesh``, a one-axis mesh: the leaves of the per-client
    fields with a leading axis of the ``n`` clients split over it, the rest (the round, the
    key, the divergence flag, an optimiser's step count) replicated. A state made on one device
    and handed to a program split over the mesh is copied onto it at the call, not donated:
    its models stay until the caller drops them (``make_engine``'s chunks held them to the end
    of the run, a stack more; docs/performance.md). Placed first, they are donated to the
    first call and freed there."""
    split = NamedSharding(mesh, P(mesh.axis_names[0]))
    repl = NamedSharding(mesh, P())

    def placed(name, value):
        def place(a):
            rows = name not in _SHARED_FIELDS and jnp.ndim(a) >= 1 and jnp.shape(a)[0] == n
            return jax.device_put(a, split if rows else repl)

        return jax.tree.map(place, value)

    return State(**{name: placed(name, value) for name, value in state._asdict().items()})


def make_round(
    config: EngineSettings, mesh=None, clients: Clients | None = None
) -> tuple[Callable, Callable]:
    r"""Factory of the pure pair ``(init, round_step)`` for one configuration (``mesh``: see
    :func:`make_engine`; the problem must then be placed by
    :func:`sims.core.sharding.shard_clients`).

    ``init(problem, *, key, params=None) -> State``: all clients start from the same encoder
    ``params``, by default ``init_scale·N(0, 1/d)`` drawn from the ``init`` stream of ``key``
    in the caller's x64 mode; :func:`initial_params` draws it in float64 whatever that mode
    (what :func:`make_engine` and :func:`sweep` pass when x64 is off).

    ``round_step(state, problem, stats=None) -> (state, metrics)`` (``stats``: the
    round-invariant ``(X̄, Q)`` of the targets, ``recorded.problem_stats``, computed if not
    given): E local steps on every client (vmapped; ``lax.map`` over chunks of
    :func:`auto_client_chunk` clients when the clients do not fit the memory budget at once),
    then the configuration's mixing rule (:mod:`sims.core.mixing`):
    :math:`x_i \leftarrow \sum_j (M_t)_{ij} x_j` with :math:`M_t = \mathcal{W}` (DecL) or
    :math:`\mathbf{1} s_t^\top` (FL). FedAvg with S < N clients per round trains only the S
    sampled clients (Algorithm 1); the local iterates of the others are their round-start
    models (the sequence is :func:`sims.core.rounds.one_round`, with the round-start models as
    ``kept``). ``metrics`` holds the cheap per-round quantities of :mod:`sims.core.recorded`
    (consensus distances, update spread, losses, :math:`\zeta^2`, spectral norm, γ; the local
    iterates and gradients with ``record_local``) and the divergence fields ``diverged``,
    ``diverged_client``, ``diverged_loss``: a diverged round is not applied, the state stays at
    the last finite round (:func:`divergence`).

    ``clients``: the round's :class:`Clients`, by default Track C's of ``config``
    (:func:`track_c_clients`, everything above); another trainer hands its own and the round
    reads of ``config`` only N, S, the dtype, ``server_model`` and ``mixing_rule``
    (:func:`sims.run`: the user's loss and data, :mod:`sims.core.trainer`). ``init`` is Track
    C's.
    """
    n, dt = config.n_clients, float_dtype(config)
    check_clients_mesh(config.n_clients, mesh)
    if server_model(config) and mesh is not None:
        v.fail("mesh", "None with server_model (the server-model round runs on one device)", mesh)
    clients = track_c_clients(config, mesh) if clients is None else clients

    def round_step(state: State, problem: Problem, stats=None):
        # the mixing rule with this problem's arrays: FedAvg (1 sᵀ, s the weights of this
        # round's participants) or gossip with W
        rule = config.mixing_rule(problem.mixing, problem.agg)
        key, shared, inputs = clients.prepare(state, problem)

        def train(taken, who):
            local, *outputs = clients.updates(taken, shared, problem.x, who)
            return local, tuple(outputs)

        # the round (sims.core.rounds.one_round): FedAvg with S < N trains the S sampled
        # clients (Algorithm 1) and, with ``put_back``, puts them back among the round-start
        # models and mixes all N (else it mixes the S alone)
        fill = clients.fill
        r = rounds.one_round(
            rule, key, state.round, state.weights, inputs, train, n=n,
            n_sampled=config.n_sampled, dtype=dt,
            fill=None if fill is None else (lambda outputs: fill(state, outputs)),
            kept=state.params if clients.put_back else None, take=clients.take,
        )  # fmt: skip
        return clients.measure(state, r, problem, stats, inputs)

    return _make_init(config), round_step


def make_engine(
    config: EngineSettings, mesh=None, *, compiler_options: Mapping[str, Any] | None = None
) -> Engine:
    """``Engine(config, init, round_step, run, scan, chunks)`` of one configuration.

    ``mesh``: a one-axis :class:`jax.sharding.Mesh` (:func:`sims.core.sharding.client_mesh`) to
    split the clients over its devices (N a multiple of their number): ``run`` and ``chunks``
    place the problem with :func:`sims.core.sharding.shard_clients`, each device trains the clients
    it holds (``jax.shard_map``) and the mixing and the metrics combine them. On a CPU with
    ``XLA_FLAGS=--xla_force_host_platform_device_count=K`` set before jax starts, the K
    devices are K threads: one device runs the small per-client products on one core, so the
    clients of a round go to all cores (``dssl bench`` at its quick setting on 2 cores: 1.3×
    the one-device engine, benchmarks/results/bench.md). Per-client updates are the
    single-device ones; the cross-device sums of the mixing and the metrics may round
    differently (``tests/test_sharded_engine.py``). FedAvg rounds whose sampled clients do
    not split evenly over the devices train them without ``shard_map``.

    * ``run(problem, *, key, chunk=None, on_chunk=None) -> (state, trace)``: all
      ``config.rounds`` rounds (``trace`` has a leading axis of length T). With ``chunk=k`` the
      rounds run as jitted scans of k rounds and ``on_chunk(state, trace_so_far)`` is called
      after each; a truthy return value stops there (the state and trace of the rounds done
      are returned). The result does not depend on ``chunk``: every key depends only on (seed,
      round, client, step), and each round is the same compiled computation.
    * ``compiler_options``: XLA options for the engine's programs, as :func:`sweep`'s (added
      to :func:`sims.core.environ.bounded_compile_options`, the caller's winning). For a run
      much longer than its compilation pass :func:`sims.core.environ.long_run_options` (on a
      CPU, XLA's newer fusion code generator), as ``benchmarks/bench_scale.py`` does: with
      the bounded options alone (the older generator) the DecL one-peer round of 10⁴
      clients took 2.64 s, with XLA's default options (the newer one, LLVM level 2) 1.94 s
      (2 cores, 2026-11-28, before its keyed draws moved out of the steps).
    * ``chunks(problem, *, key, chunk)``: a generator of ``(state, trace_of_the_chunk)``, for
      callers that stop between chunks (Ctrl-C, a progress bar). Each chunk's scan consumes
      the models of the state it starts from (donated, so that XLA may write the rounds'
      models over them): a state that ``chunks`` yielded, or ``run`` handed ``on_chunk``,
      holds its models until the next chunk starts; keep a copy
      (``jax.tree.map(jnp.copy, state)``) to read it later. The last state stays valid.
    * ``scan(state, problem, stats, length) -> (state, trace)``: ``length`` rounds from
      ``state`` (jitted; ``stats = recorded.problem_stats(problem)``).

    Example:
      >>> import numpy as np, jax.random as jr
      >>> from sims.core.problem import make_problem
      >>> from sims.trackc.engine_config import EngineConfig
      >>> cfg = EngineConfig(method="cl", framework="fl", n_clients=2, d=3, c=1,
      ...                    population=True, rounds=2, dtype="float32")
      >>> prob = make_problem(cfg, np.stack([np.eye(3)] * 2))
      >>> state, trace = make_engine(cfg).run(prob, key=jr.key(0))
      >>> trace["loss"].shape
      (2,)
    """
    init, round_step = make_round(config, mesh)
    options = _over_bounded(compiler_options) or None
    init_j = jax.jit(
        lambda problem, key, params: init(problem, key=key, params=params),
        compiler_options=options,
    )
    stats_j = jax.jit(target_stats)

    def _engine_scan(state, problem, stats, length):
        return _scan_rounds(round_step, state, problem, stats, length)

    scan = jax.jit(_engine_scan, static_argnums=3, compiler_options=options)
    consume = consuming_scan(round_step, options)

    def consuming(state, *args):
        return consume(state.params, state._replace(params=None), *args)

    def chunks(problem: Problem, *, key, chunk: int | None = None):
        k = config.rounds if chunk is None else v.integer(chunk, "chunk", lo=1)
        root = _raw_key(rounds.as_key(key))
        if mesh is not None:
            problem = shard_clients(problem, mesh)
        start = init_j(problem, root, _given_init(config, root))
        if mesh is not None:
            start = shard_state(start, mesh, config.n_clients)
        args = (problem, problem_stats(problem, stats_j))
        for _, state, trace in rounds.scan_in_calls(consuming, start, args, config.rounds, k):
            yield state, trace

    def run(problem: Problem, *, key, chunk: int | None = None, on_chunk=None):
        if on_chunk is not None and not callable(on_chunk):
            v.fail("on_chunk", "a function on_chunk(state, trace), or None", on_chunk)
        traces, state = [], None
        for state, tr in chunks(problem, key=key, chunk=chunk):
            traces.append(tr)
            if on_chunk is not None:
                so_far = rounds.concat_traces(traces)
                traces = [so_far]
                if on_chunk(state, so_far):
                    break
        return state, rounds.concat_traces(traces)

    return Engine(config, init, round_step, run, scan, chunks)


def consuming_scan(
    round_step: Callable, options: Mapping[str, Any] | None = None, donate: bool = True
) -> Callable:
    """The jitted scan that :func:`make_engine`'s chunks and :func:`sims.run` run:
    ``consume(params, state, problem, stats, length) -> (state, trace)``, ``length`` rounds of
    ``round_step`` from ``state`` with its models ``params`` given apart (``state.params`` is
    not read) and, with ``donate``, donated: XLA may write the rounds' models over them, so
    that a round whose rule mixes in place (:func:`track_c_clients`) holds two stacks of N
    models, not three. The rest of the state is not donated. ``options``: ``jax.jit``'s
    ``compiler_options``."""

    def _engine_scan_from(params, state, problem, stats, length):
        return _scan_rounds(round_step, state._replace(params=params), problem, stats, length)

    return jax.jit(
        _engine_scan_from, static_argnums=4, donate_argnums=(0,) if donate else (),
        compiler_options=options,
    )  # fmt: skip


def _scan_rounds(round_step: Callable, state, problem, stats, length: int):
    """``length`` rounds of ``round_step`` from ``state`` as one ``lax.scan``."""
    return lax.scan(lambda s, _: round_step(s, problem, stats), state, None, length=length)


def _over_bounded(compiler_options: Mapping[str, Any] | None) -> dict[str, Any]:
    """The caller's ``compiler_options`` (checked: :func:`sims.core.environ.compiler_options_key`)
    added to :func:`sims.core.environ.bounded_compile_options`, the caller's winning: what
    :func:`make_engine` and :func:`sweep` compile with."""
    given = compiler_options_of(compiler_options_key(compiler_options) or ())
    return {**bounded_compile_options(), **given}


def seed_keys(seeds, field: str = "seeds") -> Array:
    """(K, 2) raw root keys ``key_tree(s)["root"]`` of the seeds s of a sweep, in order (e.g.
    ``seed_keys(theory.sweeps.seed_grid(seed, n_seeds, repeat=n_configs))``): the one place
    a sweep's per-configuration keys are tiled. An error names ``field``.

    >>> seed_keys([0, 1, 0]).shape
    (3, 2)
    """
    from sims.core.config import key_tree

    seeds = [v.integer(s, field, lo=0, hi=2**32 - 1) for s in seeds]
    if not seeds:
        v.fail(field, "a non-empty sequence of seeds", seeds)
    return jnp.stack([key_tree(s)["root"] for s in seeds])


def sweep(
    config: EngineSettings,
    problems: Problem,
    keys,
    *,
    axes: Problem | None = None,
    batch_size: int | None = None,
    compiler_options: Mapping[str, Any] | None = None,
):
    """Run many configurations of equal shapes at once (one compilation).

    Args:
      config: the shared static configuration.
      problems: a :class:`Problem` whose swept fields carry a leading batch axis of size K.
      keys: K root keys, one per configuration: new-style (K,) (e.g. ``vmap(jr.key)(seeds)``)
        or raw (K, 2) uint32 (``vmap(jr.PRNGKey)(seeds)``); equal data, equal results.
      axes: a :class:`Problem` of ``0`` (swept) / ``None`` (shared) per field; default: every
        array field swept.
      batch_size: if given, ``lax.map`` over the configurations in chunks of this size (one
        ``vmap`` per chunk), bounding memory; otherwise one ``vmap`` over all K.
      compiler_options: XLA options for this sweep's program (``jax.jit``'s
        ``compiler_options``; names of XLA's debug options, values bool, int, float or str),
        e.g. :func:`sims.core.environ.long_run_options`; they may change float results
        by rounding only. They are added to
        :func:`sims.core.environ.bounded_compile_options` (LLVM level 1 on a CPU).

    Returns:
      ``(states, traces)`` with a leading axis K.

    Logs one INFO line (logger ``sims.core.engine``) as it starts: the runs, clients and rounds
    (what ``dssl reproduce``'s progress line shows of a stage that sweeps).
    """
    fn, args = sweep_call(
        config, problems, keys, axes=axes, batch_size=batch_size, compiler_options=compiler_options
    )
    log.info(
        "training %d runs at once: %d clients, %d rounds each", args[2].shape[0],
        config.n_clients, config.rounds,
    )  # fmt: skip
    return fn(*args)


def sweep_call(
    config: EngineSettings,
    problems: Problem,
    keys,
    *,
    axes: Problem | None = None,
    batch_size: int | None = None,
    compiler_options: Mapping[str, Any] | None = None,
) -> tuple[Callable, tuple]:
    """The jitted function and the arguments of :func:`sweep` (same arguments, checked the
    same way): ``fn(*args)`` is the sweep, and ``fn.lower(*args).compile()`` compiles it ahead
    of time (``benchmarks/bench_cpu_flags.py`` times that)."""
    if hasattr(keys, "dtype") and jnp.issubdtype(keys.dtype, jax.dtypes.prng_key):
        if keys.ndim != 1:
            v.fail("keys", "(K,) new-style keys or a (K, 2) uint32 array", f"shape {keys.shape}")
        keys = jr.key_data(keys)
    keys = jnp.asarray(keys)
    if keys.ndim != 2 or keys.shape[-1] != 2 or keys.dtype != jnp.uint32:
        v.fail("keys", "(K,) new-style keys or a (K, 2) uint32 array", f"shape {keys.shape}")
    if getattr(problems, "stats", None) is not None:
        v.fail("problems", "problems made with targets (a sweep computes their stats)",
               "stats given")  # fmt: skip
    if axes is None:
        axes = jax.tree.map(lambda _: 0, problems)
    axes = Problem(*[None if a is None else a for a in axes])
    bs = None if batch_size is None else v.integer(batch_size, "batch_size", lo=1)
    options = compiler_options_key(_over_bounded(compiler_options))
    swept = Problem(*[f if a == 0 else None for f, a in zip(problems, axes, strict=True)])
    shared = Problem(*[None if a == 0 else f for f, a in zip(problems, axes, strict=True)])
    fn = _sweep_function(config, bs, options)
    return fn, (swept, shared, keys, _given_init(config, keys))


@functools.lru_cache(maxsize=32)
def _sweep_function(
    config: EngineSettings, batch_size: int | None, options: tuple = ()
) -> Callable:
    """The jitted sweep of one configuration, built once and reused across calls (so repeated
    sweeps of equal shapes do not recompile)."""
    init, round_step = make_round(config)

    def one(problem, key, params):
        state = init(problem, key=key, params=params)
        return _scan_rounds(round_step, state, problem, problem_stats(problem), config.rounds)

    def combine(sw, sh):
        return Problem(*[a if a is not None else b for a, b in zip(sw, sh, strict=True)])

    if batch_size is None:

        def _engine_sweep(sw, sh, ks, p0):
            return jax.vmap(lambda p, k, w: one(combine(p, sh), k, w))(sw, ks, p0)

    else:

        def _engine_sweep(sw, sh, ks, p0):
            return lax.map(
                lambda a: one(combine(a[0], sh), a[1], a[2]), (sw, ks, p0), batch_size=batch_size
            )

    return jax.jit(_engine_sweep, compiler_options=compiler_options_of(options) or None)
