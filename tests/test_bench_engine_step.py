"""benchmarks/bench_engine_step.py: its step variants compute what they claim (the step is the
engine's local update), and a short run writes the table."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from tests._helpers import load_script


def _script():
    return load_script("bench_engine_step")


def test_step_is_sgd_on_the_mim_loss():
    """The timed step equals SGD on sims.losses.mim with the same minibatch and key."""
    from sims import losses

    mod = _script()
    n, b, c, d = 3, 4, 2, 5
    run = mod.make_run("step", n, b, c, d, steps=1, seed=0)
    W0 = 0.1 * jr.normal(jr.key(1), (n, c, d), jnp.float32)
    W1, vals = run(W0)
    rng = np.random.default_rng(0)  # the script's draws, in its order
    data = rng.standard_normal((n * 256, d), dtype=np.float32)
    rows = rng.integers(0, 256, (1, n, b)) + (np.arange(n) * 256)[None, :, None]
    for i in range(n):
        key = jr.fold_in(jr.fold_in(jr.key(0), 0), i)
        val, g = jax.value_and_grad(losses.mim)(W0[i], data[rows[0, i]], mod.P, key=key)
        np.testing.assert_allclose(vals[0, i], val, rtol=1e-5)
        np.testing.assert_allclose(W1[i], W0[i] - mod.LR * g, rtol=1e-5, atol=1e-7)


def test_short_run_writes_the_table(tmp_path):
    out = tmp_path / "step.json"
    res = _script().main(["--steps", "2", "--repeats", "1", "--out", str(out)])
    saved = json.loads(out.read_text())
    assert saved["setting"]["n_clients"] == 100 and set(saved["ms_per_step"]) == set(
        _script().VARIANTS
    )
    assert all(v > 0 for v in res["ms_per_step"].values())
    assert saved["products_only_gflops"] > 0 and saved["matmul_peak_gflops"] > 0


def test_bound_times_the_engine_and_the_loop_on_the_same_models(tmp_path):
    out = tmp_path / "step.json"
    res = _script().main(["--steps", "2", "--repeats", "1", "--bound", "--out", str(out)])
    assert res["max_abs_diff_engine_vs_loop"] == 0.0  # the same training on both sides
    ms = res["ms_per_step"]
    assert res["floor_seconds"] == 100 * (ms["products only"] + ms["masks and views"]) * 1e-3
    assert res["bound_vs_loop"] == res["loop_seconds"] / res["floor_seconds"]
    assert res["engine_vs_loop"] == res["loop_seconds"] / res["engine_seconds"]
