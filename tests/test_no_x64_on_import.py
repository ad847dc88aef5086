"""Importing the toolkit leaves the caller's JAX settings alone; theory still answers in float64.

The test suite itself runs with x64 on (``tests/conftest.py``), so the import check runs in a
fresh interpreter, and the dtype checks switch x64 off locally with ``jax.enable_x64(False)``.
"""

from __future__ import annotations

import os
import subprocess
import sys

import jax
import numpy as np
import pytest

from theory import bounds, dissimilarity, objectives, solve, spectral, topology

_IMPORTS = """
import importlib, pkgutil, jax
import theory, sims
for pkg in (theory,):
    for m in pkgutil.iter_modules(pkg.__path__):
        importlib.import_module(f"{pkg.__name__}.{m.name}")
import sims.reproduce.pipeline, sims.reproduce.stages, sims.reproduce.figures, theory.sweeps
print(bool(jax.config.jax_enable_x64))
"""


def test_import_leaves_x64_off():
    env = {k: val for k, val in os.environ.items() if k != "JAX_ENABLE_X64"}
    env["JAX_PLATFORMS"] = "cpu"
    out = subprocess.run(
        [sys.executable, "-c", _IMPORTS], capture_output=True, text=True, env=env, check=True
    )
    assert out.stdout.strip().splitlines()[-1] == "False", out.stderr


def _ring_mixing(n: int = 6) -> np.ndarray:
    return topology.mixing_matrix("uniform", topology.make_graph("ring", n))


@pytest.mark.parametrize(
    "fn",
    [
        lambda W: spectral.lambda2(W),
        lambda W: spectral.contraction(W),
        lambda W: spectral.stationary_weights(W),
        lambda W: spectral.effective_neighbours(W, 0.5),
        lambda W: spectral.summary(W)["lambda"],
        lambda W: solve.eckart_young(W + W.T, 2),
        lambda W: objectives.loss(W[:2], W + W.T),
        lambda W: dissimilarity.zeta_sq(W[:2], np.stack([W + W.T, W @ W.T])),
        lambda W: bounds.lower_bound(method="cl_similar", framework="decl", d=50, p=0.5, abar=3.0),
    ],
    ids=[
        "lambda2",
        "contraction",
        "pi",
        "n_eff",
        "summary",
        "eckart_young",
        "loss",
        "zeta",
        "lower_bound",
    ],
)
def test_theory_is_float64_when_caller_is_float32(fn):
    W = _ring_mixing()
    with jax.enable_x64(False):
        out = fn(W)
        assert not jax.config.jax_enable_x64  # restored after the call
    assert np.asarray(out).dtype == np.float64
