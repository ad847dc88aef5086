r"""The mask expectation of Eq. (4), computed exactly, beside the paper's diagonal Eq. (17).

Enumerates every mask of a k-dimensional symbolic x: the exact expectation is hollow,
:math:`p(1 - p)\big(x x^\top - \operatorname{diag}(x \circ x)\big)`, where Eq. (17) of arXiv
2607.02447 writes :math:`2p(1 - p)\cdot\operatorname{diag}(x \circ x)`; two independent masks give
:math:`p(1 - p)\cdot x x^\top` (docs/theory/mask_expectation.md).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import sympy as sp

from theory import _validate as v
from theory.symbolic.terms import kappa, p


def _mask_probability(bits: Sequence[int]) -> sp.Expr:
    # m_j = 1 means visible, P(m_j = 1) = 1 − p (paper §3.2: "sampling 0 with probability p").
    return sp.Mul(*[(1 - p) if b else p for b in bits])


def mask_expectation(k: int = 3, independent: bool = False) -> sp.Matrix:
    r""":math:`\mathbb{E}_m[\tfrac12(b a^\top + a b^\top)]` for :math:`a = x \odot m`,
    :math:`b = x \odot (1 - m)` (Eq. 4), by exact enumeration of masks.

    :math:`x = (x_1, \dots, x_k)` is symbolic; :math:`m_j \sim \mathrm{Bernoulli}(1 - p)`
    independently. With ``independent=True``, :math:`b = x \odot (1 - m')` with :math:`m'` an
    independent copy of m (a variant reader's reading of Eq. 4). Eq. (16)–(17) of arXiv
    2607.02447.

    Returns the :math:`k\times k` sympy matrix, entries factored.
    """
    k = v.integer(k, "k", lo=1, hi=6)
    x = sp.Matrix(sp.symbols(f"x1:{k + 1}", real=True))
    total = sp.zeros(k, k)
    masks = list(itertools.product((0, 1), repeat=k))
    pairs = itertools.product(masks, masks) if independent else ((m, m) for m in masks)
    for m, m2 in pairs:
        prob = _mask_probability(m) * (_mask_probability(m2) if independent else 1)
        a = sp.Matrix([x[j] * m[j] for j in range(k)])
        b = sp.Matrix([x[j] * (1 - m2[j]) for j in range(k)])
        total += prob * (b * a.T + a * b.T) / 2
    return total.applyfunc(sp.factor)


def paper_eq17_matrix(k: int = 3) -> sp.Matrix:
    r"""The paper's Eq. (17) for one sample:
    :math:`2p(1 - p)\cdot\operatorname{diag}(x)\operatorname{diag}(x)^\top`
    :math:`= 2p(1 - p)\cdot\operatorname{diag}(x \circ x)`."""
    k = v.integer(k, "k", lo=1, hi=6)
    x = sp.symbols(f"x1:{k + 1}", real=True)
    return sp.diag(*[kappa() * xi**2 for xi in x])


def _is_zero_matrix(m: sp.Matrix) -> bool:
    return all(sp.simplify(e) == 0 for e in m)


def check_eq17(k: int = 3) -> dict:
    r"""Check Eq. (17): exact mask expectation of Eq. (4) vs the paper's diagonal surrogate.

    Computes, by enumeration over all :math:`2^k` masks (:math:`4^k` for the independent
    variant), the exact :math:`\mathbb{E}_m[\tfrac12(b a^\top + a b^\top)]` and compares it with
    :math:`p(1-p)\big(x x^\top - \operatorname{diag}(x \circ x)\big)` (hollow) and with
    :math:`2p(1-p)\cdot\operatorname{diag}(x \circ x)` (paper). Spec §4.8(a); Eq. (17) of arXiv
    2607.02447.

    Returns:
      dict with ``exact``, ``paper``, ``independent`` (matrices as nested lists of strings),
      ``is_hollow`` / ``is_diagonal`` (of the exact matrix), ``paper_is_diagonal``,
      ``equal`` (exact == paper), ``exact_equals_hollow_form``,
      ``independent_equals_pxxT``, ``offdiag_coefficient`` / ``diag_coefficient`` (exact entry
      divided by :math:`x_j x_l`, :math:`x_j^2`) and the same for the paper and the independent
      variant.

    Example:
      >>> r = check_eq17(2)
      >>> r["is_hollow"], r["equal"]
      (True, False)
    """
    k = v.integer(k, "k", lo=2, hi=5)
    x = sp.Matrix(sp.symbols(f"x1:{k + 1}", real=True))
    exact = mask_expectation(k)
    indep = mask_expectation(k, independent=True)
    paper = paper_eq17_matrix(k)
    outer = x * x.T
    hollow = p * (1 - p) * (outer - sp.diag(*[x[j] ** 2 for j in range(k)]))
    off = [(i, j) for i in range(k) for j in range(k) if i != j]

    def coef(m: sp.Matrix, i: int, j: int) -> str:
        return str(sp.factor(sp.simplify(m[i, j] / (x[i] * x[j]))))

    return {
        "k": k,
        "exact": [[str(e) for e in exact.row(i)] for i in range(k)],
        "paper": [[str(e) for e in paper.row(i)] for i in range(k)],
        "independent": [[str(e) for e in indep.row(i)] for i in range(k)],
        "is_hollow": all(sp.simplify(exact[j, j]) == 0 for j in range(k)),
        "is_diagonal": all(sp.simplify(exact[i, j]) == 0 for i, j in off),
        "paper_is_diagonal": all(sp.simplify(paper[i, j]) == 0 for i, j in off),
        "equal": _is_zero_matrix(exact - paper),
        "exact_equals_hollow_form": _is_zero_matrix(exact - hollow),
        "independent_equals_pxxT": _is_zero_matrix(indep - p * (1 - p) * outer),
        "offdiag_coefficient": coef(exact, 0, 1),
        "diag_coefficient": coef(exact, 0, 0),
        "paper_offdiag_coefficient": coef(paper, 0, 1),
        "paper_diag_coefficient": coef(paper, 0, 0),
        "independent_offdiag_coefficient": coef(indep, 0, 1),
        "independent_diag_coefficient": coef(indep, 0, 0),
    }
