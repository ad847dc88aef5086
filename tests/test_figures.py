"""Figure functions: what they draw (axes, labels, lines, collections), not pixels."""

from __future__ import annotations

import json

import matplotlib
import pytest

matplotlib.use("Agg")

from sims.reproduce.figures import mask as mask_figs  # noqa: E402
from sims.reproduce.figures import theorems  # noqa: E402
from sims.reproduce.pipeline import jsonio  # noqa: E402
from sims.reproduce.stages import mask, track_a, track_c  # noqa: E402

TINY_TRACK_A = track_a.Config.FAST.replace(
    d_log10=(2.0, 12.0, 11),
    constants_points=3,
    exact_d=(40, 60),
    exact_all_d_log10=(2.0, 12.0, 3),
    connectivity={
        "n_clients": 5,
        "d": 40,
        "paper_code_seeds": 1,
        "bound_d": (40, 1e6),
        "abar_points": 5,
    },
    thm46_abar=(2.0, 4.0),
)
TINY_MASK = mask.Config.FAST.replace(heatmap_d=8, d=40)


def _json(results):
    """What the figure functions receive: the stage's results after a JSON round trip."""
    return json.loads(jsonio.dumps(results))


@pytest.fixture(scope="module")
def track_a_results():
    return _json(track_a.compute(TINY_TRACK_A))


@pytest.fixture(scope="module")
def mask_results():
    return _json(mask.compute(TINY_MASK))


def _close(fig):
    import matplotlib.pyplot as plt

    plt.close(fig)


def _labels(ax) -> list[str]:
    return ax.get_legend_handles_labels()[1]


def _figure_labels(fig) -> list[str]:
    return [t.get_text() for leg in fig.legends for t in leg.get_texts()]


def test_sensitivity_figure(track_a_results):
    fig = theorems.make_sensitivity_figure(track_a_results)
    axes = fig.axes
    assert len(axes) == 9
    for ax in axes:
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert len(ax.collections) >= 1  # the constants band
        assert any(lab.startswith("Track A") and "1 − LB" in lab for lab in _labels(ax))
    assert axes[0].get_ylabel().startswith("sensitivity")
    assert axes[-1].get_xlabel().startswith("input dimension d")
    # MIM row: the exact Eq. (4) gap (positive) and the Eq. (17) gap (an exact 0) at every d
    mim = _labels(axes[0])
    assert sum("Eq. (4)" in lab for lab in mim) == 1
    assert sum("Eq. (17)" in lab and lab.endswith("= 0") for lab in mim) == 1
    n_d = len(track_a_results["exact_all_d"]["d"])
    line = next(ln for ln in axes[0].get_lines() if "Eq. (4)" in ln.get_label())
    assert len(line.get_xdata()) == n_d and max(line.get_xdata()) >= 1e12
    assert "Thm 4.2" in axes[0].get_title() and "Thm 4.3" in axes[3].get_title()
    assert len(fig.legends) == 1
    _close(fig)


def test_ratio_figure(track_a_results):
    fig = theorems.make_ratio_figure(track_a_results)
    assert len(fig.axes) == 3  # local, DecL, FL
    for ax in fig.axes:
        labels = _labels(ax)
        assert sum(lab.startswith("Track A") for lab in labels) == 2  # line and band
        assert any("d^{1/5}" in lab for lab in labels)
        assert ax.get_yscale() == "log"
        assert len(ax.collections) >= 1  # the band
        # exact CL's gap is 0 and Eq. (4) MIM's is not: the ratio is an exact 0, drawn
        assert any(lab.startswith("Track B") and lab.endswith("= 0") for lab in labels)
        # CL / Eq. (17) MIM is 0/0: not drawn, and the panel says so
        assert any("0/0" in t.get_text() for t in ax.texts)
    assert "s^{C}/s^{M}" in fig.axes[0].get_ylabel()
    _close(fig)


def test_connectivity_and_decl_vs_fl_figures(track_a_results):
    import numpy as np

    from sims.reproduce.figures import connectivity as fc

    ex = track_a_results["connectivity"]["exact"]
    recs = ex["records"]
    fig = theorems.make_connectivity_figure(track_a_results)
    axes = np.asarray(fig.axes).reshape(2, 3)  # rows MIM, CL; Track A, 1 − min r, spread
    for ax in axes[-1]:
        assert "|\\bar A|" in ax.get_xlabel()
    for ax in axes[:, 0]:
        assert len(ax.collections) >= 2  # one band per d of bound_d
        # each Track A line is measured from its value at |Ā| = N: it ends at 1
        for ln in ax.get_lines():
            if ln.get_label().startswith("Track A DecL"):
                assert ln.get_ydata()[-1] == pytest.approx(1.0)
    complete = next(r for r in recs if r["graph"] == "complete")
    for row, em in enumerate(("mim", "cl")):
        for col, key in enumerate(("gap_N", "spread_N"), start=1):
            ax = axes[row, col]
            assert ax.get_yscale() == "linear"
            # one marker per graph at s(graph) − s(complete), an exact 0 at 0 (plain loop)
            points = sorted(
                (float(ln.get_xdata()[0]), float(ln.get_ydata()[0]))
                for ln in ax.get_lines()
                if len(ln.get_xdata()) == 1
            )
            want = []
            for r in recs:
                y = r[em][key] - complete[em][key]
                want.append((r["abar"], 0.0 if abs(y) < 1e-12 else y))
            np.testing.assert_allclose(np.array(points), np.array(sorted(want)), atol=1e-15)
            # every marker's shape is named in the legend
            assert {fc._graph_kind(r)[0] for r in recs} <= set(_labels(ax))
    assert len(_figure_labels(fig)) <= 12
    assert any("1 − min r stays" in t.get_text() for t in fig.texts)
    _close(fig)
    fig = theorems.make_decl_vs_fl_figure(track_a_results)
    ax0, ax1 = fig.axes
    assert len([ln for ln in ax0.get_lines() if ln.get_label().startswith("Track A MIM")]) == 2
    assert ax1.get_yscale() == "linear"
    n = track_a_results["connectivity"]["exact"]["n_clients"]
    assert f"N = {n}" in fig._suptitle.get_text()
    _close(fig)


def test_mask_figures(mask_results):
    fig = mask_figs.make_mask_expectation_figure(mask_results)
    heat_axes = [ax for ax in fig.axes if ax.images]
    assert len(heat_axes) == 4
    assert "hollow" in heat_axes[0].get_title() and "diagonal" in heat_axes[1].get_title()
    assert heat_axes[0].get_xlabel().startswith("coordinate l")
    _close(fig)
    fig = mask_figs.make_mask_rv_figure(mask_results)
    ax0, ax1 = fig.axes
    c = mask_results["rv"]["c"]
    assert len(ax0.patches) == 4 * c  # one bar per method and coordinate
    assert "RV" in ax0.get_ylabel()
    _close(fig)


def test_savefig_writes_and_closes(tmp_path):
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.plot([0, 1], [0, 1])
    path = jsonio.savefig(fig, tmp_path / "sub" / "x.png")
    assert path.exists() and path.stat().st_size > 0
    assert not plt.fignum_exists(fig.number)


def _overlay_evidence(cfg):
    """Track C evidence in the shape of ``sims.trackc.evidence`` for the six overlay cells (numbers
    made up except the lower bounds, which are the paper's at the configuration)."""
    from sims.trackc.evidence import paper_lower_bound

    evidence = {}
    for thm, method in (("4.2", "mim"), ("4.3", "cl")):
        for fw in ("local", "decl", "fl"):
            abar = 2.5 if fw == "decl" else None
            cell = {
                "lower_bound": paper_lower_bound(cfg, method, fw, abar),
                "min_rv": 0.4 if method == "mim" else 1.0,  # CL: an exact 0 gap
                "slack_2se": 0.02,
                "verdict": "violated" if method == "mim" else "holds",
            }
            evidence[f"thm{thm}.{fw}"] = {
                "verdict": cell["verdict"],
                "note": "",
                "numbers": {"d": cfg.d, method: cell, "training": {"seeds": 2}},
            }
    return evidence


@pytest.fixture(scope="module")
def overlay_results():
    from theory.claims import VerifyConfig

    cfg = VerifyConfig(d=100)  # the first d of the Track A grid (10^2)
    return _json(track_c.tracks_overlay(TINY_TRACK_A, cfg, _overlay_evidence(cfg)))


def test_tracks_overlay_numbers(overlay_results):
    import numpy as np

    res = overlay_results
    assert res["exact"]["source"] == "recomputed"  # track_a did not run first
    assert res["abar"] == pytest.approx(2.5)  # star graph, N = 4
    assert res["d"][0] == pytest.approx(100.0)
    for method, fws in res["track_c"].items():
        assert set(fws) == {"local", "decl", "fl"}
        for fw, cell in fws.items():
            # the paper's 1 - LB at Track C's d (its constants = 1) is the band's central line
            assert cell["one_minus_lb"] == pytest.approx(
                res["bounds"][method][fw]["central"][0], rel=1e-10
            )
            lo, hi = res["bounds"][method][fw]["lo"], res["bounds"][method][fw]["hi"]
            assert np.all(np.asarray(lo) <= np.asarray(hi))
    assert res["track_c"]["mim"]["fl"]["gap"] == pytest.approx(0.6)
    assert [r["d"] for r in res["exact"]["records"]] == list(TINY_TRACK_A.exact_d)
    assert set(res["exact"]["records"][0]["methods"]) == {"mim", "mim-paper", "cl"}


def test_tracks_overlay_figure(overlay_results):
    fig = theorems.make_tracks_overlay_figure(overlay_results)
    assert len(fig.axes) == 6
    for k, ax in enumerate(fig.axes):
        assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
        assert len(ax.collections) >= 1  # the constants band
        labels = _labels(ax)
        assert sum(lab.startswith("Track A") and lab.endswith("1 − LB") for lab in labels) == 1
        assert sum(lab.startswith(theorems.TRACK_C_LABEL) for lab in labels) == 1
        track_b = [lab for lab in labels if lab.startswith("Track B")]
        assert len(track_b) == (2 if k < 3 else 1)  # MIM: Eq. (4) and Eq. (17); CL: exact CL
    assert "Thm 4.2" in fig.axes[0].get_title() and "Thm 4.3" in fig.axes[3].get_title()
    assert fig.axes[0].get_ylabel().startswith("sensitivity")
    assert fig.axes[-1].get_xlabel().startswith("input dimension d")
    # CL's exact and trained gaps are 0 here: triangles on the floor, labelled "= 0"
    cl = _labels(fig.axes[3])
    assert f"{theorems.TRACK_C_LABEL} = 0" in cl
    assert any(lab.startswith("Track B") and lab.endswith("= 0") for lab in cl)
    assert len(fig.legends) == 1
    _close(fig)
    # without Track C: no star, and the note says so
    bare = {**overlay_results, "track_c": {"mim": {}, "cl_similar": {}}}
    fig = theorems.make_tracks_overlay_figure(bare)
    assert all(not ax.containers for ax in fig.axes)
    assert any("Track C not run" in t.get_text() for t in fig.texts)
    _close(fig)


# ---------------------------------------------------------------------------------------------
# the verdict map: merged columns, not run vs not applicable, the takeaway


def _small_map() -> dict:
    """A hand-made compact verdict map: claim "a" has MIM objectives, "b" CL augmentations."""
    dims = {
        "objective": ["eq4"],
        "cl": ["similar"],
        "method": ["eq4", "similar"],
        "sensitivity": ["gap"],
        "rare_axis": ["extra"],
        "p": [0.5, 0.75],
        "N": [2, 3, 4, 5],
    }
    a = {
        "objective=eq4": {"holds": 6, "violated": 1},
        "sensitivity=gap": {"holds": 6, "violated": 1},
        "rare_axis=extra": {"holds": 6, "violated": 1},
        "p=0.5": {"holds": 3, "violated": 1},
        "p=0.75": {"holds": 3},
        "N=2": {"violated": 1},
        "N=3": {"holds": 1, "violated": 1},
        "N=4": {"holds": 2},
        "N=5": {"holds": 9, "violated": 1},
    }
    b = {
        "cl=similar": {"degenerate": 4, "not-run": 2},
        "sensitivity=gap": {"degenerate": 4, "not-run": 2},
        "rare_axis=extra": {"degenerate": 4, "not-run": 2},
        "p=0.5": {"degenerate": 2, "not-run": 1},
        "p=0.75": {"degenerate": 2, "not-run": 1},
        "N=2": {"not-run": 2},
        "N=3": {"degenerate": 2},
        "N=4": {"degenerate": 1},
        "N=5": {"degenerate": 1},
    }
    rows = {
        "a": {"columns": a, "counts": {"holds": 6, "violated": 1}},
        "b": {"columns": b, "counts": {"degenerate": 4, "not-run": 2}},
    }
    return {"config": {"d": 100}, "dimensions": dims, "rows": rows, "n_cells": 13}


def _shares(col: dict) -> dict:
    total = sum(col.values())
    return {w: n / total for w, n in col.items()}


def _runs_oracle(res: dict, dim: str, tol: float) -> list[list]:
    """Plain loop, from the largest value down: a value joins the run when its shares are
    within ``tol`` of every column in the run, for every claim."""
    runs: list[list] = []
    for v in reversed(res["dimensions"][dim]):
        ok = bool(runs)
        for u in runs[-1] if runs else []:
            for row in res["rows"].values():
                sv = _shares(row["columns"][f"{dim}={v}"])
                su = _shares(row["columns"][f"{dim}={u}"])
                ok &= all(abs(sv.get(w, 0) - su.get(w, 0)) <= tol for w in set(sv) | set(su))
        if ok:
            runs[-1].insert(0, v)
        else:
            runs.append([v])
    return runs[::-1]


def test_verdict_map_merges_agreeing_columns_and_tells_not_run_from_not_applicable():
    import matplotlib.colors as mcolors

    from sims.reproduce.figures import style
    from sims.reproduce.figures import verdicts as fv

    res = _small_map()
    for dim in fv.MERGED_DIMS:
        assert [r for r, _ in fv.merged_runs(res, dim)] == _runs_oracle(res, dim, fv.SHARE_TOL)
    assert [r for r, _ in fv.merged_runs(res, "N")] == [[2], [3], [4, 5]]
    fig = fv.make_verdict_map_figure(res)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[-3:] == ["2", "3", "4–5"] and "0.5" in labels and "0.75" in labels
    # not applicable ("b" has no MIM objective, "a" no CL augmentation): flat light grey, no
    # hatch; not run: hatched white; both named in the legend
    na = [p for p in ax.patches if mcolors.to_hex(p.get_facecolor()) == fv.NOT_APPLICABLE.lower()]
    assert len(na) == 2 and all(not p.get_hatch() for p in na)
    assert any(p.get_hatch() == fv.STYLE["not-run"][1] for p in ax.patches)
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert "not-run" in names and any(n.startswith("not applicable") for n in names)
    assert fv.STYLE["not-run"] != (fv.NOT_APPLICABLE, "")
    # the merge is said under the figure, with how closely the merged columns agree (0.10)
    notes = " ".join(" ".join(t.get_text().split()) for t in fig.texts)
    assert "N = 4–5 (2 values; within 0.10 of each other)" in notes
    # the takeaway: of all cells, how many ran, and each claim's most frequent word
    text = fv.verdict_map_takeaway(res)
    assert style.takeaway_of(fig) == text
    assert text == (
        "Pooled over every reading: of 13 Track B cells 11 ran; the most frequent word of a "
        "claim is holds for a and degenerate for b."
    )
    # change the data: the columns split, the sentence follows
    res["rows"]["a"]["columns"]["N=5"] = {"violated": 2}
    res["rows"]["a"]["counts"] = {"holds": 2, "violated": 5}
    assert [r for r, _ in fv.merged_runs(res, "N")] == [[2], [3], [4], [5]]
    assert fv.verdict_map_takeaway(res).endswith("violated for a and degenerate for b.")
    labels = [t.get_text() for t in fv.make_verdict_map_figure(res).axes[0].get_xticklabels()]
    assert labels[-4:] == ["2", "3", "4", "5"]


def test_verdict_map_takeaway_and_track_c_column_follow_the_paper_reading():
    """With the cells, the takeaway opens with the words under the paper's reading (README's
    table) and labels the pooled counts as pooled; the Track C column shows the table's word."""
    from sims.reproduce.figures import verdicts as fv

    paper = {"eq17": {"main": "violated", "track_c": "violated"},
             "thm4.4": {"main": "violated", "track_c": "violated"},
             "thm4.3.fl": {"main": "holds", "track_c": "holds"}}  # fmt: skip
    text = fv.paper_takeaway(paper)
    assert text.startswith("Under the paper's reading (README's table) Track B says violated ")
    assert "holds for thm4.3.fl" in text
    res = {"rows": {"thm4.4": {"columns": {}}}, "track_c": {"rows": {"thm4.4": {"counts": {
        "holds": 3, "violated": 1}}}}}  # fmt: skip
    assert fv._counts(res, "thm4.4", ["track_c"], paper) == {"violated": 1}
    assert fv._counts(res, "thm4.4", ["track_c"]) == {"holds": 3, "violated": 1}


def test_topology_bars_of_zero_are_drawn_as_zero():
    import matplotlib.pyplot as plt

    from sims.reproduce.figures import topology as ft

    fig, ax = plt.subplots()
    values = {
        ("complete", "uniform"): 0.0,
        ("ring", "uniform"): 0.5,
        ("ring", "ying"): float("nan"),
    }
    ft._grouped_bars(ax, ["complete", "ring"], ["uniform", "ying"], values)
    texts = [t.get_text() for t in ax.texts]
    assert texts.count("0") == 1 and texts.count("n/a") == 1  # (complete, ying): no record
    assert any(list(line.get_ydata()) == [0.0, 0.0] and line.get_linewidth() >= 3
               for line in ax.lines)  # fmt: skip
    plt.close(fig)
