# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # MIM vs CL (Theorem 4.4): bound tightness vs d
#
# The paper's sensitivities give s^C / s^M = Θ(d^{1/5}). We evaluate the Track A bounds on a
# wide d grid (one jitted call), fit the slope, and compare with the exact model's
# 1 − min_k r_k at the d where the exact optimum is computable.

# %%
import os

import numpy as np

from sims import reproduce
from theory import bounds

FAST = os.environ.get("DSSL_FAST") == "1"
d = np.logspace(2, 12, 21 if FAST else 61)
s = bounds.sensitivities(d=d, p=0.75, n=4.0)
ratio = s["cl_similar"]["fl"] / s["mim"]["fl"]
big = d >= 1e8
slope = np.polyfit(np.log(d[big]), np.log(ratio[big]), 1)[0]
print(f"fitted slope of log(s^C/s^M) vs log d for d >= 1e8: {slope:.4f} (Thm 4.4: 1/5)")
for k in range(0, len(d), max(1, len(d) // 6)):
    print(
        f"d = {d[k]:9.3g}   s^M = {s['mim']['fl'][k]:.3e}   s^C = {s['cl_similar']['fl'][k]:.3e}"
        f"   ratio = {ratio[k]:.3f}"
    )

# %% [markdown]
# ## The exact model at computable d (the same computation as `dssl reproduce`)

# %%
config = dict(reproduce.TRACK_A_FAST if FAST else reproduce.TRACK_A_CONFIG)
config["exact_d"] = [100, 200] if FAST else [100, 200, 400, 800]
exact = reproduce.exact_vs_d(config)
for rec in exact["records"]:
    row = {m: round(v["fl"]["gap_N"], 4) for m, v in rec["methods"].items()}
    print(f"d = {rec['d']:5d}   FL 1 - min r over [N]: {row}")
