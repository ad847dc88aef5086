r"""Track D verdicts: the decision rule for the paper's empirical claims (rule D4 in force: D3's
words and ``absent``; D1, fixed before any run, D2 and D3, after reviews, kept as history),
the minimum detectable effect of the rule, and the paper's own effect sizes computed from its
tables.

Every claim is read as a signed, per-seed paired difference :math:`\Delta_s`
(:math:`s = 1, \dots, S` seeds; each seed shares its data split, partition and initialisation
across the compared arms), oriented so that :math:`\Delta > 0` is the direction the paper
reports; per claim, :math:`\Delta_s` (per seed) is:

* ``mim_vs_cl``: :math:`\mathrm{drop}_{\mathrm{CL}} - \mathrm{drop}_{\mathrm{MIM}}`,
  :math:`\mathrm{drop} = \mathrm{acc}(\mathrm{IID}) - \mathrm{acc}(\mathrm{skew})`, probe
  accuracy, averaged over the skews and encoders of the run (Table 1's measure);
* ``connectivity``: OLS slope of accuracy against the nominal :math:`|\bar A|` over the DecL
  points of one seed, averaged over the graph kinds (Cor 4.5, Fig 2a; per unit :math:`|\bar A|`);
* ``fl_vs_decl``:
  :math:`\mathrm{acc}(\mathrm{FL}) - \mathrm{acc}(\text{DecL at the smallest } |\bar A|)`,
  averaged over the graph kinds (Thm 4.6, Fig 2a);
* ``mar_vs_mim``: :math:`\mathrm{acc}(\mathrm{MAR}) - \mathrm{acc}(\mathrm{MIM})`, averaged over
  the α values and frameworks (FL, DecL) of the run (Fig 2b).

Rule D3 (:func:`decide`; margin m = 2 standard errors of the mean of Δ over seeds,
:math:`\mathrm{SE} = \mathrm{sd}(\Delta, \mathrm{ddof}=1)/\sqrt{S}`; resolution r = the smallest
difference the accuracies can show, one test image: :math:`1/n_{\mathrm{test}}` for an accuracy
difference, :math:`(1/n_{\mathrm{test}})/(\max |\bar A| - \min |\bar A|)` for the slope;
tolerance :math:`\tau = \max(m\cdot\mathrm{SE}, r)`):

* ``void``         if an arm that enters Δ did not learn — its probe accuracy is not above
  its own untrained encoder's by m SE of the paired per-seed uplift
  (:math:`\mathrm{acc}_s - \mathrm{untrained}_s`) — or is not above chance by m SE of its
  accuracy, or no untrained baseline was recorded: a comparison of methods needs methods that
  worked. The reason names every arm that failed;
* ``holds``        if :math:`\operatorname{mean}(\Delta) > \tau` (the paper's direction, beyond
  noise and one image);
* ``violated``     if :math:`\operatorname{mean}(\Delta) < -\tau` (the opposite direction,
  likewise);
* ``inconclusive`` otherwise, or if S < 2: the runs cannot tell.

Rule D4 (:func:`decide_d4`): D3's word, except that D3's ``inconclusive`` with S ≥ 2 becomes
``absent`` where two one-sided t-tests (:math:`\mathrm{df} = S - 1`, level 0.05 each;
:func:`sims.trackd.power.tost`) exclude the paper's own effect E for the same comparison on
both sides (the 90 % interval of :math:`\operatorname{mean}(\Delta)` inside :math:`(-E, E)`): the
paper's effect is absent at this scale. ``inconclusive`` then means only that the runs cannot
tell (its reason gives the MDE and the smallest effect the runs exclude).

Every verdict carries the minimum detectable effect (:func:`sims.trackd.power.mde`): the
smallest true mean δ
that the rule calls ``holds`` with probability 0.8 when
:math:`\Delta_s \sim N(\delta, \mathrm{sd}^2)` i.i.d. over the S seeds, sd the measured per-seed
SD of Δ, beside the paper's effect for the same comparison
(:data:`sims.trackd.paper_numbers.PAPER_EFFECTS`, computed from the paper's tables, encoded
there as data). The rows and their file: :mod:`sims.trackd.verdict_rows`.

History (:data:`RULE_CHANGES`; every verdict row carries D2's word as ``old_verdict`` and
D1's as ``d1_verdict``). Rule D1, written and committed before the Track D runs, had
:math:`\tau = m\cdot\mathrm{SE}` (no resolution: identical per-seed differences of one test
image, :math:`\mathrm{SE} = 0`, read ``holds``) and
checked one reference arm against chance. D2 (after the D1 outputs had been seen) added the
resolution and checked every arm against chance. Both said ``degenerate`` for "the runs cannot
tell", the word Tracks B and C use for a tie decided by the model; nothing tied in Track D.
D3 (after the D2 outputs had been seen: every encoder's probe within about one point of its
untrained encoder's) says ``inconclusive`` for that, and ``void`` where an arm did not learn.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sims.trackd.paper_numbers import PAPER_EFFECTS  # the glossary's documented path
from sims.trackd.power import ABSENCE_LEVEL, MARGIN, POWER, mde, mean_se, tost
from sims.trackd.presets import TABLE1_PAIR
from theory import _validate as v

__all__ = [
    "PAPER_EFFECTS",
    "RULE",
    "WORDS",
    "OLD_WORDS",
    "RULE_CHANGES",
    "RULE_WORD_KEYS",
    "CLAIMS",
    "CLAIM_OF",
    "rule_d1",
    "rule_d2",
    "decide",
    "decide_d4",
    "same_arms",
    "D4_WORDS",
    "D3_WORDS",
    "drop_differences",
    "connectivity_slopes",
    "decisions",
    "VERDICTS_FILE",
    "DECISIVE_DIR",
    "DECISIVE_COMMAND",
    "PAPER_SCALE_DIR",
    "PAPER_SCALE_COMMAND",
]

#: the rule in force (:func:`decide_d4`)
RULE = "D4"
#: rule D4's words: D3's and ``absent`` (the paper's effect for the comparison is excluded;
#: ``not-run``: the experiment did not run)
WORDS = D4_WORDS = ("holds", "violated", "absent", "inconclusive", "void", "not-run")
#: rule D3's words (rows of files written before D4, and every row's ``d3_verdict``)
D3_WORDS = ("holds", "violated", "inconclusive", "void", "not-run")
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
    {
        "claim": "track D (all four claims)",
        "rule": "D3 -> D4",
        "old_rule": "inconclusive when |mean(Δ)| ≤ max(2 SE, one test image) or fewer than 2 "
        "seeds, whether or not the runs exclude the paper's effect",
        "new_rule": "D3's words, and absent where D3 says inconclusive with at least 2 seeds "
        "and two one-sided t-tests (df = S − 1, level 0.05) exclude the paper's own effect E "
        "for the same comparison on both sides (the 90 % confidence interval of mean(Δ) inside "
        "(−E, E)); inconclusive then means only that the runs cannot tell, reported with the "
        "MDE and the smallest effect the runs exclude, |mean(Δ)| + t_0.95·SE",
        "why": "a review of the D3 outputs (the issue on what Track D's runs showed): powered "
        "runs that exclude the paper's effect (DECISIVE Table 1: +0.06 ± 0.29 points against "
        "1.64) were called inconclusive, the word for runs that cannot tell",
    },
)
#: per rule change (keyed by rule id): the row keys holding the old rule's and the new rule's
#: word, which the stage compares to list the claims whose word changed
RULE_WORD_KEYS = {
    "D1 -> D2": ("d1_verdict", "old_verdict"),
    "D2 -> D3": ("old_verdict", "d3_verdict"),
    "D3 -> D4": ("d3_verdict", "track_d"),
}

#: the file of the verdict rows (stage ``trackd_verdicts``, ``dssl trackd --save DIR``)
VERDICTS_FILE = "trackd_verdicts.json"
#: where the DECISIVE preset's results are committed, and the command that writes them
DECISIVE_DIR = "figures/trackd_decisive"
DECISIVE_COMMAND = f"dssl trackd --preset decisive --save {DECISIVE_DIR}"
#: where the PAPER-SCALE preset's results are committed (Fig 2a), and the command
PAPER_SCALE_DIR = "figures/trackd_paper_scale"
PAPER_SCALE_COMMAND = (
    f"dssl trackd --preset paper-scale --experiment fig2a --save {PAPER_SCALE_DIR}"
)

CLAIMS = ("mim_vs_cl", "connectivity", "fl_vs_decl", "mar_vs_mim")
#: the claim of the claims table (``theory.claims``) each Track D verdict reads empirically;
#: ``mar_vs_mim`` (§5) has no row of its own
CLAIM_OF = {"mim_vs_cl": "thm4.4", "connectivity": "cor4.5", "fl_vs_decl": "thm4.6"}


def _by_tolerance(out: dict, within: str) -> dict:
    """``out`` with its verdict by the mean against the tolerance (both in ``out``, with the
    margin m and resolution r): holds above it, violated below minus it, ``within`` between."""
    m, r, mean, tol = out["margin"], out["resolution"], out["mean"], out["tolerance"]
    bound = f"max({m:g} SE, resolution {r:.3g})" if r > 0 else f"{m:g} SE"
    if mean > tol:
        return {**out, "verdict": "holds", "reason": f"mean > {bound}"}
    if mean < -tol:
        return {**out, "verdict": "violated", "reason": f"mean < -{bound}"}
    return {**out, "verdict": within, "reason": f"|mean| within {bound}"}


def rule_d2(
    deltas: Any,
    *,
    references: Any = None,
    chance: float | None = None,
    resolution: float = 0.0,
    margin: float = MARGIN,
) -> dict:
    r"""Rule D2 (history; :data:`RULE_CHANGES`): ``holds`` if :math:`\mathrm{mean} > \tau`,
    ``violated`` if :math:`\mathrm{mean} < -\tau`, :math:`\tau = \max(m\cdot\mathrm{SE}, r)` with
    r = ``resolution``, else ``degenerate``; also ``degenerate`` when S < 2 or when an arm of
    ``references`` is not above ``chance`` by :math:`m\cdot\mathrm{SE}`.

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
    return _by_tolerance(out, "degenerate")


def rule_d1(
    deltas: Any, *, reference: Any = None, chance: float | None = None, margin: float = MARGIN
) -> dict:
    """Rule D1 (history, committed before the runs): rule D2 with no resolution and one
    reference arm checked against chance.

    Example:
      >>> rule_d1([0.01, 0.01, 0.01])["verdict"]  # a one-image tie read as holds
      'holds'
    """
    return rule_d2(deltas, references=reference, chance=chance, margin=margin)


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
    r"""Verdict of one claim from per-seed signed differences :math:`\Delta_s` (:math:`\Delta > 0`:
    the paper's direction) by rule D3 (module docstring).

    ``void`` if an arm of ``arms`` is not above ``chance`` by m SE, did not learn (mean of
    :math:`\mathrm{acc}_s - \mathrm{untrained}_s` not above m SE of that paired uplift) or has no
    untrained baseline; else ``inconclusive`` if S < 2; else ``holds`` if
    :math:`\mathrm{mean} > \tau`, ``violated`` if :math:`\mathrm{mean} < -\tau`,
    :math:`\tau = \max(m\cdot\mathrm{SE}, r)` with r = ``resolution``, else ``inconclusive``.
    With S < 2 the arms cannot be checked: ``void`` only for a missing baseline, else
    ``inconclusive``.

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
        "rule": "D3",
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
    return _by_tolerance(out, "inconclusive")


def decide_d4(
    deltas: Any,
    *,
    paper_effect: float | None,
    level: float = ABSENCE_LEVEL,
    **d3: Any,
) -> dict:
    r"""Verdict of one claim by rule D4: rule D3's word (:func:`decide`, given ``d3``'s
    keywords), except that D3's ``inconclusive`` with S ≥ 2 becomes ``absent`` when the two
    one-sided t-tests (:func:`sims.trackd.power.tost`) exclude the paper's effect E =
    ``paper_effect`` on both sides at ``level``: the paper's effect for this comparison is
    absent at this scale. ``holds``, ``violated`` and ``void`` are D3's; a smaller effect in
    the paper's direction that the runs resolve still ``holds``. ``inconclusive`` is left
    only where the runs cannot tell; its reason gives the MDE and the smallest effect the runs
    exclude (``excluded_beyond``,
    :math:`|\mathrm{mean}| + t_{1-\mathrm{level}}\cdot\mathrm{SE}`).

    Args:
      deltas: (S,) per-seed differences (:math:`\Delta > 0`: the paper's direction).
      paper_effect: E > 0 in the units of Δ (None, or not positive: no absence test; D3's
        word stands).
      level: of each one-sided test, in (0, 0.5) (default 0.05: a 90 % interval).
      **d3: ``arms``, ``untrained``, ``chance``, ``resolution``, ``margin``, ``power`` of
        :func:`decide`.

    Returns:
      :func:`decide`'s dict with ``rule`` D4, ``d3_verdict`` (D3's word) and, where S ≥ 2 and
      E > 0, ``paper_effect``, ``tost_p``, ``tost_ci`` and ``excluded_beyond``.

    Example:
      >>> d = decide_d4([0.002, -0.004, 0.003, -0.001], paper_effect=0.0164)
      >>> d["verdict"], d["d3_verdict"], d["tost_p"] < 0.05
      ('absent', 'inconclusive', True)
      >>> decide_d4([0.002, -0.004, 0.003, -0.001], paper_effect=0.002)["verdict"]
      'inconclusive'
    """
    d = decide(deltas, **d3)
    out = {**d, "rule": "D4", "d3_verdict": d["verdict"]}
    eff = None if paper_effect is None else float(paper_effect)
    if d["n_seeds"] < 2 or eff is None or not eff > 0.0 or not math.isfinite(eff):
        return out
    t = tost(deltas, eff, level=level)
    out |= {"paper_effect": eff, "tost_p": t["p"], "tost_ci": t["ci"],
            "excluded_beyond": t["excluded_beyond"]}  # fmt: skip
    if d["verdict"] != "inconclusive":
        return out
    ci = f"{100 * (1 - 2 * t['level']):g} % CI [{t['ci'][0]:+.4g}, {t['ci'][1]:+.4g}]"
    if t["p"] < t["level"]:
        why = f"the paper's effect ±{eff:.4g} excluded (TOST p = {t['p']:.2g}, {ci})"
        return {**out, "verdict": "absent", "reason": f"{d['reason']}; {why}"}
    why = (f"the runs cannot tell: MDE {d['mde']:.4g}, effects beyond "
           f"±{t['excluded_beyond']:.4g} excluded, not the paper's ±{eff:.4g} (TOST p = "
           f"{t['p']:.2g}, {ci})")  # fmt: skip
    return {**out, "reason": f"{d['reason']}; {why}"}


def drop_differences(iid_a: Any, skew_a: Any, iid_b: Any, skew_b: Any) -> np.ndarray:
    r"""Per-seed
    :math:`(\mathrm{acc}_{\mathrm{IID},b} - \mathrm{acc}_{\mathrm{skew},b})`
    :math:`{} - (\mathrm{acc}_{\mathrm{IID},a} - \mathrm{acc}_{\mathrm{skew},a})`: drop of b
    minus drop of a.

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
    r"""Per-seed OLS slope of accuracy on :math:`|\bar A|`: acc (S, P) at the P connectivities
    abar (P,).

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


def _decide_all(
    claim, deltas, arms: dict, untrained, first: tuple, meta: dict, margin, reading, preset,
    span=1.0,
):  # fmt: skip
    """Rule D4's decision (against the paper's effect for ``claim``) with D3's word
    (``d3_verdict``), D2's (``old_verdict``) and D1's (``d1_verdict``) beside it, the
    ``reading`` and the ``preset``. D2 checks ``first`` (a (name, accuracies) reference arm)
    and every arm against chance; D1 is D2 with no resolution and only ``first``. The
    resolution is one test image of the experiment (``meta``), per ``span`` units of the x
    axis (a slope)."""
    chance = meta["chance"]
    resolution = 1.0 / meta["n_test"] / span
    new = decide_d4(
        deltas,
        paper_effect=PAPER_EFFECTS[claim]["effect"],
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
    mim, cl = TABLE1_PAIR
    if mim not in acc or cl not in acc:
        return {}
    archs = [a for a in acc[mim] if a in acc[cl]]
    skews = [s for s in next(iter(acc[mim].values())) if s != "iid"]
    if not archs or not skews:
        return {}
    d = [
        drop_differences(acc[mim][a]["iid"], acc[mim][a][s], acc[cl][a]["iid"], acc[cl][a][s])
        for a in archs
        for s in skews
    ]
    arms = {
        f"{m} {a} {s}": acc[m][a][s] for m in TABLE1_PAIR for a in archs for s in ("iid", *skews)
    }
    base = t1.get("untrained")
    untrained = None
    if base is not None:
        untrained = {}
        for m in TABLE1_PAIR:
            for a in archs:
                for s in ("iid", *skews):
                    got = base.get(m, {}).get(a, {}).get(s)
                    if got is not None:
                        untrained[f"{m} {a} {s}"] = got
    first = ("MAE IID (mean over encoders)", np.mean([acc[mim][a]["iid"] for a in archs], 0))
    reading = (
        "drop_SimSiam - drop_MAE (linear-probe accuracy, IID minus skewed), mean over encoders "
        f"{archs} and skews {skews}"
    )
    return {
        "mim_vs_cl": _decide_all(
            "mim_vs_cl",
            np.mean(d, axis=0),
            arms,
            untrained,
            first,
            t1["meta"],
            margin,
            reading,
            preset,
        )
    }


def _fig2a(f2a: dict, margin, preset) -> dict:
    abars = list(f2a["abars"])
    if sorted(abars) != abars or len(set(abars)) != len(abars):
        v.fail("fig2a.abars", "strictly increasing |Ā| values", abars)
    kinds = list(f2a["acc"])
    slopes, gaps = [], []
    arms = {"FL": f2a["fl"]}
    # |Ā| ≥ N is the complete graph, whose uniform mixing J is FedAvg with every client: the
    # FL arm itself (one arm, counted once: :func:`same_arms`)
    same = same_arms(f2a)
    for kind, per in f2a["acc"].items():
        y = np.asarray([per[str(a)] for a in abars]).T  # (S, P)
        slopes.append(connectivity_slopes(abars, y))
        gaps.append(np.asarray(f2a["fl"]) - y[:, 0])
        arms |= {f"DecL {kind} |Ā|={a}": per[str(a)] for a in abars
                 if f"DecL {kind} |Ā|={a}" not in same}  # fmt: skip
    also = ""
    if same:
        also = f"; {', '.join(same)} = FL (the complete graph, uniform mixing), counted once"
    smallest = {"FL": f2a["fl"]} | {
        f"DecL {k} |Ā|={abars[0]}": per[str(abars[0])] for k, per in f2a["acc"].items()
    }
    untrained = f2a.get("untrained")  # one untrained encoder per seed, shared by every arm
    fl = ("FL", f2a["fl"])
    return {
        "connectivity": _decide_all(
            "connectivity",
            np.mean(slopes, axis=0),
            arms,
            untrained,
            fl,
            f2a["meta"],
            margin,
            f"OLS slope of DecL probe accuracy on the nominal |Ā| in {abars} (per unit |Ā|), "
            f"mean over graph kinds {kinds}{also}",
            preset,
            span=abars[-1] - abars[0],
        ),
        "fl_vs_decl": _decide_all(
            "fl_vs_decl",
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
            "mar_vs_mim",
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


def same_arms(f2a: dict) -> list[str]:
    r"""The Fig 2a DecL arms that are the FL arm: :math:`|\bar A| \ge N`
    (``meta["n_clients"]``) is the complete graph, and uniform mixing on it,
    :math:`J = \mathbf{1}\mathbf{1}^\top/N`, is FedAvg with every client. The experiment
    trains such an arm once, as FL, and so do the verdicts count it.

    Example:
      >>> same_arms({"meta": {"n_clients": 20}, "abars": [3, 20], "acc": {"general": {}}})
      ['DecL general |Ā|=20']
    """
    n = f2a.get("meta", {}).get("n_clients")
    if n is None:
        return []
    return [f"DecL {kind} |Ā|={a}" for kind in f2a["acc"] for a in f2a["abars"] if a >= n]


def decisions(results: dict, *, margin: float = MARGIN, preset: str | None = None) -> dict:
    """Track D verdicts by rule D4 (:func:`decide_d4`; Δ definitions in the module docstring)
    from experiment results ``{"table1": ..., "fig2a": ..., "fig2b": ...}``, each with its
    ``reading`` (what Δ averages over), D3's word (``d3_verdict``), D2's (``old_verdict``),
    D1's (``d1_verdict``),
    the minimum detectable effect and the ``preset`` (``meta["preset"]`` of its experiment,
    else ``preset``). The resolution is one test image (``meta["n_test"]``).

    The arms entering each Δ are checked against chance and against their own untrained
    encoder: ``table1["untrained"][method][arch][skew]`` (per-seed probe accuracy of the same
    encoder before training), ``fig2a["untrained"]`` and ``fig2b["untrained"]`` (one per seed,
    shared by the arms of that seed); results without them are ``void`` ("no untrained
    baseline recorded"). ``table6`` results are accepted and not read: the four Δ are those
    fixed by rule D1 (Table 6 enters as the paper's effect size only,
    :data:`sims.trackd.paper_numbers.PAPER_EFFECTS`).

    Example:
      >>> meta = {"n_test": 100, "chance": 0.1, "seeds": 3, "preset": "fast"}
      >>> acc = {"fl": {m: {"1.0": a} for m, a in (("mae", [0.8, 0.82, 0.81]),
      ...                                         ("mar", [0.85, 0.88, 0.86]))}}
      >>> f2b = {"meta": meta, "alphas": [1.0], "acc": acc, "untrained": [0.5, 0.5, 0.5]}
      >>> d = decisions({"fig2b": f2b})["mar_vs_mim"]
      >>> d["verdict"], d["d3_verdict"], d["old_verdict"], d["preset"]
      ('holds', 'holds', 'holds', 'fast')
    """
    out = {}
    if results.get("table1") is not None:
        out |= _table1(results["table1"], margin, preset)
    if results.get("fig2a") is not None:
        out |= _fig2a(results["fig2a"], margin, preset)
    if results.get("fig2b") is not None:
        out |= _fig2b(results["fig2b"], margin, preset)
    return out
