"""Track D's named choices are values looked up once: Table 6's mixing rules, Fig 2b's
frameworks and the data skews (each name resolves; a wrong name fails in one line naming its
field; each value builds what the experiment used to build by name)."""

from __future__ import annotations

import jax.random as jr
import numpy as np
import pytest

from sims.core.mixing import Gossip, PushSum, mixing_rule
from sims.trackd import data as tdata
from sims.trackd.presets import FIG2B_FRAMEWORKS, TABLE6_RULES, Fig2a, Fig2b, Table6
from theory import topology


def _one_line(excinfo) -> str:
    msg = str(excinfo.value)
    assert "\n" not in msg
    return msg


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: Table6(rules=("uniform", "gossip")), "rules"),
        (lambda: Table6(rules=()), "rules"),
        (lambda: Fig2b(frameworks=("fl", "FL")), "frameworks"),
        (lambda: Fig2b(frameworks="fl"), "frameworks"),
        (lambda: Fig2a(kinds=("ring",)), "kinds"),
    ],
)
def test_unknown_names_fail_in_one_line_naming_the_field(build, field):
    with pytest.raises(ValueError) as e:
        build()
    assert field in _one_line(e)


def test_table6_rules_build_the_matrices_of_theory_topology():
    adj = topology.erdos_renyi(8, avg_degree=4, seed=3)
    sizes = np.arange(1.0, 9.0)
    assert set(TABLE6_RULES) == set(Table6().rules)
    for name in ("data_size", "uniform", "metropolis"):
        W = TABLE6_RULES[name](adj, sizes)
        np.testing.assert_array_equal(W, topology.mixing_matrix(name, adj, sizes=sizes))
        assert isinstance(mixing_rule(W, 8), Gossip)
    rule = TABLE6_RULES["push-sum"](adj, sizes)
    assert isinstance(rule, PushSum)
    A = np.asarray(rule.matrix)
    np.testing.assert_array_equal(A, topology.uniform_mixing(adj).T)
    np.testing.assert_allclose(A.sum(axis=0), 1.0)  # column-stochastic


def test_fig2b_frameworks_draw_a_graph_only_for_decl():
    drawn = []

    def graph():
        drawn.append(1)
        return topology.complete(4)

    cfg = Fig2b(n_clients=4, clients_per_round=2)
    assert FIG2B_FRAMEWORKS["fl"](cfg, graph) == ("fedavg", 2)
    assert drawn == []
    W, cpr = FIG2B_FRAMEWORKS["decl"](cfg, graph)
    assert cpr is None and drawn == [1]
    np.testing.assert_array_equal(W, topology.uniform_mixing(topology.complete(4)))


def test_skews_split_as_named():
    images = tdata.Images(
        x_train=np.arange(200 * 16, dtype=np.float32).reshape(200, 4, 4, 1) / 3200,
        y_train=np.repeat(np.arange(10), 20),
        x_test=np.zeros((10, 4, 4, 1), np.float32),
        y_test=np.arange(10),
        n_classes=10,
    )
    out = {s: tdata.split_clients(images, 4, s, key=jr.key(0), alpha=0.05) for s in tdata.SKEWS}
    assert tdata.SKEWS == ("iid", "label", "feature")
    assert "styles" in out["feature"][2] and "styles" not in out["iid"][2]
    # IID and feature skew share the split (α = IID_ALPHA); label skew uses the caller's α
    assert out["iid"][2]["sizes"] == out["feature"][2]["sizes"]
    assert out["label"][2]["tv_mean"] > out["iid"][2]["tv_mean"]
    with pytest.raises(ValueError) as e:
        tdata.split_clients(images, 4, "Label", key=jr.key(0))
    assert "skew" in _one_line(e)
