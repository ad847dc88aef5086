"""Neighbour-list rounds above ``norm_batch()`` clients mix in place
(``sims.core.engine.track_c_clients``): the metrics read the mixed models row by row
(``sims.core.recorded.MixedRows``) and the mixed models are written over the round-start ones
after the divergence check (``SparseGossip.mix_over``); every other rule's mixed models are
selected over the round-start ones after it. Against the whole-array round (the same run with
``norm_batch()`` above N): the same models and metrics to rounding, the same divergence
freeze; and the engine's compiled chunk holds about two stacks of models, not three (on two
devices, four, not five)."""

from __future__ import annotations

import json

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest

from sims.core import mixing as mx
from sims.core import recorded
from sims.core import rounds as rd
from sims.core.config import key_tree
from sims.core.engine import make_engine
from sims.core.problem import make_problem
from sims.core.recorded import divergence
from sims.trackc.engine_config import EngineConfig
from tests._helpers import fresh_python, load_script
from theory import topology
from theory._precision import x64

N, D, C = 150, 8, 2


def _run(monkeypatch, batch: int, rule, *, lr: float = 0.02, rounds: int = 4, over=True,
         **fields):  # fmt: skip
    """A Track C DecL run (minibatches of fixed samples; MIM, float64 unless ``fields`` say
    otherwise) at N = 150 with the metrics' batch ``batch``: 40 mixes in place (N > batch;
    asserted where ``over``: ``SparseGossip.mix_over`` is traced; else that it is not), 1000
    the whole-array round. ``rule`` None: FedAvg's rule (``framework="fl"``)."""
    monkeypatch.setattr(recorded, "NORM_BATCH", batch)
    traced = []
    mix_over = mx.SparseGossip.mix_over
    monkeypatch.setattr(
        mx.SparseGossip, "mix_over", lambda self, *a: traced.append(1) or mix_over(self, *a)
    )
    rng = np.random.default_rng(0)
    x = rng.normal(size=(N, 12, D)) * 2.0
    targets = np.einsum("nmd,nme->nde", x, x) / 12
    fields = {"method": "mim", "dtype": "float64", "framework": "decl"} | fields
    cfg = EngineConfig(n_clients=N, d=D, c=C, rounds=rounds, batch=4, lr=lr, **fields)
    with x64():
        prob = make_problem(cfg, targets, x=x, mixing=rule)
        state, trace = make_engine(cfg).run(prob, key=key_tree(0)["root"], chunk=2)
        params = [np.asarray(a) for a in jax.tree.leaves(state.params)]
        z_bar = np.asarray(state.z_bar)
    assert bool(traced) == (batch < N and over)
    return params + [z_bar], {k: np.asarray(a) for k, a in trace.items()}


def _same(lean, whole):
    """The models and z̄ equal to rounding (the mixing's sums are the same, but XLA may fuse
    them otherwise and contract a product and a sum into one rounding: MIM's models came out
    bit-identical, MAR's within 3e-14 after 4 rounds), the trace's metrics too."""
    (lean, lean_trace), (whole, whole_trace) = lean, whole
    rtol = 1e-12 if lean[0].dtype == np.float64 else 1e-5
    for a, b in zip(lean, whole, strict=True):
        atol = 1e-300 if a.dtype == np.float64 else 1e-30
        np.testing.assert_allclose(a, b, rtol=rtol, atol=atol)
    assert lean_trace.keys() == whole_trace.keys()
    for k in whole_trace:
        np.testing.assert_allclose(lean_trace[k], whole_trace[k], rtol=rtol, atol=1e-300)


@pytest.mark.parametrize(
    "rule", [mx.one_peer_exponential(N), mx.random_matching(N), mx.static_exponential(N)]
)
def test_in_place_round_equals_the_whole_array_round(monkeypatch, rule):
    _same(_run(monkeypatch, 40, rule), _run(monkeypatch, 1000, rule))


@pytest.mark.parametrize(
    "fields",
    [
        {"metrics": "loss"},
        {"method": "mar"},  # embeddings: z̄ mixed too
        {"method": "mim-recon"},  # two parameter leaves, the encoder the first
        {"record_local": True},
        {"dtype": "float32"},
    ],
    ids=["loss-metrics", "mar", "mim-recon", "record-local", "float32"],
)
def test_in_place_round_equals_the_whole_array_round_in_every_form(monkeypatch, fields):
    rule = mx.one_peer_exponential(N)
    _same(_run(monkeypatch, 40, rule, **fields), _run(monkeypatch, 1000, rule, **fields))


def test_in_place_round_keeps_the_last_finite_models(monkeypatch):
    """A learning rate that diverges: both rounds stop at the same round, naming the same
    client and loss, with the same models to rounding (the round-start models the in-place
    write falls back to)."""
    rule = mx.one_peer_exponential(N)
    lean, lean_trace = _run(monkeypatch, 40, rule, lr=2.0, rounds=12)
    whole, whole_trace = _run(monkeypatch, 1000, rule, lr=2.0, rounds=12)
    info = divergence(whole_trace)
    assert info is not None and info["round"] >= 1
    assert divergence(lean_trace) == info
    assert np.isfinite(whole[0]).all()
    for a, b in zip(lean, whole, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize(
    "fields",
    [{}, {"framework": "fl"}, {"framework": "fl", "clients_per_round": 30}],
    ids=["dense-W", "fedavg", "fedavg-S30"],
)
def test_selected_round_equals_the_whole_array_round(monkeypatch, fields):
    """The rules that do not mix in place (a dense W, FedAvg): above ``norm_batch()`` the
    mixed models are selected over the round-start ones after the metrics, with the same
    models and metrics as the whole-array round, and, at a learning rate that diverges, the
    same freeze at the same round-start models. (There the clients' updates grow to 1e15 and
    beyond along one direction, equal to rounding, and their spread is rounding noise that
    the metrics' batching moves: left out of that comparison.)"""
    rule = None if fields else topology.uniform_mixing(topology.ring(N))
    lean = _run(monkeypatch, 40, rule, over=False, **fields)
    _same(lean, _run(monkeypatch, 1000, rule, over=False, **fields))
    lean = _run(monkeypatch, 40, rule, lr=50.0, rounds=6, over=False, **fields)
    whole = _run(monkeypatch, 1000, rule, lr=50.0, rounds=6, over=False, **fields)
    info = divergence(whole[1])
    assert info is not None
    np.testing.assert_equal(divergence(lean[1]), info)  # NaN == NaN

    def no_spread(run):
        return run[0], {k: a for k, a in run[1].items() if k != "update_spread"}

    _same(no_spread(lean), no_spread(whole))


def test_mix_over_is_mix_neighbours_or_the_base():
    """``mix_neighbours`` with a base: the plain mix where ``keep`` is False (bit for bit op by
    op), the base where it is True; ``neighbours_row`` is each row of the mix."""
    rule = mx.one_peer_exponential(10).at_round(jr.key(0), 3)
    x = jr.normal(jr.key(1), (10, 3, 4))
    base = jr.normal(jr.key(2), (10, 3, 4))
    plain = rd.mix_neighbours(rule.index, rule.weights, x)
    for jit in (False, True):
        over = jax.jit(rule.mix_over) if jit else rule.mix_over
        got = over(x, base, jnp.asarray(False))
        if jit:  # compiled, XLA may contract a product and a sum into one rounding
            np.testing.assert_allclose(got, plain, rtol=1e-6, atol=1e-7)
        else:  # op by op: the same operations
            np.testing.assert_array_equal(got, plain)
        np.testing.assert_array_equal(over(x, base, jnp.asarray(True)), base)
    rows = jax.vmap(lambda i: rule.row(x, i))(jnp.arange(10))
    np.testing.assert_array_equal(rows, plain)


def test_the_engines_chunk_program_holds_two_stacks_of_models():
    """One-peer DecL at N = 10⁴ (d = 64, c = 16, float32, every metric) in the program the
    engine's chunks run (``consuming_scan``: rounds scanned, the models donated), as
    ``benchmarks/round_memory.py`` builds it: arguments, outputs and temporaries less the bytes
    written over the arguments stay under 2.4 stacks of models per client (the round-start,
    local and mixed models held at once were 3.4)."""
    got = load_script("round_memory").per_client(10_000, "all")
    assert got["program"] == "chunk" and got["aliased_bytes_per_client"] > 0
    stacks = got["held_bytes_per_client"] / got["model_stack_bytes_per_client"]
    assert stacks < 2.4, stacks


def test_the_chunk_program_on_two_devices_holds_no_copy_of_the_round_start_models():
    """The same program with the clients split over two CPU devices (the one-peer rule's
    shifts: each device mixes a new stack, its rows from the other device in a collective
    permute): under 4.5 stacks of models per client (4.99 while XLA copied the round-start
    models before the metrics read them; 3.99 without the copy, at 10⁴ clients)."""
    out = fresh_python(["benchmarks/round_memory.py", "--n", "10000", "--devices", "2"], devices=2)
    assert out.returncode == 0, out.stderr[-2000:]
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["devices"] == 2 and got["aliased_bytes_per_client"] > 0
    stacks = got["held_bytes_per_client"] / got["model_stack_bytes_per_client"]
    assert stacks < 4.5, stacks


_ONE_STACK_BETWEEN_CALLS = """
import jax, jax.numpy as jnp, jax.random as jr, numpy as np
import sims
from sims.core import mixing as mx
from sims.core.config import key_tree
from sims.core.engine import make_engine
from sims.core.problem import make_problem
from sims.core.sharding import client_mesh
from sims.losses import mim
from sims.trackc.engine_config import EngineConfig
n, c, d = 64, 2, 8
mesh = client_mesh(jax.devices()[:2])
def stacks():
    return sum(a.shape == (n, c, d) for a in jax.live_arrays())
x = np.random.default_rng(0).normal(size=(n, 12, d))
t = np.einsum("nmd,nme->nde", x, x) / 12
cfg = EngineConfig(method="mim", framework="decl", n_clients=n, d=d, c=c, rounds=3, batch=4,
                   dtype="float32")
prob = make_problem(cfg, t, x=x, mixing=mx.one_peer_exponential(n))
for state, _ in make_engine(cfg, mesh).chunks(prob, key=key_tree(0)["root"], chunk=1):
    print(stacks(), state.params.sharding.spec)
del state
def sample(key, i, b):
    return jr.normal(key, (b, d)) + i % d
def loss(W, x, *, key):
    return mim(W, x, 0.5, key=key)
import sims.core.trainer as T
calls, starts = T._calls, []
def spy(scan, start, *args):  # keeps the start's models to ask whether they were donated
    starts.append(start.params)
    return calls(scan, start, *args)
T._calls = spy
res = sims.run(loss, jnp.zeros((c, d)) + 0.1, sims.KeyedData(sample, n),
               mixing=mx.one_peer_exponential(n), rounds=3, rounds_per_call=1, batch_size=4,
               lr=0.01, mesh=mesh, key=jr.key(0))
print(starts[0].is_deleted(), res.params.sharding.spec)
"""


def test_a_run_on_two_devices_donates_the_models_it_starts_from():
    """The state a run starts from is placed on the mesh (``sims.core.engine.shard_state``),
    so its models are donated to the first call: between the engine's chunks one (N, c, d)
    stack is alive, split over the devices, and ``sims.run``'s starting models are deleted
    by its first call. Made on one device, they were copied onto the mesh instead: the
    engine's chunks held them beside the run's to the end (and this run of 64 clients did not
    finish its first call within a minute)."""
    out = fresh_python(["-c", _ONE_STACK_BETWEEN_CALLS], devices=2, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    lines = out.stdout.split("\n")
    assert lines[:3] == ["1 P('clients',)"] * 3, out.stdout
    assert lines[3] == "True P('clients',)", out.stdout


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


def test_mix_over_without_keep_ignores_what_the_base_holds():
    """``mix_neighbours`` with a base and no ``keep`` (``sims.run``'s in-place write): the
    plain mix whatever the base holds, NaN and infinities included, jitted or not."""
    rule = mx.one_peer_exponential(10).at_round(jr.key(0), 2)
    x = jr.normal(jr.key(1), (10, 3, 4))
    plain = rd.mix_neighbours(rule.index, rule.weights, x)
    for base in (jnp.full_like(x, jnp.nan), jnp.full_like(x, -jnp.inf), x):
        np.testing.assert_array_equal(rule.mix_over(x, base), plain)
        np.testing.assert_allclose(jax.jit(rule.mix_over)(x, base), plain, rtol=1e-6, atol=1e-7)


def _user_run(rule, n: int, **kw):
    """``sims.run`` of MIM on fixed float64 data of n clients (8 rows each, d = 6, c = 2)."""
    import sims
    from sims.losses import mim

    with x64():
        x = jr.normal(jr.key(3), (n, 8, 6), jnp.float64)
        res = sims.run(
            lambda W, b, *, key: mim(W, b, 0.75, key=key), 0.3 * jnp.eye(2, 6, dtype=jnp.float64),
            x, mixing=rule, rounds=4, local_steps=2, batch_size=4, lr=0.05, key=jr.key(0), **kw,
        )  # fmt: skip
        return [np.asarray(a) for a in (res.params, res.global_params, *res.trace.values())]


@pytest.mark.parametrize("make", [mx.one_peer_exponential, mx.random_matching])
@pytest.mark.parametrize("calls", [{}, {"rounds_per_call": 1, "on_chunk": lambda d, r: None}])
def test_run_mixes_in_place_as_the_whole_array_round(monkeypatch, make, calls):
    """``sims.run`` with a neighbour-list rule writes the mixed models over the round-start
    ones (``mix_over``, asserted traced): the same models, global model and trace as the
    whole-array mix (``mix_over`` taken away), with and without ``on_chunk``."""
    n = 12
    traced = []
    mix_over = mx.SparseGossip.mix_over
    monkeypatch.setattr(
        mx.SparseGossip, "mix_over", lambda self, *a: traced.append(1) or mix_over(self, *a)
    )
    lean = _user_run(make(n), n, **calls)
    assert traced
    monkeypatch.delattr(mx.SparseGossip, "mix_over")
    whole = _user_run(make(n), n, **calls)
    for a, b in zip(lean, whole, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-300)


def _run_program_stacks(on_chunk) -> float:
    """The compiled program of ``sims.run`` (one-peer DecL, keyed data, N = 10⁴, d = 64,
    c = 16, float32, E = 5, B = 32, as ``bench_scale.py``'s run cell): arguments, outputs and
    temporaries less the bytes written over the arguments, in stacks of N models."""
    import sims
    from sims.core import trainer
    from sims.losses import mim

    n, d, c = 10_000, 64, 16
    gen = load_script("bench_scale").GaussianClients(d)
    scan, state, args, _, _ = trainer._prepare(
        lambda W, x, *, key: mim(W, x, 0.75, key=key), jnp.zeros((c, d), jnp.float32),
        sims.KeyedData(lambda key, i, b: gen(key, i, b, jnp.float32), n),
        mx.one_peer_exponential(n), 2, 5, 32, None, 0.01, None, None, jr.key(0), None, None,
        2, on_chunk, None,
    )  # fmt: skip
    m = (
        scan.lower(state.params, state._replace(params=None), args[0], None, 2)
        .compile()
        .memory_analysis()
    )
    held = (
        m.argument_size_in_bytes + m.output_size_in_bytes + m.temp_size_in_bytes
        - m.alias_size_in_bytes
    )  # fmt: skip
    return held / (n * c * d * 4)


def test_the_run_program_holds_two_stacks_of_models():
    """``sims.run`` without ``on_chunk`` donates the models between calls and mixes in place:
    its program holds under 2.5 stacks of models at N = 10⁴ (two, and the chunks' working
    set; 4.4 before, with the mixed models in a new array beside the round-start ones, nothing
    donated); with ``on_chunk`` (the models handed to it stay readable, so they are not
    donated) one stack more, under 3.5."""
    assert _run_program_stacks(None) < 2.5
    assert _run_program_stacks(lambda done, r: None) < 3.5
