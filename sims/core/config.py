"""The one PRNG key tree of a run, and what the training engine is handed.

Every random draw of a run comes from one seed. ``key_tree(seed)`` derives one named stream per
source of randomness by ``fold_in`` with a fixed integer per name; the engine then derives one
key per round and per client from a stream, again by ``fold_in``. Same seed, same results
(bit-identical on CPU).

The random graphs (Erdős–Rényi, random regular, the official code's ``paper_code``) are the one
exception: ``theory.topology`` draws them with numpy from the integer seed itself, in every
command (``dssl topology``, ``exact``, ``verify`` and ``simulate`` all pass ``--seed`` as the
graph seed), so one ``--seed`` names one graph everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import jax
import jax.numpy as jnp
import jax.random as jr
import optax

from theory import _validate as v

#: Named PRNG streams and the integer each folds in. 2 is not used: graphs are drawn from the
#: integer seed (module docstring), and the other streams keep their integers. ``probe``
#: draws the held-out sample (client i from ``split(probe, N)[i]``); ``metrics`` the draws of
#: the metrics on it (uniformity pairs, alignment views), apart from every client's sample.
STREAMS = {
    "data": 0,
    "partition": 1,
    "init": 3,
    "sampling": 4,
    "masks": 5,
    "probe": 6,
    "metrics": 7,
}

#: What an engine round records (``EngineConfig.metrics``; the names of each level:
#: ``sims.core.recorded.METRICS_OF_LEVEL``).
METRICS_LEVELS = ("all", "loss")


def split_streams(key) -> dict:
    """Named sub-keys ``{name: fold_in(key, index)}`` for every name in ``STREAMS``.

    Args:
      key: a raw PRNG key (``jr.PRNGKey``), possibly traced.

    Returns:
      dict from stream name to key.
    """
    return {name: jr.fold_in(key, i) for name, i in STREAMS.items()}


def round_key(key):
    """The key an engine round hands its mixing rule (:func:`sims.core.rounds.one_round`'s
    ``key``: participation, and a random rule's round t, :func:`sims.core.rounds.mixing_key`):
    the ``sampling`` stream of the run's root key ``key``."""
    return jr.fold_in(key, STREAMS["sampling"])


def key_tree(seed: int) -> dict:
    """The run's key tree: ``{"root": PRNGKey(seed), "data": ..., "partition": ..., ...}``.

    Streams are ``fold_in(PRNGKey(seed), i)`` with i the integer of the name in ``STREAMS``;
    per-round and per-client keys are derived from a stream by further ``fold_in``.

    Example:
      >>> keys = key_tree(0)
      >>> sorted(keys) == sorted(("root", *STREAMS))
      True
    """
    seed = v.integer(seed, "seed", lo=0, hi=2**32 - 1)
    root = jr.PRNGKey(seed)
    return {"root": root, **split_streams(root)}


def float_dtype(config: Any) -> Any:
    """The float dtype of a run of ``config`` (its ``dtype``, ``"float32"`` or ``"float64"``);
    float64 needs JAX's x64 mode, which this package never switches on globally: without it
    JAX would silently compute in float32, so that is a one-line ValueError."""
    if config.dtype == "float64" and not jax.config.jax_enable_x64:
        raise ValueError(
            "dtype: float64 needs JAX's x64 mode; run inside `with theory._precision.x64():` "
            "(or jax.enable_x64(True)), or use dtype='float32'"
        )
    return jnp.float64 if config.dtype == "float64" else jnp.float32


class EngineSettings(Protocol):
    """What the Track C engine (:mod:`sims.core.engine`) reads of a run's configuration: the
    shapes and flags as plain numbers, and the values it trains with, already resolved from
    their names by the configuration itself (``sims.trackc.engine_config.EngineConfig``): no
    method, framework, optimiser or schedule name is looked up here.

    Attributes:
      loss_method: the :class:`sims.losses.methods.Method` of the local loss.
      local_optimizer: the clients' optax transformation.
      lr_scale: the schedule's factor ``scale(t, T, dtype)`` on the updates, or None.
      mixing_rule(matrix, agg): the round's rule of :mod:`sims.core.mixing`.
      client_algorithm: a :class:`sims.core.rounds.ClientAlgorithm` value, or None.
      sampler: a minibatch generator ``sampler(key, i, batch, dtype) -> (batch, d)`` (e.g.
        :class:`sims.data.paper_model.KeyedPaperSampler`): every minibatch is drawn from its
        key inside the local step and the problem holds no samples; None: minibatches are
        rows of the problem's samples ``x``.
      server_model: FedAvg keeps one server model instead of N client copies
        (:func:`sims.core.engine.server_model`).
    """

    n_clients: int
    d: int
    c: int
    p: float
    local_steps: int
    batch: int
    rounds: int
    population: bool
    persist_opt_state: bool
    record_local: bool
    metrics: str
    init_scale: float
    dtype: str
    client_chunk: int | None
    loss_method: Any
    local_optimizer: optax.GradientTransformation
    lr_scale: Callable | None
    client_algorithm: Any
    sampler: Any
    server_model: bool
    n_sampled: int
    gamma_omega: float

    def mixing_rule(self, matrix: Any = None, agg: Any = None) -> Any: ...
