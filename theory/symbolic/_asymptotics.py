"""Leading terms as d → ∞ and signs under the paper's ranges (|Ā| ≥ 2, N ≥ 2, 0 < p < 1).

The checks of Thms 4.4–4.6 read limits off the leading term coefficient·d^exponent of an
expression in the symbols of :mod:`theory.symbolic.terms`.
"""

from __future__ import annotations

import sympy as sp

from theory.symbolic.terms import N, abar, d, p

# Auxiliary non-negative symbols used only to encode the paper's ranges when deciding signs:
# |Ā| = 2 + _a_excess (|Ā| ≥ 2), N = 2 + _n_excess, p = 1/(1 + _p_odds) (0 < p < 1).
_a_excess = sp.Symbol("a_excess", nonnegative=True)
_n_excess = sp.Symbol("n_excess", nonnegative=True)
_p_odds = sp.Symbol("p_odds", positive=True)
_t20 = sp.Symbol("t", positive=True)  # d = t^20 in the asymptotic expansions


def _leading(expr: sp.Expr) -> tuple[sp.Expr, sp.Expr]:
    """(exponent, coefficient) of the leading behaviour coefficient·d^exponent as d → ∞.

    Every exponent of d in the paper's bounds is a multiple of 1/20, so with d = t^20 the
    expression is a rational function of t; its leading term is LC(num)/LC(den) ·
    t^{deg num − deg den}. (Exact and fast; tests compare it with ``sympy.limit``.)
    """
    t = _t20
    e = sp.together(sp.powsimp(sp.expand_power_base(expr.subs(d, t**20), force=True)))
    num, den = sp.fraction(e)
    pn, pd = sp.Poly(sp.expand(num), t), sp.Poly(sp.expand(den), t)
    expo = sp.Rational(pn.degree() - pd.degree(), 20)
    coef = sp.factor(sp.cancel(pn.LC() / pd.LC()))
    return expo, coef


def _limit_from_leading(expo: sp.Expr, coef: sp.Expr) -> sp.Expr:
    """lim_{d→∞} coefficient·d^exponent, using the coefficient's sign under the paper's ranges."""
    if expo < 0:
        return sp.Integer(0)
    if expo == 0:
        return coef
    word = _sign_word(coef)
    return {"positive": sp.oo, "negative": -sp.oo}.get(word, sp.oo * sp.sign(coef))


def _paper_ranges(expr: sp.Expr) -> sp.Expr:
    """Substitute the paper's ranges |Ā| ≥ 2, N ≥ 2, 0 < p < 1 so that sympy can decide signs."""
    return expr.subs({abar: 2 + _a_excess, N: 2 + _n_excess, p: 1 / (1 + _p_odds)})


def _sign_word(expr: sp.Expr) -> str:
    """'positive' / 'negative' / 'zero' / 'undetermined' under the paper's ranges."""
    e = sp.factor(sp.together(_paper_ranges(expr)))
    if not (e.is_zero or e.is_positive or e.is_negative):
        e = sp.simplify(e)
    if e.is_zero:
        return "zero"
    if e.is_positive:
        return "positive"
    if e.is_negative:
        return "negative"
    return "undetermined"
