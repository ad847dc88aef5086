"""The statistics of the Track D rule: the mean and standard error over seeds, the probability
that the rule says ``holds`` at a true effect, the minimum detectable effect (MDE) and the seeds
that reach one (:mod:`sims.trackd.verdicts` holds the rule itself)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from scipy import integrate, optimize, special, stats

from theory import _validate as v

#: the margin of rule D3 in standard errors
MARGIN = 2.0
#: the power at which the minimum detectable effect is stated
POWER = 0.8


def mean_se(values: Any) -> tuple[float, float, int]:
    r"""Mean, standard error :math:`\mathrm{sd}/\sqrt{S}` (sd with ddof=1) and count S of per-seed
    values (SE nan if S < 2).

    Example:
      >>> mean_se([1.0, 2.0, 3.0])
      (2.0, 0.5773502691896258, 3)
    """
    x = v.array(values, "values", ndim=1)
    s = x.size
    if s == 0:
        v.fail("values", "a non-empty 1-D array", "an empty array")
    se = float(np.std(x, ddof=1) / np.sqrt(s)) if s >= 2 else float("nan")
    return float(np.mean(x)), se, int(s)


def _power_args(sd, n_seeds, margin, resolution) -> tuple[float, int, float, float]:
    return (
        v.real(sd, "sd", lo=0.0),
        v.integer(n_seeds, "n_seeds", lo=1),
        v.real(margin, "margin", lo=0.0),
        v.real(resolution, "resolution", lo=0.0),
    )


def holds_probability(
    delta: float, sd: float, n_seeds: int, *, margin: float = MARGIN, resolution: float = 0.0
) -> float:
    r"""P(rule D3 says holds)
    :math:`= P\big(\operatorname{mean}(\Delta) > \max(m\cdot\mathrm{SE}, r)\big)`
    when :math:`\Delta_s \sim \mathcal{N}(\delta, \mathrm{sd}^2)` i.i.d., s = 1..S.

    The sample mean and the sample SD of normal data are independent; with
    :math:`V = (S - 1)\, s^2/\mathrm{sd}^2 \sim \chi^2_{S-1}` and
    :math:`\sigma = \mathrm{sd}/\sqrt{S}`,

    $$
    P = \mathbb{E}_V\Big[\Phi\Big(\big(\delta - \max\big(m \sigma \sqrt{V/(S-1)},\ r\big)\big)
    / \sigma\Big)\Big],
    $$

    one integral over V (``scipy.integrate``).
    With r = 0 this is :math:`P(T > m)`,
    :math:`T = \operatorname{mean}/\mathrm{SE} \sim` noncentral :math:`t(S - 1, \delta/\sigma)`.
    S < 2: 0 (the rule never says holds); sd = 0: 1 if :math:`\delta > r` else 0.

    Example:
      >>> round(holds_probability(0.0, 1.0, 5, margin=0.0), 6)  # P(mean > 0) at δ = 0
      0.5
    """
    delta = v.real(delta, "delta")
    sd, s, m, r = _power_args(sd, n_seeds, margin, resolution)
    if s < 2:
        return 0.0
    if sd == 0.0:
        return float(delta > r)
    df, sig = s - 1, sd / math.sqrt(s)
    if m == 0.0:
        return float(stats.norm.cdf((delta - r) / sig))
    if r == 0.0:
        return float(stats.nct.sf(m, df, delta / sig))
    # V < v*: the resolution binds (m·SE < r); V ≥ v*: m·SE binds. χ² law and Φ through
    # scipy.special (scalar calls inside quad)
    v_star = df * (r / (m * sig)) ** 2
    below = float(special.ndtr((delta - r) / sig) * special.gammainc(df / 2, v_star / 2))
    log_norm = -special.gammaln(df / 2) - (df / 2) * math.log(2.0)

    def above(vv: float) -> float:
        dens = math.exp(log_norm + special.xlogy(df / 2 - 1, vv) - vv / 2) if vv > 0 else 0.0
        return dens * float(special.ndtr((delta - m * sig * math.sqrt(vv / df)) / sig))

    rest, _ = integrate.quad(above, v_star, math.inf, epsabs=1e-12, epsrel=1e-10, limit=200)
    return float(min(max(below + rest, 0.0), 1.0))


def _bracket_root(f, x0: float, step: float) -> float:
    """The root of an increasing f, searched outwards from x0 in steps that double."""
    lo, hi = x0, x0 + step
    while f(hi) < 0.0:
        lo, hi, step = hi, hi + 2 * step, 2 * step
    while f(lo) > 0.0:
        lo, hi, step = lo - 2 * step, lo, 2 * step
    return float(optimize.brentq(f, lo, hi, xtol=1e-14, rtol=1e-12, maxiter=500))


def mde(
    sd: float,
    n_seeds: int,
    *,
    margin: float = MARGIN,
    power: float = POWER,
    resolution: float = 0.0,
) -> float:
    r"""Minimum detectable effect of rule D3 (paired): the smallest true mean δ of Δ that the
    rule calls ``holds`` with probability ``power`` when
    :math:`\Delta_s \sim \mathcal{N}(\delta, \mathrm{sd}^2)` i.i.d. over S seeds,
    i.e.
    :math:`P\big(\operatorname{mean}(\Delta) > \max(m\cdot\mathrm{SE}, r)\big) = \mathrm{power}`
    with SE the sample SE.

    With r = 0: :math:`T = \operatorname{mean}/\mathrm{SE} \sim` noncentral
    :math:`t(\mathrm{df} = S - 1,\ \mathrm{nc} = \delta\sqrt{S}/\mathrm{sd})`, so the
    noncentrality solves :math:`P(T > m) = \mathrm{power}` (``scipy.stats.nct``,
    ``scipy.optimize.brentq``) and :math:`\delta = \mathrm{nc}\cdot\mathrm{sd}/\sqrt{S}`. With
    r > 0 the exact probability of :func:`holds_probability` (an integral over the
    :math:`\chi^2` law of the sample variance, which is independent of the mean) is solved for δ
    instead; it is at least the larger of the r = 0 answer and
    :math:`r + z_{\mathrm{power}}\cdot\mathrm{sd}/\sqrt{S}` (each condition alone), and above both
    where they bind together.

    Args:
      sd: the per-seed SD of Δ (ddof = 1), ≥ 0.
      n_seeds: :math:`S \ge 1` (S < 2: inf, the rule never says holds).
      margin: :math:`m \ge 0`. power: in (0, 1). resolution: :math:`r \ge 0`.

    Returns:
      δ in the units of Δ (sd = 0: r, the infimum of the effects the rule always detects).

    Example:
      >>> round(mde(1.0, 3), 4), round(mde(1.0, 10), 4)
      (1.6775, 0.9083)
      >>> round(mde(1.0, 3, resolution=0.5), 4)  # above max(1.6775, 0.5 + 0.8416/√3)
      1.6824
    """
    sd, s, m, r = _power_args(sd, n_seeds, margin, resolution)
    p = v.real(power, "power", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    if s < 2:
        return math.inf
    if sd == 0.0:
        return r
    sig = sd / math.sqrt(s)
    if r == 0.0 and m > 0.0:
        nc = _bracket_root(lambda nc: float(stats.nct.sf(m, s - 1, nc)) - p, 0.0, m + 1.0)
        return nc * sig
    return _bracket_root(
        lambda d: holds_probability(d, sd, s, margin=m, resolution=r) - p, r, (m + 1.0) * sig
    )


def seeds_for(
    sd: float,
    target: float,
    *,
    margin: float = MARGIN,
    power: float = POWER,
    resolution: float = 0.0,
    max_seeds: int = 100_000,
) -> int:
    r"""The smallest number of seeds :math:`S \ge 2` whose :func:`mde` is at most ``target`` (the
    MDE falls with S; searched by doubling, then bisection). Raises ValueError when even
    ``max_seeds`` seeds do not reach it (e.g. ``target`` ≤ the resolution).

    Example:
      >>> seeds_for(1.0, 1.0), round(mde(1.0, 8), 4), round(mde(1.0, 9), 4)
      (9, 1.0178, 0.9584)
    """
    sd = v.real(sd, "sd", lo=0.0)
    target = v.real(target, "target", lo=0.0, lo_open=True)
    top = v.integer(max_seeds, "max_seeds", lo=2)

    def ok(s: int) -> bool:
        return mde(sd, s, margin=margin, power=power, resolution=resolution) <= target

    lo, hi = 1, 2  # ok(lo) false (S = 1: inf)
    while not ok(hi):
        if hi >= top:
            v.fail("target", f"an MDE reached with at most {top} seeds", target)
        lo, hi = hi, min(2 * hi, top)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if ok(mid) else (mid, hi)
    return hi


#: rule D4's level: ``absent`` when the two one-sided tests both reject at this level (the 90 %
#: confidence interval of the mean lies inside ± the paper's effect)
ABSENCE_LEVEL = 0.05


def tost(values: Any, bound: float, *, level: float = ABSENCE_LEVEL) -> dict:
    r"""Two one-sided t-tests (TOST; Schuirmann 1987) of the mean of paired per-seed values
    against the equivalence margin ± ``bound``: :math:`H_0^-: \delta \le -b` and
    :math:`H_0^+: \delta \ge b`, each rejected by a one-sample t-test with df = S − 1; the effect is
    excluded when both are, :math:`p = \max(p^-, p^+) < \mathrm{level}`, i.e. the
    :math:`(1 - 2\cdot\mathrm{level})` confidence interval lies inside (−b, b).

    With :math:`T = t_{1-\mathrm{level},\, S-1}`: ``excluded_beyond``
    :math:`= |\mathrm{mean}| + T\cdot\mathrm{SE}` is the smallest margin the
    runs exclude (every effect of larger size is excluded at ``level``). SE = 0 (identical
    values): p = 0 if :math:`|\mathrm{mean}| < b` else 1.

    Args:
      values: (S,) per-seed differences, :math:`S \ge 2`. bound: b > 0, in the units of the values.
      level: in (0, 0.5).

    Returns:
      dict with ``p`` (max of the two), ``p_lower`` (against −b), ``p_upper`` (against +b),
      ``ci`` (the :math:`(1 - 2\cdot\mathrm{level})` interval), ``excluded_beyond``, ``bound``,
      ``level``, ``df``.

    Example:
      >>> r = tost([0.1, -0.2, 0.0, 0.15, -0.05], 1.0)
      >>> round(r["p"], 6), [round(c, 4) for c in r["ci"]], round(r["excluded_beyond"], 4)
      (4.1e-05, [-0.1305, 0.1305], 0.1305)
    """
    b = v.real(bound, "bound", lo=0.0, lo_open=True)
    a = v.real(level, "level", lo=0.0, hi=0.5, lo_open=True, hi_open=True)
    mean, se, s = mean_se(values)
    if s < 2:
        v.fail("values", "at least 2 per-seed values (a t-test needs a standard error)", s)
    df = s - 1
    t_crit = float(stats.t.ppf(1.0 - a, df))
    if se == 0.0:
        p_lo = p_up = 0.0 if abs(mean) < b else 1.0
    else:
        p_lo = float(stats.t.sf((mean + b) / se, df))
        p_up = float(stats.t.cdf((mean - b) / se, df))
    return {
        "p": max(p_lo, p_up),
        "p_lower": p_lo,
        "p_upper": p_up,
        "ci": [mean - t_crit * se, mean + t_crit * se],
        "excluded_beyond": abs(mean) + t_crit * se,
        "bound": b,
        "level": a,
        "df": df,
    }
