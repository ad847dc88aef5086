"""The figures of the experiment and topology stages, each drawn from a small results dict: what
can be checked of a figure (a title, the configuration footer, accuracy axes fixed to [0, 1]
with a chance line, no offset tick labels, legends outside the data). No test reads a result."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

from sims.reproduce.figures import experiments as pe
from sims.reproduce.figures import topology as pt

matplotlib.use("Agg")

TRAIN_CFG = {
    "n_clients": 4,
    "d": 12,
    "p": 0.75,
    "seeds": 3,
    "rounds": 5,
    "local_steps": 2,
    "lr": 0.02,
    "batch": 8,
    "samples_per_client": 24,
}
REFERENCE = {"probe_chance": 0.125, "probe_majority": 0.2, "probe_raw_input": 0.4}
EXACT = {
    "pi_spread": 0.05,
    "exact_s_N_decl": 0.01,
    "exact_angle_to_fl": 0.02,
    "zeta_sq": 1.5,
    "exact_probe": 0.12,
}
TRAINED = {
    "s_N": 0.02,
    "s_N_se": 0.001,
    "probe": 0.13,
    "probe_se": 0.01,
    "consensus_distance": 1e-4,
    "consensus_distance_se": 1e-5,
    "rv_mean_N": 0.5,
}


def _fig2a():
    rows = []
    for family, abars in (("general", (2.5, 3.2)), ("uniform", (2.0, 3.0)), ("complete", (4.0,))):
        for a in abars:
            rows.append({"family": family, "abar": a, "lambda2": 1.0 / a, **EXACT, **TRAINED})
    rows[-1].update(consensus_distance=0.0, pi_spread=0.0, lambda2=0.0)  # exact zeros
    return {
        "config": {**TRAIN_CFG, "abars": [2, 3]},
        "rows": rows,
        "fl": {"s_N": 0.02, "probe": 0.13},
        "probe_reference": REFERENCE,
    }


def _table6():
    rows = [
        {"avg_degree": k, "mixing": m, "abar": k + 1.2, "lambda2": 0.5, **EXACT, **TRAINED}
        for k in (1, 2)
        for m in ("uniform", "metropolis")
    ]
    fl = {"s_N": 0.02, "probe": 0.13, "exact_s_N_decl": 0.0}
    return {
        "config": {**TRAIN_CFG, "alpha": 0.1},
        "rows": rows,
        "fl": fl,
        "probe_reference": REFERENCE,
    }


def _fig2b():
    rows = []
    for fw in ("fl", "decl"):
        for m in ("mim", "mar"):
            for a in (1.0, 0.1, 0.01):
                row = {"framework": fw, "method": m, "alpha": a, **TRAINED}
                if m == "mim":
                    row.update(EXACT)
                else:
                    row["gamma_last"] = 0.001
                rows.append(row)
    return {
        "config": TRAIN_CFG,
        "rows": rows,
        "graph": {"abar": 3.0, "lambda2": 0.4},
        "probe_reference": REFERENCE,
    }


def _mim_vs_cl():
    model_rows = [
        {"d": d, "method": m, "s_N": 0.01, "s_N_se": 0.001, "exact_s_N": e}
        for d in (8, 16)
        for m, e in (("mim", 0.0), ("cl", 0.005))
    ]
    digits_rows = [
        {"alpha": a, "method": m, "probe": 0.6, "probe_se": 0.01}
        for a in (1e5, 0.1)
        for m in ("mim", "cl")
    ]
    return {
        "config": {"n_clients": 2, "p": 0.75, "seeds": 2, "digits_clients": 3, "digits_c": 4},
        "model_rows": model_rows,
        "digits_rows": digits_rows,
        "digits_probe_reference": {"probe_chance": 0.1, "probe_raw_input": 0.9},
    }


def _consensus():
    t = 6
    runs = []
    for method in ("mim", "cl"):
        for label in ("ring (metropolis)", "star (uniform)"):
            e = [0.0] + list(np.linspace(0.1, 0.2, t))
            runs.append(
                {
                    "method": method,
                    "label": label,
                    "pi_weighted": label.startswith("star"),
                    "lam": 0.5,
                    "rho": 0.6,
                    "e": e,
                    "d2": list(np.linspace(0.2, 0.3, t)),
                    "stepwise": list(np.linspace(0.21, 0.31, t)),
                    "closed_form": [None] * t,  # ρ ≥ 1 somewhere: no closed form drawn
                    "ratio": {"d2": 0.5, "stepwise": 0.48, "closed_form": None},
                }
            )
    return {"config": {"n_clients": 9, "d": 18, "c": 3, "lr": 0.001}, "runs": runs}


# ---------------------------------------------------------------------------------------------
# checks shared by every figure


def _draw(fig):
    fig.canvas.draw()
    return fig.canvas.get_renderer()


def _data_axes(fig):
    return [ax for ax in fig.axes if ax.axison]


def _check_common(fig, footer_has=("N = ",), *, each_labelled=True):
    renderer = _draw(fig)
    assert fig._suptitle is not None and len(fig._suptitle.get_text()) > 20
    footers = [t.get_text() for t in fig.texts]
    assert any(all(f in text for f in footer_has) for text in footers), footers
    for ax in _data_axes(fig):
        if each_labelled:
            assert ax.get_xlabel() and ax.get_ylabel(), ax.get_title()
        # no offset / multiplier text on a linear axis ("1e-7+4.999e-2")
        for axis in (ax.xaxis, ax.yaxis):
            assert axis.get_offset_text().get_text() == ""
        legend = ax.get_legend()
        if legend is not None:  # a legend on a data panel must lie outside its axes
            box = legend.get_window_extent(renderer)
            inner = ax.get_window_extent(renderer)
            overlap_w = min(box.x1, inner.x1) - max(box.x0, inner.x0)
            overlap_h = min(box.y1, inner.y1) - max(box.y0, inner.y0)
            assert overlap_w <= 1 or overlap_h <= 1, ax.get_title()


def _accuracy_axes(fig):
    return [ax for ax in _data_axes(fig) if ax.get_ylabel().startswith("probe accuracy")]


def _check_accuracy_axes(fig, chance):
    axes = _accuracy_axes(fig)
    assert axes
    for ax in axes:
        assert ax.get_ylim() == (0.0, 1.0)
        chance_lines = [ln for ln in ax.lines if ln.get_label().startswith("chance")]
        assert chance_lines and chance_lines[0].get_ydata()[0] == pytest.approx(chance)


def _text_box(fig) -> str:
    texts = [t.get_text() for ax in fig.axes if not ax.axison for t in ax.texts]
    return "\n".join(texts)


# ---------------------------------------------------------------------------------------------
# the Section 6 figures


@pytest.mark.parametrize(
    "make, results",
    [
        (pe.make_fig2a_figure, _fig2a),
        (pe.make_table6_figure, _table6),
        (pe.make_fig2b_figure, _fig2b),
    ],
)
def test_section6_figures_carry_chance_footer_and_text_box(make, results):
    fig = make(results())
    _check_common(fig, footer_has=("N = 4", "d = 12", "p = 0.75", "seeds = 3"))
    _check_accuracy_axes(fig, chance=0.125)
    box = _text_box(fig)
    assert "does not" in box or "what does not" in box.lower()
    assert "chance 0.125" in box  # the probe reading names its chance level
    # the legend lives in a panel without data and names the seed count
    legends = [ax.get_legend() for ax in fig.axes if not ax.axison and ax.get_legend()]
    assert legends
    labels = [t.get_text() for t in legends[0].get_texts()]
    assert any("3 seeds" in label for label in labels)


def test_fig2a_figure_draws_what_moves_against_abar():
    fig = pe.make_fig2a_figure(_fig2a())
    titles = [ax.get_title() for ax in _data_axes(fig)]
    assert any("λ₂" in t for t in titles) and any("stationary distribution π" in t for t in titles)
    xi = next(ax for ax in _data_axes(fig) if "consensus distance" in ax.get_title())
    assert xi.get_yscale() == "log"
    # the complete graph's exact zero is an open triangle on the floor, not a point at 1e-300
    assert any(c.get_offsets().shape[0] >= 1 for c in xi.collections)
    for ax in _data_axes(fig):
        assert "|Ā|" in ax.get_xlabel()


def test_fig2a_text_box_says_when_row_spaces_coincide():
    res = _fig2a()
    for r in res["rows"]:
        r["exact_angle_to_fl"] = 0.0
    box = _text_box(pe.make_fig2a_figure(res))
    assert "cannot move" in box
    res = _fig2a()
    for r in res["rows"]:
        r["exact_probe"] = 0.125  # at chance
    assert "at chance themselves" in _text_box(pe.make_fig2a_figure(res))
    res = _fig2a()
    res["rows"][2].update(exact_s_N_decl=0.0, s_N=0.004)  # a regular graph: π uniform
    box = _text_box(pe.make_fig2a_figure(res))
    assert "trained s_N is 0.004–0.004, not 0" in box


def test_table6_figure_groups_by_degree():
    fig = pe.make_table6_figure(_table6())
    for ax in _data_axes(fig):
        assert [t.get_text() for t in ax.get_xticklabels()] == [
            "degree 1 (|Ā| = 2.2)",
            "degree 2 (|Ā| = 3.2)",
        ]


def test_fig2b_figure_uses_log_alpha_and_marks_mar_without_target():
    fig = pe.make_fig2b_figure(_fig2b())
    for ax in _data_axes(fig):
        assert ax.get_xscale() == "log" and ax.get_xlabel().startswith("Dirichlet α")
    assert "MAR" in _text_box(fig)


def test_mim_vs_cl_figure_draws_only_what_it_labels():
    fig = pe.make_mim_vs_cl_figure(_mim_vs_cl())
    _check_common(fig, footer_has=("N = 2", "seeds = 2"))
    _check_accuracy_axes(fig, chance=0.1)
    left = _data_axes(fig)[0]
    assert left.get_yscale() == "log"
    handles, labels = left.get_legend_handles_labels()
    # MIM's exact value is 0 at every d: drawn as ▽ markers, labelled as such; no dashed line
    assert "MIM exact = 0 (▽)" in labels and "MIM exact (Track B)" not in labels
    assert "CL exact (Track B)" in labels
    for h, label in zip(handles, labels, strict=True):
        if label.endswith("(Track B)"):
            assert len(h.get_xdata()) > 0  # every legend line is drawn


def test_consensus_figure_names_bounds_in_words():
    fig = pe.make_consensus_figure(_consensus())
    _check_common(fig, footer_has=("N = 9", "d = 18"), each_labelled=False)
    axes = np.asarray(fig.axes).reshape(2, 2)  # methods × graphs, shared x
    assert all(ax.get_xlabel() == "round t" for ax in axes[-1])
    assert all(ax.get_ylabel().startswith("consensus distance e_t") for ax in axes[:, 0])
    names = [t.get_text() for t in fig.legends[0].get_texts()]
    assert names[0] == "measured consensus distance e_t"
    assert any(n.startswith("one-step bound") and "D2" in n for n in names)
    assert any(n.startswith("stepwise bound") for n in names)
    # no closed form was finite: it is not in the legend
    assert not any(n.startswith("closed-form") for n in names)
    assert fig.legends[0].get_texts()[0].get_fontsize() >= 8
    assert "≤ 0.50" in fig._suptitle.get_text()


def test_consensus_title_reports_an_exceeded_bound():
    res = _consensus()
    res["runs"][0]["ratio"]["d2"] = 1.2
    assert "exceeded" in pe.make_consensus_figure(res)._suptitle.get_text()


# ---------------------------------------------------------------------------------------------
# the topology figures


def _zoo():
    records = []
    for g in ("ring", "erdos_renyi"):
        for m in ("uniform", "metropolis"):
            records.append(
                {
                    "graph": g,
                    "mixing": m,
                    "lambda2": 0.5,
                    "lambda2_std": 0.1,
                    "spectral_gap": 0.3,
                    "avg_connectivity": 3.0,
                    "effective_neighbours": 2.5,
                }
            )
    return {"n": 8, "gamma": 0.9, "seeds": 3, "records": records}


def _degree():
    return {
        "seeds": 4,
        "records": [
            {"n": n, "nominal": k, "mean": k + 0.5, "min": k, "max": k + 1}
            for n in (10, 20)
            for k in (2, 4, 8)
        ],
    }


def _settings():
    records = [
        {
            "generator": g,
            "mixing": m,
            "nominal_connectivity": a,
            "lambda": 0.5,
            "lambda_std": 0.05,
            "avg_connectivity": a + 0.3,
            "weights_gap": 0.01,
        }
        for g in ("paper_code", "random_regular")
        for m in ("uniform", "metropolis")
        for a in (3, 5)
    ]
    return {"n": 10, "seeds": 4, "records": records}


@pytest.mark.parametrize(
    "make, results, footer",
    [
        (pt.make_topology_zoo_figure, _zoo, ("n = 8", "seeds = 3")),
        (pt.make_paper_code_degree_figure, _degree, ("n = 10, 20", "seeds = 4")),
        (pt.make_paper_settings_figure, _settings, ("N = 10", "seeds = 4")),
    ],
)
def test_topology_figures_in_house_style(make, results, footer):
    fig = make(results())
    _check_common(fig, footer_has=footer)
    colours = {
        matplotlib.colors.to_hex(p.get_facecolor()).upper()
        for ax in fig.axes
        for p in ax.patches
        if p.get_height() > 0
    }
    from sims.reproduce.figures.style import OKABE_ITO

    assert colours <= set(OKABE_ITO) | {"#FFFFFF"} or not colours


# ---------------------------------------------------------------------------------------------
# the takeaway sentences: computed from the results (change the data, the sentence follows)


def _drawn_takeaway(fig) -> str:
    from sims.reproduce.figures import style

    return style.takeaway_of(fig)


def test_mim_vs_cl_takeaway_says_how_much_of_the_gap_is_residue():
    from sims.reproduce.figures import method_comparison as mc

    res = _mim_vs_cl()
    text = mc.mim_vs_cl_takeaway(res)
    assert _drawn_takeaway(pe.make_mim_vs_cl_figure(res)) == text
    # trained s_N equal, exact MIM 0 and CL 0.005: the trained gap 0 against an exact −0.005
    assert "trained gap MIM − CL is 0 (0 SE) against an exact gap of -0.005" in text
    assert "so 0.005 of it is optimisation residue" in text
    assert "(trained − exact s_N: MIM 0.01, CL 0.005)" in text
    # every exact s_N 0 and MIM trained higher: the whole gap is residue, in SEs of the gap
    for r in res["model_rows"]:
        r["exact_s_N"] = 0.0
        if r["method"] == "mim":
            r["s_N"] = 0.03
    text = mc.mim_vs_cl_takeaway(res)
    se = np.hypot(0.001, 0.001)
    assert f"the trained gap MIM − CL of 0.02 ({0.02 / se:.2g} SE)" in text
    assert "is optimisation residue: each trained s_N is its distance from an exact optimum" in text
    assert "(MIM 0.03, CL 0.01)" in text
    fig = pe.make_mim_vs_cl_figure(res)
    assert _drawn_takeaway(fig) == text
    assert "residue" in _data_axes(fig)[0].get_title()


def test_fig2b_takeaway_follows_the_rows():
    from sims.reproduce.figures import method_comparison as mc

    res = _fig2b()
    text = mc.fig2b_takeaway(res)
    assert _drawn_takeaway(pe.make_fig2b_figure(res)) == text
    n = 6  # 2 frameworks × 3 α with both methods
    assert f"0 in s_N (above 0 at 0 of {n} (framework, α) points)" in text
    assert "ζ² moves from 1.5 to 1.5" in text and "within 0.01 of its exact" in text
    for r in res["rows"]:
        if r["method"] == "mar":
            r["s_N"] = 0.5 if r["framework"] == "fl" else 0.01  # above MIM in FL only
    text = mc.fig2b_takeaway(res)
    assert f"-0.01–0.48 in s_N (above 0 at 3 of {n} (framework, α) points)" in text


def test_fig2b_figure_leaves_no_panel_to_the_legend_alone():
    fig = pe.make_fig2b_figure(_fig2b())
    _draw(fig)
    data = _data_axes(fig)
    panels = [ax for ax in data if ax.get_ylabel()]
    assert len(panels) == 3  # ζ², s_N, probe accuracy in one row
    assert len({round(ax.get_position().y0, 6) for ax in panels}) == 1
    legend_ax = next(ax for ax in fig.axes if not ax.axison and ax.get_legend())
    box, first, last = legend_ax.get_position(), panels[0].get_position(), panels[-1].get_position()
    assert box.x0 <= first.x0 + 1e-6 and box.x1 >= last.x1 - 1e-6  # a full-width legend row
    assert box.y1 <= first.y0  # under the panels, beside none of them
