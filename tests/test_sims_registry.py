"""The tables that replaced name switches in ``sims`` (values, not names): each covers exactly
the names it is read with, and each entry means what the code it replaced did."""

from __future__ import annotations

import numpy as np
import pytest

from sims.commands import exact, topology
from sims.core import mixing
from sims.reproduce import export
from sims.trackc import engine_config, evidence
from sims.trackc import simulate as trackc_simulate
from sims.verdict_map import compute
from theory import objectives, sweeps
from theory import topology as theory_topology
from theory.datamodel import DataModel


def test_topology_spellings_are_the_rules_then_ying():
    assert tuple(topology.SPELLINGS) == theory_topology.MIXINGS + ("ying",)
    sized = {k for k, s in topology.SPELLINGS.items() if s.takes_sizes}
    complete = {k for k, s in topology.SPELLINGS.items() if s.complete_only}
    assert sized == {"data_size"} and complete == {"fedavg"}


def test_mixing_rule_spellings():
    assert mixing.NAMED_RULES == {"fedavg": mixing.FedAvg}
    assert mixing.mixing_rule("fedavg", 3) == mixing.FedAvg()
    with pytest.raises(ValueError, match="got 'gossip'"):
        mixing.mixing_rule("gossip", 3)


def test_aggregation_weights_cover_the_aggregations():
    assert tuple(trackc_simulate.AGGREGATION_WEIGHTS) == engine_config.AGGREGATIONS
    sizes = np.array([3, 5])
    assert trackc_simulate.AGGREGATION_WEIGHTS["uniform"](sizes) is None
    w = trackc_simulate.AGGREGATION_WEIGHTS["data-size"](sizes)
    assert w.dtype == np.float64 and w.tolist() == [3.0, 5.0]


def test_export_tables_cover_the_kinds():
    assert set(export._TABLES) == set(export.KINDS)
    df = export.to_dataframe({"loss": [1.0, 2.0], "x": np.zeros((2, 100))}, "trace")
    assert df.attrs == {"kind": "trace", "left_out": ["x"]}
    assert export.to_dataframe({"a": 1}, "record").attrs == {"kind": "record"}


def test_bound_tables_cover_the_bound_methods_and_frameworks():
    assert set(compute._BOUND_THEOREM) == set(sweeps.BOUND_METHODS)
    assert set(evidence._BOUND_READINGS) == set(sweeps.FRAMEWORKS)
    assert [f for f, r in evidence._BOUND_READINGS.items() if r.graph] == ["decl"]
    assert [f for f, r in evidence._BOUND_READINGS.items() if not r.energy] == ["local"]


def test_hollow_targets_are_the_targets_with_a_zero_diagonal():
    model = DataModel(d=8, n_clients=2)
    for method in objectives.TARGET_METHODS:
        H = np.eye(8) if objectives.takes_transform(method) else None
        X = objectives.population_targets(model, method, p=objectives.p_for(method, 0.75), H=H)
        hollow = bool(np.all(np.diagonal(X, axis1=1, axis2=2) == 0.0))
        assert hollow == (method in exact.HOLLOW_TARGETS), method
