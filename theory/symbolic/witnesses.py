"""Exact counterexamples: the smallest witness of each claim violated under the paper's reading.

A witness is a configuration (N, d, p, graph) of the data model of Section 3.2 of arXiv
2607.02447 at which the claim fails, checked by exact substitution, independently of the
symbolic-N proofs of :mod:`theory.symbolic.proofs`: the exact targets are built at that integer
N from the samples (:func:`theory.symbolic.hollow.mim_hollow_block`, an enumeration of the
offsets q for CL), their optima by sympy's exact eigenvectors, and the paper's bound from
:func:`theory.symbolic.terms.lower_bound`. Everything is a sympy Rational, except the RV of the
star's DecL optimum, an algebraic number whose sign against the bound is decided in ball
arithmetic (python-flint ``arb`` at 300 bits, the ball's radius printed beside it).

d runs over fifth powers k⁵ (k ≥ 2), so that τ = d^{1/5} = k, μ = 1/k and every term of the
bounds is rational; d ≥ 4N (the model's leading block). "Smallest" orders by N, then d, then p
in the verdict map's order (1/2, 3/4, 3/20, 9/10); the hidden constants are the paper's
defaults C_num = C_den = 1 and the rare fraction is the data model's ρ = 1/20.

Run ``python -m theory.symbolic.witnesses [CLAIM ...]`` to print them.
"""

from __future__ import annotations

import functools
import itertools
import sys

import flint
import sympy as sp

from theory import _validate as v
from theory.symbolic import hollow
from theory.symbolic import terms as t
from theory.symbolic.decl_weights import objective_weights

#: p in the verdict map's order of preference (the map's grid values as rationals)
P_VALUES = (sp.Rational(1, 2), sp.Rational(3, 4), sp.Rational(3, 20), sp.Rational(9, 10))
RHO = sp.Rational(1, 20)
N_MAX, K_MAX = 8, 12
_ARB_BITS = 300


def _star(n: int) -> list[list[int]]:
    return [[int((i == 0) != (j == 0)) for j in range(n)] for i in range(n)]


def _complete(n: int) -> list[list[int]]:
    return [[int(i != j) for j in range(n)] for i in range(n)]


def _abar(adj) -> sp.Rational:
    n = len(adj)
    return sp.Rational(sum(sum(r) + 1 for r in adj), n)


def _subs(k: int, p) -> dict:
    return {sp.Symbol("p", positive=True): p, sp.Symbol("tau", positive=True): k,
            sp.Symbol("rho", positive=True): RHO}  # fmt: skip


@functools.lru_cache(maxsize=64)
def _mim_blocks(n: int) -> tuple:
    """The exact Eq. (4) client targets on [N] (integer-N construction, symbolic.hollow)."""
    return tuple(hollow.mim_hollow_block(n, client=i)[0] for i in range(n))


def _top_rv(X: sp.Matrix) -> list:
    """RV on every axis of the optimum's positive part (exact eigenvectors, Gram-Schmidt)."""
    vecs = []
    for val, _, basis in X.eigenvects():
        if sp.simplify(val) > 0:
            vecs += basis
    if not vecs:
        return [sp.Integer(0)] * X.shape[0]
    Q = sp.GramSchmidt(vecs, orthonormal=True)
    return [sp.nsimplify(sp.simplify(sum(q[i] ** 2 for q in Q))) for i in range(X.shape[0])]


def _mim_target(n: int, pi, k: int, p) -> sp.Matrix:
    blocks = _mim_blocks(n)
    X = sum((pi[i] * blocks[i] for i in range(n)), sp.zeros(n, n))
    return X.subs(_subs(k, p))


@functools.lru_cache(maxsize=64)
def _cl_block(n: int, client: int) -> sp.Matrix:
    """E[x xᵀ] on [N] of client ``client``'s frequent samples, by enumerating the offsets q."""
    tau = sp.Symbol("tau", positive=True)
    out = sp.zeros(n, n)
    others = [j for j in range(n) if j != client]
    combos = list(itertools.product((0, 1), repeat=len(others)))
    for sign in (1, -1):
        for q in combos:
            x = [sp.Integer(0)] * n
            x[client] = sp.Integer(sign)
            for j, qj in zip(others, q, strict=True):
                x[j] = -qj * tau
            out += sp.Matrix(x) * sp.Matrix(x).T
    return out / (2 * len(combos))


def _cl_rv_is_one(n: int, pi, k: int) -> bool:
    """Whether every optimum of the similar-CL target Σ π_j E_j[x xᵀ] (+ μ²I) keeps [N]: its
    [N] block minus μ²I is positive definite (exactly, Sylvester's criterion), while at most N
    axes outside [N] (the rare axes) exceed μ², and c ≥ 2N (extra rare axes: the rare class
    does not touch [N])."""
    tau = sp.Symbol("tau", positive=True)
    B = sum(((1 - RHO) * pi[j] * _cl_block(n, j) for j in range(n)), sp.zeros(n, n))
    B = B.subs(tau, k)
    return all(B[:m, :m].det() > 0 for m in range(1, n + 1))


def _to_arb(expr) -> flint.arb:
    """A real algebraic sympy expression (rationals, +, *, integer and half-integer powers)
    evaluated in ball arithmetic: every operation of arb encloses the exact result."""
    if expr.is_Rational:
        return flint.arb(flint.fmpq(int(expr.p), int(expr.q)))
    if expr.is_Add:
        out = flint.arb(0)
        for a in expr.args:
            out += _to_arb(a)
        return out
    if expr.is_Mul:
        out = flint.arb(1)
        for a in expr.args:
            out *= _to_arb(a)
        return out
    if expr.is_Pow and expr.exp.is_Rational:
        base = _to_arb(expr.base)
        num, den = int(expr.exp.p), int(expr.exp.q)
        if den == 1:
            return base**num
        if den == 2:
            return base.sqrt() ** num
    raise TypeError(f"expr: a real algebraic expression of rationals and square roots, got {expr}")


def _sign_ball(expr) -> tuple[int, str]:
    """Sign of a real algebraic sympy expression decided in ball arithmetic (arb, 300 bits),
    with the ball printed as midpoint +/- radius."""
    old = flint.ctx.prec
    flint.ctx.prec = _ARB_BITS
    try:
        ball = _to_arb(sp.expand(expr))
        text = ball.str(20, radius=True)
        if ball > 0:
            return 1, text
        if ball < 0:
            return -1, text
        return 0, text
    finally:
        flint.ctx.prec = old


def _lb(framework: str, method: str, n: int, k: int, p, abar=None) -> sp.Rational:
    lb = t.lower_bound(method, framework, "+", "eq37", "given")
    vals = {t.d: k**5, t.p: p, t.C_num: 1, t.C_den: 1, t.N: n}
    if abar is not None:
        vals[t.abar] = abar
    return sp.nsimplify(sp.simplify(lb.subs(vals)))


def _bound_local(n: int, k: int, p) -> tuple:
    """Thm 4.2 for one client (client 0's own target): min r over k != i, no graph."""
    rv = _top_rv(_mim_target(n, [1] + [0] * (n - 1), k, p))
    return min(rv[1:]), "k != i = 0", "one client", None


def _bound_fl(n: int, k: int, p) -> tuple:
    """Thm 4.2 for FL (π = 1/N): min r over [N], no graph."""
    rv = _top_rv(_mim_target(n, [sp.Rational(1, n)] * n, k, p))
    return min(rv), "k in [N]", "FL (pi = 1/N)", None


def _bound_decl(n: int, k: int, p) -> tuple:
    """Thm 4.2 for DecL on the star (π of Eq. 1): min r over [N] (algebraic numbers, compared
    in floating point only to pick the smallest; the sign is decided in ball arithmetic)."""
    adj = _star(n)
    rv = _top_rv(_mim_target(n, objective_weights(adj), k, p))
    return min(rv, key=lambda x: float(x)), "k in [N]", "star", _abar(adj)


def _check_bound(framework: str, place, n: int, k: int, p) -> dict | None:
    """Thm 4.2 under ``framework`` (the bound's framework in :func:`_lb`): the evidence where
    min r of the exact MIM optimum is below the paper's LB; ``place`` (one of the three above)
    gives min r, its coordinates, the setting's name and |Ā| (None without a graph)."""
    r, coords, graph, abar = place(n, k, p)
    lb = _lb(framework, "mim", n, k, p, abar)
    sign, ball = _sign_ball(lb - r)
    if sign <= 0:
        return None
    return {
        "graph": graph,
        "abar": str(abar) if abar is not None else None,
        "check": f"min r over {coords} = {r} < LB = {lb}",
        "rv": str(r),
        "lower_bound": str(lb),
        "lb_minus_r": ball,
    }


def _check_eq17(n: int, k: int, p) -> dict | None:
    """Client 0, offset axis 1: exact Eq. (4) diagonal 0 against the paper's 2p(1-p)E[x_1^2]."""
    tau, mu = sp.Integer(k), sp.Rational(1, k)
    exact = _mim_target(n, [1] + [0] * (n - 1), k, p)[1, 1]
    ex2 = (1 - RHO) * tau**2 / 2 + mu**2
    paper = 2 * p * (1 - p) * ex2
    if exact == paper:
        return None
    return {"graph": "one client", "check": f"X_exact[1,1] = {exact} != X_Eq17[1,1] = {paper}"}


def _check_eq29_30(n: int, k: int, p) -> dict | None:
    """The star's exact Eq. (1) diagonal on a leaf's axis against the Eqs. 27-30 construction."""
    tau, mu = sp.Integer(k), sp.Rational(1, k)
    adj = _star(n)
    pi, abar = objective_weights(adj), _abar(adj)

    def s_kk(j, kk):  # E_j[x_kk^2] times 2p(1-p), client j's paper diagonal (extra rare)
        e2 = (1 - RHO) * (1 if kk == j else tau**2 / 2) + mu**2
        return 2 * p * (1 - p) * e2

    kk = 1  # a leaf's axis
    exact = sum(pi[j] * s_kk(j, kk) for j in range(n))
    others = sum(s_kk(j, kk) for j in range(n) if j != kk) / (n - 1)
    constr = s_kk(kk, kk) / abar + (1 - 1 / abar) * others
    if sp.simplify(exact - constr) == 0:
        return None
    return {"graph": "star", "abar": str(abar),
            "check": f"exact Eq. (1) diagonal on e_1 = {sp.nsimplify(exact)} != Eqs. 27-30 "
                     f"construction = {sp.nsimplify(constr)}"}  # fmt: skip


def _check_thm44(n: int, k: int, p) -> dict | None:
    """One client: CL's sensitivity 0 (r = 1 on [N]) against MIM's positive one."""
    rv = _top_rv(_mim_target(n, [1] + [0] * (n - 1), k, p))
    s_m = max(rv) - min(rv)
    if not _cl_rv_is_one(n, [1] + [0] * (n - 1), k) or not s_m > 0:
        return None
    text = f"local s^C = 0 (r = 1 on [N]) is not > s^M = {s_m} (r = {rv})"
    return {"graph": "one client", "check": text}


def _check_cor45(n: int, k: int, p) -> dict | None:
    """CL (similar) on the star and the complete graph: sensitivity 0 on both."""
    graphs = {"star": _star(n), "complete": _complete(n)}
    if not all(_cl_rv_is_one(n, objective_weights(a), k) for a in graphs.values()):
        return None
    ab = ", ".join(f"{g} {_abar(a)}" for g, a in graphs.items())
    return {"graph": "star and complete", "abar": ab,
            "check": "CL (similar): s_Dec = 0 on both graphs (r = 1 on [N]): no improvement "
                     "with |Ā|"}  # fmt: skip


def _check_thm46_eq87(n: int, k: int, p) -> dict | None:
    """CL (similar) on the star (|Ā| < N) and in FL: both sensitivities 0, so s_Dec > s_Fed
    fails."""
    adj = _star(n)
    if not (_abar(adj) < n and _cl_rv_is_one(n, objective_weights(adj), k)
            and _cl_rv_is_one(n, [sp.Rational(1, n)] * n, k)):  # fmt: skip
        return None
    return {"graph": "star", "abar": str(_abar(adj)),
            "check": f"|Ā| = {_abar(adj)} < N; CL (similar): s_Dec = s_Fed = 0 (r = 1 on "
                     "[N] for both), so s_Dec > s_Fed is false"}  # fmt: skip


#: each claim's exact check ``check(N, k, p) -> evidence or None`` and the smallest N it is
#: searched from (Eq. 17 needs one client and an offset axis; the others a third client)
CHECKS = {
    "eq17": (_check_eq17, 2),
    "eq29-30": (_check_eq29_30, 3),
    "thm4.2.local": (functools.partial(_check_bound, "local", _bound_local), 3),
    "thm4.2.decl": (functools.partial(_check_bound, "decl", _bound_decl), 3),
    "thm4.2.fl": (functools.partial(_check_bound, "fl", _bound_fl), 3),
    "thm4.4": (_check_thm44, 3),
    "cor4.5": (_check_cor45, 3),
    "thm4.6.eq87": (_check_thm46_eq87, 3),
}
#: the claims a witness is searched for: those violated under the paper's reading
CLAIMS = tuple(CHECKS)


@functools.lru_cache(maxsize=16)
def witness(claim: str) -> dict:
    """The smallest witness of ``claim`` (module docstring), checked by exact substitution.

    Returns:
      dict: ``claim``, ``N``, ``d`` (= k⁵), ``p`` (a Rational as a string), ``graph``, ``check``
      (the exact quantities that fail), and for the bounds ``lb_minus_r`` (LB − min r as an arb
      ball).

    Example:
      >>> w = witness("thm4.2.local")
      >>> w["N"], w["d"], w["p"]
      (3, 32, '1/2')
    """
    v.choice(claim, "claim", CLAIMS)
    check, n_min = CHECKS[claim]
    for n in range(n_min, N_MAX + 1):
        for k in range(2, K_MAX + 1):
            if k**5 < 4 * n:
                continue
            for p in P_VALUES:
                found = check(n, k, p)
                if found is not None:
                    return {"claim": claim, "N": n, "d": k**5, "p": str(p), **found}
    v.fail("claim", f"a claim with a witness at N <= {N_MAX}, d <= {K_MAX}^5", claim)


def witnesses(claims=CLAIMS) -> list[dict]:
    """:func:`witness` of each claim."""
    return [witness(c) for c in claims]


def format_witness(w: dict) -> str:
    """One line: ``thm4.2.local: N = 3, d = 32 (2^5), p = 1/2, one client: ...``."""
    k = round(w["d"] ** 0.2)
    return (
        f"{w['claim']}: N = {w['N']}, d = {w['d']} ({k}^5), p = {w['p']}, {w['graph']}: "
        f"{w['check']}"
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    bad = [a for a in args if a not in CLAIMS]
    if bad:
        print(f"claim: must be one of {', '.join(CLAIMS)}, got {bad[0]!r}", file=sys.stderr)
        return 2
    for w in witnesses(tuple(args) or CLAIMS):
        print(format_witness(w))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
