r"""One FL / DecL training run of a linear CL / MIM / MAR encoder on the paper's data model, and
its final metrics: the body of ``dssl simulate`` (the command parses, builds the
:class:`SimulateSettings`, calls :func:`simulate` and prints); callable from Python as it is.

"Optimum" here is Track B's exact optimum of the *population* objective: the top-c PSD part of
:math:`X_\pi = \sum_j \pi_j X_j` with the population targets of
``theory.objectives.population_targets`` (π uniform for FL and for doubly-stochastic mixing;
the stationary weights of the mixing matrix otherwise, docs/theory/consensus.md §3 D7).
``principal_angle_to_exact`` is the largest principal angle between the top-r singular space
of the averaged model and the top-r eigenspace of :math:`X_\pi`, where r is the identifiable
rank (``sims.metrics.identifiable_rank``: the eigenspace separated by a gap).
``principal_angle_to_empirical`` compares with the optimum of the pooled samples' own target.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sys
from collections.abc import Callable
from typing import Any

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sims import metrics as mt
from sims.core import mixing as mx
from sims.core.client import encoder
from sims.core.config import key_tree, round_key
from sims.core.engine import make_engine
from sims.core.problem import consensus_weights, make_problem
from sims.core.recorded import divergence, where_diverged
from sims.core.sharding import check_mesh
from sims.data import sample_paper_model
from sims.data.paper_model import KeyedPaperSampler
from sims.losses import methods
from sims.losses.methods import Context, Method
from sims.trackc.engine_config import (
    AGGREGATIONS,
    ALGORITHMS,
    DTYPES,
    FRAMEWORKS,
    METHODS,
    OPTIMIZERS,
    EngineConfig,
    check_population,
)
from sims.trackc.simulate_rounds import (
    UNIFORMITY_PAIRS,
    announce,
    check_budget,
    longest_option,
    rounds_per_chunk,
    run_rounds,
    sample_sizes,
)
from theory import _validate as v
from theory import spectral, topology
from theory._precision import float64
from theory.datamodel import DataModel
from theory.objectives import (
    DEFAULT_P,
    moment_target,
    p_for,
    population_targets,
    takes_transform,
    target_summary,
    transform,
)
from theory.objectives import loss as objective_loss
from theory.solve import eckart_young

__all__ = ["DEFAULTS", "TIME_DEFAULTS", "SimulateSettings", "default_lr", "simulate"]

# Defaults, measured (see tests/test_cli_simulate.py): with only --method, --framework,
# --n-clients 4 and --d 64 the averaged model lands within 0.05 rad of the population optimum.
#: ``samples_per_client`` None: no sample is drawn before training, every minibatch comes from
#: its own key inside the round (``sims.data.paper_model.KeyedPaperSampler``).
DEFAULTS = dict(rounds=300, lr=0.01, local_steps=5, batch=256, samples_per_client=None)


#: Without --lr the step is min(DEFAULTS["lr"], LR_STABLE_FRACTION / λ_max), λ_max the largest
#: eigenvalue of any client's target X_i: near the optimum the Hessian of
#: −tr(W X Wᵀ) + ½‖WWᵀ‖² has eigenvalues up to about 4·λ_max, so gradient steps are stable below
#: 1/(2·λ_max); a quarter of λ_max⁻¹ leaves room for minibatch noise. At the default sizes
#: (λ_max ≤ 5) this is DEFAULTS["lr"]; at the paper's FL size (CL, N = 100, d = 256,
#: λ_max ≈ 218) it is 1.1e-3, where 0.01 diverges in the first rounds.
LR_STABLE_FRACTION = 0.25

#: Each ``--aggregation`` (``sims.core.config.AGGREGATIONS``) as the FL aggregation weights it
#: stands for, from the clients' data sizes |D_i| (None: the engine's uniform weights).
AGGREGATION_WEIGHTS = {
    "uniform": lambda sizes: None,
    "data-size": lambda sizes: sizes.astype(np.float64),
}

#: the configuration fields the result reports
_CONFIG_FIELDS = (
    "method", "framework", "n_clients", "d", "c", "p", "lr", "optimizer", "local_steps",
    "batch", "rounds", "population", "dtype",
)  # fmt: skip


#: the result's fields, in the order ``dssl simulate --json`` has always written them
RESULT_FIELDS = (
    "config", "rounds_done", "interrupted", "global_rv", "global_rv_energy", "local_rv",
    "sensitivity_N", "sensitivity_c", "sensitivity_N_energy", "local_sensitivity_N",
    "principal_angle_to_exact", "identifiable_rank", "principal_angle_to_empirical",
    "identifiable_rank_empirical", "consensus_distance", "zeta_sq", "loss", "optimal_loss",
    "probe_accuracy", "uniformity_intra", "uniformity_intra_se", "alignment_per_client",
    "alignment", "uniformity_inter_mean", "uniformity_inter_mean_se", "uniformity_estimator",
    "diverged", "weight_distance",
)  # fmt: skip


def default_lr(lam_max: float) -> float:
    r"""The step used when --lr is not given, from the largest eigenvalue of the clients'
    targets, :math:`\max_i \lambda_{\max}(X_i)` (``theory.objectives.TargetSummary``; see
    :data:`LR_STABLE_FRACTION`).

    Example:
      >>> default_lr(400.0), default_lr(1.0)
      (0.000625, 0.01)
    """
    lam = v.real(lam_max, "lam_max")
    return min(DEFAULTS["lr"], LR_STABLE_FRACTION / lam) if lam > 0 else DEFAULTS["lr"]


@dataclasses.dataclass(frozen=True)
class SimulateSettings:
    r"""The settings of one :func:`simulate` run, each named as the option of ``dssl simulate``
    that sets it; validated on construction (one line naming the field).

    Args:
      method: the clients' local loss, one of ``sims.losses.methods.NAMES`` (``"mim"``: Eq. 4;
        ``"cl"``: Eq. 2; ``"mar"``: MIM + :math:`\gamma_t \cdot \text{A-MMD}`, Eqs. 5–7).
      framework: ``"fl"`` (FedAvg, Algorithm 1 of arXiv 2607.02447) or ``"decl"`` (gossip,
        Algorithm 2); DecL's graph and rule are :func:`simulate`'s arguments.
      n_clients: N, the number of clients (§3.2).
      d: input dimension d of the data model, at least :math:`2N` (§3.2).
      c: embedding width c, the rows of the linear encoder W (c × d) (§3.2, Assumption A.5);
        None: 2N.
      p: mask ratio p of the masking methods (Eq. 4); the other methods ignore it.
      rare_fraction: weight ρ of each client's rare class in the data model (§3.2).
      lr: the local optimiser's step size; None: min(``DEFAULTS["lr"]``,
        :data:`LR_STABLE_FRACTION` :math:`/\,\lambda_{\max}` of the clients' targets)
        (:func:`default_lr`).
      optimizer: the local optimiser, one of ``sims.trackc.engine_config.OPTIMIZERS``.
      algorithm: the clients' steps: ``"none"`` (Algorithms 1–2 as written), ``"fedprox"`` or
        ``"scaffold"``.
      mu: FedProx's proximal weight :math:`\mu \ge 0`.
      local_steps: E, the local steps of every client in a round (Algorithms 1–2).
      batch: B, the minibatch of a local step (not used with ``population``).
      rounds: T, the communication rounds (:math:`t = 1, \dots, T` of Algorithms 1–2).
      samples_per_client: M samples per client drawn before training; None: none drawn, every
        minibatch comes from its own key inside the round.
      clients_per_round: S, the clients sampled per FL round (the set :math:`C_t` of
        Algorithm 1); None: all N. DecL trains every client.
      aggregation: FedAvg's weights over the sampled clients: ``"uniform"``
        (:math:`1/\lvert C_t\rvert`, Algorithm 1) or ``"data-size"`` (the released code's).
      gamma_max, gamma_min: MAR's schedule :math:`\gamma_t` from :math:`\gamma_{\max}` down to
        :math:`\gamma_{\min}` (Eq. 7); MAR only.
      seed: the run's seed (data, initialisation, sampling, masks) and a random graph's.
      dtype: ``"float32"`` or ``"float64"``, the dtype of training.
      population: full-batch population gradients with the exact targets :math:`X_i`
        (no sampling).
      trace: also return the per-round metrics.
      degree, avg_degree, prob, rows, cols: the parameters of DecL's graph
        (``theory.topology.make_graph``: random_regular; erdos_renyi / paper_code; erdos_renyi;
        torus); None where the graph takes none.
      mixing_file: the path of DecL's mixing matrix W instead of a graph and a rule, read by
        :func:`simulate`'s ``load_mixing`` and named in the result; None: no file.

    Example:
      >>> SimulateSettings(framework="fl", n_clients=4, d=16, rounds=2).batch
      256
      >>> SimulateSettings(n_clients=4, d=6)
      Traceback (most recent call last):
      ...
      ValueError: d: must be an integer >= 8 (2·n_clients), got 6
    """

    method: str = "mim"
    framework: str = "decl"
    n_clients: int = 4
    d: int = 64
    c: int | None = None
    p: float = DEFAULT_P
    rare_fraction: float = 0.05
    lr: float | None = None
    optimizer: str = "sgd"
    algorithm: str = "none"
    mu: float = 0.0
    local_steps: int = DEFAULTS["local_steps"]
    batch: int = DEFAULTS["batch"]
    rounds: int = DEFAULTS["rounds"]
    samples_per_client: int | None = DEFAULTS["samples_per_client"]
    clients_per_round: int | None = None
    aggregation: str = "uniform"
    gamma_max: float = 0.1
    gamma_min: float = 1e-3
    seed: int = 0
    dtype: str = "float64"
    population: bool = False
    trace: bool = False
    degree: int | None = None
    avg_degree: float | None = None
    prob: float | None = None
    rows: int | None = None
    cols: int | None = None
    mixing_file: Any = None

    def __post_init__(self) -> None:
        def put(name, value):  # the validated value (an int for an integer field)
            object.__setattr__(self, name, value)

        def optional(name, check, **limits):
            if getattr(self, name) is not None:
                put(name, check(getattr(self, name), name, **limits))

        v.choice(self.method, "method", METHODS)
        v.choice(self.framework, "framework", FRAMEWORKS)
        # the sizes first, in this order: the order dssl simulate's errors have always come in
        put("n_clients", n := v.integer(self.n_clients, "n_clients", lo=2))
        put("d", d := v.integer(self.d, "d", lo=2 * n, why="2·n_clients"))
        optional("c", v.integer, lo=1, hi=d)
        optional("samples_per_client", v.integer, lo=2)
        for name in ("gamma_max", "gamma_min"):
            put(name, v.real(getattr(self, name), name, lo=0.0))
        if methods.get(self.method).embeddings and self.gamma_min > self.gamma_max:
            v.fail("gamma_min", f"<= --gamma-max = {self.gamma_max}", self.gamma_min)
        put("p", v.real(self.p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True))
        put("rare_fraction", v.real(self.rare_fraction, "rare_fraction", lo=0.0, hi=1.0,
                                    lo_open=True, hi_open=True))  # fmt: skip
        optional("lr", v.real, lo=0.0, lo_open=True)
        v.choice(self.optimizer, "optimizer", OPTIMIZERS)
        v.choice(self.algorithm, "algorithm", tuple(ALGORITHMS))
        put("mu", v.real(self.mu, "mu", lo=0.0))
        for name, lo in (("local_steps", 1), ("batch", 2), ("rounds", 1)):
            put(name, v.integer(getattr(self, name), name, lo=lo))
        optional("clients_per_round", v.integer, lo=1, hi=n)
        v.choice(self.aggregation, "aggregation", AGGREGATIONS)
        put("seed", v.integer(self.seed, "seed", lo=0, hi=2**32 - 1))
        v.choice(self.dtype, "dtype", DTYPES)
        for name in ("population", "trace"):
            put(name, v.boolean(getattr(self, name), name))
        check_population(self.method, self.population)
        m = self.samples_per_client
        if not self.population and m is not None and self.batch > m:
            v.fail("batch", f"at most --samples-per-client = {m}", self.batch)
        optional("degree", v.integer, lo=2)
        optional("avg_degree", v.real, lo=0.0, lo_open=True)
        optional("prob", v.real, lo=0.0, hi=1.0, lo_open=True)
        optional("rows", v.integer, lo=3)
        optional("cols", v.integer, lo=3)
        if self.mixing_file is not None and not isinstance(self.mixing_file, (str, os.PathLike)):
            v.fail_type("mixing_file", "a path to a .npy or .csv file, or None", self.mixing_file)


#: The options the training time grows with, at their defaults (``dssl simulate``'s, whose
#: ``sims.commands.simulate.TIME_DEFAULTS`` is this, before JAX is imported): the time budget's
#: refusal names the one farthest above its default
#: (:func:`sims.trackc.simulate_rounds.longest_option`).
TIME_DEFAULTS = {"--rounds": DEFAULTS["rounds"], "--local-steps": DEFAULTS["local_steps"],
                 "--n-clients": SimulateSettings.n_clients, "--d": SimulateSettings.d,
                 "--batch": DEFAULTS["batch"]}  # fmt: skip


@dataclasses.dataclass(frozen=True)
class _Setup:
    """What a run's :class:`SimulateSettings` resolve to: the engine configuration, the data
    model, the key tree, samples per client (train, or None for keyed minibatches; the
    evaluation sample of a keyed run; test), the method whose Track B target is the reference
    and the transform H (dissimilar CL)."""

    config: EngineConfig
    model: DataModel
    keys: dict
    m: int | None
    m_eval: int
    m_test: int
    target_method: str
    H: Any

    def target_args(self, p) -> dict:
        """The mask ratio and transform that ``theory.objectives``' target functions take for
        :attr:`target_method` at mask ratio ``p``."""
        return {"p": p_for(self.target_method, p), "H": self.H}


def _setup(s: SimulateSettings) -> _Setup:
    """The run's engine configuration (where ``s.lr`` is None, its learning rate is a
    placeholder that :func:`simulate` replaces from the targets), data model and sample sizes,
    checked against the memory and time budgets."""
    n, d = s.n_clients, s.d
    c = 2 * n if s.c is None else s.c
    m = s.samples_per_client
    model = DataModel(d=d, n_clients=n, rare_fraction=s.rare_fraction, c=c)
    # without samples_per_client (and not with population gradients, which draw no data)
    # every minibatch is drawn from its key inside the round: the run holds no sample
    keyed = m is None and not s.population
    config = EngineConfig(
        method=s.method, framework=s.framework, n_clients=n, d=d, c=c, p=s.p,
        lr=DEFAULTS["lr"] if s.lr is None else s.lr, optimizer=s.optimizer,
        local_steps=s.local_steps, batch=s.batch, rounds=s.rounds,
        clients_per_round=s.clients_per_round, population=s.population, dtype=s.dtype,
        algorithm=s.algorithm, mu=s.mu, sampler=KeyedPaperSampler(model) if keyed else None,
    )  # fmt: skip
    m_eval, m_test = sample_sizes(n, d, m)
    est = check_budget(config, samples=m, dtype=s.dtype,
                       time_field=longest_option(config, TIME_DEFAULTS))  # fmt: skip
    announce(config, est["total"], "dssl simulate")
    H = transform("rotation", d, seed=s.seed) if takes_transform(s.method) else None
    return _Setup(
        config=config,
        model=model,
        keys=key_tree(s.seed),
        m=m,
        m_eval=m_eval,
        m_test=m_test,
        target_method={"mar": "mim", "mim-recon": "mim"}.get(s.method, s.method),
        H=H,
    )


def _decl_mixing(s: SimulateSettings, sizes, graph, rule, mixing_file) -> tuple:
    """DecL's mixing matrix (the file's, or ``rule`` on the graph drawn from ``s.seed``) and
    what the result reports of it (the graph, contraction, spectral gap, |Ā|); for a graph
    that is its own rule (one-peer exponential, static exponential, matchings) or a W above
    :data:`sims.core.mixing.DENSE_GOSSIP_MAX_BYTES`, the gossip rule value of
    :func:`sims.core.mixing.graph_rule` instead, with no N × N array (λ, spectral gap and |Ā|
    null); a graph that is its own rule reports its contraction over a period, ρ_P, instead
    (:func:`_period_info`; null for every other graph)."""
    n = s.n_clients
    shape = dict(rows=s.rows, cols=s.cols, degree=s.degree, avg_degree=s.avg_degree, prob=s.prob)
    if mixing_file is None and (graph in mx.RULE_GRAPHS or 8 * n * n > mx.DENSE_GOSSIP_MAX_BYTES):
        value = mx.graph_rule(
            graph, n, mixing=rule, **shape, seed=s.seed, sizes=sizes,
            dense_max_bytes=mx.DENSE_GOSSIP_MAX_BYTES,
        )  # fmt: skip
        info = {"graph": graph, "mixing": rule, "contraction": None, "spectral_gap": None,
                "avg_connectivity": None}  # fmt: skip
        info |= _period_info(value if graph in mx.RULE_GRAPHS else None, n, s.seed)
        return value, info
    if mixing_file is not None:
        mixing = mixing_file
        adj = ((mixing + mixing.T) > 0).astype(np.float64)
        np.fill_diagonal(adj, 0.0)
        info = {"graph": None, "mixing": "file", "mixing_file": s.mixing_file}
    else:
        # the graph seed of every command (sims.core.config)
        adj = topology.make_graph(graph, n, **shape, seed=s.seed)
        with v.renamed("adjacency", "graph"):  # fedavg: only the complete graph
            mixing = topology.mixing_matrix(rule, adj, sizes=sizes)
        info = {"graph": graph, "mixing": rule}
    lam, gap, _ = spectral.lambda_gap_pi(mixing)
    info |= {
        "contraction": float(lam),
        "spectral_gap": float(gap),
        "avg_connectivity": float(spectral.avg_connectivity(adj)),
    } | _period_info(None, n, s.seed)
    return mixing, info


def _period_info(rule, n: int, seed: int) -> dict:
    """The contraction over a period of a time-varying rule (``RULE_GRAPHS``' own rules:
    :func:`sims.core.mixing.rule_contraction`, of the rounds this run's key draws), null for
    any other W (its λ is ``contraction``)."""
    keys = ("period", "rho_period", "rho_period_error", "rho_per_round")
    if rule is None:
        return dict.fromkeys(keys)
    rc = mx.rule_contraction(rule, n, key=round_key(key_tree(seed)["root"]))
    return dict(zip(keys, (rc.period, rc.rho, rc.error, rc.per_round), strict=True))


def _train(config: EngineConfig, problem, root, mesh, *, lr: float, progress: bool):
    """``(state, trace, rounds done, interrupted, divergence)``: the rounds, cut at the last
    finite round if the run diverged (one stderr line each for divergence and interruption)."""
    engine = make_engine(config, mesh=mesh)  # its chunks place the problem on the mesh once
    state, trace, interrupted = run_rounds(engine, problem, root, progress=progress)
    done = int(np.asarray(trace["loss"]).shape[0]) if trace else 0
    if interrupted and done == 0:
        raise KeyboardInterrupt
    diverged = divergence(trace)
    if diverged is not None:
        # the state is that of the last finite round; keep the trace up to it
        t_bad = diverged["round"]
        if t_bad == 0:
            v.fail("lr", "a learning rate for which the first round stays finite", lr)
        sys.stderr.write(
            f"dssl simulate: warning: diverged at round {t_bad} (0-based), "
            f"{where_diverged(diverged)}; results are "
            f"those of the last finite round ({t_bad - 1}); a smaller --lr may help\n"
        )
        trace = {k: val[:t_bad] for k, val in trace.items()}
        done = t_bad  # the rounds whose results are reported (the trace's rows)
    if interrupted:
        sys.stderr.write(
            f"dssl simulate: interrupted: results up to round {done} of {config.rounds} "
            '(marked "interrupted": true)\n'
        )
    return state, trace, done, interrupted, diverged


def _mixture_moment(x, pi) -> np.ndarray:
    """S_π = Σ_i π_i x_iᵀx_i/M of the clients' samples x (N, M, d): the second moment of the
    π-mixture, as one BLAS product of the (N·M, d) rows scaled by √(π_i/M). The empirical
    target is linear in the moment (``theory.objectives.moment_target``), so the π-weighted sum
    of the clients' empirical targets is the target of S_π."""
    x = np.asarray(x, dtype=np.float64)
    w = np.sqrt(np.asarray(pi, dtype=np.float64) / x.shape[1])
    rows = (x * w[:, None, None]).reshape(-1, x.shape[-1])
    return rows.T @ rows


def _per_client(W, fn) -> np.ndarray:
    """``fn`` of every client's model W (N, c, d), stacked; computed once where every client
    holds the same model (FedAvg's server model: one SVD instead of N), the same numbers."""
    if np.array_equal(W, np.broadcast_to(W[:1], W.shape)):
        one = fn(jnp.asarray(W[0]))
        return np.broadcast_to(one, (W.shape[0],) + one.shape)
    return np.stack([fn(jnp.asarray(w)) for w in W])


def _alignment(W, x, method: Method, ctx: Context, *, key) -> np.ndarray:
    """Per-client alignment E‖ẑ − ẑ⁺‖² (docs/theory/ssd.md §1) of the averaged model on held-out
    data, with the method's own positive pair (``Method.positive_pair``: complementary masked
    views for MIM and the methods built on it, independent masks for mim-independent, two
    noisy views or x + ξ and Hx for CL); client i's views from ``fold_in(key, i)``."""

    @jax.jit
    def one(W, xi, k):  # one client at a time: views and embeddings of one client
        a, b = method.positive_pair(xi, ctx, key=k)
        return mt.alignment(a @ W.T, b @ W.T)

    W = jnp.asarray(W)
    keys = [jr.fold_in(key, i) for i in range(len(x))]
    return np.asarray([float(one(W, jnp.asarray(xi), k)) for xi, k in zip(x, keys, strict=True)])


#: Work of the targets' passes (N·d³) above which ``dssl simulate`` shows their progress: a
#: few seconds on 2 cores (:func:`theory.objectives.target_summary`: 0.13 s per client at
#: d = 1000).
TARGETS_PROGRESS_WORK = 2e10
#: Pairs of embeddings of the uniformity estimate (N²·pairs) above which ``dssl simulate``
#: shows its progress: about 4 s on 2 cores (N = 100, 1,024 pairs per client pair).
UNIFORMITY_PROGRESS_PAIRS = 1e7


@contextlib.contextmanager
def _bar(show: bool, total: int, desc: str):
    """A progress bar on stderr over ``total`` clients where ``show``; yields its ``update``
    (or None)."""
    if not show:
        yield None
        return
    from tqdm import tqdm

    with tqdm(total=total, file=sys.stderr, desc=desc, unit="client", leave=False) as bar:
        yield bar.update


def _targets(s: _Setup, config, p, pi, progress: bool) -> tuple:
    """``(summary, targets)``: the targets' mean, spread, X_π and largest eigenvalue
    (``theory.objectives.target_summary``), a block of clients at a time, so that the run holds
    no (N, d, d) stack; and that stack only with population gradients, which need every X_i
    (None otherwise; the summary then reads it rather than forming the targets again). A
    progress bar over the summary's two passes where ``progress`` and they are not quick."""
    tp, n, d = s.target_args(p), s.config.n_clients, s.config.d
    targets = population_targets(s.model, s.target_method, **tp) if config.population else None
    with _bar(progress and n * d**3 >= TARGETS_PROGRESS_WORK, 2 * n, "targets") as tick:
        summary = target_summary(
            s.model, s.target_method, **tp, weights=pi, on_block=tick, targets=targets
        )
    return summary, targets


def _optima(s: _Setup, W_bar, pi, summary, x, p: float) -> dict:
    r"""The averaged model against the exact optimum of X_π (``summary.weighted``, of the
    consensus weights π) and the pooled samples' optimum; the optimal loss is the clients' mean
    loss at X_π's optimum, :math:`f(W; \bar X)` (the loss is linear in X)."""
    c = s.config.c
    X_pi, X_mean = summary.weighted, summary.mean
    angle, rank = mt.principal_angle_to_optimum(W_bar, X_pi, c)
    emp = moment_target(_mixture_moment(x, pi), s.target_method, **s.target_args(p))
    angle_emp, rank_emp = mt.principal_angle_to_optimum(W_bar, emp, c)
    optimum = jnp.asarray(np.asarray(eckart_young(X_pi, c)))
    return {
        "principal_angle_to_exact": angle,
        "identifiable_rank": rank,
        "principal_angle_to_empirical": angle_emp,
        "identifiable_rank_empirical": rank_emp,
        "optimal_loss": float(objective_loss(optimum, jnp.asarray(X_mean))),
    }


def _representations(s: _Setup, W_local, W_bar, x, y, p: float, dt, progress: bool) -> dict:
    """Probe accuracy, RVs and sensitivities, uniformity (with a progress bar where
    ``progress`` and it is not quick), alignment and weight distances."""
    c, n, d, keys = s.config.c, s.config.n_clients, s.config.d, s.keys
    x_te, y_te = sample_paper_model(s.model, s.m_test, key=keys["probe"], dtype=dt)
    probe = mt.probe_accuracy(
        W_bar, np.asarray(x).reshape(-1, d), np.asarray(y).reshape(-1),
        np.asarray(x_te).reshape(-1, d), np.asarray(y_te).reshape(-1), n_classes=2 * n,
    )  # fmt: skip
    rv = np.asarray(mt.representability_vector(jnp.asarray(W_bar)))
    erv = np.asarray(mt.energy_rv(jnp.asarray(W_bar)))
    local_rv = _per_client(W_local, lambda w: np.asarray(mt.representability_vector(w)))
    x_te64 = np.asarray(x_te, dtype=np.float64)
    z_te = jnp.asarray(x_te64 @ W_bar.T)
    slow = n * n * UNIFORMITY_PAIRS >= UNIFORMITY_PROGRESS_PAIRS
    with _bar(progress and slow, n, "uniformity") as tick:
        unif = mt.client_uniformity_mc(
            z_te, key=jr.fold_in(keys["metrics"], 0), pairs=UNIFORMITY_PAIRS, on_rows=tick
        )
    inter, inter_se = np.asarray(unif["inter"]), np.asarray(unif["inter_se"])
    off = ~np.eye(n, dtype=bool)
    method, ctx = methods.get(s.config.method), Context(p=float(p), H=s.H)
    align = _alignment(W_bar, x_te64, method, ctx, key=jr.fold_in(keys["metrics"], 1))
    return {
        "global_rv": rv[:c].tolist(),
        "global_rv_energy": erv[:c].tolist(),
        "local_rv": local_rv[:, :c].tolist(),
        "sensitivity_N": float(rv[:n].max() - rv[:n].min()),
        "sensitivity_c": float(rv[:c].max() - rv[:c].min()),
        "sensitivity_N_energy": float(erv[:n].max() - erv[:n].min()),
        "local_sensitivity_N": (local_rv[:, :n].max(1) - local_rv[:, :n].min(1)).tolist(),
        "probe_accuracy": probe,
        "uniformity_intra": np.asarray(unif["intra"]).tolist(),
        "uniformity_intra_se": np.asarray(unif["intra_se"]).tolist(),
        "alignment_per_client": align.tolist(),
        "alignment": float(align.mean()),
        "uniformity_inter_mean": float(inter[off].mean()),
        "uniformity_inter_mean_se": float(np.sqrt(np.sum(inter_se[off] ** 2)) / off.sum()),
        "uniformity_estimator": (
            f"Monte Carlo over {UNIFORMITY_PAIRS} random pairs per client pair of the held-out "
            "embeddings (sims.metrics.client_uniformity_mc); *_se: its standard error"
        ),
        "weight_distance": np.asarray(
            mt.weight_distance(jnp.asarray(W_local), jnp.asarray(W_bar))
        ).tolist(),
    }


@float64
def simulate(
    settings: SimulateSettings,
    *,
    graph: str | None = None,
    mixing_rule: str | None = None,
    load_mixing: Callable | None = None,
    mesh: Any = None,
    progress: bool = False,
) -> dict:
    """One run of :class:`SimulateSettings` -> the result dict: the configuration, the rounds
    done, the metrics against the exact and empirical optima (in the order of
    :data:`RESULT_FIELDS`), and the trace when ``settings.trace``.

    Args:
      settings: the run's settings (validated).
      graph, mixing_rule: DecL's graph (``theory.topology.GRAPHS`` or
        ``sims.core.mixing.RULE_GRAPHS``; None: ring) and mixing rule (None: uniform, or none
        for a graph that holds its own weights); FL uses neither.
      load_mixing: with ``settings.mixing_file``, the reader ``load_mixing(path, N)`` of the
        validated (N, N) matrix W that DecL mixes with instead of a graph (the command's reads
        .npy and .csv files, ``sims.commands._common.load_mixing_file``).
      mesh: None, or a one-axis device mesh over which the clients are split.
      progress: a progress bar on stderr.

    Runs under a scoped ``jax.enable_x64(True)`` (the engine draws 64-bit mask bits and
    float64 minibatch indices for either dtype); the caller's setting is restored after.
    A small FedAvg run from Python, equal to the command's: tests/test_trackc_simulate.py
    (not a doctest: it compiles the engine at the caller's XLA settings; at XLA's defaults
    one of the programs of a 4-client run was still compiling after 6 minutes of CPU time).
    """
    s = _setup(settings)
    config, n = s.config, s.config.n_clients
    mixing_file = None
    if settings.mixing_file is not None:
        if not callable(load_mixing):
            v.fail_type("load_mixing", "a reader load_mixing(path, n) -> (n, n) W with a "
                        "mixing_file", load_mixing)  # fmt: skip
        mixing_file = load_mixing(settings.mixing_file, n)
    dt = jnp.float64 if settings.dtype == "float64" else jnp.float32
    p = settings.p
    # the training sample (samples_per_client), or a keyed run's evaluation sample: the
    # probe's training set and the empirical target, from the same data stream, no client
    # trains on it
    x, y = sample_paper_model(s.model, s.m_eval, key=s.keys["data"], dtype=dt)
    sizes = np.full(n, s.m_eval)
    mixing, graph_info = None, {}
    if config.mixing_rule().takes_matrix:
        graph = "ring" if graph is None else graph
        if mixing_rule is None and graph not in mx.RULE_GRAPHS:
            mixing_rule = "uniform"
        mixing, graph_info = _decl_mixing(settings, sizes, graph, mixing_rule, mixing_file)
    # the consensus weights π of the problem, first: X_π is summed with the targets' mean
    pi = consensus_weights(config, mixing)
    summary, targets = _targets(s, config, p, pi, progress)
    if settings.lr is None:
        config = dataclasses.replace(config, lr=default_lr(summary.lam_max))
    if mesh is None and config.admits_server_model and config.n_sampled < n:
        # FedAvg with S < N: one server model, not N identical copies (the same models to
        # float rounding, tests/test_server_model.py); the round's work and metrics are the S
        # trained clients', and the N clients' models below are that one model. At S = N
        # the N-copy round is kept: the server model held no less memory there (bench_scale
        # at 10^5 clients on 2 cores) and would move the run's numbers in rounding
        config = dataclasses.replace(config, server_model=True)
    problem = make_problem(
        config, targets, stats=None if config.population else (summary.mean, summary.spread),
        x=None if settings.population or s.m is None else x, mixing=mixing, pi=pi,
        agg=AGGREGATION_WEIGHTS[settings.aggregation](sizes),
        gamma_max=settings.gamma_max, gamma_min=settings.gamma_min, H=s.H,
    )  # fmt: skip
    state, trace, done, interrupted, diverged = _train(
        config, problem, s.keys["root"], mesh, lr=config.lr, progress=progress
    )
    W_local = np.asarray(encoder(state.params), dtype=np.float64)
    W_local = np.broadcast_to(W_local, (n,) + W_local.shape[1:])  # the server model: one row
    W_bar = W_local.mean(0)
    optima = _optima(s, W_bar, pi, summary, x, p)
    reps = _representations(s, W_local, W_bar, x, y, p, dt, progress)
    del x
    run = {"rounds_done": done, "interrupted": bool(interrupted), "diverged": diverged}
    return _result(settings, s, config, mesh, graph_info, trace, run | optima | reps)


def _result(settings, s: _Setup, config, mesh, graph_info: dict, trace: dict, parts: dict):
    """The result dict of :func:`simulate`: the configuration, then ``parts`` (what the run
    measured) and the last round's recorded metrics, in the order of :data:`RESULT_FIELDS`;
    the trace when ``settings.trace``."""
    embeddings = methods.get(settings.method).embeddings
    parts = parts | {
        "config": {k: getattr(config, k) for k in _CONFIG_FIELDS}
        | {
            # the mask ratio only where it enters the method (not cl, cl-dissimilar)
            "p": config.p if methods.get(config.method).masks else None,
            "samples_per_client": s.m,
            "evaluation_samples_per_client": s.m_eval,
            "seed": settings.seed,
            "clients_per_round": config.n_sampled,
            "aggregation": settings.aggregation,
            "rounds_per_chunk": rounds_per_chunk(config),
            "devices": 1 if mesh is None else check_mesh(mesh),
        }  # fmt: skip
        | ({"gamma_max": settings.gamma_max, "gamma_min": settings.gamma_min} if embeddings else {})
        | graph_info,
        "consensus_distance": float(trace["consensus_distance"][-1]),
        "zeta_sq": float(trace["zeta_sq"][-1]),
        "loss": float(trace["loss_global"][-1]),
    }
    result = {k: parts[k] for k in RESULT_FIELDS}
    if settings.trace:
        result["trace"] = {
            k: np.asarray(val).tolist()
            for k, val in trace.items()
            if k not in ("local_iterates", "local_grads")
        }
    return result
