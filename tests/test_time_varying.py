"""theory.time_varying against independent oracles: exact integer arithmetic for the one-peer
period product, sympy for a small product, NumPy's spectral norm of each window."""

from __future__ import annotations

import math

import numpy as np
import pytest
import sympy

from theory import time_varying as tv
from theory import topology as T


@pytest.mark.parametrize("n", [2, 4, 8, 16, 32, 64])
def test_one_peer_period_product_is_exactly_J_for_powers_of_two(n):
    Ws = tv.one_peer_exponential(n)
    tau = int(math.log2(n))
    assert Ws.shape == (tau, n, n)
    # 2·W_p is a 0/1/2 integer matrix: the product of the period in exact integers is 2^τ J
    ints = [np.rint(2 * w).astype(np.int64) for w in Ws]
    assert all(np.array_equal(2 * w, i) for w, i in zip(Ws, ints, strict=True))
    prod = np.eye(n, dtype=np.int64)
    for i in ints:
        prod = i @ prod
    assert np.array_equal(prod, np.ones((n, n), np.int64))
    # and in float64 every entry is exactly 1/N, so ρ_P is exactly 0
    assert np.array_equal(tv.period_product(Ws), np.full((n, n), 1.0 / n))
    assert tv.period_contraction(Ws) == tv.PeriodContraction(0.0, tau, 0.0)


@pytest.mark.parametrize("n", [3, 5, 6, 12])
def test_one_peer_period_of_other_sizes_against_sympy(n):
    Ws = tv.one_peer_exponential(n)
    tau = math.ceil(math.log2(n))
    exact = sympy.eye(n)
    for s in [2**p for p in range(tau)]:
        w = sympy.zeros(n, n)
        for i in range(n):
            w[i, i] += sympy.Rational(1, 2)
            w[i, (i + s) % n] += sympy.Rational(1, 2)
        exact = w * exact
    dev = exact - sympy.ones(n, n) / n
    rho = max(math.sqrt(float(e)) for e in (dev.T * dev).eigenvals())
    got = tv.period_contraction(Ws)
    assert got.period == tau
    assert got.rho == pytest.approx(rho, rel=1e-12, abs=1e-14)
    assert got.per_round == pytest.approx(rho ** (1 / tau), rel=1e-12)
    assert 0 < got.rho < 1


def test_one_peer_matrices_follow_the_definition():
    n = 10
    Ws = tv.one_peer_exponential(n)
    assert tv.one_peer_offsets(n) == [1, 2, 4, 8]
    for p, s in enumerate([1, 2, 4, 8]):
        want = 0.5 * (np.eye(n) + np.roll(np.eye(n), s, axis=1))  # row i: i and i + s mod n
        assert np.array_equal(Ws[p], want)


def test_window_contractions_against_a_plain_loop():
    rng = np.random.default_rng(1)
    n = 7
    perms = [rng.permutation(n) for _ in range(4)]
    mats = np.stack([0.5 * (np.eye(n) + np.eye(n)[p]) for p in perms])  # doubly stochastic
    got = tv.window_contractions(mats)
    J = np.full((n, n), 1 / n)
    for s in range(4):
        prod = np.eye(n)
        for w in mats[s:]:
            prod = w @ prod
        assert got[s] == pytest.approx(np.linalg.norm(prod - J, 2), rel=1e-12, abs=1e-15)
    assert got[0] == pytest.approx(tv.period_contraction(mats).rho, rel=1e-14)


def test_period_of_one_is_the_static_contraction():
    from theory import spectral

    W = T.metropolis_mixing(T.ring(9))
    assert tv.period_contraction(W[None]).rho == pytest.approx(
        float(spectral.contraction(W)), rel=1e-12
    )


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.ones((2, 3, 3)) / 3 * np.array([1, 1, 1.1]), r"mats\[0\]: must be doubly stochastic"),
        (np.zeros((0, 3, 3)), "P >= 1"),
        (-np.eye(3)[None], ">= 0"),
        (np.eye(3), "3 dimensions|ndim|shape"),
    ],
)
def test_bad_sequences_fail_in_one_line(bad, match):
    with pytest.raises(ValueError, match=match) as err:
        tv.period_contraction(bad)
    assert "\n" not in str(err.value)


def test_one_peer_needs_two_nodes():
    with pytest.raises(ValueError, match="^n: must be an integer >= 2"):
        tv.one_peer_exponential(1)
