"""The benchmark's problems: a compact problem (the statistics of identity targets, no
targets) gives the full problem's rounds exactly."""

from __future__ import annotations

import jax
import numpy as np
import pytest

from sims.core.config import key_tree
from sims.core.engine import make_round
from sims.core.recorded import target_stats
from tests._helpers import load_script

bench = load_script("timing")


@pytest.mark.parametrize("dtype", ["float32", "float64"])
@pytest.mark.parametrize("framework", ["fl", "decl"])
def test_compact_targets_equal_the_full_problem(dtype, framework):
    from theory._precision import x64

    per_round = 3 if framework == "fl" else None
    cfg = bench.bench_config(n_clients=6, d=5, c=2, batch=4, local_steps=2, framework=framework,
                             clients_per_round=per_round, dtype=dtype)  # fmt: skip
    with x64():
        full = bench._problem(cfg, m=8, compact=False)
        small = bench._problem(cfg, m=8, compact=True)
        assert small.targets is None and full.targets.shape == (6, 5, 5)
        stats = target_stats(full.targets)
        ident = bench.identity_stats(5, full.x.dtype)
        for a, b in zip(stats, ident, strict=True):
            np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
        init, step = make_round(cfg)
        step = jax.jit(step)
        out = []
        for prob, st in ((full, stats), (small, ident)):
            state = init(prob, key=key_tree(0)["root"])
            for _ in range(3):
                state, metrics = step(state, prob, st)
            out.append((state, metrics))
        (s1, m1), (s2, m2) = out
        np.testing.assert_array_equal(np.asarray(s1.params), np.asarray(s2.params))
        for k in m1:
            np.testing.assert_array_equal(np.asarray(m1[k]), np.asarray(m2[k]), err_msg=k)
        for f in ("x", "sizes", "mixing", "agg", "pi", "gamma_max", "gamma_min"):
            a, b = np.asarray(getattr(full, f)), np.asarray(getattr(small, f))
            np.testing.assert_array_equal(a, b, err_msg=f)


def test_matmul_peak_precisions_are_positive():
    for p in (None, "highest"):
        assert bench.matmul_peak(64, repeats=2, precision=p) > 0
