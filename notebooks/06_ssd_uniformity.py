# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # SSD: uniformity of representations across clients
#
# Intra-client uniformity U_k and inter-client uniformity U_ij (Wang & Isola's −log E e^{−t‖z−z′‖²}
# on normalised embeddings) measure how spread out and how mixed the clients' representations
# are. We compute them for encoders trained with MIM and CL in FL, and show SSD's
# dimension-scaled regulariser (DSR) on random embeddings.

# %%
import os

import jax.random as jr
import numpy as np

from sims import data, losses, metrics
from sims.config import EngineConfig
from sims.engine import make_engine, make_problem
from theory import objectives
from theory.datamodel import DataModel

FAST = os.environ.get("DSSL_FAST") == "1"

# %% [markdown]
# ## DSR on random embeddings

# %%
Q, scales = losses.dsr_scales(4, 8, key=jr.PRNGKey(0))
z = jr.normal(jr.PRNGKey(1), (32, 8))
for k in range(4):
    print(f"client {k}: DSR (paper form) = {float(losses.dsr(z, Q, scales[k])):.4f}")

# %% [markdown]
# ## Uniformity of trained encoders

# %%
N, d, c = 4, 24, 8
model = DataModel(d=d, n_clients=N, c=c)
x, _ = data.sample_paper_model(model, 128 if FAST else 512, key=jr.PRNGKey(1))
x = np.asarray(x)
rng = np.random.default_rng(0)
rounds = 20 if FAST else 200
for method in ("mim", "cl"):
    cfg = EngineConfig(
        method=method, framework="fl", n_clients=N, d=d, c=c, rounds=rounds, batch=32, lr=0.05
    )
    problem = make_problem(cfg, objectives.population_targets(model, method), x=x)
    state, _ = make_engine(cfg).run(problem, key=jr.PRNGKey(2))
    W = np.asarray(state.params).mean(0)
    emb = np.einsum("cd,nmd->nmc", W, x)
    noisy = np.einsum("cd,nmd->nmc", W, x + 0.1 * rng.standard_normal(x.shape))
    intra, inter = metrics.client_uniformity(emb)
    off = np.asarray(inter)[~np.eye(N, dtype=bool)]
    print(
        f"{method:4s}: intra U_k = {np.round(np.asarray(intra), 3)}  "
        f"mean inter U_ij = {off.mean():.3f}  "
        f"alignment(x, x + 0.1ξ) on client 1 = {float(metrics.alignment(emb[0], noisy[0])):.4f}"
    )
