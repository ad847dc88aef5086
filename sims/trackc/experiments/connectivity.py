r"""Fig. 2a and Table 6 of arXiv 2607.02447 (Section 6) redone with linear encoders: DecL MIM
over graphs of increasing average connectivity :math:`\lvert\bar A\rvert` and under four
mixing rules, each with its FL reference, and Track B's exact optimum of the
stationary-weighted objective (Eq. 1 with exact weights) next to the trained runs."""

from __future__ import annotations

import dataclasses
import time

import numpy as np

from sims.core.config import key_tree
from sims.core.problem import make_problem
from sims.trackc import presets
from sims.trackc.experiments._common import (
    _aggregate,
    _client_targets,
    _consensus,
    _engine_config,
    _exact_row,
    _measure,
    _paper_data,
    _partition,
    _probe_references,
    _spectral_row,
    _sweep_mixings,
)
from theory import objectives, solve, topology
from theory.datamodel import DataModel

__all__ = ["fig2a", "table6"]


# ---------------------------------------------------------------------------------------------
# Fig. 2a


def fig2a(preset: presets.Fig2aPreset = presets.FIG2A) -> dict:
    r"""Fig. 2a in the linear setting: DecL MIM over graphs of increasing
    :math:`\lvert\bar A\rvert`, and the FL reference.

    Returns:
      dict with ``config``; ``rows`` (one per graph: family ∈ {general, uniform, complete},
      abar_nominal, abar (realised), lambda2, contraction, effective_neighbours, degree_min/max,
      the Track B keys (pi_spread, exact_s_N_decl, exact_angle_to_fl,
      zeta_sq, exact_probe), and seed means ± SE of s_N, rv_mean_N, probe, angle_to_fl,
      consensus_distance); ``fl`` (s_N, rv_mean_N, probe with SEs, clients_per_round; the
      complete-graph row); ``probe_reference`` (chance :math:`1/K`, the majority-class share and
      the probe on the raw input); ``seconds``.
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
    r"""Table 6 in the linear setting: DecL MIM under four mixing rules at
    :math:`\lvert\bar A\rvert \approx 5` and :math:`\approx 10`.

    Returns:
      dict with ``config``; ``rows`` (avg_degree, mixing, abar, lambda2, contraction,
      effective_neighbours, the Track B keys on the clients' empirical
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
            w = topology.mixing_matrix(name, adj, sizes=sizes.astype(np.float64), any_graph=True)
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
