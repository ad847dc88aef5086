r"""Break-even hidden constants of the Track A bounds against the exact model at any d.

Every bound of Thms 4.2 / 4.3 of arXiv 2607.02447 (``theory.symbolic.lower_bound``) reads

$$
\mathrm{LB} = 1 - \frac{C_{num}\, d^{-e}}{\mathrm{Den} \pm C_{den}\, d^{-e}}, \qquad
\mathrm{Den} \in \Big\{ g\, d^{2/5},\ g\,(1 - 1/|\bar A|)\, d^{2/5},\
g\, d^{2/5} - \Theta(d^{7/20}) \ \text{(FL)} \Big\},
$$

with :math:`\Theta(d^{7/20}) = g\, d^{2/5}/N`, :math:`N = C_N d^{1/20}` (``fl_term="eq37"``)
or :math:`C_F d^{7/20}` (``"theta"``). For one hidden constant at a time (the others at 1)
the break-even value :math:`C^*(d)` solves :math:`\mathrm{LB}(C) = r(d)` in closed form (sympy
``solve``; LB is a linear-fractional function of each constant), where :math:`r(d)` is the exact
RV of the bound's coordinates from :mod:`theory.structured` (min over
:math:`k \in [N] \setminus \{i\}` locally, over :math:`k \in [N]` globally; over the optimal set
the smallest ("worst") or largest ("best") value).

Readings of the constants (which one is varied):

* ``c_num`` — the numerator :math:`O(d^{-e})`; LB decreases in it: the bound holds iff
  :math:`C_{num} \ge C^*`.
* ``c_den`` — the denominator :math:`O(d^{-e})`; with "+O" LB increases in it: holds iff
  :math:`C_{den} \le C^*` (with the "−O" of Eqs. 63–64 it decreases).
* ``c_f`` — FL with :math:`\Theta(d^{7/20}) = C_F d^{7/20}`; LB decreases in it: holds iff
  :math:`C_F \ge C^*` (and the denominator stays positive).
* ``c_n`` — FL with :math:`\Theta = g\, d^{2/5}/(C_N d^{1/20})`; LB increases in it: holds iff
  :math:`C_N \le C^*`.

Growth: where the exact RV r (and N, :math:`|\bar A|`) is the same at every d of the grid, as
under Eq. 4 with complementary masks, and :math:`C^* > 0` on it, the exponent comes from the
closed form:

$$
\lim_{d\to\infty} \frac{\log|C^*(d)|}{\log d}
$$

of the sympy break-even expression with r fixed (:func:`exact_exponent`; e.g. exactly 4/5 for
:math:`C_{num}` and 1/20 for :math:`C_F`), labelled ``"closed form"``. Where r moves with d but
settles at :math:`r_\infty < 1` (dissimilar CL under a block rotation or permutation:
:math:`r \to 0.2703, 0.2146`), :math:`C^*` is :math:`(1 - r(d))` times a closed form in d and
:math:`(1 - r)` tends to a positive constant, so the exponent is the closed form's with
:math:`r = r(d_{\max})` (the value of r does not enter it), labelled
``"closed form, r -> r_∞ < 1"`` with r at the largest d (the settling is observed on the grid,
not proved). Only where r neither stays nor settles is it the least-squares slope of
:math:`\log C^*` against :math:`\log d` over :math:`d \in [10^4, 10^{20}]`, ``"fit"``.
A reading *degenerates* when the constant that would rescue the bound escapes every fixed
value as :math:`d \to \infty`: for a constant the bound needs large (LB decreasing) when
:math:`C^* \to \infty` (exponent > ``SLOPE_TOL``); for a constant the bound needs small (LB
increasing) when :math:`C^* \le 0` at the large-d end (no positive value works) or
:math:`C^* \to 0` (exponent < −``SLOPE_TOL``). The claim is labelled
``"violated (asymptotically)"`` when every applicable reading degenerates, and
``"not violated asymptotically"`` otherwise; ``"holds for every constant"`` readings
(:math:`r = 1` within tolerance, so any constant works) never degenerate.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence

import numpy as np
import sympy as sp

from theory import _validate as v
from theory import structured as st
from theory import symbolic as S
from theory.datamodel import DataModel
from theory.frameworks import BOUND_METHODS, bound_method_of, framework_of
from theory.objectives import p_for, takes_transform
from theory.structured.rotation import _trace_h

READINGS = ("c_num", "c_den", "c_f", "c_n")
#: |slope| of log C* vs log d below this counts as bounded (no growth).
SLOPE_TOL = 0.01
#: 1 − r below this (the exact RV equals 1 to rounding) means any constant works.
ONE_TOL = 1e-12
#: r over the three largest d within this counts as settled (r → r_∞) ...
SETTLED_TOL = 1e-6
#: ... and 1 − r_∞ above this as away from 1: the exponent of C* is then its closed form's
AWAY_FROM_ONE = 1e-3
_SYMBOL = {"c_num": S.C_num, "c_den": S.C_den, "c_f": S.C_F, "c_n": S.C_N}
_ARGS = (S.d, S.p, S.abar, S.N, S.trH, S.C_num, S.C_den, S.C_F, S.C_N)
_R = sp.Symbol("r", real=True)


def _setting(framework: str, reading: str) -> tuple[str, str] | None:
    """(fl_term, n_mode) under which ``reading`` appears in the bound; None if it does not."""
    if reading in ("c_num", "c_den"):
        return "eq37", "given"
    if not framework_of(framework).has_theta_term:
        return None
    return ("theta", "given") if reading == "c_f" else ("eq37", "default")


@functools.cache
def breakeven_expression(method: str, framework: str, reading: str, sign: str = "+"):
    r"""Closed form of :math:`C^*` solving :math:`\mathrm{LB}(C) = r` (sympy), or None when the
    constant does not enter.

    Args:
      method: bound method ``"mim"``, ``"cl_similar"``, ``"cl_dissimilar"``.
      framework: ``"local"``, ``"decl"``, ``"fl"``.
      reading: one of ``READINGS``.
      sign: ``"+"`` or ``"-"`` (the "−O" of Eqs. 63–64, CL under DecL).

    Returns:
      ``(expr, direction)`` with ``expr`` in the symbols of :mod:`theory.symbolic` and r, and
      ``direction`` −1 when LB decreases in the constant (the bound needs :math:`C \ge C^*`),
      +1 when it increases (needs :math:`C \le C^*`).

    Example:
      >>> expr, direction = breakeven_expression("mim", "local", "c_num")
      >>> want = (1 - _R) * (2 * S.p * (1 - S.p) * S.d ** sp.Rational(4, 5) + S.C_den)
      >>> sp.simplify(expr - want), direction
      (0, -1)
    """
    v.choice(method, "method", S.METHODS)
    v.choice(framework, "framework", S.FRAMEWORKS)
    v.choice(reading, "reading", READINGS)
    setting = _setting(framework, reading)
    if setting is None:
        return None
    fl_term, n_mode = setting
    lb = S.lower_bound(method, framework, sign, fl_term, n_mode)
    sym = _SYMBOL[reading]
    if sym not in lb.free_symbols:
        return None
    y = sp.Symbol("y", real=True)
    sols = sp.solve(sp.Eq(lb.subs(sym, y), _R), y)
    if len(sols) != 1:
        raise AssertionError(f"expected one break-even solution, got {sols}")
    deriv = sp.diff(lb, sym)
    # sign of ∂LB/∂C at a generic admissible point (d large, p = 3/4, |Ā| = 2, N = 3, constants 1)
    point = {S.d: 10**8, S.p: sp.Rational(3, 4), S.abar: 2, S.N: 3, S.trH: 1}
    point.update({s: 1 for s in _SYMBOL.values()})
    direction = -1 if float(deriv.subs(point)) < 0 else 1
    return sp.simplify(sols[0]), direction


@functools.cache
def _numeric(method: str, framework: str, reading: str, sign: str):
    found = breakeven_expression(method, framework, reading, sign)
    if found is None:
        return None
    expr, direction = found
    fn = sp.lambdify((*_ARGS, _R), expr, modules="numpy")
    return fn, direction


def breakeven(
    method: str,
    framework: str,
    reading: str,
    *,
    d,
    r,
    p: float = 0.75,
    abar: float = 2.0,
    n: float = 4.0,
    trH: float = 1.0,
    sign: str = "+",
) -> np.ndarray:
    r""":math:`C^*(d)` for arrays d and exact values r (NaN where the reading does not apply).

    Other constants are 1. ``n`` is the N of the FL term when it is given (readings c_num,
    c_den); for ``c_n`` the bound uses :math:`N = C_N d^{1/20}`.

    Example:
      >>> float(breakeven("mim", "local", "c_num", d=1e10, r=1/3, p=0.75)[()]) > 1e7
      True
    """
    got = _numeric(method, framework, reading, sign)
    d = np.asarray(d, dtype=np.float64)
    r = np.asarray(r, dtype=np.float64)
    if got is None:
        return np.full(np.broadcast(d, r).shape, np.nan)
    fn, _ = got
    with np.errstate(all="ignore"):
        return np.asarray(
            fn(d, p, abar, n, trH, 1.0, 1.0, 1.0, 1.0, r) + 0.0 * d + 0.0 * r, dtype=np.float64
        )


def growth_exponent(ds: Sequence[float], values: Sequence[float]) -> float:
    r"""Least-squares slope of :math:`\log C^*` against :math:`\log d` over the points where
    :math:`C^* > 0` is finite.

    Example:
      >>> round(growth_exponent([1e4, 1e8, 1e12], [1e1, 1e3, 1e5]), 6)
      0.5
    """
    x = np.log(np.asarray(ds, dtype=np.float64))
    y = np.asarray(values, dtype=np.float64)
    ok = np.isfinite(y) & (y > 0)
    if ok.sum() < 2:
        return float("nan")
    return float(np.polyfit(x[ok], np.log(y[ok]), 1)[0])


def exact_exponent(method: str, framework: str, reading: str, sign: str, values: dict):
    r""":math:`\lim_{d\to\infty} \log|C^*(d)| / \log d` of the break-even closed form with every
    other symbol fixed at ``values`` ({sympy symbol: number}: p, N, :math:`|\bar A|`,
    :math:`\operatorname{tr} H`, r; hidden constants not given at 1), as a sympy number, or None
    where the limit is not a finite real (e.g. :math:`r = 1`: :math:`C^* \equiv 0`).

    >>> exact_exponent("mim", "local", "c_num", "+", {S.p: 0.75, S.N: 4, _R: 1 / 3})
    4/5
    >>> exact_exponent("mim", "fl", "c_f", "+", {S.p: 0.75, S.N: 4, _R: 0.25})
    1/20
    """
    found = breakeven_expression(method, framework, reading, sign)
    if found is None:
        return None
    subs = {k: sp.nsimplify(v, rational=True) for k, v in values.items()}
    for sym in _SYMBOL.values():
        subs.setdefault(sym, 1)
    expr = found[0].subs(subs)
    if expr.free_symbols - {S.d}:
        return None
    try:
        lim = sp.limit(sp.log(sp.Abs(expr)) / sp.log(S.d), S.d, sp.oo)
    except (NotImplementedError, ValueError):  # pragma: no cover - sympy gave up
        return None
    return lim if lim.is_real and lim.is_finite else None


def _constant(x) -> bool:
    """Whether a per-d series is one value to rounding (relative 1e-12)."""
    a = np.asarray(x, dtype=np.float64)
    return bool(np.all(np.abs(a - a[0]) <= 1e-12 * max(1.0, abs(float(a[0])))))


def _status(cstar: np.ndarray, direction: int, one: np.ndarray, exponent: float) -> str:
    if np.all(one):
        return "holds for every constant"
    tail = cstar[-3:]
    if direction < 0:  # the bound needs C >= C*
        if np.all(~np.isfinite(tail)):
            return "invalid"
        if np.all(tail <= 0):
            return "holds for every constant"
        return "degenerates (C* -> inf)" if exponent > SLOPE_TOL else "bounded"
    if np.all(~(tail > 0)):  # needs C <= C* but C* <= 0 (or undefined): no positive constant
        return "degenerates (no positive constant)"
    return "degenerates (C* -> 0)" if exponent < -SLOPE_TOL else "bounded"


def exact_values(
    exact_method: str,
    framework: str,
    ds: Sequence[int],
    *,
    n_clients: int = 4,
    c_n: float | None = None,
    graph: str = "star",
    p: float = 0.75,
    H=None,
    rare_axis="class-index",
) -> dict:
    r"""Exact :math:`r(d)` for a bound: min RV over its coordinates, worst and best over the
    optimal set.

    Local: min over clients i of :math:`\min_{k \in [N] \setminus \{i\}} r_{i,k}`; global:
    :math:`\min_{k \in [N]} r_k`. Also the N and :math:`|\bar A|` of each d
    (:math:`N = \max(2, \mathrm{round}(C_N d^{1/20}))` when ``c_n`` is given).
    """
    fw = framework_of(framework)
    pe = p_for(exact_method, p)  # the bound's p; the exact optimum takes it where it enters
    worst, best, ns, abars = [], [], [], []
    for d in ds:
        n = st.n_of_d(d, c_n) if c_n is not None else n_clients
        model = DataModel(d=d, n_clients=n, rare_axis=rare_axis)
        if fw.per_client:
            res = [st.solve(model, exact_method, client=i, H=H, p=pe) for i in range(n)]
        else:
            res = [st.solve_framework(model, exact_method, framework, graph=graph, H=H, p=pe)]
        worst.append(min(1.0 - r.gap[1] for r in res))
        best.append(min(1.0 - r.gap[0] for r in res))
        ns.append(n)
        abars.append(st.decl_abar(graph, n) if fw.has_graph else float(n))
    return {"worst": np.array(worst), "best": np.array(best), "n": ns, "abar": abars}


def _trh(model_n: int, H) -> float:
    """tr(P_c H_sym P_c) over e_1..e_c (Assumption A.9) of a structured transform."""
    model = DataModel(d=10**6, n_clients=model_n)
    return _trace_h(st.structured_transform(H, model), model.c)


def asymptotic_verdict(
    method: str,
    framework: str,
    *,
    exact_method: str | None = None,
    ds: Sequence[int] | None = None,
    n_clients: int = 4,
    c_n: float | None = None,
    graph: str = "star",
    p: float = 0.75,
    H=None,
    rare_axis="class-index",
    sign: str = "+",
    optimum: str = "worst",
) -> dict:
    r"""Break-even constants of one bound against one exact reading, their growth and the label.

    Args:
      method: bound method ``"mim"``, ``"cl_similar"``, ``"cl_dissimilar"``.
      framework: ``"local"``, ``"decl"``, ``"fl"``.
      exact_method: exact model method (default: the first of the bound's
        :attr:`~theory.frameworks.BoundMethod.exact_methods`).
      ds: d grid (default 17 points over :math:`[10^4, 10^{20}]`).
      n_clients / c_n: N fixed, or :math:`N = \max(2, \mathrm{round}(C_N d^{1/20}))`.
      graph: DecL graph (π of Eq. 1 and :math:`|\bar A|`); p, H, rare_axis: the exact model.
      sign: "±O" of the CL DecL denominator; optimum: ``"worst"`` or ``"best"`` over the
        optimal set.

    Returns:
      dict: ``label`` ("violated (asymptotically)" or "not violated asymptotically"), ``d``,
      ``r`` (exact values), ``readings``: {reading: {``cstar`` (per d), ``exponent``,
      ``direction``, ``status``}} for the applicable readings, and the configuration.

    Example:
      >>> out = asymptotic_verdict("mim", "local", ds=[10**4, 10**12, 10**20])
      >>> sorted(out["readings"]), out["readings"]["c_num"]["direction"]
      (['c_den', 'c_num'], 'bound holds iff C >= C*')
    """
    exact_method, H, ds, ex = _verdict_inputs(
        method, framework, exact_method, ds, n_clients, c_n, graph, p, H, rare_axis, optimum
    )
    r = ex[optimum]
    one = (1.0 - r) <= ONE_TOL
    trh = _trh(ex["n"][0], H) if bound_method_of(method).takes_transform else 1.0
    readings = _readings(method, framework, sign, ds, r, one, ex, p, trh)
    degenerate = all(x["status"].startswith("degenerates") for x in readings.values())
    return {
        "label": "violated (asymptotically)" if degenerate else "not violated asymptotically",
        "method": method,
        "framework": framework,
        "exact_method": exact_method,
        "optimum": optimum,
        "d": list(ds),
        "r": r,
        "n": ex["n"],
        "abar": ex["abar"],
        "trH": trh,
        "sign": sign,
        "readings": readings,
        "rule": (
            "violated (asymptotically) iff every applicable reading degenerates: the constant "
            f"that rescues the bound grows as d^x with x > {SLOPE_TOL} (bound needs C >= C*), "
            f"or shrinks as d^x with x < -{SLOPE_TOL} or has no positive value at the largest "
            "d (bound needs C <= C*)"
        ),
    }


def _verdict_inputs(
    method, framework, exact_method, ds, n_clients, c_n, graph, p, H, rare_axis, optimum
) -> tuple:
    """Validated (exact_method, H, ds) of :func:`asymptotic_verdict` and the exact r(d)."""
    m = bound_method_of(method)
    v.choice(framework, "framework", S.FRAMEWORKS)
    v.choice(optimum, "optimum", ("worst", "best"))
    exact_method = m.exact_methods[0] if exact_method is None else exact_method
    v.choice(exact_method, "exact_method", m.exact_methods)
    if m.takes_transform and H is None:
        H = "identity"
    ds = st.d_grid(1e4, 1e20, 17) if ds is None else [v.integer(x, "ds", lo=1) for x in ds]
    ex = exact_values(
        exact_method,
        framework,
        ds,
        n_clients=n_clients,
        c_n=c_n,
        graph=graph,
        p=p,
        H=H if takes_transform(exact_method) else None,
        rare_axis=rare_axis,
    )
    return exact_method, H, ds, ex


def _readings(method, framework, sign, ds, r, one, ex, p, trh) -> dict:
    """{reading: C*(d), its exponent, direction, status} for each reading in the bound."""
    dsf = np.asarray([float(x) for x in ds])
    readings = {}
    for reading in READINGS:
        key = (method, framework, reading, sign)
        got = _numeric(*key)
        if got is None:
            continue
        _, direction = got
        cstar = breakeven(
            method,
            framework,
            reading,
            d=dsf,
            r=np.where(one, 1.0, r),
            p=p,
            abar=np.asarray(ex["abar"], dtype=np.float64),
            n=np.asarray(ex["n"], dtype=np.float64),
            trH=trh,
            sign=sign,
        )
        expo, source, exact = _exponent(key, ds, dsf, cstar, r, one, ex, p, trh)
        readings[reading] = {
            "cstar": cstar,
            "exponent": expo,
            "exponent_source": source,
            "exponent_exact": None if exact is None else str(exact),
            "direction": "bound holds iff C >= C*" if direction < 0 else "bound holds iff C <= C*",
            "status": _status(cstar, direction, one, expo),
        }
    return readings


def _exponent(key: tuple, ds, dsf, cstar, r, one, ex, p, trh) -> tuple:
    """(exponent, source, exact) of C*: the closed form's limit where r is fixed or settled."""
    expo, source, exact = growth_exponent(dsf, cstar), "fit", None
    fixed = _constant(r) and _constant(ex["n"]) and _constant(ex["abar"])
    # r moving with d but settled away from 1 (the block transforms): C* is (1 - r) times
    # a closed form in d, so its exponent is that closed form's, whatever r_inf < 1 is
    settled = (
        not fixed
        and _constant(ex["n"])
        and _constant(ex["abar"])
        and bool(np.all(np.abs(r[-3:] - r[-1]) <= SETTLED_TOL))
        and 1.0 - float(r[-1]) > AWAY_FROM_ONE
    )
    tail_ok = bool(np.all(np.asarray(cstar)[-3:] > 0))
    if (
        (fixed or settled)
        and not one.any()
        and tail_ok
        and (settled or bool(np.all(np.asarray(cstar) > 0)))
    ):
        values = {S.p: p, S.N: float(ex["n"][0]), S.abar: float(ex["abar"][0]), S.trH: trh,
                  _R: float(r[-1])}  # fmt: skip
        exact = exact_exponent(*key, values)
        if exact is not None:
            expo = float(exact)
            source = (
                "closed form"
                if fixed
                else f"closed form, r -> {float(r[-1]):.6g} < 1 (r at d = {ds[-1]:.0e})"
            )
    if not np.isfinite(expo):
        source = "undefined (no positive C*)"
    return expo, source, exact


def all_verdicts(transforms: Sequence[str] = ("identity",), **kwargs) -> list[dict]:
    """:func:`asymptotic_verdict` for every bound × framework × exact reading (same kwargs).

    ``transforms``: the structure-keeping H of the dissimilar-CL readings (one verdict each;
    e.g. ``theory.structured.STRUCTURED_TRANSFORMS``); every result carries ``"transform"``
    (None for the other bounds).
    """
    out = []
    for method, m in BOUND_METHODS.items():
        for framework in S.FRAMEWORKS:
            for exact in m.exact_methods:
                hs = list(transforms) if m.takes_transform else [None]
                for h in hs:
                    kw = dict(kwargs)
                    if h is not None:
                        kw["H"] = h
                    res = asymptotic_verdict(method, framework, exact_method=exact, **kw)
                    res["transform"] = h
                    out.append(res)
    return out
