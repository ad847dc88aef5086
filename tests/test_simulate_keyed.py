"""``dssl simulate`` without ``--samples-per-client``: keyed minibatches (no sample held), a
bounded evaluation sample for the metrics, the memory plan without a data term, and the
one-line estimate printed before a run that is not instant."""

from __future__ import annotations

import json

from sims.cli import main
from sims.trackc.engine_config import EngineConfig
from sims.trackc.simulate_rounds import (
    DRAW_FLOPS,
    FASTEST_FLOPS,
    PAIR_FLOPS,
    PAIR_FLOPS_PER_C,
    TARGET_FLOPS,
    UNIFORMITY_PAIRS,
    announce,
    estimate_bytes,
    eval_samples,
    side_seconds,
    training_seconds,
)

SMALL = ["--n-clients", "4", "--d", "8", "--rounds", "3", "--batch", "8", "--local-steps", "2"]


def test_keyed_run_reports_its_data(capsys):
    assert main(["simulate", "--method", "cl", "--framework", "fl", "--json"] + SMALL) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["config"]["samples_per_client"] is None
    assert res["config"]["evaluation_samples_per_client"] == eval_samples(4, 8) == 2000
    assert 0 <= res["probe_accuracy"] <= 1


def test_sample_run_keeps_its_sample(capsys):
    argv = ["simulate", "--json", "--samples-per-client", "40"] + SMALL
    assert main(argv) == 0
    res = json.loads(capsys.readouterr().out)
    assert res["config"]["samples_per_client"] == 40
    assert res["config"]["evaluation_samples_per_client"] == 40


def test_eval_sample_is_bounded():
    # at most EVAL_BYTES (256 MiB) of float64 samples, between 50 and 2000 per client
    for n, d in ((4, 8), (100, 256), (500, 1000), (5000, 10_000)):
        m = eval_samples(n, d)
        assert 50 <= m <= 2000 and (m == 50 or 8 * n * d * m <= 256 << 20)


def test_keyed_estimate_has_no_data_term():
    kw = dict(method="cl", framework="fl", n_clients=100, d=256, c=200, clients_per_round=5)
    sample = EngineConfig(**kw)
    keyed = EngineConfig(**kw, sampler=_sampler(100, 256))
    m_eval = eval_samples(100, 256)
    big = estimate_bytes(n=100, d=256, c=200, m=8000, m_test=2000, dtype="float64", config=sample)
    small = estimate_bytes(
        n=100, d=256, c=200, m=m_eval, m_test=m_eval // 4, dtype="float64", config=keyed
    )
    assert small["samples_per_client"] < big["samples_per_client"] / 4
    # the minibatch indices (N, E, B) are keys (N, E, 2) in a keyed run
    assert small["local_steps"] * sample.batch == big["local_steps"]


def _sampler(n, d):
    from sims.data.paper_model import KeyedPaperSampler
    from theory.datamodel import DataModel

    return KeyedPaperSampler(DataModel(d=d, n_clients=n))


def test_estimate_line_before_a_long_run(capsys):
    cfg = EngineConfig(method="cl", framework="decl", n_clients=100, d=256, c=200, batch=256,
                       local_steps=5, rounds=300)  # fmt: skip
    assert training_seconds(cfg) > 3
    announce(cfg, 3 << 30, "dssl simulate")
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert err.startswith("dssl simulate: estimate: peak memory about 3")
    assert f"training about {training_seconds(cfg):.0f} s" in err
    assert f"targets and metrics about {side_seconds(cfg):.0f} s" in err


def test_keyed_draws_and_the_side_work_enter_the_time_estimate():
    """A keyed run's estimate counts its Gaussian draws (S·E·B·d a round), and the side work
    grows as N·d³ (the targets) and N² (the uniformity's client pairs)."""
    kw = dict(method="mim", framework="decl", n_clients=50, d=128, c=8, batch=64,
              local_steps=2, rounds=3)  # fmt: skip
    plain, keyed = EngineConfig(**kw), EngineConfig(**kw, sampler=_sampler(50, 128))
    rate = FASTEST_FLOPS["cpu"] / 10
    draws = DRAW_FLOPS * 50 * 2 * 64 * 128 * 3
    gap = training_seconds(keyed, "cpu") - training_seconds(plain, "cpu")
    assert abs(gap - draws / rate) < 1e-9
    targets = TARGET_FLOPS * 50 * 128**3
    pairs = 50**2 * UNIFORMITY_PAIRS * (PAIR_FLOPS + PAIR_FLOPS_PER_C * 8)
    assert abs(side_seconds(keyed, "cpu") - (targets + pairs) / rate) < 1e-9
    # on an accelerator only the pairs are priced at its rate (the targets are NumPy's)
    gpu = FASTEST_FLOPS["gpu"] / 10
    assert abs(side_seconds(keyed, "gpu") - targets / rate - pairs / gpu) < 1e-9


def test_no_estimate_line_for_a_quick_run(capsys):
    announce(EngineConfig(n_clients=4, d=8, c=4, rounds=3), 1 << 20, "dssl simulate")
    assert capsys.readouterr().err == ""
