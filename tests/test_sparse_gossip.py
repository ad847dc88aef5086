"""Sparse gossip (neighbour lists) against the dense W (NumPy's W @ x and the dense rule), with
and without jit, in float64."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import optax
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import sims
from sims.core import mixing as mx
from sims.core import rounds
from theory import sparse_graphs as S
from theory import topology as T


def _random_stochastic(seed: int, n: int, extra: int, loops: bool) -> np.ndarray:
    """A row-stochastic W on a ring plus ``extra`` random directed edges, random weights."""
    rng = np.random.default_rng(seed)
    support = np.zeros((n, n), bool)
    support[np.arange(n), (np.arange(n) + 1) % n] = True
    if loops:
        support[np.arange(n), np.arange(n)] = True
    for _ in range(extra):
        support[rng.integers(n), rng.integers(n)] = True
    w = np.where(support, rng.uniform(0.1, 1.0, (n, n)), 0.0)
    return w / w.sum(axis=1, keepdims=True)


def _models(seed: int, n: int):
    k1, k2 = jr.split(jr.key(seed))
    return {
        "a": jr.normal(k1, (n, 3, 2), jnp.float64),
        "b": jr.normal(k2, (n,), jnp.float64),
    }


@given(
    seed=st.integers(0, 2**31 - 1),
    n=st.integers(2, 24),
    extra=st.integers(0, 40),
    loops=st.booleans(),
)
def test_sparse_mix_equals_dense_on_random_graphs(seed, n, extra, loops):
    W = _random_stochastic(seed, n, extra, loops)
    x = _models(seed, n)
    dense = mx.gossip(jnp.asarray(W))
    sparse = mx.sparse_gossip(sp.csr_matrix(W))
    sparse = jax.tree.map(jnp.asarray, sparse)
    want = jax.tree.map(lambda a: np.tensordot(W, np.asarray(a), axes=(1, 0)), x)
    ones = jnp.ones(n)
    for fn in (lambda r: r.mix(x, ones, ones), jax.jit(lambda r: r.mix(x, ones, ones))):
        got_s, _, glob_s = fn(sparse)
        got_d, _, _ = fn(dense)
        for key in x:
            np.testing.assert_allclose(got_s[key], want[key], rtol=1e-13, atol=1e-14)
            np.testing.assert_allclose(got_s[key], got_d[key], rtol=1e-13, atol=1e-14)
            np.testing.assert_allclose(glob_s[key], np.mean(want[key], 0), rtol=1e-12, atol=1e-14)


@given(seed=st.integers(0, 2**31 - 1), n=st.integers(1, 30), extra=st.integers(0, 60))
def test_neighbour_lists_round_trip(seed, n, extra):
    W = _random_stochastic(seed, max(n, 2), extra, True)
    idx, w = S.neighbour_lists(W)
    assert idx.dtype == np.int32 and idx.shape == w.shape
    assert idx.shape[1] == np.count_nonzero(W, axis=1).max()
    np.testing.assert_array_equal(S.from_neighbour_lists(idx, w).toarray(), W)
    # padding: own index, weight 0
    pad = w == 0
    assert np.all(idx[pad] == np.nonzero(pad)[0].astype(np.int32))


def test_the_three_spellings_give_one_rule():
    W = T.mixing_matrix("metropolis", T.make_graph("random_regular", 10, degree=3, seed=1))
    a = mx.sparse_gossip(W)
    b = mx.sparse_gossip(sp.coo_matrix(W))
    c = mx.sparse_gossip(S.neighbour_lists(W))
    for r in (b, c):
        np.testing.assert_array_equal(r.index, a.index)
        np.testing.assert_array_equal(r.weights, a.weights)
    np.testing.assert_array_equal(mx.round_matrix(a, 10), W)


@pytest.mark.parametrize(
    "bad,match",
    [
        (np.array([[0.5, 0.6], [0.5, 0.5]]), "row-stochastic"),
        (np.array([[1.5, -0.5], [0.5, 0.5]]), ">= 0"),
        (np.eye(3), "irreducible"),
        ((np.array([[0, 5], [1, 0]]), np.full((2, 2), 0.5)), r"in \[0, 2\)"),
        ((np.array([[0.0, 1.0], [1.0, 0.0]]), np.full((2, 2), 0.5)), "integers"),
    ],
)
def test_bad_sparse_rules_fail_in_one_line(bad, match):
    with pytest.raises(ValueError, match=match) as err:
        mx.sparse_gossip(bad)
    assert "\n" not in str(err.value)


def test_mixing_rule_checks_a_sparse_rule():
    rule = mx.SparseGossip(np.array([[0, 1], [1, 0]], np.int32), np.array([[0.5, 0.5]] * 2))
    assert isinstance(mx.mixing_rule(rule, 2), mx.SparseGossip)
    with pytest.raises(ValueError, match="N = 3"):
        mx.mixing_rule(rule, 3)


def test_graph_rule_goes_sparse_above_the_threshold():
    dense = mx.graph_rule("torus", 20, mixing="metropolis", rows=4, cols=5)
    assert isinstance(dense, mx.Gossip)
    limit = 8 * 20 * 20 - 1
    sparse = mx.graph_rule("torus", 20, mixing="metropolis", rows=4, cols=5, dense_max_bytes=limit)
    assert isinstance(sparse, mx.SparseGossip) and sparse.index.shape == (20, 5)
    np.testing.assert_allclose(mx.round_matrix(sparse, 20), dense.matrix, rtol=1e-15, atol=0)
    assert mx.DENSE_GOSSIP_MAX_BYTES == 2**28
    assert isinstance(mx.graph_rule("ring", 5793), mx.SparseGossip)  # 8·N² > 2^28
    assert isinstance(mx.graph_rule("ring", 5792), mx.Gossip)
    with pytest.raises(ValueError, match="^graph: must be one of ring, .* at N = 6000"):
        mx.graph_rule("star", 6000)
    with pytest.raises(ValueError, match="^mixing: must be one of uniform, metropolis"):
        mx.graph_rule("ring", 6000, mixing="data_size")


def test_sparse_rule_at_n_1e5_without_a_dense_matrix():
    rule = mx.graph_rule("exponential", 100_000)
    assert isinstance(rule, mx.SparseGossip) and rule.index.shape == (100_000, 35)
    x = jnp.arange(100_000, dtype=jnp.float64)[:, None]
    out = jax.jit(lambda r: r.mix(x, None, None)[0])(jax.tree.map(jnp.asarray, rule))
    # uniform weights on a circulant graph: row sums 1, the mean is kept
    np.testing.assert_allclose(float(jnp.mean(out)), float(jnp.mean(x)), rtol=1e-12)


def test_sims_run_with_the_sparse_rule_equals_the_dense_one():
    n = 6
    W = T.uniform_mixing(T.random_regular(n, 3, seed=4))
    xs = jr.normal(jr.key(1), (n, 10, 2), jnp.float64)

    def loss(w, batch, *, key):
        return 0.5 * jnp.mean((batch @ w - 1.0) ** 2)

    kw = dict(rounds=5, local_steps=2, batch_size=3, optimizer=optax.sgd(0.1), key=jr.key(0))
    a = sims.run(loss, jnp.zeros(2, jnp.float64), xs, mixing=mx.gossip(W), **kw)
    b = sims.run(loss, jnp.zeros(2, jnp.float64), xs, mixing=mx.sparse_gossip(W), **kw)
    np.testing.assert_allclose(b.params, a.params, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(
        b.trace["consensus_distance"], a.trace["consensus_distance"], rtol=1e-10, atol=1e-18
    )


def test_mix_neighbours_float32():
    W = _random_stochastic(5, 9, 12, True)
    idx, w = S.neighbour_lists(W)
    x = jr.normal(jr.key(2), (9, 4), jnp.float32)
    got = rounds.mix_neighbours(jnp.asarray(idx), jnp.asarray(w), x)
    assert got.dtype == jnp.float32
    np.testing.assert_allclose(got, W @ np.asarray(x, np.float64), rtol=1e-5, atol=1e-6)


def _engine_run(mixing, n: int = 8, d: int = 6, **kw):
    """A short Track C DecL run (population gradients, float64) mixing by ``mixing``."""
    from sims.core.engine import make_engine
    from sims.core.problem import make_problem
    from sims.trackc.engine_config import EngineConfig

    cfg = EngineConfig(method="cl", framework="decl", n_clients=n, d=d, c=2, population=True,
                       rounds=5, dtype="float64")  # fmt: skip
    a = np.random.default_rng(0).normal(size=(n, d, d))
    with jax.enable_x64(True):
        prob = make_problem(cfg, a @ a.transpose(0, 2, 1) / d, mixing=mixing)
        state, trace = make_engine(cfg, **kw).run(prob, key=jr.key(0))
    return prob, jax.tree.leaves(state.params), trace


def test_track_c_engine_takes_a_sparse_rule():
    """The Track C engine with sparse_gossip(W) equals it with the dense W (float64, 1e-13:
    the neighbour sum adds the same three terms in another order) and gossip(W) is the dense
    path itself (bit-identical)."""
    W = T.mixing_matrix("metropolis", T.make_graph("ring", 8))
    _, dense, tr_dense = _engine_run(W)
    prob, sparse, tr_sparse = _engine_run(mx.sparse_gossip(W))
    _, same, tr_same = _engine_run(mx.gossip(W))
    assert isinstance(prob.mixing, mx.SparseGossip) and prob.mixing.weights.dtype == jnp.float64
    np.testing.assert_allclose(np.asarray(prob.pi), np.full(8, 1 / 8), rtol=1e-14)
    for a, b, c in zip(dense, sparse, same, strict=True):
        np.testing.assert_allclose(np.asarray(b), np.asarray(a), rtol=1e-13, atol=1e-15)
        np.testing.assert_array_equal(np.asarray(c), np.asarray(a))
    np.testing.assert_allclose(tr_sparse["loss"], tr_dense["loss"], rtol=1e-13)


@pytest.mark.parametrize(
    "rule", [mx.one_peer_exponential(8), mx.random_matching(8), mx.static_exponential(8)]
)
def test_track_c_engine_runs_time_varying_rules(rule):
    """One-peer exponential, matchings, the static exponential graph: uniform π (doubly
    stochastic rounds) and a finite run."""
    prob, params, trace = _engine_run(rule)
    np.testing.assert_array_equal(np.asarray(prob.pi), np.full(8, 1 / 8))
    assert all(np.isfinite(np.asarray(p)).all() for p in params)
    assert np.isfinite(np.asarray(trace["loss"])).all()


def test_track_c_engine_on_a_mesh_and_a_rule_it_cannot_take():
    """Neighbour lists on a one-device mesh (the rule held whole by the device) train the same
    models as without a mesh; a cycle of dense N × N matrices is refused on a mesh (every
    device would hold it whole), and push-sum, which the engine has no rule for, anywhere."""
    from sims.core.sharding import client_mesh

    rule = mx.sparse_gossip(T.mixing_matrix("uniform", T.make_graph("ring", 8)))
    _, plain, _ = _engine_run(rule)
    _, meshed, _ = _engine_run(rule, mesh=client_mesh(jax.devices()[:1]))
    for a, b in zip(jax.tree.leaves(plain), jax.tree.leaves(meshed), strict=True):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), rtol=1e-12, atol=1e-12)
    W = T.mixing_matrix("uniform", T.make_graph("ring", 8))
    with pytest.raises(ValueError, match="^mesh: must be None with a cycle of dense N × N"):
        _engine_run(mx.gossip_sequence(np.stack([W, np.eye(8)])),
                    mesh=client_mesh(jax.devices()[:1]))  # fmt: skip
    with pytest.raises(ValueError, match="^mixing: "):
        _engine_run(mx.push_sum(np.full((8, 8), 1 / 8)))


@given(n=st.integers(2, 70), extra=st.integers(1, 4), seed=st.integers(0, 10**6))
def test_shifted_neighbour_lists_mix_as_the_gather_does(n, extra, seed):
    """Neighbour lists whose every column is a shift of the clients (random shifts, random
    row weights) carry their shifts (mx.with_shifts, as every rule maker applies it), and their
    mix, a roll per column (rounds.mix_shifted), is the gather's (rounds.mix_neighbours) to
    the bit, jitted and not, in float64 and float32; any other lists carry none."""
    rng = np.random.default_rng(seed)
    shifts = np.concatenate([[0], rng.integers(0, n, extra)])
    i = np.arange(n)[:, None]
    index = ((i + shifts[None, :]) % n).astype(np.int32)
    w = rng.random(index.shape)
    w /= w.sum(1, keepdims=True)
    rule = mx.with_shifts(mx.SparseGossip(index, w))
    assert rule.shifts == (tuple(int(s) for s in shifts),)
    for dt in (jnp.float64, jnp.float32):
        x = jr.normal(jr.key(seed % 97), (n, 3, 2), dt)
        ref = rounds.mix_neighbours(jnp.asarray(index), jnp.asarray(w), x)
        for f in (
            lambda r, x: r.mix(x, None, None)[0],
            jax.jit(lambda r, x: r.mix(x, None, None)[0]),
        ):
            assert bool(jnp.array_equal(f(rule, x), ref))
    if n > 2:  # client 1's first neighbour moved: not a shift, and shifts read before dropped
        index[1, 0] = (index[1, 0] + 1) % n
        assert mx.with_shifts(mx.SparseGossip(index, w)).shifts is None
        stale = dataclasses.replace(rule, index=index)
        assert mx.with_shifts(stale).shifts is None


@pytest.mark.parametrize("n", [8, 37])
def test_one_peer_and_static_exponential_carry_their_shifts_on_a_mesh(n):
    """On a mesh (the rules' on_mesh) the one-peer exponential cycle mixes round t by its
    entry t mod P: the roll of that entry's shift (a lax.switch over the period's rows, jitted
    with a traced round), equal to the bit to the gather of the entry's neighbour lists; an
    entry taken by hand mixes by its lists. The static exponential graph carries its shifts
    through mixing_rule and shard_clients (the engine's path); a ring given as a matrix (its
    columns sorted, not shifts) and any rule off a mesh carry none."""
    from sims.core.problem import make_problem
    from sims.core.sharding import client_mesh, shard_clients
    from sims.trackc.engine_config import EngineConfig

    plain = mx.one_peer_exponential(n)
    assert plain.stack.shifts is None and mx.static_exponential(n).shifts is None
    cycle = plain.on_mesh()
    tau = int(np.ceil(np.log2(n)))
    assert cycle.stack.shifts == tuple((0, 2**k) for k in range(tau))
    x = jr.normal(jr.key(1), (n, 4), jnp.float64)
    mixed = jax.jit(lambda r, t, x: r.at_round(None, t).mix(x, None, None)[0])
    for t in range(2 * tau + 1):
        entry = jax.tree.map(lambda a, t=t: a[t % tau], cycle.stack)
        ref = rounds.mix_neighbours(jnp.asarray(entry.index), jnp.asarray(entry.weights), x)
        assert bool(jnp.array_equal(mixed(cycle, t, x), ref)), t
        assert bool(jnp.array_equal(entry.mix(x, None, None)[0], ref)), t
    static = (0,) + tuple(2**k for k in range(tau))
    assert mx.mixing_rule(mx.static_exponential(n), n).on_mesh().shifts == (static,)
    cfg = EngineConfig(method="cl", framework="decl", n_clients=n, d=3, c=2, population=True,
                       rounds=1, dtype="float64")  # fmt: skip
    with jax.enable_x64(True):
        prob = make_problem(cfg, np.tile(np.eye(3), (n, 1, 1)), mixing=mx.static_exponential(n))
        assert prob.mixing.shifts is None
        on = shard_clients(prob, client_mesh(jax.devices()[:1]))
    assert on.mixing.shifts == (static,)
    ring = mx.sparse_gossip(T.mixing_matrix("uniform", T.make_graph("ring", n)))
    assert ring.on_mesh().shifts is None


_SHARDED_MIX = """
import re, jax, jax.numpy as jnp
from sims.core import mixing as mx
from sims.core.sharding import client_mesh
from jax.sharding import NamedSharding, PartitionSpec as P
n = 64
mesh = client_mesh(jax.devices()[:2])
split = NamedSharding(mesh, P("clients"))  # the models in, and the mixed models out
x = jax.device_put(jnp.zeros((n, 16, 8), jnp.float32), split)
plain = mx.one_peer_exponential(n)  # its lists, mixed by their gather
for name, rule in (("one-peer", plain.on_mesh()), ("plain", plain)):
    f = jax.jit(lambda r, t, x: r.at_round(None, t).mix(x, None, None)[0], out_shardings=split)
    hlo = f.lower(rule, 3, x).compile().as_text()
    print(name, sorted(set(re.findall(r"(all-gather|collective-permute)(?:-start)?\\(", hlo))))
"""


def test_a_shifted_rule_on_two_devices_exchanges_rows_not_all_models():
    """With the clients split over two devices, the one-peer rule's mix on a mesh compiles to
    collective permutes of the rows that cross a device; the same neighbour lists without
    their shifts to an all-gather of every client's model on each device (XLA's choice, read
    from the compiled program's text: a JAX upgrade may change it)."""
    from tests._helpers import fresh_python

    r = fresh_python(["-c", _SHARDED_MIX], devices=2)
    assert r.returncode == 0, r.stderr[-2000:]
    assert r.stdout.splitlines() == [
        "one-peer ['collective-permute']",
        "plain ['all-gather']",
    ]


def test_float32_matrices_are_checked_at_float32s_tolerance():
    """A row-stochastic W cast to float32 (rows off 1 by about 3e-8) is accepted by every rule
    and check that takes a matrix, as check_mixing accepts it, and refused in float64 terms
    only when given in float64; the refusal says by how much the rows are off."""
    import scipy.sparse as sp

    from sims.core import mixing as mx
    from theory import sparse_graphs, time_varying
    from theory import topology as tp

    W = tp.mixing_matrix("uniform", tp.make_graph("ring", 20))
    W32 = W.astype(np.float32)
    assert np.abs(W32.astype(np.float64).sum(axis=1) - 1).max() > 1e-8
    mx.check_mixing(W32)
    mx.sparse_gossip(W32)
    mx.sparse_gossip(sp.csr_matrix(W32))
    lists = mx.sparse_gossip(W)
    mx.sparse_gossip((np.asarray(lists.index), np.asarray(lists.weights, np.float32)))
    mx.gossip_sequence(np.stack([W32, W32]))
    mx.gossip_sequence([W32, W32])
    time_varying.period_contraction([W32, W32])
    mx.gossip_sequence([sp.csr_matrix(W32)] * 2)
    sparse_graphs.product_contraction([sp.csr_matrix(W32)])
    time_varying.period_contraction(np.stack([W32, W32]))
    off = W32.astype(np.float64)
    with pytest.raises(ValueError, match=r"^W: must be row-stochastic .*row sums off 1 by up to"):
        mx.sparse_gossip(off)
    # the tolerance counts a row's entries, not N, and is capped: a float32 ring of 2·10⁵
    # clients whose rows sum to 1.4 is refused (N times 64 float32 ulps would be 1.5)
    ring = sparse_graphs.sparse_graph("ring", 200_000) + sp.identity(200_000)
    with pytest.raises(ValueError, match=r"row sums off 1 by up to 0\.4 "):
        mx.sparse_gossip(sp.csr_matrix(ring * (1.4 / 3), dtype=np.float32))


def test_float32_rules_are_checked_again_at_float32s_tolerance():
    """The rules keep the dtype their weights were given in, so the checks a run makes again
    (``mixing_rule`` in sims.run; Track C's make_problem and its π) use the tolerance the rule
    was built at: a float32 W (rows off 1 by about 3e-8) accepted by sparse_gossip and
    gossip_sequence runs, where it had been refused as 'float64 allows 3e-10'."""
    from sims.core import mixing as mx

    n = 3
    W32 = np.full((n, n), 1 / 3, np.float32)
    rules = [mx.sparse_gossip(W32), mx.gossip_sequence(np.stack([W32, W32])),
             mx.gossip_sequence([(np.tile(np.arange(n), (n, 1)), W32)] * 2)]  # fmt: skip
    xs = jr.normal(jr.key(1), (n, 6, 2), jnp.float64)

    def loss(w, batch, *, key):
        return 0.5 * jnp.mean((batch @ w - 1.0) ** 2)

    kw = dict(rounds=2, local_steps=1, batch_size=3, optimizer=optax.sgd(0.1), key=jr.key(0))
    dense = sims.run(loss, jnp.zeros(2, jnp.float64), xs, mixing=mx.gossip(W32), **kw)
    for rule in rules:
        assert jax.tree.leaves(mx.mixing_rule(rule, n))[-1].dtype == np.float32
        got = sims.run(loss, jnp.zeros(2, jnp.float64), xs, mixing=rule, **kw)
        np.testing.assert_allclose(got.params, dense.params, rtol=1e-12)
        prob, _, _ = _engine_run(rule, n=n)
        np.testing.assert_allclose(np.asarray(prob.pi), np.full(n, 1 / n), rtol=1e-7)
    with pytest.raises(ValueError, match=r"^mixing: must be row-stochastic .*float64 allows"):
        lists = mx.sparse_gossip(W32)  # the same values given as float64: float64's check
        mx.mixing_rule(mx.SparseGossip(lists.index, np.asarray(lists.weights, np.float64)), n)
