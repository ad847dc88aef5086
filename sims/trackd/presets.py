"""Track D presets: one frozen dataclass per experiment, each with FAST, DEFAULT and PAPER_SCALE.

* FAST: CI (≤ 60 s per experiment on 2 cores, MLP only where the ViT's compile would not fit).
* DEFAULT: ``make reproduce``, real MNIST; budgeted so that every arm learns (README, Track D).
* DECISIVE: DEFAULT's schedule with the seeds that bring Table 1's minimum detectable effect
  below 1.5 points (the pilot's per-seed SD, ``sims.trackd.power.seeds_for``), and the ViT.
* PAPER_SCALE: the paper's client counts on MNIST (FL 100 clients, 5 per round; DecL 20
  clients; α from 1 to 0.001; arXiv 2607.02447 §6.1).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from theory import _validate as v

# The presets import no JAX (``dssl trackd --ledger`` reads them without it): the graph and
# mixing registries import theory.topology and sims.core.mixing when called, and the data
# sets' names are kept here (equal to ``sims.trackd.data.DATASETS``, tested).
DATASETS = ("mnist", "digits", "cifar10", "npz")

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


def _topology():
    from theory import topology

    return topology


#: Fig 2a's graph kinds: ``(n, degree, seed) -> adjacency`` with mean degree ``degree``
GRAPH_KINDS = {
    "general": lambda n, degree, seed: _topology().erdos_renyi(n, avg_degree=degree, seed=seed),
    "uniform": lambda n, degree, seed: _topology().random_regular(n, degree, seed=seed),
}


@dataclass(frozen=True)
class Common:
    """Data, network and schedule shared by the experiments.

    Args:
      name: the preset's name, carried into every result's ``meta["preset"]``.
      dataset: one of ``sims.trackd.data.DATASETS`` (:data:`DATASETS`). data_path: CIFAR-10
        directory or ``.npz``.
      patch: patch side. width: MLP hidden width (≤ 128). cnn_width: the CNN's last-layer
        channels. cnn_depth: the CNN's stride-2 convolutions. vit_width: the ViT's token width
        (None: ``width``). depth: ViT blocks / MLP hidden layers. heads: attention heads.
        embed: MLP/CNN output.
      rounds, local_steps, batch_size, lr: schedule (Adam). lr_simsiam, batch_simsiam:
        SimSiam's learning rate and batch (None: ``lr``, ``batch_size``). rows: per-client tile
        length.
      seeds: number of seeds S (≥ 3 for standard errors). max_train, max_test: data caps.
      p: mask ratio. cnn_p: the CNN's mask ratio (None: ``p``). cnn_dec_hidden: the hidden
        width of the CNN's MAE decoder (None: ``cnn_width``). ridge: probe ridge. knn_k: k of
        the k-NN probe.
      crop, sigma, flip, shift: SimSiam's views (``LossConfig``: random resized crop of area
        ≥ ``crop``, or a shift by ``shift`` pixels when ``crop`` = 0; noise σ; flips).
      mae_augment, norm_pix: MAE's input augmentation and per-patch normalised targets.
      curve_every: evaluate the global encoder's probe every this many rounds (a learning
        curve; 0: none).
    """

    name: str = "custom"
    dataset: str = "digits"
    data_path: str | None = None
    patch: int = 2
    width: int = 64
    cnn_width: int = 32
    cnn_depth: int = 2
    vit_width: int | None = None
    depth: int = 2
    heads: int = 4
    embed: int = 32
    rounds: int = 20
    local_steps: int = 5
    batch_size: int = 32
    lr: float = 2e-3
    lr_simsiam: float | None = None
    batch_simsiam: int | None = None
    rows: int = 512
    seeds: int = 3
    max_train: int | None = None
    max_test: int | None = None
    p: float = 0.75
    cnn_p: float | None = None
    cnn_dec_hidden: int | None = None
    ridge: float = 1e-3
    knn_k: int = 5
    crop: float = 0.0
    sigma: float = 0.1
    flip: bool = True
    shift: int = 1
    mae_augment: bool = True
    norm_pix: bool = False
    curve_every: int = 0

    def __post_init__(self) -> None:
        v.choice(self.dataset, "dataset", DATASETS)
        v.integer(self.curve_every, "curve_every", lo=0)
        v.integer(self.seeds, "seeds", lo=1)
        v.integer(self.rows, "rows", lo=1)
        v.integer(self.rounds, "rounds", lo=1)
        if self.batch_simsiam is not None:
            v.integer(self.batch_simsiam, "batch_simsiam", lo=2)
        if self.cnn_p is not None:
            v.real(self.cnn_p, "cnn_p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
        if self.cnn_dec_hidden is not None:
            v.integer(self.cnn_dec_hidden, "cnn_dec_hidden", lo=1, hi=1024)


#: The pair Table 1 compares, MIM first and CL second (the claim ``mim_vs_cl``): MAE and SimSiam.
TABLE1_PAIR = ("mae", "simsiam")


@dataclass(frozen=True)
class Table1:
    """Table 1 analogue: MAE vs SimSiam × MLP/ViT × IID/label/feature skew, FedAvg."""

    common: Common = Common()
    methods: tuple = TABLE1_PAIR
    archs: tuple = ("mlp", "vit")
    skews: tuple = ("iid", "label", "feature")
    n_clients: int = 10
    clients_per_round: int | None = 5
    alpha: float = 0.1
    balanced: bool = False

    @property
    def partition(self) -> str:
        """The Dirichlet split's form: ``"balanced"`` (the official code's equal client sizes)
        or ``"hsu"`` (Hsu et al.'s, unequal sizes)."""
        return "balanced" if self.balanced else "hsu"


@dataclass(frozen=True)
class Fig2a:
    r"""Fig 2a analogue: DecL accuracy vs :math:`|\bar A|` for general (Erdős–Rényi) and uniform
    (random regular) graphs, uniform mixing :math:`1/|A_i|`, with a FedAvg reference; MAE, label
    skew."""

    common: Common = Common()
    n_clients: int = 20
    abars: tuple = (3, 5, 10, 20)
    kinds: tuple = ("general", "uniform")
    alpha: float = 0.1
    arch: str = "mlp"

    def __post_init__(self) -> None:
        _names(self.kinds, "kinds", GRAPH_KINDS)


def _names(names: tuple, field: str, allowed) -> None:
    """``names`` is a non-empty tuple of keys of ``allowed`` (a one-line error naming ``field``)."""
    if not isinstance(names, (tuple, list)) or not names:
        v.fail(field, "a non-empty tuple of " + ", ".join(allowed), names)
    for name in names:
        v.choice(name, field, tuple(allowed))


#: Fig 2b's frameworks: ``(cfg, graph) -> (mixing, clients per round)`` with ``graph()`` the
#: seed's DecL graph; FL is FedAvg with ``cfg.clients_per_round`` (no graph drawn), DecL gossip
#: with the uniform rule 1/|A_i| on the graph
FIG2B_FRAMEWORKS = {
    "fl": lambda cfg, graph: ("fedavg", cfg.clients_per_round),
    "decl": lambda cfg, graph: (_topology().uniform_mixing(graph()), None),
}


#: Table 6's mixing rules: ``(adjacency, client sizes) -> rule`` of :mod:`sims.core.mixing`
#: (row-stochastic gossip by ``theory.topology.mixing_matrix``; push-sum with the
#: column-stochastic transpose of the uniform rule: node j sends 1/|A_j| to each i ∈ A_j)
def _push_sum(adj, sizes):
    from sims.core.mixing import push_sum

    return push_sum(_topology().uniform_mixing(adj).T)


TABLE6_RULES = {
    **{
        name: (lambda adj, sizes, name=name: _topology().mixing_matrix(name, adj, sizes=sizes))
        for name in ("data_size", "uniform", "metropolis")
    },
    "push-sum": _push_sum,
}


@dataclass(frozen=True)
class Table6:
    r"""Table 6 analogue: DecL MAE under mixing rules (data-size, degree-normalised, doubly
    stochastic Metropolis, push-sum) at :math:`|\bar A| \approx 5` and 10, FedAvg reference."""

    common: Common = Common()
    n_clients: int = 20
    abars: tuple = (5, 10)
    rules: tuple = ("data_size", "uniform", "metropolis", "push-sum")
    alpha: float = 0.1
    arch: str = "mlp"

    def __post_init__(self) -> None:
        _names(self.rules, "rules", TABLE6_RULES)


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

    def __post_init__(self) -> None:
        _names(self.frameworks, "frameworks", FIG2B_FRAMEWORKS)


@dataclass(frozen=True)
class Table5:
    r"""Table 5 analogue: summed layer-wise :math:`\ell_2` distances local 1 / local N / global
    for SimSiam, MAE and MAR (ViT, FedAvg, α = 0.1), with per-client vs global probes and
    uniformity."""

    common: Common = Common()
    n_clients: int = 10
    clients_per_round: int | None = 5
    methods: tuple = ("simsiam", "mae", "mar")
    alpha: float = 0.1
    arch: str = "vit"


# The views and targets every preset trains with: SimSiam's random resized crops (area ≥ ½) and
# noise, no flips (digits are not mirror-symmetric); MAE on unaugmented images with per-patch
# normalised targets (He et al. 2022), which take a client's gain and offset out of what MAE
# must reconstruct (raw targets left MAE under feature skew below 2 SE of its untrained encoder:
# docs/track_d.md, "Pre-training that learns").
_RECIPE = dict(crop=0.5, sigma=0.1, flip=False, shift=0, mae_augment=False, norm_pix=True)

_FAST_COMMON = Common(
    name="fast",
    width=32,
    depth=1,
    embed=16,
    rounds=6,
    local_steps=3,
    batch_size=32,
    rows=128,
    seeds=3,
    max_test=300,
    curve_every=2,
    **_RECIPE,
)
# MNIST (28×28, 7×7 patches): 4,000 training and 1,000 test images (sims.trackd.data).
_DEFAULT_COMMON = Common(
    name="default",
    dataset="mnist",
    patch=7,
    width=128,
    cnn_width=32,
    vit_width=32,
    depth=1,
    heads=4,
    embed=64,
    rounds=30,
    local_steps=20,
    batch_size=32,
    batch_simsiam=64,
    lr=2e-3,
    lr_simsiam=3e-3,
    p=0.5,
    cnn_p=0.75,
    cnn_dec_hidden=256,
    rows=512,
    seeds=3,
    curve_every=5,
    **_RECIPE,
)
# the experiments whose figures draw no learning curve skip the evaluations along the way
_NO_CURVES = replace(_DEFAULT_COMMON, curve_every=0)
# Seeds fixed before the DECISIVE run from a DEFAULT pilot (Table 1, MLP, 3 seeds, 20 rounds):
# per-seed SD of Δ 1.05 points; power.seeds_for gives 5 seeds for MDE ≤ 1.5 points at that
# SD and 8 at 1.4× it, kept because an SD from 3 seeds is itself uncertain (docs/track_d.md).
# DEFAULT trains MAE and MAR at batch 32 for its 5-minute budget (half a step's work; at batch
# 32 one SimSiam seed in three stalled, so SimSiam keeps 64: docs/track_d.md). DECISIVE trains
# every method at 64.
_DECISIVE_COMMON = replace(
    _DEFAULT_COMMON, name="decisive", seeds=8, batch_size=64, batch_simsiam=None
)
# PAPER-SCALE: DEFAULT's schedule (MAE and MAR at batch 32, SimSiam at 64) for 100 rounds at the
# paper's client counts. Until 2026-11-26 it trained every method at batch 64, and Fig 2a's 20
# clients did not learn (figures/trackd_paper_scale_b64/); benchmarks/diagnose_paper_scale.py
# traced that to batch 64 with 20 clients (FedAvg reference +1.3 ± 0.6 points after 100 rounds,
# against +3.0 ± 0.5 at batch 32): docs/track_d.md, PAPER-SCALE.
_PAPER_COMMON = replace(_DEFAULT_COMMON, name="paper-scale", rounds=100)

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
        "table1": Table1(_DEFAULT_COMMON, archs=("mlp",)),
        "fig2a": Fig2a(_NO_CURVES, n_clients=10, abars=(3, 5, 10), kinds=("uniform",)),
        "table6": Table6(_NO_CURVES, n_clients=10, abars=(5,)),
        "fig2b": Fig2b(_NO_CURVES, alphas=(1.0, 0.01), frameworks=("fl",)),
        "table5": Table5(_NO_CURVES, arch="mlp"),
    },
    # Table 1 only: the comparison the preset powers (the other claims' MDEs are stated)
    "decisive": {
        "table1": Table1(_DECISIVE_COMMON, archs=("mlp", "cnn")),
    },
    "paper-scale": {
        "table1": Table1(_PAPER_COMMON, archs=("mlp", "cnn", "vit"), n_clients=100),
        "fig2a": Fig2a(_PAPER_COMMON, n_clients=20),
        "table6": Table6(_PAPER_COMMON, n_clients=20),
        "fig2b": Fig2b(
            _PAPER_COMMON, n_clients=100, clients_per_round=5, alphas=(1.0, 0.1, 0.01, 0.001)
        ),
        "table5": Table5(_PAPER_COMMON, n_clients=100, arch="vit"),
    },
}


def preset(name: str, experiment: str):
    """The config of ``experiment`` (table1, fig2a, table6, fig2b, table5) at preset ``name``
    (fast, default, decisive, paper-scale).

    Example:
      >>> preset("fast", "fig2a").n_clients
      10
    """
    v.choice(name, "preset", tuple(PRESETS))
    v.choice(experiment, "experiment", tuple(PRESETS[name]))
    return PRESETS[name][experiment]
