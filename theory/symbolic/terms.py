r"""Track A's symbols and one sympy function per term of the bounds of Thms 4.2 and 4.3.

$$
\mathrm{LB} = 1 - \frac{C_{num}\, d^{-e}}{\mathrm{Den} \pm C_{den}\, d^{-e}}
$$

(Thm 4.2, MIM; Thm 4.3, CL; arXiv 2607.02447), with :math:`\mathrm{Den}` the local, DecL or FL
leading denominator (docs/theory/track_a.md §1 table) and every hidden O/Θ constant exposed as a
positive symbol (see :mod:`theory.symbolic`); :math:`s = 1 - \mathrm{LB}` is the sensitivity
the proofs of Thms 4.4 and 4.6 use (Eqs. 62–64, 71–73). Everything is exact (sympy Rationals
and symbols).
"""

from __future__ import annotations

import sympy as sp

from theory import _validate as v
from theory.frameworks import (
    BOUND_METHOD_NAMES,
    FRAMEWORK_NAMES,
    bound_method_of,
    framework_of,
)

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

#: the bound methods and frameworks (defined once, in :mod:`theory.frameworks`)
METHODS = BOUND_METHOD_NAMES
FRAMEWORKS = FRAMEWORK_NAMES
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
    r""":math:`\kappa = 2p(1 - p)`, the mask factor of Eq. (17) and Thm 4.2 of arXiv 2607.02447."""
    return 2 * p * (1 - p)


def error_exponent(method: str) -> sp.Rational:
    r""":math:`e` in the :math:`O(d^{-e})` terms: 2/5 for MIM (Thm 4.2), 1/5 for CL (Thm 4.3)."""
    return sp.Rational(1, 5) if bound_method_of(method).contrastive else sp.Rational(2, 5)


def signal_coefficient(method: str) -> sp.Expr:
    r""":math:`g`, the factor of :math:`d^{2/5}` in the local denominator: :math:`\kappa` (MIM),
    1 (CL similar), :math:`\operatorname{tr}(H)`."""
    m = bound_method_of(method)
    if m.takes_transform:
        return trH
    return sp.Integer(1) if m.contrastive else kappa()


def n_clients(n_mode: str = "default") -> sp.Expr:
    r"""N: the free symbol ``N`` (``n_mode="given"``) or :math:`C_N d^{1/20}`
    (:math:`N = \Theta(d^{1/20})`)."""
    v.choice(n_mode, "n_mode", N_MODES)
    return N if n_mode == "given" else C_N * d**N_EXPONENT


def numerator_term(method: str) -> sp.Expr:
    r"""The numerator :math:`O(d^{-e})` of every bound, :math:`C_{num} d^{-e}` (Thms 4.2, 4.3)."""
    return C_num * d ** (-error_exponent(method))


def denominator_error_term(method: str) -> sp.Expr:
    r"""The denominator :math:`O(d^{-e})`, :math:`C_{den} d^{-e}` (Thms 4.2, 4.3)."""
    return C_den * d ** (-error_exponent(method))


def fl_theta_term(method: str, fl_term: str = "eq37", n_mode: str = "default") -> sp.Expr:
    r"""The :math:`\Theta(d^{7/20})` subtracted in the FL denominators (Thm 4.2 item 2, Thm 4.3
    item 3).

    ``"theta"``: :math:`C_F d^{7/20}`. ``"eq37"``: :math:`g\, d^{2/5}/N`, the leading part of
    Eq. (37) (:math:`\kappa \tau^2` − FL average); the :math:`O(d^{-1/20})` remainder
    :math:`g/N` of Eq. (37) is dropped, as in the paper (see :func:`derive_fl_theta`).
    """
    v.choice(fl_term, "fl_term", FL_TERMS)
    if fl_term == "theta":
        return C_F * d**THETA_EXPONENT
    return signal_coefficient(method) * d**SIGNAL_EXPONENT / n_clients(n_mode)


def signal_denominator(
    method: str, framework: str, fl_term: str = "eq37", n_mode: str = "default"
) -> sp.Expr:
    r""":math:`\mathrm{Den}`, the leading part of the denominator (docs/theory/track_a.md §1
    table).

    local: :math:`g\, d^{2/5}`; DecL: :math:`g\,(1 - 1/|\bar A|)\, d^{2/5}`;
    FL: :math:`g\, d^{2/5} - \Theta(d^{7/20})`.
    """
    fw = framework_of(framework)
    g = signal_coefficient(method)
    if fw.has_graph:  # the neighbourhood average keeps 1 − 1/|Ā| of the signal (Eq. 30)
        return g * (1 - 1 / abar) * d**SIGNAL_EXPONENT
    if fw.has_theta_term:
        return g * d**SIGNAL_EXPONENT - fl_theta_term(method, fl_term, n_mode)
    return g * d**SIGNAL_EXPONENT


def denominator_sign(method: str, framework: str, sign: str = "+") -> int:
    r""":math:`\pm 1` in front of the denominator :math:`O(d^{-e})`.

    The theorems write "+O" everywhere; the proof of Thm 4.4 writes "−O" for CL under DecL
    (Eqs. 63–64, also Eqs. 82–83). ``sign="-"`` selects that variant for (CL, DecL) only; MIM
    (Eq. 62) and FL (Eqs. 71–73) keep "+O" as printed.
    """
    v.choice(sign, "sign", SIGNS)
    m, fw = bound_method_of(method), framework_of(framework)
    if sign == "-" and m.contrastive and fw.has_graph:
        return -1
    return 1


def denominator(
    method: str,
    framework: str,
    sign: str = "+",
    fl_term: str = "eq37",
    n_mode: str = "default",
) -> sp.Expr:
    r"""Full denominator :math:`\mathrm{Den} \pm C_{den} d^{-e}` of the lower bound; it must be
    :math:`> 0` to be defined."""
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
    r""":math:`\mathrm{LB} = 1 - C_{num} d^{-e} / (\mathrm{Den} \pm C_{den} d^{-e})`, Thm 4.2
    (MIM) / Thm 4.3 (CL).

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
    r""":math:`s = 1 - \mathrm{LB}`, the sensitivity the proofs use (Eqs. 62–64, 71–73 of arXiv
    2607.02447)."""
    return sp.expand(1 - lower_bound(method, framework, sign, fl_term, n_mode), deep=False)
