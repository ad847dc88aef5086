"""Measurements on the trained Track C models (:func:`sims.trackc.runs.track_c_runs`).

RV (Def. 4.1) and sensitivities over [N] and [c] of the consensus model W̄ = (1/N)Σ_i W_i of a
run (local runs: of each W_i), per seed and as seed means with standard errors, and principal
angles to Track B optima (including the part of an angle due to the finite sample). Internal to
:mod:`sims.trackc.evidence`, which turns these numbers into verdicts.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np

from sims import metrics as mt
from theory import objectives, solve
from theory._precision import float64


# in float64 whatever the caller's x64 setting (dssl verify --simulate runs without it)
@float64
def _rv(W: np.ndarray) -> np.ndarray:
    return np.asarray(mt.representability_vector(jnp.asarray(W, dtype=jnp.float64)))


@float64
def _erv(W: np.ndarray) -> np.ndarray:
    return np.asarray(mt.energy_rv(jnp.asarray(W, dtype=jnp.float64)))


def _mean_se(values) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    se = float(a.std(ddof=1) / np.sqrt(a.size)) if a.size > 1 else 0.0
    return float(a.mean()), se


def _lst(a, digits: int = 9) -> list:
    return np.round(np.asarray(a, dtype=float), digits).tolist()


def _consensus(runs: dict, method: str, name: str) -> np.ndarray:
    """(S, c, d) consensus models W̄ = mean over clients, one per seed."""
    return runs["models"][method][runs["runs"].index(name)].mean(axis=1)


def _global_measure(runs: dict, method: str, name: str) -> dict:
    """RV / sensitivity of the consensus model of run ``name`` (per seed and seed mean)."""
    cfg = runs["config"]
    n, c = cfg.n_clients, cfg.model().c
    Ws = _consensus(runs, method, name)
    rvs = np.stack([_rv(W) for W in Ws])
    ervs = np.stack([_erv(W) for W in Ws])
    s_n = rvs[:, :n].max(1) - rvs[:, :n].min(1)
    s_c = rvs[:, :c].max(1) - rvs[:, :c].min(1)
    mins = rvs[:, :n].min(1)
    return {
        "rv_N": _lst(rvs[:, :n].mean(0)),
        "rv_c": _lst(rvs[:, :c].mean(0)),
        "rv_energy_N": _lst(ervs[:, :n].mean(0)),
        "rv_N_per_seed": _lst(rvs[:, :n]),
        "min_rv": _mean_se(mins)[0],
        "min_rv_se": _mean_se(mins)[1],
        "s_N": _mean_se(s_n)[0],
        "s_N_se": _mean_se(s_n)[1],
        "s_c": _mean_se(s_c)[0],
        "s_N_per_seed": _lst(s_n),
    }


def _local_measure(runs: dict, method: str) -> dict:
    """Local RVs r_{i,k}, k ∈ [N]∖{i}, and local sensitivities over [N] of the identity-mixing
    run (every client trained alone)."""
    cfg = runs["config"]
    n = cfg.n_clients
    W = runs["models"][method][runs["runs"].index("local")]  # (S, N, c, d)
    rvs = np.stack([np.stack([_rv(w) for w in per_seed]) for per_seed in W])  # (S, N, d)
    off = ~np.eye(n, dtype=bool)
    mins = np.array([r[:, :n][off].min() for r in rvs])
    s_n = rvs[:, :, :n].max(2) - rvs[:, :, :n].min(2)  # (S, N)
    return {
        "rv_N": _lst(rvs[:, :, :n].mean(0)),
        "min_rv": _mean_se(mins)[0],
        "min_rv_se": _mean_se(mins)[1],
        "s_N_max": _mean_se(s_n.max(1))[0],
        "s_N_max_se": _mean_se(s_n.max(1))[1],
        "s_N": _lst(s_n.mean(0)),
    }


def _angles(runs: dict, method: str, name: str, X: np.ndarray) -> tuple[list, int]:
    c = runs["config"].model().c
    out, r = [], 0
    for W in _consensus(runs, method, name):
        a, r = mt.principal_angle_to_optimum(W, X, c)
        out.append(a)
    return out, r


def _sample_angle(runs: dict, method: str, weights: np.ndarray, X: np.ndarray) -> float:
    """Angle between the optimum of the finite sample's own target (mask / noise integrated
    exactly) and the population optimum: the part of any trained angle due to sampling."""
    cfg = runs["config"]
    c = cfg.model().c
    emp = objectives.empirical_target(runs["sample"], method, p=objectives.p_for(method, cfg.p))
    X_emp = np.einsum("n,nde->de", weights, emp)
    W_emp = solve.eckart_young_np(X_emp, c)
    return mt.principal_angle_to_optimum(W_emp, X, c)[0]
