"""Verdicts proved for all N and d from closed forms (arXiv 2607.02447, Eq. 17, Thm 4.2).

Where the exact quantity of a claim has a closed form in N, p and d, the verdict needs no grid:
it is a sign of a closed-form expression, decided here for every N and d at once. Each proof
is a :class:`Proof` with its statement, the range of N it covers and a ``word(...)`` that
evaluates the proved verdict at one configuration exactly (sympy, 50 significant digits for
the final sign). The verdict map and ``dssl verify`` check every computed cell against it and
mark the cell ``proved (all N, d)`` where the two agree (``theory.claims``), ``computed
(grid)`` everywhere else.

Proved here:

* **Eq. 17** (the paper's diagonal target against the exact mask expectation of Eq. 4). The
  exact target is p(1 − p)·(S − diag S), S = E[x xᵀ], hollow; the paper's is 2p(1 − p)·diag S
  (:func:`theory.symbolic.check_eq17`, exact). Their difference has diagonal 2p(1 − p)·S_kk and
  by Cauchy–Schwarz |S_kl| ≤ max_k S_kk, so max|X_exact − X_paper| ≥ max(max|X_exact|,
  max|X_paper|): the two differ by more than T5's 64ε relative tolerance for every N ≥ 2, d
  and 0 < p < 1 with some S_kk > 0. Word: ``violated``.
* **Eqs. 29–30** on the star graph (violated, N ≥ 3) and the complete graph (holds), with
  the paper's uniform mixing (:func:`_eq2930`'s statement).
* **Thm 4.2 under Eq. 4 with complementary masks**, local and FL. The exact target on
  e_1..e_N is c₀·(J − I) on the n offset axes (n = N − 1 for a client, whose own axis is 0;
  n = N for FL), with c₀ > 0 for N ≥ 3 (:func:`theory.symbolic.mim_hollow_block`; outside
  e_1..e_N the target is 0). J − I has the eigenvalue n − 1 on the all-ones vector and −1 on
  its complement, so the positive part has rank 1 and the RV is 1/n on the n axes for every
  c ≥ 1: r = 1/(N − 1) (local, k ≠ i) and 1/N (FL) (:func:`eq4_rv`). With u = d^{4/5} the
  bound is LB = 1 − C_num / (g·u + C_den), g = κ (local) or κ(1 − 1/N) (FL, Eq. 37 reading),
  κ = 2p(1 − p). Hence Track A's bound is trivial (LB ≤ 0) for g·u ≤ C_num − C_den, the claim
  holds for C_num − C_den < g·u < C_num/(1 − r) − C_den and is violated beyond: for every
  N ≥ 3 once κ u > 2C_num − C_den (local; the threshold is largest at N = 3), i.e. at the
  default constants once d > (1/κ)^{5/4}.

Not proved (computed on the grid): Eqs. 29–30 on other graphs or a user's mixing matrix, Thm
4.2 under DecL (its Eq. (1) weights depend on the graph), the
independent-mask and Eq. 3 readings, the CL bounds, Thm 4.4, Cor 4.5, Thm 4.6, and the
``fl_term="theta"`` variant of the FL bound (not of the form above).
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable

import mpmath
import sympy as sp

from theory import _validate as v
from theory.frameworks import framework_of
from theory.symbolic import terms as t

#: the mark of a verdict proved for all N and d, and of one computed on the grid
PROVED = "proved (all N, d)"
COMPUTED = "computed (grid)"

_u = sp.Symbol("u", positive=True)  # u = d^{4/5}


@dataclasses.dataclass(frozen=True)
class Proof:
    """A verdict proved from a closed form: ``claim`` and ``reading`` it covers, N ≥ ``n_min``,
    the ``statement`` (one paragraph), the closed forms as sympy strings (``forms``) and
    ``word(n, d, p, c_num, c_den, graph) -> str | None``, the proved verdict at one
    configuration (None where the proof does not cover it, e.g. another graph)."""

    claim: str
    reading: tuple
    n_min: int
    statement: str
    forms: dict
    word: Callable = dataclasses.field(repr=False, compare=False)

    def to_dict(self) -> dict:
        return {
            "claim": self.claim,
            "reading": dict(self.reading),
            "valid_for": f"N >= {self.n_min}, every d, 0 < p < 1, C_num, C_den > 0",
            "statement": self.statement,
            **self.forms,
        }


def eq4_rv(framework: str) -> sp.Expr:
    """Exact RV on the offset axes of the Eq. 4 (complementary masks) optimum, any N ≥ 3:
    1/(N − 1) for a client (k ≠ i), 1/N for FL (module docstring).

    >>> eq4_rv("local"), eq4_rv("fl")
    (1/(N - 1), 1/N)
    """
    v.choice(framework, "framework", ("local", "fl"))
    return 1 / (t.N - 1) if framework_of(framework).per_client else 1 / t.N


def _sign(a, b) -> int:
    """The sign of a − b for two mpmath numbers at 50 digits; 0 within 1e-45 relative (an
    equality a proof would have to decide exactly; no configuration of the map comes near)."""
    diff = a - b
    if abs(diff) <= mpmath.mpf("1e-45") * max(abs(a), abs(b), 1):
        return 0
    return 1 if diff > 0 else -1


def _thm42(framework: str) -> Proof:
    lb = t.lower_bound("mim", framework, "+", "eq37", "given")
    g = sp.factor(
        sp.simplify(
            t.signal_denominator("mim", framework, "eq37", "given") / t.d**t.SIGNAL_EXPONENT
        )
    )
    rv = eq4_rv(framework)
    # LB in u = d^{4/5}: 1 - C_num / (g u + C_den)
    lb_u = 1 - t.C_num / (g * _u + t.C_den)
    check = sp.simplify(lb.subs(t.d, _u ** sp.Rational(5, 4)) - lb_u)
    if check != 0:  # the closed form above must be the bound of theory.symbolic.terms
        raise AssertionError(f"LB is not 1 - C_num/(g u + C_den): {check}")
    trivial = (t.C_num - t.C_den) / g
    threshold = (t.C_num / (1 - rv) - t.C_den) / g

    args = (t.N, t.p, t.C_num, t.C_den)
    f_trivial = sp.lambdify(args, trivial, modules="mpmath")
    f_threshold = sp.lambdify(args, threshold, modules="mpmath")

    def word(n, d, p, c_num, c_den, graph=None) -> str:
        with mpmath.workdps(50):
            x = [mpmath.mpf(int(n)), *(mpmath.mpf(repr(float(a))) for a in (p, c_num, c_den))]
            u = mpmath.mpf(int(d)) ** (mpmath.mpf(4) / 5)
            if _sign(u, f_trivial(*x)) <= 0:
                return "degenerate"  # LB <= 0: Track A's bound is trivial (R2)
            s = _sign(u, f_threshold(*x))
        return {1: "violated", -1: "holds", 0: "degenerate"}[s]

    # the readable forms of the statement, checked equal to the expressions used
    kap = t.kappa()
    if framework_of(framework).per_client:
        who, r_txt, g_txt, ratio = "every client's r_(i,k), k != i,", "1/(N-1)", "2p(1-p)", (
            t.N - 1) / (t.N - 2)  # fmt: skip
        g_read, ratio_txt = kap, "(N-1)/(N-2)"
    else:
        who, r_txt, g_txt, ratio = "the FL RV", "1/N", "2p(1-p)(1-1/N)", t.N / (t.N - 1)
        g_read, ratio_txt = kap * (1 - 1 / t.N), "N/(N-1)"
    for a, b in ((g, g_read), (threshold, (ratio * t.C_num - t.C_den) / g_read)):
        if sp.simplify(a - b) != 0:
            raise AssertionError(f"the statement's form differs from the proof's: {a} vs {b}")
    statement = (
        f"Thm 4.2 ({framework}) under Eq. 4 with complementary masks: {who} is exactly {r_txt} "
        f"on e_1..e_N for every N >= 3, d and c. With u = d^(4/5) and g = {g_txt}, "
        f"LB = 1 - C_num/(g u + C_den): violated wherever g u > {ratio_txt} C_num - C_den, "
        "holds where C_num - C_den < g u below that, and Track A's bound is trivial (LB <= 0) "
        "where g u <= C_num - C_den."
    )
    forms = {
        "rv": str(rv),
        "lower_bound_in_u": str(lb_u),
        "violated_iff_u_above": str(sp.factor(threshold)),
        "trivial_iff_u_at_most": str(sp.factor(trivial)),
    }
    return Proof(f"thm4.2.{framework}", (("objective", "eq4-complementary"),), 3, statement,
                 forms, word)  # fmt: skip


def _eq17() -> Proof:
    from theory.symbolic.masks import check_eq17

    r = check_eq17(3)
    if not (r["is_hollow"] and r["paper_is_diagonal"] and not r["equal"]):
        raise AssertionError("Eq. 17's closed forms are not hollow vs diagonal")
    statement = (
        "Eq. 17: the exact Eq. 4 target is p(1-p)(S - diag S) (hollow), the paper's 2p(1-p) "
        "diag S; their difference is at least the larger target's largest entry (Cauchy-"
        "Schwarz), far above T5's 64 eps: violated for every N >= 2, d and 0 < p < 1."
    )
    forms = {
        "exact_offdiag": r["offdiag_coefficient"],
        "exact_diag": r["diag_coefficient"],
        "paper_diag": r["paper_diag_coefficient"],
    }
    return Proof("eq17", (), 2, statement, forms, lambda *a, **k: "violated")


def _eq2930() -> Proof:
    """Eqs. 29–30 on the star graph and the complete graph with the paper's uniform mixing."""
    N = t.N
    # star: hub 0 (|A| = N), leaves |A| = 2; π_k = (1/N) Σ_i W_ik, W_ik = 1/|A_i| (Eq. 1)
    pi_leaf = (1 / N) * (1 / N + sp.Rational(1, 2))
    abar = (N + 2 * (N - 1)) / N
    gap = sp.factor(sp.simplify(1 / abar - pi_leaf))
    want = (N - 2) * (2 * N**2 + N - 2) / (2 * N**2 * (3 * N - 2))
    if sp.simplify(gap - want) != 0:
        raise AssertionError(f"1/|Ā| − π_leaf is not {want}: {gap}")
    statement = (
        "Eqs. 29-30 (Track B: the exact Eq. (1) DecL diagonal against the construction of Eqs. "
        "27-30, both affine averages of the clients' diagonals S_j,kk = mu^2 + (1-rho)([k=j] "
        "+ [k!=j] tau^2/2) + rho [k = h_j]). On a coordinate k of [N] that is no client's rare "
        "axis (k = 1: h_j is even under class-index and >= N under extra) they differ by "
        "kappa (1-rho)(1 - tau^2/2)(pi_k - 1/|A|). Star graph with the paper's uniform mixing "
        "(hub 0): 1/|A| - pi_leaf = (N-2)(2N^2+N-2)/(2N^2(3N-2)) > 0 for N >= 3, and "
        "tau^2 = d^(2/5) >= (2N)^(2/5) > 2, so the relative difference is above 1e-3, far "
        "above T5's 64 eps: violated for every N >= 3, d, p and rho < 1. The complete graph "
        "(regular, |A| = N): pi_k = 1/N = 1/|A| and every construction weight is 1/N, so the "
        "two agree exactly: holds for every N and d."
    )
    forms = {"inv_abar_minus_pi_leaf_star": str(gap)}

    def word(n, d, p, c_num, c_den, graph=None):
        if graph == "complete":
            return "holds"
        if graph == "star" and n >= 3:
            return "violated"
        return None

    return Proof("eq29-30", (), 2, statement, forms, word)


@functools.lru_cache(maxsize=1)
def proofs() -> tuple[Proof, ...]:
    """Every proof of this module (built once; sympy)."""
    return (_eq17(), _eq2930(), _thm42("local"), _thm42("fl"))


def proof_for(claim: str, reading: dict, *, fl_term: str = "eq37", sign: str = "+"):
    """The :class:`Proof` covering ``claim`` under ``reading`` and the bound variant, or None.

    >>> proof_for("thm4.2.fl", {"objective": "eq4-complementary"}).claim
    'thm4.2.fl'
    >>> proof_for("thm4.2.fl", {"objective": "eq4-complementary"}, fl_term="theta") is None
    True
    """
    for pr in proofs():
        if pr.claim == claim and dict(pr.reading) == dict(reading):
            if pr.claim.startswith("thm4.2.") and fl_term != "eq37":
                return None
            return pr
    return None


def basis(claim: str, reading: dict, computed: str, *, n: int, d: int, p: float,
          c_num: float = 1.0, c_den: float = 1.0, fl_term: str = "eq37",
          sign: str = "+", graph: str | None = None) -> dict:  # fmt: skip
    """The basis of one computed verdict: ``{"verdict_basis": PROVED}`` where a proof covers the
    cell and its word equals ``computed``; else ``{"verdict_basis": COMPUTED}``, with
    ``proved_word`` when a proof covers the cell but disagrees (a computation to look at, never
    overridden).

    >>> basis("thm4.2.fl", {"objective": "eq4-complementary"}, "violated", n=4, d=10**6,
    ...       p=0.75)
    {'verdict_basis': 'proved (all N, d)'}
    >>> basis("thm4.4", {}, "holds", n=4, d=10**6, p=0.75)
    {'verdict_basis': 'computed (grid)'}
    """
    pr = proof_for(claim, reading, fl_term=fl_term, sign=sign)
    if pr is None or n < pr.n_min:
        return {"verdict_basis": COMPUTED}
    word = pr.word(n, d, p, c_num, c_den, graph=graph)
    if word is None:
        return {"verdict_basis": COMPUTED}
    if word == computed:
        return {"verdict_basis": PROVED}
    return {"verdict_basis": COMPUTED, "proved_word": word}
