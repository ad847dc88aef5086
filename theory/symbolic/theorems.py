r"""Thms 4.4, 4.6 and Cor 4.5 as computed from the bounds, and Eq. (37)'s :math:`\Theta(d^{7/20})`.

Each check returns what the bounds of :mod:`theory.symbolic.terms` imply (limits, signs,
thresholds) as strings and words; nothing assumes that a claim of arXiv 2607.02447 holds.
"""

from __future__ import annotations

import copy
import functools

import sympy as sp

from theory import _validate as v
from theory.symbolic._asymptotics import _leading, _limit_from_leading, _sign_word
from theory.symbolic.terms import (
    FRAMEWORKS,
    SIGNAL_EXPONENT,
    N,
    abar,
    d,
    denominator,
    fl_theta_term,
    n_clients,
    sensitivity,
    signal_coefficient,
)


def _cached_copy(fn):
    """Memoise a check (they are pure) and hand out deep copies of the cached dict."""
    cached = functools.cache(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return copy.deepcopy(cached(*args, **kwargs))

    return wrapper


def derive_fl_theta(method: str = "mim", n_mode: str = "default") -> dict:
    r"""Identify :math:`\Theta(d^{7/20})` from Eq. (37): :math:`g\tau^2 - ((N - 1) g\tau^2 + g)/N`
    with :math:`\tau^2 = d^{2/5}`.

    Returns the exact term, its leading exponent and coefficient as :math:`d \to \infty` (with
    :math:`N = C_N d^{1/20}`), the remainder, and the ``"eq37"`` term :math:`g\, d^{2/5}/N` used
    by the bounds (which drops the :math:`O(d^{-1/20})` remainder :math:`-g/N`, as Eq. (37) does).
    """
    g = signal_coefficient(method)
    n = n_clients(n_mode)
    t2 = d**SIGNAL_EXPONENT
    fl_average = ((n - 1) * g * t2 + g) / n  # Eq. (37), first line, O terms dropped
    theta = sp.simplify(g * t2 - fl_average)
    used = fl_theta_term(method, "eq37", n_mode)
    out = {
        "method": method,
        "n_mode": n_mode,
        "fl_average": str(sp.factor(fl_average)),
        "theta_exact": str(sp.factor(theta)),
        "theta_used": str(used),
        "remainder": str(sp.simplify(theta - used)),
    }
    if n_mode == "default":
        expo, coef = _leading(theta)
        out["exponent"] = str(expo)
        out["coefficient"] = str(coef)
    return out


# --- Theorem 4.4 -------------------------------------------------------------------------------
@_cached_copy
def check_thm44(
    framework: str = "decl", sign: str = "-", fl_term: str = "eq37", n_mode: str = "default"
) -> dict:
    r"""Thm 4.4 as computed from the paper's bounds: :math:`s^C/s^M` and :math:`s^M - s^C` as
    :math:`d \to \infty`.

    For CL similar (C1) and dissimilar (C2): the ratio :math:`s^C/s^M`, its leading exponent and
    coefficient, its limit; the difference :math:`s^M - s^C`, its limit, leading
    exponent/coefficient and the side from which it approaches 0 (Eq. 66 reads the limit of the
    difference; Eq. 68 the ratio). Limits are read off the leading term
    :math:`\text{coefficient}\cdot d^e` (tests compare it with ``sympy.limit``), with the
    coefficient's sign decided under the paper's ranges (:math:`0 < p < 1`,
    :math:`|\bar A| \ge 2`, :math:`N \ge 2`). ``sign="-"`` uses Eqs. 63–64 for CL under DecL.

    Note: the paper's Eq. (65) drops the κ of Eq. (62) from :math:`s^M`'s denominator; here
    :math:`s^M` keeps κ, as Eq. (62) and Thm 4.2 write it.
    """
    v.choice(framework, "framework", FRAMEWORKS)
    s_m = sensitivity("mim", framework, sign, fl_term, n_mode)
    out: dict = {"framework": framework, "sign": sign, "fl_term": fl_term, "n_mode": n_mode}
    out["s_mim"] = str(s_m)
    for key, method in (("similar", "cl_similar"), ("dissimilar", "cl_dissimilar")):
        s_c = sensitivity(method, framework, sign, fl_term, n_mode)
        ratio = sp.simplify(s_c / s_m)
        r_exp, r_coef = _leading(ratio)
        diff = sp.simplify(s_m - s_c)
        d_exp, d_coef = _leading(diff)
        d_lim = _limit_from_leading(d_exp, d_coef)
        coef_sign = _sign_word(d_coef)
        approach = {"negative": "0-", "positive": "0+"}.get(coef_sign, "undetermined")
        out[key] = {
            "s_cl": str(s_c),
            "ratio": str(ratio),
            "ratio_leading_exponent": str(r_exp),
            "ratio_leading_coefficient": str(r_coef),
            "ratio_limit": str(_limit_from_leading(r_exp, r_coef)),
            "diff_limit": str(d_lim),
            "diff_leading_exponent": str(d_exp),
            "diff_leading_coefficient": str(d_coef),
            "diff_leading_sign": coef_sign,
            "diff_approach": approach if d_lim == 0 else str(d_lim),
        }
    return out


# --- Corollary 4.5 -----------------------------------------------------------------------------
@_cached_copy
def check_cor45(method: str = "mim", sign: str = "+") -> dict:
    r"""Cor 4.5 as computed from the DecL bound: the sign of
    :math:`\partial s_{\mathrm{Dec}}/\partial|\bar A|` and where it holds.

    Returns the derivative (factored), the sign of its numerator and the form of its
    denominator (a square, so ≥ 0, zero exactly where the bound's denominator vanishes), the
    :math:`|\bar A|` at which the denominator vanishes, the resulting sign of
    :math:`\partial s/\partial|\bar A|` wherever the bound is defined, and whether the bound is
    defined on the paper's range :math:`|\bar A| \ge 2` ("always" or the condition on d). Signs
    are decided under :math:`0 < p < 1` and positive constants.
    """
    s = sensitivity(method, "decl", sign)
    den = denominator(method, "decl", sign)
    deriv = sp.factor(sp.together(sp.diff(s, abar)))
    num, dd = sp.fraction(deriv)
    root = sp.solve(sp.Eq(den, 0), abar)
    defined_from = [sp.simplify(r) for r in root]
    # Den at |Ā| = 2 (the smallest admissible value); Den is increasing in |Ā|.
    den_at_2 = sp.simplify(den.subs(abar, 2))
    den_increasing = _sign_word(sp.diff(den, abar)) == "positive"
    den2_sign = _sign_word(den_at_2)
    if den2_sign == "positive":
        defined_on_range: list[str] | str = "always"
    else:
        grows = _sign_word(sp.diff(den_at_2, d)) == "positive"
        roots = sp.solve(sp.Eq(den_at_2, 0), d)
        defined_on_range = [f"d > {sp.simplify(x)}" for x in roots] if grows else "undetermined"
    square = all(
        f.is_Pow and f.exp.is_even for f in sp.Mul.make_args(dd) if f.has(abar)
    ) and dd.has(abar)
    num_sign = _sign_word(num)
    where_defined = num_sign if square and num_sign in ("negative", "positive") else "undetermined"
    return {
        "method": method,
        "sign": sign,
        "s": str(s),
        "derivative": str(deriv),
        "numerator": str(num),
        "numerator_sign": num_sign,
        "denominator": str(dd),
        "denominator_is_square": bool(square),
        "denominator_zero_at_abar": [str(x) for x in defined_from],
        "derivative_sign_where_defined": where_defined,
        "bound_denominator_increasing_in_abar": den_increasing,
        "bound_denominator_at_abar_2": str(den_at_2),
        "bound_denominator_at_abar_2_sign": den2_sign,
        "bound_defined_on_paper_range": defined_on_range,
        # on |Ā| >= 2: the sign where the bound is defined, and the condition on d (None: always)
        "derivative_sign_paper_range": where_defined,
        "defined_on_paper_range_if": None if defined_on_range == "always" else defined_on_range,
        "statement": (
            f"ds/d|A| is {where_defined} wherever the bound's denominator is non-zero; "
            f"on |A| >= 2 the bound is defined: {defined_on_range}"
        ),
    }


# --- Theorem 4.6 -------------------------------------------------------------------------------
@_cached_copy
def check_thm46(
    method: str = "mim", sign: str = "+", fl_term: str = "eq37", n_mode: str = "given"
) -> dict:
    r"""Thm 4.6 as computed from the paper's bounds: when is
    :math:`s_{\mathrm{Dec}} \ge s_{\mathrm{Fed}}`?

    With both bound denominators positive, :math:`s_{\mathrm{Dec}} - s_{\mathrm{Fed}}` has the
    sign of :math:`\mathrm{gap} = \mathrm{Den}_{\mathrm{Fed}} - \mathrm{Den}_{\mathrm{Dec}}` (full
    denominators). Where ``gap`` is decreasing in :math:`|\bar A|` (computed:
    ``gap_slope_in_abar``),
    :math:`s_{\mathrm{Dec}} \ge s_{\mathrm{Fed}} \iff |\bar A| \le |\bar A|^*`, the root of
    :math:`\mathrm{gap} = 0` (``condition``; ``None`` when the slope is not negative). Returns
    the gap, :math:`|\bar A|^*`, the value of gap at :math:`|\bar A| = N` (Eq. 89's equality
    case), and the leading term of :math:`s_{\mathrm{Dec}} - s_{\mathrm{Fed}}` as
    :math:`d \to \infty`. In ``"eq37"`` mode FL equals DecL with :math:`|\bar A| = N`
    (docs/theory/track_a.md §2).
    """
    s_dec = sensitivity(method, "decl", sign, fl_term, n_mode)
    s_fed = sensitivity(method, "fl", sign, fl_term, n_mode)
    den_dec = denominator(method, "decl", sign, fl_term, n_mode)
    den_fed = denominator(method, "fl", sign, fl_term, n_mode)
    gap = sp.simplify(den_fed - den_dec)
    gap_slope = _sign_word(sp.diff(gap, abar))
    roots = [sp.simplify(r) for r in sp.solve(sp.Eq(gap, 0), abar)]
    threshold = roots[0] if len(roots) == 1 else None
    diff = sp.simplify(s_dec - s_fed)
    n_expr = n_clients(n_mode)
    at_n = sp.simplify(gap.subs(abar, n_expr))
    out = {
        "method": method,
        "sign": sign,
        "fl_term": fl_term,
        "n_mode": n_mode,
        "s_dec": str(s_dec),
        "s_fed": str(s_fed),
        "difference": str(diff),
        "gap": str(gap),
        "gap_slope_in_abar": gap_slope,
        "abar_threshold": None if threshold is None else str(threshold),
        "condition": None
        if threshold is None or gap_slope != "negative"
        else f"s_dec >= s_fed  <=>  abar <= {threshold}  (both denominators > 0)",
        "gap_at_abar_eq_N": str(at_n),
        "gap_at_abar_eq_N_sign": _sign_word(at_n),
        "threshold_limit": None
        if threshold is None
        else str(_limit_from_leading(*_leading(threshold))),
    }
    expo, coef = _leading(diff)
    out["diff_leading_exponent"] = str(expo)
    out["diff_leading_coefficient"] = str(coef)
    out["diff_leading_sign"] = _sign_word(coef)
    if n_mode == "given":
        # the same coefficient's sign under |Ā| < N (N = |Ā| + u, u > 0)
        u = sp.Symbol("u", positive=True)
        out["diff_leading_sign_if_abar_lt_N"] = _sign_word(coef.subs(N, abar + u))
    return out
