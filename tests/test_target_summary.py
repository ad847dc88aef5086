"""The targets a block of clients at a time (theory.objectives.target_summary) against the dense
(N, d, d) stack, and runs handed their (X̄, Q) instead of the stack."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from sims.core.config import key_tree
from sims.core.engine import make_engine, sweep
from sims.core.mixing import one_peer_exponential
from sims.core.problem import make_problem
from sims.core.recorded import target_stats
from sims.trackc.engine_config import EngineConfig
from sims.trackc.simulate_rounds import estimate_bytes
from theory import datamodel as dm
from theory import objectives as ob
from theory._precision import x64

MODEL = dm.DataModel(d=12, n_clients=5)
H = ob.transform("rotation", 12, seed=3)
CASES = [("cl", None), ("mim", None), ("mim-paper", None), ("cl-dissimilar", H)]


@pytest.mark.parametrize("method, h", CASES)
def test_a_block_of_clients_is_those_rows_of_the_stack_exactly(method, h):
    full = ob.population_targets(MODEL, method, H=h)
    for clients in (range(0, 1), range(1, 4), range(4, 5), range(0, 5)):
        part = ob.population_targets(MODEL, method, H=h, clients=clients)
        np.testing.assert_array_equal(part, full[clients.start : clients.stop])


@pytest.mark.parametrize("method, h", CASES)
@pytest.mark.parametrize("block_bytes", [1, 3 * 8 * 12 * 12 * 2, 1 << 30])
def test_summary_of_a_held_stack_is_the_same_numbers(method, h, block_bytes):
    """Population mode hands the summary the stack it formed: the same bits as forming it."""
    X = ob.population_targets(MODEL, method, H=h)
    w = np.random.default_rng(1).dirichlet(np.ones(MODEL.n_clients))
    ticks = []
    a = ob.target_summary(MODEL, method, H=h, weights=w, block_bytes=block_bytes)
    b = ob.target_summary(
        MODEL, method, H=h, weights=w, block_bytes=block_bytes, targets=X, on_block=ticks.append
    )
    for x, y in zip(a, b, strict=True):
        np.testing.assert_array_equal(x, y)
    assert sum(ticks) == 2 * MODEL.n_clients
    with pytest.raises(ValueError, match=r"^targets: must be an array of shape \(5, 12, 12\)"):
        ob.target_summary(MODEL, method, H=h, targets=X[:4])


@pytest.mark.parametrize("method, h", CASES)
@pytest.mark.parametrize("block_bytes", [1, 3 * 8 * 12 * 12 * 2, 1 << 30])
def test_summary_equals_the_stack_stats(method, h, block_bytes):
    X = ob.population_targets(MODEL, method, H=h)
    w = np.random.default_rng(0).dirichlet(np.ones(MODEL.n_clients))
    s = ob.target_summary(MODEL, method, H=h, weights=w, block_bytes=block_bytes)
    with x64():
        mean, spread = (np.asarray(a) for a in target_stats(jnp.asarray(X)))
    np.testing.assert_allclose(s.mean, mean, rtol=0, atol=1e-14 * np.abs(X).max())
    np.testing.assert_allclose(s.spread, spread, rtol=0, atol=1e-13 * np.abs(X).max() ** 2)
    # the numpy oracle of Q, written out
    dev = X - X.mean(0)
    np.testing.assert_allclose(s.spread, np.mean(dev @ dev, 0), rtol=1e-12, atol=1e-15)
    assert s.lam_max == max(float(np.linalg.eigvalsh(x).max()) for x in X)
    np.testing.assert_allclose(s.weighted, np.einsum("n,nde->de", w, X), rtol=1e-13, atol=1e-15)
    assert ob.target_summary(MODEL, method, H=h, block_bytes=block_bytes).weighted is None


def test_the_passes_report_each_block_once():
    seen = []
    ob.target_summary(MODEL, "cl", block_bytes=3 * 8 * 12 * 12 * 2, on_block=seen.append)
    assert seen == [2, 2, 1] * 2  # two passes over blocks of 2, 2 and 1 clients


def test_the_optimal_loss_of_the_mean_target_is_the_clients_mean_loss():
    """simulate's optimal_loss reads f(W; X̄): the loss is linear in X, so that is the mean of
    the clients' losses f(W; X_i) (sims.metrics.global_loss of the stack)."""
    from sims.metrics import global_loss

    X = ob.population_targets(MODEL, "mim")
    W = np.random.default_rng(3).standard_normal((4, 12))
    with x64():
        mean = float(ob.loss(jnp.asarray(W), jnp.asarray(X.mean(0))))
        stack = float(global_loss(jnp.asarray(W), jnp.asarray(X)))
    assert abs(mean - stack) <= 1e-13 * abs(stack)


@pytest.mark.parametrize(
    "call, line",
    [
        (lambda: dm.class_second_moments(MODEL, range(3, 9)), r"^clients: must be a non-empty"),
        (lambda: dm.class_second_moments(MODEL, range(0, 4, 2)), r"^clients: must be a non-emp"),
        (lambda: dm.class_second_moments("model"), r"^model: must be"),
        (lambda: ob.population_targets(MODEL, "cl", clients=2), r"^clients: must be a non-empty"),
        (lambda: dm.check_dense_fits(MODEL, clients=0), r"^clients: must be"),
        (lambda: ob.target_summary(MODEL, "cl", weights=np.ones(4)), r"^weights:"),
        (lambda: ob.target_summary("model", "cl"), r"^model: must be a DataModel"),
        (lambda: ob.target_summary(MODEL, "cl", block_bytes=0), r"^block_bytes:"),
        (lambda: ob.target_summary(MODEL, "mim-recon"), r"^method:"),
        (lambda: ob.target_summary(MODEL, "cl", on_block=3), r"^on_block: must be a function"),
    ],
)
def test_bad_blocks_and_weights_are_refused_with_one_line(call, line):
    with pytest.raises(ValueError, match=line) as err:
        call()
    assert "\n" not in str(err.value)


def test_a_block_too_large_names_the_block():
    big = dm.DataModel(d=100_000, n_clients=4)
    with pytest.raises(ValueError, match=r"^model: .*a block of 2 clients") as err:
        dm.check_dense_fits(big, clients=2)
    assert "the dense moments of a block of clients" in str(err.value)


def _config(population=False, **kw):
    base = dict(method="cl", framework="decl", n_clients=4, d=6, c=2, rounds=3, batch=4,
                population=population, dtype="float64")  # fmt: skip
    return EngineConfig(**(base | kw))


def _targets():
    X = np.random.default_rng(1).standard_normal((4, 6, 6))
    return X + X.transpose(0, 2, 1)


@pytest.mark.parametrize(
    "kw",
    [
        {},
        {"dtype": "float32"},
        {"framework": "fl", "clients_per_round": 2, "server_model": True},
        {"framework": "fl", "method": "mar"},
    ],
)
def test_a_run_handed_the_stats_equals_the_run_handed_the_targets(kw):
    """The engine reads only (X̄, Q) of the targets without population gradients: handed the
    stats it computes itself, it trains and records the same bits (DecL on a neighbour-list
    rule, float32, FedAvg's server-model round, MAR's embeddings)."""
    x = np.random.default_rng(2).standard_normal((4, 8, 6))
    cfg = _config(**kw)
    with x64():
        dt = jnp.float32 if cfg.dtype == "float32" else jnp.float64
        stats = jax.jit(target_stats)(jnp.asarray(_targets(), dtype=dt))
        rule = one_peer_exponential(4) if cfg.framework == "decl" else None
        full = make_problem(cfg, _targets(), x=x, mixing=rule)
        lean = make_problem(cfg, None, stats=stats, x=x, mixing=rule)
        assert lean.targets is None
        engine = make_engine(cfg)
        (a, ta), (b, tb) = (engine.run(p, key=key_tree(0)["root"]) for p in (full, lean))
    np.testing.assert_array_equal(np.asarray(a.params), np.asarray(b.params))
    for k in ta:
        np.testing.assert_array_equal(np.asarray(ta[k]), np.asarray(tb[k]), err_msg=k)


def test_a_run_split_over_devices_takes_the_stats():
    """shard_clients places a problem without targets (the stats replicated): two devices
    train what one does (to rounding)."""
    from tests._helpers import fresh_python

    code = """
import jax, numpy as np
from sims.core.config import key_tree
from sims.core.engine import make_engine
from sims.core.mixing import one_peer_exponential
from sims.core.problem import make_problem
from sims.core.sharding import client_mesh
from sims.trackc.engine_config import EngineConfig
from theory._precision import x64
cfg = EngineConfig(method="cl", framework="decl", n_clients=4, d=6, c=2, rounds=3, batch=4)
x = np.random.default_rng(2).standard_normal((4, 8, 6))
with x64():
    p = make_problem(cfg, None, stats=(np.eye(6), np.zeros((6, 6))), x=x,
                     mixing=one_peer_exponential(4))
    one, _ = make_engine(cfg).run(p, key=key_tree(0)["root"])
    two, _ = make_engine(cfg, mesh=client_mesh()).run(p, key=key_tree(0)["root"])
print(jax.device_count(), float(np.max(np.abs(np.asarray(one.params) - np.asarray(two.params)))))
"""
    out = fresh_python(["-c", code], devices=2)
    assert out.returncode == 0, out.stderr[-2000:]
    devices, gap = out.stdout.split()
    assert devices == "2" and float(gap) < 1e-12


def test_stats_are_refused_where_the_targets_are_needed():
    x = np.random.default_rng(2).standard_normal((4, 8, 6))
    stats = (np.eye(6), np.eye(6))
    rule = one_peer_exponential(4)
    with pytest.raises(ValueError, match=r"^stats: must be None with targets"):
        make_problem(_config(), _targets(), stats=stats, x=x, mixing=rule)
    with pytest.raises(ValueError, match=r"^targets: must be \(N, d, d\) targets, or None"):
        make_problem(_config(), None, x=x, mixing=rule)
    with pytest.raises(TypeError, match=r"^stats\[0\]: must be a real"):
        make_problem(_config(), None, stats=(np.eye(6) > 0, np.eye(6)), x=x, mixing=rule)
    with pytest.raises(ValueError, match=r"^stats\[1\]: must be Q = .*positive semi-definite"):
        make_problem(_config(), None, stats=(np.eye(6), -np.eye(6)), x=x, mixing=rule)
    with pytest.raises(ValueError, match=r"^stats: must be None with population=True"):
        make_problem(_config(population=True), None, stats=stats, mixing=rule)
    with pytest.raises(ValueError, match=r"^stats\[1\]: must be"):
        make_problem(_config(), None, stats=(np.eye(6), np.triu(np.ones((6, 6)))), x=x,
                     mixing=rule)  # fmt: skip
    with pytest.raises(ValueError, match=r"^stats\[0\]:"):
        make_problem(_config(), None, stats=(np.eye(5), np.eye(6)), x=x, mixing=rule)
    with pytest.raises(TypeError, match=r"^stats: must be a pair"):
        make_problem(_config(), None, stats=np.eye(6), x=x, mixing=rule)
    lean = make_problem(_config(), None, stats=stats, x=x, mixing=rule)
    batched = jax.tree.map(lambda a: a[None], lean)
    with pytest.raises(ValueError, match=r"^problems: must be problems made with targets"):
        sweep(_config(), batched, jnp.zeros((1, 2), jnp.uint32))


def test_a_keyed_run_estimates_no_n_d_squared_term():
    """The motivating run of the issue on clients at scale (500 clients, d = 1000, c = 8):
    its targets' term is one block of class moments, not five (N, d, d) stacks (20 GB)."""
    from sims.data.paper_model import KeyedPaperSampler

    shape = dict(n=500, d=1000, c=8, m=67, m_test=50, dtype="float32")
    sampler = KeyedPaperSampler(dm.DataModel(d=1000, n_clients=500))
    keyed = estimate_bytes(**shape, config=_config(n_clients=500, d=1000, c=8, sampler=sampler))
    block = dm.summary_block(500, 1000)
    assert keyed["d"] == dm.DENSE_COPIES * 8 * block * 1000**2 + 8 * 8 * 1000**2
    assert keyed["d"] < 0.2 * 2**30
    population = estimate_bytes(**shape, config=_config(True, n_clients=500, d=1000, c=8))
    assert population["d"] == 5 * 8 * 500 * 1000 * 1000


def test_consensus_weights_are_the_problems():
    """π before the problem (sims.core.problem.consensus_weights) is the π make_problem gives:
    FedAvg's, a dense W's stationary weights and a neighbour-list rule's."""
    from sims.core.mixing import sparse_gossip
    from sims.core.problem import consensus_weights
    from theory import topology

    x = np.random.default_rng(2).standard_normal((4, 8, 6))
    star = topology.mixing_matrix("uniform", topology.make_graph("star", 4))
    for cfg, mixing in ((_config(framework="fl"), None), (_config(), star),
                        (_config(), sparse_gossip(star))):  # fmt: skip
        with x64():
            pi = consensus_weights(cfg, mixing)
            got = make_problem(cfg, _targets(), x=x, mixing=mixing).pi
        np.testing.assert_allclose(pi, np.asarray(got), rtol=1e-15)
    assert not np.allclose(consensus_weights(_config(), star), 0.25)  # the star's are not uniform
