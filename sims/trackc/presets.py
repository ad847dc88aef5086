"""Presets of the paper's Section 6 experiments redone in the linear setting
(:mod:`sims.trackc.experiments`): one frozen dataclass per figure (an experiment config:
validated, JSON round trip); ``Preset.DEFAULT`` and ``Preset.FAST`` are the ``dssl reproduce``
and ``dssl reproduce --fast`` sizes."""

from __future__ import annotations

import dataclasses

from theory._config import StageConfig


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
    r"""Fig. 2a: DecL MIM with N clients on graphs of average connectivity
    :math:`\lvert\bar A\rvert \in` ``abars``, "general" (Erdős–Rényi, uneven degrees) vs
    "uniform" (random regular); FL reference = the complete graph (FedAvg with all N clients);
    data from the paper's model (:math:`c = 2N`)."""

    n_clients: int = 20
    d: int = 64
    p: float = 0.75
    abars: tuple = (3, 5, 10, 20)
    gamma: float = 0.9


@dataclasses.dataclass(frozen=True)
class Table6Preset(_Section6Run):
    r"""Table 6: DecL MIM with uniform, data-size, Metropolis and max-degree mixing on the
    official code's graph at :math:`\lvert\bar A\rvert \approx 5` and :math:`\approx 10`
    (``avg_degrees`` = :math:`\lvert\bar A\rvert - 1`), clients from a Dirichlet(``alpha``)
    label-skew partition (Hsu form) of a pooled paper-model sample."""

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
    r"""MIM vs CL: FL on the paper's model across ``ds`` (N = ``n_clients``, :math:`c = 2N`; the
    theorems' d-scaling, Thm 4.4) and FL on scikit-learn digits across Dirichlet ``alphas``
    (``digits_lr`` is smaller: a single-class client's target has
    :math:`\lambda_{\max} \approx 46` on standardised digits, and plain SGD on
    :math:`-\operatorname{tr}(W X W^\top) + \tfrac12 \lVert W^\top W\rVert^2` needs
    :math:`\mathrm{lr} \cdot 4\lambda_{\max} < 2`)."""

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
    r"""Consensus distance over rounds against its derived bounds (an EXTENSION:
    docs/theory/consensus.md
    §3; the paper's theory uses neither :math:`\lambda` nor :math:`\zeta^2`): DecL with
    population MIM/CL targets, full-batch local gradients, on the graphs of
    ``sims.trackc.experiments.CONSENSUS_GRAPHS`` (``avg_degree`` and ``graph_seed`` for the
    Erdős–Rényi graph)."""

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
