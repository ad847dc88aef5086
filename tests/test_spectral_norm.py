"""The engine's spectral norm (``sims.core.recorded._spectral_norm``, R_t of the consensus
bounds) against numpy's 2-norm, at the accuracy its docstring proves (NORM_RTOL, for every
spectrum), with and without jit; its power-of-two scalings exact at every magnitude.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.special
from hypothesis import given, settings
from hypothesis import strategies as st

from sims.core.recorded import (
    _EXPONENT_ROOM,
    NORM_BATCH,
    NORM_RTOL,
    _norms,
    _spectral_norm,
    norm_squarings,
    squarings_between_rescalings,
)


def _norm(W, jit: bool = True, **kw):
    f = jax.jit(lambda a: _spectral_norm(a, **kw)) if jit else (lambda a: _spectral_norm(a, **kw))
    return float(f(jnp.asarray(W)))


def _with_singular_values(s, d: int, seed: int = 0, U=None):
    """A c×d matrix (c = len(s) ≤ d) with singular values s: U diag(s) Vᵀ, U random unless given."""
    rng = np.random.default_rng(seed)
    c = len(s)
    if U is None:
        U, _ = np.linalg.qr(rng.normal(size=(c, c)))
    V, _ = np.linalg.qr(rng.normal(size=(d, c)))
    return (U * np.asarray(s)) @ V.T


def _bound_in_lambda(c: int) -> float:
    """ε = W₀((c − 1)/e)/(2m), m = 2^norm_squarings(c): the proven worst relative error in λ."""
    return float(scipy.special.lambertw((c - 1) / math.e).real) / 2 ** (norm_squarings(c) + 1)


@pytest.mark.parametrize("jit", [False, True])
@pytest.mark.parametrize("dtype, rtol", [("float64", 1e-12), ("float32", 2e-6)])
@pytest.mark.parametrize("c, d", [(1, 5), (3, 7), (16, 64), (40, 30), (64, 512)])
def test_norm_equals_numpys_for_a_separated_top_eigenvalue(c, d, dtype, rtol, jit):
    W = np.random.default_rng(c * 1000 + d).normal(size=(c, d))
    want = np.linalg.norm(W, 2)
    got = _norm(W.astype(dtype), jit)
    assert got == pytest.approx(want, rel=rtol)


@pytest.mark.parametrize("c", [2, 3, 6, 16])
def test_worst_spectrum_attains_the_proven_bound(c):
    """All c − 1 other eigenvalues of G at λ_i/λ_max = r with r^(2m) = e^(−1−W₀((c−1)/e)): the
    estimate of λ_max errs by (almost exactly) the proven ε, and ‖W‖ by at most NORM_RTOL. A
    different estimator or number of squarings would miss the first check."""
    eps = _bound_in_lambda(c)
    m = 2 ** norm_squarings(c)
    x = 1.0 + float(scipy.special.lambertw((c - 1) / math.e).real)
    r = math.exp(-x / (2 * m))
    W = _with_singular_values([1.0] + [math.sqrt(r)] * (c - 1), d=c + 3, seed=c)
    got = _norm(W)  # float64 (the tests run with x64)
    err_lambda = 1.0 - got**2
    assert 0.97 * eps <= err_lambda <= eps * (1 + 1e-9)
    assert 1.0 - NORM_RTOL <= got <= 1.0 + 1e-12


@pytest.mark.parametrize("every", [1, 2, 3, 5])
@pytest.mark.parametrize("competitors", [1, 2, 5])
@pytest.mark.parametrize("x", [0.0, 0.5, 1.5, 3.0, 8.0])
def test_clustered_top_eigenvalues_stay_within_the_bound(x, competitors, every):
    """Some eigenvalues just below λ_max, at r^(2m) = e^(−x) (x = 0: equal to it): a lower
    estimate within NORM_RTOL, for every number of squarings between rescalings (≤ 5 at
    c = 6)."""
    c = 6
    m = 2 ** norm_squarings(c)
    r = math.exp(-x / (2 * m))
    s = [1.0] + [math.sqrt(r)] * competitors + [0.5] * (c - 1 - competitors)
    got = _norm(_with_singular_values(s, d=9, seed=competitors), every=every)
    assert 1.0 - NORM_RTOL <= got <= 1.0 + 1e-12


def test_top_vector_away_from_the_chosen_column():
    """The case that broke the earlier one-column Rayleigh quotient (1.7e-4 at c = 16): the top
    eigenvector spread over all coordinates but one, the second one on that coordinate, at
    r^(2m) just above 1/(c − 1). The trace estimate does not depend on eigenvectors."""
    c = 16
    m = 2 ** norm_squarings(c)
    v1 = np.r_[0.0, np.full(c - 1, 1 / math.sqrt(c - 1))]
    basis = np.column_stack([v1, np.eye(c)[:, 0], np.random.default_rng(1).normal(size=(c, c - 2))])
    U, _ = np.linalg.qr(basis)
    for f in (1.0, 1.1, 1.3):
        r = (f / (c - 1)) ** (1 / (2 * m))
        s = [1.0, math.sqrt(r)] + [0.7] * (c - 2)
        got = _norm(_with_singular_values(s, d=20, U=U))
        assert 1.0 - NORM_RTOL <= got <= 1.0 + 1e-12, f


def test_norm_squarings_is_the_smallest_count_within_the_tolerance():
    for c in (1, 2, 3, 16, 64, 512, 4096):
        k = norm_squarings(c)
        w = float(scipy.special.lambertw((c - 1) / math.e).real)

        def err(kk, w=w):
            eps = w / 2 ** (kk + 1)
            return eps / (2 - eps)

        assert err(k) <= NORM_RTOL
        assert k == 0 or err(k - 1) > NORM_RTOL
    assert [norm_squarings(c) for c in (1, 2, 16, 64)] == [0, 10, 12, 13]


@settings(max_examples=25, deadline=None)
@given(k=st.integers(-100, 100), seed=st.integers(0, 2**16))
def test_scaling_by_a_power_of_two_is_exact_in_float32(k, seed):
    """W, G and the iterate are scaled by powers of two only, so ‖2^k W‖ is 2^k‖W‖ bit for bit,
    also where WWᵀ itself would overflow or underflow float32 (|k| ≳ 60)."""
    W = jnp.asarray(np.random.default_rng(seed).normal(size=(5, 8)), jnp.float32)
    f = jax.jit(_spectral_norm)
    base = float(f(W))
    assert float(f(W * jnp.float32(2.0**k))) == math.ldexp(base, k)


@settings(max_examples=15, deadline=None)
@given(k=st.integers(-1000, 1000), seed=st.integers(0, 2**16))
def test_scaling_by_a_power_of_two_is_exact_in_float64(k, seed):
    W = jnp.asarray(np.random.default_rng(seed).normal(size=(4, 6)))
    base = float(_spectral_norm(W))
    assert float(_spectral_norm(W * 2.0**k)) == math.ldexp(base, k)


def test_rescaling_interval_changes_no_bit():
    """Every client's norm, not only their maximum, is the same float32 number whatever the
    squarings between rescalings: the rescalings are exact (a division by the largest entry
    rounds and was caught by this test)."""
    W = jax.random.normal(jax.random.key(0), (200, 6, 9), jnp.float32)
    most = squarings_between_rescalings(6)
    runs = [
        np.asarray(jax.jit(jax.vmap(lambda w, e=e: _spectral_norm(w, every=e)))(W))
        for e in range(1, most + 1)
    ]
    for other in runs[1:]:
        np.testing.assert_array_equal(other, runs[0])


_MAGNITUDES = [
    (value, shape)
    for value in (1e-30, 1e-17, 1e-9, 1e9, 1e17, 1e30)
    for shape in ((1, 1), (8, 3), (16, 64))
]


@pytest.mark.parametrize("value, shape", _MAGNITUDES)
def test_large_and_small_magnitudes_in_float32(value, shape):
    """Entries far from 1, where WWᵀ itself would overflow or underflow float32 for most of
    them: numpy's norm, computed in float64, to float32 rounding."""
    rng = np.random.default_rng(shape[0])
    W = (value * rng.uniform(0.5, 1.0, size=shape)).astype(np.float32)
    want = np.linalg.norm(W.astype(np.float64), 2)
    assert _norm(W) == pytest.approx(want, rel=1e-5)


@pytest.mark.parametrize(
    "c, d, big, small",
    [(1, 100_000, 1e-18, 1e-19), (2, 10_000, 2e-19, 1.05e-19), (8, 4096, 3e-18, 1e-19)],
)
def test_entries_far_below_the_largest_in_float32(c, d, big, small):
    """A few entries near 1e-18 among many near 1e-19: without scaling W first, their products
    (near 1e-37, 1e-38) were flushed to zero and the norm came out 43-97 % low."""
    rng = np.random.default_rng(d)
    W = (small * rng.uniform(0.13, 1.0, size=(c, d))).astype(np.float32)
    W[:, 0] = big
    want = np.linalg.norm(W.astype(np.float64), 2)
    assert _norm(W) == pytest.approx(want, rel=1e-5)


def test_rows_whose_gram_would_overflow_in_float32():
    """Entries of 2e18 in rows of 100: each row's squared norm, 4e38, overflows float32, the
    norm (4e19) does not."""
    W = np.full((4, 100), 2e18, np.float32)
    assert _norm(W) == pytest.approx(2e18 * math.sqrt(400), rel=1e-6)


def test_edges_of_the_float32_range():
    """The norm of W whatever WWᵀ does; inf where the norm itself exceeds float32's largest
    number, 0 where W is below its smallest normal number (XLA flushes those to zero)."""
    assert _norm(np.full((1, 1), 1e19, np.float32)) == pytest.approx(1e19, rel=1e-6)
    assert _norm(np.full((1, 1), 3e38, np.float32)) == pytest.approx(3e38, rel=1e-6)
    assert _norm(np.full((8, 3), 1e38, np.float32)) == math.inf
    assert _norm(np.full((2, 2), 5e-39, np.float32)) == 0.0


@pytest.mark.parametrize("c", [*range(1, 41), 63, 64, 65, 127, 128, 255, 256, 511, 512])
def test_rank_one_all_ones_stays_finite_in_float32(c):
    """An all-ones W (rank-one G whose top eigenvalue after a rescaling is c/2, the fastest
    growth between rescalings): numpy's norm √(c·d), so the interval rule leaves room."""
    d = 3
    assert _norm(np.ones((c, d), np.float32)) == pytest.approx(math.sqrt(c * d), rel=1e-5)


def test_rescaling_interval_leaves_room_below_overflow():
    for c in (1, 2, 3, 16, 64, 512, 4096, 10**6):
        s = squarings_between_rescalings(c)
        lg = max(1.0, math.log2(c))
        assert s >= 1
        assert (2**s + 1) * lg <= _EXPONENT_ROOM or s == 1
        assert (2 ** (s + 1) + 1) * lg > _EXPONENT_ROOM  # the largest such s
    assert [squarings_between_rescalings(c) for c in (16, 64)] == [4, 3]


def test_zero_and_non_finite_models():
    assert _norm(np.zeros((3, 4))) == 0.0
    bad = np.ones((3, 4))
    bad[1, 2] = np.nan
    assert math.isnan(_norm(bad))
    bad[1, 2] = np.inf
    assert not math.isfinite(_norm(bad, jit=False))


def test_every_is_validated():
    with pytest.raises(ValueError, match="every"):
        _spectral_norm(jnp.ones((2, 3)), every=0)
    most = squarings_between_rescalings(2)
    with pytest.raises(ValueError, match="every"):
        _spectral_norm(jnp.ones((2, 3)), every=most + 1)


@pytest.mark.parametrize("n", [NORM_BATCH, NORM_BATCH + 1, 2 * NORM_BATCH + 37])
def test_batched_norms_equal_one_vmap_and_numpy(n):
    """:func:`_norms` (equal batches of at most NORM_BATCH clients beyond NORM_BATCH) agrees
    with one vmap over all clients to float32 rounding (4 ulp: XLA may vectorise a batch of
    79 and one of 237 differently, and does on some processors: 1.5 ulp measured on an AMD
    EPYC with batches of 100), and both are within NORM_RTOL of NumPy's norms, jitted and
    not."""
    W = jnp.asarray(np.random.default_rng(n).standard_normal((n, 8, 24)), jnp.float32)
    want = np.asarray(jax.vmap(_spectral_norm)(W))
    for fn in (_norms, jax.jit(_norms)):
        got = np.asarray(fn(W))
        np.testing.assert_allclose(got, want, rtol=4 * 2.0**-23)
    exact = np.linalg.norm(np.asarray(W, np.float64), ord=2, axis=(1, 2))
    np.testing.assert_allclose(want, exact, rtol=NORM_RTOL + 1e-6)


def test_norm_batch_on_the_cpu():
    """The CPU keeps its cache-sized batches (the accelerator's one is for GPU kernels)."""
    from sims.core.recorded import NORM_BATCH_ACCELERATOR, norm_batch

    assert norm_batch() == NORM_BATCH < NORM_BATCH_ACCELERATOR
