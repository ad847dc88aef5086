"""Track D verdicts: the decision rule for the paper's empirical claims (rule D1 fixed before
any run, D2 after a review; both below).

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

Rule D2 (margin m = 2 standard errors of the mean of Δ over seeds, SE = sd(Δ, ddof=1)/√S;
resolution r = the smallest difference the accuracies can show, one test image: 1/n_test for
an accuracy difference, (1/n_test)/(max |Ā| − min |Ā|) for the slope; tolerance
τ = max(m·SE, r)):

* ``holds``      if mean(Δ) > τ   (the paper's direction, beyond noise and beyond one image);
* ``violated``   if mean(Δ) < −τ  (the opposite direction, likewise);
* ``degenerate`` otherwise, or if S < 2, or if any arm that enters Δ is not above chance
  (its mean accuracy − m·SE ≤ the chance rate): the runs cannot tell.

A tie inside the tolerance is ``degenerate``, not ``holds``: the runs are read as evidence
only when they separate.

Rule D1, written and committed before the Track D runs (docs/track_d.md), had τ = m·SE (no
resolution: with identical per-seed differences of one test image, SE = 0 and a one-image
tie read ``holds``) and checked one reference arm only against chance (MAE's IID accuracy,
FL, MAE); a collapsed SimSiam or DecL arm could then still give ``holds`` or ``violated``.
D2 replaced it after the D1 outputs had been seen (a review of the rule that also looked at
the per-seed differences: ``fl_vs_decl``'s were one or two test images);
:data:`RULE_CHANGES` records the change and every verdict row carries D1's word
(``old_verdict``) beside D2's. On the committed runs both rules give the same four words.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from theory import _validate as v

__all__ = [
    "MARGIN",
    "RULE_CHANGES",
    "CLAIMS",
    "PAPER_DIRECTION",
    "mean_se",
    "decide",
    "drop_differences",
    "connectivity_slopes",
    "verdict_table",
    "decisions",
]

MARGIN = 2.0

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
)

CLAIMS = ("mim_vs_cl", "connectivity", "fl_vs_decl", "mar_vs_mim")
#: the claim of the claims table (``theory.claims``) each Track D verdict reads empirically;
#: ``mar_vs_mim`` (§5) has no row of its own
CLAIM_OF = {"mim_vs_cl": "thm4.4", "connectivity": "cor4.5", "fl_vs_decl": "thm4.6"}

# The paper's reported direction of each effect (docs/theory/paper_code.md §4; arXiv 2607.02447
# Tables 1, 6, Figs 2a, 2b) and the scale it was measured at.
PAPER_DIRECTION = {
    "mim_vs_cl": (
        "MIM drop <= CL drop in 11 of 12 Table 1 cells (MAE+CNN F on C10: 1.11 vs 1.41; "
        "MAE+ViT L on C10: 1.70 vs 2.82)",
        "Mini-ImageNet pre-training, fine-tuned on CIFAR-10/100 and ImageNet; FL 100 clients",
    ),
    "connectivity": (
        "fine-tuning accuracy rises with |A| from 3 to 20 (Fig 2a, CIFAR-100)",
        "DecL, 20 clients, 25 rounds, 1 local epoch",
    ),
    "fl_vs_decl": (
        "FL at or above every DecL point (Fig 2a; Table 6: 52.72 vs 45.2-46.6 at |A|~5)",
        "20 clients, CIFAR-100",
    ),
    "mar_vs_mim": (
        "MAR above MIM at every alpha from 1 to 0.001, FL and DecL (Fig 2b)",
        "100 clients FL / 20 clients DecL, CIFAR-100",
    ),
}


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


def decide(
    deltas: Any,
    *,
    references: Any = None,
    chance: float | None = None,
    resolution: float = 0.0,
    margin: float = MARGIN,
) -> dict:
    """Verdict of one claim from per-seed signed differences Δ_s (Δ > 0: the paper's direction)
    by rule D2 (module docstring).

    ``holds`` if mean > τ, ``violated`` if mean < −τ, τ = max(m·SE, ``resolution``), else
    ``degenerate``; also ``degenerate`` when S < 2 or when an arm of ``references`` is not
    above ``chance`` by m·SE. Rule D1 is this with ``resolution=0`` and one reference arm.

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
      >>> decide([0.05, 0.06, 0.04])["verdict"]
      'holds'
      >>> decide([0.05, -0.06, 0.01])["verdict"]
      'degenerate'
      >>> decide([0.01, 0.01, 0.01], resolution=0.01)["verdict"]  # a one-image tie
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


def verdict_table(decisions: dict) -> list[dict]:
    """Rows claim / Track D verdict / mean ± SE / tolerance / reading / rule D1's word / paper
    direction / paper scale, in CLAIMS order.

    Args:
      decisions: {claim: dict from :func:`decide`, with ``reading`` and ``old_verdict`` where
        :func:`decisions` made it} (missing claims: ``not-run``).
    """
    rows = []
    for claim in CLAIMS:
        direction, scale = PAPER_DIRECTION[claim]
        d = decisions.get(claim)
        if d is None:
            rows.append(
                {"claim": claim, "track_d": "not-run", "paper": direction, "paper_scale": scale}
            )
            continue
        rows.append(
            {
                "claim": claim,
                "track_d": d["verdict"],
                "mean": d["mean"],
                "se": d["se"],
                "n_seeds": d["n_seeds"],
                "tolerance": d.get("tolerance"),
                "resolution": d.get("resolution"),
                "reason": d["reason"],
                "reading": d.get("reading", ""),
                "old_verdict": d.get("old_verdict"),
                "paper": direction,
                "paper_scale": scale,
                "agrees_with_paper": {"holds": True, "violated": False}.get(d["verdict"]),
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------


def _decide_both(deltas, references: dict, first: str, meta: dict, margin, reading, span=1.0):
    """Rule D2's decision with rule D1's word beside it (``old_verdict``): D1 is D2 with no
    resolution and only the reference arm ``first`` checked against chance. The resolution is
    one test image of the experiment (``meta``), per ``span`` units of the x axis (a slope)."""
    chance = meta["chance"]
    resolution = 1.0 / meta["n_test"] / span
    new = decide(
        deltas, references=references, chance=chance, resolution=resolution, margin=margin
    )
    old = decide(deltas, references={first: references[first]}, chance=chance, margin=margin)
    return {**new, "old_verdict": old["verdict"], "reading": reading}


def decisions(results: dict, *, margin: float = MARGIN) -> dict:
    """Track D verdicts from experiment results ``{"table1": ..., "fig2a": ..., "fig2b": ...}``
    with :func:`sims.trackd.verdicts.decide` (rule D2; Δ definitions in that module) at
    ``margin``; each with its ``reading`` (what Δ averages over) and rule D1's word
    (``old_verdict``). The resolution is one test image (``meta.n_test``)."""
    out = {}
    t1 = results.get("table1")
    if t1 is not None:
        acc = t1["acc"]
        archs = list(next(iter(acc.values())).keys())
        skews = [s for s in next(iter(next(iter(acc.values())).values())) if s != "iid"]
        if "mae" in acc and "simsiam" in acc and skews:
            d = []
            for a in archs:
                for s in skews:
                    d.append(
                        drop_differences(
                            acc["mae"][a]["iid"],
                            acc["mae"][a][s],
                            acc["simsiam"][a]["iid"],
                            acc["simsiam"][a][s],
                        )
                    )
            refs = {
                "MAE IID (mean over encoders)": np.mean([acc["mae"][a]["iid"] for a in archs], 0)
            }
            for m in ("mae", "simsiam"):
                for a in archs:
                    for s in ("iid", *skews):
                        refs[f"{m} {a} {s}"] = acc[m][a][s]
            out["mim_vs_cl"] = _decide_both(
                np.mean(d, axis=0),
                refs,
                "MAE IID (mean over encoders)",
                t1["meta"],
                margin,
                reading=(
                    "drop_SimSiam - drop_MAE (linear-probe accuracy, IID minus skewed), mean "
                    f"over encoders {archs} and skews {skews}"
                ),
            )
    f2a = results.get("fig2a")
    if f2a is not None:
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
        out["connectivity"] = _decide_both(
            np.mean(slopes, axis=0),
            arms,
            "FL",
            f2a["meta"],
            margin,
            span=abars[-1] - abars[0],
            reading=(
                f"OLS slope of DecL probe accuracy on the nominal |Ā| in {abars} (per unit "
                f"|Ā|), mean over graph kinds {kinds}"
            ),
        )
        out["fl_vs_decl"] = _decide_both(
            np.mean(gaps, axis=0),
            smallest,
            "FL",
            f2a["meta"],
            margin,
            reading=(
                f"acc(FL) - acc(DecL at |Ā| = {abars[0]}), probe accuracy, mean over graph "
                f"kinds {kinds}"
            ),
        )
    f2b = results.get("fig2b")
    if f2b is not None:
        diffs, refs = [], []
        arms = {}
        for f, per in f2b["acc"].items():
            for a in per["mae"]:
                diffs.append(np.asarray(per["mar"][a]) - np.asarray(per["mae"][a]))
                refs.append(np.asarray(per["mae"][a]))
                arms |= {f"{m} {f} α={a}": per[m][a] for m in ("mae", "mar")}
        arms = {"MAE (mean over α and frameworks)": np.mean(refs, axis=0)} | arms
        out["mar_vs_mim"] = _decide_both(
            np.mean(diffs, axis=0),
            arms,
            "MAE (mean over α and frameworks)",
            f2b["meta"],
            margin,
            reading=(
                f"acc(MAR) - acc(MAE), probe accuracy, mean over α {list(f2b['alphas'])} and "
                f"frameworks {list(f2b['acc'])}"
            ),
        )
    return out
