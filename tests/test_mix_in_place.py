"""Neighbour-list rounds above ``norm_batch()`` clients mix in place
(``sims.core.engine.track_c_clients``): the metrics read the mixed models row by row
(``sims.core.recorded.MixedRows``) and the mixed models are written over the round-start ones
after the divergence check (``SparseGossip.mix_over``). Against the whole-array round (the
same run with ``norm_batch()`` above N): the same models bit for bit, the metrics to rounding,
the same divergence freeze; and a compiled round holds about two stacks of models, not three."""

from __future__ import annotations

import dataclasses

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims.core import mixing as mx
from sims.core import recorded
from sims.core import rounds as rd
from sims.core.config import key_tree
from sims.core.engine import make_engine, make_round
from sims.core.problem import make_problem
from sims.core.recorded import divergence
from sims.trackc.engine_config import EngineConfig
from theory._precision import x64

N, D, C = 150, 8, 2


@dataclasses.dataclass(frozen=True)
class _Gaussian:
    """Keyed minibatches N(0, I_d) (a value of a static engine configuration)."""

    d: int

    def __call__(self, key, i, batch, dtype):
        return jr.normal(key, (batch, self.d), dtype)


def _run(monkeypatch, batch: int, rule, *, lr: float = 0.02, rounds: int = 4):
    """A Track C DecL run (MIM, minibatches of fixed samples, float64) at N = 150 with the
    metrics' batch ``batch``: 40 mixes in place (N > batch), 1000 the whole-array round."""
    monkeypatch.setattr(recorded, "NORM_BATCH", batch)
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 12, D)) * 2.0
    targets = np.einsum("nmd,nme->nde", x, x) / 12
    cfg = EngineConfig(
        method="mim", framework="decl", n_clients=N, d=D, c=C, rounds=rounds, batch=4, lr=lr,
        dtype="float64",
    )  # fmt: skip
    with x64():
        prob = make_problem(cfg, targets, x=x, mixing=rule)
        state, trace = make_engine(cfg).run(prob, key=key_tree(0)["root"], chunk=2)
        return np.asarray(state.params), {k: np.asarray(a) for k, a in trace.items()}


@pytest.mark.parametrize(
    "rule", [mx.one_peer_exponential(N), mx.random_matching(N), mx.static_exponential(N)]
)
def test_in_place_round_equals_the_whole_array_round(monkeypatch, rule):
    lean, lean_trace = _run(monkeypatch, 40, rule)
    whole, whole_trace = _run(monkeypatch, 1000, rule)
    np.testing.assert_array_equal(lean, whole)
    assert lean_trace.keys() == whole_trace.keys()
    for k in whole_trace:
        np.testing.assert_allclose(lean_trace[k], whole_trace[k], rtol=1e-12, atol=1e-300)


def test_in_place_round_keeps_the_last_finite_models(monkeypatch):
    """A learning rate that diverges: both rounds stop at the same round with the same
    models (the round-start models the in-place write falls back to)."""
    rule = mx.one_peer_exponential(N)
    lean, lean_trace = _run(monkeypatch, 40, rule, lr=2.0, rounds=12)
    whole, whole_trace = _run(monkeypatch, 1000, rule, lr=2.0, rounds=12)
    info = divergence(whole_trace)
    assert info is not None and info["round"] >= 1
    assert divergence(lean_trace) == info
    assert np.isfinite(whole).all()
    np.testing.assert_array_equal(lean, whole)


def test_mix_over_is_mix_neighbours_or_the_base():
    """``mix_neighbours`` with a base: the plain mix bit for bit where ``keep`` is False, the
    base where it is True; ``neighbours_row`` is each row of the mix, bit for bit."""
    rule = mx.one_peer_exponential(10).at_round(jr.key(0), 3)
    x = jr.normal(jr.key(1), (10, 3, 4))
    base = jr.normal(jr.key(2), (10, 3, 4))
    plain = rd.mix_neighbours(rule.index, rule.weights, x)
    for jit in (False, True):
        over = jax.jit(rule.mix_over) if jit else rule.mix_over
        np.testing.assert_array_equal(over(x, base, jnp.asarray(False)), plain)
        np.testing.assert_array_equal(over(x, base, jnp.asarray(True)), base)
    rows = jax.vmap(lambda i: rule.row(x, i))(jnp.arange(10))
    np.testing.assert_array_equal(rows, plain)


def test_a_donated_round_holds_two_stacks_of_models():
    """One-peer DecL at N = 10⁴ (d = 64, c = 16, float32, every metric), the state donated as
    the engine's runs donate it: arguments, outputs and temporaries less the bytes written over
    the arguments stay under 2.4 stacks of models per client (the round-start, local and mixed
    models held at once were 3.4)."""
    n, d, c = 10_000, 64, 16
    cfg = EngineConfig(
        method="mim", framework="decl", n_clients=n, d=d, c=c, batch=32, local_steps=5,
        rounds=2, lr=0.01, dtype="float32",
        sampler=_Gaussian(d),
    )  # fmt: skip
    two = dataclasses.replace(cfg, n_clients=2)
    small = make_problem(two, np.stack([np.eye(d, dtype=np.float32)] * 2),
                         mixing=np.full((2, 2), 0.5))  # fmt: skip
    rule = jax.tree.map(
        lambda a: jnp.asarray(a, jnp.float32) if np.asarray(a).dtype.kind == "f" else a,
        mx.mixing_rule(mx.one_peer_exponential(n), n),
    )
    problem = small._replace(
        targets=small.targets[:1], mixing=rule, agg=jnp.ones((n,), jnp.float32),
        pi=jnp.full((n,), 1 / n, jnp.float32),
    )  # fmt: skip
    init, round_step = make_round(cfg)
    state = jax.jit(lambda p, k: init(p, key=k))(problem, key_tree(0)["root"])
    stats = recorded.target_stats(problem.targets)
    step = jax.jit(round_step, donate_argnums=0)
    mem = step.lower(state, problem, stats).compile().memory_analysis()
    if mem is None:
        pytest.skip("backend gives no memory analysis")
    held = (
        mem.argument_size_in_bytes + mem.output_size_in_bytes + mem.temp_size_in_bytes
        - mem.alias_size_in_bytes
    )  # fmt: skip
    assert held / (n * c * d * 4) < 2.4, held / (n * c * d * 4)


def test_chunks_consume_the_models_they_start_from():
    """``make_engine``'s chunks donate the models of the state each starts from: an earlier
    yielded state's models are gone once the next chunk started (as the docstring says), its
    other fields and the last state stay readable, and the run equals one call of all rounds."""
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 12, D))
    cfg = EngineConfig(method="mim", framework="decl", n_clients=6, d=D, c=C, rounds=3, batch=4)
    prob = make_problem(cfg, np.einsum("nmd,nme->nde", x, x) / 12, x=x,
                        mixing=mx.one_peer_exponential(6))  # fmt: skip
    engine = make_engine(cfg)
    states = [s for s, _ in engine.chunks(prob, key=key_tree(0)["root"], chunk=1)]
    assert all(a.is_deleted() for s in states[:-1] for a in jax.tree.leaves(s.params))
    assert not any(a.is_deleted() for s in states for a in jax.tree.leaves(s.counts))
    whole, _ = engine.run(prob, key=key_tree(0)["root"])
    for a, b in zip(jax.tree.leaves(states[-1].params), jax.tree.leaves(whole.params), strict=True):
        np.testing.assert_array_equal(np.asarray(a), np.asarray(b))
