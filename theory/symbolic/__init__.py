r"""Track A, the paper as written: sympy derivations of the bounds of arXiv 2607.02447 (Section 4).

Everything here is exact (sympy Rationals and symbols). The module reproduces the paper's
closed forms *and* computes, independently, the quantities the proofs derive:

* the mask expectation of Eq. (4), hollow, beside the paper's diagonal Eq. (17), and the
  two-independent-masks variant (:func:`check_eq17`);
* the DecL neighbourhood average of Eqs. (27)–(30) in the paper's own diagonal model, beside
  the paper's :math:`(1 - 1/|\bar A|)` form (:func:`check_eq29_30`);
* the lower bounds of Theorems 4.2 and 4.3 (:func:`lower_bound`) and the sensitivities
  :math:`s = 1 - \mathrm{LB}` used in the proofs of Theorems 4.4 and 4.6 (:func:`sensitivity`);
* Theorem 4.4's ratio :math:`s^C/s^M` and Eq. (66)'s limit (:func:`check_thm44`), Corollary
  4.5's derivative in :math:`|\bar A|` (:func:`check_cor45`) and Theorem 4.6's ordering
  (:func:`check_thm46`).

The results are outputs (dicts of sympy strings, booleans and conditions); nothing here assumes
that a claim of the paper holds.

Hidden constants. Every :math:`O(d^{-e})` in a numerator is ``C_num·d^{−e}``, every
:math:`O(d^{-e})` in a denominator ``C_den·d^{−e}`` (all > 0, default 1 in :mod:`theory.bounds`).
The :math:`\Theta(d^{7/20})` of the FL bounds is either ``C_F·d^{7/20}`` (``fl_term="theta"``)
or its identification from Eq. (37), :math:`g\, d^{2/5}/N` with
:math:`g = \kappa = 2p(1-p)` (MIM), 1 (CL similar), :math:`\operatorname{tr}(H)` (CL dissimilar)
(``fl_term="eq37"``, the default); N is given or :math:`N = C_N d^{1/20}` (``n_mode="default"``).

Regenerate the golden file with ``python -m theory.symbolic --golden > tests/golden/track_a.json``.
"""

from __future__ import annotations

# Where each part lives: terms (symbols, Thm 4.2/4.3 terms, LB and s), masks (Eq. 17),
# decl_weights (Eqs. 27–30), theorems (Eq. 37, Thm 4.4, Cor 4.5, Thm 4.6), golden_values
# (fixtures and golden constants), hollow (closed forms of theory.structured), _asymptotics
# (leading terms and signs). Every name is importable from theory.symbolic.
from theory.symbolic.decl_weights import (
    check_eq29_30,
    decl_average,
    objective_weights,
    paper_client_diagonal,
)
from theory.symbolic.golden_values import (
    FIXTURE_ABAR,
    FIXTURE_COLUMNS,
    FIXTURE_DS,
    FIXTURE_P,
    fixture_values,
    golden,
)
from theory.symbolic.hollow import mim_hollow_block, mim_hollow_rv
from theory.symbolic.masks import check_eq17, mask_expectation, paper_eq17_matrix
from theory.symbolic.terms import (
    C_F,
    C_N,
    FL_TERMS,
    FRAMEWORKS,
    METHODS,
    N_EXPONENT,
    N_MODES,
    SIGNAL_EXPONENT,
    SIGNS,
    THETA_EXPONENT,
    C_den,
    C_num,
    N,
    abar,
    d,
    denominator,
    denominator_error_term,
    denominator_sign,
    error_exponent,
    fl_theta_term,
    kappa,
    lower_bound,
    n_clients,
    numerator_term,
    p,
    sensitivity,
    signal_coefficient,
    signal_denominator,
    tau,
    trH,
)
from theory.symbolic.theorems import check_cor45, check_thm44, check_thm46, derive_fl_theta

__all__ = [
    "FIXTURE_ABAR",
    "FIXTURE_COLUMNS",
    "FIXTURE_DS",
    "FIXTURE_P",
    "FL_TERMS",
    "FRAMEWORKS",
    "METHODS",
    "N_EXPONENT",
    "N_MODES",
    "SIGNAL_EXPONENT",
    "SIGNS",
    "THETA_EXPONENT",
    "C_F",
    "C_N",
    "C_den",
    "C_num",
    "N",
    "abar",
    "check_cor45",
    "check_eq17",
    "check_eq29_30",
    "check_thm44",
    "check_thm46",
    "d",
    "decl_average",
    "denominator",
    "denominator_error_term",
    "denominator_sign",
    "derive_fl_theta",
    "error_exponent",
    "fixture_values",
    "fl_theta_term",
    "golden",
    "kappa",
    "lower_bound",
    "mask_expectation",
    "mim_hollow_block",
    "mim_hollow_rv",
    "n_clients",
    "numerator_term",
    "objective_weights",
    "p",
    "paper_client_diagonal",
    "paper_eq17_matrix",
    "sensitivity",
    "signal_coefficient",
    "signal_denominator",
    "tau",
    "trH",
]
