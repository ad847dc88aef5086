"""Track C runs: the linear encoders behind every Track C verdict, trained by
:mod:`sims.core.engine`.

Each model is trained with minibatch SGD on a finite sample of the paper's data model
(``sims.data.sample_paper_model``; Section 3.2 of arXiv 2607.02447), with sampled masks (MIM,
Eq. 4) or sampled Gaussian augmentations (CL, Eq. 2), at the ``VerifyConfig``'s d, N, p, c and
DecL graph, under the training settings :class:`EvidenceSettings`. :func:`track_c_runs` makes
one ``sims.core.engine.sweep`` per method (one compilation each); the sample is drawn once from the
``data`` stream of ``seed``, the seeds vary initialisation, minibatches and masks. The runs:

* ``local``: mixing matrix I (every client trains alone, Thm 4.2/4.3 item 1);
* ``decl``: the uniform mixing 𝒲 = D⁻¹(Adj + I) of the configuration's graph (Alg. 2);
* ``fl``: the averaging matrix J = 11ᵀ/N, identical to the engine's FedAvg with all N clients
  per round and uniform weights (M_t = 1sᵀ = J; ``tests/test_evidence.py`` checks it);
* ``sweep-*``: the official code's generator (``paper_code``) at every average degree
  1..N−2 plus the complete graph (the same graphs as Track B's Cor 4.5 check).

Every name here is importable from :mod:`sims.trackc.evidence`, which measures the trained models
and computes the verdicts.
"""

from __future__ import annotations

import dataclasses
import logging
import time

import jax
import jax.numpy as jnp
import numpy as np

from sims.core.config import key_tree
from sims.core.engine import seed_keys, sweep
from sims.core.environ import long_run_options
from sims.core.problem import make_problem
from sims.trackc.engine_config import LR_SCHEDULES, EngineConfig
from theory import _validate as v
from theory import objectives, spectral, topology
from theory._config import JsonConfig, field
from theory.claims import VerifyConfig
from theory.objectives import takes_transform

#: an INFO line as each method's runs start training (``dssl reproduce`` shows the last in its
#: status line)
log = logging.getLogger(__name__)


@dataclasses.dataclass(frozen=True)
class EvidenceSettings(JsonConfig):
    """Training settings of the Track C runs (shared by every claim).

    Args:
      rounds, local_steps, batch, lr: engine settings (plain SGD, constant step).
      samples_per_client: M, rows drawn per client from the paper's model.
      seeds: number of training seeds (init / minibatch / mask streams).
      init_scale: initial weights ``init_scale·N(0, 1/d)``; small, so untrained directions stay
        below the RV threshold instead of counting fully in row(W).
      lr_schedule: ``"cosine"`` (default) anneals the step to 0 over the rounds, so the final
        models are free of the O(η) SGD / D-SGD fixed-point spread; ``"constant"`` keeps it.
      dtype: training dtype (metrics are computed in float64 afterwards).

    Validated on construction (the limits of each field); ``to_json()`` /
    ``EvidenceSettings.from_json`` round-trip it.
    """

    rounds: int = field(200, lo=1)
    local_steps: int = field(5, lo=1)
    batch: int = field(128, lo=1)
    lr: float = field(0.02, lo=0.0)
    samples_per_client: int = field(4000, lo=1)
    seeds: int = field(2, lo=1)
    init_scale: float = field(1e-3, lo=0.0)
    lr_schedule: str = field("cosine", choices=LR_SCHEDULES)
    dtype: str = field("float32", choices=("float32", "float64"))


DEFAULT_SETTINGS = EvidenceSettings()
FAST_SETTINGS = EvidenceSettings(rounds=100, batch=64, samples_per_client=1500, seeds=1)


def _graphs(cfg: VerifyConfig) -> list[tuple[str, np.ndarray]]:
    """(name, adjacency) of every DecL graph: the configuration's, then the Cor 4.5 sweep."""
    n = cfg.n_clients
    out = [("decl", cfg.adjacency())]
    for k in range(1, n - 1):
        adj = topology.make_graph("paper_code", n, avg_degree=float(k), seed=cfg.graph_seed)
        out.append((f"sweep-paper_code-{k}", adj))
    out.append(("sweep-complete", topology.complete(n)))
    return out


def _methods(cfg: VerifyConfig) -> tuple[str, ...]:
    # with H = I, cl-dissimilar equals cl in population (as Track B omits it)
    return ("mim", "cl") if cfg.transform == "identity" else ("mim", "cl", "cl-dissimilar")


def _spectral(mixing: np.ndarray) -> dict:
    n = mixing.shape[0]
    if np.array_equal(mixing, np.eye(n)):
        # the local runs (no communication): reducible, no stationary distribution; the
        # consensus model is the plain client average
        uniform = np.full(n, 1.0 / n)
        return {"contraction": 1.0, "pi_stationary": uniform, "pi_objective": uniform}
    lam, gap, pi = spectral.lambda_gap_pi(mixing)
    return {
        "contraction": float(lam),
        "pi_stationary": np.asarray(pi, dtype=np.float64),
        "pi_objective": np.asarray(spectral.objective_weights(mixing), dtype=np.float64),
    }


#: The methods whose views draw Gaussian noise (``sims.losses.gaussian``): their Track C
#: sweeps are compiled with :func:`sims.core.environ.long_run_options`.
GAUSSIAN_VIEWS = ("cl", "cl-dissimilar")


def _run_graphs(cfg: VerifyConfig, n: int) -> tuple[list, list, dict]:
    """``(names, mixing matrices, graphs)`` of the runs: local (I), FL (J = 11ᵀ/N) and each
    DecL graph of the reading with uniform weights 1/|A_i|, with |Ā| and the spectral data."""
    graph_list = _graphs(cfg)
    names = ["local", "fl"] + [g for g, _ in graph_list]
    mixings = [np.eye(n), np.full((n, n), 1.0 / n)]
    graphs = {
        "local": {"abar": 1.0, "adjacency": np.zeros((n, n))},
        "fl": {"abar": float(n), "adjacency": topology.complete(n)},
    }
    for name, adj in graph_list:
        w = topology.mixing_matrix("uniform", adj)
        mixings.append(w)
        abar = float(spectral.avg_connectivity(adj))
        graphs[name] = {"abar": abar, "adjacency": adj}
    for name, w in zip(names, mixings, strict=True):
        graphs[name].update(_spectral(w), mixing=w)
    return names, mixings, graphs


def _engine_config(cfg: VerifyConfig, settings: EvidenceSettings, method: str) -> EngineConfig:
    """The engine settings of one method's runs (every run of the sweep shares them)."""
    model = cfg.model()
    return EngineConfig(
        method=method,
        framework="decl",
        n_clients=model.n_clients,
        d=model.d,
        c=model.c,
        p=cfg.p,
        lr=settings.lr,
        local_steps=settings.local_steps,
        batch=settings.batch,
        rounds=settings.rounds,
        init_scale=settings.init_scale,
        lr_schedule=settings.lr_schedule,
        dtype=settings.dtype,
    )


def track_c_runs(
    config: VerifyConfig | None = None,
    *,
    settings: EvidenceSettings = DEFAULT_SETTINGS,
    seed: int = 0,
) -> dict:
    """Train every run the Track C verdicts need and return the trained models.

    Args:
      config: the ``theory.claims.VerifyConfig`` (data model, p, c, graph, constants).
      settings: training settings (:data:`DEFAULT_SETTINGS` / :data:`FAST_SETTINGS`).
      seed: base seed; data from ``key_tree(seed)["data"]``, run s ∈ [S] uses ``key_tree(seed+s)``.

    Returns:
      dict with ``config``, ``settings``, ``runs`` (list of names: local, fl, decl, sweep-*),
      ``graphs`` ({name: {abar, contraction, pi_stationary, pi_objective, adjacency,
      mixing}}),
      ``models`` ({method: (R, S, N, c, d) float64 trained client encoders, run axis in the
      order of ``runs``}), ``targets`` ({method: (N, d, d) population targets}), ``seconds``.
    """
    cfg = VerifyConfig() if config is None else config
    if not isinstance(cfg, VerifyConfig):
        v.fail("config", "a theory.claims.VerifyConfig", cfg)
    if not isinstance(settings, EvidenceSettings):
        v.fail("settings", "an EvidenceSettings", settings)
    seed = v.integer(seed, "seed", lo=0)
    t0 = time.perf_counter()
    from sims.data import sample_paper_model

    model = cfg.model()
    n, d, c = model.n_clients, model.d, model.c
    dt = jnp.float64 if settings.dtype == "float64" else jnp.float32
    x, _ = sample_paper_model(
        model, settings.samples_per_client, key=key_tree(seed)["data"], dtype=dt
    )
    names, mixings, graphs = _run_graphs(cfg, n)
    n_runs, n_seeds = len(names), settings.seeds
    mix = np.repeat(np.stack(mixings)[:, None], n_seeds, axis=1).reshape(-1, n, n)
    pis = np.repeat(
        np.stack([graphs[k]["pi_stationary"] for k in names])[:, None], n_seeds, axis=1
    ).reshape(-1, n)
    keys = seed_keys([seed + s for _ in names for s in range(n_seeds)], "seed")
    models, targets = {}, {}
    methods = tuple(_methods(cfg))
    for k, method in enumerate(methods):
        log.info("Track C: training %s (%d of %d methods; %d runs, %d rounds each)", method,
                 k + 1, len(methods), n_runs * n_seeds, settings.rounds)  # fmt: skip
        H = None
        if takes_transform(method):
            H = cfg.transform_matrix()  # the H of Track B's reading (H_m ⊕ I_{d−m})
        tg = objectives.population_targets(model, method, p=objectives.p_for(method, cfg.p), H=H)
        targets[method] = tg
        ec = _engine_config(cfg, settings, method)
        prob = make_problem(ec, tg, x=x, mixing=mixings[1], H=H)
        probs = prob._replace(mixing=jnp.asarray(mix, dt), pi=jnp.asarray(pis, dt))
        axes = jax.tree.map(lambda _: None, prob)._replace(mixing=0, pi=0)
        # the CL runs with XLA's newer fusion generator (long_run_options): they draw ~5e9
        # Gaussians, about twice as fast so; the MIM runs gained nothing (README, Performance)
        options = long_run_options() if method in GAUSSIAN_VIEWS else None
        states, _ = sweep(ec, probs, keys, axes=axes, compiler_options=options)
        W = np.asarray(states.params, dtype=np.float64)
        models[method] = W.reshape(n_runs, n_seeds, n, c, d)
    for name in names:
        graphs[name]["adjacency"] = graphs[name]["adjacency"].tolist()
    return {
        "config": cfg,
        "settings": settings,
        "seed": seed,
        "runs": names,
        "graphs": graphs,
        "models": models,
        "targets": targets,
        "sample": np.asarray(x, dtype=np.float64),
        "seconds": time.perf_counter() - t0,
    }
