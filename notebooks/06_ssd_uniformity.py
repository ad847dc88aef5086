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
import functools

import jax
import jax.random as jr
import matplotlib.pyplot as plt
import numpy as np
from _interactive import (
    PALETTE,
    TRACK_B,
    TRACK_C,
    choice,
    fast_mode,
    footer,
    interact,
    linear,
    train_paper_model,
)

from sims import losses, metrics
from theory import objectives, solve
from theory.datamodel import DataModel

FAST = fast_mode()

# %% [markdown]
# ## 1. DSR on random embeddings
#
# A shared random rotation Q and one block of scaled dimensions per client (docs/theory/ssd.md
# §2.2); the penalty is the squared distance of each normalised embedding to its scaled copy.

# %%
Q, scales = losses.dsr_scales(4, 8, key=jr.PRNGKey(0), dtype=np.float32)  # z's dtype
z = jr.normal(jr.PRNGKey(1), (32, 8))
for k in range(4):
    paper = float(losses.dsr(z, Q, scales[k]))
    code = float(losses.dsr(z, Q, scales[k], form="code"))
    print(f"client {k}: DSR paper form = {paper:.4f}, code form = {code:.4f}")

# %% [markdown]
# ## 2. Encoders: the exact optimum (Track B) and FedAvg training (Track C)
#
# The mask ratio p of MIM and the dimension d are sliders below: one training run per value,
# cached (moving a slider back is instant). CL does not depend on p.

# %%
N, D, C = 4, 24, 8
D_CHOICES = (16, 24, 48)
TRAIN = {
    "samples": 128 if FAST else 512,
    "rounds": 40 if FAST else 300,
    "batch": 32,
}
LR = {"mim": 0.1, "cl": 0.02}


@functools.lru_cache(maxsize=32)
def encoders(p, d=D):
    """{(track, method): (c, d) encoder} for the exact FL optimum and the FedAvg-trained one,
    with the samples the trained ones saw (the same for every run at one d)."""
    model = DataModel(d=d, n_clients=N, c=C)
    out = {}
    for method in ("mim", "cl"):
        X = objectives.population_targets(model, method, **({"p": p} if method == "mim" else {}))
        out[("exact", method)] = solve.optima(X, C, local=False)["fl"]
        run = train_paper_model(
            method,
            N,
            d,
            c=C,
            p=p if method == "mim" else 0.75,
            lr=LR[method],
            init_scale=1.0 / np.sqrt(d),
            **TRAIN,
        )
        out[("trained", method)] = run.W
    return out, run.x


for (track, method), W in encoders(0.75)[0].items():
    with jax.enable_x64(True):  # the exact optima are float64
        r = np.asarray(metrics.representability_vector(W))[:N]
    print(f"{track:7s} {method:3s}: RV on e_1..e_N = {np.round(r, 3)}")

# %% [markdown]
# ## 3. Intra- and inter-client uniformity
#
# Left: the matrix U (diagonal: intra-client U_k; off the diagonal: inter-client U_ij) of the
# chosen encoder. Right: mean intra against mean inter for every encoder.


# %%
def uniformity_of(W, x, t):
    emb = np.einsum("cd,nmd->nmc", W, x)
    intra, inter = metrics.client_uniformity(emb, t)
    inter = np.asarray(inter)
    return np.asarray(intra), inter, inter[~np.eye(N, dtype=bool)].mean()


def draw_uniformity(t=2.0, encoder="trained mim", p=0.75, d=D):
    track, method = encoder.split()
    encs, x = encoders(p, d)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
    _, U, _ = uniformity_of(encs[(track, method)], x, t)
    # the colour scale spans the values drawn (they sit far inside [0, 2t]), each cell labelled
    lo, hi = float(np.min(U)), float(np.max(U))
    hi = hi if hi > lo else lo + 1e-12
    im = ax.imshow(U, cmap="viridis", vmin=lo, vmax=hi)
    for (i, j), u in np.ndenumerate(U):
        ax.text(j, i, f"{u:.3f}", ha="center", va="center", fontsize=8,
                color="white" if u < (lo + hi) / 2 else "black")  # fmt: skip
    ax.grid(False)
    ax.set_xticks(range(N))
    ax.set_yticks(range(N))
    ax.set_xlabel("client j")
    ax.set_ylabel("client i")
    ax.set_title(f"U_ij of the {encoder} encoder (diagonal: intra)")
    fig.colorbar(im, ax=ax, label=f"uniformity (scale: the values drawn; bound 2t = {2 * t:g})")
    styles = {  # Track B over Track C where they meet
        ("exact", "mim"): {**TRACK_B, "zorder": 4},
        ("exact", "cl"): {**TRACK_B, "mfc": "white", "zorder": 4},
        ("trained", "mim"): TRACK_C,
        ("trained", "cl"): {**TRACK_C, "color": PALETTE[3]},
    }
    for (tr, m), W in encs.items():
        intra, _, inter = uniformity_of(W, x, t)
        track = "Track B" if tr == "exact" else "Track C"
        ax2.plot([intra.mean()], [inter], label=f"{track}: {tr} {m}", **styles[(tr, m)])
    ax2.set_xlim(0.0, 2.0 * t)
    ax2.set_ylim(0.0, 2.0 * t)
    ax2.set_xlabel("mean intra-client uniformity U_k")
    ax2.set_ylabel("mean inter-client uniformity U_ij (i ≠ j)")
    ax2.set_title("exact (Track B) and trained (Track C) encoders")
    ax2.legend(loc="upper left")
    fig.suptitle(f"Uniformity of the clients' representations, temperature t = {t:g}")
    footer(
        fig,
        f"N = {N}, d = {d}, c = {C}, MIM mask ratio p = {p:g}, {x.shape[1]} samples per client, "
        f"FedAvg {TRAIN['rounds']} rounds × 2 local steps, one seed",
    )


interact(
    draw_uniformity,
    t=linear(2.0, 0.5, 8.0, 0.5, "temperature t"),
    encoder=choice("trained mim", [f"{tr} {m}" for tr, m in encoders(0.75)[0]], "encoder"),
    p=linear(0.75, 0.05, 0.95, 0.05, "mask ratio p (MIM)"),
    d=choice(D, D_CHOICES, "dimension d"),
)

# %% [markdown]
# The exact MIM optimum has rank one on the client axes (docs/theory/mask_expectation.md §3):
# every embedding lies near one line, so its uniformity is low both within and across clients.
# CL represents every client axis and spreads the clients apart.
