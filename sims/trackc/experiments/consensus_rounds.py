r"""The consensus distance of DecL runs over rounds against its derived bounds (an extension:
docs/theory/consensus.md §3 D2–D5, D7; the paper's theory, arXiv 2607.02447, uses neither
:math:`\lambda` nor :math:`\zeta^2`): one compiled sweep of population MIM and CL over ring,
torus, star and Erdős–Rényi graphs."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from sims.core.config import key_tree
from sims.core.engine import sweep
from sims.core.problem import make_problem
from sims.trackc import presets
from sims.trackc.engine_config import EngineConfig
from sims.trackc.experiments._common import _stationary
from theory import objectives, topology
from theory.datamodel import DataModel

__all__ = ["CONSENSUS_GRAPHS", "consensus"]


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


def _consensus_mixings(preset: presets.ConsensusPreset, n: int) -> list:
    """The mixing matrix of every (graph, rule) of :data:`CONSENSUS_GRAPHS` on N clients."""
    mixings = []
    for graph, rule in CONSENSUS_GRAPHS:
        kw = {}
        if graph == "erdos_renyi":
            kw = {"avg_degree": float(preset.avg_degree), "seed": int(preset.graph_seed)}
        adj = topology.make_graph(graph, n, **kw)
        mixings.append(topology.mixing_matrix(rule, adj, any_graph=True))
    return mixings


def _run_row(method: str, graph: str, rule: str, weighted: bool, res: dict, e_uniform) -> dict:
    """One (method, graph) run of :func:`consensus`: the measured e_t and its bounds."""
    return {
        "method": method,
        "graph": graph,
        "mixing": rule,
        "label": f"{graph} ({rule})",
        "pi_weighted": weighted,
        "lam": res["lam"],
        "R": res["R"],
        "L": res["L"],
        "rho": res["rho"],
        "closed_form_valid": res["closed_form_valid"],
        "e": res["e"].tolist(),
        "e_uniform": e_uniform,
        "d2": res["d2"].tolist(),
        "stepwise": res["stepwise"].tolist(),
        "closed_form": res["closed_form"].tolist(),
        "ratio": res["ratio"],
    }


def consensus(preset: presets.ConsensusPreset = presets.CONSENSUS) -> dict:
    r"""DecL on the paper's data model (population MIM and CL targets, full-batch local
    gradients) on ring, torus, star and Erdős–Rényi graphs: the measured consensus distance
    :math:`e_t` over rounds against its derived bounds (``sims.trackc.consensus``;
    docs/theory/consensus.md §3 D2–D5, D7).

    One compiled sweep (methods × graphs). Metropolis weights are doubly stochastic (uniform π);
    the uniform-weight star (the paper's :math:`1/\lvert A_i\rvert`) uses its stationary π (D7).

    Returns:
      dict with ``config`` and ``runs``: one per (method, graph) with ``method``, ``graph``,
      ``mixing``, ``label``, ``pi_weighted``, ``lam``, ``R``, ``L``, ``rho``
      (:math:`\lambda(1+\eta L)^E`), ``closed_form_valid``, ``e`` (:math:`T+1` measured
      :math:`e_0, \dots, e_T`, π-form), ``e_uniform`` (:math:`\sqrt{\Xi_t}` with :math:`1/N`
      weights), ``d2``, ``stepwise``, ``closed_form`` (bounds on :math:`e_1, \dots, e_T`;
      ``closed_form`` NaN where :math:`\rho \ge 1`) and ``ratio`` (max measured/bound per
      bound); ``max_ratio`` (per bound, over the runs).
    """
    from sims.trackc import consensus as cb

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
    targets = {
        m: objectives.population_targets(model, m, p=objectives.p_for(m, float(preset.p)))
        for m in methods
    }
    mixings = _consensus_mixings(preset, n)
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
        e_uniform = [e0_uniform] + np.sqrt(xi[k]).tolist()
        weighted = bool(not np.allclose(pis[g], 1.0 / n, atol=1e-12))
        runs.append(_run_row(method, graph, rule, weighted, res, e_uniform))
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
