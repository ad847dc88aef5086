"""One client of the engine (:mod:`sims.core.engine`): its population loss, its optimiser, its E
local steps (written for ONE client; the engine ``vmap``s it over clients), the per-round
minibatch and key streams, and how many clients are batched per chunk.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
from jaxtyping import Float

from sims.core import rounds
from sims.core.config import EngineSettings, float_dtype, split_streams
from sims.keys import key_data
from sims.losses import methods
from theory._precision import x64
from theory.dissimilarity import global_loss_jnp

Array = jax.Array


#: a raw uint32 key (..., 2) from a new-style (``jr.key``) or raw (``jr.PRNGKey``) key
_raw_key = key_data


# ---------------------------------------------------------------------------------------------
# losses of one client


def population_loss(W: Float[Array, "c d"], X: Float[Array, "d d"]) -> Float[Array, ""]:
    r""":math:`f_i(W) = -\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W\rVert_F^2`
    (docs/theory/optimum.md §1). W (c, d), X (d, d):
    :func:`theory.dissimilarity.global_loss_jnp` with one target."""
    return global_loss_jnp(W, X[None])


def embedding_rows(config: EngineSettings) -> int:
    r"""Rows of the embeddings a client shares each round: B for a method that shares them (MAR's
    :math:`\bar z`), else one placeholder row (the round carries no (B, c) block per client;
    not 0 rows: ``lax.map`` cannot split an empty array into chunks)."""
    return config.batch if config.loss_method.embeddings else 1


def encoder(params) -> Array:
    """The encoder W (or :math:`W_e` of mim-recon) of one client's parameters."""
    return params[0] if isinstance(params, tuple) else params


class ClientInput(NamedTuple):
    r"""One client's inputs to a round (the engine ``vmap``s over the leading client axis).

    Attributes:
      params, opt_state: the client's parameters and optimiser state.
      x: (M, d) its samples (valid rows first), or None in population mode. n: int32 valid rows.
      X: (d, d) its population target :math:`X_i`. z_bar: (B, c) global embeddings (MAR).
      gamma: its MAR weight :math:`\gamma_i` this round. index: int32 client id i.
      rows: (E, B) int32 minibatch rows of its E steps (with ``config.sampler``: (E, 2) the
        minibatch keys its samples are drawn from) and ``keys`` (E, 2) the loss keys, as
        drawn by :func:`sims.core.rounds.step_streams`; None: drawn inside the update (the
        same numbers). algo: its state of the federated algorithm (``()`` without one).
    """

    params: Any
    opt_state: Any
    x: Any
    n: Array
    X: Array
    z_bar: Array
    gamma: Array
    index: Array
    rows: Any = None
    keys: Any = None
    algo: Any = ()


class RoundInput(NamedTuple):
    """What every client shares in a round: t (int32), the streams of the minibatch rows and of
    the loss randomness (keys), the transform H (or None), the learning-rate scale and what the
    federated algorithm shares this round (``()`` without one)."""

    t: Array
    k_rows: Array
    k_loss: Array
    H: Any
    scale: Array
    shared: Any = ()


def predraws(config: EngineSettings) -> bool:
    """Whether a client with keyed data (``config.sampler``) draws the E minibatches of its
    round at once, before its first step: when their E·B·d samples take at most
    :data:`sims.core.rounds.PREDRAW_MAX_BYTES`. Drawn inside a step, XLA fused the draw into
    each of its consumers and computed it up to four times (the optimised HLO of
    ``bench_scale.py``'s one-peer round; docs/performance.md). Either way the samples are the
    same numbers.

    >>> from sims.data.paper_model import KeyedPaperSampler
    >>> from sims.trackc.engine_config import EngineConfig
    >>> from theory.datamodel import DataModel
    >>> s = KeyedPaperSampler(DataModel(d=64, n_clients=4))
    >>> cfg = dict(n_clients=4, d=64, c=4, batch=32, sampler=s)
    >>> predraws(EngineConfig(**cfg, local_steps=5))
    True
    >>> predraws(EngineConfig(**cfg, local_steps=10**5))  # 1.6 GB of samples per client
    False
    """
    if getattr(config, "sampler", None) is None or config.population:
        return False
    return rounds.predraw_fits(config.batch * config.d * _float_bytes(config), config.local_steps)


def _float_bytes(config: EngineSettings) -> int:
    """Bytes of one float of the run's dtype (read from its name: no x64 mode needed)."""
    return 8 if config.dtype == "float64" else 4


def make_local_update(config: EngineSettings) -> Callable:
    r"""The local update of ONE client (unbatched; the engine ``vmap``s it over clients).

    ``local_update(client: ClientInput, shared: RoundInput, data=None) -> (params, opt_state,
    mean_loss, z_mean (B, c), record, algo)``: E optimiser steps (a ``lax.scan``) on minibatches of
    B rows drawn uniformly with replacement from the first n rows of x, rows from
    :func:`sims.core.rounds.batch_indices` (``k_rows``, t, i, step) and loss randomness from
    :func:`sims.core.rounds.loss_key` (``k_loss``, t, i, step) (given in ``client.rows`` /
    ``client.keys`` by the engine, see :func:`sims.core.rounds.step_streams`); ``scale``
    multiplies the updates. The steps are :func:`sims.core.rounds.local_train`.
    Each step gathers its own minibatch: rows of ``client.x``, or with ``data`` (the samples of
    all clients as (N·M, d) rows, shared by the vmapped clients) the rows ``client.rows``
    of ``data`` (the engine passes :math:`i\cdot M + \mathrm{row}`).

    The loss, its views and its gradient are the :class:`sims.losses.methods.Method` of
    ``config.loss_method``: the closed form of the alignment methods (no autodiff) or
    ``jax.value_and_grad`` of the others. Population mode: the full-batch gradient of
    :func:`population_loss` with the client's :math:`X_i`.

    Keyed data (``config.sampler`` given, no samples ``x``): step s trains on the B samples
    ``config.sampler(batch_key(k_rows, t, i, s), i, B, dtype)``
    (:func:`sims.core.rounds.batch_key`), drawn inside the round (the E steps' minibatches
    before the client's first step where they are small: :func:`predraws`), so the run holds
    models and no data.
    """
    E, b = config.local_steps, config.batch
    dt = float_dtype(config)
    opt = config.local_optimizer
    method = config.loss_method
    zeros_z = jnp.zeros((embedding_rows(config), config.c), dt)
    record = config.record_local
    alg = config.client_algorithm
    sampler = getattr(config, "sampler", None)
    keyed = sampler is not None and not config.population
    predraw = predraws(config)

    def local_update(client: ClientInput, shared: RoundInput, data=None):
        params, opt_state = client.params, client.opt_state
        if not config.persist_opt_state:
            opt_state = opt.init(params)
        rows, keys = client.rows, client.keys
        if keys is None:
            rows, keys = rounds.step_streams(
                shared.k_rows, shared.k_loss, shared.t, client.index, client.n,
                steps=E, batch=None if config.population else b, keyed=keyed,
            )  # fmt: skip
        if config.population:
            rows = jnp.zeros((E,), jnp.int32)

            def vg(p, batch, *, key):
                val, g = jax.value_and_grad(population_loss)(p, client.X)
                return val, g, zeros_z

        else:
            ctx = methods.Context(config.p, shared.H, client.z_bar, client.gamma)

            def vg(p, batch, *, key):
                val, g, z = method.value_and_grad(p, batch, ctx, key=key)
                return val, g, zeros_z if z is None else z

        # a materialised step's minibatch is gathered inside the step: gathering all E batches
        # first made XLA transpose them to step-major order (measured: a quarter of the quick
        # setting's round); from the shared (N·M, d) rows when given: a plain row gather, not
        # a per-client one. Keyed minibatches drawn before the steps are read by index
        # (drawn[s]) for the same reason, not scanned over
        draw = lambda k: sampler(k, client.index, b, dt)  # noqa: E731
        batch_of = draw if keyed else _gather(config.population, client.x, data)
        if predraw:  # the E minibatches at once, before the steps (predraws)
            drawn = jax.vmap(draw)(rows)
            rows, batch_of = jnp.arange(E, dtype=jnp.int32), lambda s: drawn[s]
        params, opt_state, vals, zs, rec, algo = rounds.local_train(
            vg, opt, params, opt_state, rows, keys,
            batch_of=batch_of,
            scale=None if config.lr_scale is None else shared.scale,
            record=(lambda p, g: (encoder(p), encoder(g))) if record else None,
            algorithm=alg, state=client.algo, shared=shared.shared,
        )  # fmt: skip
        return params, opt_state, jnp.mean(vals), jnp.mean(zs, 0), rec, algo

    return local_update


def _gather(population: bool, x: Any, data: Any) -> Callable:
    """A step's minibatch from its rows: None (population mode), rows of the client's own
    ``x``, or rows of the shared ``data``."""
    if population:
        return lambda r: None
    return (lambda r: x[r]) if data is None else (lambda r: data[r])


def client_bytes(config: EngineSettings) -> int:
    r"""Estimated peak bytes of ONE client's local update inside a round (the working set that
    grows with the number of clients processed at once).

    Counts, in the run's dtype: the minibatch a step gathers (:math:`B\cdot d`; each step
    gathers its own), the two views and the mask of a step (:math:`3\cdot B\cdot d`, plus
    :math:`B\cdot d` 32-bit mask words), parameters, gradients, optimiser state and the mixed
    copy (:math:`\approx 8\cdot p` with :math:`p = c\cdot d`, or :math:`2c\cdot d` for
    mim-recon), with keyed data the draw (:math:`4\cdot E\cdot B\cdot d` where the E
    minibatches are drawn before the steps, :func:`predraws`, else :math:`3\cdot B\cdot d`),
    per-step records if ``record_local``, and the d×d gradient temporaries of population
    mode. An upper estimate; it
    is what :func:`auto_client_chunk` divides the memory budget by, so changing it changes the
    chunk size of large runs and with it their float32 rounding (see
    :func:`sims.core.rounds.map_clients`).
    """
    isz = _float_bytes(config)
    d, c, E, b = config.d, config.c, config.local_steps, config.batch
    method = config.loss_method
    p = c * d * (2 if method.decoder else 1)
    work = 8 * p
    if config.population:
        work += 3 * d * d + 2 * c * d
    else:
        work += b * d + 3 * b * d + b * d  # the step's batch, views and mask, mask words
        if getattr(config, "sampler", None) is not None:
            # the keyed draw's noise, offsets and samples before their cast, of the E
            # minibatches drawn before the steps (predraws) or of the step's one, and the
            # E drawn minibatches
            work += (4 * E if predraws(config) else 3) * b * d
        if method.embeddings:
            work += 4 * b * b + 4 * b * config.c
    if config.record_local:
        work += 2 * (E + 1) * c * d
    return int(isz * work)


def auto_client_chunk(
    config: EngineSettings, budget_bytes: int | None = None, cache_bytes: int | None = None
) -> int:
    """Clients per chunk: ``config.client_chunk`` if set, else the largest k ≤ N with
    k·``client_bytes(config)`` ≤ min(memory budget, cache budget) (defaults on CPU
    :data:`sims.core.rounds.CLIENT_MEMORY_BUDGET`, 1 GiB, and
    :data:`sims.core.rounds.CLIENT_CACHE_BUDGET`, 8 MiB; on a GPU a quarter of its memory for
    both), at least 2 where two clients fit the memory budget (else 1):
    :func:`sims.core.rounds.clients_per_chunk` of :func:`client_bytes`.

    Example:
      >>> from sims.trackc.engine_config import EngineConfig
      >>> auto_client_chunk(EngineConfig(n_clients=10_000, d=64, c=16, dtype="float32"))
      113
    """
    n = config.n_clients
    if config.client_chunk is not None:
        return min(n, config.client_chunk)
    return rounds.clients_per_chunk(client_bytes(config), n, budget_bytes, cache_bytes)


# ---------------------------------------------------------------------------------------------
# the initial encoder


def _draw_init(method: Any, key, c: int, d: int, scale: float, dtype) -> Any:
    """``method.init`` (:meth:`sims.losses.methods.Method.init`) on the ``init`` stream of the
    raw root ``key``."""
    return method.init(split_streams(key)["init"], c, d, scale, dtype)


def initial_params(config: EngineSettings, key) -> Any:
    """The initial encoder every client of a run starts from (``init_scale·N(0, 1/d)`` from
    the ``init`` stream of the root ``key``), drawn in float64 and cast to the run's dtype,
    whatever the caller's x64 mode: a float32 run started with x64 off gets the encoder of the
    same run with x64 on (JAX cannot draw float64 without x64, and inside a ``jit`` traced
    with x64 off cannot switch it on, so the draw is a small jitted program of its own).

    Args:
      config: the run's configuration. key: a root key (new-style or raw), or (K,) / (K, 2)
        root keys of a sweep (leading axis K in the result).

    Returns:
      the parameters (W (c, d), or :math:`(W_e, W_d)` for mim-recon), or ``None`` when
      ``key`` is traced (inside a caller's ``jit``): the engine then draws in the trace's own
      x64 mode.
    """
    key = _raw_key(key)
    if isinstance(key, jax.core.Tracer):
        return None
    fn = _init_function(
        config.loss_method, config.c, config.d, config.init_scale, config.dtype, key.ndim == 2
    )
    with x64():
        return fn(key)


def _given_init(config: EngineSettings, key) -> Any:
    """What the engine passes to ``init``: None (draw inside the engine's own program, no
    extra compilation) when x64 is on, where that draw already is float64, else
    :func:`initial_params`."""
    return None if jax.config.jax_enable_x64 else initial_params(config, key)


@functools.lru_cache(maxsize=64)
def _init_function(method: Any, c: int, d: int, scale: float, dtype: str, batched: bool):
    """The jitted draw of :func:`initial_params`, cached by what it depends on (not the whole
    configuration: one compilation serves every run of equal shapes)."""

    def one(key):
        return _draw_init(method, key, c, d, scale, jnp.dtype(dtype))

    return jax.jit(jax.vmap(one) if batched else one)
