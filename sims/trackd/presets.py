"""Track D presets: one frozen dataclass per experiment, each with FAST, DEFAULT and PAPER_SCALE.

FAST: CI (≤ 60 s per experiment on 2 cores, MLP only where the ViT's compile would not fit).
DEFAULT: ``make reproduce`` (all Track D experiments together ≤ 5 min on 2 cores).
PAPER_SCALE: the paper's client counts (FL 100 clients, 5 per round; DecL 20 clients;
arXiv 2607.02447 §6.1) on a GPU; CIFAR-10 from ``data_path``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from theory import _validate as v

__all__ = [
    "Common",
    "Table1",
    "Fig2a",
    "Table6",
    "Fig2b",
    "Table5",
    "PRESETS",
    "preset",
]


@dataclass(frozen=True)
class Common:
    """Data, network and schedule shared by the experiments.

    Args:
      dataset: ``"digits"`` or ``"cifar10"``. data_path: CIFAR-10 directory.
      patch: patch side. width, depth, heads: ViT/MLP sizes (width ≤ 128). embed: MLP output.
      rounds, local_steps, batch_size, lr: schedule (Adam). rows: per-client tile length.
      seeds: number of seeds S (≥ 3 for standard errors). max_train, max_test: data caps.
      p: mask ratio. ridge: probe ridge. knn_k: k of the k-NN probe.
    """

    dataset: str = "digits"
    data_path: str | None = None
    patch: int = 2
    width: int = 64
    depth: int = 2
    heads: int = 4
    embed: int = 32
    rounds: int = 20
    local_steps: int = 5
    batch_size: int = 32
    lr: float = 2e-3
    rows: int = 512
    seeds: int = 3
    max_train: int | None = None
    max_test: int | None = None
    p: float = 0.75
    ridge: float = 1e-3
    knn_k: int = 5

    def __post_init__(self) -> None:
        v.choice(self.dataset, "dataset", ("digits", "cifar10"))
        v.integer(self.seeds, "seeds", lo=1)
        v.integer(self.rows, "rows", lo=1)
        v.integer(self.rounds, "rounds", lo=1)


@dataclass(frozen=True)
class Table1:
    """Table 1 analogue: MAE vs SimSiam × MLP/ViT × IID/label/feature skew, FedAvg."""

    common: Common = Common()
    methods: tuple = ("mae", "simsiam")
    archs: tuple = ("mlp", "vit")
    skews: tuple = ("iid", "label", "feature")
    n_clients: int = 10
    clients_per_round: int | None = 5
    alpha: float = 0.1
    balanced: bool = False


@dataclass(frozen=True)
class Fig2a:
    """Fig 2a analogue: DecL accuracy vs |Ā| for general (Erdős–Rényi) and uniform (random
    regular) graphs, uniform mixing 1/|A_i|, with a FedAvg reference; MAE, label skew."""

    common: Common = Common()
    n_clients: int = 20
    abars: tuple = (3, 5, 10, 20)
    kinds: tuple = ("general", "uniform")
    alpha: float = 0.1
    arch: str = "mlp"


@dataclass(frozen=True)
class Table6:
    """Table 6 analogue: DecL MAE under mixing rules (data-size, degree-normalised, doubly
    stochastic Metropolis, push-sum) at |Ā| ≈ 5 and 10, FedAvg reference."""

    common: Common = Common()
    n_clients: int = 20
    abars: tuple = (5, 10)
    rules: tuple = ("data_size", "uniform", "metropolis", "push-sum")
    alpha: float = 0.1
    arch: str = "mlp"


@dataclass(frozen=True)
class Fig2b:
    """Fig 2b analogue: MAR vs MAE (MIM) over α, FL and DecL."""

    common: Common = Common()
    n_clients: int = 10
    clients_per_round: int | None = 5
    alphas: tuple = (1.0, 0.1, 0.01)
    frameworks: tuple = ("fl", "decl")
    decl_abar: int = 5
    arch: str = "mlp"


@dataclass(frozen=True)
class Table5:
    """Table 5 analogue: summed layer-wise ℓ2 distances local 1 / local N / global for SimSiam,
    MAE and MAR (ViT, FedAvg, α = 0.1), with per-client vs global probes and uniformity."""

    common: Common = Common()
    n_clients: int = 10
    clients_per_round: int | None = 5
    methods: tuple = ("simsiam", "mae", "mar")
    alpha: float = 0.1
    arch: str = "vit"


_FAST_COMMON = Common(
    width=32,
    depth=1,
    embed=16,
    rounds=6,
    local_steps=3,
    batch_size=32,
    rows=128,
    seeds=3,
    max_test=300,
)
_DEFAULT_COMMON = Common(rounds=15, local_steps=4, max_test=360)
_PAPER_COMMON = Common(
    dataset="cifar10",
    patch=4,
    width=128,
    depth=5,
    heads=4,
    embed=128,
    rounds=100,
    local_steps=50,
    batch_size=128,
    lr=1.5e-4 * 128 / 256 * 10,
    rows=2048,
    seeds=3,
)

PRESETS = {
    "fast": {
        "table1": Table1(_FAST_COMMON, archs=("mlp",), n_clients=5, clients_per_round=3),
        "fig2a": Fig2a(_FAST_COMMON, n_clients=10, abars=(3, 5, 10), kinds=("uniform",)),
        "table6": Table6(_FAST_COMMON, n_clients=10, abars=(5,)),
        "fig2b": Fig2b(
            _FAST_COMMON, n_clients=5, clients_per_round=3, alphas=(1.0, 0.1), frameworks=("fl",)
        ),
        "table5": Table5(_FAST_COMMON, n_clients=5, clients_per_round=3, arch="mlp"),
    },
    "default": {
        "table1": Table1(_DEFAULT_COMMON),
        "fig2a": Fig2a(_DEFAULT_COMMON),
        "table6": Table6(_DEFAULT_COMMON),
        "fig2b": Fig2b(_DEFAULT_COMMON),
        "table5": Table5(replace(_DEFAULT_COMMON, width=32, depth=2)),
    },
    "paper-scale": {
        "table1": Table1(_PAPER_COMMON, n_clients=100, clients_per_round=5),
        "fig2a": Fig2a(_PAPER_COMMON, n_clients=20, arch="vit"),
        "table6": Table6(_PAPER_COMMON, n_clients=20, arch="vit"),
        "fig2b": Fig2b(
            _PAPER_COMMON,
            n_clients=100,
            clients_per_round=5,
            alphas=(1.0, 0.1, 0.01, 0.001),
            arch="vit",
        ),
        "table5": Table5(_PAPER_COMMON, n_clients=100, clients_per_round=5),
    },
}


def preset(name: str, experiment: str):
    """The config of ``experiment`` (table1, fig2a, table6, fig2b, table5) at preset ``name``
    (fast, default, paper-scale).

    Example:
      >>> preset("fast", "fig2a").n_clients
      10
    """
    v.choice(name, "preset", tuple(PRESETS))
    v.choice(experiment, "experiment", tuple(PRESETS[name]))
    return PRESETS[name][experiment]
