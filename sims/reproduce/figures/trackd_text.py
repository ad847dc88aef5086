"""What the Track D figures say, computed from the results: each arm's uplift over its
untrained encoder (:func:`arm_uplift`), which arms learned (:func:`learned_lines`), the takeaway
sentence and the lines on the raw-pixel probe and the resolvable differences
(:mod:`sims.reproduce.figures.trackd` draws them)."""

from __future__ import annotations

import itertools

import numpy as np

from sims.trackd.power import MARGIN, mean_se


def _pts(mean: float, se: float) -> str:
    """``"+4.5 ± 0.4"`` (points) of a fraction's mean and SE (no ± with one seed)."""
    if not np.isfinite(se):
        return f"{100 * mean:+.1f}"
    return f"{100 * mean:+.1f} ± {100 * se:.1f}"


def arm_uplift(acc, untrained, *, margin: float = MARGIN) -> dict:
    """The paired per-seed uplift u_s = acc_s − untrained_s of one arm over its own untrained
    encoder: mean, SE (ddof 1), S, and whether the arm learned, mean − margin·SE > 0 (the
    premise of rule D3, :func:`sims.trackd.verdicts.decide`; ``None`` with one seed).

    Args:
      acc: (S,) probe accuracy of the trained encoder, one per seed.
      untrained: (S,) probe accuracy of the same encoder before training, paired by seed.
      margin: m ≥ 0 (default 2, :data:`sims.trackd.power.MARGIN`).

    Returns:
      ``{"mean", "se", "n", "learned"}`` (fractions of accuracy).

    Example:
      >>> u = arm_uplift([0.85, 0.86, 0.84], [0.80, 0.80, 0.80])
      >>> round(u["mean"], 3), u["learned"]
      (0.05, True)
      >>> arm_uplift([0.80, 0.82, 0.79], [0.80, 0.80, 0.80])["learned"]
      False
    """
    a = np.asarray(acc, np.float64).ravel()
    b = np.asarray(untrained, np.float64).ravel()
    if a.shape != b.shape:
        raise ValueError(f"acc and untrained: one value per seed each, got {a.size} and {b.size}")
    mean, se, n = mean_se(a - b)
    learned = None if n < 2 else bool(mean - margin * se > 0.0)
    return {"mean": mean, "se": se, "n": n, "learned": learned}


def _listing(values: dict) -> str:
    """``{name: text}`` as one list, names that share all but their last word grouped:
    ``{"a x": "1", "a y": "2", "b": "3"}`` -> ``"a: x 1, y 2; b 3"``."""
    groups: dict = {}
    for name, text in values.items():
        head, _, tail = name.rpartition(" ")
        groups.setdefault(head, []).append(f"{tail} {text}")
    return "; ".join(
        (f"{head}: " if head else "") + ", ".join(items) for head, items in groups.items()
    )


def _uplifts(arms: dict, untrained: dict, margin: float) -> dict:
    """``{arm: arm_uplift}`` for the arms whose untrained values are recorded."""
    return {
        name: arm_uplift(acc, untrained[name], margin=margin)
        for name, acc in arms.items()
        if untrained.get(name) is not None and len(untrained[name]) == len(acc)
    }


def learned_lines(
    arms: dict, untrained: dict, *, margin: float = MARGIN, uplift: str = "acc − untrained"
) -> list[str]:
    """The lines of a text panel that say which arms learned and by how much.

    Args:
      arms: ``{name: (S,) per-seed probe accuracy}``.
      untrained: ``{name: (S,) per-seed accuracy of the same encoder untrained, or None}``.
      margin: learned iff the uplift's mean − margin·SE > 0 (:func:`arm_uplift`).
      uplift: how the text writes the uplift.

    Returns:
      Lines (no bullets): the arms that learned with their uplift in points, the arms that did
      not (named), the arms with no baseline; one line when nothing can be tested.

    Example:
      >>> base = [0.8, 0.8, 0.8]
      >>> learned_lines({"a": [0.9, 0.91, 0.92], "b": [0.80, 0.82, 0.79]},
      ...               {"a": base, "b": base})  # doctest: +NORMALIZE_WHITESPACE
      ['Learned (uplift = acc − untrained > 2 SE), points: a +11.0 ± 0.6.',
       'Did not learn (uplift within 2 SE): b +0.3 ± 0.9.']
    """
    ups = _uplifts(arms, untrained, margin)
    missing = [n for n in arms if n not in ups]
    if not ups:
        return [
            "Whether the arms learned cannot be computed: these results record no per-seed "
            "accuracy of the untrained encoder (an older results file)."
        ]
    out = []
    if any(u["learned"] is None for u in ups.values()):
        listed = _listing({n: _pts(u["mean"], u["se"]) for n, u in ups.items()})
        out.append(f"One seed, no SE: whether an arm learned cannot be tested; uplift = "
                   f"{uplift}, points: {listed}.")  # fmt: skip
    else:
        yes = {n: _pts(u["mean"], u["se"]) for n, u in ups.items() if u["learned"]}
        no = {n: _pts(u["mean"], u["se"]) for n, u in ups.items() if not u["learned"]}
        m = f"{margin:g} SE"
        if yes:
            out.append(f"Learned (uplift = {uplift} > {m}), points: {_listing(yes)}.")
        if no:
            out.append(f"Did not learn (uplift within {m}): {_listing(no)}.")
    if missing:
        out.append(f"No untrained baseline recorded for: {', '.join(missing)}.")
    return out


def _learned_sentence(arms: dict, untrained: dict, margin: float = MARGIN) -> str:
    """One sentence: how many arms learned, and the range of their uplift."""
    ups = _uplifts(arms, untrained, margin)
    if not ups:
        return "whether pre-training learned cannot be told (no untrained baseline recorded)"
    if any(u["learned"] is None for u in ups.values()):
        return "with one seed, whether pre-training learned cannot be tested"
    means = [100 * u["mean"] for u in ups.values()]
    k, n = sum(u["learned"] for u in ups.values()), len(ups)
    span = f"uplift over the untrained encoder {min(means):+.1f} to {max(means):+.1f} points"
    if k == n:
        return f"Every arm learned ({n} of {n}; {span})"
    if k == 0:
        return (
            f"No arm learned: every probe is within {margin:g} SE of its untrained encoder ({span})"
        )
    return f"{k} of {n} arms learned, {n - k} did not ({span})"


def _takeaway(arms: dict, untrained: dict, extra: str = "", *, head: str = "Takeaway") -> str:
    """The figure's one sentence: whether the arms learned, and ``extra``."""
    first = _learned_sentence(arms, untrained)
    return f"{head}: {first[0].upper()}{first[1:]}" + (f"; {extra}." if extra else ".")


def _raw_line(meta: dict, arms: dict, untrained: dict, margin: float = MARGIN) -> str:
    """The trained and untrained arms against the raw-pixel probe."""
    raw = meta.get("raw_pixel_probe")
    if raw is None:
        return "The raw-pixel probe is not recorded in these results (an older results file)."
    above = [n for n, a in arms.items() if _above(a, raw, margin)]
    text = (f"Raw-pixel probe {raw:.3f} (dashed): {len(above)} of {len(arms)} trained arms are "
            f"above it by {margin:g} SE")  # fmt: skip
    base = [np.mean(b) for b in untrained.values() if b is not None]
    if base:
        lo, hi = f"{min(base):.3f}", f"{max(base):.3f}"
        text += f"; the untrained encoders score {lo}" + ("" if lo == hi else f"–{hi}")
    return text + "."


def _above(values, level: float, margin: float) -> bool:
    mean, se, n = mean_se(np.asarray(values, np.float64).ravel())
    return n >= 2 and mean - margin * se > level


def _resolution(meta: dict) -> float:
    n = meta.get("n_test")
    return 1.0 / n if n else 0.0


def _resolvable(d, resolution: float, margin: float = MARGIN) -> tuple[float, float, bool]:
    """Mean, SE and whether |mean| > max(margin·SE, resolution) of per-seed differences."""
    mean, se, n = mean_se(np.asarray(d, np.float64).ravel())
    return mean, se, bool(n >= 2 and abs(mean) > max(margin * se, resolution))


def _pairs_line(arms: dict, meta: dict, margin: float = MARGIN) -> str:
    """Whether any two arms differ beyond max(2 SE, one test image), paired per seed."""
    names = [n for n in arms if len(arms[n]) >= 2]
    pairs = list(itertools.combinations(names, 2))
    if not pairs:
        return ""
    r = _resolution(meta)
    tests = {(a, b): _resolvable(np.subtract(arms[a], arms[b]), r, margin) for a, b in pairs}
    (a, b), (mean, se, _) = max(tests.items(), key=lambda kv: abs(kv[1][0]))
    if mean < 0:
        a, b, mean = b, a, -mean
    largest = f"{a} − {b} = {_pts(mean, se)} points"
    k = sum(t[2] for t in tests.values())
    bound = f"max({margin:g} SE, one test image)"
    seeds = len(arms[names[0]])
    if k == 0:
        return (f"No two of the {len(names)} arms differ by more than {bound} (paired per seed; "
                f"largest {largest}): the differences between arms are not resolvable at "
                f"{seeds} seeds.")  # fmt: skip
    return (f"{k} of {len(pairs)} pairs of arms differ by more than {bound} (paired per seed); "
            f"the largest: {largest}.")  # fmt: skip


def _arm_lines(arms: dict, untrained: dict, meta: dict, *, extra=(), **kw) -> list[str]:
    """The text panel's lines on the arms: the takeaway, which learned (``kw``: those of
    :func:`learned_lines`), the ``extra`` lines, the raw-pixel probe and the pairs of arms."""
    return [
        _takeaway(arms, untrained),
        *learned_lines(arms, untrained, **kw),
        *extra,
        _raw_line(meta, arms, untrained),
        _pairs_line(arms, meta),
    ]
