"""The full-space dissimilar reading (a rotation of all d axes) beside the leading-block ones."""

import numpy as np
import pytest

from theory import claims as cl
from theory import claims_model as cm
from theory import structured as st
from theory.datamodel import DataModel, client_second_moment


@pytest.mark.parametrize("d", [7, 40, 301])
def test_rotation_trace_and_block_are_those_of_the_dense_matrix(d):
    H = st.ImplicitOrthogonal(d, 3).to_dense()
    assert cm._rotation_trace(d, 3) == pytest.approx(np.trace(H), abs=1e-12)
    m = min(d, 12)
    np.testing.assert_allclose(cm._rotation_block(d, 3, m), H[:m, :m], atol=1e-14)


def test_both_readings_are_named():
    names = [cl.reading_name(r) for r in cl.readings_of("thm4.3.fl")]
    assert "cl=dissimilar-rotation" in names and "cl=dissimilar-rotation-full" in names
    assert "dissimilar-rotation-full" in cl.READINGS["method"]


@pytest.mark.parametrize("weights", ["fl", 1])
def test_full_space_optimum_matches_an_independent_dense_oracle(weights):
    """RV of the full-space optimum == top-c eigenvectors of ½(H S + S Hᵀ), with S the
    population second moments of theory.datamodel (not the structured path) and H dense."""
    cfg = cl.VerifyConfig(d=40, n_clients=3)
    ex = cm._exact(cfg)
    w = cm._fl_weights(3) if weights == "fl" else weights
    sol = ex.solution("cl-dissimilar", "rotation-full", w)
    model = DataModel(d=40, n_clients=3)
    S_all = client_second_moment(model)
    S = S_all.mean(0) if weights == "fl" else S_all[weights]
    H = st.ImplicitOrthogonal(40, 0).to_dense()
    lam, vec = np.linalg.eigh(0.5 * (H @ S + S @ H.T))
    c = model.c
    assert lam[-c] - lam[-c - 1] > 1e-6  # not tied: the optimum is unique
    top = vec[:, -c:][:, lam[-c:] > 0]
    np.testing.assert_allclose(sol.rv, np.sum(top**2, axis=1), atol=1e-10)
    assert sol.rank == top.shape[1] and not sol.tied


def test_full_space_differs_from_the_leading_block_reading():
    cfg = cl.VerifyConfig(d=40, n_clients=3)
    ex = cm._exact(cfg)
    w = cm._fl_weights(3)
    full = ex.solution("cl-dissimilar", "rotation-full", w).rv[:3]
    block = ex.solution("cl-dissimilar", "rotation", w).rv[:3]
    assert np.abs(full - block).max() > 1e-3


def test_full_space_above_the_dense_limit_is_not_run_with_its_reason():
    cfg = cl.VerifyConfig(d=10**5, n_clients=3)
    cell = cl.evaluate_reading(cfg, "thm4.3.fl", {"cl": "dissimilar-rotation-full"})
    assert cell["track_b"].verdict == "not-run"
    assert str(cm.FULL_SPACE_MAX_D) in cell["track_b"].numbers["reason"]
    # Track A still has the literal tr(H) of the d-dimensional rotation
    assert cell["track_a"].numbers["trH"] == pytest.approx(cm._rotation_trace(10**5, 0))
