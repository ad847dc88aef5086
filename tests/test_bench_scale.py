"""benchmarks/bench_scale.py: one cell in this process (its numbers present and sane), the
RSS slope against a hand-made line, and the table rendered from the JSON."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from tests._helpers import load_script


def _args(**kw):
    base = dict(
        method="mim", d=8, c=2, batch=4, local_steps=2, clients_per_round=3, rounds=2,
        dtype="float32", metrics="all", mixing="dense-ring", data="gaussian", devices=1,
    )  # fmt: skip
    return argparse.Namespace(**(base | kw))


@pytest.mark.parametrize("name", ["fl-server", "fl", "decl"])
def test_one_cell(name):
    cell = load_script("bench_scale").run_cell(name, 6, _args())
    assert cell["framework"] == name and cell["n_clients"] == 6
    assert cell["server_model"] == (name == "fl-server")
    assert cell["clients_per_round"] == (6 if name == "decl" else 3)
    assert cell["seconds_per_round"] > 0 and cell["peak_rss_bytes"] >= cell["baseline_rss_bytes"]
    assert cell["model_stack_bytes"] == 6 * 2 * 8 * 4
    assert cell["device"] == "cpu" and cell["devices"] == 1


def test_run_cell_times_each_round_of_sims_run():
    """The ``run`` cell: sims.run with keyed data on the one-peer rule, one time per timed
    round (the compiling first round apart), its last mean loss finite."""
    cell = load_script("bench_scale").run_cell("run", 6, _args(mixing="one-peer", rounds=3))
    assert cell["framework"] == "run" and cell["mixing"] == "one-peer"
    assert len(cell["seconds_per_round_all"]) == 3 and min(cell["seconds_per_round_all"]) > 0
    assert cell["seconds_per_round"] == min(cell["seconds_per_round_all"])
    assert np.isfinite(cell["loss"]) and cell["model_stack_bytes"] == 6 * 2 * 8 * 4
    assert cell["client_chunk"] >= 1 and cell["devices"] == 1
    fl = load_script("bench_scale").run_cell("run-fl", 6, _args(rounds=2))
    assert fl["framework"] == "run-fl" and fl["mixing"] == "fedavg"
    assert fl["clients_per_round"] == 3 and len(fl["seconds_per_round_all"]) == 2


def test_two_devices_cell():
    """--devices 2: the cell runs in a fresh process with two CPU devices, the one-peer DecL
    round's clients split over them (and records it); its loss is the one-device cell's."""
    import os

    if len(os.sched_getaffinity(0)) < 2:
        pytest.skip("one core: the two-device cell needs two")
    mod = load_script("bench_scale")
    argv = ["--mixing", "one-peer", "--d", "8", "--c", "2", "--batch", "4", "--local-steps",
            "2", "--rounds", "1", "--devices"]  # fmt: skip
    cells = [mod._child("decl", 8, argv + [k], timeout=300) for k in ("1", "2")]
    assert [c["status"] for c in cells] == ["ok", "ok"], cells
    assert [c["devices"] for c in cells] == [1, 2]
    assert cells[1]["loss_global"] == pytest.approx(cells[0]["loss_global"], rel=1e-5)


def test_fixed_data_control():
    """--data fixed: the same round with minibatches that need no draw (a benchmark control);
    its minibatch is the documented one."""
    mod = load_script("bench_scale")
    cell = mod.run_cell("fl", 6, _args(data="fixed"))
    assert cell["seconds_per_round"] > 0
    batch = np.asarray(mod.FixedClients(4)(None, 5, 2, np.float32))
    ramp = np.linspace(-0.5, 0.5, 8, dtype=np.float32).reshape(2, 4)
    np.testing.assert_allclose(batch, ramp + 2.0 * np.eye(4, dtype=np.float32)[1], atol=1e-6)


def test_slope_and_table():
    mod = load_script("bench_scale")
    # peak RSS less each cell's baseline (cells of different runs start from different ones)
    cells = [
        {"framework": "fl", "n_clients": n, "status": "ok", "baseline_rss_bytes": base,
         "peak_rss_bytes": base + 1000 + 7 * n}
        for n, base in ((10, 500), (100, 900), (1000, 300))
    ]  # fmt: skip
    assert mod.slope(cells) == pytest.approx(7.0)
    assert mod.slope(cells[:1]) is None
    rows = [
        c | {"mixing": "fedavg", "clients_per_round": 3, "seconds_per_round": 0.1,
             "cpu_seconds_per_round": 0.1,
             "model_stack_bytes": 64 * c["n_clients"], "server_model": False}
        for c in cells
    ]  # fmt: skip
    doc = {
        "settings": dict(method="mim", d=8, c=2, batch=4, local_steps=2, dtype="float32",
                         metrics="all", rounds=2),  # fmt: skip
        "machine": {"cpu_model": "test CPU", "cpus": 2},
        "loadavg_before": [0, 0, 0], "loadavg_after": [0, 0, 0], "date": "today",
        "command": "python benchmarks/bench_scale.py", "cells": rows,
        "rss_slope_bytes_per_client": {"fl": 7.0}, "model_bytes_per_client": 64,
    }  # fmt: skip
    md = mod.markdown(doc)
    assert "test CPU" in md and md.count("| fl |") == 3 and "7 bytes per client" in md
    assert np.isfinite(7.0 / 64)
