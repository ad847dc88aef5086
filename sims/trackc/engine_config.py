"""The Track C engine's configuration by names: the one place the names of a method, a
framework, an optimiser and a learning-rate schedule are read.

:class:`EngineConfig` holds names (what a preset, a command line and a JSON file spell) and
hands the engine (:mod:`sims.core.engine`) their values: :attr:`EngineConfig.loss_method`,
:attr:`EngineConfig.local_optimizer`, :attr:`EngineConfig.lr_scale` and
:meth:`EngineConfig.mixing_rule` (what :class:`sims.core.config.EngineSettings` lists).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import jax.numpy as jnp
import optax

from sims.algorithms.fedprox import fedprox
from sims.algorithms.scaffold import scaffold
from sims.core.config import METRICS_LEVELS
from sims.core.mixing import FedAvg, Gossip
from sims.losses import methods
from theory import _validate as v

#: The local losses, by name: every :class:`sims.losses.methods.Method`.
METHODS = methods.NAMES
#: Each framework's mixing rule (:mod:`sims.core.mixing`), the value the round is handed: the
#: one place the framework's name is read (``EngineConfig.mixing_rule``).
MIXING_RULES = {"fl": FedAvg, "decl": Gossip}
FRAMEWORKS = tuple(MIXING_RULES)


def _adam(lr: float, dtype: Any, *, decoupled: bool = False) -> optax.GradientTransformation:
    """optax's Adam / AdamW with the decay rates (0.9, 0.999) as scalars of the run's dtype:
    as Python floats, ``decay ** count`` (an int32 step count) is computed in float64 under
    x64 and in float32 without, so a float32 run's bias correction, and its numbers, would
    depend on the caller's x64 mode."""
    b1, b2 = jnp.asarray(0.9, dtype), jnp.asarray(0.999, dtype)
    return (optax.adamw if decoupled else optax.adam)(lr, b1=b1, b2=b2)


#: Optimisers by name: ``factory(lr, dtype)`` each (``"momentum"`` is SGD with momentum 0.9);
#: ``dtype`` is the run's float dtype.
OPTIMIZER_FACTORIES: dict[str, Callable[[float, Any], optax.GradientTransformation]] = {
    "sgd": lambda lr, dtype: optax.sgd(lr),
    "momentum": lambda lr, dtype: optax.sgd(lr, momentum=0.9),
    "adam": _adam,
    "adamw": lambda lr, dtype: _adam(lr, dtype, decoupled=True),
}
OPTIMIZERS = tuple(OPTIMIZER_FACTORIES)
AGGREGATIONS = ("uniform", "data-size")
DTYPES = ("float32", "float64")


def cosine_scale(t, rounds: int, dtype):
    r"""The cosine schedule's factor at round t of T: :math:`\tfrac12(1 + \cos(\pi t/T))`
    (in ``dtype``)."""
    frac = t.astype(dtype) / float(rounds)
    return (0.5 * (1.0 + jnp.cos(jnp.pi * frac))).astype(dtype)


#: Each learning-rate schedule's factor ``scale(t, T, dtype)`` on the optimiser's updates
#: (None: no factor, the updates as the optimiser made them).
LR_SCALES: dict[str, Callable | None] = {"constant": None, "cosine": cosine_scale}
LR_SCHEDULES = tuple(LR_SCALES)

#: Each federated algorithm's value for a configuration (:mod:`sims.algorithms`; None: plain
#: local training, FedAvg or D-SGD by the framework): FedProx with weight ``mu``, SCAFFOLD at
#: the configuration's step size ``lr``.
ALGORITHMS: dict[str, Callable[[Any], Any]] = {
    "none": lambda config: None,
    "fedprox": lambda config: fedprox(config.mu),
    "scaffold": lambda config: scaffold(config.lr),
}


def check_population(method: str, population: bool) -> None:
    """Refuse ``population=True`` for a method without full-batch population gradients
    (:attr:`sims.losses.methods.Method.population`): one line naming ``method``."""
    if population and not methods.get(method).population:
        with_population = [m for m in METHODS if methods.get(m).population]
        v.fail(
            "method",
            ", ".join(with_population[:-1]) + f" or {with_population[-1]} with population",
            method,
        )


@dataclasses.dataclass(frozen=True)
class EngineConfig:
    r"""Static settings of one FL / DecL training run (everything that fixes array shapes).

    Args:
      method: local loss, one of ``METHODS``.
        ``"mar"`` is MIM (Eq. 4) + :math:`\gamma_t \cdot \text{A-MMD}` (Eq. 5–7).
      framework: ``"fl"`` (FedAvg) or ``"decl"`` (adapt-then-combine gossip).
      n_clients: N.
      d, c: input dimension and embedding width.
      p: mask ratio (probability that a coordinate is masked), MIM and MAR only.
      lr: learning rate of the local optimiser.
      optimizer: one of ``OPTIMIZERS`` (``"momentum"`` is SGD with momentum 0.9).
      local_steps: E local steps per round.
      batch: minibatch size B per local step (ignored with ``population``).
      rounds: T communication rounds.
      clients_per_round: S clients sampled per FL round (``None``: all N). DecL ignores it
        (every client trains each round), so one value can serve both frameworks.
      population: full-batch population gradients of
        :math:`-\operatorname{tr}(W X_i W^\top) + \tfrac12 \lVert W^\top W\rVert^2` with the exact
        :math:`X_i` (no sampling noise).
      omega: Ω of the γ schedule (Eq. 7); ``None`` means T in DecL and the expected number of
        selections :math:`S \cdot T/N` in FL.
      lr_schedule: ``"constant"`` or ``"cosine"`` (the round-t step is
        :math:`\mathrm{lr} \cdot \tfrac12(1 + \cos(\pi t/T))`, applied to the optimiser's
        updates; it removes the :math:`O(\eta)` fixed-point bias of D-SGD and of FedAvg with
        :math:`E > 1`).
      persist_opt_state: keep each client's optimiser state across rounds; the default
        re-initialises it every round (the official code re-creates the optimiser each round).
      record_local: also record every local iterate and applied gradient (small sizes only).
      metrics: the per-round metrics of the trace: ``"all"`` (consensus distances,
        :math:`\zeta^2`, the spectral norms, the losses, γ: ``sims.core.engine.make_round``) or
        ``"loss"`` (the local and global losses only, for runs that need the trained models
        rather than how they got there; the divergence fields are recorded either way). The
        training is the same (the same final state, bit for bit on the CPU as tested:
        tests/test_engine.py).
      init_scale: initial weights are ``init_scale · N(0, 1/d)`` entries, shared by all clients.
      dtype: ``"float32"`` or ``"float64"``.
      client_chunk: clients processed at once inside a round (``lax.map`` over chunks, each a
        ``vmap``); ``None`` chooses it from a memory estimate
        (``sims.core.client.auto_client_chunk``). Results do not depend on it (up to the batching of
        floating-point kernels).
      algorithm: one of ``ALGORITHMS``: ``"none"``, ``"fedprox"`` (proximal weight ``mu``) or
        ``"scaffold"`` (control variates at step size ``lr``; with ``lr_schedule="cosine"`` or
        an optimiser other than SGD the variates use ``lr`` as written).
      mu: FedProx's proximal weight :math:`\mu \ge 0`.
      sampler: None (minibatches are rows of the problem's samples ``x``), or a minibatch
        generator ``sampler(key, i, batch, dtype) -> (batch, d)`` with an attribute ``d``
        (:class:`sims.data.paper_model.KeyedPaperSampler`; hashable): each client's minibatch
        is drawn from its (seed, round, client, step) key inside the local step and the
        problem holds no samples (memory for the models only). Not with ``population``.
      server_model: FedAvg rounds keep ONE server model instead of N identical client copies
        (``sims.core.engine.server_model``): memory and work per round of the S trained clients,
        not N copies of the round-start and mixed models (FedAvg, S <= N, whose clients keep no
        state: not with ``persist_opt_state``, an algorithm, ``mar``'s embeddings or
        ``record_local``). The state's params then have a leading axis of 1; the metrics are
        the same quantities, summed in another order.
    """

    method: str = "mim"
    framework: str = "decl"
    n_clients: int = 4
    d: int = 64
    c: int = 8
    p: float = 0.75
    lr: float = 0.05
    optimizer: str = "sgd"
    local_steps: int = 1
    batch: int = 32
    rounds: int = 100
    clients_per_round: int | None = None
    population: bool = False
    omega: float | None = None
    lr_schedule: str = "constant"
    persist_opt_state: bool = False
    record_local: bool = False
    metrics: str = "all"
    init_scale: float = 0.1
    dtype: str = "float64"
    client_chunk: int | None = None
    algorithm: str = "none"
    mu: float = 0.0
    sampler: Any = None
    server_model: bool = False

    def __post_init__(self) -> None:
        v.choice(self.algorithm, "algorithm", tuple(ALGORITHMS))
        v.real(self.mu, "mu", lo=0.0)
        v.choice(self.method, "method", METHODS)
        v.choice(self.framework, "framework", FRAMEWORKS)
        n = v.integer(self.n_clients, "n_clients", lo=2)
        d = v.integer(self.d, "d", lo=1)
        v.integer(self.c, "c", lo=1, hi=d, why="at most d")
        v.real(self.p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        v.real(self.lr, "lr", lo=0.0, lo_open=True)
        v.choice(self.optimizer, "optimizer", OPTIMIZERS)
        v.choice(self.lr_schedule, "lr_schedule", LR_SCHEDULES)
        v.choice(self.metrics, "metrics", METRICS_LEVELS)
        v.integer(self.local_steps, "local_steps", lo=1)
        v.integer(self.batch, "batch", lo=2)
        v.integer(self.rounds, "rounds", lo=1)
        if self.clients_per_round is not None:
            v.integer(self.clients_per_round, "clients_per_round", lo=1, hi=n)
        if self.omega is not None:
            v.real(self.omega, "omega", lo=0.0, lo_open=True)
        v.real(self.init_scale, "init_scale", lo=0.0, lo_open=True)
        v.choice(self.dtype, "dtype", DTYPES)
        if self.client_chunk is not None:
            v.integer(self.client_chunk, "client_chunk", lo=1)
        for flag in ("population", "persist_opt_state", "record_local", "server_model"):
            v.boolean(getattr(self, flag), flag)
        if self.sampler is not None:
            if not callable(self.sampler) or getattr(self.sampler, "d", None) != d:
                what = f"a minibatch generator sampler(key, i, batch, dtype) with d = {d}"
                v.fail("sampler", what, self.sampler)
            if self.population:
                v.fail("sampler", "None with population=True (population gradients draw no data)",
                       self.sampler)  # fmt: skip
        if self.server_model:
            if not self.admits_server_model:
                v.fail("server_model", "True only for framework fl with clients that keep "
                       "no state (no persist_opt_state, algorithm, mar or record_local)",
                       self.server_model)  # fmt: skip
        check_population(self.method, self.population)

    @property
    def admits_server_model(self) -> bool:
        """Whether ``server_model=True`` is admitted: FedAvg (any clients_per_round, all N
        included) with clients that keep no state between rounds (no persist_opt_state,
        federated algorithm, MAR embeddings or recorded iterates)."""
        stateless = not (
            self.persist_opt_state or self.record_local or self.client_algorithm is not None
            or methods.get(self.method).embeddings
        )  # fmt: skip
        return isinstance(self.mixing_rule(), FedAvg) and stateless

    @property
    def loss_method(self) -> methods.Method:
        """The :class:`sims.losses.methods.Method` called ``method``."""
        return methods.get(self.method)

    @property
    def local_optimizer(self) -> optax.GradientTransformation:
        """The clients' optimiser: ``optimizer``'s factory at ``lr`` in the run's dtype."""
        factory = OPTIMIZER_FACTORIES[v.choice(self.optimizer, "optimizer", OPTIMIZERS)]
        return factory(self.lr, jnp.dtype(self.dtype))

    @property
    def client_algorithm(self) -> Any:
        """The federated algorithm's value (:data:`ALGORITHMS`), or None."""
        return ALGORITHMS[self.algorithm](self)

    def mixing_rule(self, matrix=None, agg=None) -> FedAvg | Gossip:
        """The round's mixing rule with a problem's arrays: FedAvg of the aggregation weights
        ``agg`` over S sampled clients (fl), or gossip with the matrix (decl)."""
        return MIXING_RULES[self.framework].for_round(matrix, agg, self.clients_per_round)

    @property
    def n_sampled(self) -> int:
        """S: clients per FL round (N in DecL)."""
        return self.mixing_rule().trained(self.n_clients)

    @property
    def lr_scale(self) -> Callable | None:
        """The schedule's factor ``scale(t, T, dtype)`` (:data:`LR_SCALES`), or None."""
        return LR_SCALES[self.lr_schedule]

    @property
    def gamma_omega(self) -> float:
        r"""Ω of the γ schedule (docs/theory/mar.md §1): the expected number of selections
        :math:`S \cdot T/N` (at least 1), which is T in DecL (:math:`S = N`)."""
        if self.omega is not None:
            return float(self.omega)
        return max(1.0, self.n_sampled * self.rounds / self.n_clients)
