"""Run configuration of the training engine and the one PRNG key tree.

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

import dataclasses
from collections.abc import Callable

import jax.numpy as jnp
import jax.random as jr

from sims.core.mixing import FedAvg, Gossip
from sims.losses import methods
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

METHODS = ("cl", "cl-dissimilar", "mim", "mim-independent", "mim-recon", "mar")
#: Each framework's mixing rule (:mod:`sims.core.mixing`), the value the round is handed: the
#: one place the framework's name is read (``EngineConfig.mixing_rule``).
MIXING_RULES = {"fl": FedAvg, "decl": Gossip}
FRAMEWORKS = tuple(MIXING_RULES)
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
AGGREGATIONS = ("uniform", "data-size")
DTYPES = ("float32", "float64")


def cosine_scale(t, rounds: int, dtype):
    """The cosine schedule's factor at round t of T: ½(1 + cos(πt/T)) (in ``dtype``)."""
    frac = t.astype(dtype) / float(rounds)
    return (0.5 * (1.0 + jnp.cos(jnp.pi * frac))).astype(dtype)


#: Each learning-rate schedule's factor ``scale(t, T, dtype)`` on the optimiser's updates
#: (None: no factor, the updates as the optimiser made them).
LR_SCALES: dict[str, Callable | None] = {"constant": None, "cosine": cosine_scale}
LR_SCHEDULES = tuple(LR_SCALES)
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


@dataclasses.dataclass(frozen=True)
class EngineConfig:
    """Static settings of one FL / DecL training run (everything that fixes array shapes).

    Args:
      method: local loss, one of ``METHODS``. ``"mar"`` is MIM (Eq. 4) + γ_t·A-MMD (Eq. 5–7).
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
      population: full-batch population gradients of −tr(W X_i Wᵀ) + ½‖WᵀW‖² with the exact
        X_i (no sampling noise).
      omega: Ω of the γ schedule (Eq. 7); ``None`` means T in DecL and the expected number of
        selections S·T/N in FL.
      lr_schedule: ``"constant"`` or ``"cosine"`` (the round-t step is lr·½(1 + cos(πt/T)),
        applied to the optimiser's updates; it removes the O(η) fixed-point bias of D-SGD and of
        FedAvg with E > 1).
      persist_opt_state: keep each client's optimiser state across rounds; the default
        re-initialises it every round (the official code re-creates the optimiser each round).
      record_local: also record every local iterate and applied gradient (small sizes only).
      metrics: the per-round metrics of the trace: ``"all"`` (consensus distances, ζ², the
        spectral norms, the losses, γ: ``sims.core.engine.make_round``) or ``"loss"`` (the local
        and global losses only, for runs that need the trained models rather than how they
        got there; the divergence fields are recorded either way). The training is the same
        (the same final state, bit for bit on the CPU as tested: tests/test_engine.py).
      init_scale: initial weights are ``init_scale · N(0, 1/d)`` entries, shared by all clients.
      dtype: ``"float32"`` or ``"float64"``.
      client_chunk: clients processed at once inside a round (``lax.map`` over chunks, each a
        ``vmap``); ``None`` chooses it from a memory estimate
        (``sims.core.engine.auto_client_chunk``). Results do not depend on it (up to the batching of
        floating-point kernels).
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

    def __post_init__(self) -> None:
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
        for flag in ("population", "persist_opt_state", "record_local"):
            v.boolean(getattr(self, flag), flag)
        if self.population and not methods.get(self.method).population:
            with_population = [m for m in METHODS if methods.get(m).population]
            v.fail(
                "method",
                ", ".join(with_population[:-1]) + f" or {with_population[-1]} with population",
                self.method,
            )

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
        """Ω of the γ schedule (docs/theory/mar.md §1): the expected number of selections
        S·T/N (at least 1), which is T in DecL (S = N)."""
        if self.omega is not None:
            return float(self.omega)
        return max(1.0, self.n_sampled * self.rounds / self.n_clients)
