r"""The DecL neighbourhood average of Eqs. (27)–(30), in the paper's own diagonal model.

Averaging the client targets of Eq. (18) over the neighbourhoods of a graph gives
:math:`\kappa[\tau^2 - (\tau^2 - 1)\pi_k]` on coordinate k, with π the Eq. (1) objective weights,
where Eqs. (29)–(30) of arXiv 2607.02447 write :math:`\kappa(1 - 1/|\bar A|)\tau^2` on every
coordinate (docs/theory/decl_weights.md).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory import _validate as v
from theory.symbolic.terms import kappa, p, tau


def _check_adjacency(adjacency) -> np.ndarray:
    from scipy.sparse.csgraph import connected_components

    a = v.array(adjacency, "adjacency", ndim=2)
    n = a.shape[0]
    if a.shape != (n, n) or n < 2:
        v.fail("adjacency", "a square N×N matrix with N >= 2", f"shape {a.shape}")
    if not np.all((a == 0) | (a == 1)):
        v.fail("adjacency", "a 0/1 matrix", "entries outside {0, 1}")
    if not np.array_equal(a, a.T):
        v.fail("adjacency", "symmetric", "a non-symmetric matrix")
    if np.any(np.diag(a) != 0):
        v.fail("adjacency", "zero on the diagonal (self is added by |A_i|)", "a non-zero diagonal")
    if connected_components(a != 0, directed=False, return_labels=False) != 1:
        v.fail("adjacency", "a connected graph (Assumption A.1)", "a disconnected graph")
    return a.astype(int)


def paper_client_diagonal(n: int, client: int) -> list[sp.Expr]:
    r"""Leading diagonal of :math:`\mathbb{E}[X_{\mathrm{client}}^M]` on :math:`e_1, \dots, e_N`
    in the paper's model (Eq. 18).

    :math:`\kappa\tau^2` on every coordinate :math:`k \ne \mathrm{client}`, κ on the client's own
    axis (:math:`O(d^{-2/5})` dropped).
    """
    return [kappa() if k == client else kappa() * tau**2 for k in range(n)]


def decl_average(adjacency) -> list[sp.Expr]:
    r""":math:`\frac1N \sum_i \frac{1}{|A_i|} \sum_{j\in A_i} X_j` on :math:`e_1, \dots, e_N`,
    derived by averaging (Eqs. 25–30).

    Uses :func:`paper_client_diagonal` for every :math:`X_j` and exact Rationals :math:`1/|A_i|`.
    """
    a = _check_adjacency(adjacency)
    n = a.shape[0]
    out = [sp.Integer(0)] * n
    for i in range(n):
        hood = [i, *map(int, np.flatnonzero(a[i]))]
        w = sp.Rational(1, n * len(hood))
        for j in hood:
            xj = paper_client_diagonal(n, j)
            out = [o + w * e for o, e in zip(out, xj, strict=True)]
    return [sp.factor(sp.expand(e)) for e in out]


def objective_weights(adjacency) -> list[sp.Rational]:
    r""":math:`\pi_k = \frac1N \sum_{i:\, k\in A_i} 1/|A_i|` (docs/theory/decl_weights.md §2), exact
    Rationals."""
    a = _check_adjacency(adjacency)
    n = a.shape[0]
    size = a.sum(axis=1) + 1
    return [
        sp.Rational(1, n) * sum(sp.Rational(1, int(size[i])) for i in range(n) if i == k or a[i, k])
        for k in range(n)
    ]


def check_eq29_30(adjacency, *, p_value=None, d_value=10**5) -> dict:
    r"""Check Eqs. (29)–(30): the DecL average vs the paper's :math:`\kappa(1 - 1/|\bar A|)\tau^2`.

    Exact (averaged in the paper's own diagonal model): coordinate
    :math:`k \mapsto \kappa[\tau^2 - (\tau^2 - 1)\pi_k]`. Paper:
    :math:`\kappa(1 - 1/|\bar A|)\tau^2` for all N coordinates. Spec §4.8(c).

    Args:
      adjacency: (N, N) symmetric 0/1 array, zero diagonal, connected;
        :math:`|A_i| = \mathrm{degree} + 1`.
      p_value, d_value: where the numeric differences are evaluated (:math:`\tau = d^{1/5}`);
        p_value defaults to 3/4.

    Returns:
      dict: ``exact`` / ``paper`` (entries as strings in p, tau), ``pi``, ``abar``,
      ``mean_inv_size`` (:math:`\frac1N \sum_i 1/|A_i|`, the paper's Eq. 30 uses it as
      :math:`1/|\bar A|`), ``inv_abar``, ``equal`` (symbolic), ``matches_pi_formula``,
      ``leading_exact`` / ``leading_paper`` (coefficients of :math:`\kappa\tau^2`),
      ``equal_leading``, ``max_abs_diff`` / ``max_rel_diff`` at
      (p_value, d_value), ``regular``.

    Example:
      >>> ring = [[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]
      >>> check_eq29_30(ring)["pi"]
      ['1/4', '1/4', '1/4', '1/4']
    """
    a = _check_adjacency(adjacency)
    n = a.shape[0]
    p_value = sp.Rational(3, 4) if p_value is None else sp.nsimplify(p_value)
    if not (0 < p_value < 1):
        v.fail("p_value", "in (0, 1)", p_value)
    d_value = sp.nsimplify(v.real(d_value, "d_value", lo=1))
    size = a.sum(axis=1) + 1
    abar_val = sp.Rational(int(size.sum()), n)
    pi = objective_weights(a)
    exact = decl_average(a)
    formula = [kappa() * (tau**2 - (tau**2 - 1) * pk) for pk in pi]
    paper = [kappa() * (1 - 1 / abar_val) * tau**2 for _ in range(n)]
    lead_exact = [sp.simplify(sp.expand(e).coeff(tau, 2) / kappa()) for e in exact]
    lead_paper = [sp.simplify(sp.expand(e).coeff(tau, 2) / kappa()) for e in paper]
    subs = {p: p_value, tau: d_value ** sp.Rational(1, 5)}
    ex_num = np.array([float(e.subs(subs)) for e in exact])
    pa_num = np.array([float(e.subs(subs)) for e in paper])
    mean_inv = sp.Rational(1, n) * sum(sp.Rational(1, int(s)) for s in size)
    return {
        "n": n,
        "sizes": [int(s) for s in size],
        "abar": str(abar_val),
        "pi": [str(x) for x in pi],
        "sum_pi": str(sum(pi)),
        "mean_inv_size": str(mean_inv),
        "inv_abar": str(1 / abar_val),
        "exact": [str(e) for e in exact],
        "paper": [str(e) for e in paper],
        "matches_pi_formula": all(
            sp.simplify(e - f) == 0 for e, f in zip(exact, formula, strict=True)
        ),
        "equal": all(sp.simplify(e - q) == 0 for e, q in zip(exact, paper, strict=True)),
        "leading_exact": [str(x) for x in lead_exact],
        "leading_paper": [str(x) for x in lead_paper],
        "equal_leading": all(
            sp.simplify(x - y) == 0 for x, y in zip(lead_exact, lead_paper, strict=True)
        ),
        "p_value": str(p_value),
        "d_value": str(d_value),
        "exact_numeric": ex_num.tolist(),
        "paper_numeric": pa_num.tolist(),
        "max_abs_diff": float(np.max(np.abs(ex_num - pa_num))),
        "max_rel_diff": float(np.max(np.abs(ex_num - pa_num) / np.abs(ex_num))),
        "regular": bool(np.all(size == size[0])),
    }
