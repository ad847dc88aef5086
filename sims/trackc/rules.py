"""Track C verdict rules: a claim's word as a pure function of measured numbers.

The rules of docs/verdict_rules.md (``theory.verdicts``) applied to the numbers that
:mod:`sims.trackc.evidence` measures on trained models: :func:`bound_verdict` (rule R2: the trained
min r of Def. 4.1 against the lower bound of Thm 4.2 / 4.3), :func:`order_verdict` (R1 + R5:
pairs of sensitivities, Thm 4.4 and 4.6), :func:`subspace_verdict` (which target a trained
subspace lands on: the exact hollow target of Eq. 4 or the paper's Eq. 17) and
:func:`trend_verdict` (Cor 4.5, R6). The tolerances: :data:`ANGLE_TOL` for principal angles,
:data:`SENS_TOL` the floor of the seed-noise tolerance of rule T6. Every name here is
importable from :mod:`sims.trackc.evidence`.
"""

from __future__ import annotations

import numpy as np

from theory import verdicts as vd

#: A trained subspace "lands on" a target subspace when the largest principal angle is at most
#: this (rad). Stated tolerance: above the SGD and finite-sample spread measured at the default
#: settings (≈0.05–0.15 rad, reported as ``angle_sample`` and per-seed angles), well below the
#: π/2 of unrelated subspaces.
ANGLE_TOL = 0.25
#: Floor of the tolerance when comparing two measured sensitivities (seed noise of one run).
SENS_TOL = 0.02


def bound_verdict(min_rv: float, lower_bound: float, slack: float = SENS_TOL) -> str:
    """Rule R2 (docs/verdict_rules.md) for Track C: r ≥ LB with tolerance ``slack`` (T6:
    2·SE floored at ``SENS_TOL``) plus δLB; a bound that Track A calls ``invalid`` or
    ``vacuous`` (undefined, ≤ 0, > 1) makes the check ``degenerate``.

    Example:
      >>> bound_verdict(0.25, 0.97), bound_verdict(0.999, 0.97), bound_verdict(0.5, -1.0)
      ('violated', 'holds', 'degenerate')
      >>> bound_verdict(0.96, 0.97)  # within the one-seed tolerance SENS_TOL
      'degenerate'
    """
    word_a = vd.track_a(lower_bound)
    tol = max(float(slack), 0.0) + vd.bound_tolerance(
        lower_bound if np.isfinite(lower_bound) else 0
    )
    return vd.bound_check(min_rv, lower_bound, word_a, tol=tol)


def order_verdict(pairs, tol: float = SENS_TOL, strict: bool = True) -> str:
    """Rule R1 + R5 on (small, large) pairs: the claim small < large (``strict``) or
    small ≤ large; a pair equal within ``tol`` is ``degenerate`` either way.

    Example:
      >>> order_verdict([(0.01, 0.1)]), order_verdict([(0.1, 0.01)]), order_verdict([(0.1, 0.1)])
      ('holds', 'violated', 'degenerate')
    """
    rel = "<" if strict else "<="
    return vd.combine([vd.compare(float(a), float(b), rel, float(tol)) for a, b in pairs])


def subspace_verdict(angle_paper: float, angle_exact: float, tol: float = ANGLE_TOL) -> str:
    """Which target a trained subspace lands on: ``holds`` if within ``tol`` of the paper's
    target, ``violated`` otherwise (whether or not it lands on the exact one; see notes)."""
    if np.isfinite(angle_paper) and angle_paper <= tol:
        return "holds"
    return "violated"


def trend_verdict(series: dict, tol: float, abar=None) -> tuple[str, dict]:
    """Cor 4.5, rule R6 per series (sensitivities on graphs ordered by |Ā|, ``abar`` defaults
    to 0, 1, 2, ...) combined with R5; flags carry each series' word, its violations and the
    old rule's answer (``theory.verdicts.old_trend_rule``, RULE_CHANGES)."""
    flags = {}
    for name, s in series.items():
        s = np.asarray(s, dtype=float)
        a = np.arange(s.size, dtype=float) if abar is None else np.asarray(abar, float)
        word, viol = vd.trend(a, s.tolist(), tol)
        flags[name] = {
            "verdict": word,
            "violations": [list(x) for x in viol],
            "non_increasing": bool(np.all(np.diff(s) <= tol)),
            "decreases": bool(s[-1] < s[0] - tol),
        }
    word = vd.combine([f["verdict"] for f in flags.values()])
    flags["old_rule_verdict"] = vd.old_trend_rule(series)
    return word, flags
