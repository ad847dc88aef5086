"""Data model: numeric population moments against an independent sympy derivation."""

import numpy as np
import pytest
import sympy as sp

from theory import datamodel as dm


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(d=5, n_clients=2, tau=1.7, mu=0.3, rare_fraction=0.1),
        dict(d=6, n_clients=3, tau=2.2, mu=0.5, rare_fraction=0.2, rare_axis="next-client"),
        dict(d=6, n_clients=3, tau=0.9, mu=1.1, rare_fraction=0.0, rare_axis="extra"),
    ],
)
def test_moments_match_sympy(kwargs):
    model = dm.DataModel(**kwargs)
    axes = dm.rare_axes(model)
    for i in range(model.n_clients):
        mean, second, syms = dm.second_moment_symbolic(model.d, model.n_clients, i, int(axes[i]))
        values = (model.tau, model.mu, model.rare_fraction)
        got_second = np.array(sp.lambdify(syms, second)(*values), dtype=float)
        got_mean = np.array(sp.lambdify(syms, mean)(*values), dtype=float).ravel()
        np.testing.assert_allclose(dm.client_second_moment(model)[i], got_second, atol=1e-12)
        np.testing.assert_allclose(dm.client_mean(model)[i], got_mean, atol=1e-12)


def test_symbolic_offset_block_is_exact():
    # E[x_k x_l] = τ²/4 (1 − ρ) for two offset axes; E[x_k²] = (τ²/2)(1 − ρ) + μ².
    _, second, (tau, mu, rho) = dm.second_moment_symbolic(6, 3, 0, 5)
    assert sp.simplify(second[1, 2] - tau**2 * (1 - rho) / 4) == 0
    assert sp.simplify(second[1, 1] - (tau**2 / 2 * (1 - rho) + mu**2)) == 0
    assert sp.simplify(second[0, 1]) == 0


def test_symbolic_validates():
    with pytest.raises(ValueError, match="client"):
        dm.second_moment_symbolic(6, 3, 3, 0)
