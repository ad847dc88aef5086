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
