"""Track A, the paper as written: sympy derivations of the bounds of arXiv 2607.02447 (Section 4).

Everything here is exact (sympy Rationals and symbols). The module reproduces the paper's
closed forms *and* computes, independently, the quantities the proofs derive:

* the mask expectation of Eq. (4), hollow, beside the paper's diagonal Eq. (17), and the
  two-independent-masks variant (:func:`check_eq17`);
* the DecL neighbourhood average of Eqs. (27)–(30) in the paper's own diagonal model, beside
  the paper's (1 − 1/|Ā|) form (:func:`check_eq29_30`);
* the lower bounds of Theorems 4.2 and 4.3 (:func:`lower_bound`) and the sensitivities
  s = 1 − LB used in the proofs of Theorems 4.4 and 4.6 (:func:`sensitivity`);
* Theorem 4.4's ratio s^C/s^M and Eq. (66)'s limit (:func:`check_thm44`), Corollary 4.5's
  derivative in |Ā| (:func:`check_cor45`) and Theorem 4.6's ordering (:func:`check_thm46`).

The results are outputs (dicts of sympy strings, booleans and conditions); nothing here assumes
that a claim of the paper holds.

Hidden constants. Every O(d^{−e}) in a numerator is ``C_num·d^{−e}``, every O(d^{−e}) in a
denominator ``C_den·d^{−e}`` (all > 0, default 1 in :mod:`theory.bounds`). The Θ(d^{7/20}) of the
FL bounds is either ``C_F·d^{7/20}`` (``fl_term="theta"``) or its identification from Eq. (37),
g·d^{2/5}/N with g = κ = 2p(1−p) (MIM), 1 (CL similar), tr(H) (CL dissimilar)
(``fl_term="eq37"``, the default); N is given or N = C_N·d^{1/20} (``n_mode="default"``).

Regenerate the golden file with ``python -m theory.symbolic --golden > tests/golden/track_a.json``.
"""

from __future__ import annotations

import argparse
import copy
import functools
import itertools
import json
import sys
from collections.abc import Sequence

import numpy as np
import sympy as sp

from theory import _validate as v

# --- symbols, declared once ----------------------------------------------------------------
d = sp.Symbol("d", positive=True)  # input dimension
p = sp.Symbol("p", positive=True)  # mask ratio, P(m_j = 0) = p; 0 < p < 1 is imposed where used
abar = sp.Symbol("abar", positive=True)  # average neighbourhood size |Ā| (includes self)
N = sp.Symbol("N", positive=True)  # number of clients
trH = sp.Symbol("trH", positive=True)  # tr(H) of the dissimilar augmentation (Assumption A.9)
tau = sp.Symbol("tau", positive=True)  # offset scale τ (paper: τ = d^{1/5})
C_num = sp.Symbol("C_num", positive=True)  # constant of the numerator O(d^{-e})
C_den = sp.Symbol("C_den", positive=True)  # constant of the denominator O(d^{-e})
C_F = sp.Symbol("C_F", positive=True)  # constant of Θ(d^{7/20}) (fl_term="theta")
C_N = sp.Symbol("C_N", positive=True)  # N = C_N d^{1/20}

# Auxiliary non-negative symbols used only to encode the paper's ranges when deciding signs:
# |Ā| = 2 + _a_excess (|Ā| ≥ 2), N = 2 + _n_excess, p = 1/(1 + _p_odds) (0 < p < 1).
_a_excess = sp.Symbol("a_excess", nonnegative=True)
_n_excess = sp.Symbol("n_excess", nonnegative=True)
_p_odds = sp.Symbol("p_odds", positive=True)
_t20 = sp.Symbol("t", positive=True)  # d = t^20 in the asymptotic expansions

METHODS = ("mim", "cl_similar", "cl_dissimilar")
FRAMEWORKS = ("local", "decl", "fl")
SIGNS = ("+", "-")
FL_TERMS = ("eq37", "theta")
N_MODES = ("default", "given")

#: exponent of τ² = d^{2/5} (τ = d^{1/5})
SIGNAL_EXPONENT = sp.Rational(2, 5)
#: exponent of the FL correction Θ(d^{7/20}) (Thm 4.2/4.3)
THETA_EXPONENT = sp.Rational(7, 20)
#: N = Θ(d^{1/20})
N_EXPONENT = sp.Rational(1, 20)


# --- one function per theorem term ---------------------------------------------------------
def kappa() -> sp.Expr:
    """κ = 2p(1 − p), the mask factor of Eq. (17) and Thm 4.2 of arXiv 2607.02447."""
    return 2 * p * (1 - p)


def error_exponent(method: str) -> sp.Rational:
    """e in the O(d^{−e}) terms: 2/5 for MIM (Thm 4.2), 1/5 for CL (Thm 4.3)."""
    v.choice(method, "method", METHODS)
    return sp.Rational(2, 5) if method == "mim" else sp.Rational(1, 5)


def signal_coefficient(method: str) -> sp.Expr:
    """g, the factor of d^{2/5} in the local denominator: κ (MIM), 1 (CL similar), tr(H)."""
    v.choice(method, "method", METHODS)
    return {"mim": kappa(), "cl_similar": sp.Integer(1), "cl_dissimilar": trH}[method]


def n_clients(n_mode: str = "default") -> sp.Expr:
    """N: the free symbol ``N`` (``n_mode="given"``) or C_N·d^{1/20} (N = Θ(d^{1/20}))."""
    v.choice(n_mode, "n_mode", N_MODES)
    return N if n_mode == "given" else C_N * d**N_EXPONENT


def numerator_term(method: str) -> sp.Expr:
    """The numerator O(d^{−e}) of every bound, C_num·d^{−e} (Thms 4.2, 4.3)."""
    return C_num * d ** (-error_exponent(method))


def denominator_error_term(method: str) -> sp.Expr:
    """The denominator O(d^{−e}), C_den·d^{−e} (Thms 4.2, 4.3)."""
    return C_den * d ** (-error_exponent(method))


def fl_theta_term(method: str, fl_term: str = "eq37", n_mode: str = "default") -> sp.Expr:
    """The Θ(d^{7/20}) subtracted in the FL denominators (Thm 4.2 item 2, Thm 4.3 item 3).

    ``"theta"``: C_F·d^{7/20}. ``"eq37"``: g·d^{2/5}/N, the leading part of Eq. (37)
    (κ τ² − FL average); the O(d^{−1/20}) remainder g/N of Eq. (37) is dropped, as in the paper
    (see :func:`derive_fl_theta`).
    """
    v.choice(fl_term, "fl_term", FL_TERMS)
    if fl_term == "theta":
        return C_F * d**THETA_EXPONENT
    return signal_coefficient(method) * d**SIGNAL_EXPONENT / n_clients(n_mode)


def signal_denominator(
    method: str, framework: str, fl_term: str = "eq37", n_mode: str = "default"
) -> sp.Expr:
    """Den, the leading part of the denominator (docs/theory/track_a.md §1 table).

    local: g d^{2/5}; DecL: g (1 − 1/|Ā|) d^{2/5}; FL: g d^{2/5} − Θ(d^{7/20}).
    """
    v.choice(framework, "framework", FRAMEWORKS)
    g = signal_coefficient(method)
    if framework == "local":
        return g * d**SIGNAL_EXPONENT
    if framework == "decl":
        return g * (1 - 1 / abar) * d**SIGNAL_EXPONENT
    return g * d**SIGNAL_EXPONENT - fl_theta_term(method, fl_term, n_mode)


def denominator_sign(method: str, framework: str, sign: str = "+") -> int:
    """±1 in front of the denominator O(d^{−e}).

    The theorems write "+O" everywhere; the proof of Thm 4.4 writes "−O" for CL under DecL
    (Eqs. 63–64, also Eqs. 82–83). ``sign="-"`` selects that variant for (CL, DecL) only; MIM
    (Eq. 62) and FL (Eqs. 71–73) keep "+O" as printed.
    """
    v.choice(sign, "sign", SIGNS)
    v.choice(method, "method", METHODS)
    v.choice(framework, "framework", FRAMEWORKS)
    if sign == "-" and method != "mim" and framework == "decl":
        return -1
    return 1


def denominator(
    method: str,
    framework: str,
    sign: str = "+",
    fl_term: str = "eq37",
    n_mode: str = "default",
) -> sp.Expr:
    """Full denominator Den ± C_den d^{−e} of the lower bound; it must be > 0 to be defined."""
    return signal_denominator(method, framework, fl_term, n_mode) + denominator_sign(
        method, framework, sign
    ) * denominator_error_term(method)


def lower_bound(
    method: str,
    framework: str,
    sign: str = "+",
    fl_term: str = "eq37",
    n_mode: str = "default",
) -> sp.Expr:
    """LB = 1 − C_num d^{−e} / (Den ± C_den d^{−e}), Thm 4.2 (MIM) / Thm 4.3 (CL).

    Example:
      >>> lower_bound("mim", "local").subs({d: 10**5, p: sp.Rational(3, 4), C_num: 1, C_den: 1})
      3750/3751
    """
    return 1 - numerator_term(method) / denominator(method, framework, sign, fl_term, n_mode)


def sensitivity(
    method: str,
    framework: str,
    sign: str = "+",
    fl_term: str = "eq37",
    n_mode: str = "default",
) -> sp.Expr:
    """s = 1 − LB, the sensitivity the proofs use (Eqs. 62–64, 71–73 of arXiv 2607.02447)."""
    return sp.expand(1 - lower_bound(method, framework, sign, fl_term, n_mode), deep=False)


# --- asymptotics helpers ---------------------------------------------------------------------
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


def _cached_copy(fn):
    """Memoise a check (they are pure) and hand out deep copies of the cached dict."""
    cached = functools.cache(fn)

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return copy.deepcopy(cached(*args, **kwargs))

    return wrapper


# --- Eq. (17): mask expectation --------------------------------------------------------------
def _mask_probability(bits: Sequence[int]) -> sp.Expr:
    # m_j = 1 means visible, P(m_j = 1) = 1 − p (paper §3.2: "sampling 0 with probability p").
    return sp.Mul(*[(1 - p) if b else p for b in bits])


def mask_expectation(k: int = 3, independent: bool = False) -> sp.Matrix:
    """E_m[½(b aᵀ + a bᵀ)] for a = x⊙m, b = x⊙(1 − m) (Eq. 4), by exact enumeration of masks.

    x = (x1, …, xk) is symbolic; m_j ~ Bernoulli(1 − p) independently. With
    ``independent=True``, b = x⊙(1 − m′) with m′ an independent copy of m (a variant reader's
    reading of Eq. 4). Eq. (16)–(17) of arXiv 2607.02447.

    Returns the k×k sympy matrix, entries factored.
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
    """The paper's Eq. (17) for one sample: 2p(1 − p)·diag(x)diag(x)ᵀ = 2p(1 − p)·diag(x∘x)."""
    k = v.integer(k, "k", lo=1, hi=6)
    x = sp.symbols(f"x1:{k + 1}", real=True)
    return sp.diag(*[kappa() * xi**2 for xi in x])


def _is_zero_matrix(m: sp.Matrix) -> bool:
    return all(sp.simplify(e) == 0 for e in m)


def check_eq17(k: int = 3) -> dict:
    """Check Eq. (17): exact mask expectation of Eq. (4) vs the paper's diagonal surrogate.

    Computes, by enumeration over all 2^k masks (4^k for the independent variant), the exact
    E_m[½(b aᵀ + a bᵀ)] and compares it with p(1−p)(x xᵀ − diag(x∘x)) (hollow) and with
    2p(1−p)·diag(x∘x) (paper). Spec §4.8(a); Eq. (17) of arXiv 2607.02447.

    Returns:
      dict with ``exact``, ``paper``, ``independent`` (matrices as nested lists of strings),
      ``is_hollow`` / ``is_diagonal`` (of the exact matrix), ``paper_is_diagonal``,
      ``equal`` (exact == paper), ``exact_equals_hollow_form``,
      ``independent_equals_pxxT``, ``offdiag_coefficient`` / ``diag_coefficient`` (exact entry
      divided by x_j x_l, x_j²) and the same for the paper and the independent variant.

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


# --- Eqs. (27)–(30): DecL averaging in the paper's diagonal model ----------------------------
def _check_adjacency(adjacency) -> np.ndarray:
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
    seen, stack = {0}, [0]
    while stack:
        i = stack.pop()
        for j in np.flatnonzero(a[i]):
            if int(j) not in seen:
                seen.add(int(j))
                stack.append(int(j))
    if len(seen) != n:
        v.fail("adjacency", "a connected graph (Assumption A.1)", "a disconnected graph")
    return a.astype(int)


def paper_client_diagonal(n: int, client: int) -> list[sp.Expr]:
    """Leading diagonal of E[X_client^M] on e_1..e_N in the paper's model (Eq. 18).

    κτ² on every coordinate k ≠ client, κ on the client's own axis (O(d^{−2/5}) dropped).
    """
    return [kappa() if k == client else kappa() * tau**2 for k in range(n)]


def decl_average(adjacency) -> list[sp.Expr]:
    """(1/N) Σ_i (1/|A_i|) Σ_{j∈A_i} X_j on e_1..e_N, derived by averaging (Eqs. 25–30).

    Uses :func:`paper_client_diagonal` for every X_j and exact Rationals 1/|A_i|.
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
    """π_k = (1/N) Σ_{i: k∈A_i} 1/|A_i| (docs/theory/decl_weights.md §2), exact Rationals."""
    a = _check_adjacency(adjacency)
    n = a.shape[0]
    size = a.sum(axis=1) + 1
    return [
        sp.Rational(1, n) * sum(sp.Rational(1, int(size[i])) for i in range(n) if i == k or a[i, k])
        for k in range(n)
    ]


def check_eq29_30(adjacency, *, p_value=None, d_value=10**5) -> dict:
    """Check Eqs. (29)–(30): the DecL average vs the paper's κ(1 − 1/|Ā|)τ².

    Exact (averaged in the paper's own diagonal model): coordinate k ↦ κ[τ² − (τ² − 1)π_k].
    Paper: κ(1 − 1/|Ā|)τ² for all N coordinates. Spec §4.8(c).

    Args:
      adjacency: (N, N) symmetric 0/1 array, zero diagonal, connected; |A_i| = degree + 1.
      p_value, d_value: where the numeric differences are evaluated (τ = d^{1/5});
        p_value defaults to 3/4.

    Returns:
      dict: ``exact`` / ``paper`` (entries as strings in p, tau), ``pi``, ``abar``,
      ``mean_inv_size`` ((1/N)Σ 1/|A_i|, the paper's Eq. 30 uses it as 1/|Ā|), ``inv_abar``,
      ``equal`` (symbolic), ``matches_pi_formula``, ``leading_exact`` / ``leading_paper``
      (coefficients of κτ²), ``equal_leading``, ``max_abs_diff`` / ``max_rel_diff`` at
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


# --- Eq. (37): the Θ(d^{7/20}) of the FL bounds -----------------------------------------------
def derive_fl_theta(method: str = "mim", n_mode: str = "default") -> dict:
    """Identify Θ(d^{7/20}) from Eq. (37): g τ² − ((N − 1) g τ² + g)/N with τ² = d^{2/5}.

    Returns the exact term, its leading exponent and coefficient as d → ∞ (with
    N = C_N d^{1/20}),
    the remainder, and the ``"eq37"`` term g d^{2/5}/N used by the bounds (which drops the
    O(d^{−1/20}) remainder −g/N, as Eq. (37) does).
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
    """Thm 4.4 as computed from the paper's bounds: s^C/s^M and s^M − s^C as d → ∞.

    For CL similar (C1) and dissimilar (C2): the ratio s^C/s^M, its leading exponent and
    coefficient, its limit; the difference s^M − s^C, its limit, leading exponent/coefficient
    and the side from which it approaches 0 (Eq. 66 reads the limit of the difference; Eq. 68
    the ratio). Limits are read off the leading term coefficient·d^e (tests compare it with
    ``sympy.limit``), with the coefficient's sign decided under the paper's ranges
    (0 < p < 1, |Ā| ≥ 2, N ≥ 2). ``sign="-"`` uses Eqs. 63–64 for CL under DecL.

    Note: the paper's Eq. (65) drops the κ of Eq. (62) from s^M's denominator; here s^M keeps
    κ, as Eq. (62) and Thm 4.2 write it.
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
    """Cor 4.5 as computed from the DecL bound: the sign of ∂s_Dec/∂|Ā| and where it holds.

    Returns the derivative (factored), the sign of its numerator and the form of its
    denominator (a square, so ≥ 0, zero exactly where the bound's denominator vanishes), the
    |Ā| at which the denominator vanishes, the resulting sign of ∂s/∂|Ā| wherever the bound is
    defined, and whether the bound is defined on the paper's range |Ā| ≥ 2 ("always" or the
    condition on d). Signs are decided under 0 < p < 1 and positive constants.
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
    """Thm 4.6 as computed from the paper's bounds: when is s_Dec ≥ s_Fed?

    With both bound denominators positive, s_Dec − s_Fed has the sign of
    gap = Den_Fed − Den_Dec (full denominators). Where ``gap`` is decreasing in |Ā| (computed:
    ``gap_slope_in_abar``), s_Dec ≥ s_Fed ⇔ |Ā| ≤ |Ā|*, the root of gap = 0 (``condition``;
    ``None`` when the slope is not negative). Returns the gap, |Ā|*, the value of gap at
    |Ā| = N (Eq. 89's equality case), and the leading term of s_Dec − s_Fed as d → ∞.
    In ``"eq37"`` mode FL equals DecL with |Ā| = N (docs/theory/track_a.md §2).
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


# --- numbers and golden values -----------------------------------------------------------------
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


def _main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m theory.symbolic", description=__doc__)
    parser.add_argument("--golden", action="store_true", help="print the golden JSON on stdout")
    args = parser.parse_args(argv)
    if args.golden:
        sys.stdout.write(json.dumps(golden(), indent=2, sort_keys=True) + "\n")
        return 0
    parser.print_help()
    return 0


if __name__ == "__main__":
    raise SystemExit(_main())


# ---------------------------------------------------------------------------------------------
# Closed forms of the exact structured model (theory.structured)
# ---------------------------------------------------------------------------------------------


def mim_hollow_block(n_clients: int, client: int | None = None) -> tuple[sp.Matrix, sp.Expr]:
    """Exact Eq. (4) target on e_1..e_N in sympy: κ E[x_k x_l] (k ≠ l), 0 on the diagonal.

    Derived from the samples of Section 3.2 (x = ±e_i − Σ_{k≠i} q_k τ e_k + μξ, q_k ~ Bern(1/2)
    independent, the rare class on its own axis) by expanding x_k x_l and taking E[q_k^a] = 1/2;
    κ = p(1 − p) = E_m[(1 − m_k) m_l] (k ≠ l). ``client=None`` averages the N clients (FL).

    Returns:
      ``(X, c0)``: the N×N sympy matrix in the symbols p, τ, ρ and its entry X[1, 2] (local,
      client 0) or X[0, 1] (FL).
    """
    n = int(n_clients)
    if n < 2:
        raise ValueError(f"n_clients: must be an integer >= 2, got {n_clients!r}")
    p, tau, rho = sp.symbols("p tau rho", positive=True)
    q = sp.symbols(f"q0:{n}")

    def expect(expr):
        poly = sp.Poly(sp.expand(expr), *q)
        return sum(
            (coeff * sp.Rational(1, 2) ** sum(1 for a in monom if a > 0))
            for monom, coeff in poly.terms()
        )

    def client_block(i: int) -> sp.Matrix:
        out = sp.zeros(n, n)
        for sign in (1, -1):
            x = [-q[k] * tau if k != i else sp.Integer(sign) for k in range(n)]
            for k in range(n):
                for l in range(n):
                    if k != l:
                        out[k, l] += (1 - rho) / 2 * expect(x[k] * x[l])
        return out * p * (1 - p)

    if client is None:
        X = sum((client_block(i) for i in range(n)), sp.zeros(n, n)) / n
        c0 = X[0, 1]
    else:
        X = client_block(int(client))
        c0 = X[1, 2] if n > 2 else X[0, 1]
    return X.applyfunc(sp.simplify), sp.simplify(c0)


def mim_hollow_rv(n_clients: int) -> tuple[list, list]:
    """Closed-form RV on e_1..e_N of the exact Eq. (4) optimum: local (client 1) and FL.

    X = c0·M with c0 = κ(1 − ρ)τ²/4 > 0 (local) or c0 = κ(1 − ρ)(N − 2)τ²/(4N) (FL) and M a
    rational matrix (J − I on the N − 1 offset axes, resp. on all N axes). Its positive part has
    rank 1 (eigenvalue N − 2, resp. N − 1, the others −1 or 0), so for every c ≥ 1 the RV is
    the square of the normalised top eigenvector: 1/(N − 1) on k ≠ i and 0 on e_i (local),
    1/N (FL). Needs N ≥ 3 (at N = 2 the target is 0).

    Returns:
      ``(local, fl)``: lists of N sympy Rationals.

    Example:
      >>> mim_hollow_rv(3)
      ([0, 1/2, 1/2], [1/3, 1/3, 1/3])
    """
    n = int(n_clients)
    if n < 3:
        raise ValueError(f"n_clients: must be an integer >= 3, got {n_clients!r}")
    out = []
    for client in (0, None):
        X, c0 = mim_hollow_block(n, client)
        M = (X / c0).applyfunc(sp.simplify)
        if M.free_symbols:
            raise AssertionError("the hollow block is not a scalar times a rational matrix")
        pairs = sorted(M.eigenvects(), key=lambda t: -t[0])
        top, mult, vecs = pairs[0]
        if mult != 1 or top <= 0 or (len(pairs) > 1 and pairs[1][0] > 0):
            raise AssertionError("positive part is not rank one")
        vec = vecs[0]
        norm2 = sum(x**2 for x in vec)
        out.append([sp.nsimplify(x**2 / norm2) for x in vec])
    return out[0], out[1]
