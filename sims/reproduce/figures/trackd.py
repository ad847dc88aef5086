"""Figures of the Track D stages (nonlinear encoders; :mod:`sims.trackd.experiments`), one
``make_trackd_<name>_figure(results) -> Figure`` each, and the learning curves of Table 1
(:func:`make_trackd_curves_figure`).

Every figure says whether pre-training learned: the accuracy axes carry the untrained encoder
(grey band, mean ± SE over seeds) and the ridge probe on raw pixels (dashed), and a text panel
under the data, worded from the results, names the arms that learned and those that did not.
An arm *learned* iff its paired per-seed uplift u_s = acc_s − untrained_s has
mean − 2·SE > 0 (:func:`arm_uplift`; the premise of rule D3 in :mod:`sims.trackd.verdicts`).
The text panel opens with one computed sentence of takeaway (the words:
:mod:`sims.reproduce.figures.trackd_text`; the drawing pieces:
:mod:`sims.reproduce.figures.trackd_draw`). Differences are *resolvable*
iff |mean| > max(2 SE, one test image), the tolerance of rule D3.

Okabe–Ito palette, error bars ±1 SE over seeds, the legend in a panel of its own, a footer with
the dataset, the preset, the sizes and the number of seeds. Results written before the untrained
encoder, the raw-pixel probe or the curves were recorded still draw, with a note in the text
panel saying what is missing.
"""

from __future__ import annotations

import itertools

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from sims.reproduce.figures import style  # noqa: E402
from sims.reproduce.figures.trackd_draw import (  # noqa: E402
    _GREY,
    _accuracy_limits,
    _arm_points,
    _finish,
    _frame,
    _mse,
    _not_learned,
    _per_seed,
    _raw_pixels,
    _summary_mse,
    _untrained_band,
)
from sims.reproduce.figures.trackd_text import (  # noqa: E402
    _arm_lines,
    _listing,
    _pts,
    _raw_line,
    _resolution,
    _resolvable,
    _takeaway,
    arm_uplift,
    learned_lines,
)
from sims.trackd.power import MARGIN  # noqa: E402
from sims.trackd.verdicts import same_arms  # noqa: E402


def _same(results: dict) -> list:
    """The DecL arms that are the FL arm, where the DecL arms mix uniformly (Fig 2a; a
    complete graph under another rule, e.g. Table 6's data-size weights, is not FedAvg)."""
    uniform = results.get("meta", {}).get("mixing") == "uniform 1/|A_i|"
    return same_arms(results) if uniform else []


def _listing_names(names: list) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


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

_FL = style.FRAMEWORK_COLOURS["fl"]
_DROP_TITLE = "drop = acc(IID) − acc(skewed), points\n> 0: accuracy lost under non-IID"


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


@style._styled
def make_trackd_table1_figure(results: dict):
    """Table 1 analogue: probe accuracy per skew for each method × encoder (points ±1 SE) over
    the same encoder untrained (grey band) and the raw-pixel probe (dashed); the drop from IID
    with its sign in the panel title; a text panel: which arms learned, whether the drops and
    the methods' differences are resolvable."""
    acc, base, methods, archs, skews = _table1_arms(results)
    meta = {**results["meta"], "archs": list(archs)}  # the encoders, for the footer's scale
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
        flags = [f"{m}+{a} {s}" in failed for s in skews]
        values += _arm_points(ax, xs, mse, k, flags, ls="none", ms=6, label=f"{m} + {a}", zorder=3)
        if has_drop:
            drops = [(j, rows[s]["drop"]) for j, s in enumerate(skews) if "drop" in rows.get(s, {})]
            xd = np.arange(len(drops)) + (k - (len(pairs) - 1) / 2) * width
            dm = [_summary_mse(d) for _, d in drops]
            axes[1].errorbar(
                xd, [100 * v[0] for v in dm], yerr=[100 * v[1] for v in dm], ls="none",
                capsize=3, color=style.CYCLE[k % 7], marker=style.MARKERS[k % 7], ms=6, zorder=3,
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


@style._styled
def make_trackd_curves_figure(results: dict):
    """Table 1's learning curves: the global encoder's probe accuracy against the round for
    every arm of ``results["curves"]`` (one line per arm, mean ± SE over seeds as a band; round
    0 is the untrained encoder, an open marker), one panel per skew, the raw-pixel probe
    dashed; a text panel: which arms learned by the last round, which still rise. Results
    without curves draw a one-line note."""
    meta = dict(results.get("meta", {}))
    if isinstance(results.get("acc"), dict):  # the encoders, for the footer's scale
        meta["archs"] = sorted({a for per in results["acc"].values() for a in per})
    curves = results.get("curves") or {}
    if not curves:
        fig = plt.figure(figsize=(8.0, 1.2))
        fig.text(
            0.02, 0.5, "Track D, Table 1 learning curves: these results record no curves (an "
            "older results file, or curve_every = 0).", fontsize=9, va="center", ha="left",
        )  # fmt: skip
        return fig
    panels, labels = _curve_arms(curves)
    colour = {lab: style.CYCLE[k % 7] for k, lab in enumerate(labels)}
    marker = {lab: style.MARKERS[k % 7] for k, lab in enumerate(labels)}
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
    """The distinct arms of a DecL figure: a DecL point that is the FL arm (|Ā| ≥ N, the
    complete graph: :func:`sims.trackd.verdicts.same_arms`) is counted once, as FL."""
    same = {label(*name.removeprefix("DecL ").split(" |Ā|=")) for name in _same(results)}
    arms = {
        label(arm, a): _per_seed(vals)
        for arm, per in results["acc"].items()
        for a, vals in per.items()
        if label(arm, a) not in same
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
    same = _same(results)
    extra = [f"{_listing_names(same)}: the complete graph, whose uniform mixing is FedAvg with "
             "every client: the FL arm, trained and counted once."] if same else []  # fmt: skip
    lines = _arm_lines(arms, base, meta, extra=extra)
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


@style._styled
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
            flags = [label(kind, a) in failed for a in abars]
            values += _arm_points(ax, abars, mse, k, flags, label=f"DecL {kind}")
        ax.set_xticks(abars)
        return values

    return _decl_figure(
        results, "Track D, Fig. 2a analogue: MAE in DecL vs connectivity", label, draw,
        "average connectivity |Ā|",
    )  # fmt: skip


@style._styled
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
            flags = [label(r, a) in failed for a in abars]
            values += _arm_points(ax, xs, mse, k, flags, ls="none", label=r)
        ax.set_xticks(range(len(abars)), [f"|Ā| ≈ {a}" for a in abars])
        return values

    return _decl_figure(
        results, "Track D, Table 6 analogue: DecL MAE under mixing rules", label, draw,
        "connectivity",
    )  # fmt: skip


_METHOD_NAMES = {"mae": "MIM (MAE)", "mar": "MAR"}


@style._styled
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
    lines = _arm_lines(arms, base, meta)
    fig, axes, ax_leg, ax_txt = _frame(
        "Track D, Fig. 2b analogue: MAR vs MIM over label skew", len(fws), panel_w=4.2
    )
    failed = _not_learned(arms, base)
    values = []
    for ax, fw in zip(axes, fws, strict=True):
        for k, m in enumerate(results["summary"][fw]):
            mse = [_summary_mse(results["summary"][fw][m][str(a)]) for a in alphas]
            flags = [f"{fw.upper()} {m.upper()} α={a}" in failed for a in alphas]
            values += _arm_points(ax, alphas, mse, k, flags, label=_METHOD_NAMES.get(m, m))
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


@style._styled
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
    lines = _arm_lines(arms, base, meta, uplift="acc(global encoder) − untrained")
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
               color=style.CYCLE[k % 7], label=m)  # fmt: skip
        xp = np.arange(len(_PROBES)) + off
        if "probe_untrained" in s:
            um, use = _summary_mse(s["probe_untrained"])
            for x in xp:
                _untrained_band(ax2, um, use, (x - 0.45 * width, x + 0.45 * width))
            values += [um - use, um + use]
        pr = [_summary_mse(s[p]) for p in _PROBES]
        flags = [p == "probe_global" and m in failed for p in _PROBES]  # the global encoder
        values += _arm_points(ax2, xp, pr, k, flags, ls="none", ms=6, zorder=3)
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
