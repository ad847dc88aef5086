"""Words decided in ball arithmetic (theory.claims_graphs.cor45_certificate) and the atlas's
certified lambda_2 and pi (theory.atlas.certified_features), against the float64 computation
and independent oracles (numpy, exact rationals). No test asserts which word a claim gets."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest

from theory import atlas, spectral, topology
from theory import claims as cl
from theory.symbolic import proofs

READING = {"method": "eq4-complementary", "sensitivity": "spread-N"}


@pytest.mark.parametrize("n,p", [(3, 0.5), (5, 0.15), (8, 0.9)])
def test_cor45_certificate_agrees_with_the_float_word(n, p):
    cfg = cl.VerifyConfig(d=10**6, n_clients=n, p=p, graph="star")
    b = cl.evaluate_reading(cfg, "cor4.5", READING)["track_b"]
    cert = b.numbers["certificate"]
    assert cert["word"] == b.verdict
    assert b.numbers["verdict_basis"] == proofs.CERTIFIED
    # the certified spreads are the float ones, within the float tolerance
    floats = [row["s"]["value"] for row in b.numbers["sweep"]]
    np.testing.assert_allclose(cert["spread_midpoints"], floats, atol=1e-10)
    assert cert["ranks"] == [row["rank"] for row in b.numbers["sweep"]]


def test_certificate_does_not_apply_elsewhere():
    cfg = cl.VerifyConfig(d=10**4, n_clients=4, graph="star")
    from theory.claims_graphs import cor45_certificate

    assert cor45_certificate(cfg, {"method": "similar", "sensitivity": "spread-N"}) is None
    assert (
        cor45_certificate(cl.VerifyConfig(d=10**4, n_clients=2, graph="complete"), READING) is None
    )


def test_atlas_certified_features_against_exact_rationals_and_numpy():
    graphs = np.stack([a for _, a in atlas.connected_graphs(4, 4)])
    for rule in ("uniform", "metropolis"):
        feats = atlas.graph_features(graphs, rule)
        out = atlas.certified_features(graphs, rule, feats)
        assert out["certified"] == out["graphs"] == len(graphs)
        assert out["max_radius_lambda2"] < 1e-30
        assert out["max_float_error_lambda2"] < 1e-12 and out["max_float_error_pi"] < 1e-15
    # the star's Eq. (1) weights as exact rationals (column sums / N), an independent oracle
    n = 5
    W = topology.mixing_matrix("uniform", topology.star(n))
    pi = spectral.objective_weights(W)
    hub = Fraction(1, n) * (Fraction(1, n) + Fraction(n - 1, 2))
    assert pi[0] == pytest.approx(float(hub), rel=1e-15)


def test_atlas_certification_is_skipped_above_its_size():
    big = topology.ring(atlas.CERTIFY_MAX_N + 1)[None].astype(float)
    feats = atlas.graph_features(big, "uniform")
    out = atlas.certified_features(big, "uniform", feats)
    assert out["status"] == "not-run" and "CERTIFY_MAX_N" in out["reason"]
