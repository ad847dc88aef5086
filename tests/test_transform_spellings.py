"""The dissimilar-CL transform spellings (the rule in :mod:`theory.objectives`): ``X``
(all d axes), ``block-X`` (the signal block K) and the Track B reading ``dissimilar-X`` (the
leading m coordinates) are one family X placed on three supports. Each is checked against the
family drawn by :func:`theory.objectives.transform` and placed on its support,
the structured targets against the dense targets built from the same H, and the three supports
are shown to give three different transforms (different H, targets and tr H), which is why they
keep three spellings."""

from __future__ import annotations

import numpy as np
import pytest

from theory import claims as cl
from theory import claims_model, objectives
from theory.datamodel import DataModel
from theory.structured import targets as st

FAMILIES = ("rotation", "permutation", "sign-flip")


def _placed(name: str, support, d: int, seed: int = 0) -> np.ndarray:
    """The family ``name`` drawn at dimension |support| and placed on ``support``, I elsewhere."""
    idx = np.asarray(support, dtype=np.int64)
    H = np.eye(d)
    H[np.ix_(idx, idx)] = objectives.transform(name, len(idx), seed=seed)
    return H


def _rel(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b) / np.linalg.norm(b))


@pytest.mark.parametrize("name", FAMILIES)
@pytest.mark.parametrize("seed", [0, 3])
def test_block_x_is_x_on_the_signal_block(name, seed):
    """``block-X`` is X of dimension |K| on K = signal_coords, the identity elsewhere, and its
    structured targets equal the dense targets built from that H."""
    model = DataModel(d=40, n_clients=4)
    K = st.signal_coords(model)
    H = st.structured_transform(f"block-{name}", model, seed=seed).to_dense(model.d)
    # H = I + E_K (Q − I) E_Kᵀ: equal to Q on K up to one rounding of (q − 1) + 1
    np.testing.assert_allclose(H, _placed(name, K, model.d, seed), rtol=0, atol=1e-15)
    a, coords, B = st.client_targets(model, "cl-dissimilar", H=f"block-{name}")
    got = np.stack([st.BlockMatrix(model.d, a, coords, b).to_dense() for b in B])
    H0 = _placed(name, K, model.d)  # client_targets draws with seed 0
    want = objectives.population_targets(model, "cl-dissimilar", H=H0)
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-12 * np.abs(want).max())


@pytest.mark.parametrize("name", FAMILIES)
def test_the_reading_is_x_on_the_leading_block(name):
    """Track B's reading ``dissimilar-X`` is X of dimension m on the leading m coordinates
    (tr H = tr H_m + d − m); where m = d it is the all-d transform ``X`` itself."""
    big = claims_model._exact(cl.VerifyConfig(d=40, n_clients=4, d_sweep=(40,)))
    assert big.m < 40
    np.testing.assert_array_equal(big.transform(name), objectives.transform(name, big.m))
    Hm = _placed(name, range(big.m), 40)
    assert big.trace_h(name) == pytest.approx(float(np.trace(Hm)), rel=1e-12)
    small = claims_model._exact(cl.VerifyConfig(d=16, n_clients=4, d_sweep=(16,)))
    assert small.m == 16
    np.testing.assert_array_equal(small.transform(name), objectives.transform(name, 16))


@pytest.mark.parametrize("name", ["rotation", "permutation"])
def test_the_three_supports_are_three_transforms(name):
    """On d = 40, N = 4 the supports differ (K has 6 coordinates, the leading block 16, all
    d 40), and so do H, the CL-dissimilar targets (relative Frobenius distance > 0.5) and
    tr H: one spelling for the three would name three different matrices."""
    model = DataModel(d=40, n_clients=4)
    ex = claims_model._exact(cl.VerifyConfig(d=40, n_clients=4, d_sweep=(40,)))
    K = st.signal_coords(model)
    hs = {
        "block": _placed(name, K, 40),
        "leading": _placed(name, range(ex.m), 40),
        "all": objectives.transform(name, 40),
    }
    assert len(K) == 6 and ex.m == 16
    targets = {k: objectives.population_targets(model, "cl-dissimilar", H=h) for k, h in hs.items()}
    traces = {k: float(np.trace(h)) for k, h in hs.items()}
    for a, b in (("block", "leading"), ("block", "all"), ("leading", "all")):
        assert _rel(targets[a], targets[b]) > 0.5, (a, b)
        assert abs(traces[a] - traces[b]) > 1.0, (a, b, traces)


def test_the_configuration_transform_is_one_matrix_in_every_track():
    """VerifyConfig.transform names Track B's H_m ⊕ I_{d−m}; Track C trains with that matrix and
    its Track A bound takes tr(H) from it (it was X on all d there: tr H 0.18 vs 384.1)."""
    import numpy as np

    from theory import sweeps
    from theory.claims_model import VerifyConfig, _exact

    cfg = VerifyConfig(d=400, n_clients=4, transform="rotation")
    H = cfg.transform_matrix()
    ex = _exact(cfg)
    np.testing.assert_array_equal(H[: ex.m, : ex.m], ex.transform("rotation"))
    assert abs(np.trace(H) - ex.trace_h("rotation")) < 1e-9
    lb = sweeps.paper_lower_bound(cfg, "cl-dissimilar", "local")
    from theory import bounds

    want = float(bounds.lower_bound("cl_dissimilar", "local", d=400, p=cfg.p, n=4,
                                    trH=ex.trace_h("rotation")))  # fmt: skip
    assert abs(lb - want) <= 1e-12
