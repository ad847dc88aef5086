"""The paper's experiments redone with linear encoders (Section 6 of arXiv 2607.02447).

Each experiment is a preset in :mod:`sims.config` (one frozen dataclass per figure), a function
returning a JSON-ready dict, a figure in :mod:`sims.figures.experiments`, and a stage of
``dssl reproduce`` (one module each in :mod:`sims.stages`).

* :func:`fig2a` — DecL MIM on 20 clients over |Ā| ∈ {3, 5, 10, 20}, "general" (Erdős–Rényi,
  uneven degrees) vs "uniform" (random regular) graphs, FL reference = |Ā| = 20 (all clients):
  sensitivity over [N], mean RV over [N] and probe accuracy against |Ā|, λ₂ and the effective
  number of neighbours (Vogels et al. 2022; an extension, not the paper's theory).
* :func:`table6` — DecL MIM with uniform, data-size, Metropolis and max-degree mixing on the
  official code's graph at |Ā| ≈ 5 and ≈ 10, Dirichlet(0.1) label-skewed clients; FL
  reference: data-size FedAvg with all clients.
* :func:`fig2b` — MAR (γ cosine schedule, Eq. 5–7) vs MIM over α ∈ {1, 0.1, 0.01, 0.001} in FL
  (all clients per round) and DecL, Dirichlet label skew of the 2N classes of the paper's model.

FL runs use full participation: FedAvg with S = N is the mixing matrix M_t = 1sᵀ (uniform:
J), so it shares one compiled sweep with the DecL runs (deviation from the paper's 5-of-N
sampling, made for speed: each distinct engine configuration costs one XLA compilation).
* :func:`mim_vs_cl` — MIM vs CL in FL on the paper's model across d (the theorems' scaling)
  and on scikit-learn digits across Dirichlet α.

Linear-setting stand-ins for the paper's measurements (deviations, stated): "accuracy" is the
held-out accuracy of a closed-form ridge probe on W̄x (``sims.metrics.probe_accuracy``), not
fine-tuning; robustness is the RV sensitivity over [N] of the consensus model W̄ (RV on the
significant row space, ``sims.metrics.representability_vector``). Dirichlet partitions are
Hsu et al.'s form over a pooled sample of the paper's model (labels = the 2N classes and the
rare classes' labels). Seeds vary initialisation, minibatches and masks; the sample and the
graph are drawn once per experiment.
"""

from __future__ import annotations

import dataclasses
import time

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from sims import config as presets
from sims import metrics as mt
from sims.config import EngineConfig, key_tree
from sims.engine import make_problem, sweep
from theory import dissimilarity, objectives, solve, spectral, topology
from theory.datamodel import DataModel
from theory.sweeps import seed_grid

__all__ = ["fig2a", "table6", "fig2b", "mim_vs_cl", "consensus"]

_DT = jnp.float32  # training dtype of the experiments (metrics in float64 afterwards)


# ---------------------------------------------------------------------------------------------
# shared helpers


def _mean_se(values) -> tuple[float, float]:
    a = np.asarray(values, dtype=float)
    se = float(a.std(ddof=1) / np.sqrt(a.size)) if a.size > 1 else 0.0
    return float(a.mean()), se


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
    return jnp.stack([key_tree(s)["root"] for s in seed_grid(seed, seeds, repeat)])


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


# ---------------------------------------------------------------------------------------------
# Fig. 2a


def fig2a(preset: presets.Fig2aPreset = presets.FIG2A) -> dict:
    """Fig. 2a in the linear setting: DecL MIM over graphs of increasing |Ā| + FL reference.

    Returns:
      dict with ``config``; ``rows`` (one per graph: family ∈ {general, uniform, complete},
      abar_nominal, abar (realised), lambda2, contraction, effective_neighbours, degree_min/max,
      the Track B keys of :func:`_exact_row` (pi_spread, exact_s_N_decl, exact_angle_to_fl,
      zeta_sq, exact_probe), and seed means ± SE of s_N, rv_mean_N, probe, angle_to_fl,
      consensus_distance); ``fl`` (s_N, rv_mean_N, probe with SEs, clients_per_round; the
      complete-graph row); ``probe_reference`` (:func:`_probe_references`); ``seconds``.
    """
    t0 = time.perf_counter()
    pr = preset
    n = pr.n_clients
    model = DataModel(d=pr.d, n_clients=n)
    c = model.c
    x, _, probe = _paper_data(model, pr.samples_per_client, pr.test_per_client, pr.seed)
    targets = objectives.population_targets(model, "mim", p=pr.p)
    graphs = []
    for a in pr.abars:
        if a >= n:
            continue
        er = topology.erdos_renyi(n, avg_degree=float(a - 1), seed=pr.graph_seed)
        graphs.append(("general", a, er))
        graphs.append(("uniform", a, topology.random_regular(n, a - 1, seed=pr.graph_seed)))
    # |Ā| = N: the complete graph, i.e. FedAvg with all N clients and uniform weights (M_t = J)
    graphs.append(("complete", n, topology.complete(n)))
    mixings = [topology.mixing_matrix("uniform", adj) for _, _, adj in graphs]
    ec = _engine_config("mim", "decl", n, pr.d, c, pr)
    prob = make_problem(ec, targets, x=x, mixing=mixings[0])
    states, traces = _sweep_mixings(ec, prob, mixings, pr)
    Wbar = _consensus(states.params).reshape(len(graphs), pr.seeds, c, pr.d)
    xi = np.asarray(traces["consensus_distance"])[:, -1].reshape(len(graphs), pr.seeds)
    target_fl = np.asarray(targets, np.float64).mean(0)
    rows = []
    for g, (family, a, adj) in enumerate(graphs):
        per_seed = [_measure(W, n, probe, 2 * n, target_fl) for W in Wbar[g]]
        for s, m in enumerate(per_seed):
            m["consensus_distance"] = float(xi[g, s])
        row = {"family": family, "abar_nominal": a}
        row.update(_spectral_row(mixings[g], adj, pr.gamma))
        row.update(_exact_row(targets, c, mixings[g], probe=probe))
        row.update(_aggregate(per_seed))
        rows.append(row)
    fl = {k: val for k, val in rows[-1].items() if k.startswith(("s_N", "rv_mean", "probe"))}
    fl["clients_per_round"] = n
    return {
        "config": dataclasses.asdict(pr),
        "rows": rows,
        "fl": fl,
        "probe_reference": _probe_references(probe, 2 * n),
        "seconds": time.perf_counter() - t0,
    }


# ---------------------------------------------------------------------------------------------
# Table 6


def table6(preset: presets.Table6Preset = presets.TABLE6) -> dict:
    """Table 6 in the linear setting: DecL MIM under four mixing rules at |Ā| ≈ 5 and ≈ 10.

    Returns:
      dict with ``config``; ``rows`` (avg_degree, mixing, abar, lambda2, contraction,
      effective_neighbours, the Track B keys of :func:`_exact_row` on the clients' empirical
      targets with the data-size FL weights, seed means ± SE of s_N, rv_mean_N, probe,
      angle_to_fl, consensus_distance); ``fl`` (data-size weighted FedAvg with all N clients
      per round); ``sizes`` (client data sizes); ``probe_reference``; ``seconds``.
    """
    t0 = time.perf_counter()
    pr = preset
    n = pr.n_clients
    model = DataModel(d=pr.d, n_clients=n)
    c = model.c
    x, y, probe = _paper_data(model, pr.samples_per_client, pr.test_per_client, pr.seed)
    xs, sizes, _ = _partition(probe[0], probe[1], n, pr.alpha, key=key_tree(pr.seed)["partition"])
    targets = _client_targets(xs, sizes, "mim", pr.p)
    configs, mixings = [], []
    for k in pr.avg_degrees:
        adj = topology.paper_code(n, float(k), seed=pr.graph_seed)
        for name in pr.mixings:
            w = topology.mixing_matrix(name, adj, sizes=sizes.astype(np.float64))
            configs.append((k, name, adj))
            mixings.append(w)
    # FL reference: data-size FedAvg with all N clients, M_t = 1 sᵀ with s ∝ n_i (the engine's
    # FL round with S = N is exactly this mixing matrix)
    share = sizes.astype(np.float64) / sizes.sum()
    configs.append(("fl", "fedavg_data_size", topology.complete(n)))
    mixings.append(np.tile(share, (n, 1)))
    ec = _engine_config("mim", "decl", n, pr.d, c, pr)
    prob = make_problem(ec, targets, x=xs, sizes=sizes, mixing=mixings[0])
    states, traces = _sweep_mixings(ec, prob, mixings, pr)
    Wbar = _consensus(states.params).reshape(len(configs), pr.seeds, c, pr.d)
    xi = np.asarray(traces["consensus_distance"])[:, -1].reshape(len(configs), pr.seeds)
    target_fl = solve.global_target(targets, share)
    rows = []
    for j, (k, name, adj) in enumerate(configs):
        per_seed = [_measure(W, n, probe, 2 * n, target_fl) for W in Wbar[j]]
        for s, m in enumerate(per_seed):
            m["consensus_distance"] = float(xi[j, s])
        row = {"avg_degree": k, "mixing": name}
        row.update(_spectral_row(mixings[j], adj, 0.9))
        row.update(_exact_row(targets, c, mixings[j], fl_weights=share, probe=probe))
        row.update(_aggregate(per_seed))
        rows.append(row)
    fl = rows.pop()
    fl["clients_per_round"] = n
    return {
        "config": dataclasses.asdict(pr),
        "rows": rows,
        "fl": fl,
        "sizes": sizes.tolist(),
        "probe_reference": _probe_references(probe, 2 * n),
        "seconds": time.perf_counter() - t0,
    }


# ---------------------------------------------------------------------------------------------
# Fig. 2b


def fig2b(preset: presets.Fig2bPreset = presets.FIG2B) -> dict:
    """Fig. 2b in the linear setting: MAR vs MIM across Dirichlet α, FL and DecL.

    Returns:
      dict with ``config``; ``rows`` (framework ∈ {fl, decl}, method ∈ {mim, mar}, alpha, seed
      means ± SE of s_N, rv_mean_N, probe, consensus_distance, and for MAR gamma_last, the mean
      γ of the last round; MIM rows also carry the Track B keys of :func:`_exact_row` for that
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
    targets = np.stack([_client_targets(p[0], p[1], "mim", pr.p) for p in parts])
    adj = topology.paper_code(n, pr.avg_degree, seed=pr.graph_seed)
    w = topology.mixing_matrix("uniform", adj)
    # FL = FedAvg with all N clients and uniform weights: M_t = J (Alg. 1; the engine's FL
    # round with S = N is exactly this matrix, z̄ is then the server average of the z_i)
    frameworks = {"fl": np.full((n, n), 1.0 / n), "decl": w}
    rep = np.repeat
    S, A, F = pr.seeds, len(pr.alphas), len(frameworks)

    def tile(a):  # (A, ...) -> (F·A·S, ...), order framework, alpha, seed
        a = rep(a[:, None], S, 1).reshape(A * S, *a.shape[1:])
        return np.concatenate([a] * F)

    fields = dict(
        x=tile(xs),
        sizes=tile(sizes),
        targets=tile(targets),
        mixing=np.concatenate([np.broadcast_to(m, (A * S, n, n)) for m in frameworks.values()]),
        pi=np.concatenate(
            [np.broadcast_to(_stationary(m), (A * S, n)) for m in frameworks.values()]
        ),
    )
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
                    if method == "mar":  # γ of the last round (MIM ignores the schedule)
                        m["gamma_last"] = float(gam[f, j, s])
                row = {"framework": framework, "method": method, "alpha": a}
                if method == "mim":  # MAR has no closed-form target (Track B: MIM only)
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
    X = objectives.population_targets(model, method, p=p).mean(0)
    r = solve.representability_vector(solve.eckart_young_np(X, model.c))
    return float(solve.sensitivity_N(r, model.n_clients))


def mim_vs_cl(preset: presets.MimVsClPreset = presets.MIM_VS_CL) -> dict:
    """MIM vs CL: FL on the paper's model across d, and FL on digits across Dirichlet α.

    Returns:
      dict with ``config``; ``model_rows`` (d, method, trained s_N ± SE, rv_mean_N, probe,
      exact_s_N = Track B's FL optimum's sensitivity over [N]); ``digits_rows`` (alpha, method,
      probe ± SE, angle_to_pooled = principal angle to the optimum of the pooled training
      data's target, rv_spread = RV max − min over the non-constant pixels);
      ``digits_probe_reference`` (:func:`_probe_references` of the digits probe, 10 classes);
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
            prob = make_problem(ec, objectives.population_targets(model, method, p=pr.p), x=x)
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
        pooled = objectives.empirical_target(split.x_train, method, p=pr.p)
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


# ---------------------------------------------------------------------------------------------
# consensus distance over rounds against its derived bounds (an EXTENSION:
# docs/theory/consensus.md §3; the paper's theory uses neither λ nor ζ²)

#: (graph, mixing rule) pairs of the ``consensus`` stage; the uniform-weight star is
#: row-stochastic but not doubly stochastic: its distances and bounds are the π-forms of D7
CONSENSUS_GRAPHS = (
    ("ring", "metropolis"),
    ("torus", "metropolis"),
    ("star", "metropolis"),
    ("star", "uniform"),
    ("erdos_renyi", "metropolis"),
)


def consensus(preset: presets.ConsensusPreset = presets.CONSENSUS) -> dict:
    """DecL on the paper's data model (population MIM and CL targets, full-batch local
    gradients) on ring, torus, star and Erdős–Rényi graphs: the measured consensus distance
    e_t over rounds against its derived bounds (``sims.consensus``;
    docs/theory/consensus.md §3 D2–D5, D7).

    One compiled sweep (methods × graphs). Metropolis weights are doubly stochastic (uniform π);
    the uniform-weight star (the paper's 1/|A_i|) uses its stationary π (D7).

    Returns:
      dict with ``config`` and ``runs``: one per (method, graph) with ``method``, ``graph``,
      ``mixing``, ``label``, ``pi_weighted``, ``lam``, ``R``, ``L``, ``rho`` (λ(1+ηL)^E),
      ``closed_form_valid``, ``e`` (T+1 measured e_0..e_T, π-form), ``e_uniform`` (√Ξ_t with
      1/N weights), ``d2``, ``stepwise``, ``closed_form`` (bounds on e_1..e_T; ``closed_form``
      NaN where ρ ≥ 1) and ``ratio`` (max measured/bound per bound); ``max_ratio`` (per bound,
      over the runs).
    """
    from sims import consensus as cb

    n, d, c = int(preset.n_clients), int(preset.d), int(preset.c)
    methods = tuple(preset.methods)
    eng = EngineConfig(
        method="cl",  # population mode: the loss is −tr(W X_i Wᵀ) + ½‖WᵀW‖² for the X_i given
        framework="decl",
        n_clients=n,
        d=d,
        c=c,
        lr=float(preset.lr),
        local_steps=int(preset.local_steps),
        rounds=int(preset.rounds),
        population=True,
        record_local=True,
        init_scale=float(preset.init_scale),
    )
    model = DataModel(d=d, n_clients=n)
    targets = {m: objectives.population_targets(model, m, p=float(preset.p)) for m in methods}
    mixings = []
    for graph, rule in CONSENSUS_GRAPHS:
        kw = {}
        if graph == "erdos_renyi":
            kw = {"avg_degree": float(preset.avg_degree), "seed": int(preset.graph_seed)}
        mixings.append(topology.mixing_matrix(rule, topology.make_graph(graph, n, **kw)))
    pis = [_stationary(m) for m in mixings]
    pairs = [(m, g) for m in methods for g in range(len(mixings))]
    prob = make_problem(eng, targets[methods[0]], mixing=mixings[0])
    axes = jax.tree.map(lambda _: None, prob)._replace(targets=0, mixing=0, pi=0)
    probs = prob._replace(
        targets=jnp.asarray(np.stack([targets[m] for m, _ in pairs])),
        mixing=jnp.asarray(np.stack([mixings[g] for _, g in pairs])),
        pi=jnp.asarray(np.stack([pis[g] for _, g in pairs])),
    )
    keys = jnp.stack([key_tree(int(preset.seed))["root"]] * len(pairs))
    _, traces = sweep(eng, probs, keys, axes=axes)
    iterates = np.asarray(traces["local_iterates"])
    xi = np.asarray(traces["consensus_distance"])
    runs = []
    for k, (method, g) in enumerate(pairs):
        graph, rule = CONSENSUS_GRAPHS[g]
        res = cb.decl_bounds(iterates[k], mixings[g], targets[method], lr=eng.lr, pi=pis[g])
        e0_uniform = float(cb.consensus_distance(iterates[k, 0, :, 0]))
        runs.append(
            {
                "method": method,
                "graph": graph,
                "mixing": rule,
                "label": f"{graph} ({rule})",
                "pi_weighted": bool(not np.allclose(pis[g], 1.0 / n, atol=1e-12)),
                "lam": res["lam"],
                "R": res["R"],
                "L": res["L"],
                "rho": res["rho"],
                "closed_form_valid": res["closed_form_valid"],
                "e": res["e"].tolist(),
                "e_uniform": [e0_uniform] + np.sqrt(xi[k]).tolist(),
                "d2": res["d2"].tolist(),
                "stepwise": res["stepwise"].tolist(),
                "closed_form": res["closed_form"].tolist(),
                "ratio": res["ratio"],
            }
        )
    worst = {
        b: float(np.nanmax([r["ratio"][b] for r in runs]))
        if any(np.isfinite(r["ratio"][b]) for r in runs)
        else float("nan")
        for b in ("d2", "stepwise", "closed_form")
    }
    return {
        "config": {**preset.to_json(), "graphs": CONSENSUS_GRAPHS},
        "runs": runs,
        "max_ratio": worst,
    }
