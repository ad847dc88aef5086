"""Spectral quantities against numpy / scipy / sympy oracles, jit and no-jit, batched."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg
import sympy as sp
from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import count_compiles, tol
from theory import spectral as S
from theory import topology as T

TOL = tol(np.float64)
LOOSE = {"rtol": 1e-9, "atol": 1e-10}  # eigen-solvers on ill-conditioned similarity transforms


# ---------------------------------------------------------------------------- oracles


def _np_eigs_real(w):
    ev = np.linalg.eigvals(w)
    assert np.max(np.abs(ev.imag)) < 1e-9
    return np.sort(ev.real)[::-1]


def _np_lambda(w):
    """Independent λ: max(|λ2|, |λN|) from numpy eigvals for reversible W (real spectrum)."""
    ev = _np_eigs_real(w)
    return max(abs(ev[1]), abs(ev[-1]))


def _np_stationary(w):
    ev, vec = np.linalg.eig(w.T)
    k = np.argmin(np.abs(ev - 1.0))
    pi = np.real(vec[:, k])
    return pi / pi.sum()


def _cases():
    sizes = np.linspace(1.0, 3.0, 16)
    out = []
    for name, kw in [
        ("complete", {}),
        ("ring", {}),
        ("torus", {"rows": 4, "cols": 4}),
        ("star", {}),
        ("hypercube", {}),
        ("exponential", {}),
        ("erdos_renyi", {"avg_degree": 3.0, "seed": 4}),
        ("random_regular", {"degree": 3, "seed": 5}),
        ("paper_code", {"avg_degree": 3, "seed": 6}),
    ]:
        a = T.make_graph(name, 16, **kw)
        for mixing in T.MIXINGS:
            out.append((name, mixing, a, T.mixing_matrix(mixing, a, sizes=sizes, any_graph=True)))
    return out


CASES = _cases()
CASE_IDS = [f"{g}-{m}" for g, m, _, _ in CASES]


# ---------------------------------------------------------------------------- the star example


def test_star4_objective_vs_stationary_weights():
    w = T.mixing_matrix("uniform", T.star(4))
    np.testing.assert_allclose(S.objective_weights(w), [0.4375, 0.1875, 0.1875, 0.1875], **TOL)
    np.testing.assert_allclose(S.stationary_weights(w), [0.4, 0.2, 0.2, 0.2], **TOL)
    np.testing.assert_allclose(S.stationary_weights(w), _np_stationary(w), **TOL)


# ---------------------------------------------------------------------------- every case


@pytest.mark.parametrize("graph,mixing,a,w", CASES, ids=CASE_IDS)
def test_spectrum_and_weights_against_numpy(graph, mixing, a, w):
    ev = np.asarray(S.eigenvalues(w))
    np.testing.assert_allclose(ev, _np_eigs_real(w), **LOOSE)
    np.testing.assert_allclose(S.lambda2(w), ev[1], **TOL)
    np.testing.assert_allclose(S.contraction(w), _np_lambda(w), **LOOSE)
    np.testing.assert_allclose(S.spectral_gap(w), 1 - _np_lambda(w), **LOOSE)
    np.testing.assert_allclose(S.koloskova_p(w), 1 - _np_lambda(w) ** 2, **LOOSE)
    pi = np.asarray(S.stationary_weights(w))
    np.testing.assert_allclose(pi, _np_stationary(w), **LOOSE)
    np.testing.assert_allclose(pi @ w, pi, **LOOSE)
    np.testing.assert_allclose(S.objective_weights(w), w.sum(axis=0) / 16, **TOL)
    conn = a.sum(axis=1) + 1
    np.testing.assert_allclose(S.connectivity(a), conn, **TOL)
    np.testing.assert_allclose(S.avg_connectivity(a), conn.mean(), **TOL)
    flags = {k: bool(v) for k, v in S.stochasticity(w).items()}
    assert flags["row"] and flags["nonnegative"] and flags["primitive"] and flags["reversible"]
    assert flags["column"] == bool(np.allclose(w.sum(axis=0), 1.0, atol=1e-12))
    assert flags["symmetric"] == bool(np.allclose(w, w.T, atol=1e-12))
    if flags["doubly"]:
        np.testing.assert_allclose(S.contraction(w), np.linalg.norm(w - 1 / 16, 2), **LOOSE)
        np.testing.assert_allclose(pi, 1 / 16, **LOOSE)
    if mixing == "uniform":  # π ∝ |A_i| (docs/theory/consensus.md §3 D7)
        np.testing.assert_allclose(pi, conn / conn.sum(), **LOOSE)


def test_data_size_stationary_weights_closed_form():
    a = T.paper_code(12, 3, seed=9)
    sizes = np.arange(1.0, 13.0)
    w = T.mixing_matrix("data_size", a, sizes=sizes)
    target = sizes * ((a + np.eye(12)) @ sizes)  # π_i ∝ n_i Σ_{k∈A_i} n_k (D7)
    np.testing.assert_allclose(S.stationary_weights(w), target / target.sum(), **LOOSE)
    assert bool(S.stochasticity(w)["reversible"])


# ---------------------------------------------------------------------------- closed forms


def _ev(exprs):
    return np.array([complex(sp.N(e, 30)) for e in exprs])


@pytest.mark.parametrize(
    "graph,params,w",
    [
        ("complete", {"n": 2}, T.mixing_matrix("metropolis", T.complete(2))),
        ("complete", {"n": 7}, T.mixing_matrix("uniform", T.complete(7))),
        ("ring", {"n": 3}, T.mixing_matrix("metropolis", T.ring(3))),
        ("ring", {"n": 4}, T.mixing_matrix("metropolis", T.ring(4))),
        ("ring", {"n": 9}, T.mixing_matrix("uniform", T.ring(9))),
        ("ring", {"n": 16}, T.mixing_matrix("metropolis", T.ring(16))),
        ("torus", {"rows": 3, "cols": 5}, T.mixing_matrix("metropolis", T.torus(3, 5))),
        ("torus", {"rows": 4, "cols": 4}, T.mixing_matrix("uniform", T.torus(4, 4))),
        ("star", {"n": 4}, T.mixing_matrix("metropolis", T.star(4))),
        ("star", {"n": 9}, T.mixing_matrix("max_degree", T.star(9))),
        ("hypercube", {"n": 2}, T.mixing_matrix("metropolis", T.hypercube(2))),
        ("hypercube", {"n": 16}, T.mixing_matrix("metropolis", T.hypercube(16))),
    ],
)
def test_closed_form_symmetric_spectra_vs_eigvalsh(graph, params, w):
    exact = np.sort(_ev(S.closed_form_eigenvalues(graph, **params)).real)
    np.testing.assert_allclose(exact, np.linalg.eigvalsh(w), **LOOSE)
    lam = float(sp.N(S.closed_form_lambda(graph, **params), 30))
    ev = np.linalg.eigvalsh(w)
    np.testing.assert_allclose(lam, max(abs(ev[-2]), abs(ev[0])), **LOOSE)
    np.testing.assert_allclose(S.contraction(w), lam, **LOOSE)


@pytest.mark.parametrize("n", [3, 4, 7])
def test_closed_form_uniform_star(n):
    w = T.mixing_matrix("uniform", T.star(n))
    exact = np.sort(_ev(S.closed_form_eigenvalues("star", n=n, mixing="uniform")).real)
    np.testing.assert_allclose(exact, np.sort(_np_eigs_real(w)), **LOOSE)
    np.testing.assert_allclose(S.contraction(w), 0.5, **LOOSE)


@pytest.mark.parametrize("n", [5, 8, 16])
def test_closed_form_exponential_vs_eigvals(n):
    w = T.exponential_mixing(n)
    exact = _ev(S.closed_form_eigenvalues("exponential", n=n))
    num = np.linalg.eigvals(w)
    # multiset equality: every value of each set has a partner in the other
    dist = np.abs(exact[:, None] - num[None, :])
    assert dist.min(axis=1).max() < 1e-10 and dist.min(axis=0).max() < 1e-10
    lam = float(sp.N(S.closed_form_lambda("exponential", n=n), 30))
    np.testing.assert_allclose(lam, np.linalg.norm(w - 1 / n, 2), **LOOSE)
    np.testing.assert_allclose(S.contraction(w), lam, **LOOSE)
    if n % 2 == 0:
        tau = math.ceil(math.log2(n))
        np.testing.assert_allclose(lam, (tau - 1) / (tau + 1), **LOOSE)
    # non-reversible: eigenvalues are reported as NaN, the complex route agrees
    assert not bool(S.stochasticity(w)["reversible"])
    assert np.all(np.isnan(np.asarray(S.eigenvalues(w))))
    np.testing.assert_allclose(
        np.sort(np.abs(S.eigenvalues_complex(w))), np.sort(np.abs(num)), **LOOSE
    )


def test_closed_form_symbolic_in_n():
    ring = S.closed_form_lambda("ring")
    assert ring.free_symbols == {S.N_SYM}
    for n in (5, 11):
        w = T.mixing_matrix("uniform", T.ring(n))
        np.testing.assert_allclose(float(ring.subs(S.N_SYM, n)), S.contraction(w), **LOOSE)
    star = S.closed_form_lambda("star")
    assert sp.simplify(star - (1 - 1 / S.N_SYM)) == 0
    assert S.closed_form_lambda("star", mixing="uniform") == sp.Rational(1, 2)
    assert S.closed_form_lambda("hypercube", n=32) == sp.Rational(2, 3)
    assert S.closed_form_lambda("complete", n=5) == 0


def test_closed_form_bad_input():
    with pytest.raises(ValueError, match="^graph"):
        S.closed_form_eigenvalues("paper_code", n=4)
    with pytest.raises(ValueError, match="^n"):
        S.closed_form_eigenvalues("hypercube", n=6)
    with pytest.raises(ValueError, match="^mixing"):
        S.closed_form_eigenvalues("star", n=5, mixing="data_size")
    with pytest.raises(ValueError, match="^rows"):
        S.closed_form_lambda("torus", rows=2, cols=4)


# ---------------------------------------------------------------------------- n_W(γ)


def _lyapunov_oracle(w, gamma):
    c = scipy.linalg.solve_discrete_lyapunov(np.sqrt(gamma) * w, w @ w.T)
    return 1.0 / ((1.0 - gamma) * np.trace(c) / w.shape[0])


@pytest.mark.parametrize("gamma", [0.0, 0.5, 0.9, 0.99])
def test_effective_neighbours_closed_form_and_lyapunov(gamma):
    w = T.mixing_matrix("uniform", T.ring(16))
    exact = float(
        S.closed_form_effective_neighbours(S.closed_form_eigenvalues("ring", n=16), gamma)
    )
    np.testing.assert_allclose(S.effective_neighbours(w, gamma), exact, **LOOSE)
    for m in (
        T.mixing_matrix("uniform", T.star(6)),  # non-symmetric, reversible
        T.exponential_mixing(12),  # non-reversible
        T.mixing_matrix("data_size", T.paper_code(10, 3, seed=1), sizes=np.arange(1.0, 11.0)),
    ):
        np.testing.assert_allclose(
            S.effective_neighbours(m, gamma), _lyapunov_oracle(m, gamma), rtol=1e-8
        )


def test_effective_neighbours_properties():
    w = T.mixing_matrix("metropolis", T.star(16))
    np.testing.assert_allclose(S.effective_neighbours(w, 0.0), 16 / np.sum(w**2), **TOL)
    np.testing.assert_allclose(S.effective_neighbours(w, 0.0), 1.2, rtol=1e-2)  # consensus §6
    assert float(S.effective_neighbours(w, 0.9999)) > 0.9 * 16
    np.testing.assert_allclose(S.effective_neighbours(np.full((8, 8), 1 / 8), 0.7), 8.0, **TOL)
    np.testing.assert_allclose(S.effective_neighbours(np.eye(8), 0.7), 1.0, **TOL)
    ring = T.mixing_matrix("uniform", T.ring(16))
    vals = [float(S.effective_neighbours(ring, g)) for g in (0.0, 0.3, 0.6, 0.9, 0.99)]
    assert vals[0] == pytest.approx(3.0) and all(np.diff(vals) > 0)
    with pytest.raises(ValueError, match="^gamma"):
        S.effective_neighbours(ring, 1.0)
    with pytest.raises(ValueError, match="^gamma"):
        S.effective_neighbours(ring, -0.1)


def test_effective_neighbours_monte_carlo():
    # x <- W(√γ x + ξ): 4000 parallel walks, 150 steps, ring-16, γ = 0.9
    # (docs/theory/consensus.md §6)
    w = T.mixing_matrix("uniform", T.ring(16))
    gamma, walks = 0.9, 4000
    rng = np.random.default_rng(0)
    x = np.zeros((16, walks))
    for _ in range(150):
        x = w @ (np.sqrt(gamma) * x + rng.standard_normal(x.shape))
    per_walk = (x**2).mean(axis=0)
    mean, se = per_walk.mean(), per_walk.std() / np.sqrt(walks)
    exact = float(S.effective_neighbours(w, gamma))
    mc = 1.0 / ((1 - gamma) * mean)
    assert abs(mc - exact) <= 3 * exact * se / mean
    assert exact == pytest.approx(6.601, abs=1e-3)


# ---------------------------------------------------------------------------- flags


def test_primitive_flag_against_matrix_power():
    def oracle(w):
        n = w.shape[0]
        b = (w > 0).astype(float)
        return bool(np.all(np.linalg.matrix_power(b, (n - 1) ** 2 + 1) > 0))

    periodic = T.ring(6) / 2  # no self loops, bipartite: period 2
    swap = np.array([[0.0, 1.0], [1.0, 0.0]])
    aperiodic = T.ring(5) / 2  # odd cycle: primitive without self loops
    for w in (periodic, swap, aperiodic, T.mixing_matrix("uniform", T.ring(6))):
        assert bool(S.stochasticity(w)["primitive"]) == oracle(w)
    assert not oracle(periodic) and oracle(aperiodic)


# ---------------------------------------------------------------------------- jit / batch


def test_jit_and_no_jit_agree():
    a = T.paper_code(6, 2, seed=2)
    w = T.mixing_matrix("data_size", a, sizes=np.arange(1.0, 7.0))
    fast = S.summary(w, a, gamma=0.8)
    with jax.disable_jit():
        slow = S.summary(w, a, gamma=0.8)
        slow_nw = S.effective_neighbours(w, 0.8)
    assert fast.keys() == slow.keys()
    for key in fast:
        np.testing.assert_allclose(np.asarray(fast[key]), np.asarray(slow[key]), **LOOSE)
    np.testing.assert_allclose(slow_nw, fast["effective_neighbours"], **LOOSE)


def _batch(count, n, seed=0):
    rng = np.random.default_rng(seed)
    mats = []
    for _ in range(count):
        a = T.erdos_renyi(n, prob=0.5, seed=rng)
        mats.append(T.mixing_matrix("uniform", a))
    return np.stack(mats)


def test_one_compile_for_a_batch_of_1000():
    ws = _batch(1000, 8)
    with count_compiles("lambda_gap_pi") as c:
        lam, gap, pi = S.lambda_gap_pi(ws)
        jax.block_until_ready(pi)
        S.lambda_gap_pi(ws[::-1])  # new values, same shape: no recompilation
    assert c.count == 1, c.names
    with count_compiles("contraction") as c2:
        lam2 = S.contraction(ws)
        S.contraction(ws + 0.0)
    assert c2.count == 1, c2.names
    np.testing.assert_allclose(lam, lam2, **TOL)
    np.testing.assert_allclose(gap, 1 - lam, **TOL)
    for i in (0, 499, 999):
        np.testing.assert_allclose(lam[i], _np_lambda(ws[i]), **LOOSE)
        np.testing.assert_allclose(pi[i], _np_stationary(ws[i]), **LOOSE)


def test_batched_equals_per_matrix_and_vmap():
    ws = _batch(5, 7, seed=1)
    batched = S.summary(ws, gamma=0.5)
    for i in range(5):
        single = S.summary(ws[i], gamma=0.5)
        for key in ("lambda", "lambda2", "stationary_weights", "effective_neighbours"):
            np.testing.assert_allclose(batched[key][i], single[key], **TOL)
    np.testing.assert_allclose(jax.vmap(S.lambda2)(jnp.asarray(ws)), S.lambda2(ws), **TOL)
    np.testing.assert_allclose(
        jax.vmap(S.effective_neighbours, in_axes=(0, None))(jnp.asarray(ws), 0.5),
        batched["effective_neighbours"],
        **TOL,
    )
    np.testing.assert_allclose(
        jax.vmap(S.objective_weights)(jnp.asarray(ws)), ws.sum(axis=1) / 7, **TOL
    )


def test_shape_errors():
    with pytest.raises(ValueError, match="^W: must be a square"):
        S.contraction(np.ones((3, 4)))
    with pytest.raises(ValueError, match="^W: must be a square"):
        S.summary(np.ones(3))
    with pytest.raises(ValueError, match="^adjacency"):
        S.summary(np.full((3, 3), 1 / 3), np.zeros((4, 4)))
    with pytest.raises(ValueError, match="^adjacency"):
        S.connectivity(np.ones((2, 3)))


# ---------------------------------------------------------------------------- properties


@st.composite
def _connected(draw):
    n = draw(st.sampled_from([5, 9]))
    seed = draw(st.integers(0, 2**31 - 1))
    kind = draw(st.sampled_from(["paper_code", "erdos_renyi", "tree"]))
    if kind == "paper_code":
        a = T.paper_code(n, draw(st.integers(1, n - 1)), seed=seed)
    elif kind == "erdos_renyi":
        a = T.erdos_renyi(n, prob=draw(st.floats(0.35, 1.0)), seed=seed)
    else:
        a = T.paper_code(n, 1, seed=seed)  # a uniform random recursive tree
    mixing = draw(st.sampled_from(T.MIXINGS))
    sizes = draw(st.lists(st.floats(0.1, 10.0), min_size=n, max_size=n))
    return a, T.mixing_matrix(mixing, a, sizes=sizes, any_graph=True)


@given(_connected())
def test_properties_on_random_connected_graphs(case):
    a, w = case
    n = a.shape[0]
    s = S.summary(w, a, gamma=0.9)
    gap = float(s["spectral_gap"])
    assert 0.0 < gap <= 1.0 + 1e-12
    p = float(s["p"])
    assert gap - 1e-12 <= p <= 2 * gap + 1e-12  # p = δ(2 − δ) ∈ [δ, 2δ]
    assert float(jnp.sum(s["stationary_weights"])) == pytest.approx(1.0, abs=1e-12)
    assert float(jnp.sum(s["objective_weights"])) == pytest.approx(1.0, abs=1e-12)
    assert float(jnp.min(s["stationary_weights"])) > 0
    assert 2.0 <= float(s["avg_connectivity"]) <= n
    assert 1.0 - 1e-9 <= float(s["effective_neighbours"]) <= n + 1e-9
    assert bool(s["row_stochastic"]) and bool(s["reversible"]) and bool(s["primitive"])
    if bool(s["doubly_stochastic"]):
        np.testing.assert_allclose(s["stationary_weights"], s["objective_weights"], atol=1e-10)
