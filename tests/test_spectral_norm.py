"""The engine's spectral norm (``sims.engine_metrics._spectral_norm``, R_t of the consensus
bounds) against numpy's 2-norm, at the accuracy its docstring promises, with and without jit.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sims.engine_metrics import _EXPONENT_ROOM, _spectral_norm, squarings_between_rescalings

#: The promised relative error of the lower estimate (gap-free; exact for a separated λ_max).
GAP_FREE = 2.3e-5


def _norm(W, jit: bool, **kw):
    f = jax.jit(lambda a: _spectral_norm(a, **kw)) if jit else (lambda a: _spectral_norm(a, **kw))
    return float(f(jnp.asarray(W)))


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-6)])
@pytest.mark.parametrize("c, d", [(1, 5), (3, 7), (16, 64), (40, 30), (64, 512)])
def test_norm_equals_numpys_for_a_separated_top_eigenvalue(c, d, dtype, rtol, jit):
    W = np.random.default_rng(c * 1000 + d).normal(size=(c, d))
    want = np.linalg.norm(W, 2)
    got = _norm(W.astype(dtype), jit)
    assert got == pytest.approx(want, rel=rtol)


@pytest.mark.parametrize("every", [1, 2, 3, 5])
@pytest.mark.parametrize("gap", [0.0, 1e-6, 1.0 / 8192, 1e-3, 0.1])
def test_clustered_top_eigenvalues_stay_within_the_gap_free_bound(gap, every):
    """Singular values 1 and √(1 − gap) (r = 1 − gap): the worst case of the power iteration
    is r^8192(1 − r) near r = 1 − 1/8192; the estimate is a lower one, within 2.3e-5 of the
    norm, for every number of squarings between rescalings (at most 5 at c = 6)."""
    rng = np.random.default_rng(7)
    U, _ = np.linalg.qr(rng.normal(size=(6, 6)))
    V, _ = np.linalg.qr(rng.normal(size=(9, 6)))
    s = np.array([1.0, math.sqrt(1.0 - gap), 0.5, 0.4, 0.2, 0.1])
    W = (U * s) @ V.T
    got = _norm(W, True, every=every)
    assert 1.0 - GAP_FREE <= got <= 1.0 + 1e-12


@settings(max_examples=25, deadline=None)
@given(k=st.integers(-120, 120), seed=st.integers(0, 2**16))
def test_scaling_by_a_power_of_two_is_exact(k, seed):
    """The iterate is rescaled by powers of two only, so ‖2^k W‖ is 2^k‖W‖ bit for bit."""
    W = jnp.asarray(np.random.default_rng(seed).normal(size=(5, 8)))
    base = _spectral_norm(W)
    assert float(_spectral_norm(W * 2.0**k)) == math.ldexp(float(base), k)


def test_rescaling_interval_leaves_room_below_overflow():
    for c in (1, 2, 3, 16, 64, 512, 4096, 10**6):
        s = squarings_between_rescalings(c)
        assert 1 <= s <= 12
        assert (2**s + 1) * max(1.0, math.log2(c)) <= _EXPONENT_ROOM or s == 1
        if s < 12:  # the largest such s
            assert (2 ** (s + 1) + 1) * max(1.0, math.log2(c)) > _EXPONENT_ROOM
    assert [squarings_between_rescalings(c) for c in (16, 64)] == [4, 3]


@pytest.mark.parametrize("c", [16, 512])
def test_rank_one_gram_stays_finite_in_float32(c):
    """A rank-one Gram matrix grows fastest between rescalings (λ_max(P) = c/2 after one):
    float32, its entries near the dtype's extremes, still gives numpy's norm."""
    u = np.random.default_rng(c).uniform(0.5, 1.0, size=(c, 1))
    v = np.random.default_rng(c + 1).uniform(0.5, 1.0, size=(1, 3))
    for scale in (1e-15, 1.0, 1e15):
        W = (scale * u @ v).astype(np.float32)
        got = _norm(W, True)
        want = np.linalg.norm(W.astype(np.float64), 2)
        assert got == pytest.approx(want, rel=1e-5), scale


def test_zero_and_non_finite_models():
    assert _norm(np.zeros((3, 4)), True) == 0.0
    bad = np.ones((3, 4))
    bad[1, 2] = np.nan
    assert math.isnan(_norm(bad, True))
    bad[1, 2] = np.inf
    assert not math.isfinite(_norm(bad, False))


def test_every_is_validated():
    with pytest.raises(ValueError, match="every"):
        _spectral_norm(jnp.ones((2, 3)), every=0)
    most = squarings_between_rescalings(2)
    with pytest.raises(ValueError, match="every"):
        _spectral_norm(jnp.ones((2, 3)), every=most + 1)
