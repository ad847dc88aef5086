r"""Spectral quantities of mixing matrices (extension: arXiv 2607.02447's theory uses only
:math:`|\bar A|`).

Every numeric function here is ``jax.jit``-compiled, float64, and accepts one matrix
``(n, n)`` or a batch ``(b, n, n)`` (it then ``vmap``\ s internally); each can also be
``jax.vmap``\ ped by the caller. Shapes are checked at trace time; *values* are not checked
inside ``jit`` — run :func:`theory.topology.validate_mixing` first on untrusted input.

Definitions (toolkit convention :math:`x \leftarrow W x`, rows of W sum to 1; spec
docs/theory/consensus.md §0, §3 D7):

* π — stationary weights: the left Perron vector, :math:`\pi^\top W = \pi^\top`,
  :math:`\sum_i \pi_i = 1`.
* :math:`S = D_\pi^{1/2} W D_\pi^{-1/2}` — the π-symmetrised similar matrix. W is
  *reversible* (:math:`\pi_i W_{ij} = \pi_j W_{ji}`) iff S is symmetric; then the eigenvalues
  of W are real and equal to those of S. All rules in :data:`theory.topology.MIXINGS` give
  reversible W.
* λ = ``contraction(W)``
  :math:`:= \lVert D_\pi^{1/2}(W - \mathbf{1}\pi^\top)D_\pi^{-1/2}\rVert_2`, the one-step
  contraction of the disagreement :math:`x - \mathbf{1}(\pi^\top x)` in the π-weighted norm.
  For reversible W this equals :math:`\max(|\lambda_2|, |\lambda_N|)`; for doubly-stochastic
  W (:math:`\pi = 1/N`) it equals :math:`\lVert W - J\rVert_2`, which covers the non-reversible
  directed exponential graph of Ying et al. (there: :math:`\max_{k\neq 0}|\mathrm{eig}_k|`, as W
  is circulant).
* spectral gap :math:`\delta = 1 - \lambda`; Koloskova et al.'s :math:`p = 1 - \lambda^2`
  (tight for a fixed W, :math:`\tau = 1`).
* :math:`|A_i| = \deg_i + 1` (the client counts itself) and
  :math:`|\bar A| = \frac1N \sum_i |A_i|` (Section 3.1).
* Eq. (1) objective weights
  :math:`\pi^{\mathrm{obj}}_j = (\text{column sum } j \text{ of } W)/N`; with the paper's uniform
  W these are the weights the DecL objective puts on :math:`L_j` (docs/theory/decl_weights.md
  §2). They differ from the stationary π on irregular graphs.
* :math:`n_W(\gamma)` — effective number of neighbours of Vogels, Hendrikx & Jaggi (NeurIPS
  2022).

The unbatched kernels and argument checks are private helpers batched here; the exact closed
forms for named graphs (:func:`closed_form_eigenvalues`, :func:`closed_form_lambda`,
:func:`closed_form_effective_neighbours`) in :mod:`theory.spectral_closed_forms`, importable
from here.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from theory import _validate as v
from theory._precision import float64
from theory._spectral_cores import (
    GAMMA_MAX,
    _adjacency_core,
    _batch,
    _checked,
    _contraction,
    _contraction_with_pi,
    _effective_neighbours,
    _eigenvalues,
    _is_tracer,
    _matrix,
    _stationary,
    _stochasticity,
    _summary_core,
)
from theory.spectral_closed_forms import CLOSED_FORM_GRAPHS as CLOSED_FORM_GRAPHS
from theory.spectral_closed_forms import N_SYM as N_SYM
from theory.spectral_closed_forms import (
    closed_form_effective_neighbours as closed_form_effective_neighbours,
)
from theory.spectral_closed_forms import closed_form_eigenvalues as closed_form_eigenvalues
from theory.spectral_closed_forms import closed_form_lambda as closed_form_lambda

#: why γ stops short of 1 (named in the error message)
GAMMA_WHY = "closer to 1, float64 cannot resolve 1 - gamma for n_W"

# --------------------------------------------------------------------------------------------
# public, jitted
# --------------------------------------------------------------------------------------------


@_checked("mixing")
@float64
@jax.jit
def stationary_weights(W):
    r"""Stationary weights π: left Perron vector of W, :math:`\pi^\top W = \pi^\top`,
    :math:`\sum_i \pi_i = 1`.

    This is the weighting D-SGD with W actually optimises at consensus
    (docs/theory/consensus.md §3 D7);
    for the paper's uniform W, :math:`\pi_i \propto |A_i|`. Needs W irreducible (connected
    graph).

    Args: W (n, n) or (b, n, n), row-stochastic. Returns (n,) or (b, n).

    >>> from theory.topology import star, uniform_mixing
    >>> np.round(np.asarray(stationary_weights(uniform_mixing(star(4)))), 4).tolist()
    [0.4, 0.2, 0.2, 0.2]
    """
    return _batch(_stationary, _matrix(W))


@_checked("mixing")
@float64
@jax.jit
def objective_weights(W):
    r"""Eq. (1) weights :math:`\pi^{\mathrm{obj}}_j = \frac1N \sum_i W_{ij}` (column sums / N)
    of arXiv 2607.02447.

    With the paper's uniform W (:math:`w_{ij} = 1/|A_i|`),
    :math:`\sum_i \frac1N \frac{1}{|A_i|} \sum_{j\in A_i} L_j = \sum_j \pi^{\mathrm{obj}}_j L_j`
    (docs/theory/decl_weights.md §2). Equals :math:`1/N` for every doubly-stochastic W.

    Args: W (n, n) or (b, n, n). Returns (n,) or (b, n).

    >>> from theory.topology import star, uniform_mixing
    >>> np.asarray(objective_weights(uniform_mixing(star(4)))).tolist()
    [0.4375, 0.1875, 0.1875, 0.1875]
    """
    W = _matrix(W)
    return W.sum(axis=-2) / W.shape[-1]


@_checked("stochastic")
@float64
@jax.jit
def eigenvalues(W):
    r"""Real eigenvalues of a reversible W, descending
    (:math:`\lambda_1 = 1 \ge \lambda_2 \ge \dots \ge \lambda_N`).

    Computed as ``eigvalsh`` of the π-symmetrised similar matrix
    :math:`D_\pi^{1/2} W D_\pi^{-1/2}`.
    Returns NaN entries for a non-reversible W (its spectrum may be complex; use
    :func:`eigenvalues_complex`). Args: W (n, n) or (b, n, n). Returns (n,) or (b, n).
    """
    return _batch(_eigenvalues, _matrix(W))


def eigenvalues_complex(W) -> np.ndarray:
    """All (complex) eigenvalues of any square W, by descending modulus (NumPy, not jitted).

    For non-reversible matrices such as :func:`theory.topology.exponential_mixing`.
    """
    w = v.array(W, "W")
    if w.ndim != 2 or w.shape[0] != w.shape[1]:
        v.fail("W", "a square matrix (n, n)", f"shape {w.shape}")
    ev = np.linalg.eigvals(w)
    return ev[np.argsort(-np.abs(ev), kind="stable")]


@_checked("stochastic")
@float64
@jax.jit
def lambda2(W):
    r"""Second-largest eigenvalue :math:`\lambda_2` of a reversible W (NaN if W is not
    reversible).

    Args: W (n, n) or (b, n, n). Returns () or (b,).
    """
    return eigenvalues(W)[..., 1]


@_checked("stochastic")
@float64
@jax.jit
def lambda_min(W):
    r"""Smallest eigenvalue :math:`\lambda_N` of a reversible W (NaN if W is not reversible)."""
    return eigenvalues(W)[..., -1]


@_checked("mixing")
@float64
@jax.jit
def contraction(W):
    r"""Contraction factor
    :math:`\lambda = \lVert D_\pi^{1/2}(W - \mathbf{1}\pi^\top)D_\pi^{-1/2}\rVert_2 \in [0, 1]`.

    :math:`= \max(|\lambda_2|, |\lambda_N|)` for reversible W (all rules in MIXINGS), and
    :math:`= \lVert W - J\rVert_2` for
    doubly-stochastic W, including the non-reversible directed exponential graph
    (docs/theory/consensus.md §0). Not in the paper's theory: an extension
    (docs/theory/consensus.md, note at the top).

    Args: W (n, n) or (b, n, n), row-stochastic, irreducible. Returns () or (b,).

    >>> from theory.topology import ring, uniform_mixing
    >>> round(float(contraction(uniform_mixing(ring(6)))), 12)
    0.666666666667
    """
    return _batch(_contraction, _matrix(W))


@_checked("mixing")
@float64
@jax.jit
def spectral_gap(W):
    r"""Spectral gap :math:`\delta = 1 - \lambda` with λ = :func:`contraction`. Returns () or
    (b,)."""
    return _batch(lambda w: 1.0 - _contraction(w), _matrix(W))


@_checked("mixing")
@float64
@jax.jit
def koloskova_p(W):
    r"""Koloskova et al.'s consensus rate :math:`p = 1 - \lambda^2` for a fixed W
    (:math:`\tau = 1`; docs/theory/consensus.md §1)."""
    return _batch(lambda w: 1.0 - _contraction(w) ** 2, _matrix(W))


@_checked("adjacency", "adjacency")
@float64
@jax.jit
def connectivity(adjacency):
    r""":math:`|A_i| = \deg_i + 1`: neighbourhood size counting the client itself (Section 3.1).

    Args: adjacency (n, n) or (b, n, n), 0/1 with zero diagonal. Returns (n,) or (b, n).
    """
    a = _matrix(adjacency, "adjacency")
    return a.sum(axis=-1) + 1.0


@_checked("adjacency", "adjacency")
@float64
@jax.jit
def avg_connectivity(adjacency):
    r"""Average connectivity :math:`|\bar A| = \frac1N \sum_i |A_i|` (Assumption A.1).
    Returns () or (b,)."""
    return connectivity(adjacency).mean(axis=-1)


@jax.jit
def _effective_neighbours_jit(W, gamma):
    return _batch(_effective_neighbours, _matrix(W), jnp.asarray(gamma, dtype=jnp.float64))


@_checked("stochastic")
@float64
def effective_neighbours(W, gamma):
    r"""Effective number of neighbours :math:`n_W(\gamma)` of Vogels, Hendrikx & Jaggi
    (NeurIPS 2022).

    :math:`n_W(\gamma) = 1 / \big((1 - \gamma) \cdot \tfrac1n \operatorname{tr} C\big)`,
    :math:`C = \sum_{t\ge 0} \gamma^t W^{t+1}(W^{t+1})^\top` the stationary covariance of the
    random walk :math:`x \leftarrow W(\sqrt{\gamma}\, x + \xi)`, :math:`\xi \sim N(0, I)`
    (docs/theory/consensus.md §6, "mean" mode). For symmetric W:
    :math:`n_W = \frac{1/(1-\gamma)}{\frac1n \sum_k \lambda_k^2/(1 - \gamma\lambda_k^2)}`;
    :math:`n_W(0) = n/\lVert W\rVert_F^2`.

    Args: W (n, n) or (b, n, n); gamma in [0, 1 − 1e-6] (:data:`GAMMA_MAX`: closer to 1,
    float64 cannot resolve :math:`1 - \gamma` well enough). Returns () or (b,), in [1, n].
    """
    if not _is_tracer(gamma):
        gamma = v.real(gamma, "gamma", lo=0.0, hi=GAMMA_MAX, why=GAMMA_WHY)
    return _effective_neighbours_jit(W, gamma)


@float64
@jax.jit
def stochasticity(W):
    r"""Boolean properties of W: row / column / doubly stochastic, symmetric, nonnegative,
    primitive (irreducible and aperiodic: :math:`W^m > 0` for some m), reversible.

    Returns a dict of boolean arrays (shape () or (b,)).
    """
    return _batch(_stochasticity, _matrix(W))


@jax.jit
def _summary_jit(W, adjacency, gamma):
    out = _batch(_summary_core, W, gamma)
    if adjacency is not None:
        out.update(_adjacency_core(adjacency))
    return out


@_checked("mixing")
@float64
def summary(W, adjacency=None, gamma: float = 0.9) -> dict:
    r"""All quantities of this module for W (and its graph, if ``adjacency`` is given).

    Keys: n, eigenvalues, lambda2, lambda_min, lambda (= :func:`contraction`), spectral_gap,
    p, objective_weights, stationary_weights, effective_neighbours (at ``gamma``), gamma,
    row_stochastic, column_stochastic, doubly_stochastic, symmetric, primitive, reversible;
    with ``adjacency`` also degrees, mean_degree, connectivity (:math:`|A_i|`), avg_connectivity
    (:math:`|\bar A|`).
    Eigenvalue-based keys are NaN for a non-reversible W; ``lambda`` is always defined.

    Args: W (n, n) or (b, n, n); adjacency of the same shape or None; gamma in
    [0, 1 − 1e-6] (:func:`effective_neighbours`).
    """
    if not _is_tracer(gamma):
        gamma = v.real(gamma, "gamma", lo=0.0, hi=GAMMA_MAX, why=GAMMA_WHY)
    W = _matrix(W)
    if adjacency is not None:
        adjacency = _matrix(adjacency, "adjacency")
        if adjacency.shape != W.shape:
            v.fail("adjacency", f"of shape {W.shape} like W", f"shape {adjacency.shape}")
    out = dict(_summary_jit(W, adjacency, jnp.asarray(gamma, dtype=jnp.float64)))
    out["n"] = int(W.shape[-1])
    out["gamma"] = gamma
    return out


@_checked("mixing")
@float64
@jax.jit
def lambda_gap_pi(W):
    r"""(λ, :math:`\delta = 1 - \lambda`, π) in one pass: the stationary solve is shared. Batched
    like the rest."""

    def core(w):
        pi = _stationary(w)
        lam = _contraction_with_pi(w, pi)
        return lam, 1.0 - lam, pi

    return _batch(core, _matrix(W))
