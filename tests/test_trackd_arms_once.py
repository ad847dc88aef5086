"""The Fig 2a arm that is FedAvg (the complete graph with uniform mixing) is trained once, as
FL, and counted once by the verdicts and the figure. The arms are checked for being counted,
never for what they show about the paper's claims."""

from __future__ import annotations

import dataclasses

import numpy as np

from sims.trackd import presets
from sims.trackd import verdicts as vd


def test_fig2a_trains_the_complete_graph_once_as_fl(monkeypatch):
    from sims.trackd import experiments as ex

    calls = []

    def fake_run_arm(common, arch, data, *, seed_key, objective="mae", mixing="fedavg", **kw):
        calls.append("fedavg" if isinstance(mixing, str) else np.shape(mixing))
        probe = 0.5 + 0.01 * len(calls)
        return None, {"probe": probe, "untrained_probe": 0.3}

    monkeypatch.setattr(ex, "run_arm", fake_run_arm)
    common = dataclasses.replace(presets.PRESETS["fast"]["fig2a"].common, seeds=2)
    cfg = presets.Fig2a(common, n_clients=6, abars=(3, 6), kinds=("uniform",))
    res = ex.fig2a(cfg)
    assert calls.count("fedavg") == 2 and len(calls) == 4  # per seed: FL and |Ā| = 3 only
    assert res["acc"]["uniform"]["6"] == res["fl"]
    assert res["same_as_fl"] == ["uniform |Ā|=6"]
    assert vd.same_arms(res) == ["DecL uniform |Ā|=6"]


def test_the_verdicts_count_the_complete_graph_once():
    j = np.array([0.0, 0.004, -0.003])
    fl = 0.30 + j  # FL did not learn: named once, as FL, not again as |Ā| = N
    f2a = {"meta": {"n_test": 400, "chance": 0.1, "seeds": 3, "n_clients": 4},
           "abars": [2, 4], "acc": {"general": {"2": 0.7 + j, "4": fl},
                                    "uniform": {"2": 0.7 + j, "4": fl}},
           "fl": fl, "untrained": [0.3, 0.3, 0.3]}  # fmt: skip
    d = vd.decisions({"fig2a": f2a})["connectivity"]
    assert d["verdict"] == "void" and d["reason"].count("did not learn") == 1
    assert d["reason"].startswith("FL ") and "|Ā|=4" not in d["reason"]
    assert "= FL (the complete graph, uniform mixing), counted once" in d["reading"]


def test_the_figure_counts_the_complete_graph_once():
    from sims.reproduce.figures import trackd as figs

    j = [0.0, 0.004, -0.003]
    acc = {"uniform": {"2": [0.7 + x for x in j], "4": [0.8 + x for x in j]}}
    res = {"meta": {"n_test": 400, "chance": 0.1, "seeds": 3, "n_clients": 4,
                    "mixing": "uniform 1/|A_i|"},
           "abars": [2, 4], "acc": acc, "fl": acc["uniform"]["4"]}  # fmt: skip
    arms = figs._decl_arms(res, lambda kind, a: f"DecL {kind} |Ā|={a}")
    assert sorted(arms) == ["DecL uniform |Ā|=2", "FL"]
