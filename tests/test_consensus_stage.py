"""The ``consensus`` reproduce stage: documented keys, the derived pathwise bounds of
docs/theory/consensus.md §3 (D2, D3/D5 stepwise, D4/D5 closed form; [D], so asserted: they test the
engine and ``sims.trackc.consensus``, not the paper) and its figure's lines (axes and data, not
pixels)."""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
import pytest

from sims.reproduce.figures import experiments as pe
from sims.reproduce.stages import STAGES
from sims.trackc import experiments as ex
from sims.trackc import presets
from tests._pipeline_helpers import run_stage

RTOL = 1e-4  # docs/theory/consensus.md §8 T4–T6
TINY = presets.CONSENSUS_FAST.replace(rounds=12, local_steps=2)
RUN_KEYS = {
    "method",
    "graph",
    "mixing",
    "label",
    "pi_weighted",
    "lam",
    "R",
    "L",
    "rho",
    "closed_form_valid",
    "e",
    "e_uniform",
    "d2",
    "stepwise",
    "closed_form",
    "ratio",
}


@pytest.fixture(scope="module")
def stage_result(tmp_path_factory):
    stage = next(s for s in STAGES if s.name == "consensus")
    assert stage.cache and stage.Config is presets.ConsensusPreset
    out = tmp_path_factory.mktemp("consensus")
    return run_stage(stage, TINY, out), out


def test_stage_keys_and_files(stage_result):
    result, out = stage_result
    assert result["files"] == ["consensus.json", "consensus.png"]
    assert result["figures"] == ["consensus.png"]
    for name in result["files"]:
        assert (out / name).stat().st_size > 0
    saved = json.loads((out / "consensus.json").read_text())
    assert set(saved) == {"config", "runs", "max_ratio"}
    runs = saved["runs"]
    n_graphs = len(ex.CONSENSUS_GRAPHS)
    assert len(runs) == len(TINY.methods) * n_graphs
    T = TINY.rounds
    for r in runs:
        assert set(r) == RUN_KEYS
        assert len(r["e"]) == len(r["e_uniform"]) == T + 1
        assert len(r["d2"]) == len(r["stepwise"]) == len(r["closed_form"]) == T
        # only the uniform-weight star is not doubly stochastic (the D7 π-form)
        assert r["pi_weighted"] == (r["graph"] == "star" and r["mixing"] == "uniform")
        if not r["pi_weighted"]:
            np.testing.assert_allclose(r["e"], r["e_uniform"], rtol=1e-9, atol=1e-13)
    assert len(result["summary"]) == len(runs)


def test_pathwise_bounds_hold(stage_result):
    """D2 and D3/D5 stepwise at every round, D4/D5 closed form where λ(1+ηL)^E < 1."""
    result, _ = stage_result
    runs = result["result"]["runs"]
    for r in runs:
        e = np.array(r["e"][1:])
        for key in ("d2", "stepwise"):
            assert np.all(e <= np.array(r[key]) * (1 + RTOL) + 1e-13), (r["label"], key)
            assert r["ratio"][key] <= 1 + RTOL
        if r["closed_form_valid"]:
            assert r["rho"] < 1
            assert np.all(e <= np.array(r["closed_form"]) * (1 + RTOL) + 1e-13), r["label"]
        else:
            assert r["rho"] >= 1 and all(b is None for b in r["closed_form"])
    assert any(r["closed_form_valid"] for r in runs)  # the closed form is exercised
    for key in ("d2", "stepwise"):
        assert result["result"]["max_ratio"][key] <= 1 + RTOL


def test_figure_lines(stage_result):
    """One panel per (method, graph): one measured line (the data e_1..e_T) and one line per
    non-vacuous bound, log y, the measured/bound ratios in the panel's title."""
    result, _ = stage_result
    res = result["result"]
    fig = pe.make_consensus_figure(res)
    try:
        axes = [ax for ax in fig.axes if ax.get_visible()]
        assert len(axes) == len(res["runs"])
        for ax, run in zip(axes, res["runs"], strict=True):
            assert ax.get_yscale() == "log"
            labels = [line.get_label() for line in ax.get_lines()]
            measured = [ln for ln in ax.get_lines() if ln.get_label().startswith("measured")]
            assert len(measured) == 1
            np.testing.assert_allclose(measured[0].get_ydata(), run["e"][1:])
            bounds = [lab for lab in labels if "bound" in lab]
            assert len(bounds) == (3 if run["closed_form_valid"] else 2), labels
            assert f"{run['ratio']['d2']:.2f}" in ax.get_title()
    finally:
        plt.close(fig)
