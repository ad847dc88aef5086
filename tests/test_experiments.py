"""Experiments of sims.trackc.experiments in tiny configurations: documented keys, stage wiring, and
what the figure functions draw. No test asserts a result of the paper."""

from __future__ import annotations

import json

import matplotlib
import numpy as np
import pytest

from sims.reproduce.figures import experiments as pe
from sims.reproduce.stages import STAGES
from sims.trackc import experiments as ex
from sims.trackc import presets
from sims.trackc.experiments import _common as ex_common
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
EXACT_KEYS = ("pi_spread", "exact_s_N_decl", "exact_angle_to_fl", "zeta_sq", "exact_probe")


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
        for k in EXACT_KEYS + ("angle_to_fl", "angle_to_fl_se"):
            assert k in r
        assert 0.0 <= r["probe"] <= 1.0 and 0.0 <= r["s_N"] <= 1.0
        assert 0.0 <= r["exact_angle_to_fl"] <= np.pi / 2 + 1e-12
    assert res["probe_reference"]["probe_chance"] == pytest.approx(1 / 8)  # K = 2N classes
    assert 0.0 <= res["probe_reference"]["probe_raw_input"] <= 1.0
    uniform = res["rows"][1]
    assert uniform["abar"] == pytest.approx(3.0)  # random 2-regular graph: |A_i| = 3
    assert uniform["degree_min"] == uniform["degree_max"] == 2
    # uniform weights on a regular graph are doubly stochastic: π = 1/N, the FL optimum
    assert uniform["pi_spread"] == pytest.approx(0.0, abs=1e-12)
    assert uniform["exact_angle_to_fl"] == pytest.approx(0.0, abs=1e-7)
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
        for k in METRIC_KEYS + EXACT_KEYS + ("consensus_distance", "angle_to_fl"):
            assert k in r
    assert res["probe_reference"]["probe_chance"] == pytest.approx(1 / 8)
    for r in res["rows"]:
        if r["mixing"] in ("metropolis", "max_degree"):  # doubly stochastic: π uniform
            assert r["pi_spread"] == pytest.approx(0.0, abs=1e-12)
    fig = pe.make_table6_figure(res)
    assert fig._suptitle.get_text().startswith("Table 6")


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
        assert "zeta_sq" not in r  # MAR: no closed-form target, no Track B keys
    assert res["probe_reference"]["probe_chance"] == pytest.approx(1 / 8)
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
    assert res["digits_probe_reference"]["probe_chance"] == pytest.approx(0.1)
    for r in res["digits_rows"]:
        assert {"probe", "angle_to_pooled", "rv_spread", "finite"} <= set(r)
        assert 0.0 <= r["angle_to_pooled"] <= np.pi / 2 + 1e-12


# ---------------------------------------------------------------------------------------------
# the Track B quantities added to the rows, against independent oracles


def _eig_rowspace(X, c):
    """(eigenvalues, eigenvectors) of the top-c strictly positive part of X (plain numpy)."""
    vals, vecs = np.linalg.eigh(X)
    vals, vecs = vals[::-1][:c], vecs[:, ::-1][:, :c]
    keep = vals > 1e-10 * np.abs(vals).max()
    return vals[keep], vecs[:, keep]


def test_exact_row_against_numpy_oracles():
    from theory import topology
    from theory.datamodel import DataModel
    from theory.objectives import population_targets

    model = DataModel(d=10, n_clients=4)
    targets = np.asarray(population_targets(model, "cl"), dtype=np.float64)
    c = 4  # the CL target's spectrum has a clear gap after the 4th eigenvalue here
    star = topology.mixing_matrix("uniform", topology.star(4))
    row = ex_common._exact_row(targets, c, star)
    # uniform weights on a star: π ∝ |A_i| = (4, 2, 2, 2) / 10
    assert row["pi_spread"] == pytest.approx(0.2, abs=1e-12)
    pi = np.array([0.4, 0.2, 0.2, 0.2])
    xbar = np.einsum("n,nde->de", pi, targets)
    fl_target = targets.mean(0)
    vals, V_fl = _eig_rowspace(fl_target, c)
    W_fl = np.sqrt(vals)[:, None] * V_fl.T  # Eckart–Young: √λ_k v_kᵀ over λ_k > 0
    zeta = sum(4 * pi[i] * np.linalg.norm(W_fl @ (targets[i] - xbar)) ** 2 for i in range(4))
    assert row["zeta_sq"] == pytest.approx(zeta, rel=1e-8)
    _, V_decl = _eig_rowspace(xbar, c)
    r = np.sum(V_decl**2, axis=1)  # RV of the exact DecL optimum's row space
    assert row["exact_s_N_decl"] == pytest.approx(r[:4].max() - r[:4].min(), abs=1e-9)
    cosines = np.linalg.svd(V_decl.T @ V_fl, compute_uv=False)
    assert row["exact_angle_to_fl"] == pytest.approx(
        float(np.arccos(np.clip(cosines.min(), -1, 1))), abs=1e-6
    )


def test_exact_row_doubly_stochastic_mixing_is_fl():
    from theory import topology
    from theory.datamodel import DataModel
    from theory.objectives import population_targets

    model = DataModel(d=10, n_clients=4)
    targets = np.asarray(population_targets(model, "mim", p=0.5), dtype=np.float64)
    ring = topology.mixing_matrix("metropolis", topology.ring(4))
    row = ex_common._exact_row(targets, model.c, ring)
    assert row["pi_spread"] == pytest.approx(0.0, abs=1e-12)
    assert row["exact_angle_to_fl"] == pytest.approx(0.0, abs=1e-7)
    fl = ex_common._exact_row(targets, model.c, np.full((4, 4), 0.25))
    assert row["exact_s_N_decl"] == pytest.approx(fl["exact_s_N_decl"], abs=1e-12)


def test_probe_references():
    x = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 0.0], [-2.0, 0.0]])
    y = np.array([0, 1, 0, 0])
    ref = ex_common._probe_references((x, y, x, y), 4)
    assert ref["probe_chance"] == 0.25
    assert ref["probe_majority"] == 0.75
    assert 0.0 <= ref["probe_raw_input"] <= 1.0
