r"""Track A bounds of arXiv 2607.02447 as jitted JAX functions (Thms 4.2, 4.3;
docs/theory/track_a.md §1).

The sympy expressions of :mod:`theory.symbolic` are turned into JAX code with
``sympy.lambdify(..., modules="jax")`` and ``jax.jit``. Every lambdified function takes the
arguments in the recorded order :data:`ARGS`; arguments a bound does not use are ignored
(e.g. ``n`` when :math:`N = C_N d^{1/20}`, ``c_f`` unless ``fl_term="theta"``). Everything is
float64.

Two layers:

* raw kernels, pure and jittable/vmappable: :func:`bound_function` (one bound) and
  :func:`kernel` (all nine sensitivities and denominators at once); they take arrays in
  :data:`ARGS` order and do no validation;
* validated entry points on concrete values (scalars or arrays, broadcast together, e.g. an
  array of d for plots vs d): :func:`sensitivity`, :func:`lower_bound`, :func:`sensitivities`,
  :func:`evaluate` (adds the vacuous / undefined flags), :func:`configuration_warnings`.

A bound is *undefined* where its denominator :math:`\mathrm{Den} \pm C_{den} d^{-e}` is
:math:`\le 0` (or not finite) and *vacuous* where it is undefined or :math:`\mathrm{LB} \le 0`
(then :math:`r \ge 0` already says more).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping

import jax
import jax.numpy as jnp
import numpy as np
import sympy as sp

from theory import _validate as v
from theory import symbolic as S
from theory._precision import float64
from theory.frameworks import framework_of

#: Recorded argument order of every lambdified bound.
ARGS = ("d", "p", "abar", "n", "trH", "c_num", "c_den", "c_f", "c_n")
_SYMBOLS = (S.d, S.p, S.abar, S.N, S.trH, S.C_num, S.C_den, S.C_F, S.C_N)

#: Hidden-constant defaults: numerator O, denominator O, Θ(d^{7/20}) and N = C_N d^{1/20}.
DEFAULT_CONSTANTS = {"c_num": 1.0, "c_den": 1.0, "c_f": 1.0, "c_n": 1.0}

METHODS = S.METHODS
FRAMEWORKS = S.FRAMEWORKS
SIGNS = S.SIGNS
FL_TERMS = S.FL_TERMS
KINDS = ("sensitivity", "lower_bound", "denominator")


@functools.cache
def bound_function(
    method: str,
    framework: str,
    *,
    kind: str = "sensitivity",
    sign: str = "+",
    fl_term: str = "eq37",
    n_given: bool = False,
) -> Callable[..., jax.Array]:
    r"""Jitted JAX function f(d, p, abar, n, trH, c_num, c_den, c_f, c_n) of one bound.

    ``kind``: ``"sensitivity"`` (:math:`s = 1 - \mathrm{LB}`), ``"lower_bound"`` (LB) or
    ``"denominator"`` (:math:`\mathrm{Den} \pm C_{den} d^{-e}`). ``n_given=False`` uses
    :math:`N = c_n d^{1/20}` (``n`` ignored), otherwise
    ``n`` (``c_n`` ignored). No validation: pure, vmappable. Thm 4.2 / 4.3 of arXiv 2607.02447.

    Example:
      >>> f = bound_function("mim", "local")
      >>> round(float(f(1e5, 0.75, 5.0, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0)), 8)
      0.0002666
    """
    v.choice(method, "method", METHODS)
    v.choice(framework, "framework", FRAMEWORKS)
    v.choice(kind, "kind", KINDS)
    v.choice(sign, "sign", SIGNS)
    v.choice(fl_term, "fl_term", FL_TERMS)
    n_mode = "given" if n_given else "default"
    # each kind is the theory.symbolic function of that name
    expr = getattr(S, kind)(method, framework, sign, fl_term, n_mode)
    raw = sp.lambdify(_SYMBOLS, expr, modules="jax")

    def track_a_bound(d, p, abar, n, trH, c_num, c_den, c_f, c_n):
        args = jnp.broadcast_arrays(d, p, abar, n, trH, c_num, c_den, c_f, c_n)
        return jnp.broadcast_to(raw(*args), args[0].shape)

    track_a_bound.__name__ = f"track_a_bound_{method}_{framework}_{kind}"
    return jax.jit(track_a_bound)


@functools.cache
def kernel(sign: str = "+", fl_term: str = "eq37", n_given: bool = False) -> Callable:
    r"""Jitted f(*ARGS) -> (s, den, theta): dicts keyed ``"method/framework"`` (and by method).

    ``s``: the nine sensitivities; ``den``: their denominators; ``theta``: the FL term
    :math:`\Theta(d^{7/20})` per method (:func:`theory.symbolic.fl_theta_term`). Pure and
    vmappable; one compilation per (sign, fl_term, n_given, input shapes).
    """
    v.choice(sign, "sign", SIGNS)
    v.choice(fl_term, "fl_term", FL_TERMS)
    n_mode = "given" if n_given else "default"
    keys = [(m, f) for m in METHODS for f in FRAMEWORKS]
    s_fns = {
        f"{m}/{f}": sp.lambdify(_SYMBOLS, S.sensitivity(m, f, sign, fl_term, n_mode), modules="jax")
        for m, f in keys
    }
    den_fns = {
        f"{m}/{f}": sp.lambdify(_SYMBOLS, S.denominator(m, f, sign, fl_term, n_mode), modules="jax")
        for m, f in keys
    }
    theta_fns = {
        m: sp.lambdify(_SYMBOLS, S.fl_theta_term(m, fl_term, n_mode), modules="jax")
        for m in METHODS
    }

    def track_a_bounds(d, p, abar, n, trH, c_num, c_den, c_f, c_n):
        args = jnp.broadcast_arrays(d, p, abar, n, trH, c_num, c_den, c_f, c_n)
        shape = args[0].shape

        def run(fns):
            return {k: jnp.broadcast_to(fn(*args), shape) for k, fn in fns.items()}

        return run(s_fns), run(den_fns), run(theta_fns)

    return jax.jit(track_a_bounds)


# --- validation ------------------------------------------------------------------------------
def _param(value, field: str, **limits) -> np.ndarray:
    """``value`` as a float64 array, every entry checked by ``_validate.real``."""
    if value is None:
        v.fail(field, "a number", value)
    a = v.array(value, field)
    if a.ndim == 0:
        v.real(float(a), field, **limits)
        return a
    lo, hi = limits.get("lo"), limits.get("hi")
    bad = np.zeros(a.shape, bool)
    if lo is not None:
        bad |= (a <= lo) if limits.get("lo_open") else (a < lo)
    if hi is not None:
        bad |= (a >= hi) if limits.get("hi_open") else (a > hi)
    if bad.any():
        v.real(float(a[bad].flat[0]), field, **limits)  # raises the one-line error
    return a


def _constants(constants: Mapping[str, float]) -> dict[str, np.ndarray]:
    """The four hidden constants, validated; ``constants`` is :func:`_merge_constants`' dict."""
    for key in constants:
        if key not in DEFAULT_CONSTANTS:
            v.fail("constants", "keys among " + ", ".join(DEFAULT_CONSTANTS), key)
    merged = {**DEFAULT_CONSTANTS, **constants}
    return {
        k: _param(val, k, lo=CONSTANT_RANGE[0], hi=CONSTANT_RANGE[1]) for k, val in merged.items()
    }


#: the range of a hidden constant C (the paper's are O(1)): beyond it float64 overflows or
#: underflows inside the bounds (C_F = 1e308 gave NaN, C_N = 1e-308 gave N = 0)
CONSTANT_RANGE = (1e-100, 1e100)


def _merge_constants(constants, **overrides) -> dict:
    """``constants`` (a mapping) updated with the keyword constants that are not None."""
    if constants is not None and not isinstance(constants, Mapping):
        v.fail("constants", "a mapping with keys among " + ", ".join(DEFAULT_CONSTANTS), constants)
    merged = dict(constants or {})
    for k, val in overrides.items():
        if val is None:
            continue
        if k in merged:
            v.fail(k, f"given once (as {k}= or as constants[{k!r}], not both)",
                   f"{k}={val!r} and constants[{k!r}]={merged[k]!r}")  # fmt: skip
        merged[k] = val
    return merged


def _inputs(d, p, abar, n, trH, constants, sign, fl_term, *, need_abar: bool = False) -> tuple:
    v.choice(sign, "sign", SIGNS)
    v.choice(fl_term, "fl_term", FL_TERMS)
    d = _param(d, "d", lo=1.0)
    p = _param(p, "p", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    if abar is None:
        if need_abar:
            v.fail("abar", "a number >= 1.0 (required for framework 'decl')", None)
        abar = np.array(np.nan)
    else:
        abar = _param(abar, "abar", lo=1.0)
    n_given = n is not None
    n = _param(n, "n", lo=2.0) if n_given else np.array(np.nan)
    trH = _param(trH, "trH", lo=0.0, lo_open=True)
    c = _constants(constants)
    args = (d, p, abar, n, trH, c["c_num"], c["c_den"], c["c_f"], c["c_n"])
    names = ("d", "p", "abar", "n", "trH", "c_num", "c_den", "c_f", "c_n")
    shape: tuple = ()
    for i, (name, a) in enumerate(zip(names, args, strict=True)):
        try:
            shape = np.broadcast_shapes(shape, a.shape)
        except ValueError:
            others = ", ".join(f"{m} {b.shape}" for m, b in zip(names[:i], args, strict=False)
                               if b.shape)  # fmt: skip
            v.fail(name, f"an array that broadcasts with {others}", f"shape {a.shape}")
    return tuple(jnp.asarray(a, dtype=jnp.float64) for a in args), n_given


# --- validated entry points --------------------------------------------------------------------
def _evaluate(kind, method, framework, d, p, abar, n, trH, constants, sign, fl_term, overrides):
    """Validate the inputs and evaluate the jitted ``kind`` kernel (shared by the entry points)."""
    v.choice(method, "method", METHODS)
    fw = framework_of(framework)
    constants = _merge_constants(constants, **overrides)
    args, n_given = _inputs(d, p, abar, n, trH, constants, sign, fl_term, need_abar=fw.has_graph)
    f = bound_function(method, framework, kind=kind, sign=sign, fl_term=fl_term, n_given=n_given)
    return f(*args)


@float64
def sensitivity(
    method: str,
    framework: str,
    *,
    d,
    p,
    abar=None,
    n=None,
    trH=1.0,
    constants: Mapping[str, float] | None = None,
    sign: str = "+",
    fl_term: str = "eq37",
    c_num=None,
    c_den=None,
    c_f=None,
    c_n=None,
) -> jax.Array:
    r""":math:`s = C_{num} d^{-e} / (\mathrm{Den} \pm C_{den} d^{-e}) = 1 - \mathrm{LB}`
    (Eqs. 62–64, 71–73; docs/theory/track_a.md §1).

    Args:
      method: ``"mim"``, ``"cl_similar"`` or ``"cl_dissimilar"``.
      framework: ``"local"``, ``"decl"`` or ``"fl"``.
      d: dimension(s) :math:`\ge 1`, scalar or array (broadcast with the other arguments).
      p: mask ratio in (0, 1) (CL bounds do not depend on it).
      abar: :math:`|\bar A| \ge 1` (paper: :math:`2 \le |\bar A| \le N`); required for
        ``"decl"``.
      n: :math:`N \ge 2`; ``None`` means :math:`N = c_n d^{1/20}`.
      trH: :math:`\operatorname{tr}(H) > 0` (CL dissimilar).
      constants: subset of {c_num, c_den, c_f, c_n}, each > 0 (default 1); the keyword
        arguments ``c_num``, ``c_den``, ``c_f``, ``c_n`` override its entries.
      sign: ``"-"`` uses the "−O" denominators of Eqs. 63–64 (CL under DecL).
      fl_term: ``"eq37"`` (:math:`\Theta(d^{7/20}) = g\, d^{2/5}/N`) or ``"theta"``
        (:math:`C_F d^{7/20}`).

    Returns:
      float64 array of the broadcast shape (non-finite or negative where undefined).

    Example:
      >>> round(float(sensitivity("mim", "decl", d=1e5, p=0.75, abar=5)), 9)
      0.000333222
    """
    return _evaluate(
        "sensitivity",
        method,
        framework,
        d,
        p,
        abar,
        n,
        trH,
        constants,
        sign,
        fl_term,
        dict(c_num=c_num, c_den=c_den, c_f=c_f, c_n=c_n),
    )


@float64
def lower_bound(
    method: str,
    framework: str,
    *,
    d,
    p,
    abar=None,
    n=None,
    trH=1.0,
    constants: Mapping[str, float] | None = None,
    sign: str = "+",
    fl_term: str = "eq37",
    c_num=None,
    c_den=None,
    c_f=None,
    c_n=None,
) -> jax.Array:
    r""":math:`\mathrm{LB} = 1 - s` of Thm 4.2 (MIM) / Thm 4.3 (CL); arguments as in
    :func:`sensitivity`.

    Example:
      >>> round(float(lower_bound("cl_similar", "local", d=1e5, p=0.75)), 6)
      0.999001
    """
    return _evaluate(
        "lower_bound",
        method,
        framework,
        d,
        p,
        abar,
        n,
        trH,
        constants,
        sign,
        fl_term,
        dict(c_num=c_num, c_den=c_den, c_f=c_f, c_n=c_n),
    )


def resolve_n(d, n=None, c_n: float = 1.0) -> np.ndarray:
    r"""N used by the FL bounds: ``n`` if given, else :math:`C_N d^{1/20}`
    (:math:`N = \Theta(d^{1/20})`)."""
    if n is not None:
        return _param(n, "n", lo=2.0)
    d = _param(d, "d", lo=1.0)
    c_n = _param(c_n, "c_n", lo=0.0, lo_open=True)
    return c_n * d ** (1.0 / 20.0)


@float64
def evaluate(
    *,
    d,
    p,
    abar=None,
    n=None,
    trH=1.0,
    constants: Mapping[str, float] | None = None,
    sign: str = "+",
    fl_term: str = "eq37",
    c_num=None,
    c_den=None,
    c_f=None,
    c_n=None,
) -> dict:
    """All nine Track A bounds with flags (arguments as in :func:`sensitivity`).

    Returns:
      dict with ``"sensitivity"``, ``"lower_bound"``, ``"denominator"``, ``"vacuous"``,
      ``"undefined"`` — each {method: {framework: array}} — plus ``"fl_theta_term"``
      {method: array} and ``"n"`` (resolved N). Without ``abar`` the DecL entries are NaN and
      flagged undefined.
    """
    constants = _merge_constants(constants, c_num=c_num, c_den=c_den, c_f=c_f, c_n=c_n)
    args, n_given = _inputs(d, p, abar, n, trH, constants, sign, fl_term)
    s, den, theta = kernel(sign, fl_term, n_given)(*args)
    out: dict = {k: {m: {} for m in METHODS} for k in KINDS + ("vacuous", "undefined")}
    for key, s_val in s.items():
        m, f = key.split("/")
        den_val = den[key]
        undefined = ~jnp.isfinite(den_val) | (den_val <= 0) | ~jnp.isfinite(s_val)
        lb = 1.0 - s_val
        out["sensitivity"][m][f] = s_val
        out["lower_bound"][m][f] = lb
        out["denominator"][m][f] = den_val
        out["undefined"][m][f] = undefined
        out["vacuous"][m][f] = undefined | (lb <= 0)
    out["fl_theta_term"] = theta
    c = {**DEFAULT_CONSTANTS, **constants}
    out["n"] = jnp.asarray(resolve_n(d, n, c["c_n"]), dtype=jnp.float64)
    return out


def _theta_n_warnings(d_arr: np.ndarray, n_arr: np.ndarray, c_n) -> list[str]:
    """The N = Θ(d^{1/20}) line of :func:`configuration_warnings` for a given N: flagged where
    |N − C_N d^{1/20}| ≥ 1 (the first such point of the broadcast arrays is named)."""
    c = float(_param(c_n, "c_n", lo=0.0, lo_open=True))
    d_b, n_b = np.broadcast_arrays(d_arr, n_arr)
    curve = c * d_b ** (1.0 / 20.0)
    off = np.abs(n_b - curve) >= 1.0
    if not np.any(off):
        return []
    i = np.flatnonzero(off.ravel())[0]
    dv, nv, cv = float(d_b.ravel()[i]), float(n_b.ravel()[i]), float(curve.ravel()[i])
    exponent = 20.0 * np.log10(nv / c)  # d = (N / C_N)^20, beyond float64 for huge N
    on_curve = f"{10.0**exponent:.4g}" if exponent < 300 else f"10^{exponent:.4g}"
    return [
        f"N = {nv:.4g} (given) is not Theta(d^(1/20)) with C_N = {c:g}: C_N d^(1/20) = "
        f"{cv:.4g} at d = {dv:.4g}; N = {nv:.4g} implies C_N = {nv / dv**0.05:.4g} "
        f"(or d = {on_curve} with C_N = {c:g})"
    ]


def sensitivities(**params) -> dict:
    """{"mim", "cl_similar", "cl_dissimilar"} × {"local", "decl", "fl"} sensitivities.

    Keyword arguments as in :func:`sensitivity` (``d`` and ``p`` required).
    """
    for key in ("d", "p"):
        if key not in params:
            v.fail(key, "given", None)
    allowed = {"d", "p", "abar", "n", "trH", "constants", "sign", "fl_term", *DEFAULT_CONSTANTS}
    extra = sorted(set(params) - allowed)
    if extra:
        v.fail("params", "among " + ", ".join(sorted(allowed)), extra)
    return evaluate(**params)["sensitivity"]


def configuration_warnings(*, d, abar=None, n=None, c_n: float = 1.0) -> list[str]:
    r"""One line per way the configuration leaves the paper's setting (Thm 4.2, Assumption A.1).

    Checks, with N resolved as in :func:`resolve_n`:

    * :math:`N \ge 2`, and :math:`d \ge 2N` (the data model's N class and N rare axes, §3.2);
    * :math:`2 \le |\bar A| \le N` (Assumption A.1);
    * :math:`N = \Theta(d^{1/20})` (Thm 4.2), for a given N. The paper uses it once, in Eq. (37),
      where the FL diagonal :math:`((N - 1) \cdot 2p(1-p)\, d^{2/5} + 2p(1-p))/N` becomes
      :math:`2p(1-p)\, d^{2/5} - \Theta(d^{7/20})`, i.e. :math:`1/N = \Theta(d^{-1/20})`; the
      hidden constant is :math:`C_N` in :math:`N = C_N d^{1/20}` (``c_n``, the N the bounds use
      when ``n`` is not given). A single (N, d) meets a Θ-relation for some constant, so the
      check is against the configured one: N is a client count, and the counts on the paper's
      curve at this d are the integers nearest :math:`C_N d^{1/20}`; a given N with
      :math:`|N - C_N d^{1/20}| \ge 1` is flagged, with the constant it implies,
      :math:`N/d^{1/20}`, and the :math:`d = (N/C_N)^{20}` at which :math:`C_N d^{1/20} = N`
      (pass ``c_n=N/d^{1/20}`` to evaluate the point with that constant instead).

    The bounds are still evaluated (they are formulas); these lines say the theorems do not
    cover the point.

    Example:
      >>> configuration_warnings(d=1e5, abar=2, n=2)
      []
      >>> print(configuration_warnings(d=1e5, n=20)[0])  # doctest: +NORMALIZE_WHITESPACE
      N = 20 (given) is not Theta(d^(1/20)) with C_N = 1: C_N d^(1/20) = 1.778 at d = 1e+05;
      N = 20 implies C_N = 11.25 (or d = 1.049e+26 with C_N = 1)
    """
    out = []
    d_arr = _param(d, "d", lo=1.0)
    n_arr = resolve_n(d_arr, n, c_n)
    src = "given" if n is not None else f"N = C_N d^(1/20) with C_N = {float(c_n):g}"
    n_lo = float(np.min(n_arr))
    if n is not None:
        out += _theta_n_warnings(d_arr, n_arr, c_n)
    if n_lo < 2:
        out.append(
            f"N = {n_lo:.4g} < 2 ({src}): the paper needs at least 2 clients "
            "(N = Theta(d^(1/20)) is small unless d is astronomically large)"
        )
    short = np.broadcast_to(d_arr, np.broadcast_shapes(d_arr.shape, n_arr.shape)) < 2 * n_arr
    if np.any(short):
        out.append(
            f"d = {float(np.min(d_arr)):.4g} < 2N = {2 * float(np.max(n_arr)):.4g} ({src}): the "
            "data model needs 2N coordinates (N class axes and N rare axes, §3.2)"
        )
    if abar is not None:
        a = _param(abar, "abar", lo=1.0)
        if float(np.min(a)) < 2:
            out.append(
                f"abar = {float(np.min(a)):.4g} < 2: outside the paper's 2 <= |A_i| "
                "(Assumption A.1)"
            )
        over = np.broadcast_to(a, np.broadcast_shapes(a.shape, n_arr.shape)) > n_arr
        if np.any(over):
            out.append(
                f"abar = {float(np.max(a)):.4g} > N = {n_lo:.4g} ({src}): outside the paper's "
                "2 <= |A| <= N (Assumption A.1); the DecL and FL bounds are evaluated as "
                "formulas only"
            )
    return out
