"""Track D verdicts: the decision rule for the paper's empirical claims (rule D3 in force; D1,
fixed before any run, and D2, after a review, kept as history), the minimum detectable effect
of the rule, and the paper's own effect sizes computed from its tables.

Every claim is read as a signed, per-seed paired difference Δ_s (s = 1..S seeds; each seed
shares its data split, partition and initialisation across the compared arms), oriented so
that Δ > 0 is the direction the paper reports:

=================  ====================================================================
claim              Δ_s (per seed)
=================  ====================================================================
``mim_vs_cl``      drop_CL − drop_MIM, drop = acc(IID) − acc(skew), probe accuracy,
                   averaged over the skews and encoders of the run (Table 1's measure)
``connectivity``   OLS slope of accuracy against the nominal |Ā| over the DecL points of
                   one seed, averaged over the graph kinds (Cor 4.5, Fig 2a; per unit |Ā|)
``fl_vs_decl``     acc(FL) − acc(DecL at the smallest |Ā|), averaged over the graph kinds
                   (Thm 4.6, Fig 2a)
``mar_vs_mim``     acc(MAR) − acc(MIM), averaged over the α values and frameworks (FL,
                   DecL) of the run (Fig 2b)
=================  ====================================================================

Rule D3 (:func:`decide`; margin m = 2 standard errors of the mean of Δ over seeds,
SE = sd(Δ, ddof=1)/√S; resolution r = the smallest difference the accuracies can show, one
test image: 1/n_test for an accuracy difference, (1/n_test)/(max |Ā| − min |Ā|) for the slope;
tolerance τ = max(m·SE, r)):

* ``void``         if an arm that enters Δ did not learn — its probe accuracy is not above
  its own untrained encoder's by m SE of the paired per-seed uplift (acc_s − untrained_s) —
  or is not above chance by m SE of its accuracy, or no untrained baseline was recorded: a
  comparison of methods needs methods that worked. The reason names every arm that failed;
* ``holds``        if mean(Δ) > τ   (the paper's direction, beyond noise and one image);
* ``violated``     if mean(Δ) < −τ  (the opposite direction, likewise);
* ``inconclusive`` otherwise, or if S < 2: the runs cannot tell.

Every verdict carries the minimum detectable effect (:func:`mde`): the smallest true mean δ
that the rule calls ``holds`` with probability 0.8 when Δ_s ~ N(δ, sd²) i.i.d. over the S
seeds, sd the measured per-seed SD of Δ, beside the paper's effect for the same comparison
(:data:`PAPER_EFFECTS`, computed from the paper's tables encoded below as data).

History (:data:`RULE_CHANGES`; every verdict row carries D2's word as ``old_verdict`` and
D1's as ``d1_verdict``). Rule D1, written and committed before the Track D runs, had τ = m·SE
(no resolution: identical per-seed differences of one test image, SE = 0, read ``holds``) and
checked one reference arm against chance. D2 (after the D1 outputs had been seen) added the
resolution and checked every arm against chance. Both said ``degenerate`` for "the runs cannot
tell", the word Tracks B and C use for a tie decided by the model; nothing tied in Track D.
D3 (after the D2 outputs had been seen: every encoder's probe within about one point of its
untrained encoder's) says ``inconclusive`` for that, and ``void`` where an arm did not learn.
"""

from __future__ import annotations

import json
import math
import os
from typing import Any

import numpy as np
from scipy import integrate, optimize, special, stats

from theory import _validate as v

__all__ = [
    "MARGIN",
    "POWER",
    "RULE",
    "WORDS",
    "OLD_WORDS",
    "RULE_CHANGES",
    "RULE_WORD_KEYS",
    "CLAIMS",
    "CLAIM_OF",
    "PAPER_DIRECTION",
    "TABLE1",
    "TABLE6",
    "TABLE7",
    "TABLE8",
    "PAPER_EFFECTS",
    "table1_drop_differences",
    "paper_effects",
    "points_text",
    "mean_se",
    "holds_probability",
    "mde",
    "seeds_for",
    "rule_d1",
    "rule_d2",
    "decide",
    "drop_differences",
    "connectivity_slopes",
    "verdict_table",
    "decisions",
    "check_verdicts_doc",
    "VERDICTS_FILE",
    "DECISIVE_DIR",
    "DECISIVE_COMMAND",
    "read_verdicts_file",
    "decisive_entry",
]

MARGIN = 2.0
#: the power at which the minimum detectable effect is stated
POWER = 0.8
#: the rule in force (:func:`decide`)
RULE = "D3"
#: rule D3's words (``not-run``: the experiment did not run)
WORDS = ("holds", "violated", "inconclusive", "void", "not-run")
#: the words of rules D1 and D2 (``degenerate``: the runs cannot tell, or an arm at chance)
OLD_WORDS = ("holds", "violated", "degenerate")

#: Track D's rule changed after its output was seen (the module docstring); each entry in the
#: format of ``theory.verdicts.RULE_CHANGES``; the stage adds the claims whose word changed.
RULE_CHANGES = (
    {
        "claim": "track D (all four claims)",
        "rule": "D1 -> D2",
        "old_rule": "holds iff mean(Δ) − 2 SE > 0, violated iff mean(Δ) + 2 SE < 0; one "
        "reference arm above chance",
        "new_rule": "holds iff mean(Δ) > max(2 SE, one test image), violated iff mean(Δ) < "
        "−max(2 SE, one test image); every arm entering Δ above chance",
        "why": "a review after the first runs found that identical one-image differences over "
        "seeds (SE = 0) read holds, and that a collapsed second arm was never checked against "
        "chance",
    },
    {
        "claim": "track D (all four claims)",
        "rule": "D2 -> D3",
        "old_rule": "degenerate when |mean(Δ)| ≤ max(2 SE, one test image), when fewer than 2 "
        "seeds, or when an arm entering Δ is not above chance by 2 SE; the untrained encoder "
        "not consulted",
        "new_rule": "void when an arm entering Δ did not learn (probe accuracy not above its "
        "own untrained encoder's by 2 SE of the paired per-seed uplift), is not above chance "
        "by 2 SE, or has no untrained baseline recorded, the reason naming every such arm; "
        "inconclusive when |mean(Δ)| ≤ max(2 SE, one test image) or fewer than 2 seeds; holds "
        "and violated as in D2; every row carries the minimum detectable effect at 80 % power "
        "beside the paper's effect size",
        "why": "a review of the D2 outputs (the issue on Track D's words): degenerate is the "
        "wrong word, since nothing tied and the runs lack power (inconclusive says that); and "
        "the encoders did not learn (probe within about one point of the untrained encoder's), "
        "so a comparison resting on an arm that did not learn must be void, not read",
    },
)
#: per rule change (keyed by rule id): the row keys holding the old rule's and the new rule's
#: word, which the stage compares to list the claims whose word changed
RULE_WORD_KEYS = {"D1 -> D2": ("d1_verdict", "old_verdict"), "D2 -> D3": ("old_verdict", "track_d")}

#: the file of the verdict rows (stage ``trackd_verdicts``, ``dssl trackd --save DIR``)
VERDICTS_FILE = "trackd_verdicts.json"
#: where the DECISIVE preset's results are committed, and the command that writes them
DECISIVE_DIR = "figures/trackd_decisive"
DECISIVE_COMMAND = f"dssl trackd --preset decisive --save {DECISIVE_DIR}"

CLAIMS = ("mim_vs_cl", "connectivity", "fl_vs_decl", "mar_vs_mim")
#: the claim of the claims table (``theory.claims``) each Track D verdict reads empirically;
#: ``mar_vs_mim`` (§5) has no row of its own
CLAIM_OF = {"mim_vs_cl": "thm4.4", "connectivity": "cor4.5", "fl_vs_decl": "thm4.6"}


# ---------------------------------------------------------------------------------------------
# The paper's numbers (arXiv 2607.02447; spec/paper.md §6), encoded as printed, in percent.

#: Table 1 (§6.2): fine-tuning accuracy (%), (IID, label non-IID L, feature non-IID F) per
#: (method, encoder) and fine-tuning data set; the printed drops in brackets are IID − L and
#: IID − F of these numbers (tested)
TABLE1 = {
    ("SimSiam", "CNN"): {
        "C10": (86.03, 84.33, 84.62),
        "C100": (58.91, 57.80, 57.81),
        "IN": (46.74, 46.10, 46.41),
    },
    ("MAE", "CNN"): {
        "C10": (87.28, 86.97, 86.17),
        "C100": (57.86, 57.77, 57.20),
        "IN": (45.88, 45.87, 45.80),
    },
    ("SimSiam", "ViT"): {
        "C10": (72.32, 69.50, 70.66),
        "C100": (48.60, 43.49, 43.07),
        "IN": (61.97, 59.86, 59.13),
    },
    ("MAE", "ViT"): {
        "C10": (69.90, 68.20, 69.32),
        "C100": (50.04, 48.95, 49.60),
        "IN": (62.69, 62.25, 62.51),
    },
}
_TABLE1_SKEWS = ("L", "F")  # columns 1 and 2 of each triple; column 0 is IID

#: Table 6 (§6.6): CIFAR-100 accuracy (%) of decentralised MIM at |Ā| ≈ 5 and ≈ 10 per
#: consensus matrix, 20 clients, α = 0.1, mean of 3 runs
TABLE6_ABARS = (5, 10)
TABLE6 = {
    "FL (reference)": (52.72, 52.72),
    "data-size weights": (46.62, 52.28),
    "degree-normalised": (45.34, 52.08),
    "doubly stochastic": (45.22, 52.18),
    "push-sum": (45.19, 52.22),
}

#: Table 7 (§6.7): CIFAR-100 accuracy (%) per alignment metric at γ = 1e-1, 1e-2 and 0
#: (γ = 0 is vanilla MIM)
TABLE7_GAMMAS = (1e-1, 1e-2, 0.0)
TABLE7 = {
    "cosine similarity": (51.71, 52.47, 51.45),
    "vanilla MMD (σ = 1)": (51.79, 52.12, 51.45),
    "A-MMD, median σ": (52.42, 54.13, 51.45),
    "A-MMD, mean σ (default)": (54.09, 54.39, 51.45),
}

#: Table 8 (§6.8): CIFAR-100 accuracy (%) per γ schedule of MAR
TABLE8 = {
    "γ = 1": 51.50,
    "γ = 1e-1": 54.09,
    "γ = 1e-2": 54.39,
    "γ = 1e-3": 53.55,
    "cosine decay 1e-1 → 1e-3": 54.91,
}
_MAR_SCHEDULE = "cosine decay 1e-1 → 1e-3"  # MAR as the paper runs it (Table 8's best row)


def table1_drop_differences() -> dict:
    """drop_SimSiam − drop_MAE (points) per Table 1 cell (encoder, data set, skew), drop =
    acc(IID) − acc(skew), computed from :data:`TABLE1` (Table 1 of arXiv 2607.02447).

    Example:
      >>> d = table1_drop_differences()
      >>> len(d), round(d[("CNN", "C10", "F")], 2), round(d[("ViT", "C10", "L")], 2)
      (12, 0.3, 1.12)
    """
    out = {}
    for arch in ("CNN", "ViT"):
        for data, cl in TABLE1[("SimSiam", arch)].items():
            mim = TABLE1[("MAE", arch)][data]
            for k, skew in enumerate(_TABLE1_SKEWS, start=1):
                out[(arch, data, skew)] = (cl[0] - cl[k]) - (mim[0] - mim[k])
    return out


def paper_effects() -> dict:
    """The paper's effect size of each Track D comparison, in the units of Δ (accuracy as a
    fraction; per unit |Ā| for ``connectivity``), computed from :data:`TABLE1`,
    :data:`TABLE6`, :data:`TABLE7` and :data:`TABLE8`.

    * ``mim_vs_cl``: the mean over Table 1's 12 cells of drop_SimSiam − drop_MAE (with the
      range and the count of cells where MAE's drop is the smaller);
    * ``fl_vs_decl``: Table 6, FL − degree-normalised DecL (the mixing of Fig 2a) at |Ā| ≈ 5
      (Fig 2a itself has no numbers);
    * ``connectivity``: Table 6, degree-normalised DecL, the slope between |Ā| ≈ 5 and ≈ 10
      (the only pair of numbers the paper gives);
    * ``mar_vs_mim``: Table 8's cosine γ schedule − vanilla MIM (γ = 0 of Table 7).

    Returns:
      ``{claim: {"effect", "unit", "source"}}`` (``mim_vs_cl`` also ``cells``, ``smaller``,
      ``lo``, ``hi`` in points).

    Example:
      >>> e = paper_effects()
      >>> round(100 * e["fl_vs_decl"]["effect"], 2), e["mim_vs_cl"]["smaller"]
      (7.38, 12)
    """
    d = np.asarray(list(table1_drop_differences().values()))
    n, smaller = int(d.size), int(np.sum(d > 0))
    lo, hi, mean = float(d.min()), float(d.max()), float(d.mean())
    fl5, _ = TABLE6["FL (reference)"]
    deg5, deg10 = TABLE6["degree-normalised"]
    a5, a10 = TABLE6_ABARS
    gamma0 = {row[TABLE7_GAMMAS.index(0.0)] for row in TABLE7.values()}
    if len(gamma0) != 1:  # pragma: no cover - a property of the encoded table
        raise ValueError(f"TABLE7: γ = 0 (vanilla MIM) must be one number, got {gamma0}")
    mim = gamma0.pop()
    mar = TABLE8[_MAR_SCHEDULE]
    return {
        "mim_vs_cl": {
            "effect": mean / 100.0,
            "unit": "accuracy",
            "source": f"Table 1 (§6.2): mean over its {n} cells (ResNet-18 and ViT × C10, C100, "
            f"IN × label and feature skew) of drop_SimSiam − drop_MAE; range {lo:.2f} to "
            f"{hi:.2f} points; MAE's drop the smaller in {smaller} of {n}",
            "cells": n,
            "smaller": smaller,
            "lo": lo,
            "hi": hi,
        },
        "connectivity": {
            "effect": (deg10 - deg5) / (a10 - a5) / 100.0,
            "unit": "accuracy per unit |Ā|",
            "source": f"Table 6 (§6.6), degree-normalised DecL: ({deg10:.2f} − {deg5:.2f}) / "
            f"({a10} − {a5}) per unit |Ā| between |Ā| ≈ {a5} and ≈ {a10}, the only pair of "
            "numbers the paper gives (Fig 2a has none)",
        },
        "fl_vs_decl": {
            "effect": (fl5 - deg5) / 100.0,
            "unit": "accuracy",
            "source": f"Table 6 (§6.6): FL {fl5:.2f} − degree-normalised DecL {deg5:.2f} at "
            f"|Ā| ≈ {a5} (Fig 2a has no numbers)",
        },
        "mar_vs_mim": {
            "effect": (mar - mim) / 100.0,
            "unit": "accuracy",
            "source": f"Table 8 (§6.8) {_MAR_SCHEDULE} γ schedule {mar:.2f} − vanilla MIM "
            f"(γ = 0, Tables 7-8) {mim:.2f} (Fig 2b has no numbers)",
        },
    }


#: :func:`paper_effects`, computed once
PAPER_EFFECTS = paper_effects()


def _direction_texts() -> dict:
    e = PAPER_EFFECTS["mim_vs_cl"]
    fl5 = TABLE6["FL (reference)"][0]
    decl5 = [row[0] for name, row in TABLE6.items() if name != "FL (reference)"]
    return {
        "mim_vs_cl": (
            f"MIM drop < CL drop in {e['smaller']} of {e['cells']} Table 1 cells "
            f"(drop_SimSiam - drop_MAE {e['lo']:.2f} to {e['hi']:.2f} points, mean "
            f"{100 * e['effect']:.2f})",
            "Mini-ImageNet pre-training, fine-tuned on CIFAR-10/100 and ImageNet; FL 100 clients",
        ),
        "connectivity": (
            "fine-tuning accuracy rises with |A| from 3 to 20 (Fig 2a, CIFAR-100)",
            "DecL, 20 clients, 25 rounds, 1 local epoch",
        ),
        "fl_vs_decl": (
            f"FL at or above every DecL point (Fig 2a; Table 6: {fl5:.2f} vs "
            f"{min(decl5):.2f}-{max(decl5):.2f} at |A|~{TABLE6_ABARS[0]})",
            "20 clients, CIFAR-100",
        ),
        "mar_vs_mim": (
            "MAR above MIM at every alpha from 1 to 0.001, FL and DecL (Fig 2b)",
            "100 clients FL / 20 clients DecL, CIFAR-100",
        ),
    }


#: The paper's reported direction of each effect (docs/theory/paper_code.md §4; arXiv
#: 2607.02447 Tables 1, 6, Figs 2a, 2b) and the scale it was measured at; Table 1's count and
#: Table 6's numbers computed from the tables above
PAPER_DIRECTION = _direction_texts()


def points_text(value: float | None, unit: str = "accuracy", digits: int = 2) -> str:
    """An accuracy difference (fraction) as text in points, with its unit.

    Example:
      >>> points_text(0.0164), points_text(0.01348, "accuracy per unit |Ā|", 3)
      ('1.64 points', '1.348 points per unit |Ā|')
      >>> points_text(None)
      'n/a'
    """
    if value is None or not math.isfinite(value):
        return "n/a"
    per = unit.removeprefix("accuracy").strip()
    return f"{100 * value:.{digits}f} points" + (f" {per}" if per else "")


# ---------------------------------------------------------------------------------------------
# the rule and its power


def mean_se(values: Any) -> tuple[float, float, int]:
    """Mean, standard error sd(ddof=1)/√S and count S of per-seed values (SE nan if S < 2).

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
    """P(rule D3 says holds) = P(mean(Δ) > max(m·SE, r)) when Δ_s ~ N(δ, sd²) i.i.d., s = 1..S.

    The sample mean and the sample SD of normal data are independent; with
    V = (S − 1)·s²/sd² ~ χ²_{S−1} and σ = sd/√S,
    P = E_V[Φ((δ − max(m σ √(V/(S−1)), r))/σ)], one integral over V (``scipy.integrate``).
    With r = 0 this is P(T > m), T = mean/SE ~ noncentral t(S − 1, δ/σ). S < 2: 0 (the rule
    never says holds); sd = 0: 1 if δ > r else 0.

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
    """Minimum detectable effect of rule D3 (paired): the smallest true mean δ of Δ that the
    rule calls ``holds`` with probability ``power`` when Δ_s ~ N(δ, sd²) i.i.d. over S seeds,
    i.e. P(mean(Δ) > max(m·SE, r)) = power with SE the sample SE.

    With r = 0: T = mean/SE ~ noncentral t(df = S − 1, nc = δ√S/sd), so the noncentrality
    solves P(T > m) = power (``scipy.stats.nct``, ``scipy.optimize.brentq``) and
    δ = nc·sd/√S. With r > 0 the exact probability of :func:`holds_probability` (an integral
    over the χ² law of the sample variance, which is independent of the mean) is solved for δ
    instead; it is at least the larger of the r = 0 answer and r + z_power·sd/√S (each
    condition alone), and above both where they bind together.

    Args:
      sd: the per-seed SD of Δ (ddof = 1), ≥ 0.
      n_seeds: S ≥ 1 (S < 2: inf, the rule never says holds).
      margin: m ≥ 0. power: in (0, 1). resolution: r ≥ 0.

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
    """The smallest number of seeds S ≥ 2 whose :func:`mde` is at most ``target`` (the MDE
    falls with S; searched by doubling, then bisection). Raises ValueError when even
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


def rule_d2(
    deltas: Any,
    *,
    references: Any = None,
    chance: float | None = None,
    resolution: float = 0.0,
    margin: float = MARGIN,
) -> dict:
    """Rule D2 (history; :data:`RULE_CHANGES`): ``holds`` if mean > τ, ``violated`` if
    mean < −τ, τ = max(m·SE, ``resolution``), else ``degenerate``; also ``degenerate`` when
    S < 2 or when an arm of ``references`` is not above ``chance`` by m·SE.

    Args:
      deltas: (S,) per-seed differences.
      references: optional arms whose accuracies enter Δ: {name: (S,) accuracies}, or one
        (S,) array (named ``reference``).
      chance: chance accuracy (1/#classes), needed with ``references``.
      resolution: the smallest difference the data can show, r ≥ 0 (one test image).
      margin: m ≥ 0 (default 2).

    Returns:
      dict with ``verdict``, ``mean``, ``se``, ``n_seeds``, ``margin``, ``resolution``,
      ``tolerance`` (τ; nan with fewer than 2 seeds) and ``reason``.

    Example:
      >>> rule_d2([0.05, 0.06, 0.04])["verdict"], rule_d2([0.05, -0.06, 0.01])["verdict"]
      ('holds', 'degenerate')
      >>> rule_d2([0.01, 0.01, 0.01], resolution=0.01)["verdict"]  # a one-image tie
      'degenerate'
    """
    m = v.real(margin, "margin", lo=0.0)
    r = v.real(resolution, "resolution", lo=0.0)
    mean, se, s = mean_se(deltas)
    tol = max(m * se, r) if s >= 2 else float("nan")
    out = {"mean": mean, "se": se, "n_seeds": s, "margin": m, "resolution": r, "tolerance": tol}
    if s < 2:
        return {**out, "verdict": "degenerate", "reason": "fewer than 2 seeds"}
    if references is not None:
        if chance is None:
            v.fail("chance", "given together with references", chance)
        if not isinstance(references, dict):
            references = {"reference": references}
        for name, acc in references.items():
            r_mean, r_se, _ = mean_se(acc)
            if not r_mean - m * r_se > chance:
                return {
                    **out,
                    "verdict": "degenerate",
                    "reason": f"{name} accuracy {r_mean:.3f} not above chance {chance:.3f}",
                }
    bound = f"max({m:g} SE, resolution {r:.3g})" if r > 0 else f"{m:g} SE"
    if mean > tol:
        return {**out, "verdict": "holds", "reason": f"mean > {bound}"}
    if mean < -tol:
        return {**out, "verdict": "violated", "reason": f"mean < -{bound}"}
    return {**out, "verdict": "degenerate", "reason": f"|mean| within {bound}"}


def rule_d1(
    deltas: Any, *, reference: Any = None, chance: float | None = None, margin: float = MARGIN
) -> dict:
    """Rule D1 (history, committed before the runs): rule D2 with no resolution and one
    reference arm checked against chance.

    Example:
      >>> rule_d1([0.01, 0.01, 0.01])["verdict"]  # a one-image tie read as holds
      'holds'
    """
    refs = None if reference is None else {"reference": reference}
    if isinstance(reference, dict):
        refs = reference
    return rule_d2(deltas, references=refs, chance=chance, margin=margin)


def _arm_failures(arms: dict, untrained: Any, chance: float, m: float, s: int) -> list[str]:
    """One phrase per arm that is not above chance by m SE or did not learn (uplift over its
    untrained encoder not above m SE of the paired per-seed uplift), in the order of ``arms``."""
    out = []
    for name, acc in arms.items():
        a = v.array(acc, f"arms[{name!r}]", ndim=1)
        if a.size != s:
            v.fail(f"arms[{name!r}]", f"{s} per-seed accuracies (one per Δ_s)", a.size)
        base = untrained.get(name) if isinstance(untrained, dict) else untrained
        if base is None:
            out.append(f"{name}: no untrained baseline recorded")
            continue
        b = v.array(base, f"untrained[{name!r}]", ndim=1)
        if b.size != s:
            v.fail(f"untrained[{name!r}]", f"{s} per-seed accuracies (one per Δ_s)", b.size)
        parts = []
        a_mean, a_se, _ = mean_se(a)
        if not a_mean - m * a_se > chance:
            parts.append(f"not above chance (accuracy {a_mean:.3f} ± {a_se:.3f}, chance "
                         f"{chance:.3f})")  # fmt: skip
        u_mean, u_se, _ = mean_se(a - b)
        if not u_mean - m * u_se > 0.0:
            parts.append(f"did not learn (uplift {100 * u_mean:+.1f} ± {100 * u_se:.1f} points)")
        if parts:
            out.append(f"{name} " + " and ".join(parts))
    return out


def decide(
    deltas: Any,
    *,
    arms: dict | None = None,
    untrained: Any = None,
    chance: float | None = None,
    resolution: float = 0.0,
    margin: float = MARGIN,
    power: float = POWER,
) -> dict:
    """Verdict of one claim from per-seed signed differences Δ_s (Δ > 0: the paper's
    direction) by rule D3 (module docstring).

    ``void`` if an arm of ``arms`` is not above ``chance`` by m SE, did not learn (mean of
    acc_s − untrained_s not above m SE of that paired uplift) or has no untrained baseline;
    else ``inconclusive`` if S < 2; else ``holds`` if mean > τ, ``violated`` if mean < −τ,
    τ = max(m·SE, ``resolution``), else ``inconclusive``. With S < 2 the arms cannot be
    checked: ``void`` only for a missing baseline, else ``inconclusive``.

    Args:
      deltas: (S,) per-seed differences.
      arms: optional arms whose accuracies enter Δ: {name: (S,) probe accuracies}.
      untrained: the probe accuracy of each arm's encoder before training: {name: (S,)}, or
        one (S,) array shared by every arm (one untrained encoder per seed); ``None`` with
        ``arms``: no baseline recorded (``void``).
      chance: chance accuracy (1/#classes), needed with ``arms``.
      resolution: the smallest difference the data can show, r ≥ 0 (one test image).
      margin: m ≥ 0 (default 2). power: of the minimum detectable effect (default 0.8).

    Returns:
      dict with ``verdict``, ``reason`` (a void names every failed arm), ``rule``, ``mean``,
      ``se``, ``sd`` (per-seed SD of Δ), ``n_seeds``, ``margin``, ``resolution``,
      ``tolerance`` (τ) and ``mde`` (:func:`mde` at the measured sd, r and S; nan for S < 2).

    Example:
      >>> decide([0.05, 0.06, 0.04])["verdict"], decide([0.05, -0.06, 0.01])["verdict"]
      ('holds', 'inconclusive')
      >>> d = decide([0.05, 0.06, 0.04], arms={"simsiam cnn label": [0.30, 0.31, 0.29]},
      ...            untrained=[0.30, 0.30, 0.30], chance=0.1)
      >>> d["verdict"], d["reason"]
      ('void', 'simsiam cnn label did not learn (uplift +0.0 ± 0.6 points)')
    """
    m = v.real(margin, "margin", lo=0.0)
    r = v.real(resolution, "resolution", lo=0.0)
    mean, se, s = mean_se(deltas)
    sd = se * math.sqrt(s) if s >= 2 else float("nan")
    tol = max(m * se, r) if s >= 2 else float("nan")
    size = mde(sd, s, margin=m, power=power, resolution=r) if s >= 2 else float("nan")
    out = {
        "rule": RULE,
        "mean": mean,
        "se": se,
        "sd": sd,
        "n_seeds": s,
        "margin": m,
        "resolution": r,
        "tolerance": tol,
        "mde": size,
    }
    if arms is not None:
        if chance is None:
            v.fail("chance", "given together with arms", chance)
        if untrained is None:
            return {**out, "verdict": "void", "reason": "no untrained baseline recorded"}
        if s >= 2:
            failed = _arm_failures(arms, untrained, chance, m, s)
            if failed:
                return {**out, "verdict": "void", "reason": "; ".join(failed)}
    if s < 2:
        return {**out, "verdict": "inconclusive", "reason": "fewer than 2 seeds"}
    bound = f"max({m:g} SE, resolution {r:.3g})" if r > 0 else f"{m:g} SE"
    if mean > tol:
        return {**out, "verdict": "holds", "reason": f"mean > {bound}"}
    if mean < -tol:
        return {**out, "verdict": "violated", "reason": f"mean < -{bound}"}
    return {**out, "verdict": "inconclusive", "reason": f"|mean| within {bound}"}


def drop_differences(iid_a: Any, skew_a: Any, iid_b: Any, skew_b: Any) -> np.ndarray:
    """Per-seed (acc_IID_b − acc_skew_b) − (acc_IID_a − acc_skew_a): drop of b minus drop of a.

    With a = MIM and b = CL this is the ``mim_vs_cl`` Δ. Arrays (S,) or (S, cells); cells are
    averaged.

    Example:
      >>> drop_differences([0.9], [0.8], [0.9], [0.6]).round(6).tolist()
      [0.2]
    """
    arrs = [np.atleast_1d(np.asarray(a, dtype=np.float64)) for a in (iid_a, skew_a, iid_b, skew_b)]
    shape = arrs[0].shape
    for name, a in zip(("iid_a", "skew_a", "iid_b", "skew_b"), arrs, strict=True):
        if a.shape != shape:
            v.fail(name, f"an array of shape {shape}", f"shape {a.shape}")
    d = (arrs[2] - arrs[3]) - (arrs[0] - arrs[1])
    return d.reshape(d.shape[0], -1).mean(axis=1)


def connectivity_slopes(abar: Any, acc: Any) -> np.ndarray:
    """Per-seed OLS slope of accuracy on |Ā|: acc (S, P) at the P connectivities abar (P,).

    Example:
      >>> connectivity_slopes([3, 5], [[0.5, 0.7]]).round(6).tolist()
      [0.1]
    """
    a = v.array(abar, "abar", ndim=1)
    y = v.array(acc, "acc", ndim=2)
    if y.shape[1] != a.size or a.size < 2:
        v.fail("acc", f"an array of shape (S, {a.size}) with at least 2 points", y.shape)
    ac = a - a.mean()
    if not np.any(ac != 0):
        v.fail("abar", "at least two distinct values", a.tolist())
    return (y - y.mean(axis=1, keepdims=True)) @ ac / np.sum(ac * ac)


# ---------------------------------------------------------------------------------------------
# rows


def _finite(x: Any) -> float | None:
    """A finite float, or None (nan/inf: not computable)."""
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def verdict_table(decisions: dict) -> list[dict]:
    """Rows, in CLAIMS order: claim / rule / Track D verdict (rule D3) / mean ± SE, per-seed
    SD, seeds / tolerance, resolution / minimum detectable effect / reason / reading / D2's
    and D1's words / preset / the paper's direction, scale and effect size (same units as Δ)
    with its source.

    Args:
      decisions: {claim: dict from :func:`decide`, with ``reading``, ``old_verdict``,
        ``d1_verdict`` and ``preset`` where :func:`decisions` made it} (missing claims:
        ``not-run``). Non-finite numbers (SE with one seed) become None.

    Example:
      >>> rows = verdict_table({"mim_vs_cl": decide([0.02, 0.03, 0.025])})
      >>> rows[0]["track_d"], rows[1]["track_d"], round(100 * rows[0]["paper_effect"], 2)
      ('holds', 'not-run', 1.64)
    """
    rows = []
    for claim in CLAIMS:
        direction, scale = PAPER_DIRECTION[claim]
        eff = PAPER_EFFECTS[claim]
        paper = {
            "paper": direction,
            "paper_scale": scale,
            "paper_effect": eff["effect"],
            "paper_effect_source": eff["source"],
            "unit": eff["unit"],
        }
        d = decisions.get(claim)
        if d is None:
            rows.append({"claim": claim, "rule": RULE, "track_d": "not-run", **paper})
            continue
        rows.append(
            {
                "claim": claim,
                "rule": d.get("rule", RULE),
                "track_d": d["verdict"],
                "mean": d["mean"],
                "se": _finite(d["se"]),
                "sd": _finite(d.get("sd")),
                "n_seeds": d["n_seeds"],
                "tolerance": _finite(d.get("tolerance")),
                "resolution": _finite(d.get("resolution")),
                "mde": _finite(d.get("mde")),
                "reason": d["reason"],
                "reading": d.get("reading", ""),
                "old_verdict": d.get("old_verdict"),
                "d1_verdict": d.get("d1_verdict"),
                "preset": d.get("preset"),
                **paper,
                "agrees_with_paper": {"holds": True, "violated": False}.get(d["verdict"]),
            }
        )
    return rows


def _number(
    row: dict, key: str, fail, *, required: bool = False, lo: float = -1.0, hi: float = 1.0
):
    """``row[key]`` is a finite number in [lo, hi]: accuracies and their differences (per
    unit of |Ā| for a slope, whose steps are at least 1) lie in [−1, 1]."""
    x = row.get(key)
    if x is None and not required:
        return
    if isinstance(x, bool) or not isinstance(x, (int, float)) or not math.isfinite(x):
        fail(f"a finite number {key}", f"{row['claim']}: {key} = {x!r}")
    if not lo <= x <= hi:
        fail(f"{key} in [{lo:g}, {hi:g}] (accuracy units)", f"{row['claim']}: {key} = {x!r}")


def check_verdicts_doc(data: Any, *, field: str = "trackd-results", path: str = "") -> dict:
    """Check a ``trackd_verdicts.json`` document (the ``trackd_verdicts`` stage's result, or
    ``dssl trackd --save``'s): ``rows`` of claim / track_d / paper / paper_scale and, where
    the claim ran, finite numbers (no bools) mean, se (None only with one seed), n_seeds and,
    where present, sd, tolerance, resolution, mde, paper_effect; words from rule D3's set
    (rows with ``rule`` D3) or D2's (older rows without ``rule``), D2's and D1's words from
    theirs; a dict ``scale``. One-line ValueError naming ``field`` and ``path`` otherwise.

    Returns:
      ``{"rows": {claim: row}, "scale": {experiment: meta}, "margin": m or None}``.

    Example:
      >>> doc = {"rows": verdict_table({"mar_vs_mim": decide([0.01, 0.02, 0.0])})}
      >>> check_verdicts_doc(doc)["rows"]["mar_vs_mim"]["track_d"]
      'inconclusive'
      >>> bad = {"rows": [{**doc["rows"][3], "mean": True}]}
      >>> check_verdicts_doc(bad, path="f")
      Traceback (most recent call last):
      ...
      ValueError: trackd-results: must be a finite number mean, got 'mar_vs_mim: mean = True (f)'
    """

    def fail(allowed: str, what: str) -> None:  # what first: a long path is cut, not it
        v.fail(field, allowed, f"{what} ({path})" if path else what)

    if not isinstance(data, dict) or not isinstance(data.get("rows"), list):
        fail("a trackd_verdicts document with a list 'rows'", type(data).__name__)
    keys = ("claim", "track_d", "paper", "paper_scale")
    rows = {}
    for r in data["rows"]:
        missing = [k for k in keys if not isinstance(r, dict) or k not in r]
        if missing:
            fail(f"rows with keys {', '.join(keys)}", f"a row lacks {', '.join(missing)}")
        if r["claim"] not in CLAIMS:
            fail(f"claims among {', '.join(CLAIMS)}", r["claim"])
        if r["claim"] in rows:
            fail("one row per claim", f"{r['claim']} twice")
        rule = r.get("rule")
        if rule not in (None, RULE):
            fail(f"rule {RULE} (or none, an older file)", f"{r['claim']}: rule {rule!r}")
        words = WORDS if rule == RULE else (*OLD_WORDS, "not-run")
        if r["track_d"] not in words:
            fail(f"verdicts {'/'.join(words)}", f"{r['claim']}: {r['track_d']!r}")
        for key in ("old_verdict", "d1_verdict"):
            if r.get(key) is not None and r[key] not in OLD_WORDS:
                fail(f"{key} among {'/'.join(OLD_WORDS)}", f"{r['claim']}: {r[key]!r}")
        for key in ("paper", "paper_scale", "reason", "reading", "preset",
                    "paper_effect_source", "unit"):  # fmt: skip
            if r.get(key) is not None and not isinstance(r[key], str):
                fail(f"a text {key}", f"{r['claim']}: {key} = {r[key]!r}")
        _number(r, "paper_effect", fail)
        if r["track_d"] != "not-run":
            _number(r, "mean", fail, required=True)
            n = r.get("n_seeds")
            if isinstance(n, bool) or not isinstance(n, int) or n < 1:
                fail("an integer n_seeds ≥ 1 in each row that ran", f"{r['claim']}: {n!r}")
            _number(r, "se", fail, required=n >= 2, lo=0.0)
            for key in ("sd", "tolerance", "resolution", "mde"):
                _number(r, key, fail, lo=0.0)
        rows[r["claim"]] = r
    scale = data.get("scale", {})
    if not isinstance(scale, dict):
        fail("a dict 'scale'", type(scale).__name__)
    margin = data.get("margin")
    if margin is not None:
        _number({"claim": "document", "margin": margin}, "margin", fail, lo=0.0, hi=100.0)
    return {"rows": rows, "scale": scale, "margin": margin}


def read_verdicts_file(path: str, *, field: str = "trackd-results") -> dict:
    """Read and check (:func:`check_verdicts_doc`) a ``trackd_verdicts.json`` file; one-line
    ValueError naming ``field`` when it does not parse or is malformed.

    Returns:
      ``{"path", "rows": {claim: row}, "scale", "margin", "decisive"}``: ``decisive`` is the
      DECISIVE rows the stage embedded (checked likewise, ``{"path", "rows", "scale",
      "margin"}``), or None where the document has none (see :func:`decisive_entry`).
    """

    def _reject(token: str):
        raise ValueError(f"non-finite number {token}")

    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh, parse_constant=_reject)
    except (OSError, ValueError) as err:
        v.fail(field, f"a readable JSON {VERDICTS_FILE}", f"{path} ({type(err).__name__})")
    out = {"path": str(path), **check_verdicts_doc(data, field=field, path=str(path))}
    embedded = data.get("decisive")
    out["decisive"] = None
    if isinstance(embedded, dict) and "rows" in embedded:
        where = f"{path} (decisive)"
        got = check_verdicts_doc(embedded, field=field, path=where)
        out["decisive"] = {"path": str(embedded.get("path", where)), **got}
    return out


def decisive_entry(folder: str = DECISIVE_DIR, *, field: str = "decisive") -> dict:
    """The DECISIVE preset's verdicts from ``folder/trackd_verdicts.json`` (checked):
    ``{"path", "rows": [row, ...], "scale", "margin"}``, or, where the file is not there,
    ``{"path", "verdict": "not-run", "command": DECISIVE_COMMAND}``."""
    path = os.path.join(folder, VERDICTS_FILE)
    if not os.path.isfile(path):
        return {"path": path, "verdict": "not-run", "command": DECISIVE_COMMAND}
    doc = read_verdicts_file(path, field=field)
    return {"path": path, "rows": list(doc["rows"].values()), "scale": doc["scale"],
            "margin": doc["margin"]}  # fmt: skip


# ---------------------------------------------------------------------------------------------


def _decide_all(
    deltas, arms: dict, untrained, first: tuple, meta: dict, margin, reading, preset, span=1.0
):
    """Rule D3's decision with D2's word (``old_verdict``) and D1's (``d1_verdict``) beside
    it, the ``reading`` and the ``preset``. D2 checks ``first`` (a (name, accuracies) reference
    arm) and every arm against chance; D1 is D2 with no resolution and only ``first``. The
    resolution is one test image of the experiment (``meta``), per ``span`` units of the x
    axis (a slope)."""
    chance = meta["chance"]
    resolution = 1.0 / meta["n_test"] / span
    new = decide(
        deltas,
        arms=arms,
        untrained=untrained,
        chance=chance,
        resolution=resolution,
        margin=margin,
    )
    d2 = rule_d2(
        deltas,
        references={first[0]: first[1]} | arms,
        chance=chance,
        resolution=resolution,
        margin=margin,
    )
    d1 = rule_d1(deltas, reference={first[0]: first[1]}, chance=chance, margin=margin)
    return {
        **new,
        "old_verdict": d2["verdict"],
        "d1_verdict": d1["verdict"],
        "reading": reading,
        "preset": meta.get("preset", preset),
    }


def _table1(t1: dict, margin, preset) -> dict:
    acc = t1["acc"]
    if "mae" not in acc or "simsiam" not in acc:
        return {}
    archs = [a for a in acc["mae"] if a in acc["simsiam"]]
    skews = [s for s in next(iter(acc["mae"].values())) if s != "iid"]
    if not archs or not skews:
        return {}
    d = [
        drop_differences(
            acc["mae"][a]["iid"], acc["mae"][a][s], acc["simsiam"][a]["iid"], acc["simsiam"][a][s]
        )
        for a in archs
        for s in skews
    ]
    arms = {
        f"{m} {a} {s}": acc[m][a][s]
        for m in ("mae", "simsiam")
        for a in archs
        for s in ("iid", *skews)
    }
    base = t1.get("untrained")
    untrained = None
    if base is not None:
        untrained = {}
        for m in ("mae", "simsiam"):
            for a in archs:
                for s in ("iid", *skews):
                    got = base.get(m, {}).get(a, {}).get(s)
                    if got is not None:
                        untrained[f"{m} {a} {s}"] = got
    first = ("MAE IID (mean over encoders)", np.mean([acc["mae"][a]["iid"] for a in archs], 0))
    reading = (
        "drop_SimSiam - drop_MAE (linear-probe accuracy, IID minus skewed), mean over encoders "
        f"{archs} and skews {skews}"
    )
    return {
        "mim_vs_cl": _decide_all(
            np.mean(d, axis=0), arms, untrained, first, t1["meta"], margin, reading, preset
        )
    }


def _fig2a(f2a: dict, margin, preset) -> dict:
    abars = list(f2a["abars"])
    if sorted(abars) != abars or len(set(abars)) != len(abars):
        v.fail("fig2a.abars", "strictly increasing |Ā| values", abars)
    kinds = list(f2a["acc"])
    slopes, gaps = [], []
    arms = {"FL": f2a["fl"]}
    for kind, per in f2a["acc"].items():
        y = np.asarray([per[str(a)] for a in abars]).T  # (S, P)
        slopes.append(connectivity_slopes(abars, y))
        gaps.append(np.asarray(f2a["fl"]) - y[:, 0])
        arms |= {f"DecL {kind} |Ā|={a}": per[str(a)] for a in abars}
    smallest = {"FL": f2a["fl"]} | {
        f"DecL {k} |Ā|={abars[0]}": per[str(abars[0])] for k, per in f2a["acc"].items()
    }
    untrained = f2a.get("untrained")  # one untrained encoder per seed, shared by every arm
    fl = ("FL", f2a["fl"])
    return {
        "connectivity": _decide_all(
            np.mean(slopes, axis=0),
            arms,
            untrained,
            fl,
            f2a["meta"],
            margin,
            f"OLS slope of DecL probe accuracy on the nominal |Ā| in {abars} (per unit |Ā|), "
            f"mean over graph kinds {kinds}",
            preset,
            span=abars[-1] - abars[0],
        ),
        "fl_vs_decl": _decide_all(
            np.mean(gaps, axis=0),
            smallest,
            untrained,
            fl,
            f2a["meta"],
            margin,
            f"acc(FL) - acc(DecL at |Ā| = {abars[0]}), probe accuracy, mean over graph kinds "
            f"{kinds}",
            preset,
        ),
    }


def _fig2b(f2b: dict, margin, preset) -> dict:
    diffs, refs, arms = [], [], {}
    for f, per in f2b["acc"].items():
        for a in per["mae"]:
            diffs.append(np.asarray(per["mar"][a]) - np.asarray(per["mae"][a]))
            refs.append(np.asarray(per["mae"][a]))
            arms |= {f"{m} {f} α={a}": per[m][a] for m in ("mae", "mar")}
    first = ("MAE (mean over α and frameworks)", np.mean(refs, axis=0))
    reading = (
        f"acc(MAR) - acc(MAE), probe accuracy, mean over α {list(f2b['alphas'])} and "
        f"frameworks {list(f2b['acc'])}"
    )
    return {
        "mar_vs_mim": _decide_all(
            np.mean(diffs, axis=0),
            arms,
            f2b.get("untrained"),
            first,
            f2b["meta"],
            margin,
            reading,
            preset,
        )  # fmt: skip
    }


def decisions(results: dict, *, margin: float = MARGIN, preset: str | None = None) -> dict:
    """Track D verdicts by rule D3 (:func:`decide`; Δ definitions in the module docstring)
    from experiment results ``{"table1": ..., "fig2a": ..., "fig2b": ...}``, each with its
    ``reading`` (what Δ averages over), D2's word (``old_verdict``), D1's (``d1_verdict``),
    the minimum detectable effect and the ``preset`` (``meta["preset"]`` of its experiment,
    else ``preset``). The resolution is one test image (``meta["n_test"]``).

    The arms entering each Δ are checked against chance and against their own untrained
    encoder: ``table1["untrained"][method][arch][skew]`` (per-seed probe accuracy of the same
    encoder before training), ``fig2a["untrained"]`` and ``fig2b["untrained"]`` (one per seed,
    shared by the arms of that seed); results without them are ``void`` ("no untrained
    baseline recorded"). ``table6`` results are accepted and not read: the four Δ are those
    fixed by rule D1 (Table 6 enters as the paper's effect size only, :data:`PAPER_EFFECTS`).

    Example:
      >>> meta = {"n_test": 100, "chance": 0.1, "seeds": 3, "preset": "fast"}
      >>> acc = {"fl": {m: {"1.0": a} for m, a in (("mae", [0.8, 0.82, 0.81]),
      ...                                         ("mar", [0.85, 0.88, 0.86]))}}
      >>> f2b = {"meta": meta, "alphas": [1.0], "acc": acc, "untrained": [0.5, 0.5, 0.5]}
      >>> d = decisions({"fig2b": f2b})["mar_vs_mim"]
      >>> d["verdict"], d["old_verdict"], d["preset"]
      ('holds', 'holds', 'fast')
    """
    out = {}
    if results.get("table1") is not None:
        out |= _table1(results["table1"], margin, preset)
    if results.get("fig2a") is not None:
        out |= _fig2a(results["fig2a"], margin, preset)
    if results.get("fig2b") is not None:
        out |= _fig2b(results["fig2b"], margin, preset)
    return out
