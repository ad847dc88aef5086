"""Track C evidence (sims.trackc.evidence): structure, numbers against independent recomputation,
and verdicts as functions of the numbers. No test asserts a claim of the paper."""

from __future__ import annotations

import json

import numpy as np
import pytest

from sims import metrics as mt
from sims.core.config import key_tree
from sims.core.engine import make_engine
from sims.core.problem import make_problem
from sims.trackc import evidence as ev
from sims.trackc.engine_config import EngineConfig
from theory import bounds, objectives, solve
from theory.claims import CLAIM_IDS, VERDICTS, Evidence, VerifyConfig

CFG = VerifyConfig(d=24, n_clients=3, d_sweep=(24,))
SETTINGS = ev.EvidenceSettings(rounds=12, local_steps=2, batch=16, samples_per_client=64, seeds=2)


@pytest.fixture(scope="module")
def runs():
    return ev.track_c_runs(CFG, settings=SETTINGS, seed=0)


@pytest.fixture(scope="module")
def evidence(runs):
    return ev.evidence_from_runs(runs)


def _wbar(runs, method, name):
    return runs["models"][method][runs["runs"].index(name)].mean(axis=1)  # (S, c, d)


def _rv_oracle(W):
    """RV on the significant row space via theory.solve (NumPy SVD), same threshold."""
    return solve.representability_vector(W, rel_tol=mt.RV_REL_TOL)


def test_every_claim_has_evidence_with_a_verdict_word(evidence):
    assert tuple(evidence) == CLAIM_IDS
    for cid, e in evidence.items():
        assert isinstance(e, Evidence), cid
        assert e.verdict in VERDICTS
        json.dumps(e.to_dict(), allow_nan=False)  # JSON-ready, finite


def test_run_layout(runs):
    n, c, d = CFG.n_clients, CFG.model().c, CFG.d
    assert runs["runs"][:3] == ["local", "fl", "decl"]
    assert runs["runs"][-1] == "sweep-complete"
    for method in ("mim", "cl"):
        assert runs["models"][method].shape == (len(runs["runs"]), SETTINGS.seeds, n, c, d)
        assert np.all(np.isfinite(runs["models"][method]))
    # FL / local runs: after mixing with J every client holds the same model
    fl = runs["models"]["mim"][runs["runs"].index("fl")]
    np.testing.assert_allclose(fl, np.broadcast_to(fl[:, :1], fl.shape), atol=1e-6)


def test_global_rv_numbers_equal_recomputation(runs, evidence):
    n = CFG.n_clients
    for cid, method, name in (("thm4.2.fl", "mim", "fl"), ("thm4.3.decl", "cl", "decl")):
        rvs = np.stack([_rv_oracle(W) for W in _wbar(runs, method, name)])
        got = evidence[cid].numbers[method]
        np.testing.assert_allclose(got["rv_N"], rvs[:, :n].mean(0), atol=1e-8)
        np.testing.assert_allclose(got["min_rv"], rvs[:, :n].min(1).mean(), atol=1e-8)
        # energy RV = ‖W e_k‖² / ‖W‖_F² (plain NumPy)
        W = _wbar(runs, method, name)
        erv = np.stack([(w**2).sum(0) / (w**2).sum() for w in W])
        np.testing.assert_allclose(got["rv_energy_N"], erv[:, :n].mean(0), atol=1e-8)


def test_local_rv_numbers_equal_recomputation(runs, evidence):
    n = CFG.n_clients
    W = runs["models"]["mim"][runs["runs"].index("local")]  # (S, N, c, d)
    rv = np.array([[_rv_oracle(w)[:n] for w in per_seed] for per_seed in W])
    got = evidence["thm4.2.local"].numbers["mim"]
    np.testing.assert_allclose(got["rv_N"], rv.mean(0), atol=1e-8)
    worst = [min(rv[s, i, k] for i in range(n) for k in range(n) if k != i) for s in range(2)]
    np.testing.assert_allclose(got["min_rv"], np.mean(worst), atol=1e-8)


def test_lower_bounds_equal_track_a_formula(evidence):
    abar = evidence["thm4.2.decl"].numbers["abar"]
    lb = float(bounds.lower_bound("mim", "decl", d=CFG.d, p=CFG.p, abar=abar, n=CFG.n_clients))
    assert evidence["thm4.2.decl"].numbers["mim"]["lower_bound"] == pytest.approx(lb, rel=1e-12)
    lb = float(bounds.lower_bound("cl_similar", "local", d=CFG.d, p=CFG.p, n=CFG.n_clients))
    assert evidence["thm4.3.local"].numbers["cl"]["lower_bound"] == pytest.approx(lb, rel=1e-12)


def _angle_oracle(W, X, r):
    """Largest principal angle between the top-r right singular space of W and the top-r
    eigenspace of X, via theory.solve.principal_angles (cosine / sine SVD of the bases)."""
    V = np.linalg.eigh(X)[1][:, ::-1][:, :r]
    U = np.linalg.svd(W, full_matrices=False)[2][:r].T
    return float(np.max(solve.principal_angles(U, V)))


def test_eq17_angles_equal_recomputation(runs, evidence):
    num = evidence["eq17"].numbers
    model = CFG.model()
    exact = objectives.population_targets(model, "mim", p=CFG.p).mean(0)
    paper = objectives.population_targets(model, "mim-paper", p=CFG.p).mean(0)
    Ws = _wbar(runs, "mim", "fl")
    a_e = [_angle_oracle(W, exact, num["identifiable_rank_exact"]) for W in Ws]
    a_p = [_angle_oracle(W, paper, num["identifiable_rank_paper"]) for W in Ws]
    np.testing.assert_allclose(num["angles_to_exact_per_seed"], a_e, atol=1e-6)
    np.testing.assert_allclose(num["angles_to_paper_per_seed"], a_p, atol=1e-6)
    assert evidence["eq17"].verdict == ev.subspace_verdict(
        num["angle_to_paper_eq17"], num["angle_to_exact_hollow"]
    )


def test_sensitivity_numbers_equal_recomputation(runs, evidence):
    n = CFG.n_clients
    num = evidence["thm4.6"].numbers
    for method in ("mim", "cl"):
        for key, name in (("s_dec_N", "decl"), ("s_fed_N", "fl")):
            s = [np.ptp(_rv_oracle(W)[:n]) for W in _wbar(runs, method, name)]
            assert num[method][key] == pytest.approx(np.mean(s), abs=1e-8)


def test_fl_run_equals_engine_fedavg_with_all_clients(runs):
    """The J-mixing run is the engine's FedAvg with S = N, uniform weights (same keys)."""
    s = SETTINGS
    model = CFG.model()
    config = EngineConfig(
        method="mim",
        framework="fl",
        n_clients=CFG.n_clients,
        d=CFG.d,
        c=model.c,
        p=CFG.p,
        lr=s.lr,
        local_steps=s.local_steps,
        batch=s.batch,
        rounds=s.rounds,
        init_scale=s.init_scale,
        lr_schedule=s.lr_schedule,
        dtype=s.dtype,
    )
    prob = make_problem(config, runs["targets"]["mim"], x=runs["sample"])
    state, _ = make_engine(config).run(prob, key=key_tree(0)["root"])
    got = runs["models"]["mim"][runs["runs"].index("fl"), 0]
    np.testing.assert_allclose(np.asarray(state.params, np.float64), got, rtol=1e-4, atol=1e-6)


# ---------------------------------------------------------------------------------------------
# verdicts are functions of the numbers


def test_bound_verdict_follows_numbers():
    assert ev.bound_verdict(0.5, 0.9) == "violated"
    assert ev.bound_verdict(0.95, 0.9) == "holds"
    assert ev.bound_verdict(0.88, 0.9, slack=0.05) == "degenerate"  # equal within tolerance
    assert ev.bound_verdict(0.5, -0.1) == "degenerate"  # invalid bound (R2)
    assert ev.bound_verdict(0.5, float("nan")) == "degenerate"
    assert ev.bound_verdict(0.5, 0.0) == "degenerate"  # vacuous bound


def test_order_subspace_and_trend_verdicts_follow_numbers():
    assert ev.order_verdict([(0.1, 0.2)], tol=0.02, strict=True) == "holds"
    assert ev.order_verdict([(0.1, 0.2), (0.3, 0.2)], tol=0.02, strict=True) == "violated"
    assert ev.order_verdict([(0.21, 0.2)], tol=0.02, strict=False) == "degenerate"
    assert ev.order_verdict([(0.21, 0.2)], tol=0.0, strict=False) == "violated"
    assert ev.order_verdict([(0.2, 0.2)], tol=0.0, strict=True) == "degenerate"  # 0 vs 0 alike
    assert ev.subspace_verdict(0.01, 1.5) == "holds"
    assert ev.subspace_verdict(1.5, 0.01) == "violated"
    assert ev.subspace_verdict(float("nan"), 0.01) == "violated"
    verdict, flags = ev.trend_verdict({"a": [0.3, 0.2, 0.1], "b": [0.1, 0.1, 0.1]}, tol=0.01)
    # "b" is flat within tolerance: the pair is degenerate (R6 + R5); the old rule said holds
    assert verdict == "degenerate" and flags["a"]["verdict"] == "holds"
    assert flags["b"]["verdict"] == "degenerate" and flags["old_rule_verdict"] == "holds"
    assert ev.trend_verdict({"a": [0.1, 0.3, 0.05]}, tol=0.01)[0] == "violated"
    assert ev.trend_verdict({"a": [0.1, 0.1]}, tol=0.01)[0] == "degenerate"


def _with_models(runs, method, name, W):
    """A copy of ``runs`` whose run ``name`` of ``method`` holds the encoder W on every client."""
    models = {k: val.copy() for k, val in runs["models"].items()}
    models[method][runs["runs"].index(name)] = np.broadcast_to(
        W, models[method][runs["runs"].index(name)].shape
    )
    return {**runs, "models": models}


def test_injected_models_flip_the_verdicts(runs):
    model = CFG.model()
    paper = objectives.population_targets(model, "mim-paper", p=CFG.p).mean(0)
    exact = objectives.population_targets(model, "mim", p=CFG.p).mean(0)
    # FL model := the paper's Eq. 17 optimum -> eq17 holds; := the exact optimum -> violated
    on_paper = ev.evidence_from_runs(
        _with_models(runs, "mim", "fl", solve.eckart_young_np(paper, model.c))
    )
    assert on_paper["eq17"].verdict == "holds"
    assert on_paper["eq17"].numbers["angle_to_paper_eq17"] < 1e-6
    on_exact = ev.evidence_from_runs(
        _with_models(runs, "mim", "fl", solve.eckart_young_np(exact, model.c))
    )
    assert on_exact["eq17"].verdict == "violated"
    assert on_exact["eq17"].numbers["angle_to_exact_hollow"] < 1e-6
    # an encoder whose row space contains e_1..e_N has RV 1 there: the bound verdict is "holds"
    W = np.zeros((model.c, CFG.d))
    W[np.arange(CFG.n_clients), np.arange(CFG.n_clients)] = 1.0
    full = ev.evidence_from_runs(_with_models(runs, "mim", "fl", W))
    assert full["thm4.2.fl"].numbers["mim"]["min_rv"] == pytest.approx(1.0)
    assert full["thm4.2.fl"].verdict == "holds"
    # ... and one with a single direction e_1 has RV 0 on e_2: "violated"
    W1 = np.zeros((model.c, CFG.d))
    W1[0, 0] = 1.0
    one = ev.evidence_from_runs(_with_models(runs, "mim", "fl", W1))
    assert one["thm4.2.fl"].numbers["mim"]["min_rv"] == pytest.approx(0.0)
    assert one["thm4.2.fl"].verdict == "violated"


def test_eq89_one_computation_is_decided_by_construction(runs, evidence):
    """Eq. 89 on the complete graph: the stage says DecL and FL are one computation when they
    mix with one matrix (within R12's 4ε), never by comparing the trained numbers (which made
    the note appear at some N only): a 1-ulp change of the matrix keeps it, a real one drops
    it, and trained models that differ do not decide it."""
    import copy

    cells = [c for c in evidence["thm4.6.eq89"].numbers.values() if isinstance(c, dict)]
    assert cells and all(c["identical_runs"] is True for c in cells if "s_dec_N" in c)
    W = np.zeros((CFG.model().c, CFG.d))
    W[0, 0] = 1.0
    other = ev.evidence_from_runs(_with_models(runs, "mim", "fl", W))
    assert other["thm4.6.eq89"].numbers["mim"]["identical_runs"] is True
    for change, same in ((np.spacing(1.0), True), (1e-3, False)):
        moved = copy.copy(runs)
        moved["graphs"] = {k: dict(g) for k, g in runs["graphs"].items()}
        w = np.array(moved["graphs"]["fl"]["mixing"], dtype=np.float64)
        w[0, 0] += change
        w[0, 1] -= change
        moved["graphs"]["fl"]["mixing"] = w
        got = ev.evidence_from_runs(moved)["thm4.6.eq89"].numbers["mim"]["identical_runs"]
        assert got is same


def test_the_measures_are_float64_whatever_the_callers_x64():
    """``dssl verify --simulate`` measures the trained models with x64 off: the RVs are still
    float64, the same numbers as under x64 (no float32 truncation)."""
    import jax

    from sims.trackc import measures

    W = np.random.default_rng(0).standard_normal((3, 8))
    with jax.enable_x64(False):
        off = measures._rv(W), measures._erv(W)
    with jax.enable_x64(True):
        on = measures._rv(W), measures._erv(W)
    for a, b in zip(off, on, strict=True):
        assert a.dtype == np.float64 and np.array_equal(a, b)
