"""theory.structured: the exact model at any d against dense oracles, ties, closed forms."""

import itertools

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st_

from theory import objectives as ob
from theory import solve as so
from theory import spectral, symbolic, topology
from theory import structured as st
from theory.datamodel import DataModel, client_second_moment

ATOL = 1e-10


def _graph_pi(name: str, n: int) -> np.ndarray:
    kw = {"avg_degree": 2.0, "seed": 1} if name == "paper_code" else {}
    A = topology.make_graph(name, n, **kw)
    return np.asarray(spectral.objective_weights(topology.mixing_matrix("uniform", A)))


def _frameworks(n: int):
    yield "local0", {"client": 0}
    yield f"local{n - 1}", {"client": n - 1}
    yield "fl", {}
    if n >= 3:
        yield "decl-star", {"weights": _graph_pi("star", n)}
        yield "decl-paper-code", {"weights": _graph_pi("paper_code", n)}
    else:
        yield "weighted", {"weights": np.array([0.7, 0.3])}


def _H(method: str):
    return "block-rotation" if method == "cl-dissimilar" else None


def assert_same(a: st.StructuredOptimum, b: st.StructuredOptimum, *, d: int):
    """Structured result a equals the dense result b (over every coordinate) to 1e-10."""
    assert a.rank == b.rank and a.tied == b.tied and a.exact and b.exact
    for f in ("s_N", "s_c", "gap"):
        np.testing.assert_allclose(getattr(a, f), getattr(b, f), atol=ATOL, err_msg=f)
    lo_a, hi_a = a.rv_range(range(d))
    lo_b, hi_b = b.rv_range(range(d))
    np.testing.assert_allclose(lo_a, lo_b, atol=ATOL)
    np.testing.assert_allclose(hi_a, hi_b, atol=ATOL)
    # spectrum: distinct values and multiplicities
    assert a.multiplicities == b.multiplicities
    scale = max(abs(x) for x in a.eigenvalues)
    np.testing.assert_allclose(a.eigenvalues, b.eigenvalues, atol=ATOL * max(scale, 1.0))


@pytest.mark.parametrize("method", st.METHODS)
@pytest.mark.parametrize("rare_axis", ["class-index", "extra"])
@pytest.mark.parametrize("n", [2, 3, 5])
def test_structured_equals_dense(method, rare_axis, n):
    d = 4 * n + 7
    model = DataModel(d=d, n_clients=n, rare_axis=rare_axis)
    for p in (0.15, 0.75) if ob.uses_mask_ratio(method) else (None,):
        for _, kw in _frameworks(n):
            a = st.solve(model, method, H=_H(method), p=p, **kw)
            b = st.solve_dense(model, method, H=_H(method), p=p, **kw)
            assert_same(a, b, d=d)


@pytest.mark.parametrize("n", [4, 8])
@pytest.mark.parametrize("method", ["cl", "mim", "mim-paper", "mim-recon"])
def test_structured_equals_dense_larger(n, method):
    d = 300 if n == 4 else 120
    model = DataModel(d=d, n_clients=n, rare_axis="class-index")
    for kw in ({"client": 1}, {}, {"weights": _graph_pi("ring", n)}):
        assert_same(
            st.solve(model, method, p=ob.p_for(method, 0.5), **kw),
            st.solve_dense(model, method, p=ob.p_for(method, 0.5), **kw),
            d=d,
        )


@pytest.mark.slow
def test_structured_equals_dense_d2000():
    model = DataModel(d=2000, n_clients=2)
    assert_same(st.solve(model, "cl"), st.solve_dense(model, "cl"), d=2000)


@pytest.mark.parametrize("H", ["identity", "block-sign-flip", "block-permutation"])
@pytest.mark.parametrize("rare_axis", ["class-index", "extra"])
def test_dissimilar_transforms_equal_dense(H, rare_axis):
    model = DataModel(d=30, n_clients=4, rare_axis=rare_axis)
    for _, kw in _frameworks(4):
        a = st.solve(model, "cl-dissimilar", H=H, **kw)
        b = st.solve_dense(model, "cl-dissimilar", H=H, **kw)
        assert_same(a, b, d=30)


def test_dissimilar_custom_transform_outside_signal_block():
    """αI + a rotation of e_1..e_c (c = 2N > |K| here) keeps the structure."""
    model = DataModel(d=40, n_clients=3, rare_axis="class-index")
    coords = tuple(range(model.c))
    q, _ = np.linalg.qr(np.random.default_rng(3).standard_normal((len(coords),) * 2))
    t = st.StructuredTransform(0.7, coords, q - 0.7 * np.eye(len(coords)))
    a = st.solve(model, "cl-dissimilar", H=t)
    b = st.solve_dense(model, "cl-dissimilar", H=t.to_dense(40))
    assert_same(a, b, d=40)


def test_blocks_match_dense_datamodel():
    """client_block + μ² I is the datamodel's E[x xᵀ] (independent construction)."""
    for rare_axis in ("class-index", "extra", "next-client", (5, 1, 6)):
        model = DataModel(d=11, n_clients=3, rare_axis=rare_axis)
        K = st.signal_coords(model)
        S = client_second_moment(model)
        D = st.client_block(model)
        for i in range(3):
            dense = st.BlockMatrix(11, model.mu**2, K, D[i]).to_dense()
            np.testing.assert_allclose(dense, S[i], atol=1e-13)


@pytest.mark.parametrize("method", ["cl", "mim", "mim-paper", "mim-independent"])
def test_untied_against_theory_solve(method):
    """Where the optimum is unique, RVs equal theory.solve's Eckart–Young + Def. 4.1."""
    model = DataModel(d=50, n_clients=4, rare_axis="extra")
    X = ob.population_targets(model, method)
    opt = so.optima(X, model.c)
    r = st.solve(model, method)
    if r.tied:
        pytest.skip("tied: theory.solve picks one optimum")
    ref = so.representability_vector(opt["fl"])
    lo, hi = r.rv_range(range(50))
    np.testing.assert_allclose(lo, ref, atol=1e-9)
    np.testing.assert_allclose(hi, ref, atol=1e-9)
    assert r.s_N[0] == pytest.approx(so.sensitivity_N(ref, 4), abs=1e-9)


def test_recon_against_theory_solve():
    model = DataModel(d=40, n_clients=3)
    uu, vu = ob.recon_moments(model)
    opt = so.recon_optima(uu, vu, model.c)
    for i in range(3):
        r = st.solve(model, "mim-recon", client=i)
        ref = so.representability_vector(opt["local"][i])
        np.testing.assert_allclose(r.rv_range(range(40))[0], ref, atol=1e-9)
        assert not r.tied


def test_any_d_no_large_arrays():
    for d in (10**12, 10**20):
        model = DataModel(d=d, n_clients=4)
        r = st.solve(model, "cl")
        assert r.d == d and sum(r.multiplicities) == d
        assert r.rv_min.shape == (len(r.coords),)
        assert r.rank == model.c
    with pytest.raises(ValueError, match="^d: "):
        st.solve(DataModel(d=10**12, n_clients=2), "cl").to_dense()


# ---------------------------------------------------------------------------------------------
# Ties: the optimal set against brute force over subspaces of the tied eigenspace
# ---------------------------------------------------------------------------------------------


def _random_optima(X: np.ndarray, c: int, tie_vals: float, rng, count: int):
    """Row spaces of random members of the optimal set (eigenvalue tie_vals is the tied one)."""
    lam, U = np.linalg.eigh(X)
    tied = np.abs(lam - tie_vals) <= 1e-9
    fixed = U[:, lam > tie_vals + 1e-9]
    T = U[:, tied]
    k = c - fixed.shape[1]
    for _ in range(count):
        Y, _ = np.linalg.qr(rng.standard_normal((T.shape[1], k)))
        yield np.concatenate([fixed, T @ Y], axis=1)


def test_tie_rest_and_singletons_bruteforce():
    """X = 0.5 I + block: a 2-dim coupled block above, singleton e_2 tied with the rest."""
    d, c = 12, 4
    B = np.zeros((4, 4))
    B[:2, :2] = [[2.0, 1.0], [1.0, 2.0]]  # eigenvalues 3, 1 (+0.5)
    B[3, 3] = 4.0
    X = st.BlockMatrix(d, 0.5, (0, 1, 2, 5), B)  # coordinate 2: B_22 = 0 -> value 0.5 (tied)
    r = st.solve_block(X, c, 3)
    assert r.tied and r.rank == c and r.exact
    rng = np.random.default_rng(0)
    dense = X.to_dense()
    lo, hi = r.rv_range(range(d))
    seen_lo, seen_hi = np.ones(d), np.zeros(d)
    for basis in _random_optima(dense, c, 0.5, rng, 300):
        rv = np.sum(basis**2, axis=1)
        assert np.all(rv >= lo - 1e-12) and np.all(rv <= hi + 1e-12)
        seen_lo, seen_hi = np.minimum(seen_lo, rv), np.maximum(seen_hi, rv)
        for J, (smin, smax) in ((range(3), r.s_N), (range(4), r.s_c)):
            s = np.ptp(rv[list(J)])
            assert smin - 1e-12 <= s <= smax + 1e-12
    # the bounds are attained: choose the tied direction on / off coordinate 2
    assert lo[2] == 0.0 and hi[2] == 1.0
    # e_1, e_2 are fixed at 1; e_3, e_4 share one tied dimension: both at 1/2 is the best
    assert r.s_c == pytest.approx((0.5, 1.0))
    dense_r = st.solve_matrix(dense, c, 3)
    np.testing.assert_allclose(dense_r.rv_range(range(d))[0], lo, atol=1e-12)
    np.testing.assert_allclose(dense_r.s_c, r.s_c, atol=1e-12)


def test_tie_inside_coupled_block_is_bracketed_or_exact():
    """A 3-fold tie inside a coupled component: per-coordinate bounds hold for random optima."""
    rng = np.random.default_rng(1)
    Q, _ = np.linalg.qr(rng.standard_normal((4, 4)))
    B = Q @ np.diag([5.0, 2.0, 2.0, 2.0]) @ Q.T
    X = st.BlockMatrix(9, 0.0, (0, 1, 2, 3), B)
    r = st.solve_block(X, 2, 4)
    assert r.tied and r.rank == 2
    lo, hi = r.rv_range(range(9))
    sN_seen = []
    for basis in _random_optima(X.to_dense(), 2, 2.0, rng, 400):
        rv = np.sum(basis**2, axis=1)
        assert np.all(rv >= lo - 1e-12) and np.all(rv <= hi + 1e-12)
        sN_seen.append(np.ptp(rv[:4]))
    assert r.s_N[0] <= min(sN_seen) + 1e-12 and max(sN_seen) <= r.s_N[1] + 1e-12
    assert max(sN_seen) > r.s_N[1] - 0.05  # the max is attained (up to sampling)
    if not r.exact:
        lower, upper = r.brackets["s_N"]
        assert lower <= min(sN_seen) + 1e-12


def test_tie_tolerance_rule():
    """Two eigenvalues δ apart are tied iff δ <= err_i + err_j (the stated rule)."""
    base = 1.0
    err = st.TIE_K * st.EPS * base  # singleton error bound for value 1 with a = 0
    for delta, want in ((0.5 * err, True), (1.5 * err, True), (3.0 * err, False), (1e-6, False)):
        X = st.BlockMatrix(6, 0.0, (0, 1, 2), np.diag([2.0, base, base + delta]))
        r = st.solve_block(X, 2, 2)
        assert r.tied is want, delta


def test_exact_ties_of_the_model_are_flagged():
    """CL at c = 2N with the class-index reading: |K| < c, so λ_c is the rest eigenvalue μ²."""
    model = DataModel(d=10**12, n_clients=4)
    r = st.solve(model, "cl")
    assert r.tied and r.rv_rest == (0.0, 1.0)
    r2 = st.solve(DataModel(d=10**12, n_clients=4, rare_axis="extra"), "cl")
    assert not r2.tied and r2.rv_rest == (0.0, 0.0)


@given(
    n_k=st_.integers(2, 5),
    extra=st_.integers(0, 6),
    c=st_.integers(1, 6),
    a=st_.sampled_from([0.0, 0.3, -0.2]),
    seed=st_.integers(0, 10**6),
    tie=st_.booleans(),
)
def test_block_matches_dense_property(n_k, extra, c, a, seed, tie):
    """solve_block == solve_matrix on random block matrices (with and without exact ties)."""
    rng = np.random.default_rng(seed)
    d = n_k + extra + 1
    c = min(c, d)
    vals = rng.integers(-3, 4, size=n_k).astype(float) if tie else rng.normal(size=n_k)
    if rng.random() < 0.5:  # a diagonal block: coordinate eigenvectors, exact ties with the rest
        B = np.diag(vals)
    else:
        Q, _ = np.linalg.qr(rng.standard_normal((n_k, n_k)))
        B = Q @ np.diag(vals) @ Q.T
    coords = tuple(sorted(rng.choice(d, size=n_k, replace=False).tolist()))
    X = st.BlockMatrix(d, a, coords, B)
    r = st.solve_block(X, c, min(2, d))
    ref = st.solve_matrix(X.to_dense(), c, min(2, d))
    assert r.rank == ref.rank and r.tied == ref.tied
    lo, hi = r.rv_range(range(d))
    lo2, hi2 = ref.rv_range(range(d))
    np.testing.assert_allclose(lo, lo2, atol=1e-8)
    np.testing.assert_allclose(hi, hi2, atol=1e-8)
    if r.exact and ref.exact:
        np.testing.assert_allclose(r.s_c, ref.s_c, atol=1e-8)
        np.testing.assert_allclose(r.gap, ref.gap, atol=1e-8)


# ---------------------------------------------------------------------------------------------
# Closed forms (sympy) against the numbers
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("n", [3, 4, 5, 6])
def test_mim_closed_form_rv(n):
    local, fl = symbolic.mim_hollow_rv(n)
    model = DataModel(d=10**9, n_clients=n, rare_axis="extra")
    for p in (0.15, 0.5, 0.9):
        r = st.solve(model, "mim", client=0, p=p)
        want = np.array([float(x) for x in local])
        np.testing.assert_allclose(r.rv_range(range(n))[0], want, atol=1e-12)
        g = st.solve(model, "mim", p=p)
        np.testing.assert_allclose(g.rv_range(range(n))[1], [float(x) for x in fl], atol=1e-12)
        assert r.rank == 1 and g.rank == 1 and not r.a5_met


def test_mim_closed_form_values():
    local, fl = symbolic.mim_hollow_rv(4)
    assert [str(x) for x in local] == ["0", "1/3", "1/3", "1/3"]
    assert [str(x) for x in fl] == ["1/4"] * 4


def test_mim_n2_target_is_zero():
    r = st.solve(DataModel(d=10**15, n_clients=2), "mim")
    assert r.rank == 0 and r.rv_rest == (0.0, 0.0) and not r.tied


# ---------------------------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"method": "pca"}, "method"),
        ({"method": "mim", "p": 1.0}, "p"),
        ({"method": "mim", "client": 9}, "client"),
        ({"method": "mim", "weights": [0.5, 0.5]}, "weights"),
        ({"method": "mim", "weights": "decl"}, "weights"),
        ({"method": "mim", "weights": "fl", "client": 0}, "weights"),
        ({"method": "cl-dissimilar", "H": "rotation"}, "H"),
        ({"method": "cl", "H": "block-rotation"}, "H"),
    ],
)
def test_bad_arguments_one_line(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}: ") as err:
        st.solve(DataModel(d=40, n_clients=4), **kwargs)
    assert "\n" not in str(err.value)


def test_model_type_checked():
    with pytest.raises(ValueError, match="^model: "):
        st.solve("model", "mim")


def test_weights_combination_is_linear():
    model = DataModel(d=10**10, n_clients=3)
    w = np.array([0.5, 0.3, 0.2])
    X = st.combined_target(model, "cl", weights=w)
    parts = [st.combined_target(model, "cl", client=i) for i in range(3)]
    np.testing.assert_allclose(
        X.B, sum(wi * P.B for wi, P in zip(w, parts, strict=True)), atol=1e-9
    )
    for i, j in itertools.product(range(3), range(3)):
        assert X.entry(i, j) == pytest.approx(
            sum(wi * P.entry(i, j) for wi, P in zip(w, parts, strict=True))
        )


# ---------------------------------------------------------------------------------------------
# Sweeps and the matrix-free dense rotation
# ---------------------------------------------------------------------------------------------


def test_d_grid_and_n_of_d():
    g = st.d_grid(1e2, 1e20, 19)
    assert g[0] == 100 and g[-1] == 10**20 and all(isinstance(x, int) for x in g)
    assert all(b > a for a, b in zip(g, g[1:], strict=False))
    assert st.n_of_d(10**20, 1.0) == 10 and st.n_of_d(10**4, 1.0) == 2
    assert st.n_of_d(10**20, 0.1) == 2  # never below 2


def test_d_sweep_matches_pointwise_solve():
    ds = [10**4, 10**9, 10**20]
    out = st.d_sweep("cl", ds, framework="decl", c_n=1.5, graph="star")
    for i, d in enumerate(ds):
        n = max(2, round(1.5 * d**0.05))
        assert out["n"][i] == n
        model = DataModel(d=d, n_clients=n)
        r = st.solve(model, "cl", weights=st.decl_weights("star", n))
        assert out["s_N"][i] == r.s_N and out["gap"][i] == r.gap and out["rank"][i] == r.rank


def test_d_sweep_is_fast():
    out = st.d_sweep("mim", framework="fl", c_n=1.0)
    assert out["d"][-1] == 10**20 and out["seconds"] < 10


def test_implicit_orthogonal_is_orthogonal_and_dense():
    H = st.ImplicitOrthogonal(64, 5)
    Hd = H.to_dense()
    np.testing.assert_allclose(Hd @ Hd.T, np.eye(64), atol=1e-13)
    np.testing.assert_allclose(H.apply(np.eye(64), transpose=True), Hd.T, atol=1e-13)
    assert np.all(np.abs(Hd) > 0)


@pytest.mark.parametrize("kw", [{}, {"client": 2}, {"weights": [0.4375, 0.1875, 0.1875, 0.1875]}])
def test_rotation_matrix_free_equals_dense(kw):
    model = DataModel(d=150, n_clients=4)
    H = st.ImplicitOrthogonal(150, 1)
    r = st.solve_rotation(model, rotation=H, steps=20, **kw)
    ref = st.solve_dense(model, "cl-dissimilar", H=H.to_dense(), **kw)
    assert not ref.tied and r["converged"] and r["rank"] == ref.rank
    np.testing.assert_allclose(r["rv"], ref.rv_range(range(8))[0], atol=1e-9)
    assert r["gap"] == pytest.approx(ref.gap[0], abs=1e-9)
    np.testing.assert_allclose(r["eigenvalues"][:8], ref.eigenvalues[:8], atol=1e-9)
    assert r["trH"] == pytest.approx(np.trace(H.to_dense()[:8, :8]), abs=1e-12)
