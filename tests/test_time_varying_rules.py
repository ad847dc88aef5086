"""Time-varying mixing rules (sims.core.mixing) against the dense matrices of theory.time_varying
and theory.topology and a plain-Python matching, with and without jit."""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest
import scipy.sparse as sp

import sims
from sims.core import mixing as mx
from sims.core import rounds
from theory import time_varying as tv
from theory import topology as T


@pytest.mark.parametrize("n", [2, 5, 8])
def test_one_peer_rule_is_the_theory_sequence(n):
    rule = mx.one_peer_exponential(n)
    Ws = tv.one_peer_exponential(n)
    tau = max(1, math.ceil(math.log2(n)))
    assert rule.period == tau
    for t in range(2 * tau + 1):
        np.testing.assert_array_equal(mx.round_matrix(rule, n, t=t), Ws[t % tau])


@pytest.mark.parametrize("n", [3, 5, 8, 13])
def test_static_exponential_is_yings_matrix(n):
    got = mx.round_matrix(mx.static_exponential(n), n)
    np.testing.assert_allclose(got, T.exponential_mixing(n), rtol=1e-15, atol=0)


def _matching_oracle(key, t, n):
    """Round t's W from the permutation drawn with jax.random directly, paired in Python."""
    perm = [int(i) for i in jr.permutation(jr.fold_in(jr.fold_in(key, 3), t), n)]
    W = np.eye(n)
    for a, b in zip(perm[: n // 2], perm[n // 2 : 2 * (n // 2)], strict=True):
        W[a, a] = W[b, b] = W[a, b] = W[b, a] = 0.5
    return W


@pytest.mark.parametrize("n", [2, 7, 10])
def test_random_matching_against_a_python_pairing(n):
    rule = mx.random_matching(n)
    key = jr.key(5)
    seen = set()
    for t in range(6):
        W = mx.round_matrix(rule, n, key=key, t=t)
        np.testing.assert_array_equal(W, _matching_oracle(key, t, n))
        assert np.array_equal(W, W.T)
        np.testing.assert_array_equal(W.sum(0), np.ones(n))
        assert int(np.sum(np.diag(W) == 1.0)) == n % 2  # the one left over keeps its model
        seen.add(W.tobytes())
    assert len(seen) > 1 or n == 2


def _sequences(n):
    rng = np.random.default_rng(0)
    dense = np.stack([0.5 * (np.eye(n) + np.eye(n)[rng.permutation(n)]) for _ in range(3)])
    return {
        "one_peer": mx.one_peer_exponential(n),
        "matching": mx.random_matching(n),
        "dense_sequence": mx.gossip_sequence(dense),
        "sparse_sequence": mx.gossip_sequence([sp.csr_matrix(w) for w in dense]),
    }


@pytest.mark.parametrize("name", ["one_peer", "matching", "dense_sequence", "sparse_sequence"])
def test_a_round_mixes_by_its_matrix_with_and_without_jit(name):
    n = 9
    rule = jax.tree.map(jnp.asarray, _sequences(n)[name])
    x = jr.normal(jr.key(1), (n, 2, 3), jnp.float64)
    key = jr.key(2)

    def mixed(rule, t):
        r = rounds.one_round(
            rule, key, t, None, x, lambda xs, who: (xs, None), n=n, n_sampled=n,
            dtype=jnp.float64, fill=lambda out: out,
        )  # fmt: skip
        return r.mixed

    jitted = jax.jit(mixed)
    for t in range(5):
        W = mx.round_matrix(rule, n, key=key, t=t)
        want = np.tensordot(W, np.asarray(x), axes=(1, 0))
        np.testing.assert_allclose(mixed(rule, t), want, rtol=1e-14, atol=1e-15)
        np.testing.assert_allclose(
            jitted(rule, jnp.asarray(t, jnp.int32)), want, rtol=1e-14, atol=1e-15
        )


def test_one_peer_rounds_reach_the_exact_average_in_one_period():
    n = 8
    rule = jax.tree.map(jnp.asarray, mx.one_peer_exponential(n))
    x = jr.normal(jr.key(3), (n, 4), jnp.float64)

    @jax.jit
    def mix(y, t):
        return rule.at_round(None, t).mix(y, None, None)[0]

    y = x
    for t in range(3):
        y = mix(y, jnp.asarray(t, jnp.int32))
    # halves of sums of 2^k exact terms: every client holds the mean up to float64 rounding
    np.testing.assert_allclose(y, np.broadcast_to(np.mean(x, 0), x.shape), rtol=1e-15, atol=1e-15)


def test_sims_run_accepts_the_time_varying_rules():
    n = 6
    xs = jr.normal(jr.key(1), (n, 10, 2), jnp.float64)

    def loss(w, batch, *, key):
        return 0.5 * jnp.mean((batch @ w - 1.0) ** 2)

    kw = dict(rounds=4, batch_size=3, optimizer=optax.sgd(0.1), key=jr.key(0))
    for rule in _sequences(n).values():
        res = sims.run(loss, jnp.zeros(2, jnp.float64), xs, mixing=rule, **kw)
        assert res.params.shape == (n, 2) and np.all(np.isfinite(res.trace["loss"]))
    with pytest.raises(ValueError, match="^mixing: must be random_matching\\(6\\)"):
        sims.run(loss, jnp.zeros(2, jnp.float64), xs, mixing=mx.random_matching(5), **kw)


# ---------------------------------------------------------------------------------------------
# the contraction of a rule over a period (sims.core.mixing.rule_contraction)


@pytest.mark.parametrize(
    "make,n,period",
    [
        (mx.one_peer_exponential, 12, 4),
        (mx.static_exponential, 10, 1),
        (mx.random_matching, 9, 4),
    ],
)
def test_rule_contraction_dense_and_sparse_agree_with_theory(make, n, period):
    rule, key = make(n), jr.key(5)
    dense = mx.rule_contraction(rule, n, key=key, dense=True)
    sparse = mx.rule_contraction(rule, n, key=key, dense=False)
    mats = np.stack([mx.round_matrix(rule, n, key=key, t=t) for t in range(period)])
    want = np.linalg.norm(np.linalg.multi_dot([*mats[::-1], np.eye(n)]) - 1.0 / n, ord=2)
    assert (dense.period, sparse.period) == (period, period)
    assert (dense.solver, dense.error, sparse.solver) == ("dense", 0.0, "sparse")
    assert dense.rho == pytest.approx(want, rel=1e-12, abs=1e-15)
    assert abs(sparse.rho - want) <= sparse.error + 1e-12
    assert dense.per_round == pytest.approx(want ** (1.0 / period), rel=1e-12, abs=1e-15)


def test_rule_contraction_of_a_static_w_is_its_spectral_norm_about_j():
    from theory import spectral

    W = T.mixing_matrix("uniform", T.make_graph("ring", 7))  # symmetric, doubly stochastic
    for rule in (mx.gossip(W), mx.sparse_gossip(W)):
        got = mx.rule_contraction(rule, 7)
        assert got.period == 1
        assert got.rho == pytest.approx(float(spectral.lambda_gap_pi(W)[0]), rel=1e-12)
    got = mx.rule_contraction(mx.gossip(W), 7, dense=False, period=3)
    want = np.linalg.norm(np.linalg.matrix_power(W, 3) - 1 / 7, 2)
    assert abs(got.rho - want) <= got.error + 1e-12


def test_rule_contraction_refuses_in_one_line():
    rule = mx.one_peer_exponential(8)
    with pytest.raises(ValueError, match=r"^period: must be .*>= 1.*got 0$"):
        mx.rule_contraction(rule, 8, period=0)
    with pytest.raises(ValueError, match=r"^dense: "):
        mx.rule_contraction(rule, 8, dense="yes")
    with pytest.raises(ValueError, match=r"^rule: must be a gossip rule"):
        mx.rule_contraction(mx.fedavg(), 8, dense=False)
    with pytest.raises(ValueError, match=r"^key: must be the run's JAX key"):
        mx.rule_contraction(mx.random_matching(8), 8)
    for dense in (True, False):
        with pytest.raises(ValueError, match=r"^n: must be the rule's number of clients, 8"):
            mx.rule_contraction(rule, 12, dense=dense)
    with pytest.raises(ValueError, match=r"^n: must be >= 3 for the sparse product"):
        mx.rule_contraction(mx.one_peer_exponential(2), 2, dense=False)
