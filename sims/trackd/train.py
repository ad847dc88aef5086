"""Track D training through the plug-in engine ``sims.run`` (thin).

The network, its loss and the optimiser are built once per configuration (cached), so a sweep
over seeds, partitions, graphs and mixing matrices reuses one compiled engine: the mixing
matrix, the data and the initial parameters are runtime arguments of the engine.

Data layout: every client's images are tiled to one fixed length ``rows`` (the client's rows
in a random order, repeated cyclically), so partitions of different sizes have one shape and
compile once. Deviation: a row then has sampling weight ⌈rows/n_i⌉ or ⌊rows/n_i⌋ out of rows
(uniform to within 1/⌊rows/n_i⌋); the engine draws with replacement in any case.

MAR in one engine call: the parameters are ``{"net": θ, "anchor": θ̄, "gamma": γ, "round": t}``.
:func:`sims.trackd.losses.mar_optimizer` steps θ with the inner optimiser and, at the last local
step of a round, sets anchor ← θ (the local model), γ ← γ(t + 1) (``sims.losses.gamma_schedule``,
Ω = T) and t ← t + 1; the engine's mixing then turns the anchors into the mixed (FedAvg: global)
model, which is the z̄ model of the next round. Deviations (docs/theory/mar.md): Ω = T and the
count ω = t for every client in FL too (the expected count under uniform sampling is tS/N,
Ω = TS/N: the same ratio); the anchor is mixed alongside θ (twice the traffic in the simulation).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax

from sims.core import rounds
from sims.core import trainer as api
from sims.core.environ import long_training_options
from sims.core.mixing import FedAvg, mixing_rule
from sims.core.sharding import client_mesh
from sims.trackd.losses import LossConfig, make_loss, objective_of
from sims.trackd.models import NetConfig, init_params
from theory import _validate as v

__all__ = [
    "TrainConfig",
    "make_optimizer",
    "tile_clients",
    "train",
    "global_net",
    "client_update",
    "local_step_flops",
    "lowered_step",
    "step_activation_bytes",
    "devices_for",
    "arm_mesh",
]


@dataclass(frozen=True)
class TrainConfig:
    """Training schedule of one Track D run.

    Args:
      rounds: T ≥ 1. local_steps: E ≥ 1. batch_size: B ≥ 2. lr: Adam learning rate > 0.
      clients_per_round: FedAvg participants per round (None: all).
      gamma_max, gamma_min: MAR's cosine schedule (Eq. 7; paper defaults 1e−1, 1e−3).
    """

    rounds: int = 20
    local_steps: int = 5
    batch_size: int = 32
    lr: float = 1e-3
    clients_per_round: int | None = None
    gamma_max: float = 1e-1
    gamma_min: float = 1e-3

    def __post_init__(self) -> None:
        v.integer(self.rounds, "rounds", lo=1)
        v.integer(self.local_steps, "local_steps", lo=1)
        v.integer(self.batch_size, "batch_size", lo=2)
        v.real(self.lr, "lr", lo=0.0, lo_open=True)
        if self.clients_per_round is not None:
            v.integer(self.clients_per_round, "clients_per_round", lo=1)
        v.real(self.gamma_min, "gamma_min", lo=0.0)
        v.real(self.gamma_max, "gamma_max", lo=self.gamma_min)


@functools.lru_cache(maxsize=64)
def make_optimizer(objective: str, cfg: TrainConfig) -> optax.GradientTransformation:
    """Adam(lr), within the objective's own optimiser where it has one
    (:attr:`sims.trackd.losses.Objective.optimizer`: MAR's, BYOL's target); cached per config."""
    inner = optax.adam(cfg.lr)
    wrap = objective_of(objective).optimizer
    return inner if wrap is None else wrap(inner, cfg)


@functools.lru_cache(maxsize=64)
def _cached_loss(net_cfg: NetConfig, loss_cfg: LossConfig):
    return make_loss(net_cfg, loss_cfg)


def tile_clients(images: list, rows: int, *, key: jax.Array) -> np.ndarray:
    """Stack K clients' images (n_k, H, W, C) to (K, rows, H, W, C): each client's rows in a
    random order, repeated cyclically (module docstring)."""
    if not images:
        v.fail("images", "a non-empty list of per-client arrays", images)
    rows = v.integer(rows, "rows", lo=1)
    first = np.asarray(images[0])
    per_image = first.nbytes // max(first.shape[0], 1) if first.ndim else first.nbytes
    # the per-client copies and their stack: two of the (K, rows, H, W, C) output
    v.check_fits("rows", rows, 2.0 * len(images) * rows * per_image,
                 what="the tiled client images")  # fmt: skip
    out = []
    for k, x in enumerate(images):
        x = np.asarray(x)
        if x.shape[0] < 1:
            v.fail("images", "clients with at least one image", f"client {k} is empty")
        rng = np.random.default_rng(np.asarray(jr.key_data(jr.fold_in(key, k))).ravel())
        perm = rng.permutation(x.shape[0])
        idx = np.resize(perm, rows)
        out.append(x[idx])
    return np.stack(out)


def train(
    net_cfg: NetConfig,
    loss_cfg: LossConfig,
    cfg: TrainConfig,
    data: Any,
    *,
    mixing: Any = "fedavg",
    key: jax.Array,
    chunk: int | None = None,
    mesh: Any = None,
    rounds_per_call: int | None = None,
    on_chunk: Any = None,
    compiler_options: Any = None,
    algorithm: Any = None,
) -> api.Result:
    """Train one Track D network on every client through ``sims.run``.

    Args:
      net_cfg, loss_cfg, cfg: network, objective and schedule.
      data: (N, M, H, W, C) client images (e.g. from :func:`tile_clients`).
      mixing: a rule of :mod:`sims.core.mixing`, or its spelling ``"fedavg"``, an (N, N)
        row-stochastic W, or ``("push-sum", A)`` (``sims.run``'s ``mixing``).
      key: PRNG key; ``fold_in(key, 0)`` initialises the network, ``fold_in(key, 1)`` drives
        the engine (minibatches, masks, augmentations, participation).
      chunk: clients trained at once (``sims.run``'s ``chunk``; None: all in one ``vmap``).
        Results do not depend on it.
      mesh: split the clients over the devices of this mesh (``sims.run``'s ``mesh``).
      rounds_per_call, on_chunk: ``sims.run``'s (e.g. to evaluate the global model every
        few rounds for a learning curve); results do not depend on them.
      compiler_options: ``sims.run``'s; None: :func:`sims.core.environ.long_training_options`
        (the program runs many times longer than it compiles; on this project's CPUs the
        results were bit-identical to the default options', ``benchmarks/bench_trackd_options.py``).
      algorithm: ``sims.run``'s: a federated algorithm value of :mod:`sims.algorithms` (e.g.
        ``fedprox(mu)``), or None (plain local steps).

    Returns:
      ``sims.core.trainer.Result``; for MAR the parameters are the dict of
      :func:`sims.trackd.losses.mar_params`.
    """
    key = rounds.as_key(key)
    _check_networks_fit(net_cfg, data)
    params = init_params(net_cfg, key=jr.fold_in(key, 0))
    wrap = objective_of(loss_cfg.objective).params
    if wrap is not None:
        params = wrap(params, cfg)
    n = int(np.shape(data)[0])
    cpr = cfg.clients_per_round
    if cpr is not None and not isinstance(mixing_rule(mixing, n), FedAvg):
        cpr = None
    return api.run(
        _cached_loss(net_cfg, loss_cfg),
        params,
        jnp.asarray(data, jnp.dtype(net_cfg.dtype)),
        mixing=mixing,
        rounds=cfg.rounds,
        local_steps=cfg.local_steps,
        batch_size=cfg.batch_size,
        optimizer=make_optimizer(loss_cfg.objective, cfg),
        clients_per_round=None if cpr is None else min(cpr, n),
        key=jr.fold_in(key, 1),
        chunk=chunk,
        mesh=mesh,
        rounds_per_call=rounds_per_call,
        on_chunk=on_chunk,
        compiler_options=long_training_options() if compiler_options is None else compiler_options,
        algorithm=algorithm,
    )


def networks_bytes(net_cfg: NetConfig, data_shape: tuple) -> int:
    """Bytes of the clients' networks (``sims.core.trainer.CLIENT_MODEL_COPIES`` copies of each
    client's, their shapes from ``jax.eval_shape`` of the initialiser: nothing allocated) and
    of their images, for ``data`` of shape ``data_shape`` (K, rows, H, W, C) in the network's
    dtype."""
    images = int(np.prod(data_shape)) * np.dtype(net_cfg.dtype).itemsize
    return api.CLIENT_MODEL_COPIES * int(data_shape[0]) * _network_bytes(net_cfg) + images


def _network_bytes(net_cfg: NetConfig) -> int:
    """Bytes of one client's network (shapes by ``jax.eval_shape``: nothing allocated)."""
    return api.tree_nbytes(jax.eval_shape(lambda k: init_params(net_cfg, key=k), jr.key(0)))


def _check_networks_fit(net_cfg: NetConfig, data: Any) -> None:
    """:func:`networks_bytes` fit in memory, checked before the first network is made; the
    first layer of an MLP grows with the image (40 images of 512×512×3 ran out of memory
    in the first client round after 4.4 GB). One line naming ``data``, with
    the image shape."""
    shape = tuple(np.shape(data))
    per = _network_bytes(net_cfg)
    v.check_fits(
        "data", f"images of shape {shape[2:]} ({v.format_bytes(per)} of network on each of "
        f"{shape[0]} clients)", networks_bytes(net_cfg, shape),
        what="the clients' networks and images",
    )  # fmt: skip


def global_net(result: api.Result, objective: str) -> Any:
    """The global network parameters of a run (the "net" part for MAR)."""
    return objective_of(objective).net(result.global_params)


@functools.lru_cache(maxsize=64)
def _client_update_fn(net_cfg: NetConfig, loss_cfg: LossConfig, cfg: TrainConfig):
    loss = _cached_loss(net_cfg, loss_cfg)
    opt = make_optimizer(loss_cfg.objective, cfg)

    def update(params, data_i, n_i, i, key, t):  # the trainer's own client round
        p, val, _ = api.client_round(
            loss, opt, params, data_i, n_i, i, key, t, local_steps=cfg.local_steps,
            batch_size=cfg.batch_size,
        )  # fmt: skip
        return p, val

    return jax.jit(update)


def client_update(
    net_cfg: NetConfig,
    loss_cfg: LossConfig,
    cfg: TrainConfig,
    params: Any,
    data_i: Any,
    *,
    key: jax.Array,
    t: int = 0,
    i: int = 0,
) -> tuple[Any, jax.Array]:
    """One client's local round, unbatched and jitted: E optimiser steps on its rows with the
    engine's minibatch rows and loss keys for (key, round t, client i).

    The function the engine vmaps (:func:`sims.core.trainer.client_round`), with the Track D
    network's loss and optimiser; used for the per-client-loop oracle, the benchmark's Python
    loop and the local models of Table 5.

    Args:
      params: one client's parameters (the MAR dict for MAR). data_i: (M, H, W, C).
      key: the engine key (``fold_in(train_key, 1)`` of :func:`train`). t, i: round, client.

    Returns:
      ``(params, mean loss over the local steps)``.
    """
    data_i = jnp.asarray(data_i, jnp.dtype(net_cfg.dtype))
    fn = _client_update_fn(net_cfg, loss_cfg, cfg)
    n_i = jnp.asarray(data_i.shape[0], jnp.int32)
    return fn(
        params,
        data_i,
        n_i,
        jnp.asarray(i, jnp.int32),
        rounds.as_key(key),
        jnp.asarray(t, jnp.int32),
    )


def _step(net_cfg: NetConfig, loss_cfg: LossConfig, batch: Any) -> tuple:
    """``(loss, params, x, key)`` of one local step: the loss of ``batch`` and the shapes of
    its arguments (``jax.ShapeDtypeStruct``: nothing allocated). One line naming the argument
    that is not a :class:`NetConfig`, a :class:`LossConfig` or a (B, H, W, C) batch."""
    if not isinstance(net_cfg, NetConfig):
        v.fail_type("net_cfg", "a sims.trackd.models.NetConfig", net_cfg)
    if not isinstance(loss_cfg, LossConfig):
        v.fail_type("loss_cfg", "a sims.trackd.losses.LossConfig", loss_cfg)
    if len(getattr(batch, "shape", ())) != 4 or not hasattr(batch, "dtype"):
        v.fail_type("batch", "an array or jax.ShapeDtypeStruct of shape (B, H, W, C)", batch)
    loss = make_loss(net_cfg, loss_cfg)
    wrap = objective_of(loss_cfg.objective).params or (lambda p, cfg: p)  # MAR's dict
    params = jax.eval_shape(lambda k: wrap(init_params(net_cfg, key=k), TrainConfig()), jr.key(0))
    x = jax.ShapeDtypeStruct(np.shape(batch), jnp.dtype(batch.dtype))
    return (lambda p, x, k: loss(p, x, key=k)), params, x, jax.eval_shape(jr.key, 1)


def lowered_step(net_cfg: NetConfig, loss_cfg: LossConfig, batch: Any) -> Any:
    """The lowered (not compiled) program of one local step of one client: the loss and its
    gradient on ``batch`` (B, H, W, C; an array or a ``jax.ShapeDtypeStruct``)."""
    loss, params, x, key = _step(net_cfg, loss_cfg, batch)
    return jax.jit(jax.value_and_grad(loss)).lower(params, x, key)


def local_step_flops(
    net_cfg: NetConfig, loss_cfg: LossConfig, batch: Any, *, compiled: bool = True
) -> float:
    """XLA's flop count of one local step of one client: the loss and its gradient on ``batch``
    (B, H, W, C; an array or a ``jax.ShapeDtypeStruct``), forward and backward, from the cost
    analysis of the compiled program, or with ``compiled=False`` of the lowered one (no
    compilation: 0.1 to 0.4 s against 2 to 6 s, and within 15 % of the compiled count for the
    presets' networks). NaN where the backend reports no count."""
    lowered = lowered_step(net_cfg, loss_cfg, batch)
    cost = (lowered.compile() if compiled else lowered).cost_analysis()
    cost = cost[0] if isinstance(cost, (list, tuple)) else cost
    return float((cost or {}).get("flops", float("nan")))


def step_activation_bytes(net_cfg: NetConfig, loss_cfg: LossConfig, batch: Any) -> int:
    """Bytes one local step of one client keeps from its forward pass for its backward pass:
    the residuals of ``jax.vjp`` of the loss on ``batch`` (as :func:`local_step_flops`'s), the
    parameters and the minibatch they hold included; shapes by ``jax.eval_shape`` (nothing is
    compiled or allocated). For the FAST, DEFAULT and PAPER-SCALE networks (MLP, CNN and ViT;
    MAE, SimSiam and MAR) they are 0.7 to 3.1 times the temporaries XLA allocates for the
    compiled ``jax.value_and_grad`` of the loss (its ``memory_analysis``; FAST's 8×8 networks
    1.0 to 2.0 times, DEFAULT's MLP 0.7 and 3.1, ``tests/test_trackd_cost.py``)."""
    loss, params, x, key = _step(net_cfg, loss_cfg, batch)
    vjp = jax.eval_shape(lambda p, x, k: jax.vjp(lambda p: loss(p, x, k), p)[1], params, x, key)
    return api.tree_nbytes(vjp)


def devices_for(count: int) -> tuple:
    """The first ``count`` devices JAX sees, for the ``devices`` argument of the experiments
    (``()`` for one device). Every arm whose clients split evenly over them trains them
    sharded (``sims.run``'s ``mesh``, one client at a time on each device; on a CPU, one device
    per core when ``dssl trackd --devices`` asks XLA for them). Results equal the one-device
    run up to float32 rounding of the cross-device sums, which Adam amplifies (the benchmark's
    relative parameter distance: 2e-5); arms with other client counts run on one device."""
    have = len(jax.devices())
    if not (isinstance(count, int) and 1 <= count <= have):
        v.fail("devices", f"in [1, {have}] (the devices JAX sees here)", count)
    return tuple(jax.devices()[:count]) if count > 1 else ()


def arm_mesh(n_clients: int, devices: tuple):
    """The mesh over ``devices`` for an arm of ``n_clients``, or None (one device, or clients
    that do not split evenly)."""
    if not devices or n_clients % len(devices):
        return None
    return client_mesh(list(devices))
