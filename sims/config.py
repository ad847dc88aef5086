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

import jax.random as jr

from sims.pipeline.config import StageConfig
from theory import _validate as v

#: Named PRNG streams and the integer each folds in. 2 is not used: graphs are drawn from the
#: integer seed (module docstring), and the other streams keep their integers.
STREAMS = {"data": 0, "partition": 1, "init": 3, "sampling": 4, "masks": 5, "probe": 6}

METHODS = ("cl", "cl-dissimilar", "mim", "mim-independent", "mim-recon", "mar")
FRAMEWORKS = ("fl", "decl")
OPTIMIZERS = ("sgd", "momentum", "adam", "adamw")
AGGREGATIONS = ("uniform", "data-size")
DTYPES = ("float32", "float64")
LR_SCHEDULES = ("constant", "cosine")
#: What an engine round records (``EngineConfig.metrics``; the names of each level:
#: ``sims.engine_metrics.METRICS_OF_LEVEL``).
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
      clients_per_round: S clients sampled per FL round (``None``: all N). DecL ignores it.
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
        spectral norms, the losses, γ: ``sims.engine.make_round``) or ``"loss"`` (the local
        and global losses only, for runs that need the trained models rather than how they
        got there; the divergence fields are recorded either way). The training is the same
        (the same final state, bit for bit on the CPU as tested: tests/test_engine.py).
      init_scale: initial weights are ``init_scale · N(0, 1/d)`` entries, shared by all clients.
      dtype: ``"float32"`` or ``"float64"``.
      client_chunk: clients processed at once inside a round (``lax.map`` over chunks, each a
        ``vmap``); ``None`` chooses it from a memory estimate (``sims.engine.auto_client_chunk``).
        Results do not depend on it (up to the batching of floating-point kernels).
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
        if self.population and self.method in ("mim-recon", "mar"):
            v.fail(
                "method", "cl, cl-dissimilar, mim or mim-independent with population", self.method
            )

    @property
    def n_sampled(self) -> int:
        """S: clients per FL round (N in DecL)."""
        if self.framework == "decl" or self.clients_per_round is None:
            return self.n_clients
        return self.clients_per_round

    @property
    def gamma_omega(self) -> float:
        """Ω of the γ schedule (docs/theory/mar.md §1)."""
        if self.omega is not None:
            return float(self.omega)
        if self.framework == "decl":
            return float(self.rounds)
        return max(1.0, self.n_sampled * self.rounds / self.n_clients)


# ---------------------------------------------------------------------------------------------
# presets of the paper's experiments redone in the linear setting (``sims.experiments``); one
# frozen dataclass per figure (a stage config: validated, JSON round trip), ``Preset.DEFAULT``
# and ``Preset.FAST`` are the ``dssl reproduce`` and ``dssl reproduce --fast`` sizes


@dataclasses.dataclass(frozen=True)
class _Section6Run(StageConfig):
    """Training settings shared by the Section 6 presets (Fig. 2a, Table 6, Fig. 2b): rounds,
    local SGD steps, minibatch, step size, train/test rows per client, training seeds, and the
    graph and data seeds. Their own fields follow these in ``to_json()``."""

    rounds: int = 60
    local_steps: int = 5
    batch: int = 32
    lr: float = 0.02
    samples_per_client: int = 400
    test_per_client: int = 100
    seeds: int = 2
    graph_seed: int = 0
    seed: int = 0


#: the ``--fast`` changes shared by Fig. 2a and Table 6
_SECTION6_FAST = dict(
    d=48, rounds=25, samples_per_client=150, test_per_client=40, seeds=1, local_steps=3
)


@dataclasses.dataclass(frozen=True)
class Fig2aPreset(_Section6Run):
    """Fig. 2a: DecL MIM with N clients on graphs of average connectivity |Ā| ∈ ``abars``,
    "general" (Erdős–Rényi, uneven degrees) vs "uniform" (random regular); FL reference = the
    complete graph (FedAvg with all N clients); data from the paper's model (c = 2N)."""

    n_clients: int = 20
    d: int = 64
    p: float = 0.75
    abars: tuple = (3, 5, 10, 20)
    gamma: float = 0.9


@dataclasses.dataclass(frozen=True)
class Table6Preset(_Section6Run):
    """Table 6: DecL MIM with uniform, data-size, Metropolis and max-degree mixing on the
    official code's graph at |Ā| ≈ 5 and ≈ 10 (``avg_degrees`` = |Ā| − 1), clients from a
    Dirichlet(``alpha``) label-skew partition (Hsu form) of a pooled paper-model sample."""

    n_clients: int = 20
    d: int = 64
    p: float = 0.75
    avg_degrees: tuple = (4, 9)
    mixings: tuple = ("uniform", "data_size", "metropolis", "max_degree")
    alpha: float = 0.1


@dataclasses.dataclass(frozen=True)
class Fig2bPreset(_Section6Run):
    """Fig. 2b: MAR (cosine γ schedule, Eq. 5–7) vs MIM over Dirichlet α of the 2N classes of
    the paper's model, FL (all N clients per round) and DecL (official code's graph)."""

    n_clients: int = 10
    d: int = 48
    p: float = 0.75
    alphas: tuple = (1.0, 0.1, 0.01, 0.001)
    methods: tuple = ("mim", "mar")
    avg_degree: float = 4.0
    gamma_max: float = 0.1
    gamma_min: float = 1e-3


@dataclasses.dataclass(frozen=True)
class MimVsClPreset(StageConfig):
    """MIM vs CL: FL on the paper's model across ``ds`` (N = ``n_clients``, c = 2N; the
    theorems' d-scaling, Thm 4.4) and FL on scikit-learn digits across Dirichlet ``alphas``
    (``digits_lr`` is smaller: a single-class client's target has λ_max ≈ 46 on standardised
    digits, and plain SGD on −tr(WXWᵀ) + ½‖WᵀW‖² needs lr·4λ_max < 2)."""

    n_clients: int = 4
    ds: tuple = (64, 128, 256)
    methods: tuple = ("mim", "cl")
    p: float = 0.75
    rounds: int = 100
    local_steps: int = 5
    batch: int = 64
    lr: float = 0.02
    samples_per_client: int = 2000
    seeds: int = 2
    digits_clients: int = 10
    digits_c: int = 16
    digits_alphas: tuple = (1e5, 1.0, 0.1, 0.01, 0.001)
    digits_rounds: int = 60
    digits_lr: float = 0.005
    seed: int = 0


FIG2A = Fig2aPreset()
FIG2A_FAST = Fig2aPreset(**_SECTION6_FAST)
TABLE6 = Table6Preset()
TABLE6_FAST = Table6Preset(**_SECTION6_FAST)
FIG2B = Fig2bPreset()
FIG2B_FAST = Fig2bPreset(
    n_clients=6,
    d=24,
    rounds=20,
    samples_per_client=120,
    test_per_client=40,
    seeds=1,
    local_steps=3,
    alphas=(1.0, 0.01),
)
MIM_VS_CL = MimVsClPreset()
MIM_VS_CL_FAST = MimVsClPreset(
    ds=(48, 96),
    rounds=40,
    samples_per_client=600,
    seeds=1,
    digits_alphas=(1e5, 0.1, 0.001),
    digits_rounds=25,
)


@dataclasses.dataclass(frozen=True)
class ConsensusPreset(StageConfig):
    """Consensus distance over rounds against its derived bounds (an EXTENSION:
    docs/theory/consensus.md
    §3; the paper's theory uses neither λ nor ζ²): DecL with population MIM/CL targets,
    full-batch local gradients, on the graphs of ``sims.experiments.CONSENSUS_GRAPHS``
    (``avg_degree`` and ``graph_seed`` for the Erdős–Rényi graph)."""

    n_clients: int = 9
    d: int = 18
    c: int = 3
    methods: tuple = ("mim", "cl")
    p: float = 0.75
    lr: float = 0.001
    local_steps: int = 2
    rounds: int = 80
    init_scale: float = 1.0
    avg_degree: float = 3.0
    graph_seed: int = 5
    seed: int = 0


CONSENSUS = ConsensusPreset()
CONSENSUS_FAST = ConsensusPreset(rounds=30)

for _cls, _default, _fast in (
    (Fig2aPreset, FIG2A, FIG2A_FAST),
    (Table6Preset, TABLE6, TABLE6_FAST),
    (Fig2bPreset, FIG2B, FIG2B_FAST),
    (MimVsClPreset, MIM_VS_CL, MIM_VS_CL_FAST),
    (ConsensusPreset, CONSENSUS, CONSENSUS_FAST),
):
    _cls.DEFAULT, _cls.FAST = _default, _fast
