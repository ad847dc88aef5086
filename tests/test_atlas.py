"""The graph atlas study (theory.atlas): enumeration against known counts, π / |Ā| / λ₂ on
hand-built graphs, Eq. 87's comparison recomputed on the dense model, the vectorised R6 against
the reference rule. Tests the computation, never that Cor 4.5 or Thm 4.6 holds."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from theory import atlas, objectives, topology
from theory import claims as cl
from theory import verdicts as vd

# connected graphs on n = 1..7 unlabeled nodes (OEIS A001349)
CONNECTED = {1: 1, 2: 1, 3: 2, 4: 6, 5: 21, 6: 112, 7: 853}


def test_enumeration_count_matches_known_and_networkx():
    graphs = atlas.connected_graphs(7)
    assert len(graphs) == sum(CONNECTED[n] for n in range(2, 8)) == 995
    for n in range(2, 8):
        assert sum(1 for _, a in graphs if a.shape[0] == n) == CONNECTED[n]
    # every graph is connected, simple, and is the atlas graph of its index
    for idx, a in graphs[:50]:
        assert nx.is_isomorphic(nx.from_numpy_array(a), nx.graph_atlas(idx))
        assert np.all(np.diag(a) == 0) and np.array_equal(a, a.T)


def _path3():
    return np.array([[0, 1, 0], [1, 0, 1], [0, 1, 0]], float)


def test_features_on_hand_built_graphs():
    f = atlas.graph_features(_path3()[None], "uniform")
    # |A| = (2, 3, 2): |Ā| = 7/3; π = column sums of W / 3 = (5/6, 4/3, 5/6)/3
    assert f["abar"][0] == pytest.approx(7 / 3)
    np.testing.assert_allclose(f["pi"][0], [5 / 18, 8 / 18, 5 / 18])
    assert f["pi_spread"][0] == pytest.approx(3 / 18)
    # W = [[1/2,1/2,0],[1/3,1/3,1/3],[0,1/2,1/2]]: eigenvalues 1, 1/2, -1/6
    assert f["lambda2"][0] == pytest.approx(0.5)
    star = topology.star(4)[None].astype(float)
    np.testing.assert_allclose(
        atlas.graph_features(star, "uniform")["pi"][0], [0.4375, 0.1875, 0.1875, 0.1875]
    )
    # Metropolis is doubly stochastic: π = 1/N on every graph
    np.testing.assert_allclose(atlas.graph_features(star, "metropolis")["pi"][0], 0.25)


def _dense_spread(cfg: cl.VerifyConfig, method: str, pi) -> float:
    """Oracle: the dense d × d π-weighted target, numpy eigh, spread of the RV over [N]."""
    model = cfg.model()
    X = np.einsum(
        "n,nde->de",
        np.asarray(pi),
        objectives.population_targets(model, method, p=objectives.p_for(method, cfg.p)),
    )
    lam, vec = np.linalg.eigh(X)
    order = np.argsort(lam)[::-1][: model.c]
    keep = order[lam[order] > 1e-9 * np.abs(lam).max()]
    r = np.sum(vec[:, keep] ** 2, axis=1)[: model.n_clients]
    return float(r.max() - r.min())


@pytest.mark.parametrize("adj", [_path3(), topology.star(4).astype(float)])
def test_eq87_comparison_recomputed_on_the_dense_model(adj):
    """|Ā| < N is computed exactly and the strict comparison s_Dec > s_Fed is R1 applied to
    the sensitivities of the dense model (oracle), for MIM (Eq. 4) and CL."""
    n = adj.shape[0]
    f = atlas.graph_features(adj[None], "uniform")
    assert f["abar"][0] < n
    cfg = cl.VerifyConfig(d=60, n_clients=n, graph="complete")
    for reading, method in (("eq4-complementary", "mim"), ("similar", "cl")):
        dec = atlas._values(cfg, reading, f["pi"], "spread-N")[0][0]
        fed = atlas._values(cfg, reading, np.full((1, n), 1.0 / n), "spread-N")[0][0]
        assert dec.point == pytest.approx(_dense_spread(cfg, method, f["pi"][0]), abs=1e-9)
        assert fed.point == pytest.approx(_dense_spread(cfg, method, np.full(n, 1 / n)), abs=1e-9)
        # R13: two sides equal by proof (certified, zero radius) are an identity, else R1
        want = (
            vd.IDENTITY_WORDS[">"]
            if vd.proved_equal(dec, fed)
            else vd.compare(dec.point, fed.point, ">", dec.tol + fed.tol)
        )
        assert vd.compare(dec, fed, ">") == want


def test_complete_graph_shares_the_fl_solution():
    """Eq. 89: on the complete graph π = 1/N, the same key as FL: one solve, equal values."""
    n = 5
    f = atlas.graph_features(topology.complete(n)[None].astype(float), "uniform")
    cfg = cl.VerifyConfig(d=100, n_clients=n, graph="complete")
    (dec,), dec_rank = atlas._values(cfg, "similar", f["pi"], "gap")
    (fed,), fed_rank = atlas._values(cfg, "similar", np.full((1, n), 1.0 / n), "gap")
    assert dec == fed and dec_rank.tolist() == fed_rank.tolist()


def test_trend_arrays_agrees_with_reference_rule():
    rng = np.random.default_rng(1)
    for _ in range(20):
        k = 6
        abar = rng.integers(2, 6, size=k).astype(float)
        s = rng.random(k) * rng.choice([0.0, 1.0])
        tol = np.full(k, 1e-9)
        word, viol = atlas.trend_arrays(abar, s, s, tol)
        ref_word, ref_viol = vd.trend(abar, [vd.Value.exact(x, 1e-9) for x in s])
        assert word == ref_word
        assert {(i, j) for i, j, _ in viol} == {(i, j) for i, j, _ in ref_viol}


@pytest.mark.parametrize("seed", range(40))
def test_trend_collapse_arrays_agrees_with_reference_rule(seed):
    """R7 on R6, vectorised (atlas) and per pair (verdicts), on random series and ranks."""
    rng = np.random.default_rng(seed)
    k, n = 6, 4
    abar = rng.integers(2, 6, size=k).astype(float)
    s = np.sort(rng.random(k) * rng.choice([0.0, 1.0]))[::-1][np.argsort(np.argsort(abar))]
    ranks = rng.integers(1, 2 * n, size=k)
    tol = np.full(k, 1e-9)
    for spread in (True, False):
        word, _ = atlas.trend_arrays(abar, s, s, tol)
        got = atlas.trend_collapse_arrays(word, abar, s, s, tol, ranks, n, spread)
        vals = [vd.Value.exact(x, 1e-9) for x in s]
        ref = vd.trend_collapse_guard(vd.trend(abar, vals)[0], abar, vals, ranks, n, spread)
        assert got == ref
        if not spread or word != "holds":
            assert got == word
        else:  # by hand: some strict decrease into a graph of full rank
            full = [
                (i, j)
                for i in range(k)
                for j in range(k)
                if abar[j] > abar[i] and s[i] - s[j] > 2e-9 and ranks[j] >= n
            ]
            assert got == ("holds" if full else "collapsed")


def test_trend_arrays_single_graph_with_a_range_is_degenerate():
    """One graph whose optimal set has a range: no decrease along |Ā| (R6 as corrected)."""
    args = ([2.0], [0.0], [1.0], [1e-12])
    assert atlas.trend_arrays(*args)[0] == "degenerate"
    assert atlas.trend_arrays(*args, ordered_decrease=False)[0] == "holds"


def test_small_study_structure():
    cfg = atlas.AtlasConfig(
        d=200, max_n=4, methods=("similar",), sensitivities=("gap",), families=False
    )
    out = atlas.atlas_study(cfg)
    assert out["counts"] == {"2": 1, "3": 2, "4": 6}
    cell = out["atlas"]["4"]["mixings"]["uniform"]["methods"]["similar"]["gap"]
    assert len(cell["s"]) == 6 and cell["cor45"] in vd.TRACK_BC
    assert sum(cell["thm46"].values()) == 6
    assert sum(cell["eq87"].values()) == 5  # every graph but K4 has |Ā| < N
    # the written per-graph numbers are the computed ones to 7 significant digits
    adjs = np.stack([a for _, a in atlas.connected_graphs(4) if a.shape[0] == 4])
    feats = atlas.graph_features(adjs, "uniform")
    written = out["atlas"]["4"]["mixings"]["uniform"]
    for key in ("abar", "lambda2", "pi_spread"):
        np.testing.assert_allclose(written[key], feats[key], rtol=1e-6, atol=1e-12)
    vcfg = cfg.verify_config(4)
    direct = [x.point for x in atlas._values(vcfg, "similar", feats["pi"], "gap")[0]]
    np.testing.assert_allclose(cell["s"], direct, rtol=1e-6, atol=1e-12)


def test_bad_config():
    with pytest.raises(ValueError, match="^max_n"):
        atlas.AtlasConfig(max_n=8)
    with pytest.raises(ValueError, match="^mixings"):
        atlas.AtlasConfig(mixings=("push_sum",))


def test_worst_pair_figure_draws_the_reported_pair():
    from sims.reproduce.figures import verdicts as fv

    cfg = atlas.AtlasConfig(
        d=10**4,
        max_n=5,
        methods=("eq4-complementary",),
        sensitivities=("spread-N",),
        mixings=("uniform",),
        families=False,
    )
    out = atlas.atlas_study(cfg)
    cell = out["atlas"]["5"]["mixings"]["uniform"]["methods"]["eq4-complementary"]["spread-N"]
    fig = fv.make_worst_pair_figure(out, n="5")
    assert len(fig.axes) == 2
    if cell["worst"]:
        w = cell["worst"][0]
        assert w["abar"][0] < w["abar"][1] and w["s"][1] > w["s"][0]
        assert f"G{w['from']}" in fig.axes[0].get_title()


def test_spearman_is_undefined_on_a_series_within_its_tolerance():
    """A rank correlation over values that differ only by rounding (or by less than their
    derived tolerance) is reported as undefined (None), not as a number; a resolved series
    gets scipy's Spearman ρ."""
    import scipy.stats

    feats = {
        "abar": np.array([2.0, 3.0, 4.0, 5.0]),
        "lambda2": np.array([0.9, 0.7, 0.5, 0.2]),
        "pi_spread": np.zeros(4),
    }
    noise = 0.25 + np.array([1e-16, -2e-16, 0.0, 3e-16])
    assert atlas._correlations(noise, feats, np.zeros(4)) == {
        "abar": None,
        "lambda2": None,
        "pi_spread": None,
    }
    within = np.array([0.300, 0.305, 0.295, 0.300])  # spread 0.01 < 2 x 0.01
    assert atlas._correlations(within, feats, np.full(4, 0.01))["abar"] is None
    s = np.array([0.4, 0.3, 0.35, 0.1])
    got = atlas._correlations(s, feats, np.full(4, 1e-3))
    assert got["abar"] == pytest.approx(scipy.stats.spearmanr(feats["abar"], s).statistic)
    assert got["lambda2"] == pytest.approx(scipy.stats.spearmanr(feats["lambda2"], s).statistic)
    assert got["pi_spread"] is None  # a constant feature
    # a near-tie within tolerance is a tie: rounding of it does not move the value, and the
    # value is scipy's Spearman with those two tied exactly
    tied = np.array([0.4, 0.3, 0.3 + 1e-16, 0.1])
    flipped = np.array([0.4, 0.3 + 1e-16, 0.3, 0.1])
    a = atlas._correlations(tied, feats, np.full(4, 1e-9))["abar"]
    assert a == atlas._correlations(flipped, feats, np.full(4, 1e-9))["abar"]
    exact = np.array([0.4, 0.3, 0.3, 0.1])
    assert a == pytest.approx(scipy.stats.spearmanr(feats["abar"], exact).statistic)
