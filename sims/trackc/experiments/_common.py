"""What the Section 6 experiments share: engine configuration, seed keys, swept problems, data
and partitions, the measurements of a trained consensus model and Track B's exact rows."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sims import metrics as mt
from sims.core.config import key_tree
from sims.core.engine import seed_keys, sweep
from sims.trackc.engine_config import EngineConfig
from sims.trackc.measures import _mean_se
from theory import dissimilarity, objectives, solve, spectral
from theory.datamodel import DataModel
from theory.sweeps import seed_grid

_DT = jnp.float32  # training dtype of the experiments (metrics in float64 afterwards)


def _engine_config(method, framework, n, d, c, pr, **kw) -> EngineConfig:
    return EngineConfig(
        method=method,
        framework=framework,
        n_clients=n,
        d=d,
        c=c,
        p=pr.p,
        lr=pr.lr,
        local_steps=pr.local_steps,
        batch=pr.batch,
        rounds=pr.rounds,
        lr_schedule="cosine",
        init_scale=1e-3,
        dtype="float32",
        **kw,
    )


def _keys(seed: int, seeds: int, repeat: int = 1):
    """(repeat·seeds, 2) root keys: outer loop over configurations, inner over seeds."""
    return seed_keys(seed_grid(seed, seeds, repeat), "seed")


def _swept(problem, **fields):
    """(problems, axes) with ``fields`` swept (leading axis) and every other field shared."""
    axes = jax.tree.map(lambda _: None, problem)._replace(**{k: 0 for k in fields})
    cast = {
        k: jnp.asarray(val, dtype=jnp.int32 if k == "sizes" else _DT) for k, val in fields.items()
    }
    return problem._replace(**cast), axes


def _consensus(params) -> np.ndarray:
    """(K, c, d) float64 consensus models from stacked (K, N, c, d) client encoders."""
    return np.asarray(params, dtype=np.float64).mean(axis=1)


def _measure(W: np.ndarray, n: int, probe: tuple, n_classes: int, target_fl=None) -> dict:
    """RV sensitivity and mean over [N] of the thresholded RV, the ridge-probe accuracy and,
    with ``target_fl``, the largest principal angle (rad) to the FL optimum's row space."""
    if not np.all(np.isfinite(W)):  # a diverged run is reported, never silently probed
        out = {"s_N": float("nan"), "rv_mean_N": float("nan"), "probe": float("nan")}
        if target_fl is not None:
            out["angle_to_fl"] = float("nan")
        return {**out, "finite": 0.0}
    r = np.asarray(mt.representability_vector(jnp.asarray(W)))
    out = {
        "s_N": float(r[:n].max() - r[:n].min()),
        "rv_mean_N": float(r[:n].mean()),
        "probe": mt.probe_accuracy(W, *probe, n_classes=n_classes),
    }
    if target_fl is not None:
        out["angle_to_fl"] = mt.principal_angle_to_optimum(W, target_fl, W.shape[0])[0]
    return {**out, "finite": 1.0}


def _exact_row(targets, c: int, mixing, fl_weights=None, probe: tuple | None = None) -> dict:
    """Track B at the stage's own targets: what the mixing rule changes in the exact model.

    D-SGD with mixing matrix W converges (at consensus) to the optimum of Σ_j π_j L_j with π
    the stationary distribution of W (docs/theory/consensus.md §3 D7); FL with aggregation
    weights s optimises Σ_j s_j L_j. For the linear loss both optima are Eckart–Young optima of
    the weighted targets (Eq. 1 of arXiv 2607.02447 with exact weights; ``theory.solve.optima``).

    Returns:
      ``pi_spread`` (max π − min π), ``exact_s_N_decl`` (sensitivity over [N] of the exact DecL
      optimum), ``exact_angle_to_fl`` (largest principal angle, rad, between the row spaces of
      the exact DecL and FL optima), ``zeta_sq`` (ζ² of the exact FL optimum under π,
      docs/theory/consensus.md §0) and, with ``probe``, ``exact_probe`` (ridge-probe accuracy of
      the exact DecL optimum).
    """
    targets = np.asarray(targets, dtype=np.float64)
    n = targets.shape[0]
    pi = _stationary(mixing)
    w_fl = np.full(n, 1.0 / n) if fl_weights is None else np.asarray(fl_weights, np.float64)
    opt = solve.optima(targets, c, stationary_weights=pi, local=False)
    fl = solve.eckart_young_np(solve.global_target(targets, w_fl / w_fl.sum()), c)
    decl = opt["decl_stationary"]
    angles = solve.principal_angles(decl.T, fl.T)
    out = {
        "pi_spread": float(pi.max() - pi.min()),
        "exact_s_N_decl": solve.sensitivity_N(solve.representability_vector(decl), n),
        "exact_angle_to_fl": float(angles.max()) if angles.size else 0.0,
        "zeta_sq": float(dissimilarity.zeta_sq(fl, targets, pi)),
    }
    if probe is not None:
        out["exact_probe"] = mt.probe_accuracy(decl, *probe, n_classes=2 * n)
    return out


def _probe_references(probe: tuple, n_classes: int) -> dict:
    """What a probe accuracy is read against: chance 1/K, the majority-class share of the test
    labels, and the same ridge probe on the raw input x (identity encoder)."""
    y_test = np.asarray(probe[3])
    d = np.asarray(probe[0]).shape[1]
    return {
        "probe_chance": 1.0 / n_classes,
        "probe_majority": float(np.bincount(y_test, minlength=n_classes).max() / y_test.size),
        "probe_raw_input": mt.probe_accuracy(np.eye(d), *probe, n_classes=n_classes),
    }


def _aggregate(per_seed: list[dict]) -> dict:
    out = {}
    for key in per_seed[0]:
        out[key], out[key + "_se"] = _mean_se([m[key] for m in per_seed])
    return out


def _paper_data(model: DataModel, m: int, m_test: int, seed: int):
    from sims.data import sample_paper_model

    # one draw of M + M_test i.i.d. rows per client, split into training and probe-test rows
    # (one compilation of the sampler instead of two)
    both, labels = sample_paper_model(model, m + m_test, key=key_tree(seed)["data"], dtype=_DT)
    x, y, xt, yt = both[:, :m], labels[:, :m], both[:, m:], labels[:, m:]
    d = model.d
    probe = (
        np.asarray(x, np.float64).reshape(-1, d),
        np.asarray(y).reshape(-1),
        np.asarray(xt, np.float64).reshape(-1, d),
        np.asarray(yt).reshape(-1),
    )
    return x, y, probe


def _partition(x_pool, y_pool, n, alpha, *, key, pad_to=None):
    """Dirichlet(α) label-skew clients (Hsu form): padded x (N, M_max, d), sizes, targets."""
    from sims.data import client_arrays, dirichlet_partition

    parts = dirichlet_partition(y_pool, n, alpha, key=key)
    xs, _, mask = client_arrays(parts, x_pool, y_pool, pad_to=pad_to)
    sizes = np.asarray(mask).sum(1).astype(np.int32)
    return np.asarray(xs, np.float64), sizes, parts


def _partitions(x_pool, y_pool, n, alphas, *, key) -> list:
    """One Dirichlet(α) partition per α (key ``fold_in(key, j)``), all padded to the largest
    client, so the α grid is one compiled sweep: ``[(xs, sizes, parts), ...]``."""
    keys = [jr.fold_in(key, j) for j in range(len(alphas))]
    parts = [_partition(x_pool, y_pool, n, a, key=k) for a, k in zip(alphas, keys, strict=True)]
    m_max = max(int(s.max()) for _, s, _ in parts)
    return [
        _partition(x_pool, y_pool, n, a, key=k, pad_to=m_max)
        for a, k in zip(alphas, keys, strict=True)
    ]


def _client_targets(xs, sizes, method: str, p: float) -> np.ndarray:
    p = objectives.p_for(method, p)  # the preset's p, where it enters the method's target
    return np.stack(
        [objectives.empirical_target(xs[i, : sizes[i]], method, p=p) for i in range(len(sizes))]
    )


def _spectral_row(mixing, adj, gamma: float) -> dict:
    mixing = np.asarray(mixing, dtype=np.float64)
    adj = np.asarray(adj, dtype=np.float64)
    return {
        "abar": float(spectral.avg_connectivity(adj)),
        "lambda2": float(spectral.lambda2(mixing)),
        "contraction": float(spectral.contraction(mixing)),
        "effective_neighbours": float(spectral.effective_neighbours(mixing, gamma)),
        "degree_min": int(adj.sum(1).min()),
        "degree_max": int(adj.sum(1).max()),
    }


def _stationary(mixing) -> np.ndarray:
    mixing = np.asarray(mixing, dtype=np.float64)
    return np.asarray(spectral.stationary_weights(mixing), dtype=np.float64)


def _sweep_mixings(ec: EngineConfig, prob, mixings: list, pr):
    """One compiled sweep of ``prob`` over (mixing matrix, seed), mixing-major; each run uses its
    matrix's stationary π. Returns the engine's ``(states, traces)``."""
    n = ec.n_clients
    mix = np.repeat(np.stack(mixings)[:, None], pr.seeds, 1).reshape(-1, n, n)
    pis = np.stack([_stationary(w) for w in mixings])
    pis = np.repeat(pis[:, None], pr.seeds, 1).reshape(-1, n)
    probs, axes = _swept(prob, mixing=mix, pi=pis)
    return sweep(ec, probs, _keys(pr.seed, pr.seeds, len(mixings)), axes=axes)
