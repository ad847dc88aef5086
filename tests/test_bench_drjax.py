"""benchmarks/drjax_fedavg.py: DrJAX's FedAvg round, written with its primitives, trains the
engine's model (same rows, masks and start), both with autodiff and with the engine's
closed-form gradient, and bench.md's DrJAX section is rendered from the record."""

from __future__ import annotations

import numpy as np

from tests._helpers import load_script

SMALL = dict(n_clients=6, d=8, c=3, batch=4, local_steps=2, rounds=3)


def test_drjax_round_trains_the_engines_model_and_the_table_is_written():
    mod = load_script("drjax_fedavg")
    res = mod.head_to_head("quick", repeats=1, overrides=SMALL, samples=16)
    assert res["clients_identical_in_engine"]
    assert res["max_abs_diff_vs_engine"]["loss_only"] == 0.0
    # float32 training: the two gradients are the same products in another order
    for name in ("drjax", "drjax_closed_form"):
        assert res["max_abs_diff_vs_engine"][name] <= 1e-5 * max(1.0, res["scale_of_model"])
    assert res["scale_of_model"] > 0
    for name in ("engine", "loss_only", "drjax", "drjax_closed_form"):
        assert np.isfinite(res["seconds"][name]) and res["seconds"][name] > 0
    assert res["engine_speedup_vs_drjax"] == res["seconds"]["drjax"] / res["seconds"]["engine"]
    text = "\n".join(mod.drjax_report([res]))
    assert "| quick (N=6, d=8, c=3, B=4, E=2) |" in text
    assert f"{res['engine_speedup_vs_drjax']:.2f}x" in text
    assert "push-sum" in text


def test_no_drjax_section_without_a_record():
    assert load_script("drjax_fedavg").drjax_report(None) == []
