# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Connectivity: Corollary 4.5 and Theorem 4.6, with λ and effective neighbours
#
# The paper's DecL bounds depend on the graph only through the average neighbourhood size
# |Ā| (self included), via the factor 1 − 1/|Ā|: more connectivity, smaller sensitivity
# (Corollary 4.5), and FL (|Ā| = N) is the best case (Theorem 4.6). The exact DecL objective of
# Eq. (1) depends on the graph only through the weights π_j = (column sum j of the mixing
# matrix)/N, which are all 1/N on regular graphs (docs/theory/decl_weights.md §2). The training
# dynamics depend on the spectrum of the mixing matrix: the contraction factor λ, the spectral
# gap 1 − λ and the effective number of neighbours n_W(γ) (docs/theory/consensus.md §6). This
# notebook puts all of them on one axis, |Ā|, with encoders trained by DecL on every graph
# (Track C).

# %%
import functools

import jax
import jax.random as jr
import matplotlib.pyplot as plt
import numpy as np
from _interactive import (
    PALETTE,
    TRACK_A,
    TRACK_B,
    TRACK_C,
    choice,
    engine,
    fast_mode,
    footer,
    integer,
    interact,
    linear,
    log,
)

from sims import data, metrics
from sims.core.problem import make_problem
from sims.trackc.engine_config import EngineConfig
from theory import bounds, objectives, solve, spectral, topology
from theory.datamodel import DataModel

FAST = fast_mode()
D_EXACT = 100 if FAST else 200
ROUNDS = 40 if FAST else 400

# %% [markdown]
# ## The graphs
#
# Ring, star, complete, and the official code's generator (a random spanning tree plus edges
# up to an average degree k) for several k.


# %%
def graphs(n_clients):
    """(name, keyword arguments of ``topology.make_graph``) of the graphs on ``n_clients``."""
    out = [("ring", {}), ("star", {}), ("complete", {})]
    return out + [
        ("paper_code", {"avg_degree": float(k), "seed": 0}) for k in range(2, n_clients - 1, 2)
    ]


def graph_table(n_clients, mixing, gamma):
    rows = []
    model = DataModel(d=D_EXACT, n_clients=n_clients)
    targets = {m: objectives.population_targets(model, m) for m in ("mim", "cl")}
    for name, kw in graphs(n_clients):
        a = topology.make_graph(name, n_clients, **kw)
        W = topology.mixing_matrix(mixing, a)
        pi = np.asarray(spectral.objective_weights(W))
        row = {
            "graph": name + (f" k={kw['avg_degree']:g}" if kw else ""),
            "abar": float(spectral.avg_connectivity(a)),
            "lambda": float(spectral.contraction(W)),
            "n_eff": float(spectral.effective_neighbours(W, gamma)),
            "pi_spread": float(pi.max() - pi.min()),
        }
        for method, X in targets.items():
            opt = solve.optima(X, model.c, decl_weights=pi, local=False)
            r = solve.representability_vector(opt["decl"])[:n_clients]
            row[f"gap_{method}"] = 1 - r.min()
        rows.append(row)
    return rows


print(f"{'graph':>16s} {'|Ā|':>6s} {'λ':>7s} {'n_W(.9)':>8s} {'π spread':>9s}", end="")
print(f" {'MIM gap':>8s} {'CL gap':>8s}")
for row in graph_table(8, "uniform", 0.9):
    print(
        f"{row['graph']:>16s} {row['abar']:6.2f} {row['lambda']:7.3f} {row['n_eff']:8.2f} "
        f"{row['pi_spread']:9.4f} {row['gap_mim']:8.4f} {row['gap_cl']:8.2e}"
    )

# %% [markdown]
# ## Track C: DecL training on every graph
#
# MIM with sampled masks, trained by D-PSGD (adapt-then-combine gossip with the chosen mixing
# matrix) on every graph of the table; the gap 1 − min_k r_k of the clients' average encoder.
# One compilation per N (the mixing matrix is data, not a shape), one set of runs per (N,
# mixing rule), cached: moving a slider back is instant.


# %%
@functools.lru_cache(maxsize=16)
def trained_gaps(n_clients, mixing):
    """1 − min_k r_k of the average DecL-trained MIM encoder, per graph of :func:`graphs`."""
    model = DataModel(d=D_EXACT, n_clients=n_clients)
    cfg = EngineConfig(
        method="mim",
        framework="decl",
        n_clients=n_clients,
        d=D_EXACT,
        c=model.c,
        rounds=ROUNDS,
        batch=32,
        local_steps=2,
        lr=0.05,
    )
    x, _ = data.sample_paper_model(model, 128 if FAST else 1024, key=jr.PRNGKey(0))
    targets = objectives.population_targets(model, "mim")
    gaps = []
    for name, kw in graphs(n_clients):
        W = topology.mixing_matrix(mixing, topology.make_graph(name, n_clients, **kw))
        with jax.enable_x64(True):  # the engine computes in float64 (its dtype default)
            problem = make_problem(cfg, targets, x=np.asarray(x), mixing=W)
            state, _ = engine(cfg).run(problem, key=jr.PRNGKey(1))
            r = np.asarray(metrics.representability_vector(np.asarray(state.params).mean(0)))
        gaps.append(1.0 - float(r[:n_clients].min()))
    return np.array(gaps)


print("trained DecL gap (N = 8, uniform):", np.round(trained_gaps(8, "uniform"), 3))

# %% [markdown]
# ## Corollary 4.5 and Theorem 4.6 against the exact model and the spectrum


# %%
def draw_connectivity(
    n_clients=8, mixing="uniform", d=float(D_EXACT), p=0.75, c_num=1.0, gamma=0.9
):
    rows = graph_table(n_clients, mixing, gamma)
    abar = np.array([r["abar"] for r in rows])
    grid = np.linspace(2.0, n_clients, 100)
    s_dec = np.asarray(
        bounds.sensitivity("mim", "decl", d=d, p=p, n=n_clients, abar=grid, c_num=c_num)
    )
    s_fl = float(bounds.sensitivity("mim", "fl", d=d, p=p, n=n_clients, c_num=c_num))
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.6), layout="constrained")
    ax.plot(grid, s_dec, label="Track A: s_Dec^M (Cor 4.5)", **TRACK_A)
    ax.axhline(s_fl, color=TRACK_A["color"], ls=":", label="Track A: s_Fed^M (Thm 4.6)")
    ax.set_xlabel("average neighbourhood size |Ā| (self included)")
    ax.set_ylabel("Track A sensitivity 1 − LB")
    ax.set_title(f"the bound at d = {d:.3g}")
    ax_b = ax.twinx()
    ax_b.plot(  # drawn over the stars of Track C, which sit at the same |Ā|
        abar,
        [r["gap_mim"] for r in rows],
        label="Track B: exact DecL gap, MIM",
        zorder=4,
        **TRACK_B,
    )
    ax_b.plot(
        abar,
        [r["gap_cl"] for r in rows],
        label="Track B: exact DecL gap, CL",
        **{**TRACK_B, "mfc": "white"},
    )
    ax_b.plot(
        abar, trained_gaps(n_clients, mixing), label="Track C: DecL-trained gap, MIM", **TRACK_C
    )
    ax_b.set_ylabel(f"gap 1 − min r_k (B: exact, C: trained; d = {D_EXACT})")
    ax_b.set_ylim(-0.05, 1.05)
    ax_b.grid(False)
    lines = ax.get_legend_handles_labels()
    more = ax_b.get_legend_handles_labels()
    ax.legend(lines[0] + more[0], lines[1] + more[1], loc="center right", fontsize=8)

    ax2.plot(abar, [r["lambda"] for r in rows], "o", color=PALETTE[0], label="λ (contraction)")
    ax2.plot(abar, [1 - r["lambda"] for r in rows], "s", color=PALETTE[1], label="gap 1 − λ")
    ax2.plot(
        abar,
        [r["n_eff"] / n_clients for r in rows],
        "^",
        color=PALETTE[2],
        label=f"n_W(γ = {gamma:.2f}) / N",
    )
    ax2.plot(
        abar,
        [r["pi_spread"] * n_clients for r in rows],
        "d",
        color=PALETTE[3],
        label="N · (max π − min π)",
    )
    for r in rows:
        ax2.annotate(
            r["graph"],
            (r["abar"], r["lambda"]),
            fontsize=7,
            xytext=(3, 3),
            textcoords="offset points",
        )
    ax2.set_xlabel("average neighbourhood size |Ā| (self included)")
    ax2.set_ylabel("value")
    ax2.set_title(f"spectrum of the {mixing} mixing matrix")
    ax2.legend(loc="center right", fontsize=8)
    fig.suptitle("Connectivity: the paper's |Ā| against the exact objective and the spectrum")
    footer(
        fig,
        f"N = {n_clients}, mixing = {mixing}, p = {p}, C_num = {c_num:.3g}, "
        f"exact model and Track C at d = {D_EXACT}, c = 2N, paper_code graphs with seed 0, "
        f"Track C: {ROUNDS} rounds × 2 local steps, batch 32, lr 0.05, one seed",
    )


interact(
    draw_connectivity,
    n_clients=integer(8, 5, 16, "N"),
    mixing=choice("uniform", ("uniform", "metropolis", "max_degree"), "mixing rule"),
    d=log(float(D_EXACT), 1e2, 1e12, "d (Track A)"),
    p=linear(0.75, 0.05, 0.95, 0.05, "mask ratio p"),
    c_num=log(1.0, 1e-2, 1e2, "C_num"),
    gamma=linear(0.9, 0.0, 0.99, 0.01, "γ of n_W"),
)

# %% [markdown]
# On regular graphs (ring, complete) and with Metropolis weights on any graph, π is uniform and
# the exact DecL optimum is the FL optimum whatever |Ā| is; only irregular graphs with the
# paper's uniform weights spread π. The spectrum, by contrast, moves with the graph: λ falls
# and n_W rises with connectivity, which is where connectivity acts on training
# (docs/theory/consensus.md §3).
