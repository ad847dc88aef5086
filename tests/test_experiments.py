"""Experiments of sims.experiments in tiny configurations: documented keys, stage wiring, and
what the figure functions draw. No test asserts a result of the paper."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

from sims import config as presets
from sims import experiments as ex
from sims.figures import experiments as pe
from sims.stages import STAGES
from tests._pipeline_helpers import run_stage

matplotlib.use("Agg")

TINY = dict(d=12, rounds=3, local_steps=1, batch=8, samples_per_client=24, test_per_client=8)
FIG2A = presets.Fig2aPreset(n_clients=4, abars=(3, 4), seeds=1, **TINY)
TABLE6 = presets.Table6Preset(n_clients=4, avg_degrees=(1, 2), seeds=1, **TINY)
# one method per tiny run: every engine configuration costs one XLA compilation
FIG2B = presets.Fig2bPreset(
    n_clients=4, alphas=(1.0, 0.01), methods=("mar",), avg_degree=2.0, seeds=1, **TINY
)
MIM_VS_CL = presets.MimVsClPreset(
    n_clients=2,
    ds=(8,),
    methods=("cl",),
    rounds=3,
    local_steps=1,
    batch=8,
    samples_per_client=24,
    seeds=1,
    digits_clients=3,
    digits_c=4,
    digits_alphas=(1e5, 0.1),
    digits_rounds=3,
)
METRIC_KEYS = ("s_N", "s_N_se", "rv_mean_N", "probe", "probe_se")


def test_stages_use_the_presets_and_their_figures():
    names = {s.name: s for s in STAGES}
    for name, cls, default, fast in (
        ("fig2a", presets.Fig2aPreset, presets.FIG2A, presets.FIG2A_FAST),
        ("table6", presets.Table6Preset, presets.TABLE6, presets.TABLE6_FAST),
        ("fig2b", presets.Fig2bPreset, presets.FIG2B, presets.FIG2B_FAST),
        ("mim_vs_cl", presets.MimVsClPreset, presets.MIM_VS_CL, presets.MIM_VS_CL_FAST),
        ("consensus", presets.ConsensusPreset, presets.CONSENSUS, presets.CONSENSUS_FAST),
    ):
        stage = names[name]
        assert stage.Config is cls and stage.config() == default and stage.config(True) == fast
        assert cls.from_json(json.loads(json.dumps(fast.to_json()))) == fast
        assert stage.files == (f"{name}.json", f"{name}.png")
        assert stage.figures[f"{name}.png"] is getattr(pe, f"make_{name}_figure")


@pytest.fixture(scope="module")
def fig2a_stage(tmp_path_factory):
    out = tmp_path_factory.mktemp("fig2a")
    stage = next(s for s in STAGES if s.name == "fig2a")
    return run_stage(stage, FIG2A, out), out


def test_fig2a_stage_writes_files_and_keys(fig2a_stage):
    result, out = fig2a_stage
    assert result["files"] == ["fig2a.json", "fig2a.png"]
    assert result["figures"] == ["fig2a.png"]
    assert result["config"] == FIG2A.to_json()
    for f in result["files"]:
        assert (out / f).stat().st_size > 0
    saved = json.loads((out / "fig2a.json").read_text())
    assert saved["config"]["abars"] == [3, 4]
    assert isinstance(result["summary"], dict) and result["summary"]
    res = result["result"]
    assert {"config", "rows", "fl", "seconds"} <= set(res)
    families = [r["family"] for r in res["rows"]]
    assert families == ["general", "uniform", "complete"]
    for r in res["rows"]:
        for k in METRIC_KEYS + ("abar", "lambda2", "effective_neighbours", "consensus_distance"):
            assert k in r
        assert 0.0 <= r["probe"] <= 1.0 and 0.0 <= r["s_N"] <= 1.0
    uniform = res["rows"][1]
    assert uniform["abar"] == pytest.approx(3.0)  # random 2-regular graph: |A_i| = 3
    assert uniform["degree_min"] == uniform["degree_max"] == 2
    complete = res["rows"][-1]
    assert complete["abar"] == pytest.approx(4.0) and complete["lambda2"] == pytest.approx(0.0)
    assert res["fl"]["s_N"] == complete["s_N"] and res["fl"]["clients_per_round"] == 4


def test_table6_keys():
    res = ex.table6(TABLE6)
    assert {"config", "rows", "fl", "sizes", "seconds"} <= set(res)
    assert [(r["avg_degree"], r["mixing"]) for r in res["rows"]] == [
        (k, m) for k in (1, 2) for m in TABLE6.mixings
    ]
    assert sum(res["sizes"]) <= TABLE6.n_clients * TABLE6.samples_per_client
    for r in res["rows"] + [res["fl"]]:
        for k in METRIC_KEYS:
            assert k in r
    fig = pe.make_table6_figure(res)
    axes = fig.axes
    assert len(axes) == 2
    assert axes[0].get_ylabel() == "probe accuracy"
    assert axes[1].get_ylabel() == "sensitivity over [N]"
    for ax in axes:
        assert len(ax.patches) == len(TABLE6.mixings) * 2  # one bar per mixing and degree
        assert [ln.get_label() for ln in ax.lines if not ln.get_label().startswith("_")] == ["FL"]


def test_fig2b_keys():
    res = ex.fig2b(FIG2B)
    assert {"config", "rows", "graph", "sizes", "seconds"} <= set(res)
    combos = {(r["framework"], r["method"], r["alpha"]) for r in res["rows"]}
    assert combos == {(f, "mar", a) for f in ("fl", "decl") for a in (1.0, 0.01)}
    for r in res["rows"]:
        for k in METRIC_KEYS + ("consensus_distance",):
            assert k in r
        if r["method"] == "mar":
            assert FIG2B.gamma_min <= r["gamma_last"] <= FIG2B.gamma_max
        else:
            assert "gamma_last" not in r
        if r["framework"] == "fl":
            assert r["consensus_distance"] == pytest.approx(0.0, abs=1e-10)  # J: one model
    np.testing.assert_array_equal(np.asarray(res["sizes"]).shape, (2, FIG2B.n_clients))


def test_mim_vs_cl_keys():
    res = ex.mim_vs_cl(MIM_VS_CL)
    assert {"config", "model_rows", "digits_rows", "seconds"} <= set(res)
    assert [(r["d"], r["method"]) for r in res["model_rows"]] == [(8, "cl")]
    for r in res["model_rows"]:
        for k in METRIC_KEYS + ("exact_s_N",):
            assert k in r
    assert [(r["alpha"], r["method"]) for r in res["digits_rows"]] == [
        (a, "cl") for a in (1e5, 0.1)
    ]
    for r in res["digits_rows"]:
        assert {"probe", "angle_to_pooled", "rv_spread", "finite"} <= set(r)
        assert 0.0 <= r["angle_to_pooled"] <= np.pi / 2 + 1e-12


# ---------------------------------------------------------------------------------------------
# figures from synthetic results (what is drawn, not what is computed)


def _fig2a_results():
    rows = []
    for family, abars in (("general", (3.2, 5.1)), ("uniform", (3.0, 5.0)), ("complete", (20.0,))):
        for a in abars:
            rows.append(
                {
                    "family": family,
                    "abar": a,
                    "lambda2": 1.0 / a,
                    "effective_neighbours": a,
                    **{k: 0.1 for k in METRIC_KEYS},
                }
            )
    return {"rows": rows, "fl": {k: 0.1 for k in METRIC_KEYS}}


def test_fig2a_figure_draws_families_against_three_axes():
    fig = pe.make_fig2a_figure(_fig2a_results())
    assert len(fig.axes) == 9
    xlabels = [ax.get_xlabel() for ax in fig.axes]
    assert xlabels[:3] == ["average connectivity |Ā|"] * 3
    assert xlabels[3:6] == ["λ₂ of the mixing matrix"] * 3
    assert xlabels[6:] == ["effective neighbours n_W(γ)"] * 3
    assert [ax.get_ylabel() for ax in fig.axes[:3]] == [
        "sensitivity over [N]",
        "mean RV over [N]",
        "probe accuracy",
    ]
    for ax in fig.axes:
        assert len(ax.containers) == 2  # DecL general, DecL uniform (error bars)
        labels = ax.get_legend_handles_labels()[1]
        assert sorted(labels) == ["DecL general", "DecL uniform", "FL"]
        # each family line ends at the complete graph: 3 points
        for container in ax.containers:
            assert len(container.lines[0].get_xdata()) == 3


def test_fig2b_figure_draws_mim_and_mar_per_framework():
    rows = [
        {"framework": f, "method": m, "alpha": a, **{k: 0.5 for k in METRIC_KEYS}}
        for f in ("fl", "decl")
        for m in ("mim", "mar")
        for a in (1.0, 0.1, 0.01, 0.001)
    ]
    fig = pe.make_fig2b_figure({"rows": rows})
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes] == ["FL", "DecL", "FL", "DecL"]
    for ax in fig.axes:
        assert ax.get_xscale() == "log" and ax.get_xlabel() == "Dirichlet α"
        assert ax.get_legend_handles_labels()[1] == ["MIM", "MAR"]
        assert all(len(c.lines[0].get_xdata()) == 4 for c in ax.containers)


def test_mim_vs_cl_figure_draws_trained_and_exact_lines():
    model_rows = [
        {"d": d, "method": m, "s_N": 0.1, "s_N_se": 0.0, "exact_s_N": 0.05}
        for d in (64, 128, 256)
        for m in ("mim", "cl")
    ]
    digits_rows = [
        {"alpha": a, "method": m, "probe": 0.5, "probe_se": 0.0}
        for a in (1e5, 0.1)
        for m in ("mim", "cl")
    ]
    fig = pe.make_mim_vs_cl_figure({"model_rows": model_rows, "digits_rows": digits_rows})
    left, right = fig.axes
    assert left.get_xlabel() == "d" and left.get_yscale() == "log"
    assert sorted(left.get_legend_handles_labels()[1]) == [
        "CL exact (Track B)",
        "CL trained",
        "MIM exact (Track B)",
        "MIM trained",
    ]
    assert right.get_ylabel() == "probe accuracy (digits)"
    assert len(right.containers) == 2
