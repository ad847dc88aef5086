r"""Verdicts proved for every N and d from closed forms (arXiv 2607.02447, Section 4).

Every claim of the paper, under the paper's own reading (Eq. (4) with complementary masks,
similar CL augmentations, the spread over [N]), has an exact answer in the linear model: the
lemmas of :mod:`theory.symbolic.lemmas`, each derived in sympy for a symbolic N, give the exact
RVs and sensitivities, and the word is a sign of a closed-form expression, decided for every N
and d at once. Each proof is a :class:`Proof` with its statement, the lemmas it rests on, the
range of N it covers, its obligations (sympy statements "assumptions ⇒ claim" that
:mod:`theory.certify.smt` checks a second way, with an SMT solver) and ``word(...)``, the proved
verdict at one configuration (exact; mpmath at 50 digits where a threshold in d is compared).
The verdict map and ``dssl verify`` check every computed cell against it: where the words
agree the cell's basis is ``proved (all N, d)``; a proof that disagreed would be reported as
``proved_word`` beside the computed word, never applied.

Proved (the paper's reading; :math:`N \ge 3` unless said; at :math:`N = 2` the Eq. (4) target
is 0 and a word that rests on it is ``void``, R11):

* **Eq. 17**: the exact target is hollow, the paper's diagonal: violated for every
  :math:`N \ge 2`.
* **Eqs. 29–30** on the star (violated) and the complete graph (holds), from the star's Eq. (1)
  weights (:func:`theory.symbolic.lemmas.star_weights`).
* **Thm 4.2** local, FL and DecL (star; complete graph): exact RVs :math:`1/(N - 1)`,
  :math:`1/N` and the star's :math:`r_{\mathrm{hub}}` (:func:`theory.symbolic.lemmas.star_rv`);
  violated wherever :math:`g u > C_{num}/(1 - r) - C_{den}`, :math:`u = d^{4/5}`.
* **Thm 4.3** local, FL and DecL (every graph, :math:`N \ge 2`): :math:`r = 1` on [N] exactly
  (:func:`theory.symbolic.lemmas.cl_block_bound`), so the bound holds wherever it is not
  trivial.
* **Thm 4.4**: locally :math:`s^C = 0 < s^M = 1/(N - 1)`: violated.
* **Cor 4.5**: CL's :math:`s_{\mathrm{Dec}}` is 0 on every graph: robustness does not improve
  with :math:`|\bar A|`: violated (R13, R5).
* **Thm 4.6**: on the star MIM's :math:`s_{\mathrm{Fed}} = 0` rests on FL's rank-one optimum
  (``collapsed``, R7) and CL's sides are equal (holds with equality, R13): ``collapsed`` (R5);
  on a regular graph the objectives are one (R12): holds.
* **Eq. 87**: CL's sides are equal by proof, the claim strict: violated on every graph with
  :math:`|\bar A| < N`.
* **Eq. 89**: on the complete graph the DecL objective is FL's (:math:`\pi = 1/N`): holds.

Not proved: the other readings (computed on the grid), DecL bounds on a graph other than the
star or a regular graph (certified per graph in ball arithmetic, :mod:`theory.certify.balls`),
and the variants ``fl_term="theta"`` and ``sign="-"`` of the bounds.
"""

from __future__ import annotations

import dataclasses
import functools
import operator
from collections.abc import Callable

import mpmath
import sympy as sp

from theory import _validate as v
from theory import verdicts as vd
from theory.certify.smt import Obligation
from theory.frameworks import bound_method_of, framework_of
from theory.symbolic import lemmas as lm
from theory.symbolic import terms as t

#: the basis of a verdict: proved for all N and d, certified in ball arithmetic, or computed
PROVED = "proved (all N, d)"
CERTIFIED = "certified (ball arithmetic)"
COMPUTED = "computed (grid)"

_u = sp.Symbol("u", positive=True)  # u = d^{e + 2/5}: d^{4/5} (MIM), d^{3/5} (CL)
_r = sp.Symbol("r", positive=True)
_g = sp.Symbol("g", positive=True)

#: the paper's readings the proofs cover (``theory.claims.REGISTRY[...].paper_reading``)
_MIM = (("objective", "eq4-complementary"),)
_CL = (("cl", "similar"),)
_THM44 = (("objective", "eq4-complementary"), ("cl", "similar"), ("sensitivity", "spread-N"))
_MIM_ANY = (("method", "eq4-complementary"), ("sensitivity", "spread-N"))
_CL_ANY = (("method", "similar"), ("sensitivity", "spread-N"))


@dataclasses.dataclass(frozen=True)
class Proof:
    """A verdict proved from closed forms: ``claim``, the ``readings`` it covers (one proof may
    cover several readings whose cells combine with R5), N ≥ ``n_min``, the ``statement``
    (one paragraph), the ``lemmas`` it rests on (names in :mod:`theory.symbolic.lemmas`), the
    closed forms as sympy strings (``forms``), the ``obligations`` and
    ``word(n, d, p, c_num, c_den, graph=None, abar=None) -> str | None``, the proved word at
    one configuration (None where the proof does not cover it, e.g. another graph)."""

    claim: str
    readings: tuple
    n_min: int
    statement: str
    lemmas: tuple
    forms: dict
    obligations: tuple = ()
    word: Callable = dataclasses.field(repr=False, compare=False, default=None)

    def to_dict(self) -> dict:
        return {
            "claim": self.claim,
            "readings": [dict(r) for r in self.readings],
            "valid_for": f"N >= {self.n_min}, every d, 0 < p < 1, C_num, C_den > 0",
            "statement": self.statement,
            "lemmas": list(self.lemmas),
            "obligations": [o.name for o in self.obligations],
            **self.forms,
        }


# ----------------------------------------------------------------------------------------------
# shared obligations
# ----------------------------------------------------------------------------------------------
_N_GE_3 = (t.N >= 3,)
_P_IN = (t.p > 0, t.p < 1)
_C_POS = (t.C_num > 0, t.C_den > 0)


def _c0_positive() -> Obligation:
    c0 = lm.mim_client_offdiag()
    return Obligation(
        "c0 > 0", c0 > 0, (*_P_IN, t.tau > 0, lm.rho >= 0, lm.rho < 1),
        "the Eq. (4) offset entry p(1-p)(1-rho)tau^2/4 is positive",
    )  # fmt: skip


#: the bound LB = 1 − C_num/(g u + C_den) in u = d^{e + 2/5}
_LB = 1 - t.C_num / (_g * _u + t.C_den)


def _threshold_obligation(*, above: bool) -> Obligation:
    """Above u* = (C_num/(1 − r) − C_den)/g the bound LB exceeds r (``above``); below it,
    LB < r."""
    cmp, rel = (operator.gt, ">") if above else (operator.lt, "<")
    return Obligation(
        "violated above the threshold" if above else "holds below the threshold",
        cmp(_LB, _r),
        (_g > 0, _u > 0, *_C_POS, _r > 0, _r < 1, cmp(_g * _u, t.C_num / (1 - _r) - t.C_den)),
        f"g u {rel} C_num/(1 - r) - C_den implies LB {rel} r",
    )


def _lb_below_one() -> Obligation:
    return Obligation("LB < 1", _LB < 1, (_g > 0, _u > 0, *_C_POS), "the bound never reaches r = 1")


def _cl_coefficient() -> Obligation:
    cb = lm.cl_block_bound()
    return Obligation(
        "CL block coefficient > 0",
        cb["coef"] > 0,
        (cb["pi_k"] >= 0, cb["pi_k"] <= 1, t.tau > 0, lm.rho >= 0, lm.rho < 1),
        "(1 - rho)[pi_k + (tau^2/4)(1 - pi_k)] > 0: every eigenvalue of the CL [N] block "
        "exceeds mu^2",
    )


def _star_obligations() -> tuple:
    s = lm.star_rv()
    L = sp.Symbol("L", nonnegative=True)
    lam = (s["gamma"] + L) / 2
    defn = sp.Eq(L**2, s["gamma"] ** 2 + 4 * s["beta2"])
    r_hub = s["beta2"] / (s["beta2"] + lam**2)
    return (
        Obligation("star: hub-leaf weight > 0", s["beta0"] > 0, _N_GE_3,
                   "1 - pi_hub - pi_leaf > 0, so det B < 0"),
        Obligation("star: leaf-leaf weight > 0", s["gamma0"] > 0, _N_GE_3,
                   "1 - 2 pi_leaf > 0: the zero-sum leaf vectors have a negative eigenvalue"),
        Obligation("star: r_hub < 1/N", t.N * r_hub < 1, (*_N_GE_3, L >= 0, defn),
                   "the hub's RV is the smallest: min r = r_hub, and the spread r_leaf - r_hub "
                   "is positive"),
    )  # fmt: skip


# ----------------------------------------------------------------------------------------------
# the bounds: Thm 4.2 (MIM) and Thm 4.3 (CL)
# ----------------------------------------------------------------------------------------------
def _sign(a, b) -> int:
    """The sign of a − b for two mpmath numbers at 50 digits; 0 within 1e-45 relative (an
    equality a proof would have to decide exactly; no configuration of the map comes near)."""
    diff = a - b
    if abs(diff) <= mpmath.mpf("1e-45") * max(abs(a), abs(b), 1):
        return 0
    return 1 if diff > 0 else -1


def _exact_abar(n: int, graph: str | None, abar) -> sp.Rational | None:
    """|Ā| as an exact rational: closed form on the star and the complete graph, else the
    given float rounded to its denominator N (|Ā| = Σ|A_i|/N)."""
    if graph == "star":
        return sp.Rational(3 * n - 2, n)
    if graph == "complete":
        return sp.Integer(n)
    if abar is None:
        return None
    return sp.Rational(round(float(abar) * n), n)


def _bound_rv(method: str, framework: str):
    """The exact min r of the bound's coordinates under the paper's reading, as a function of
    (n, graph) -> sympy number or None (not covered), and the lemmas it rests on."""
    fw = framework_of(framework)
    if bound_method_of(method).contrastive:
        return (lambda n, graph: sp.Integer(1)), ("second_moments", "cl_block_bound")
    if fw.per_client:
        rv = lm.local_mim_rv()
        return (lambda n, graph: rv.subs(t.N, n)), (
            "second_moments", "mask_weights", "mim_client_offdiag", "all_ones_spectrum",
            "hollow_rv", "local_mim_rv",
        )  # fmt: skip
    rv_fl = lm.fl_mim_rv()
    base = ("second_moments", "mask_weights", "pi_weighted_offdiag", "all_ones_spectrum",
            "hollow_rv", "fl_mim_rv")  # fmt: skip
    if not fw.has_graph:
        return (lambda n, graph: rv_fl.subs(t.N, n)), base
    r_hub = lm.star_rv()["r_hub"]

    def decl(n, graph):
        if graph == "star":
            return r_hub.subs(t.N, n)
        if graph in ("complete", "uniform"):  # Eq. (1) weights 1/N: FL's target
            return rv_fl.subs(t.N, n)
        return None

    return decl, (*base, "star_weights", "star_rv")


def _bound_proof(claim: str, method: str, framework: str) -> Proof:
    fw = framework_of(framework)
    contrastive = bound_method_of(method).contrastive
    lb = t.lower_bound(method, framework, "+", "eq37", "given")
    g = sp.factor(
        sp.simplify(
            t.signal_denominator(method, framework, "eq37", "given") / t.d**t.SIGNAL_EXPONENT
        )
    )
    expo = t.error_exponent(method) + t.SIGNAL_EXPONENT  # u = d^{e + 2/5}
    lb_u = 1 - t.C_num / (g * _u + t.C_den)
    if sp.simplify(lb.subs(t.d, _u ** (1 / expo)) - lb_u) != 0:
        raise AssertionError(f"{claim}: LB is not 1 - C_num/(g u + C_den)")
    rv_of, lemmas = _bound_rv(method, framework)
    n_min = 2
    args = (t.N, t.p, t.C_num, t.C_den, t.abar)
    f_g = sp.lambdify(args, g, modules="mpmath")

    def word(n, d, p, c_num, c_den, graph=None, abar=None):
        if n < n_min:
            return None
        if n == 2 and not contrastive:
            return "void"  # the Eq. (4) target is 0 at N = 2 (_VOID_AT_2): W = 0, R11
        r = rv_of(int(n), graph)
        ab = _exact_abar(int(n), graph, abar) if fw.has_graph else sp.Integer(2)
        if r is None or ab is None:
            return None
        with mpmath.workdps(50):
            x = [mpmath.mpf(int(n)), *(mpmath.mpf(repr(float(a))) for a in (p, c_num, c_den))]
            gv = f_g(*x, mpmath.mpf(ab.p) / ab.q)
            u = mpmath.mpf(int(d)) ** (mpmath.mpf(expo.p) / expo.q)
            if _sign(gv * u, x[2] - x[3]) <= 0:
                return "degenerate"  # LB <= 0: Track A's bound is trivial (R2)
            if r == 1:
                return "holds"  # LB < 1 = r
            rr = mpmath.mpf(sp.N(r, 60))
            s = _sign(gv * u, x[2] / (1 - rr) - x[3])
        return {1: "violated", -1: "holds", 0: "degenerate"}[s]

    r_txt = {("local", False): "1/(N-1)", ("fl", False): "1/N"}.get(
        (framework, contrastive), "r_hub (star), 1/N (complete graph)"
    )
    who = (
        "r_(i,k), k != i,"
        if fw.per_client
        else ("the FL RV" if not fw.has_graph else "the DecL RV")
    )
    if contrastive:
        statement = (
            f"Thm 4.3 ({framework}) under similar augmentations: {who} is exactly 1 on e_1..e_N "
            "for every N, d, p, rho < 1, every graph and both rare-axis readings (the CL [N] "
            "block is invariant and each of its eigenvalues exceeds mu^2, while at most N other "
            "axes do, so every optimum of width c >= 2N keeps it). With u = d^(3/5), "
            f"LB = 1 - C_num/(g u + C_den) < 1, g = {g}: holds wherever g u > C_num - C_den "
            "(else Track A's bound is trivial)."
        )
        obligations = (_cl_coefficient(), _lb_below_one())
    else:
        statement = (
            f"Thm 4.2 ({framework}) under Eq. 4 with complementary masks: {who} is exactly "
            f"{r_txt} on e_1..e_N for every N >= 3, d and c. With u = d^(4/5) and g = {g}, "
            "LB = 1 - C_num/(g u + C_den): violated wherever g u > C_num/(1 - r) - C_den, "
            "holds where C_num - C_den < g u below that, and Track A's bound is trivial "
            "(LB <= 0) where g u <= C_num - C_den. " + _VOID_AT_2
        )
        obligations = (
            _c0_positive(),
            _threshold_obligation(above=True),
            _threshold_obligation(above=False),
        )
        if fw.has_graph:
            obligations += _star_obligations()
    forms = {
        "lower_bound_in_u": str(lb_u),
        "u": f"d^({expo})",
        "g": str(g),
        "trivial_iff_u_at_most": str(sp.factor((t.C_num - t.C_den) / g)),
    }
    if not contrastive:
        r_sym = {"local": lm.local_mim_rv(), "fl": lm.fl_mim_rv()}.get(framework)
        if r_sym is not None:
            forms["rv"] = str(r_sym)
            forms["violated_iff_u_above"] = str(sp.factor((t.C_num / (1 - r_sym) - t.C_den) / g))
        else:
            forms["rv_star_hub"] = str(lm.star_rv()["r_hub"])
            forms["violated_iff_u_above"] = "(C_num/(1 - r_hub) - C_den)/g, |Ā| = (3N-2)/N"
    else:
        forms["rv"] = "1"
    reading = _CL if contrastive else _MIM
    return Proof(claim, (reading,), n_min, statement, lemmas, forms, obligations, word)


def eq4_rv(framework: str) -> sp.Expr:
    r"""Exact RV on the offset axes of the Eq. 4 (complementary masks) optimum, any
    :math:`N \ge 3`: :math:`1/(N - 1)` for a client (:math:`k \ne i`), :math:`1/N` for FL,
    derived by :func:`theory.symbolic.lemmas.local_mim_rv` and
    :func:`theory.symbolic.lemmas.fl_mim_rv`.

    >>> eq4_rv("local"), eq4_rv("fl")
    (1/(N - 1), 1/N)
    """
    v.choice(framework, "framework", ("local", "fl"))
    return lm.local_mim_rv() if framework_of(framework).per_client else lm.fl_mim_rv()


# ----------------------------------------------------------------------------------------------
# the derivation steps: Eq. 17 and Eqs. 29-30
# ----------------------------------------------------------------------------------------------
def _eq17() -> Proof:
    from theory.symbolic.masks import check_eq17

    r = check_eq17(3)
    if not (r["is_hollow"] and r["paper_is_diagonal"] and not r["equal"]):
        raise AssertionError("Eq. 17's closed forms are not hollow vs diagonal")
    if lm.mask_weights()["diag"] != 0:
        raise AssertionError("the complementary mask expectation is not hollow")
    statement = (
        "Eq. 17: the exact Eq. 4 target is p(1-p)(S - diag S) (hollow: E[(1-m_k)m_k] = 0), the "
        "paper's 2p(1-p) diag S; their difference is at least the larger target's largest "
        "entry (Cauchy-Schwarz), far above T5's 64 eps: violated for every N >= 2, d and "
        "0 < p < 1."
    )
    forms = {
        "exact_offdiag": r["offdiag_coefficient"],
        "exact_diag": r["diag_coefficient"],
        "paper_diag": r["paper_diag_coefficient"],
    }
    ob = Obligation(
        "paper's diagonal is nonzero", 2 * t.p * (1 - t.p) > 0, _P_IN,
        "2p(1-p) > 0 while the exact diagonal is 0",
    )  # fmt: skip
    return Proof("eq17", ((),), 2, statement, ("mask_weights",), forms, (ob,),
                 lambda *a, **k: "violated")  # fmt: skip


def _eq2930() -> Proof:
    """Eqs. 29–30 on the star graph and the complete graph with the paper's uniform mixing."""
    w = lm.star_weights()
    gap = sp.factor(sp.simplify(1 / w["abar"] - w["leaf"]))
    statement = (
        "Eqs. 29-30 (Track B: the exact Eq. (1) DecL diagonal against the construction of Eqs. "
        "27-30, both affine averages of the clients' diagonals S_j,kk = mu^2 + (1-rho)([k=j] "
        "+ [k!=j] tau^2/2) + rho [k = h_j]). On a coordinate k of [N] that is no client's rare "
        "axis (k = 1: h_j is even under class-index and >= N under extra) they differ by "
        "kappa (1-rho)(1 - tau^2/2)(pi_k - 1/|A|). Star graph with the paper's uniform mixing "
        f"(hub 0, lemmas.star_weights): 1/|A| - pi_leaf = {gap} > 0 for N >= 3, and "
        "tau^2 = d^(2/5) >= (2N)^(2/5) > 2, so the relative difference is above 1e-3, far "
        "above T5's 64 eps: violated for every N >= 3, d, p and rho < 1. The complete graph "
        "(regular, |A| = N): pi_k = 1/N = 1/|A| and every construction weight is 1/N, so the "
        "two agree exactly: holds for every N and d."
    )
    forms = {"inv_abar_minus_pi_leaf_star": str(gap)}
    ob = Obligation("star: 1/|A| > pi_leaf", gap > 0, _N_GE_3,
                    "the construction's weight 1/|A| differs from the exact pi_leaf")  # fmt: skip

    def word(n, d, p, c_num, c_den, graph=None, abar=None):
        if graph == "complete":
            return "holds"
        if graph == "star" and n >= 3:
            return "violated"
        return None

    return Proof("eq29-30", ((),), 2, statement, ("star_weights",), forms, (ob,), word)


# ----------------------------------------------------------------------------------------------
# the comparisons: Thm 4.4, Cor 4.5, Thm 4.6 (Eqs. 87, 89)
# ----------------------------------------------------------------------------------------------
_VOID_AT_2 = (
    "At N = 2 the Eq. (4) target is 0 (a client's offset block c0(J - I) has order N - 1 = 1, "
    "FL's weight c0(N - 2)/N is 0, and the only connected graph is the complete one): the "
    "optimum is W = 0 and the word is void (Assumption A.5, R11)."
)
_CL_ZERO = (
    "CL (similar): r = 1 on [N] for every Eq. (1) weighting (lemmas.cl_block_bound), so its "
    "spread over [N] is 0 exactly, on every graph and in FL"
)


def _thm44() -> Proof:
    statement = (
        "Thm 4.4 under Eq. 4 (complementary) and similar CL, spread over [N]: locally s^C = 0 "
        "(lemmas.cl_block_bound) while client i's Eq. 4 optimum has r_i = 0 and r_k = 1/(N-1) "
        "(lemmas.local_mim_rv), s^M = 1/(N-1) > 0: the strict s^C > s^M is violated for every "
        "N >= 3 and d, whatever DecL and FL give (R5). In FL both spreads are 0 (s^M because "
        "FL's Eq. 4 optimum has rank one, lemmas.fl_mim_rv). " + _VOID_AT_2
    )
    forms = {"s_cl_local": "0", "s_mim_local": str(lm.local_mim_rv())}
    ob = Obligation("local s^M > 0", 1 / (t.N - 1) > 0, _N_GE_3, "1/(N-1) > 0 = s^C")
    return Proof("thm4.4", (_THM44,), 2, statement,
                 ("cl_block_bound", "local_mim_rv", "fl_mim_rv"), forms,
                 (ob, _cl_coefficient(), _c0_positive()),
                 lambda n, *a, **k: "violated" if n >= 3 else "void")  # fmt: skip


def _cor45() -> Proof:
    statement = (
        f"Cor 4.5 for any SSL method: {_CL_ZERO}; robustness does not improve with |Ā|, and "
        "the strict claim is violated (R13) for every N >= 3 and d, which decides the claim "
        "whatever MIM gives (R5: violated comes first). MIM's s_Dec depends on the Eq. (1) "
        "weights pi only (lemmas.pi_weighted_offdiag); its word on the official code's random "
        "graphs is computed (and certified in ball arithmetic), not proved."
    )
    return Proof("cor4.5", (_CL_ANY,), 3, statement, ("cl_block_bound",),
                 {"s_cl_every_graph": "0"}, (_cl_coefficient(),),
                 lambda n, *a, **k: "violated" if n >= 3 else None)  # fmt: skip


#: Theorem 4.6 and its two equations as proved: (claim id, the statement's name, the relation
#: s_Dec ? s_Fed it asserts).
_THM46_PARTS = (
    ("thm4.6", "thm4.6", ">="),
    ("thm4.6.eq87", "eq87", ">"),
    ("thm4.6.eq89", "eq89", "=="),
)


def _thm46(claim: str, which: str, relation: str, reading: tuple) -> Proof:
    spread = lm.star_rv()["spread"]
    mim = reading == _MIM_ANY
    if mim:
        lemmas = ("pi_weighted_offdiag", "fl_mim_rv", "star_weights", "star_rv")
        obligations = (_c0_positive(), *_star_obligations())
        statement = (
            f"{which} under Eq. 4 (complementary), s_Dec {relation} s_Fed: FL's optimum has rank "
            "one and RV 1/N (lemmas.fl_mim_rv), so s_Fed = 0 rests on a collapse (rank 1 < N); "
            "on the star s_Dec = r_leaf - r_hub > 0 (lemmas.star_rv): the order holds only "
            "through the collapse, collapsed (R7), for every N >= 3 and d; on the complete "
            "graph the DecL objective is FL's (R12): holds (with equality for >=)."
        )

        def word(n, d, p, c_num, c_den, graph=None, abar=None):
            if n == 2:  # _VOID_AT_2; Eq. 87 has no graph with |Ā| < N = 2
                return None if relation == ">" else "void"
            if relation == "==":
                return "holds"
            if graph == "complete" and relation == ">":
                return None  # Eq. 87 needs |Ā| < N
            if graph in ("complete", "uniform"):  # one objective (R12)
                return "violated" if relation == ">" else "holds"
            return "collapsed" if graph == "star" else None

    else:
        lemmas = ("second_moments", "cl_block_bound")
        obligations = (_cl_coefficient(),)
        statement = (
            f"{which} under similar CL, s_Dec {relation} s_Fed: {_CL_ZERO}. The two sides are "
            "equal by proof: "
            + ("the strict claim is violated (R13) on every graph with |Ā| < N"
               if relation == ">" else "the claim holds with equality (R13) on every graph")
            + ", every N >= 2 and d."
        )  # fmt: skip

        def word(n, d, p, c_num, c_den, graph=None, abar=None):
            if relation == ">" and graph == "complete":
                return None  # Eq. 87 needs |Ā| < N
            return "violated" if relation == ">" else "holds"

    forms = {"s_cl_every_graph": "0"} if not mim else {"s_mim_star": str(spread), "s_mim_fl": "0"}
    if mim:
        statement += " " + _VOID_AT_2
    return Proof(claim, (reading,), 2, statement, lemmas, forms, obligations, word)


@functools.lru_cache(maxsize=1)
def proofs() -> tuple[Proof, ...]:
    """Every proof of this module (built once; sympy)."""
    return (
        _eq17(),
        _eq2930(),
        _bound_proof("thm4.2.local", "mim", "local"),
        _bound_proof("thm4.2.decl", "mim", "decl"),
        _bound_proof("thm4.2.fl", "mim", "fl"),
        _bound_proof("thm4.3.local", "cl_similar", "local"),
        _bound_proof("thm4.3.decl", "cl_similar", "decl"),
        _bound_proof("thm4.3.fl", "cl_similar", "fl"),
        _thm44(),
        _cor45(),
        *(_thm46(*part, r) for part in _THM46_PARTS for r in (_MIM_ANY, _CL_ANY)),
    )


def proof_for(claim: str, reading: dict, *, fl_term: str = "eq37", sign: str = "+"):
    """The :class:`Proof` covering ``claim`` under ``reading`` and the bound variant, or None.

    >>> proof_for("thm4.2.fl", {"objective": "eq4-complementary"}).claim
    'thm4.2.fl'
    >>> proof_for("thm4.2.fl", {"objective": "eq4-complementary"}, fl_term="theta") is None
    True
    """
    for pr in proofs():
        if pr.claim == claim and any(dict(r) == dict(reading) for r in pr.readings):
            if pr.claim.startswith(("thm4.2.", "thm4.3.")) and (fl_term, sign) != ("eq37", "+"):
                return None
            return pr
    return None


def basis(claim: str, reading: dict, computed: str, *, n: int, d: int, p: float,
          c_num: float = 1.0, c_den: float = 1.0, fl_term: str = "eq37", sign: str = "+",
          graph: str | None = None, abar: float | None = None) -> dict:  # fmt: skip
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
    word = pr.word(n, d, p, c_num, c_den, graph=graph, abar=abar)
    if word is None:
        return {"verdict_basis": COMPUTED}
    if word == computed:
        return {"verdict_basis": PROVED}
    return {"verdict_basis": COMPUTED, "proved_word": word}


def claim_decided(words_and_bases) -> bool:
    """Whether a claim's combined word (R5 over its readings) is proved: every reading's word
    is proved, or one proved reading is ``violated``, which R5 puts first whatever the others
    say.

    >>> claim_decided([("violated", PROVED), ("collapsed", COMPUTED)])
    True
    >>> claim_decided([("holds", PROVED), ("collapsed", COMPUTED)])
    False
    """
    pairs = list(words_and_bases)
    if pairs and all(b == PROVED for _, b in pairs):
        return True
    return any(w == "violated" and b == PROVED for w, b in pairs)


def claim_word(claim: str, *, n: int, d: int, p: float, c_num: float = 1.0, c_den: float = 1.0,
               graph: str | None = None, abar: float | None = None) -> str | None:  # fmt: skip
    """The proved word of ``claim`` under the paper's reading at one configuration: the words
    of its readings' proofs combined with R5 (:func:`theory.verdicts.combine`), where they
    decide it (:func:`claim_decided`: all covered, or one proved ``violated``); else None.
    ``graph``: ``star``, ``complete``, ``uniform`` or None (the weight classes of the proofs).

    >>> claim_word("thm4.6.eq87", n=4, d=10**6, p=0.75, graph="star")
    'violated'
    >>> claim_word("thm4.6", n=4, d=10**6, p=0.75, graph="star")
    'collapsed'
    """
    words = []
    for reading in _paper_readings(claim):
        pr = proof_for(claim, reading)
        w = None if pr is None else pr.word(n, d, p, c_num, c_den, graph=graph, abar=abar)
        words.append((w, PROVED if w is not None else COMPUTED))
    if not claim_decided(words):
        return None
    if any(w == "violated" for w, _ in words):
        return "violated"
    return vd.combine(w for w, _ in words)


def _paper_readings(claim: str) -> list[dict]:
    """The readings the proofs of ``claim`` cover, one per proof (the paper's own readings)."""
    return [dict(r) for pr in proofs() if pr.claim == claim for r in pr.readings]
