"""The theorem and mask figures in the house style: a title, a configuration footer, legends
outside every data area, one colour scale across the mask heat maps, exact zeros drawn where the
results hold zeros; and the structured Track B numbers they draw against the dense oracle."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402

from sims.reproduce.figures import mask as mask_figs  # noqa: E402
from sims.reproduce.figures import theorems  # noqa: E402
from sims.reproduce.stages import mask, track_a  # noqa: E402
from tests.test_figures import TINY_MASK, TINY_TRACK_A, _json  # noqa: E402
from theory import sweeps  # noqa: E402

THEOREM_FIGURES = (
    theorems.make_sensitivity_figure,
    theorems.make_ratio_figure,
    theorems.make_connectivity_figure,
    theorems.make_decl_vs_fl_figure,
)
MASK_FIGURES = (mask_figs.make_mask_expectation_figure, mask_figs.make_mask_rv_figure)


@pytest.fixture(scope="module")
def track_a_results():
    return _json(track_a.compute(TINY_TRACK_A))


@pytest.fixture(scope="module")
def mask_results():
    return _json(mask.compute(TINY_MASK))


def _overlaps(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _check_house_style(fig) -> None:
    """Title, footer with the configuration, labelled axes, no legend over any axes."""
    fig.canvas.draw()
    assert fig._suptitle is not None and len(fig._suptitle.get_text()) > 20
    assert any(t.get_text().startswith("N = ") for t in fig.texts), "no configuration footer"
    data_axes = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    assert all(ax.get_title() for ax in data_axes if ax.has_data())
    assert any(ax.get_ylabel() for ax in data_axes)
    assert any(ax.get_xlabel() for ax in data_axes)
    legends = list(fig.legends) + [ax.get_legend() for ax in fig.axes if ax.get_legend()]
    for leg in legends:
        box = leg.get_window_extent()
        for ax in fig.axes:
            assert not _overlaps(box, ax.get_window_extent()), "legend over an axes"


def _zero_markers(ax) -> list:
    """Open triangles drawn by ``style.mark_zero`` (labelled "... = 0")."""
    return [c for c in ax.collections if c.get_label().endswith("= 0")]


@pytest.mark.parametrize("make", THEOREM_FIGURES, ids=lambda f: f.__name__)
def test_theorem_figures_house_style(track_a_results, make):
    fig = make(track_a_results)
    _check_house_style(fig)
    assert len(fig.legends) == 1  # one legend for the whole figure
    plt.close(fig)


@pytest.mark.parametrize("make", MASK_FIGURES, ids=lambda f: f.__name__)
def test_mask_figures_house_style(mask_results, make):
    fig = make(mask_results)
    _check_house_style(fig)
    plt.close(fig)


def test_tracks_overlay_house_style(overlay_results):
    fig = theorems.make_tracks_overlay_figure(overlay_results)
    _check_house_style(fig)
    plt.close(fig)


@pytest.fixture(scope="module")
def overlay_results():
    from sims.reproduce.stages import track_c
    from tests.test_figures import _overlay_evidence
    from theory.claims import VerifyConfig

    cfg = VerifyConfig(d=100)
    return _json(track_c.tracks_overlay(TINY_TRACK_A, cfg, _overlay_evidence(cfg)))


def test_mask_heat_maps_share_one_sequential_scale(mask_results):
    fig = mask_figs.make_mask_expectation_figure(mask_results)
    images = [im for ax in fig.axes for im in ax.images]
    assert len(images) == len(mask_results["heatmap"]["targets"])
    norms = {(im.norm.vmin, im.norm.vmax) for im in images}
    assert len(norms) == 1
    vmin, vmax = norms.pop()
    values = np.concatenate([np.ravel(m) for m in mask_results["heatmap"]["targets"].values()])
    assert vmin == pytest.approx(min(0.0, values.min())) and vmax == pytest.approx(values.max())
    assert {im.get_cmap().name for im in images} == {mask_figs.HEAT_CMAP}
    assert sum(ax.get_label() == "<colorbar>" for ax in fig.axes) == 1
    # the stage draws the heat map at the N of the other figures
    assert mask_results["heatmap"]["n_clients"] == mask.Config.DEFAULT.n_clients
    plt.close(fig)


def test_exact_zeros_are_drawn_where_the_results_hold_zeros(track_a_results, mask_results):
    ex = track_a_results["exact_all_d"]
    fig = theorems.make_sensitivity_figure(track_a_results)
    axes = np.asarray(fig.axes).reshape(3, 3)
    for col, fw in enumerate(("local", "decl", "fl")):
        for row, (bound, ems) in enumerate(
            (("mim", ("mim", "mim-paper")), ("cl_similar", ("cl",)))
        ):
            ax = axes[row, col]
            n_zero = sum(
                int(np.sum(np.abs([g[1] for g in ex["methods"][em][fw]["gap_N"]]) < 1e-12))
                for em in ems
            )
            drawn = sum(len(c.get_offsets()) for c in _zero_markers(ax))
            assert drawn == n_zero, (bound, fw)
            floor = ax.get_ylim()[0]
            for c in _zero_markers(ax):
                assert np.allclose(c.get_offsets()[:, 1], floor)
    plt.close(fig)
    fig = mask_figs.make_mask_rv_figure(mask_results)
    for ax, key in zip(fig.axes, ("fl", "local_client1"), strict=True):
        n_zero = sum(
            int(np.sum(np.abs(m[key]) < 1e-12)) for m in mask_results["rv"]["methods"].values()
        )
        assert sum(len(c.get_offsets()) for c in _zero_markers(ax)) == n_zero
    plt.close(fig)


def test_ratio_cases():
    num = np.array([0.0, 1.0, 0.0, 2.0, 1e-17])
    den = np.array([0.5, 0.0, 0.0, 4.0, 3.0])
    cases = theorems.ratio_cases(num, den)
    assert cases["defined"].tolist() == [False, False, False, True, False]
    assert cases["zero"].tolist() == [True, False, False, False, True]
    assert cases["undefined"].tolist() == [False, False, True, False, False]
    assert cases["infinite"].tolist() == [False, True, False, False, False]


def test_structured_track_b_matches_the_dense_oracle():
    """exact_all_d (structured, any d) equals exact_vs_d (dense eigendecomposition) at d = 100."""
    cfg = {
        **TINY_TRACK_A.to_json(),
        "exact_d": (100,),
        "exact_all_d_log10": (2.0, 2.0, 1),
        "exact_methods": ("mim", "mim-paper", "cl"),
    }
    structured = sweeps.exact_all_d(cfg)
    dense = sweeps.exact_vs_d(cfg)["records"][0]["methods"]
    assert structured["d"] == [100]
    for m in cfg["exact_methods"]:
        for fw in ("local", "decl", "fl"):
            for key in ("gap_N", "spread_N"):
                lo, hi = structured["methods"][m][fw][key][0]
                assert lo <= hi + 1e-12
                assert dense[m][fw][key] == pytest.approx(hi, abs=1e-9), (m, fw, key)


def test_connectivity_rank_matches_the_structured_solver():
    from theory import structured
    from theory.datamodel import DataModel

    ex = sweeps.connectivity_sweep(
        {"p": 0.75, "connectivity": {"n_clients": 4, "d": 40, "paper_code_seeds": 1}}
    )
    model = DataModel(d=40, n_clients=4)
    for m in ("mim", "cl"):
        assert ex["fl"][m]["rank"] == structured.solve(model, m, weights="fl").rank
        for rec in ex["records"]:
            assert 1 <= rec[m]["rank"] <= model.c


# ---------------------------------------------------------------------------------------------
# the takeaway sentences: computed from the results (change the data, the sentence follows)


def _with_takeaway(make, takeaway, results) -> str:
    """The sentence the figure draws, checked equal to its takeaway function's."""
    from sims.reproduce.figures import style

    fig = make(results)
    drawn = style.takeaway_of(fig)
    plt.close(fig)
    assert drawn == takeaway(results)
    return drawn


def _rising_pairs(recs, em, key) -> tuple[int, int]:
    """Plain loop: pairs of graphs with |Ā|_i < |Ā|_j whose s rises by more than 1e-12."""
    rises = pairs = 0
    for a in recs:
        for b in recs:
            if b["abar"] > a["abar"] + 1e-12:
                pairs += 1
                rises += b[em][key] > a[em][key] + 1e-12
    return rises, pairs


def test_connectivity_takeaway_follows_the_data(track_a_results):
    import copy

    from sims.reproduce.figures import connectivity as fc

    res = copy.deepcopy(track_a_results)
    conn = res["connectivity"]
    recs = conn["exact"]["records"]
    text = _with_takeaway(theorems.make_connectivity_figure, fc.connectivity_takeaway, res)
    bounds = [b[m]["central"] for b in conn["bounds"].values() for m in ("mim", "cl_similar")]
    falls = [c[0] / c[-1] for c in bounds]
    assert f"factor {min(falls):.2f}–{max(falls):.2f}" in text
    for em, name in (("mim", "MIM"), ("cl", "CL")):
        counts = [_rising_pairs(recs, em, k) for k in ("gap_N", "spread_N")]
        zero = all(abs(r[em][k]) < 1e-12 for r in recs for k in ("gap_N", "spread_N"))
        if zero:
            assert f"exact {name}'s 1 − min r and spread are 0 on all {len(recs)} graphs" in text
        elif any(n for n, _ in counts):
            assert f"1 − min r rises on {counts[0][0]} and spread over [N] rises on " in text
            assert f"{counts[1][0]} of {counts[1][1]} pairs" in text
    # the bound twice as high at the sparsest |Ā|: the factor doubles
    for c in bounds:
        c[0] *= 2.0
    text = fc.connectivity_takeaway(res)
    assert f"factor {2 * min(falls):.2f}–{2 * max(falls):.2f}" in text
    # MIM falling at every step of |Ā|, CL no longer 0: the sentence says so
    for r in recs:
        r["mim"].update(gap_N=1.0 / r["abar"], spread_N=0.5 / r["abar"])
        r["cl"].update(gap_N=0.1 * r["abar"], spread_N=0.0)
    text = fc.connectivity_takeaway(res)
    assert "exact MIM's 1 − min r and spread never rise with |Ā|" in text
    rises, pairs = _rising_pairs(recs, "cl", "gap_N")
    assert rises == pairs > 0
    assert f"exact CL's 1 − min r rises on {rises} and spread over [N] rises on 0 of {pairs}" in (
        text
    )


def _thm46_oracle(ex) -> list[str]:
    """The map's Thm 4.6 words (R1, R7 both ways, R12 and R13, R11) per graph, as a plain
    loop: identical objectives hold (with equality), a tie is degenerate, a collapse collapsed."""
    n = ex["n_clients"]
    words = []
    for em in ("mim", "cl"):
        fl = ex["fl"][em]
        for key, spread in (("gap_N", False), ("spread_N", True)):
            for r in ex["records"]:
                diff = r[em][key] - fl[key]
                if min(r[em]["rank"], fl["rank"]) == 0:
                    w = "void"
                elif abs(r["pi_spread"]) <= 4 * np.finfo(float).eps:
                    w = "holds"
                elif abs(diff) <= 1e-12:
                    w = "degenerate"
                elif diff > 0:
                    w = "collapsed" if spread and fl["rank"] < n else "holds"
                else:
                    w = "collapsed" if spread and r[em]["rank"] < n else "violated"
                words.append(w)
    return words


def _check_thm46(res) -> str:
    from sims.reproduce.figures import connectivity as fc
    from sims.reproduce.figures.verdicts import STYLE

    text = _with_takeaway(theorems.make_decl_vs_fl_figure, fc.decl_vs_fl_takeaway, res)
    words = _thm46_oracle(res["connectivity"]["exact"])
    for w in set(words):
        assert f"{w} {words.count(w)}" in text
    assert f"of {len(words)} comparisons" in text
    order = ("violated", "void", "not-unique", "collapsed", "degenerate", "holds")
    top = next(w for w in order if w in words)
    assert text.endswith(f"(R5) is {top}.")
    # the right panel: every point in the colour of its word, the word over all in the title
    fig = theorems.make_decl_vs_fl_figure(res)
    ax1 = fig.axes[1]
    colours = {STYLE[w][0].lower(): w for w in STYLE}
    drawn = [
        colours[matplotlib.colors.to_hex(ln.get_color())]
        for ln in ax1.get_lines()
        for _ in ln.get_xdata()
        if ln.get_linestyle() == "None"
    ]
    assert sorted(drawn) == sorted(words)
    assert ax1.get_title().endswith(f"(R5): {top}")
    plt.close(fig)
    return text


def test_decl_vs_fl_takeaway_and_colours_follow_the_map_rules(track_a_results):
    import copy

    res = copy.deepcopy(track_a_results)
    ex = res["connectivity"]["exact"]
    _check_thm46(res)
    # FL's optimum of full rank: a positive spread difference holds (R7 no longer applies)
    ex["fl"]["mim"]["rank"] = ex["n_clients"]
    text = _check_thm46(res)
    # one graph whose DecL 1 − min r lies below FL's (π not uniform): violated (R1, gap reading)
    rec = next(r for r in ex["records"] if r["pi_spread"] > 0)
    rec["mim"]["gap_N"] = ex["fl"]["mim"]["gap_N"] - 0.1
    text2 = _check_thm46(res)
    assert "violated 1" in text2 and text2 != text


def _ratio_oracle(res) -> dict:
    """Plain loop: Track B words on s^C > s^M per (MIM target, framework, d), tolerance 1e-12,
    and the Track A central ratio's points below 1."""
    m = res["exact_all_d"]["methods"]
    out = {}
    for k in ("mim", "mim-paper"):
        words = []
        for fw in ("local", "decl", "fl"):
            for c, s in zip(m["cl"][fw]["gap_N"], m[k][fw]["gap_N"], strict=True):
                diff = c[1] - s[1]
                words.append(
                    "degenerate" if abs(diff) <= 1e-12 else "holds" if diff > 0 else "violated"
                )
        out[k] = words
    below = sum(int(x < 1.0) for fw in ("local", "decl", "fl") for x in res["ratio"][fw]["central"])
    return out, below


def test_ratio_takeaway_counts_the_violated_cells(track_a_results):
    import copy

    res = copy.deepcopy(track_a_results)
    names = {"mim": "Eq. (4) MIM", "mim-paper": "Eq. (17) MIM"}
    prose = {"violated": "violated", "holds": "holding", "degenerate": "a tie (degenerate)"}

    def check():
        text = _with_takeaway(theorems.make_ratio_figure, theorems.ratio_takeaway, res)
        words, below = _ratio_oracle(res)
        assert f"below 1 at {below} of {3 * len(res['d'])}" in text
        for k, ws in words.items():
            for w in set(ws):
                assert f"{prose[w]} at {ws.count(w)} of {len(ws)} against {names[k]}" in text
        # the violated cells are drawn in vermillion, the violated side of 1 is shaded
        fig = theorems.make_ratio_figure(res)
        n_bad = 0
        for ax in fig.axes:
            for c in _zero_markers(ax):
                if matplotlib.colors.to_hex(c.get_edgecolor()[0]) == "#d55e00":
                    n_bad += len(c.get_offsets())
            n_bad += sum(
                len(ln.get_xdata()) for ln in ax.get_lines() if ln.get_label().endswith("violated")
            )
            assert any("violated" in p.get_label() for p in ax.patches)
        assert n_bad == sum(ws.count("violated") for ws in words.values())
        plt.close(fig)
        return text

    before = check()
    # CL's gap above every MIM's: the claim holds at every cell, and the sentence says so
    m = res["exact_all_d"]["methods"]
    for fw in ("local", "decl", "fl"):
        m["cl"][fw]["gap_N"] = [[2.0, 2.0] for _ in m["cl"][fw]["gap_N"]]
    after = check()
    n = 3 * len(res["exact_all_d"]["d"])
    assert f"holding at {n} of {n} against Eq. (4) MIM" in after and after != before
