"""Eq. (3) optima with free encoder rows (issue: a regression of rank r < c called unique).

Eq. (3) fixes only the product W_d W_e; where the reduced-rank regression has rank r < c the
other c − r encoder rows are free. The oracle here is the loss itself: an encoder that adds the
direction of e_j to the regression's row space, with a decoder that ignores it, attains the
optimal loss, so r_j = 1 is attained over the optimal set whatever the solver picked.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from theory import claims as cl
from theory import objectives as ob
from theory import solutions, structured
from theory import solve as so
from theory.claims_model import VerifyConfig
from theory.datamodel import DataModel


def _loss(We, Wd, uu, vu, vv) -> float:
    """E‖W_d W_e u − v‖² from the moments (theory.objectives.recon_moments)."""
    B = Wd @ We
    return float(np.trace(B @ uu @ B.T) - 2 * np.trace(B @ vu.T) + np.trace(vv))


@pytest.fixture(scope="module")
def fl_moments():
    model = DataModel(d=24, n_clients=4)
    uu, vu, vv = ob.recon_moments(model, p=0.75, with_vv=True)
    return model, uu.mean(0), vu.mean(0), vv.mean(0)


def test_free_row_attains_the_optimal_loss(fl_moments):
    """The oracle: the pick plus e_j's direction (decoder weight 0) is optimal and has r_j = 1."""
    model, uu, vu, vv = fl_moments
    c = model.c
    We, Wd, sv = so.recon_optimum(uu, vu, c)
    r = int(np.sum(sv[:c] > 1e-12 * sv[0]))
    assert r < c  # the premise of this test: a regression of rank below c
    best = _loss(We, Wd, uu, vu, vv)
    R = np.linalg.qr(We[:r].T)[0]  # (d, r) orthonormal row space of the pick
    j = model.n_clients + 1  # a coordinate outside [N], where the pick has r_j = 0
    f_j = float(np.sum(R[j] ** 2))
    e = np.zeros(model.d)
    e[j] = 1.0
    w = e - R @ (R.T @ e)
    We2 = We.copy()
    We2[r] = w / np.linalg.norm(w)  # one free row along e_j's new direction
    Wd2 = Wd.copy()
    Wd2[:, r] = 0.0
    assert abs(_loss(We2, Wd2, uu, vu, vv) - best) <= 1e-12 * max(1.0, abs(best))
    R2 = np.linalg.qr(We2[: r + 1].T)[0]
    assert f_j < 1e-12 and abs(float(np.sum(R2[j] ** 2)) - 1.0) < 1e-12
    # the verdicts' solver and the structured one both contain that point
    sol = solutions.solve_recon(uu, vu, c, coords=model.d)
    assert sol.free == c - r and sol.is_set
    assert sol.lo[j] <= f_j + 1e-12 and sol.hi[j] >= 1.0 - 1e-12
    assert np.max(sol.samples[:, j]) >= 1.0 - 1e-9  # a sampled member attains it
    opt = structured.solve(model, "mim-recon", weights="fl")
    lo, hi = opt.rv_range([j])
    assert opt.free_rows == c - r and lo[0] <= 1e-12 and hi[0] >= 1.0 - 1e-12


def test_rule_before_is_the_pick_alone(fl_moments):
    model, uu, vu, _ = fl_moments
    new = solutions.solve_recon(uu, vu, model.c, coords=model.c)
    old = solutions.solve_recon(uu, vu, model.c, coords=model.c, free_rows=False)
    assert old.free == 0 and not old.is_set and old.samples.shape[0] == 1
    np.testing.assert_array_equal(old.rv, new.rv)
    np.testing.assert_array_equal(new.samples[0], old.samples[0])


def test_structured_matches_dense_oracle_on_the_set():
    """RV intervals of the structured solver against the dense d×d oracle (solve_dense)."""
    model = DataModel(d=40, n_clients=3)
    for w in ("fl", None):
        kw = {"weights": w} if w else {"client": 1}
        a = structured.solve(model, "mim-recon", **kw)
        b = structured.solve_dense(model, "mim-recon", **kw)
        assert a.free_rows == b.free_rows == model.c - a.rank > 0
        J = range(model.c)
        for x, y in zip(a.rv_range(J), b.rv_range(J), strict=True):
            np.testing.assert_allclose(x, y, atol=1e-10)
        for f in ("s_N", "s_c", "gap"):
            np.testing.assert_allclose(getattr(a, f), getattr(b, f), atol=1e-10)


def test_exact_command_reports_the_set(capsys):
    """`dssl exact --method mim-recon --d 400`: rank 3 < c = 8 locally; the RVs are intervals."""
    import json

    from sims.cli import main

    assert main(["exact", "--json", "--method", "mim-recon", "--d", "400"]) == 0
    out = json.loads(capsys.readouterr().out)
    loc = out["local"][0]
    assert loc["rank"] < out["c"] and loc["free_rows"] == out["c"] - loc["rank"]
    assert loc["a5_rank_equals_c"]
    assert any(hi - lo > 0.5 for lo, hi in zip(loc["rv_min"], loc["rv_max"], strict=True))


def test_map_cell_carries_the_word_before():
    """An Eq. 3 cell whose old (pick-only) word differed carries it; no word is asserted."""
    from sims.verdict_map.cells import DEFAULT, _cells_at

    cfg = dataclasses.replace(DEFAULT, d=400)
    cells = _cells_at(cfg, 0.75, 4, "class-index", ("thm4.4",))
    eq3 = [c for c in cells if "eq3-reconstruction" in c["reading"].values()]
    other = [c for c in cells if "eq3-reconstruction" not in c["reading"].values()]
    assert eq3 and all("verdict_without_free_rows" in c["numbers"] for c in eq3)
    assert not any("verdict_without_free_rows" in c["numbers"] for c in other)
    vcfg = dataclasses.replace(cfg.verify_config(4, 0.75, "class-index"), free_rows=False)
    for c in eq3[:3]:
        old = cl.evaluate_reading(vcfg, "thm4.4", c["reading"])["track_b"].verdict
        assert c["numbers"]["verdict_without_free_rows"] == old


def test_free_rows_field_validated():
    with pytest.raises(ValueError, match="free_rows: must be True or False"):
        VerifyConfig(free_rows="yes")


# ----------------------------------------------------------------------------------------------
# T7: RVs proved by an invariant block (issue 37, item 5)
# ----------------------------------------------------------------------------------------------
def _block_target(rng, sizes, top):
    """A symmetric matrix of decoupled blocks; the blocks in ``top`` have eigenvalues 10-20,
    the others 0-1."""
    d = sum(sizes)
    X = np.zeros((d, d))
    at = 0
    for b, n in enumerate(sizes):
        q = np.linalg.qr(rng.standard_normal((n, n)))[0]
        lam = rng.uniform(10, 20, n) if b in top else rng.uniform(0, 1, n)
        X[at : at + n, at : at + n] = (q * lam) @ q.T
        at += n
    return X


def test_certificate_against_eigh():
    """Decoupled blocks: the top block is proved at r = 1 (s = 0), and eigh agrees."""
    rng = np.random.default_rng(0)
    X = _block_target(rng, (3, 4, 5), top=(0,))
    sol = solutions.solve_target(X, 4, coords=12)
    assert np.all(sol.certified[:3] == 0.0) and np.all(np.isnan(sol.certified[3:]))
    np.testing.assert_allclose(sol.rv[:3], 1.0, atol=1e-12)
    v = solutions.min_rv(sol, range(3))
    assert v.certified and v.point == 1.0 and v.tol == 0.0


def test_certificate_is_a_bound_under_coupling():
    """Davis-Kahan: with a coupling E above δλ, the proved s still bounds 1 - r_j from eigh,
    over random draws (no certificate claimed where the gap is too small)."""
    rng = np.random.default_rng(1)
    for _ in range(40):
        X = _block_target(rng, (2, 3, 4), top=(0,))
        E = np.zeros_like(X)
        E[:2, 2:] = rng.normal(scale=10 ** rng.uniform(-14, -1), size=(2, 7))
        X = X + E + E.T
        dl = 9 * np.finfo(float).eps * np.linalg.norm(X, 2)
        s = solutions.certify_top(X, 3, 9, dl, 0.0)
        lam, vec = np.linalg.eigh(X)
        r = np.sum(vec[:, -3:] ** 2, axis=1)
        for j in np.nonzero(np.isfinite(s))[0]:
            assert r[j] >= 1.0 - s[j] - 1e-13


def test_thm43_word_does_not_move_with_n_through_solver_tolerance():
    """The defect: under dissimilar-identity r = 1 exactly and 1 - LB ~ 2.5e-10, and the word
    moved with N once δr (T3) grew past that. Now the RV is proved and the word is the same at
    every N; without the certificate (the rule before) it moves. No word is asserted."""
    from sims.verdict_map.cells import DEFAULT

    reading = {"cl": "dissimilar-identity"}
    words, before = set(), set()
    for n in (3, 20):
        cfg = DEFAULT.verify_config(n, 0.75, "class-index")
        b = cl.evaluate_reading(cfg, "thm4.3.fl", reading)["track_b"]
        assert b.numbers["min_rv"].get("certified") is True
        words.add(b.verdict)
        old = dataclasses.replace(cfg, certify=False)
        before.add(cl.evaluate_reading(old, "thm4.3.fl", reading)["track_b"].verdict)
    assert len(words) == 1 and len(before) == 2


def test_sampled_frames_do_not_depend_on_the_basis_the_solver_returned():
    """A tied eigenspace or a projector's range has no preferred orthonormal basis, and LAPACK
    builds return different ones; the sampled members of the optimal set (row norms of T K,
    and the span of a random frame) must be the same for T and T R, R any rotation."""
    rng = np.random.default_rng(3)
    d, q, k, m = 12, 5, 2, 4
    T = np.linalg.qr(rng.standard_normal((d, q)))[0]
    R = np.linalg.qr(rng.standard_normal((q, q)))[0]
    rows = [
        np.sum(np.matmul(B[:m][None], solutions._frames(B, k, m, np.random.default_rng(0))) ** 2, 2)
        for B in (T, T @ R)
    ]
    np.testing.assert_allclose(rows[0], rows[1], atol=1e-12)
    spans = [solutions._random_frame(np.random.default_rng(0), B, k) for B in (T, T @ R)]
    np.testing.assert_allclose(spans[0] @ spans[0].T, spans[1] @ spans[1].T, atol=1e-12)


def test_a_tied_optimum_samples_the_same_rvs_for_any_eigenbasis_of_the_tie():
    """solve_target on X and on X's tie rotated inside its eigenspace (the same matrix up to
    rounding, another eigenbasis): the sampled members agree (row 0 is the solver's own pick,
    which is whichever eigenbasis it returned)."""
    X = np.diag([4.0, 2.0, 2.0, 2.0, 0.5, 0.1])
    R = np.eye(6)
    R[1:4, 1:4] = np.linalg.qr(np.random.default_rng(1).standard_normal((3, 3)))[0]
    a = solutions.solve_target(X, 2, coords=4)
    b = solutions.solve_target(R @ X @ R.T, 2, coords=4)
    assert a.tied and b.tied
    np.testing.assert_allclose(a.samples[1:], b.samples[1:], atol=1e-10)
