"""Track A's golden constants and the spec §4.9 fixture table, as exact strings.

``python -m theory.symbolic --golden > tests/golden/track_a.json`` regenerates the golden file
that the tests compare with (docs/theory/track_a.md §1).
"""

from __future__ import annotations

import numpy as np
import sympy as sp

from theory.symbolic.decl_weights import check_eq29_30
from theory.symbolic.masks import check_eq17
from theory.symbolic.terms import (
    C_F,
    C_N,
    METHODS,
    SIGNAL_EXPONENT,
    C_den,
    C_num,
    abar,
    d,
    error_exponent,
    kappa,
    p,
    sensitivity,
    trH,
)
from theory.symbolic.theorems import check_thm44, derive_fl_theta

FIXTURE_DS = (10**5, 10**10)
FIXTURE_ABAR = 5
FIXTURE_P = sp.Rational(3, 4)

#: fixture columns of docs/theory/track_a.md §1: (name, method, framework, sign)
FIXTURE_COLUMNS = (
    ("mim_local", "mim", "local", "+"),
    ("mim_decl", "mim", "decl", "+"),
    ("mim_fl", "mim", "fl", "+"),
    ("cl_local", "cl_similar", "local", "+"),
    ("cl_decl_plus", "cl_similar", "decl", "+"),
    ("cl_decl_minus", "cl_similar", "decl", "-"),
    ("cl_fl", "cl_similar", "fl", "+"),
)


def fixture_values(digits: int = 5) -> dict:
    """Spec §4.9 fixture table (constants 1, p = 3/4, |Ā| = 5, N = d^{1/20}), via ``evalf``.

    Returns {str(d): {column: decimal string with ``digits`` significant digits}}.
    """
    subs = {p: FIXTURE_P, abar: FIXTURE_ABAR, C_num: 1, C_den: 1, C_F: 1, C_N: 1, trH: 1}
    out = {}
    for dv in FIXTURE_DS:
        row = {}
        for name, method, framework, sign in FIXTURE_COLUMNS:
            expr = sensitivity(method, framework, sign, "eq37", "default")
            val = expr.subs(subs).subs(d, dv).evalf(30)
            row[name] = f"{float(val):.{digits - 1}e}"
        out[f"1e{int(round(np.log10(dv)))}"] = row
    return out


def golden() -> dict:
    """Golden constants of Track A as exact strings (regression-tested against the JSON file)."""
    eq17 = check_eq17(3)
    star = [[0, 1, 1, 1], [1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0]]
    ring = [[0, 1, 0, 1], [1, 0, 1, 0], [0, 1, 0, 1], [1, 0, 1, 0]]
    thm44 = check_thm44("decl", "-", "eq37", "default")
    theta = {m: derive_fl_theta(m, "default") for m in METHODS}
    kd = {
        f"1e{e}": str(kappa().subs(p, FIXTURE_P) * sp.Integer(10) ** sp.Rational(e, 5))
        for e in (5, 10)
    }
    return {
        "_about": (
            "Track A golden constants (exact sympy strings; fixtures: spec section 4.9 with all "
            "constants 1, p = 3/4, |A| = 5, N = d^(1/20), fl_term eq37). Regenerate with "
            "python -m theory.symbolic --golden > tests/golden/track_a.json"
        ),
        "kappa_p_3_4": str(kappa().subs(p, FIXTURE_P)),
        "error_exponent": {m: str(error_exponent(m)) for m in METHODS},
        "signal_exponent": str(SIGNAL_EXPONENT),
        "theta_exponent": {m: theta[m]["exponent"] for m in METHODS},
        "theta_coefficient": {m: theta[m]["coefficient"] for m in METHODS},
        "theta_remainder": {m: theta[m]["remainder"] for m in METHODS},
        "ratio_leading_exponent": thm44["similar"]["ratio_leading_exponent"],
        "ratio_leading_coefficient": {
            "similar": thm44["similar"]["ratio_leading_coefficient"],
            "dissimilar": thm44["dissimilar"]["ratio_leading_coefficient"],
        },
        "eq66_leading_exponent": thm44["similar"]["diff_leading_exponent"],
        "eq66_leading_coefficient": thm44["similar"]["diff_leading_coefficient"],
        "kappa_d_fifth_at_fixtures": kd,
        "mask_offdiag": eq17["offdiag_coefficient"],
        "mask_diag": eq17["diag_coefficient"],
        "paper_eq17_diag": eq17["paper_diag_coefficient"],
        "paper_eq17_offdiag": eq17["paper_offdiag_coefficient"],
        "independent_mask_entry": eq17["independent_offdiag_coefficient"],
        "pi_star4": check_eq29_30(star)["pi"],
        "pi_ring4": check_eq29_30(ring)["pi"],
        "fixtures": fixture_values(5),
    }
