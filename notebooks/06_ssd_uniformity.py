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
# # Uniformity of representations across clients (SSD)
#
# Intra-client uniformity U_k and inter-client uniformity U_ij (Wang and Isola's
# −log E exp(−t‖ẑ − ẑ′‖²) on normalised embeddings, larger is more uniform, at most 4 for
# t = 2) say how spread out each client's representations are and how well the clients' are
# mixed (docs/theory/ssd.md §1). SSD's soft separation (DSR) pushes each client towards its own
# scaled directions to raise the inter-client part. This notebook computes both for the exact
# optimum of each linear objective (Track B) and for encoders trained with FedAvg (Track C),
# with the temperature t on a slider.

# %%
import os

import jax.random as jr
import matplotlib.pyplot as plt
import numpy as np
from _interactive import PALETTE, choice, footer, interact, linear

import sims
from sims import data, losses, metrics
from theory import objectives, solve
from theory.datamodel import DataModel

FAST = os.environ.get("DSSL_FAST") == "1"

# %% [markdown]
# ## 1. DSR on random embeddings
#
# A shared random rotation Q and one block of scaled dimensions per client (docs/theory/ssd.md
# §2.2); the penalty is the squared distance of each normalised embedding to its scaled copy.

# %%
Q, scales = losses.dsr_scales(4, 8, key=jr.PRNGKey(0))
z = jr.normal(jr.PRNGKey(1), (32, 8))
for k in range(4):
    paper = float(losses.dsr(z, Q, scales[k]))
    code = float(losses.dsr(z, Q, scales[k], form="code"))
    print(f"client {k}: DSR paper form = {paper:.4f}, code form = {code:.4f}")

# %% [markdown]
# ## 2. Encoders: the exact optimum (Track B) and FedAvg training (Track C)

# %%
N, D, C = 4, 24, 8
model = DataModel(d=D, n_clients=N, c=C)
x, _ = data.sample_paper_model(model, 128 if FAST else 512, key=jr.PRNGKey(1))
x = np.asarray(x, np.float32)
LOSSES = {
    "mim": lambda w, batch, *, key: losses.mim(w, batch, 0.75, key=key),
    "cl": lambda w, batch, *, key: losses.cl_similar(w, batch, key=key),
}
encoders = {}
for method, loss in LOSSES.items():
    X = objectives.population_targets(model, method)
    encoders[("exact", method)] = solve.optima(X, C, local=False)["fl"]
    result = sims.run(
        loss,
        jr.normal(jr.PRNGKey(2), (C, D)) / np.sqrt(D),
        x,
        rounds=40 if FAST else 300,
        local_steps=2,
        batch_size=32,
        lr=0.1 if method == "mim" else 0.02,
        key=jr.PRNGKey(3),
    )
    encoders[("trained", method)] = np.asarray(result.global_params)
for (track, method), W in encoders.items():
    r = np.asarray(metrics.representability_vector(W))[:N]
    print(f"{track:7s} {method:3s}: RV on e_1..e_N = {np.round(r, 3)}")

# %% [markdown]
# ## 3. Intra- and inter-client uniformity
#
# Left: the matrix U (diagonal: intra-client U_k; off the diagonal: inter-client U_ij) of the
# chosen encoder. Right: mean intra against mean inter for every encoder.


# %%
def uniformity_of(W, t):
    emb = np.einsum("cd,nmd->nmc", W, x)
    intra, inter = metrics.client_uniformity(emb, t)
    inter = np.asarray(inter)
    return np.asarray(intra), inter, inter[~np.eye(N, dtype=bool)].mean()


def draw_uniformity(t=2.0, encoder="trained mim"):
    track, method = encoder.split()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    _, U, _ = uniformity_of(encoders[(track, method)], t)
    im = ax.imshow(U, cmap="viridis", vmin=0.0, vmax=2.0 * t)
    ax.grid(False)
    ax.set_xticks(range(N))
    ax.set_yticks(range(N))
    ax.set_xlabel("client j")
    ax.set_ylabel("client i")
    ax.set_title(f"U_ij of the {encoder} encoder (diagonal: intra)")
    fig.colorbar(im, ax=ax, label="uniformity (upper bound 2t)")
    names = [f"{tr} {m}" for tr, m in encoders]
    stats = [uniformity_of(W, t) for W in encoders.values()]
    pos = np.arange(len(names))
    ax2.bar(pos - 0.2, [s[0].mean() for s in stats], 0.4, color=PALETTE[0], label="mean intra U_k")
    ax2.bar(pos + 0.2, [s[2] for s in stats], 0.4, color=PALETTE[1], label="mean inter U_ij")
    ax2.set_xticks(pos)
    ax2.set_xticklabels(names)
    ax2.set_ylabel("uniformity")
    ax2.set_title("exact (Track B) and trained (Track C) encoders")
    ax2.legend()
    fig.suptitle(f"Uniformity of the clients' representations, temperature t = {t:g}")
    footer(fig, f"N = {N}, d = {D}, c = {C}, {x.shape[1]} samples per client, FedAvg, one seed")


interact(
    draw_uniformity,
    t=linear(2.0, 0.5, 8.0, 0.5, "temperature t"),
    encoder=choice("trained mim", [f"{tr} {m}" for tr, m in encoders], "encoder"),
)

# %% [markdown]
# The exact MIM optimum has rank one on the client axes (docs/theory/mask_expectation.md §3):
# every embedding lies near one line, so its uniformity is low both within and across clients.
# CL represents every client axis and spreads the clients apart.
