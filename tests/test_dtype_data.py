"""float32 and float64 runs see the same data (issue 11 item 3).

Every random stream of ``sims.data`` is drawn in float64 and cast, so the float32 sample is the
float64 sample rounded to nearest: |x32 − x64| ≤ 2⁻²⁴|x64| entrywise, with the same labels.
Then ``dssl simulate`` in float32 and float64 trains on the same data; its metrics agree within
the tolerance derived in :func:`test_simulate_float32_matches_float64`.
"""

from __future__ import annotations

import json
import subprocess
import sys

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims import data as D
from sims.cli import main
from theory import datamodel as dm

EPS32 = float(np.finfo(np.float32).eps)  # 2^-23; round-to-nearest error is at most EPS32 / 2


def test_paper_model_same_sample_in_both_dtypes():
    model = dm.DataModel(d=16, n_clients=4, rare_fraction=0.1)
    x64, y64 = D.sample_paper_model(model, 300, key=jr.key(5), dtype=jnp.float64)
    x32, y32 = D.sample_paper_model(model, 300, key=jr.key(5), dtype=jnp.float32)
    assert x32.dtype == jnp.float32 and x64.dtype == jnp.float64
    np.testing.assert_array_equal(np.asarray(y32), np.asarray(y64))
    a64 = np.asarray(x64)
    np.testing.assert_array_equal(np.asarray(x32), a64.astype(np.float32))
    assert np.all(np.abs(np.asarray(x32, np.float64) - a64) <= EPS32 / 2 * np.abs(a64))


def test_paper_model_same_sample_without_global_x64():
    """In a process that never enables x64, the float32 sample equals the float64 one of a
    process with x64 on (the draws are scoped float64, not the caller's precision)."""
    code = (
        "import jax, jax.random as jr, numpy as np, sys;"
        "import sims.data as D; from theory import datamodel as dm;"
        "jax.config.update('jax_enable_x64', False);"
        "x, y = D.sample_paper_model(dm.DataModel(d=8, n_clients=3), 7, key=jr.key(9),"
        " dtype='float32');"
        "np.save(sys.stdout.buffer, np.asarray(x))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, env=_cpu_env()
    )
    import io

    x_sub = np.load(io.BytesIO(out.stdout))
    x64, _ = D.sample_paper_model(dm.DataModel(d=8, n_clients=3), 7, key=jr.key(9))
    np.testing.assert_array_equal(x_sub, np.asarray(x64).astype(np.float32))


def test_minibatch_rows_do_not_depend_on_dtype():
    x = np.arange(40.0).reshape(20, 2)
    mask = np.arange(20) < 15
    for replace in (False, True):
        _, i64 = D.minibatch(jnp.asarray(x), mask, 6, key=jr.key(1), replace=replace)
        _, i32 = D.minibatch(jnp.asarray(x, jnp.float32), mask, 6, key=jr.key(1), replace=replace)
        np.testing.assert_array_equal(np.asarray(i64), np.asarray(i32))
        assert np.all(np.asarray(i64) < 15)


def _cpu_env():
    import os

    return dict(os.environ, JAX_PLATFORMS="cpu")


SIM = [
    "simulate",
    "--method",
    "mim",
    "--framework",
    "decl",
    "--n-clients",
    "4",
    "--d",
    "16",
    "--rounds",
    "20",
    "--samples-per-client",
    "200",
    "--batch",
    "32",
    "--local-steps",
    "2",
    "--lr",
    "0.02",
    "--json",
]


@pytest.mark.parametrize("method", ["mim", "cl"])
def test_simulate_float32_matches_float64(capsys, method):
    """Same data, same minibatches, same masks (MIM) or Gaussian views (CL:
    ``sims.losses.gaussian`` draws in float32 for both dtypes), same initial encoder: the two
    runs differ by rounding only. Tolerance: each of the T·E = 40 SGD steps computes a
    gradient from sums of B·d = 512 products; with XLA's pairwise/blocked summation its
    float32 relative error is about eps32·log2(512) ≈ 1.1e-6 (worst case eps32·512 ≈ 6e-5).
    Near the optimum the map W ↦ W − η∇f is a contraction (η·4λ_max < 2 for lr 0.02 here), so
    errors add up over steps without amplification: ≈ 40 · 1.1e-6 ≈ 4.4e-5 relative on W.
    Metrics that are smooth in W (loss, RV, sensitivity, consensus distance) inherit it times
    their condition (≤ 10 here): rtol = 1e-3, atol = 1e-6 for quantities near 0. Measured
    (MIM): ≤ 6.4e-7 relative (loss), RV entries within 1.2e-7. The old behaviour (different
    masks in the two dtypes, correlation 0.48) moved the metrics by 1–31 %; CL with
    ``jax.random.normal``'s dtype-dependent draws failed this test too."""
    x64_before = jax.config.jax_enable_x64
    outs = {}
    argv = [method if a == "mim" else a for a in SIM]
    for dt in ("float32", "float64"):
        assert main(argv + ["--dtype", dt]) == 0
        outs[dt] = json.loads(capsys.readouterr().out)
    a, b = outs["float32"], outs["float64"]
    for key in ("loss", "sensitivity_N", "consensus_distance", "probe_accuracy"):
        np.testing.assert_allclose(a[key], b[key], rtol=1e-3, atol=1e-6, err_msg=key)
    np.testing.assert_allclose(a["global_rv"], b["global_rv"], rtol=1e-3, atol=1e-6)
    np.testing.assert_allclose(a["local_rv"], b["local_rv"], rtol=1e-3, atol=1e-6)
    assert jax.config.jax_enable_x64 == x64_before  # the runs leave the caller's setting alone
