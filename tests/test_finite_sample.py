"""theory.finite_sample: exact-in-law statistics, the Krylov solver against dense eigh, seeds."""

import numpy as np
import pytest

from theory import finite_sample as fs
from theory import solutions
from theory import structured as st
from theory.datamodel import DataModel, client_second_moment
from theory.finite_sample._solvers import _cg_solve

KAPPA = 0.75 * 0.25


def _dense_target(S: np.ndarray, method: str, model: DataModel, H=None) -> np.ndarray:
    if method == "cl":
        return S
    if method == "mim":
        return KAPPA * (S - np.diag(np.diag(S)))
    if method == "mim-independent":
        return KAPPA * S
    if method == "mim-paper":
        return 2 * KAPPA * np.diag(np.diag(S))
    if H == fs.FULL_ROTATION:
        Hd = st.ImplicitOrthogonal(model.d, 0).to_dense()
        return 0.5 * (Hd @ S + S @ Hd.T)
    Hd = st.structured_transform(H, model).to_dense(model.d)
    return 0.5 * (Hd @ S + S @ Hd.T)


CASES = [(m, "block-rotation" if m == "cl-dissimilar" else None) for m in fs.METHODS]
CASES = [c for c in CASES if c[0] != "mim-recon"] + [("cl-dissimilar", fs.FULL_ROTATION)]


@pytest.mark.parametrize("method, H", CASES)
def test_krylov_matches_dense_eigh(method, H):
    """RVs of the matrix-free optimum == dense eigh of the same statistics (float32 products);
    ``rotation-full``: the dense rotation of all d axes applied matrix-free."""
    model = DataModel(d=48, n_clients=4)
    star = np.array([0.4375, 0.1875, 0.1875, 0.1875])
    out = fs.track_b_samples(
        model, method, m=120, seeds=[5], H=H, steps=6, decl={"star": star}, abar={"star": 2.5}
    )
    S = [fs.client_statistic(model, i, 120, 5).to_dense() for i in range(4)]
    for name, w in (("fl", np.full(4, 0.25)), ("local2", np.eye(4)[2]), ("star", star)):
        X = sum(wi * _dense_target(Si, method, model, H) for wi, Si in zip(w, S, strict=True))
        ref = st.solve_matrix(X, model.c, 4)
        assert not ref.tied
        lo, _ = ref.rv_range(range(48))
        np.testing.assert_allclose(out[name]["rv"][0], lo[:8], atol=1e-5)
        assert out[name]["subspace_bound"][0] < 1e-3
        assert out[name]["rank"][0] == ref.rank


def test_recon_matches_dense_reduced_rank_regression():
    """Eq. (3) on finite samples (Krylov on Σ_vu Σ_uu⁻¹ Σ_uv, CG solves) == the dense
    reduced-rank regression of theory.solutions.solve_recon on the same statistics (M ≥ d)."""
    model = DataModel(d=48, n_clients=4)
    star = np.array([0.4375, 0.1875, 0.1875, 0.1875])
    out = fs.track_b_samples(model, "mim-recon", m=120, seeds=[5], steps=6, decl={"star": star})
    S = [fs.client_statistic(model, i, 120, 5).to_dense() for i in range(4)]
    for name, w in (("fl", np.full(4, 0.25)), ("local2", np.eye(4)[2]), ("star", star)):
        Sw = sum(wi * Si for wi, Si in zip(w, S, strict=True))
        D = np.diag(np.diag(Sw))
        ref = solutions.solve_recon(0.0625 * Sw + KAPPA * D, KAPPA * (Sw - D), model.c)
        assert not ref.tied
        np.testing.assert_allclose(out[name]["rv"][0], ref.rv[:8], atol=1e-5)
        assert out[name]["subspace_bound"][0] < 1e-3
        assert out[name]["rank"][0] == ref.rank


def test_cg_solve_is_the_inverse():
    rng = np.random.default_rng(0)
    A = rng.standard_normal((30, 30))
    B = A @ A.T + 30 * np.eye(30)
    Y = rng.standard_normal((30, 3))
    X, it = _cg_solve(lambda V: B @ V, Y, np.diag(B).copy())
    np.testing.assert_allclose(B @ X, Y, atol=1e-6)
    assert it < fs.CG_MAX_ITER


@pytest.mark.parametrize("method, H", [("mim-recon", None), ("cl-dissimilar", "rotation-full")])
def test_fraction_meeting_bound_new_readings(method, H):
    """The fraction of seeds meeting the bound is the mean of min r ≥ LB over the seeds."""
    model = DataModel(d=40, n_clients=3)
    out = fs.track_b_samples(model, method, beta=1.0, seeds=3, H=H)
    for key in ("fl", "local"):
        frac, lb = out[key]["fraction_meeting_bound"], out[key]["bound"]
        if out["config"]["bound_defined"]:
            assert frac == np.mean(np.asarray(out[key]["min_rv"]) >= lb)
        else:  # tr(P_c H_sym P_c) <= 0: the dissimilar bound has no value
            assert frac is None and lb is None
    if H is not None:  # tr(P_c H_sym P_c) of the dense rotation, not of a block transform
        Hd = st.ImplicitOrthogonal(40, 0).to_dense()
        assert out["config"]["trH"] == pytest.approx(np.trace(Hd[: model.c, : model.c]))
        assert out["config"]["transform"] == "rotation-full"


def test_statistic_apply_is_its_dense_matrix():
    model = DataModel(d=20, n_clients=3)
    stat = fs.client_statistic(model, 1, 40, 0)
    S = stat.to_dense()
    np.testing.assert_allclose(S, S.T, atol=1e-6)
    np.testing.assert_allclose(np.diag(S), stat.diagonal(), rtol=1e-5)
    assert np.linalg.eigvalsh(S).min() > -1e-6  # a second moment is PSD


def test_bartlett_moments():
    """L Lᵀ has the Wishart_d(n, I) mean n·I and entry variances n (off) and 2n (diagonal)."""
    rng = np.random.default_rng(0)
    d, n, reps = 4, 7, 6000
    W = np.stack([(L := fs.bartlett_factor(d, n, rng, np.float64)) @ L.T for _ in range(reps)])
    np.testing.assert_allclose(W.mean(0), n * np.eye(d), atol=0.25)
    var = W.var(0)
    np.testing.assert_allclose(np.diag(var), 2 * n, rtol=0.1)
    off = var[~np.eye(d, dtype=bool)]
    np.testing.assert_allclose(off, n, rtol=0.1)
    # singular case n < d: rank n
    L = fs.bartlett_factor(6, 3, rng, np.float64)
    assert L.shape == (6, 3) and np.linalg.matrix_rank(L @ L.T) == 3


def test_statistic_mean_is_population_moment():
    """E[S] over seeds equals the population E[x xᵀ] (theory.datamodel, independent)."""
    model = DataModel(d=10, n_clients=3, tau=1.5, mu=0.5, rare_fraction=0.2)
    S = np.mean([fs.client_statistic(model, 0, 60, s).to_dense() for s in range(400)], axis=0)
    pop = client_second_moment(model)[0]
    np.testing.assert_allclose(S, pop, atol=0.06)


def test_seeds_deterministic_and_distinct():
    model = DataModel(d=30, n_clients=2)
    a = fs.track_b_samples(model, "cl", m=40, seeds=[1, 2])
    b = fs.track_b_samples(model, "cl", m=40, seeds=[1, 2])
    np.testing.assert_array_equal(a["fl"]["rv"], b["fl"]["rv"])
    assert not np.array_equal(a["fl"]["rv"][0], a["fl"]["rv"][1])


def test_output_shapes_and_bound_fraction():
    model = DataModel(d=40, n_clients=3)
    out = fs.track_b_samples(model, "mim", beta=1.0, seeds=3)
    assert out["config"]["m"] == 40 and out["local"]["min_rv"].shape == (3, 3)
    for key in ("fl", "local"):
        frac = out[key]["fraction_meeting_bound"]
        assert 0.0 <= frac <= 1.0 and 0.0 < out[key]["bound"] <= 1.0
        assert frac == np.mean(np.asarray(out[key]["min_rv"]) >= out[key]["bound"])


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"method": "mim-reconstruction"}, "method"),
        ({"method": "cl-dissimilar", "H": st.ImplicitOrthogonal(7)}, "H"),
        ({"method": "mim", "beta": 0.5}, "beta"),
        ({"method": "mim", "m": 3}, "m"),
        ({"method": "mim", "seeds": 0}, "seeds"),
        ({"method": "mim", "decl": {"g": [1.0, 0.0]}}, "decl"),
        ({"method": "mim", "decl": {"fl": [0.5, 0.25, 0.25]}}, "decl"),
        ({"method": "mim", "decl": {"local1": [0.5, 0.25, 0.25]}}, "decl"),
        ({"method": "mim", "decl": {"local": [0.5, 0.25, 0.25]}}, "decl"),
        ({"method": "mim", "decl": {"config": [0.5, 0.25, 0.25]}}, "decl"),
        ({"method": "mim", "p": 0.0}, "p"),
    ],
)
def test_bad_arguments(kwargs, field):
    with pytest.raises(ValueError, match=f"^{field}: "):
        fs.track_b_samples(DataModel(d=20, n_clients=3), **kwargs)


def test_beta_sets_m_and_cost_does_not_grow_with_m():
    """M = round(d^β); the statistic has O(d²) entries whatever M (Bartlett factor)."""
    model = DataModel(d=50, n_clients=2)
    out = fs.track_b_samples(model, "cl", beta=1.2, seeds=1)
    assert out["config"]["m"] == round(50**1.2)
    small = fs.client_statistic(model, 0, 60, 0)
    large = fs.client_statistic(model, 0, 60_000, 0)
    size = lambda s: sum(b.size for _, b in s.chunks)  # noqa: E731
    assert size(large) <= 50 * 50 and size(small) <= 50 * 50
    # a large M concentrates S around the population moment
    pop = client_second_moment(model)[0]
    err_small = np.abs(small.to_dense() - pop).max()
    err_large = np.abs(large.to_dense() - pop).max()
    assert err_large < err_small
