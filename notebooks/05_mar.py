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
# # MAR: MIM + γ_t · A-MMD (Section 5, Eqs. 5–7)
#
# The paper's remedy for client drift adds to each client's MIM loss an alignment term between
# its embeddings and the global ones, A-MMD (Eq. 6), weighted by a cosine schedule γ over the
# number of times the client has taken part (Eq. 7). docs/theory/mar.md derives both and lists
# how the released code differs. This notebook shows the schedule and the A-MMD with sliders,
# then trains MIM and MAR with FedAvg on the paper's data model (Track C) and compares them with
# the exact optimum of the MIM objective (Track B) and Theorem 4.2's bound (Track A).

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
    interact,
    linear,
    log,
)

from sims import data, losses, metrics
from sims.core.problem import make_problem
from sims.trackc.engine_config import EngineConfig
from theory import bounds, objectives, solve
from theory.datamodel import DataModel

FAST = fast_mode()

# %% [markdown]
# ## 1. The γ schedule (Eq. 7)
#
# γ decays from γ_max to γ_min over the first Ω participations and stays there (the ratio ω/Ω
# is clipped at 1, as in the released code; the printed formula would rise again).


# %%
def draw_schedule(gamma_max=0.1, gamma_min=1e-3, omega=10.0):
    counts = np.arange(0, int(2 * omega) + 1)
    with jax.enable_x64(True):  # the schedule is computed in float64
        gamma = losses.gamma_schedule(counts, omega, gamma_max, min(gamma_min, gamma_max))
        gamma = np.asarray(gamma)
    fig, ax = plt.subplots(layout="constrained")
    ax.plot(counts, gamma, "o-", color=PALETTE[0], label="γ (clipped at ω = Ω)")
    ax.axvline(omega, color="0.5", ls=":", label="Ω")
    ax.set_yscale("log")
    ax.set_xlabel("participations ω of the client")
    ax.set_ylabel("γ")
    ax.set_title("MAR weight γ over a client's participations (Eq. 7)")
    ax.legend()
    footer(fig, f"γ_max = {gamma_max:.3g}, γ_min = {gamma_min:.3g}, Ω = {omega:g}")


interact(
    draw_schedule,
    gamma_max=log(0.1, 1e-3, 1.0, "γ_max"),
    gamma_min=log(1e-3, 1e-5, 1e-1, "γ_min"),
    omega=linear(10.0, 1.0, 50.0, 1.0, "Ω"),
)

# %% [markdown]
# ## 2. A-MMD between two embedding sets (Eq. 6)
#
# Two Gaussian clouds of 64 points in 4 dimensions, the second shifted by a growing amount. The
# kernel is squared (the released code) or unsquared (the printed formula); the bandwidth is the
# mean pairwise distance without (Eq. 6) or with (the code) the zero diagonal.


# %%
KEY_A, KEY_B = jr.split(jr.PRNGKey(0))
Z = jr.normal(KEY_A, (64, 4))
Z_OTHER = jr.normal(KEY_B, (64, 4))


def draw_ammd(max_shift=3.0, squared="squared"):
    shifts = np.linspace(0.0, max_shift, 7)
    fig, ax = plt.subplots(layout="constrained")
    for bandwidth, color in (("mean", PALETTE[0]), ("mean-code", PALETTE[1])):
        values = [
            float(losses.ammd(Z, Z_OTHER + s, bandwidth=bandwidth, squared=squared == "squared"))
            for s in shifts
        ]
        ax.plot(shifts, values, "o-", color=color, label=f"bandwidth = {bandwidth}")
    ax.axhline(0.0, color="0.5", lw=0.8)
    ax.set_xlabel("mean shift between the two sets")
    ax.set_ylabel("A-MMD")
    ax.set_title(f"A-MMD against the distance between two embedding sets ({squared} kernel)")
    ax.legend()
    footer(fig, "B = B̄ = 64 points in 4 dimensions, N(0, I) and N(shift·1, I)")


interact(
    draw_ammd,
    max_shift=linear(3.0, 0.5, 6.0, 0.5, "largest shift"),
    squared=choice("squared", ("squared", "unsquared"), "kernel"),
)

# %% [markdown]
# ## 3. Track C: FedAvg with MIM and with MAR
#
# The engine computes in float64 (its `dtype` default), which JAX grants inside
# `jax.enable_x64(True)`; outside the block the session keeps its own setting. The sliders move
# the mask ratio p, the dimension d (the bound of Theorem 4.2 depends on it) and the ends of
# MAR's γ schedule; one run per slider value, cached (moving a slider back is instant). γ_max
# and γ_min are data of the run, not shapes, so changing them does not compile again; p and d
# do, once per value.

# %%
N, D, C = 4, 32, 8
D_CHOICES = (16, 32, 64)
ROUNDS = 30 if FAST else 300


@functools.lru_cache(maxsize=8)
def sample(d):
    """The paper's model at dimension d and its samples (the same key at every d)."""
    model = DataModel(d=d, n_clients=N, c=C)
    x, _ = data.sample_paper_model(model, 256 if FAST else 1024, key=jr.PRNGKey(1))
    return model, x


@functools.lru_cache(maxsize=64)
def train(method, p, gamma_max=0.1, gamma_min=1e-3, d=D):
    """RV on the client axes and the population-loss trace of the server model (Track C)."""
    model, x = sample(d)
    cfg = EngineConfig(
        method=method,
        framework="fl",
        n_clients=N,
        d=d,
        c=C,
        p=p,
        rounds=ROUNDS,
        batch=32,
        local_steps=2,
        lr=0.2,
        init_scale=1.0,
    )
    targets = objectives.population_targets(model, "mim", p=p)
    with jax.enable_x64(True):
        problem = make_problem(
            cfg, targets, x=np.asarray(x), gamma_max=gamma_max, gamma_min=min(gamma_min, gamma_max)
        )
        state, trace = engine(cfg).run(problem, key=jr.PRNGKey(2))
        W = np.asarray(state.params).mean(0)
        rv = np.asarray(metrics.representability_vector(W))[:N]
    return {"rv": rv, "loss": np.asarray(trace["loss_global"])}


@functools.lru_cache(maxsize=16)
def exact(p, d=D):
    """(loss, RV on the client axes) of the exact FL optimum of the MIM objective, and
    Theorem 4.2's FL lower bound at dimension d."""
    model, _ = sample(d)
    targets = objectives.population_targets(model, "mim", p=p)
    opt = solve.optima(targets, C, local=False)["fl"]
    with jax.enable_x64(True):
        best_loss = float(metrics.global_loss(opt, targets))
    rv = solve.representability_vector(opt)[:N]
    return best_loss, rv, float(bounds.lower_bound("mim", "fl", d=d, p=p, n=N))


for method in ("mim", "mar"):
    print(f"{method} (p = 0.75): RV on e_1..e_N = {np.round(train(method, 0.75)['rv'], 3)}")


# %%
def draw_training(p=0.75, gamma_max=0.1, gamma_min=1e-3, d=D):
    runs = {"mim": train("mim", p, d=d), "mar": train("mar", p, gamma_max, gamma_min, d=d)}
    best_loss, exact_rv, lower = exact(p, d)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    for (method, run), color in zip(runs.items(), (PALETTE[5], PALETTE[3]), strict=True):
        ax.plot(np.arange(1, ROUNDS + 1), run["loss"], color=color, label=f"Track C: {method}")
    ax.axhline(best_loss, label="Track B: loss of the exact optimum", color="black", ls="--")
    ax.set_xlabel("round")
    ax.set_ylabel("population MIM loss of the server model")
    ax.set_title("training")
    ax.legend()
    ks = np.arange(1, N + 1)
    for (method, run), shift, color in zip(
        runs.items(), (-0.12, 0.12), (PALETTE[5], PALETTE[3]), strict=True
    ):
        ax2.plot(ks + shift, run["rv"], **{**TRACK_C, "color": color}, label=f"Track C: {method}")
    ax2.plot(ks, exact_rv, label="Track B: exact optimum", **TRACK_B)
    ax2.axhline(lower, label="Track A: Thm 4.2 FL lower bound", **TRACK_A)
    ax2.set_ylim(-0.02, 1.05)
    ax2.set_xticks(ks)
    ax2.set_xlabel("client axis k")
    ax2.set_ylabel("representability r_k")
    ax2.set_title("server model after training")
    ax2.legend(loc="center right")
    fig.suptitle("MIM and MAR under FedAvg against the exact optimum and Theorem 4.2")
    footer(
        fig,
        f"N = {N}, d = {d}, c = {C}, p = {p:g}, {ROUNDS} rounds × 2 local steps, batch 32, "
        f"lr 0.2, init scale 1, γ {gamma_max:.3g} → {min(gamma_min, gamma_max):.3g}, one seed",
    )


interact(
    draw_training,
    p=linear(0.75, 0.05, 0.95, 0.05, "mask ratio p"),
    gamma_max=log(0.1, 1e-3, 1.0, "γ_max"),
    gamma_min=log(1e-3, 1e-5, 1e-1, "γ_min"),
    d=choice(D, D_CHOICES, "dimension d"),
)

# %% [markdown]
# MAR pulls each client's embeddings towards the global ones. In the linear model both runs
# approach the loss of the exact MIM optimum, whose RV is 1/N on every client axis (the mean
# direction of the hollow target; docs/theory/mask_expectation.md §3), far below the bound.
