"""The drawing pieces of the Track D figures: the frame with its legend and text panels, the
footer, the untrained encoder's band, each arm's points (open where the arm did not learn), the
raw-pixel probe and the accuracy limits (:mod:`sims.reproduce.figures.trackd` composes them)."""

from __future__ import annotations

import textwrap

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sims.reproduce.figures import style  # noqa: E402
from sims.reproduce.figures.trackd_text import _uplifts  # noqa: E402
from sims.trackd.power import MARGIN, mean_se  # noqa: E402

_GREY = "#444444"
_UNTRAINED = "#9A9A9A"
_ACC_LABEL = "linear-probe accuracy (held out)"
_TEXT_SIZE = 7.5
_CHARS_PER_INCH = 16.5  # DejaVu Sans at 7.5 pt, inside the text box's padding
_LINE_INCH = 0.125


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
    handles, labels = style._unique_handles(*axes)
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
    from sims.trackd.verdict_rows import scale_tag

    text = (
        f"Scale {scale_tag(meta)} (not the paper's CIFAR/ImageNet, ResNet-18/ViT): "
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


def _arm_points(ax, xs, mse, k: int, failed, **kw) -> list[float]:
    """Draw one arm's points ±1 SE, open where ``failed``; return their bounds (mean ∓ SE)."""
    colour, marker = style.CYCLE[k % 7], style.MARKERS[k % 7]
    ax.errorbar(xs, [v[0] for v in mse], yerr=[v[1] for v in mse], color=colour, marker=marker,
                capsize=3, **kw)  # fmt: skip
    flat = [(x, v[0]) for x, v, f in zip(xs, mse, failed, strict=True) if f]
    _open_markers(ax, flat, colour=colour, marker=marker)
    return [v[0] - v[1] for v in mse] + [v[0] + v[1] for v in mse]


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
