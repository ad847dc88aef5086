r"""Time-varying mixing: a sequence of matrices :math:`W_0, W_1, \dots` applied one per round, and
its consensus contraction over a period (an extension of arXiv 2607.02447, whose Algorithm 2 mixes
with one fixed W; docs/theory/consensus.md §0).

* one-peer exponential graph (Ying, Yuan, Chen, Hu, Pan, Yin, "Exponential Graph is Provably
  Efficient for Decentralized Deep Training", NeurIPS 2021, arXiv 2110.13363; the time-varying
  exponential graph of Stochastic Gradient Push, Assran, Loizou, Ballas, Rabbat, ICML 2019,
  where each node sends to one peer per iteration, cycling through the powers of 2): with
  :math:`\tau = \lceil \log_2 N \rceil`, round t mixes by :math:`W_t` with
  :math:`w_{ii} = w_{ij} = \tfrac12` for :math:`j = (i + 2^{t \bmod \tau}) \bmod N` and 0
  elsewhere, so each node averages its model with one peer whose offset doubles every round.
  Every :math:`W_t` is doubly stochastic (a circulant), not symmetric. For N a power of 2 the
  product over a period, :math:`W_{\tau-1} \cdots W_0`, is exactly
  :math:`J = \mathbf{1}\mathbf{1}^\top/N` (Ying et al.'s periodic exact averaging): after τ rounds
  every node holds the exact average.
* the consensus contraction over a period of P matrices,
  :math:`\rho_P = \lVert W_{P-1} \cdots W_0 - J\rVert_2`, and its rate per round
  :math:`\rho_P^{1/P}`: for doubly-stochastic :math:`W_t`,
  :math:`(W_a - J)(W_b - J) = W_a W_b - J`, so the disagreement :math:`x - Jx` shrinks by at
  least :math:`\rho_P` every P rounds of pure mixing; with :math:`P = 1` this is the static
  :math:`\lambda = \lVert W - J\rVert_2` of :func:`theory.spectral.contraction`.

All functions are NumPy float64 on dense matrices (small N); the large-N product norm is
:func:`theory.sparse_graphs.product_contraction`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np

from theory import _validate as v
from theory.graph_params import exponential_offsets

__all__ = [
    "one_peer_offsets",
    "one_peer_exponential",
    "period_product",
    "PeriodContraction",
    "period_contraction",
    "window_contractions",
]


def one_peer_offsets(n: int) -> list[int]:
    r"""The peers' offsets :math:`2^p`, :math:`p = 0, \dots, \tau - 1`,
    :math:`\tau = \lceil \log_2 N \rceil`, of the one-peer exponential graph (round t uses offset
    number :math:`t \bmod \tau`).

    Example:
      >>> one_peer_offsets(8), one_peer_offsets(5)
      ([1, 2, 4], [1, 2, 4])
    """
    n = v.integer(n, "n", lo=2)
    return exponential_offsets(n)


def one_peer_exponential(n: int) -> np.ndarray:
    r"""The τ matrices of a period of the one-peer exponential graph (Ying et al. 2021):
    (τ, N, N) float64, :math:`W_p = (I + S^{2^p})/2` with :math:`(S^s)_{i, (i+s) \bmod N} = 1`.

    Example:
      >>> W = one_peer_exponential(4)
      >>> W.shape, W[1, 0].tolist()
      ((2, 4, 4), [0.5, 0.0, 0.5, 0.0])
    """
    offsets = one_peer_offsets(n)
    v.check_fits("n", n, 8 * len(offsets) * n * n, what="the dense one-peer matrices")
    out = np.zeros((len(offsets), n, n))
    i = np.arange(n)
    for p, s in enumerate(offsets):
        out[p, i, i] += 0.5
        out[p, i, (i + s) % n] += 0.5
    return out


def _sequence(mats: Any, field: str = "mats") -> np.ndarray:
    """A (P, N, N) stack of doubly-stochastic matrices, checked (one-line errors)."""
    given = v.float_dtype(mats)
    w = v.array(mats, field, ndim=3)
    if w.shape[0] < 1 or w.shape[1] != w.shape[2] or w.shape[1] < 1:
        v.fail(field, "a (P, N, N) stack of square matrices, P >= 1", f"shape {w.shape}")
    n = w.shape[1]
    for t in range(w.shape[0]):
        wt = w[t]
        if np.any(wt < 0):
            v.fail(f"{field}[{t}]", "entrywise >= 0", f"min entry {wt.min():.3g}")
        for axis, what in ((1, "row"), (0, "column")):
            v.sums_to_one(wt.sum(axis=axis), f"{field}[{t}]", dtype=given, n=n, what=what,
                          requirement=f"doubly stochastic ({what}s sum to 1)")  # fmt: skip
    return np.asarray(w, dtype=np.float64)


def period_product(mats: Any) -> np.ndarray:
    r""":math:`W_{P-1} \cdots W_0` of a (P, N, N) stack (round 0's matrix applied first).

    Example:
      >>> period_product(one_peer_exponential(4)).tolist()[0]
      [0.25, 0.25, 0.25, 0.25]
    """
    w = v.array(mats, "mats", ndim=3)
    out = np.eye(w.shape[1])
    for wt in np.asarray(w, dtype=np.float64):
        out = wt @ out
    return out


class PeriodContraction(NamedTuple):
    r""":math:`\rho_P = \lVert W_{P-1} \cdots W_0 - J\rVert_2`, the period P and the rate per round
    :math:`\rho_P^{1/P}`."""

    rho: float
    period: int
    per_round: float


def period_contraction(mats: Any) -> PeriodContraction:
    r"""The consensus contraction over a period of doubly-stochastic :math:`W_t` (module
    docstring): :math:`\rho_P = \lVert W_{P-1} \cdots W_0 - J\rVert_2` (dense spectral norm,
    float64) and :math:`\rho_P^{1/P}`.

    Args:
      mats: (P, N, N) the period's matrices, each doubly stochastic (one-line error otherwise).

    Example:
      >>> period_contraction(one_peer_exponential(8))
      PeriodContraction(rho=0.0, period=3, per_round=0.0)
    """
    w = _sequence(mats)
    n = w.shape[1]
    v.check_fits("mats", f"shape {w.shape}", 8 * 4 * n * n, what="the dense period product")
    rho = float(np.linalg.norm(period_product(w) - np.full((n, n), 1.0 / n), ord=2))
    return PeriodContraction(rho, int(w.shape[0]), rho ** (1.0 / w.shape[0]))


def window_contractions(mats: Any) -> np.ndarray:
    r""":math:`\rho(s) = \lVert W_{P-1} \cdots W_s - J\rVert_2` for :math:`s = 0, \dots, P - 1`
    (:math:`\rho(0) = \rho_P`): how much of the disagreement that enters at round s is left at
    the end of the window (the terms of :func:`sims.trackc.consensus.period_bound`). (P,)
    float64.

    Example:
      >>> window_contractions(one_peer_exponential(4)).round(12).tolist()
      [0.0, 1.0]
    """
    w = _sequence(mats)
    n = w.shape[1]
    j = np.full((n, n), 1.0 / n)
    out, prod = np.zeros(w.shape[0]), np.eye(n)
    for s in range(w.shape[0] - 1, -1, -1):
        prod = prod @ w[s]
        out[s] = np.linalg.norm(prod - j, ord=2)
    return out
