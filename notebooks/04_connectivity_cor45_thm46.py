# ---
# jupyter:
#   jupytext:
#     formats: ipynb,py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
# ---

# %% [markdown]
# # Connectivity: Corollary 4.5 and Theorem 4.6, with λ2 and effective neighbours
#
# The paper's theory uses only the average connectivity |Ā|. The exact Eq. (1) objective
# depends on the graph through the weights π (equal to FL on regular graphs), and the
# optimisation dynamics through the spectrum of the mixing matrix (λ2, the gap, n_W(γ)).

# %%
import os

import numpy as np

from theory import objectives, solve, spectral, topology
from theory.datamodel import DataModel

FAST = os.environ.get("DSSL_FAST") == "1"
N = 8 if FAST else 12
d = 100 if FAST else 200
model = DataModel(d=d, n_clients=N)
targets = {m: objectives.population_targets(model, m) for m in ("mim", "cl")}
fl = {
    m: solve.sensitivity_N(
        solve.representability_vector(solve.eckart_young_np(x.mean(0), model.c)), N
    )
    for m, x in targets.items()
}
print(f"FL sensitivity over [N]: {fl}")

# %%
graphs = [("ring", {}), ("star", {}), ("complete", {})]
graphs += [("paper_code", {"avg_degree": float(k), "seed": 0}) for k in range(1, N - 1, 2)]
print(f"{'graph':>22s} {'|Ā|':>6s} {'λ2':>7s} {'gap':>7s} {'n_W(.9)':>8s}   s_Dec over [N]")
for name, kw in graphs:
    a = topology.make_graph(name, N, **kw)
    W = topology.mixing_matrix("uniform", a)
    pi = np.asarray(spectral.objective_weights(W))
    s = {
        m: solve.sensitivity_N(
            solve.representability_vector(
                solve.eckart_young_np(solve.global_target(x, pi), model.c)
            ),
            N,
        )
        for m, x in targets.items()
    }
    label = name + (f"(k={kw['avg_degree']:g})" if kw else "")
    print(
        f"{label:>22s} {float(spectral.avg_connectivity(a)):6.2f} "
        f"{float(spectral.lambda2(W)):7.3f} {float(spectral.spectral_gap(W)):7.3f} "
        f"{float(spectral.effective_neighbours(W, 0.9)):8.2f}   "
        + "  ".join(f"{m}={v:.4f}" for m, v in s.items())
    )
