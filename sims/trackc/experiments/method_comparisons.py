"""Method comparisons of arXiv 2607.02447 redone with linear encoders: Fig. 2b (MAR with the
γ cosine schedule of Eq. 5–7 vs MIM across Dirichlet α, FL and DecL) and MIM vs CL (FL on the
paper's model across d, the d-scaling of Thm 4.2–4.4, and on scikit-learn digits across α)."""

from __future__ import annotations

import dataclasses
import time

import jax
import jax.numpy as jnp
import numpy as np

from sims import metrics as mt
from sims.core.config import key_tree
from sims.core.engine import sweep
from sims.core.problem import make_problem
from sims.losses import methods as registry
from sims.trackc import presets
from sims.trackc.experiments._common import (
    _DT,
    _aggregate,
    _client_targets,
    _consensus,
    _engine_config,
    _exact_row,
    _keys,
    _measure,
    _paper_data,
    _partitions,
    _probe_references,
    _spectral_row,
    _stationary,
    _swept,
)
from theory import objectives, solve, topology
from theory.datamodel import DataModel

__all__ = ["fig2b", "mim_vs_cl"]


# ---------------------------------------------------------------------------------------------
# Fig. 2b

#: The method whose empirical targets every Fig. 2b problem carries (ζ², the loss) and whose
#: rows also carry the exact optimum of them (Track B); MAR has no closed-form target.
EXACT_METHOD = "mim"


def _sweep_fields(xs, sizes, targets, frameworks: dict, S: int) -> dict:
    """Fig 2b's swept problem fields, (F·A·S, ...) in the order framework, α, seed, from the
    per-α samples, sizes and targets (A, ...) and the frameworks' mixing matrices."""
    A, F, n = xs.shape[0], len(frameworks), targets.shape[1]

    def tile(a):  # (A, ...) -> (F·A·S, ...), order framework, alpha, seed
        a = np.repeat(a[:, None], S, 1).reshape(A * S, *a.shape[1:])
        return np.concatenate([a] * F)

    return dict(
        x=tile(xs),
        sizes=tile(sizes),
        targets=tile(targets),
        mixing=np.concatenate([np.broadcast_to(m, (A * S, n, n)) for m in frameworks.values()]),
        pi=np.concatenate(
            [np.broadcast_to(_stationary(m), (A * S, n)) for m in frameworks.values()]
        ),
    )


def fig2b(preset: presets.Fig2bPreset = presets.FIG2B) -> dict:
    """Fig. 2b in the linear setting: MAR vs MIM across Dirichlet α, FL and DecL.

    Returns:
      dict with ``config``; ``rows`` (framework ∈ {fl, decl}, method ∈ {mim, mar}, alpha, seed
      means ± SE of s_N, rv_mean_N, probe, consensus_distance, and for MAR gamma_last, the mean
      γ of the last round; MIM rows also carry the Track B keys (those of Fig 2a's rows) for that
      α's empirical targets and the framework's mixing matrix); ``graph`` (abar, lambda2 of the
      DecL graph); ``probe_reference``; ``seconds``.
    """
    t0 = time.perf_counter()
    pr = preset
    n = pr.n_clients
    model = DataModel(d=pr.d, n_clients=n)
    c = model.c
    _, _, probe = _paper_data(model, pr.samples_per_client, pr.test_per_client, pr.seed)
    parts = _partitions(probe[0], probe[1], n, pr.alphas, key=key_tree(pr.seed)["partition"])
    xs = np.stack([p[0] for p in parts])
    sizes = np.stack([p[1] for p in parts])
    targets = np.stack([_client_targets(p[0], p[1], EXACT_METHOD, pr.p) for p in parts])
    adj = topology.paper_code(n, pr.avg_degree, seed=pr.graph_seed)
    w = topology.mixing_matrix("uniform", adj)
    # FL = FedAvg with all N clients and uniform weights: M_t = J (Alg. 1; the engine's FL
    # round with S = N is exactly this matrix, z̄ is then the server average of the z_i)
    frameworks = {"fl": np.full((n, n), 1.0 / n), "decl": w}
    S, A, F = pr.seeds, len(pr.alphas), len(frameworks)
    fields = _sweep_fields(xs, sizes, targets, frameworks, S)
    exact = {
        (framework, j): _exact_row(targets[j], c, m, probe=probe)
        for framework, m in frameworks.items()
        for j in range(A)
    }
    rows = []
    for method in pr.methods:
        ec = _engine_config(method, "decl", n, pr.d, c, pr)
        prob = make_problem(
            ec,
            targets[0],
            x=xs[0],
            sizes=sizes[0],
            mixing=w,
            gamma_max=pr.gamma_max,
            gamma_min=pr.gamma_min,
        )
        probs, axes = _swept(prob, **fields)
        states, traces = sweep(ec, probs, _keys(pr.seed, S, A * F), axes=axes)
        Wbar = _consensus(states.params).reshape(F, A, S, c, pr.d)
        xi = np.asarray(traces["consensus_distance"])[:, -1].reshape(F, A, S)
        gam = np.asarray(traces["gamma_mean"])[:, -1].reshape(F, A, S)
        for f, framework in enumerate(frameworks):
            for j, a in enumerate(pr.alphas):
                per_seed = [_measure(W, n, probe, 2 * n) for W in Wbar[f, j]]
                for s, m in enumerate(per_seed):
                    m["consensus_distance"] = float(xi[f, j, s])
                    if registry.get(method).embeddings:  # γ of the last round (MAR)
                        m["gamma_last"] = float(gam[f, j, s])
                row = {"framework": framework, "method": method, "alpha": a}
                if method == EXACT_METHOD:  # the optimum of its targets (Track B)
                    row.update(exact[framework, j])
                row.update(_aggregate(per_seed))
                rows.append(row)
    info = _spectral_row(w, adj, 0.9)
    return {
        "config": dataclasses.asdict(pr),
        "rows": rows,
        "graph": {"abar": info["abar"], "lambda2": info["lambda2"]},
        "sizes": sizes.tolist(),
        "probe_reference": _probe_references(probe, 2 * n),
        "seconds": time.perf_counter() - t0,
    }


# ---------------------------------------------------------------------------------------------
# MIM vs CL


def _exact_s_n(model: DataModel, method: str, p: float) -> float:
    X = objectives.population_targets(model, method, p=objectives.p_for(method, p)).mean(0)
    r = solve.representability_vector(solve.eckart_young_np(X, model.c))
    return float(solve.sensitivity_N(r, model.n_clients))


def mim_vs_cl(preset: presets.MimVsClPreset = presets.MIM_VS_CL) -> dict:
    """MIM vs CL: FL on the paper's model across d, and FL on digits across Dirichlet α.

    Returns:
      dict with ``config``; ``model_rows`` (d, method, trained s_N ± SE, rv_mean_N, probe,
      exact_s_N = Track B's FL optimum's sensitivity over [N]); ``digits_rows`` (alpha, method,
      probe ± SE, angle_to_pooled = principal angle to the optimum of the pooled training
      data's target, rv_spread = RV max − min over the non-constant pixels);
      ``digits_probe_reference`` (chance, the majority-class share and the probe on the raw
      input, digits, 10 classes);
      ``seconds``.
    """
    t0 = time.perf_counter()
    pr = preset
    n = pr.n_clients
    model_rows = []
    for d in pr.ds:
        model = DataModel(d=d, n_clients=n)
        c = model.c
        x, _, probe = _paper_data(model, pr.samples_per_client, 50, pr.seed)
        for method in pr.methods:
            ec = _engine_config(method, "fl", n, d, c, pr)
            prob = make_problem(
                ec,
                objectives.population_targets(model, method, p=objectives.p_for(method, pr.p)),
                x=x,
            )
            axes = jax.tree.map(lambda _: None, prob)
            st, _ = sweep(ec, prob, _keys(pr.seed, pr.seeds), axes=axes)
            agg = _aggregate([_measure(W, n, probe, 2 * n) for W in _consensus(st.params)])
            row = {"d": d, "method": method, "exact_s_N": _exact_s_n(model, method, pr.p)}
            row.update(agg)
            model_rows.append(row)
    digits_rows, digits_reference = _digits(pr)
    return {
        "config": dataclasses.asdict(pr),
        "model_rows": model_rows,
        "digits_rows": digits_rows,
        "digits_probe_reference": digits_reference,
        "seconds": time.perf_counter() - t0,
    }


def _digits(pr: presets.MimVsClPreset) -> tuple[list[dict], dict]:
    from sims.data import load_digits_split

    keys = key_tree(pr.seed)
    split = load_digits_split(key=keys["data"])
    k_clients, c = pr.digits_clients, pr.digits_c
    d = split.x_train.shape[1]
    parts = _partitions(
        split.x_train, split.y_train, k_clients, pr.digits_alphas, key=keys["partition"]
    )
    informative = split.x_train.std(0) > 0
    probe = (split.x_train, split.y_train, split.x_test, split.y_test)
    S, A = pr.seeds, len(pr.digits_alphas)
    pr_d = dataclasses.replace(pr, rounds=pr.digits_rounds, lr=pr.digits_lr)
    rows = []
    for method in pr.methods:
        xs = np.stack([p[0] for p in parts])
        sizes = np.stack([p[1] for p in parts])
        targets = np.stack([_client_targets(p[0], p[1], method, pr.p) for p in parts])
        pooled = objectives.empirical_target(
            split.x_train, method, p=objectives.p_for(method, pr.p)
        )
        ec = _engine_config(method, "fl", k_clients, d, c, pr_d)
        prob = make_problem(
            ec, targets[0], x=xs[0], sizes=sizes[0], agg=sizes[0].astype(np.float64)
        )
        rep = np.repeat
        probs, axes = _swept(
            prob,
            x=rep(xs[:, None], S, 1).reshape(A * S, *xs.shape[1:]),
            sizes=rep(sizes[:, None], S, 1).reshape(A * S, k_clients),
            targets=rep(targets[:, None], S, 1).reshape(A * S, *targets.shape[1:]),
        )
        # FL aggregation weights follow each partition's data sizes
        agg = rep(sizes[:, None], S, 1).reshape(A * S, k_clients).astype(np.float64)
        probs = probs._replace(agg=jnp.asarray(agg, _DT))
        axes = axes._replace(agg=0)
        st, _ = sweep(ec, probs, _keys(pr.seed, S, A), axes=axes)
        Wbar = _consensus(st.params).reshape(A, S, c, d)
        for j, a in enumerate(pr.digits_alphas):
            per_seed = []
            for W in Wbar[j]:
                r = np.asarray(mt.representability_vector(jnp.asarray(W)))[informative]
                per_seed.append(
                    {
                        "probe": mt.probe_accuracy(W, *probe, n_classes=10),
                        "angle_to_pooled": mt.principal_angle_to_optimum(W, pooled, c)[0],
                        "rv_spread": float(r.max() - r.min()),
                        "finite": float(np.all(np.isfinite(W))),
                    }
                )
            row = {"alpha": a, "method": method}
            row.update(_aggregate(per_seed))
            rows.append(row)
    return rows, _probe_references(probe, 10)
