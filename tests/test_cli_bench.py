"""``dssl bench`` in-process on a tiny configuration (timings are not asserted)."""

from __future__ import annotations

import json

from sims.cli import main


def test_bench_json_keys(capsys):
    rc = main(
        [
            "bench",
            "--quick",
            "--json",
            "--n-clients",
            "3",
            "--d",
            "4",
            "--c",
            "2",
            "--batch",
            "4",
            "--local-steps",
            "2",
            "--rounds",
            "2",
            "--repeats",
            "1",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0
    res = json.loads(out)
    for key in ("speedup_vs_loop", "speedup_vs_numpy", "seconds_per_round", "compile_seconds"):
        assert res[key] > 0 or key == "compile_seconds"
    assert res["max_abs_diff_engine_vs_loop"] < 1e-5  # same keys, same numbers (float32)
    # the engine recording only the losses trains the same models
    assert res["max_abs_diff_loss_only_vs_engine"] == 0.0
    assert res["loss_only_seconds"] > 0 and res["loss_only_speedup_vs_numpy"] > 0


def test_bench_program_times_the_sharded_engine():
    """``dssl`` as a program on a CPU with several cores: one XLA device per core, and the
    engine with its clients sharded over them is timed next to the one-device engine, with
    the same final parameters (float32 rounding; only the cross-device sums may differ). The
    loops start from the engine's own float64-drawn initial encoder (x64 is off here)."""
    import os

    from tests._helpers import fresh_python

    cores = len(os.sched_getaffinity(0))
    argv = "bench --quick --json --d 4 --c 2 --batch 4 --local-steps 2 --rounds 3 --repeats 1"
    out = fresh_python(["-m", "sims.cli", *argv.split(), "--n-clients", str(2 * cores)])
    assert out.returncode == 0, out.stderr[-2000:]
    res = json.loads(out.stdout)
    assert res["max_abs_diff_engine_vs_loop"] < 1e-5
    if cores == 1:
        assert "sharded_seconds" not in res
        return
    assert res["sharded_devices"] == cores
    assert res["sharded_seconds"] > 0 and res["sharded_speedup_vs_numpy"] > 0
    assert res["max_abs_diff_sharded_vs_engine"] < 1e-5


def test_no_sharded_row_for_a_compact_problem():
    """A compact bench problem (no targets, their statistics only) is timed on one device:
    ``compare`` leaves the sharded row out instead of failing after the other rows."""
    from tests._helpers import ROOT, fresh_python

    code = f"""
import sys
import jax, jax.random as jr
sys.path.append({str(ROOT / "benchmarks")!r})
import timing as bench
cfg = bench.bench_config(n_clients=4, d=4, c=2, batch=4, local_steps=1, rounds=1,
                         framework="fl")
prob = bench._problem(cfg, compact=True)
assert prob.targets is None and jax.device_count() == 2
print(bench._sharded_engine(cfg, prob, jr.key(0), None))
"""
    out = fresh_python(["-c", code], devices=2)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "{}"


def test_bench_needs_the_checkout(monkeypatch, tmp_path):
    """The benchmarking code lives in ``benchmarks/``, not in the package: without that folder
    beside ``sims/`` (an install without the source checkout) ``dssl bench`` says so in one
    line."""
    import pytest

    import sims
    from sims.commands import bench

    monkeypatch.setattr(sims, "__file__", str(tmp_path / "sims" / "__init__.py"))
    with pytest.raises(ValueError, match=r"^bench: must be run from a source checkout"):
        bench._timing()
