"""Figures of the Track D stages (nonlinear encoders; :mod:`sims.trackd.experiments`), one
``make_trackd_<name>_figure(results) -> Figure`` each, and the learning curves of Table 1
(:func:`make_trackd_curves_figure`).

Every figure says whether pre-training learned: the accuracy axes carry the untrained encoder
(grey band, mean ± SE over seeds) and the ridge probe on raw pixels (dashed), and a text panel
under the data, worded from the results, names the arms that learned and those that did not.
An arm *learned* iff its paired per-seed uplift u_s = acc_s − untrained_s has
mean − 2·SE > 0 (:func:`arm_uplift`; the premise of rule D3 in :mod:`sims.trackd.verdicts`).
The text panel opens with one computed sentence of takeaway. Differences are *resolvable*
iff |mean| > max(2 SE, one test image), the tolerance of rule D3.

Okabe–Ito palette, error bars ±1 SE over seeds, the legend in a panel of its own, a footer with
the dataset, the preset, the sizes and the number of seeds. Results written before the untrained
encoder, the raw-pixel probe or the curves were recorded still draw, with a note in the text
panel saying what is missing.
"""

from __future__ import annotations

import functools
import itertools
import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sims.reproduce.figures import style  # noqa: E402
from sims.trackd.power import MARGIN, mean_se  # noqa: E402

__all__ = [
    "arm_uplift",
    "learned_lines",
    "make_trackd_table1_figure",
    "make_trackd_curves_figure",
    "make_trackd_fig2a_figure",
    "make_trackd_table6_figure",
    "make_trackd_fig2b_figure",
    "make_trackd_table5_figure",
    "figures_of",
]

# Okabe–Ito
PALETTE = ("#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#000000")
MARKERS = ("o", "s", "^", "D", "v", "P", "X")
_GREY = "#444444"
_UNTRAINED = "#9A9A9A"
_FL = style.FRAMEWORK_COLOURS["fl"]
_ACC_LABEL = "linear-probe accuracy (held out)"
_DROP_TITLE = "drop = acc(IID) − acc(skewed), points\n> 0: accuracy lost under non-IID"
_TEXT_SIZE = 7.5
_CHARS_PER_INCH = 16.5  # DejaVu Sans at 7.5 pt, inside the text box's padding
_LINE_INCH = 0.125


# ---------------------------------------------------------------------------------------------
# what the numbers say


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


# ---------------------------------------------------------------------------------------------
# drawing pieces


def _styled(make):
    """Build the figure under the house rc (:data:`sims.reproduce.figures.style.RC`)."""

    @functools.wraps(make)
    def wrapped(results: dict):
        with plt.rc_context(style.RC):
            return make(results)

    return wrapped


def _wrap(lines: list[str], width_in: float) -> str:
    width = max(40, int(width_in * _CHARS_PER_INCH))
    lines = [line for line in lines if line and line.strip(" •")]
    return "\n".join(textwrap.fill(line, width, subsequent_indent="   ") for line in lines)


def _frame(title: str, n_panels: int, *, panel_w=4.4, panel_h=3.3, legend_w=2.4):
    """``(fig, axes, ax_legend, ax_text)``: ``n_panels`` data panels side by side, a data-free
    legend panel at their right and a full-width text panel under them (sized by
    :func:`_finish` to its text, so the text never covers data)."""
    fig = plt.figure(figsize=(panel_w * n_panels + legend_w, panel_h + 1.5))
    gs = fig.add_gridspec(
        2, n_panels + 1, width_ratios=[panel_w] * n_panels + [legend_w],
        height_ratios=(panel_h, 0.75),
    )  # fmt: skip
    axes = [fig.add_subplot(gs[0, i]) for i in range(n_panels)]
    ax_legend = fig.add_subplot(gs[0, n_panels])
    ax_legend.set_axis_off()
    ax_text = fig.add_subplot(gs[1, :])
    ax_text.set_axis_off()
    fig.suptitle(title, fontsize=style.RC["figure.titlesize"])
    return fig, axes, ax_legend, ax_text


def _finish(fig, axes, ax_legend, ax_text, lines: list[str], meta: dict, extra: str = ""):
    """Legend panel, text panel (``lines`` wrapped to the figure's width; the panel and the
    figure grow to hold them), footer, layout."""
    handles, labels = [], []
    for ax in axes:
        for h, lab in zip(*ax.get_legend_handles_labels(), strict=True):
            if lab not in labels and not lab.startswith("_"):
                handles.append(h)
                labels.append(lab)
    if handles:
        ax_legend.legend(
            handles, labels, loc="upper left", bbox_to_anchor=(0.0, 1.0), fontsize=7.5,
            frameon=False, borderaxespad=0.0,
        )  # fmt: skip
    width = fig.get_figwidth()
    text = _wrap(lines, width - 0.4)
    gs = ax_text.get_subplotspec().get_gridspec()
    panel_h = gs.get_height_ratios()[0]  # inches, as _frame set it
    text_h = 0.2 + _LINE_INCH * (text.count("\n") + 1)
    fig.set_size_inches(width, panel_h + text_h + 0.8)
    gs.set_height_ratios((panel_h, text_h))
    ax_text.text(
        0.0, 1.0, text, transform=ax_text.transAxes, va="top", ha="left", fontsize=_TEXT_SIZE,
        bbox={"boxstyle": "round,pad=0.5", "facecolor": "#F4F4F4", "edgecolor": "#BBBBBB"},
    )  # fmt: skip
    n_footer = _footer(fig, meta, extra)
    fig.tight_layout(rect=(0, (0.05 + 0.12 * n_footer) / fig.get_figheight(), 1, 1))
    return fig


def _footer(fig, meta: dict, extra: str = "") -> int:
    """Write the configuration at the bottom left, wrapped to the figure's width; returns its
    number of lines."""
    text = (
        f"{meta.get('dataset', '?')} ({meta.get('n_train', '?')} train / "
        f"{meta.get('n_test', '?')} test), "
        + (f"preset {meta['preset']}, " if meta.get("preset") else "")
        + f"N = {meta.get('n_clients', '?')} clients, "
        f"encoder width {meta.get('width', '?')} depth {meta.get('depth', '?')}, "
        f"T = {meta.get('rounds', '?')} rounds × E = {meta.get('local_steps', '?')} steps, "
        f"B = {meta.get('batch_size', '?')}"
        + (f" (SimSiam {meta['batch_simsiam']})" if meta.get("batch_simsiam") else "")
        + f", {meta.get('seeds', '?')} seeds (±1 SE)"
    )
    if extra:
        text += "; " + extra
    text = textwrap.fill(text, int(fig.get_figwidth() * 18))
    fig.text(0.01, 0.005, text, fontsize=7, color=_GREY, ha="left", va="bottom")
    return text.count("\n") + 1


def _mse(values) -> tuple[float, float]:
    """Mean and SE (0 with one seed, for drawing) of per-seed values."""
    mean, se, _ = mean_se(np.asarray(values, np.float64).ravel())
    return mean, (se if np.isfinite(se) else 0.0)


def _summary_mse(s: dict) -> tuple[float, float]:
    se = s.get("se")
    return float(s["mean"]), (float(se) if se is not None and np.isfinite(se) else 0.0)


def _untrained_band(ax, mean: float, se: float, x=None, *, label=None):
    """The untrained encoder, mean ± SE: a grey band over the axis (``x`` None) or over the
    interval ``x = (x0, x1)``."""
    if label is None:
        label = "untrained encoder (mean ± SE)"
    if x is None:
        ax.axhspan(mean - se, mean + se, color=_UNTRAINED, alpha=0.3, lw=0, zorder=0)
        ax.axhline(mean, color=_UNTRAINED, lw=1.2, zorder=0.5, label=label)
    else:
        ax.fill_between(x, mean - se, mean + se, color=_UNTRAINED, alpha=0.35, lw=0, zorder=0)
        ax.plot(x, [mean, mean], color=_UNTRAINED, lw=1.5, zorder=0.5, label=label)


def _not_learned(arms: dict, untrained: dict) -> set:
    """The arms that did not learn (:func:`arm_uplift`; none can be named with one seed)."""
    return {n for n, u in _uplifts(arms, untrained, MARGIN).items() if u["learned"] is False}


def _open_markers(ax, points, *, colour, marker) -> None:
    """Open markers over the (x, y) ``points`` of arms that did not learn."""
    if points:
        ax.scatter(
            [p[0] for p in points], [p[1] for p in points], marker=marker, s=40, zorder=4,
            facecolors="white", edgecolors=colour, linewidths=1.5,
            label=f"open marker: did not learn (uplift within {MARGIN:g} SE)",
        )  # fmt: skip


def _raw_pixels(ax, meta: dict) -> None:
    raw = meta.get("raw_pixel_probe")
    if raw is not None:
        ax.axhline(raw, color="black", ls="--", lw=1.0, label=f"raw-pixel probe {raw:.3f}")


def _accuracy_limits(ax, values, meta: dict) -> str:
    """Fit the y axis to ``values`` (means ± SE, baselines) and the raw-pixel probe; draw the
    chance line when it is near the data, else return a sentence saying it is below the axis."""
    vals = [v for v in values if v is not None and np.isfinite(v)]
    if meta.get("raw_pixel_probe") is not None:
        vals.append(meta["raw_pixel_probe"])
    if not vals:
        return ""
    lo, hi = min(vals), max(vals)
    pad = max(0.1 * (hi - lo), 0.005)
    chance = meta.get("chance")
    note = ""
    if chance is not None and chance >= lo - (hi - lo):
        lo = min(lo, chance)
        ax.axhline(chance, color="#999999", ls=":", lw=1, label=f"chance {chance:.3f}")
    elif chance is not None:
        note = f"Chance ({chance:.3f}) lies below the accuracy axes."
    ax.set_ylim(lo - pad, min(1.0, hi + pad) if hi < 1.0 else hi + pad)
    ax.set_ylabel(_ACC_LABEL)
    return note


def _per_seed(values) -> np.ndarray | None:
    return None if values is None else np.asarray(values, np.float64).ravel()


# ---------------------------------------------------------------------------------------------
# Table 1


def _table1_arms(results: dict) -> tuple[dict, dict, list, list, list]:
    """``(acc, untrained, methods, archs, skews)``: per-seed values by arm name
    ``"method+arch skew"`` (``untrained[name]`` None where not recorded)."""
    cells = results["cells"]
    methods = list(dict.fromkeys(c["method"] for c in cells))
    archs = list(dict.fromkeys(c["arch"] for c in cells))
    skews = list(dict.fromkeys(c["skew"] for c in cells))
    acc_all = results.get("acc") or {}
    base_all = results.get("untrained") or {}
    acc, base = {}, {}
    for c in cells:
        m, a, s = c["method"], c["arch"], c["skew"]
        name = f"{m}+{a} {s}"
        per = acc_all.get(m, {}).get(a, {}).get(s)
        acc[name] = _per_seed(
            per if per is not None else c["probe"].get("values", [c["probe"]["mean"]])
        )
        base[name] = _per_seed(base_all.get(m, {}).get(a, {}).get(s))
    return acc, base, methods, archs, skews


def _drop_lines(acc: dict, methods, archs, skews, meta: dict, margin: float = MARGIN):
    """``(lines, sentence)``: the drops against 0 and the methods' drops against each other,
    each resolvable iff |mean| > max(2 SE, one test image); ``sentence`` for the takeaway."""
    if "iid" not in skews or len(skews) < 2:
        return [], ""
    r = _resolution(meta)
    bound = f"max({margin:g} SE, one test image)"
    seeds = len(next(iter(acc.values())))
    drops = {}
    for m, a, s in itertools.product(methods, archs, skews):
        if s != "iid" and f"{m}+{a} {s}" in acc:
            drops[(m, a, s)] = acc[f"{m}+{a} iid"] - acc[f"{m}+{a} {s}"]
    if seeds < 2:
        one = "One seed: whether the drops differ from 0 or from each other cannot be tested."
        return [one], ""
    tests = {k: _resolvable(d, r, margin) for k, d in drops.items()}
    pos = {f"{m}+{a} {s}": _pts(t[0], t[1]) for (m, a, s), t in tests.items() if t[2]}
    lines = []
    head = "Drop = acc(IID) − acc(skewed), > 0: accuracy lost under non-IID"
    if pos:
        lines.append(f"{head}; {len(pos)} of {len(tests)} drops differ from 0 by more than "
                     f"{bound}, points: {_listing(pos)}.")  # fmt: skip
    else:
        lines.append(f"{head}: no drop differs from 0 by more than {bound}; the drops are not "
                     f"resolvable at {seeds} seeds.")  # fmt: skip
    sentence = ""
    if len(methods) >= 2:
        ref = methods[0]
        contrasts = {}
        for m, a, s in itertools.product(methods[1:], archs, skews):
            if (m, a, s) in drops and (ref, a, s) in drops:
                d = drops[(m, a, s)] - drops[(ref, a, s)]
                contrasts[f"{a} {s}"] = (m, _resolvable(d, r, margin))
        listed = ", ".join(
            f"{k} {_pts(t[0], t[1])}" + (" (resolvable)" if t[2] else "")
            for k, (_, t) in contrasts.items()
        )
        others = "/".join(methods[1:])
        lines.append(f"drop({others}) − drop({ref}) per encoder and skew, points: {listed}.")
        if contrasts and not any(t[2] for _, t in contrasts.values()):
            lines.append(f"Every difference between the methods' drops is within {bound}: the "
                         f"differences are not resolvable at {seeds} seeds.")  # fmt: skip
            sentence = f"the methods' drops are not resolvable from each other at {seeds} seeds"
        elif contrasts:
            k = sum(t[2] for _, t in contrasts.values())
            sentence = (
                f"{k} of {len(contrasts)} differences between the methods' drops are resolvable"
            )
    return lines, sentence


@_styled
def make_trackd_table1_figure(results: dict):
    """Table 1 analogue: probe accuracy per skew for each method × encoder (points ±1 SE) over
    the same encoder untrained (grey band) and the raw-pixel probe (dashed); the drop from IID
    with its sign in the panel title; a text panel: which arms learned, whether the drops and
    the methods' differences are resolvable."""
    meta = results["meta"]
    acc, base, methods, archs, skews = _table1_arms(results)
    cells = results["cells"]
    drop_lines, drop_sentence = _drop_lines(acc, methods, archs, skews, meta)
    has_drop = any("drop" in c for c in cells)
    lines = [
        _takeaway(acc, base, drop_sentence),
        *learned_lines(acc, base),
        _raw_line(meta, acc, base),
        *drop_lines,
    ]
    fig, axes, ax_leg, ax_txt = _frame(
        "Track D, Table 1 analogue: MAE vs SimSiam under label and feature skew (FL)",
        2 if has_drop else 1,
    )
    ax = axes[0]
    failed = _not_learned(acc, base)
    pairs = list(dict.fromkeys((c["method"], c["arch"]) for c in cells))
    width = 0.8 / max(1, len(pairs))
    values = []
    for k, (m, a) in enumerate(pairs):
        rows = {c["skew"]: c for c in cells if (c["method"], c["arch"]) == (m, a)}
        xs = np.arange(len(skews)) + (k - (len(pairs) - 1) / 2) * width
        for x, s in zip(xs, skews, strict=True):
            if s in rows and "untrained" in rows[s]:
                um, use = _summary_mse(rows[s]["untrained"])
                _untrained_band(ax, um, use, (x - 0.45 * width, x + 0.45 * width))
                values += [um - use, um + use]
        mse = [_summary_mse(rows[s]["probe"]) if s in rows else (np.nan, 0.0) for s in skews]
        ax.errorbar(
            xs, [v[0] for v in mse], yerr=[v[1] for v in mse], ls="none", capsize=3,
            color=PALETTE[k % 7], marker=MARKERS[k % 7], ms=6, label=f"{m} + {a}", zorder=3,
        )  # fmt: skip
        values += [v[0] - v[1] for v in mse] + [v[0] + v[1] for v in mse]
        flat = [(x, v[0]) for x, s, v in zip(xs, skews, mse, strict=True)
                if f"{m}+{a} {s}" in failed]  # fmt: skip
        _open_markers(ax, flat, colour=PALETTE[k % 7], marker=MARKERS[k % 7])
        if has_drop:
            drops = [(j, rows[s]["drop"]) for j, s in enumerate(skews) if "drop" in rows.get(s, {})]
            xd = np.arange(len(drops)) + (k - (len(pairs) - 1) / 2) * width
            dm = [_summary_mse(d) for _, d in drops]
            axes[1].errorbar(
                xd, [100 * v[0] for v in dm], yerr=[100 * v[1] for v in dm], ls="none",
                capsize=3, color=PALETTE[k % 7], marker=MARKERS[k % 7], ms=6, zorder=3,
            )  # fmt: skip
    _raw_pixels(ax, meta)
    note = _accuracy_limits(ax, values, meta)
    ax.set_xticks(range(len(skews)), skews)
    ax.set_xlabel("client data")
    ax.set_title("probe accuracy; grey: the same encoder untrained")
    if has_drop:
        non_iid = [s for s in skews if s != "iid"]
        axes[1].set_xticks(range(len(non_iid)), non_iid)
        axes[1].set_xlim(-0.6, len(non_iid) - 0.4)
        axes[1].axhline(0.0, color="black", lw=0.8)
        axes[1].set_xlabel("skew")
        axes[1].set_ylabel("drop from IID (points)")
        axes[1].set_title(_DROP_TITLE, fontsize=8.5)
    cpr = meta.get("clients_per_round")
    extra = f"alpha = {meta.get('alpha')}, " + (f"{cpr} per round" if cpr else "all every round")
    return _finish(fig, axes, ax_leg, ax_txt, [*lines, note], meta, extra)


# ---------------------------------------------------------------------------------------------
# Table 1 learning curves


def _curve_arms(curves: dict) -> tuple[dict, list]:
    """``({panel: [(key, label)]}, labels)``: keys ``"method arch skew"`` grouped by skew, in
    the order of ``curves``; other keys in one panel."""
    panels: dict = {}
    for key in curves:
        parts = key.split(" ")
        panel, label = (parts[-1], " + ".join(parts[:-1])) if len(parts) >= 2 else ("", key)
        panels.setdefault(panel, []).append((key, label))
    labels = list(dict.fromkeys(lab for arms in panels.values() for _, lab in arms))
    # method-major, as the Table 1 figure orders (and so colours) its arms
    methods = list(dict.fromkeys(lab.split(" + ")[0] for lab in labels))
    first = {lab: k for k, lab in enumerate(labels)}
    labels = sorted(labels, key=lambda lab: (methods.index(lab.split(" + ")[0]), first[lab]))
    return panels, labels


def _rising_line(curves: dict, meta: dict, margin: float = MARGIN) -> str:
    """Which arms still rise over the last interval (probe at T minus the previous point)."""
    r = _resolution(meta)
    rising = {}
    for key, cur in curves.items():
        p = np.asarray(cur["probe"], np.float64)
        if p.ndim != 2 or p.shape[1] < 3 or p.shape[0] < 2:
            return ""
        mean, se, ok = _resolvable(p[:, -1] - p[:, -2], r, margin)
        if ok and mean > 0:
            rising[key] = _pts(mean, se)
    last = list(curves.values())[0]["rounds"][-2:]
    head = f"Gain over the last interval (round {last[0]} → {last[1]}), points"
    if not rising:
        return (
            f"{head}: none above max({margin:g} SE, one test image); the curves have levelled off."
        )
    return (f"{head}: still rising in {len(rising)} of {len(curves)} arms ({_listing(rising)}); "
            f"more rounds may raise them.")  # fmt: skip


@_styled
def make_trackd_curves_figure(results: dict):
    """Table 1's learning curves: the global encoder's probe accuracy against the round for
    every arm of ``results["curves"]`` (one line per arm, mean ± SE over seeds as a band; round
    0 is the untrained encoder, an open marker), one panel per skew, the raw-pixel probe
    dashed; a text panel: which arms learned by the last round, which still rise. Results
    without curves draw a one-line note."""
    meta = results.get("meta", {})
    curves = results.get("curves") or {}
    if not curves:
        fig = plt.figure(figsize=(8.0, 1.2))
        fig.text(
            0.02, 0.5, "Track D, Table 1 learning curves: these results record no curves (an "
            "older results file, or curve_every = 0).", fontsize=9, va="center", ha="left",
        )  # fmt: skip
        return fig
    panels, labels = _curve_arms(curves)
    colour = {lab: PALETTE[k % 7] for k, lab in enumerate(labels)}
    marker = {lab: MARKERS[k % 7] for k, lab in enumerate(labels)}
    first = {k: np.asarray(c["probe"], np.float64)[:, 0] for k, c in curves.items()}
    last = {k: np.asarray(c["probe"], np.float64)[:, -1] for k, c in curves.items()}
    t_end = list(curves.values())[0]["rounds"][-1]
    lines = [
        _takeaway(last, first, head=f"Takeaway (round {t_end} against round 0)"),
        *learned_lines(last, first, uplift=f"acc(round {t_end}) − acc(round 0)"),
        _rising_line(curves, meta),
        _raw_line(meta, last, first),
    ]
    fig, axes, ax_leg, ax_txt = _frame(
        "Track D, Table 1 analogue: probe accuracy of the global encoder during pre-training",
        len(panels), panel_w=3.9,
    )  # fmt: skip
    values = []
    for ax, (panel, arms) in zip(axes, panels.items(), strict=True):
        for key, lab in arms:
            rounds = np.asarray(curves[key]["rounds"], np.float64)
            p = np.asarray(curves[key]["probe"], np.float64)
            mean = p.mean(axis=0)
            se = p.std(axis=0, ddof=1) / np.sqrt(p.shape[0]) if p.shape[0] > 1 else 0 * mean
            ax.fill_between(rounds, mean - se, mean + se, color=colour[lab], alpha=0.2, lw=0)
            ax.plot(rounds, mean, color=colour[lab], marker=marker[lab], ms=4, label=lab,
                    gid=f"arm:{key}")  # fmt: skip
            ax.plot(rounds[:1], mean[:1], ls="none", marker="o", ms=9, mfc="none",
                    color=_GREY, label="round 0: untrained encoder")  # fmt: skip
            values += list(mean - se) + list(mean + se)
        _raw_pixels(ax, meta)
        ax.set_xlabel("round")
        ax.set_title(f"{panel} client data" if panel else "every arm")
    notes = [_accuracy_limits(ax, values, meta) for ax in axes]
    for ax in axes[1:]:
        ax.set_ylabel("")
    step = rounds[1] - rounds[0] if len(rounds) > 1 else rounds[0]
    return _finish(fig, axes, ax_leg, ax_txt, [*lines, notes[0]], meta,
                   f"probe every {step:g} rounds")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# DecL figures (Fig 2a, Table 6) and Fig 2b


def _shared_untrained(results: dict) -> tuple[np.ndarray | None, tuple[float, float] | None]:
    """The per-seed untrained accuracies shared by every arm, and their (mean, SE) to draw
    (from the summary of older results that kept no per-seed list)."""
    per = _per_seed(results.get("untrained"))
    if per is not None:
        return per, _mse(per)
    s = results.get("untrained_summary")
    return None, (None if s is None else _summary_mse(s))


def _decl_arms(results: dict, label) -> dict:
    arms = {
        label(arm, a): _per_seed(vals)
        for arm, per in results["acc"].items()
        for a, vals in per.items()
    }
    if results.get("fl") is not None:
        arms["FL"] = _per_seed(results["fl"])
    return arms


def _decl_figure(results: dict, title: str, label, draw, xlabel: str):
    """The shared body of Fig 2a and Table 6: ``draw(ax, failed) -> values`` draws the DecL
    arms (``failed``: the names of the arms that did not learn)."""
    meta = results["meta"]
    arms = _decl_arms(results, label)
    per, band = _shared_untrained(results)
    base = {n: per for n in arms}
    lines = [
        _takeaway(arms, base),
        *learned_lines(arms, base),
        _raw_line(meta, arms, base),
        _pairs_line(arms, meta),
    ]
    fig, axes, ax_leg, ax_txt = _frame(title, 1, panel_w=5.6)
    ax = axes[0]
    values = draw(ax, _not_learned(arms, base))
    fl = results.get("fl_summary")
    if fl is not None:
        m, se = _summary_mse(fl)
        ax.axhline(m, color=_FL, ls="-", lw=1.2, label="FL (all clients, mean ± SE)")
        ax.axhspan(m - se, m + se, color=_FL, alpha=0.15, lw=0)
        values += [m - se, m + se]
    if band is not None:
        _untrained_band(ax, *band)
        values += [band[0] - band[1], band[0] + band[1]]
    _raw_pixels(ax, meta)
    note = _accuracy_limits(ax, values, meta)
    ax.set_xlabel(xlabel)
    return _finish(fig, axes, ax_leg, ax_txt, [*lines, note], meta,
                   f"alpha = {meta.get('alpha')}, {meta.get('arch')}")  # fmt: skip


@_styled
def make_trackd_fig2a_figure(results: dict):
    """Fig 2a analogue: DecL probe accuracy vs |Ā| per graph kind (±1 SE), FL as a band, the
    untrained encoder (grey band) and the raw-pixel probe (dashed); a text panel: which arms
    learned, whether any two arms differ beyond noise."""
    abars = results["abars"]

    def label(kind, a) -> str:
        return f"DecL {kind} |Ā|={a}"

    def draw(ax, failed):
        values = []
        for k, (kind, per) in enumerate(results["summary"].items()):
            mse = [_summary_mse(per[str(a)]) for a in abars]
            ax.errorbar(
                abars, [v[0] for v in mse], yerr=[v[1] for v in mse], color=PALETTE[k % 7],
                marker=MARKERS[k % 7], capsize=3, label=f"DecL {kind}",
            )  # fmt: skip
            values += [v[0] - v[1] for v in mse] + [v[0] + v[1] for v in mse]
            flat = [(a, v[0]) for a, v in zip(abars, mse, strict=True) if label(kind, a) in failed]
            _open_markers(ax, flat, colour=PALETTE[k % 7], marker=MARKERS[k % 7])
        ax.set_xticks(abars)
        return values

    return _decl_figure(
        results, "Track D, Fig. 2a analogue: MAE in DecL vs connectivity", label, draw,
        "average connectivity |Ā|",
    )  # fmt: skip


@_styled
def make_trackd_table6_figure(results: dict):
    """Table 6 analogue: probe accuracy per mixing rule (points ±1 SE, side by side) at each
    |Ā|, FL as a band, the untrained encoder (grey band), the raw-pixel probe (dashed); a text
    panel: which arms learned, whether any two arms differ beyond noise."""
    abars = results["abars"]
    rules = list(results["summary"])

    def label(rule, a) -> str:
        return f"{rule} |Ā|={a}"

    def draw(ax, failed):
        values = []
        width = 0.6 / max(1, len(rules))
        for k, r in enumerate(rules):
            per = results["summary"][r]
            xs = np.arange(len(abars)) + (k - (len(rules) - 1) / 2) * width
            mse = [_summary_mse(per[str(a)]) for a in abars]
            ax.errorbar(
                xs, [v[0] for v in mse], yerr=[v[1] for v in mse], capsize=3,
                color=PALETTE[k % 7], marker=MARKERS[k % 7], ls="none", label=r,
            )  # fmt: skip
            values += [v[0] - v[1] for v in mse] + [v[0] + v[1] for v in mse]
            flat = [(x, v[0]) for x, a, v in zip(xs, abars, mse, strict=True)
                    if label(r, a) in failed]  # fmt: skip
            _open_markers(ax, flat, colour=PALETTE[k % 7], marker=MARKERS[k % 7])
        ax.set_xticks(range(len(abars)), [f"|Ā| ≈ {a}" for a in abars])
        return values

    return _decl_figure(
        results, "Track D, Table 6 analogue: DecL MAE under mixing rules", label, draw,
        "connectivity",
    )  # fmt: skip


_METHOD_NAMES = {"mae": "MIM (MAE)", "mar": "MAR"}


@_styled
def make_trackd_fig2b_figure(results: dict):
    """Fig 2b analogue: MAR vs MAE probe accuracy over α (±1 SE), one panel per framework, the
    untrained encoder (grey band) and the raw-pixel probe (dashed); a text panel: which arms
    learned, whether any two arms differ beyond noise."""
    meta = results["meta"]
    fws = list(results["summary"])
    alphas = results["alphas"]
    arms = {
        f"{fw.upper()} {m.upper()} α={a}": _per_seed(vals)
        for fw, per_m in results["acc"].items()
        for m, per_a in per_m.items()
        for a, vals in per_a.items()
    }
    per, band = _shared_untrained(results)
    base = {n: per for n in arms}
    lines = [
        _takeaway(arms, base),
        *learned_lines(arms, base),
        _raw_line(meta, arms, base),
        _pairs_line(arms, meta),
    ]
    fig, axes, ax_leg, ax_txt = _frame(
        "Track D, Fig. 2b analogue: MAR vs MIM over label skew", len(fws), panel_w=4.2
    )
    failed = _not_learned(arms, base)
    values = []
    for ax, fw in zip(axes, fws, strict=True):
        for k, m in enumerate(results["summary"][fw]):
            mse = [_summary_mse(results["summary"][fw][m][str(a)]) for a in alphas]
            ax.errorbar(
                alphas, [v[0] for v in mse], yerr=[v[1] for v in mse], color=PALETTE[k % 7],
                marker=MARKERS[k % 7], capsize=3, label=_METHOD_NAMES.get(m, m),
            )  # fmt: skip
            values += [v[0] - v[1] for v in mse] + [v[0] + v[1] for v in mse]
            flat = [(a, v[0]) for a, v in zip(alphas, mse, strict=True)
                    if f"{fw.upper()} {m.upper()} α={a}" in failed]  # fmt: skip
            _open_markers(ax, flat, colour=PALETTE[k % 7], marker=MARKERS[k % 7])
        if band is not None:
            _untrained_band(ax, *band)
        _raw_pixels(ax, meta)
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("Dirichlet α (more skew →)")
        ax.set_title(fw.upper())
    if band is not None:
        values += [band[0] - band[1], band[0] + band[1]]
    notes = [_accuracy_limits(ax, values, meta) for ax in axes]
    return _finish(fig, axes, ax_leg, ax_txt, [*lines, notes[0]], meta,
                   f"{meta.get('arch')}, DecL |Ā| = {meta.get('decl_abar')}")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Table 5

_PAIRS = ("local1_vs_localN", "local1_vs_global", "localN_vs_global")
_PAIR_LABELS = ("local 1 vs N", "local 1 vs global", "local N vs global")
_PROBES = ("probe_local1", "probe_localN", "probe_global")
_PROBE_LABELS = ("local 1", "local N", "global")


@_styled
def make_trackd_table5_figure(results: dict):
    """Table 5 analogue: summed layer-wise ℓ2 distances (left) and per-client vs global probe
    accuracy (right, points ±1 SE over the method's untrained encoder, a grey band, and the
    raw-pixel probe, dashed) per method; a text panel: which global encoders learned."""
    meta = results["meta"]
    methods = list(results["summary"])
    rows = results.get("rows") or {}
    arms, base = {}, {}  # the arms: each method's global encoder
    for m in methods:
        name = m
        r = rows.get(m) or []
        if r:
            arms[name] = _per_seed([x["probe"]["global"] for x in r])
            ok = all("untrained" in x["probe"] for x in r)
            base[name] = _per_seed([x["probe"]["untrained"] for x in r]) if ok else None
        elif results["summary"][m]["probe_global"].get("values"):
            arms[name] = _per_seed(results["summary"][m]["probe_global"]["values"])
            base[name] = None
    lines = [
        _takeaway(arms, base),
        *learned_lines(arms, base, uplift="acc(global encoder) − untrained"),
        _raw_line(meta, arms, base),
        _pairs_line(arms, meta),
    ]
    fig, (ax, ax2), ax_leg, ax_txt = _frame(
        "Track D, Table 5 analogue: local drift after one round from the global model", 2
    )
    width = 0.8 / max(1, len(methods))
    failed = _not_learned(arms, base)
    values = []
    for k, m in enumerate(methods):
        s = results["summary"][m]
        off = (k - (len(methods) - 1) / 2) * width
        xs = np.arange(len(_PAIRS)) + off
        dist = [_summary_mse(s[p]) for p in _PAIRS]
        ax.bar(xs, [v[0] for v in dist], width, yerr=[v[1] for v in dist], capsize=2,
               color=PALETTE[k % 7], label=m)  # fmt: skip
        xp = np.arange(len(_PROBES)) + off
        if "probe_untrained" in s:
            um, use = _summary_mse(s["probe_untrained"])
            for x in xp:
                _untrained_band(ax2, um, use, (x - 0.45 * width, x + 0.45 * width))
            values += [um - use, um + use]
        pr = [_summary_mse(s[p]) for p in _PROBES]
        ax2.errorbar(xp, [v[0] for v in pr], yerr=[v[1] for v in pr], ls="none", capsize=3,
                     color=PALETTE[k % 7], marker=MARKERS[k % 7], ms=6, zorder=3)  # fmt: skip
        values += [v[0] - v[1] for v in pr] + [v[0] + v[1] for v in pr]
        if m in failed:
            _open_markers(ax2, [(xp[-1], pr[-1][0])], colour=PALETTE[k % 7],
                          marker=MARKERS[k % 7])  # fmt: skip
    ax.set_xticks(range(len(_PAIRS)), _PAIR_LABELS)
    ax.set_ylabel("summed layer-wise ℓ2 distance (encoder)")
    ax.set_title("distance between encoders")
    _raw_pixels(ax2, meta)
    note = _accuracy_limits(ax2, values, meta)
    ax2.set_xticks(range(len(_PROBES)), _PROBE_LABELS)
    ax2.set_title("probe accuracy; grey: the method's encoder untrained")
    return _finish(fig, [ax, ax2], ax_leg, ax_txt, [*lines, note], meta,
                   f"alpha = {meta.get('alpha')}, {meta.get('arch')}")  # fmt: skip


def figures_of(name: str) -> dict:
    """``{file name: make_figure}`` of the Track D experiment ``name``: ``trackd_<name>.png``
    and, for Table 1, the learning curves ``trackd_table1_curves.png`` (the one list the stages
    and ``dssl trackd --save`` write from).

    Example:
      >>> sorted(figures_of("table1"))
      ['trackd_table1.png', 'trackd_table1_curves.png']
    """
    out = {f"trackd_{name}.png": globals()[f"make_trackd_{name}_figure"]}
    if name == "table1":
        out["trackd_table1_curves.png"] = make_trackd_curves_figure
    return out
