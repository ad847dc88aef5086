"""theory.certify.balls against independent oracles: mpmath at 70 digits (eigsy, eig), closed
forms of the ring's spectrum and the star's stationary distribution, theory.topology's float
mixing matrices and exact rational arithmetic."""

from __future__ import annotations

import time
from fractions import Fraction

import mpmath
import numpy as np
import pytest
import sympy as sp
from flint import arb, ctx, fmpq
from hypothesis import given, settings
from hypothesis import strategies as st

from theory import atlas, topology
from theory.certify.balls import (
    RADIUS,
    NotCertified,
    eigenvalues,
    exact_matrix,
    exact_mixing,
    mixing_lambda,
    sign,
    spread,
    stationary,
    top_rv,
)

DPS = 70  # mpmath's working digits for the oracle values


def _ball(x) -> arb:
    """An mpmath number as a ball accurate to DPS digits (built at 300 bits: a ball built at
    flint's default 53 bits would be too wide to lie inside a certified enclosure)."""
    with ctx.workprec(300):
        return arb(mpmath.nstr(x, DPS - 2, min_fixed=-1, max_fixed=-1))


def _exact(x) -> arb:
    """An exact rational as a ball at 300 bits (inside the certified balls' precision)."""
    with ctx.workprec(300):
        return arb(x)


def _mp(Mq) -> mpmath.matrix:
    n = Mq.nrows()
    return mpmath.matrix(
        [[mpmath.mpf(int(Mq[i, j].p)) / int(Mq[i, j].q) for j in range(n)] for i in range(n)]
    )


def _encloses(balls, values) -> bool:
    return len(balls) == len(values) and all(
        b.contains(_ball(x)) for b, x in zip(balls, values, strict=True)
    )


def _mp_eigs_sym(Mq) -> list:
    with mpmath.workdps(DPS):
        E = mpmath.eigsy(_mp(Mq), eigvals_only=True)
        return sorted(E, reverse=True)


def _mp_eigs_real(Mq) -> list:
    """Eigenvalues of a matrix with real spectrum by mpmath's general eig (real parts)."""
    with mpmath.workdps(DPS):
        E = mpmath.eig(_mp(Mq), left=False, right=False)
        assert max(abs(mpmath.im(x)) for x in E) < mpmath.mpf(10) ** (10 - DPS)
        return sorted((mpmath.re(x) for x in E), reverse=True)


def _random_symmetric(seed: int, n: int) -> list:
    rng = np.random.default_rng(seed)
    A = [[Fraction(int(rng.integers(-9, 10)), int(rng.integers(1, 8))) for _ in range(n)]
         for _ in range(n)]  # fmt: skip
    return [[A[i][j] + A[j][i] for j in range(n)] for i in range(n)]


# --- eigenvalues --------------------------------------------------------------------------


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10**6), st.integers(1, 6))
def test_symmetric_eigenvalues_enclose_mpmath(seed, n):
    S = _random_symmetric(seed, n)
    res = eigenvalues(S, symmetric=True)
    assert res.certified and res.radius < RADIUS
    assert _encloses(res.value, _mp_eigs_sym(exact_matrix(S)))


def _atlas_and_families():
    graphs = [(f"atlas{idx}", a) for idx, a in atlas.connected_graphs(max_n=5, min_n=3)]
    for name in ("star", "ring", "complete"):
        for n in (3, 6, 11):
            graphs.append((f"{name}{n}", topology.make_graph(name, n)))
    return graphs


GRAPHS = _atlas_and_families()


@pytest.mark.parametrize("mixing", atlas.MIXING_RULES)
def test_mixing_matrix_eigenvalues_enclose_mpmath(mixing):
    for label, a in GRAPHS:
        Wq = exact_mixing(mixing, a)
        res = eigenvalues(Wq, symmetric=mixing != "uniform")
        assert res.certified and res.radius < RADIUS, (label, res)
        oracle = _mp_eigs_sym(Wq) if mixing != "uniform" else _mp_eigs_real(Wq)
        assert _encloses(res.value, oracle), (label, mixing)
        lam = mixing_lambda(Wq)
        with mpmath.workdps(DPS):
            lam_mp = max(abs(oracle[1]), abs(oracle[-1]))
        assert lam.value[0].contains(_ball(lam_mp)) and lam.value[1].contains(_ball(oracle[1]))


def test_exact_mixing_is_theory_topology_rounded():
    for _, a in GRAPHS[:12]:
        for mixing in topology.MIXINGS:
            sizes = list(range(1, a.shape[0] + 1)) if mixing == "data_size" else None
            Wq = exact_mixing(mixing, a, sizes=sizes)
            Wf = topology.mixing_matrix(mixing, a, sizes=sizes, any_graph=True)
            diff = np.abs(np.array(_mp(Wq).tolist(), dtype=float) - Wf)
            assert diff.max() <= 4e-16, (mixing, diff.max())


def test_lambda2_agrees_with_the_atlas_float_features():
    idx_adj = atlas.connected_graphs(max_n=4, min_n=3)
    adjs = np.stack([a for _, a in idx_adj if a.shape[0] == 4])
    feats = atlas.graph_features(adjs, "uniform")
    for a, lam2 in zip(adjs, feats["lambda2"], strict=True):
        res = mixing_lambda(exact_mixing("uniform", a))
        assert abs(float(res.value[1].mid()) - lam2) < 1e-12


def test_float64_input_is_converted_exactly():
    Wf = topology.mixing_matrix("metropolis", topology.ring(5))
    Mq = exact_matrix(Wf)
    assert all(Mq[i, j] == fmpq(*Fraction(float(Wf[i, j])).as_integer_ratio())
               for i in range(5) for j in range(5))  # fmt: skip
    res = eigenvalues(Wf, symmetric=True)  # the float matrix's own eigenvalues
    assert res.certified and _encloses(res.value, _mp_eigs_sym(Mq))
    assert exact_matrix(sp.Matrix([[sp.Rational(1, 3)]]))[0, 0] == fmpq(1, 3)


def test_ring_100_is_enclosed_in_seconds():
    n = 100
    Wq = exact_mixing("uniform", topology.ring(n))
    t0 = time.perf_counter()
    res = eigenvalues(Wq, symmetric=False)
    seconds = time.perf_counter() - t0
    print(f"ring-100 uniform mixing: all eigenvalues enclosed in {seconds:.2f} s")
    assert res.certified and res.radius < RADIUS
    with mpmath.workdps(DPS):  # closed form: (1 + 2 cos(2πk/n))/3
        closed = sorted(((1 + 2 * mpmath.cos(2 * mpmath.pi * k / n)) / 3 for k in range(n)),
                        reverse=True)  # fmt: skip
    assert _encloses(res.value, closed)
    assert seconds < 30  # a few seconds on the project's 2-core machine; generous when loaded


# --- stationary distribution --------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 7, 12])
def test_star_stationary_is_the_hand_derived_rational(n):
    # W = D^-1 (Adj + I) is reversible with pi_i ∝ |A_i|: hub n, leaves 2, total 3n - 2
    res = stationary(exact_mixing("uniform", topology.star(n)))
    assert list(res.exact) == [fmpq(n, 3 * n - 2)] + [fmpq(2, 3 * n - 2)] * (n - 1)
    assert all(b.contains(_exact(x)) for b, x in zip(res.value, res.exact, strict=True))
    assert res.radius <= 2.0**-120
    # a radius below float64's range is reported as the smallest float, never as exact 0
    assert 0 < stationary(exact_mixing("uniform", topology.star(n)), prec=2048).radius < 1e-300


def test_stationary_refuses_inexact_or_reducible_input():
    with pytest.raises(ValueError, match="exactly row-stochastic"):
        stationary(topology.mixing_matrix("uniform", topology.ring(3)))  # 1/3 in float64
    with pytest.raises(ValueError, match="irreducible"):
        stationary([[1, 0], [0, 1]])
    with pytest.raises(ValueError, match="irreducible"):
        stationary([[1, 0], [Fraction(1, 2), Fraction(1, 2)]])
    # exactly stochastic but not reversible: a lazy directed cycle
    cyc = [[Fraction(1, 2) if j in (i, (i + 1) % 3) else 0 for j in range(3)] for i in range(3)]
    assert list(stationary(cyc).exact) == [fmpq(1, 3)] * 3
    res = eigenvalues(cyc, symmetric=False)
    assert isinstance(res, NotCertified) and "not reversible" in res.reason


# --- top_rv -------------------------------------------------------------------------------


def _mp_top_rv(S, c):
    with mpmath.workdps(DPS):
        E, Q = mpmath.eigsy(_mp(exact_matrix(S)))
        n = len(E)
        order = sorted(range(n), key=lambda i: -E[i])
        kept = [i for i in order[:c] if E[i] > 0]
        return [sum(Q[j, i] ** 2 for i in kept) for j in range(n)]


@settings(max_examples=6, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 6), st.integers(1, 6))
def test_top_rv_encloses_the_mpmath_projector(seed, n, c):
    S = _random_symmetric(seed, n)
    c = min(c, n)
    res = top_rv(S, c)
    if not res.certified:  # only a proved tie at c may stop it: mpmath must see the tie
        assert res.reason.startswith("tie:"), res
        E = _mp_eigs_sym(exact_matrix(S))
        assert abs(E[c - 1] - E[c]) < mpmath.mpf(10) ** (10 - DPS) and E[c] > 0
        return
    assert res.radius < RADIUS
    assert _encloses(res.value, _mp_top_rv(S, c))


@pytest.mark.parametrize("c", [1, 2, 3, 4])
def test_top_rv_of_the_hollow_block_is_one_over_n(c):
    # c0 (J - I), N = 4: eigenvalues 3 c0 (on 1) and -c0 (three times): one is kept for every c
    c0 = sp.Rational(3, 7)
    X = c0 * (sp.ones(4, 4) - sp.eye(4))
    res = top_rv(X, c)
    assert res.certified and res.radius < RADIUS
    assert all(r.contains(_exact(fmpq(1, 4))) for r in res.value)


def test_top_rv_tie_zero_boundary_and_coords():
    res = top_rv([[3, 0, 0, 0], [0, 2, 0, 0], [0, 0, 2, 0], [0, 0, 0, 1]], 2)
    assert isinstance(res, NotCertified) and res.reason.startswith("tie:")
    # the tie is below the cut: certified
    assert top_rv([[3, 0, 0], [0, 2, 0], [0, 0, 2]], 1).certified
    # an exact zero eigenvalue at position 2: the inertia decides it is not kept
    X = [[2, 0, 0], [0, 0, 0], [0, 0, -1]]
    res = top_rv(X, 2, coords=[0, 1])
    assert res.certified and [float(r.mid()) for r in res.value] == [1.0, 0.0]
    res = top_rv([[1, 1], [1, 1]], 2)  # eigenvalues 2 and 0: only the first is kept
    assert res.certified and all(r.contains(_exact(fmpq(1, 2))) for r in res.value)
    # no positive eigenvalue: W = 0, r = 0 exactly
    res = top_rv([[-1, 0], [0, -2]], 2)
    assert res.certified and list(res.exact) == [fmpq(0), fmpq(0)]


def test_refusals_are_one_line():
    for call, match in (
        (lambda: eigenvalues([[1, 2], [3, 4]], symmetric=True), "exactly symmetric"),
        (lambda: top_rv([[1, 2], [3, 4]], 1), "exactly symmetric"),
        (lambda: top_rv([[1, 0], [0, 1]], 3), "c: must be"),
        (lambda: exact_matrix([[1, 2]]), "square"),
        (lambda: exact_matrix([[float("nan")]]), "finite"),
        (lambda: exact_matrix([[True]]), "exact numbers"),
        (lambda: eigenvalues([[1.0]], symmetric=True, prec=256, max_prec=128), "max_prec"),
    ):
        with pytest.raises(ValueError, match=match) as err:
            call()
        assert "\n" not in str(err.value)


def test_spread_and_sign():
    r = [arb(1) / 3, arb(1) / 2, arb(1) / 5]
    s = spread(r)
    assert s.contains(_exact(fmpq(3, 10))) and sign(s) == 1
    assert sign(spread([arb(1) / 3, arb(1) / 3])) is None  # equal values: undecided
    assert sign(arb(-1)) == -1


def _sqrt2_matrix(prec: int):
    """[[√2, 1, 0], [1, 0, 1/3], [0, 1/3, -√2]] as a ball matrix at ``prec`` bits."""
    from flint import arb_mat

    with ctx.workprec(prec):
        r = arb(2).sqrt()
        return arb_mat([[r, 1, 0], [1, 0, arb(1) / 3], [0, arb(1) / 3, -r]])


def test_ball_input_encloses_an_irrational_matrix():
    with mpmath.workdps(DPS):
        r = mpmath.sqrt(2)
        M = mpmath.matrix([[r, 1, 0], [1, 0, mpmath.mpf(1) / 3], [0, mpmath.mpf(1) / 3, -r]])
        E, Q = mpmath.eigsy(M)
        order = sorted(range(3), key=lambda i: -E[i])
        rv = [Q[j, order[0]] ** 2 for j in range(3)]
    res = eigenvalues(_sqrt2_matrix, symmetric=True)
    assert res.certified and res.radius < RADIUS
    assert _encloses(res.value, [E[i] for i in order])
    res = top_rv(_sqrt2_matrix, 1)
    assert res.certified and res.radius < RADIUS and _encloses(res.value, rv)
    # a fixed arb_mat at 53 bits: valid enclosures, but too wide to certify at 1e-30
    assert not eigenvalues(_sqrt2_matrix(53), symmetric=True, max_prec=256).certified
    assert eigenvalues(_sqrt2_matrix(53), symmetric=True, radius=1e-12).certified
    with pytest.raises(ValueError, match="symmetric=True only"):
        eigenvalues(_sqrt2_matrix, symmetric=False)


def test_near_tie_needs_more_bits_and_a_cap_says_so():
    eps = Fraction(1, 2**200)
    X = [[3, 0, 0], [0, 2 + eps, 0], [0, 0, 2]]
    res = top_rv(X, 2)
    assert res.certified and res.prec > 128  # 2^-200 apart: 128 bits cannot separate them
    assert [float(r.mid()) for r in res.value] == [1.0, 1.0, 0.0]
    res = top_rv(X, 2, max_prec=160)
    assert isinstance(res, NotCertified) and res.reason.startswith("not certified at 160 bits")
