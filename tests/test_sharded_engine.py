"""The engine with its clients split over 4 simulated CPU devices (``make_engine(config,
mesh=...)``: local updates and metrics in ``jax.shard_map``) equals the one-device engine.

Every configuration that takes another path through a round: DecL (with the dense W, whose rows
the devices split, and with the rules of ``sims.core.mixing`` that every device holds whole:
neighbour lists, the one-peer exponential graph, keyed random matchings) and FedAvg with all
clients, FedAvg with a sampled set that splits evenly over the devices (sharded) and one that
does not (trained without ``shard_map``), population mode, a method with two parameter matrices and
per-step records (mim-recon), one with embeddings and a γ schedule (MAR), Adam with persistent
state, a run that diverges (its trace holds NaN and inf where the one-device trace does), and
runs recording only the losses (``metrics="loss"``). Float64, 1e-12 on the parameters and every
metric of the trace, absolute below 1 and relative above: only the order of the cross-device
sums differs (measured: 1e-15 or less).

(A diverging FedAvg run is left out: its averaged clients are equal, so its consensus distance
is 0 up to the rounding of a mean of numbers near 1e32, and that rounding differs.)

XLA_FLAGS must be set before jax starts, so the check runs in a subprocess."""

from __future__ import annotations

import os
import subprocess

from tests._helpers import fresh_python, problem_source

_SCRIPT = (
    problem_source()
    + """
from sims.core.engine import make_engine
from sims.core.problem import make_problem
from sims.core.recorded import METRICS_OF_LEVEL
from sims.core import mixing
from sims.core.sharding import client_mesh
assert len(jax.devices()) == 4
base = dict(n_clients=n, d=d, c=c, rounds=3, batch=4, local_steps=2)
cases = {
    "decl": dict(method="mim", framework="decl"),
    "fl": dict(method="cl", framework="fl"),
    "fl S=4 (sharded)": dict(method="mim", framework="fl", clients_per_round=4),
    "fl S=3 (not split)": dict(method="mim", framework="fl", clients_per_round=3),
    "population": dict(method="cl", framework="decl", population=True),
    "mim-recon, records": dict(method="mim-recon", framework="decl", record_local=True),
    "mar": dict(method="mar", framework="fl"),
    "adam, kept state": dict(method="mim", framework="fl", optimizer="adam", lr=0.01,
                             persist_opt_state=True),
    "diverges (NaN/inf in the trace)": dict(method="mim", framework="decl", lr=50.0),
    "losses only, fl S=4": dict(method="mim", framework="fl", clients_per_round=4,
                                metrics="loss"),
    "losses only, diverges": dict(method="mim", framework="decl", lr=50.0, metrics="loss"),
    "losses only, mim-recon, records": dict(method="mim-recon", framework="decl",
                                            record_local=True, metrics="loss"),
    "sparse gossip (neighbour lists)": dict(method="mim", framework="decl"),
    "one-peer exponential (time-varying)": dict(method="mim", framework="decl"),
    "random matchings (keyed)": dict(method="mar", framework="decl"),
}
# the DecL rules given as values of sims.core.mixing (replicated on every device) instead of
# the dense W (its rows split over the devices)
RULES = {
    "sparse gossip (neighbour lists)": mixing.sparse_gossip(mix),
    "one-peer exponential (time-varying)": mixing.one_peer_exponential(n),
    "random matchings (keyed)": mixing.random_matching(n),
}
OTHER = {"diverged", "diverged_client", "diverged_loss", "local_iterates", "local_grads"}


def diff(u, w):
    u, w = np.asarray(u, float), np.asarray(w, float)
    assert (np.isnan(u) == np.isnan(w)).all(), (name, "NaN in one run only", u, w)
    u, w = np.nan_to_num(u, nan=0.0), np.nan_to_num(w, nan=0.0)
    scale = np.maximum(1.0, np.abs(u))  # relative where a diverging run's numbers are huge
    return float(np.max(np.where(u == w, 0.0, np.abs(u - w) / scale), initial=0.0))


mesh = client_mesh()
worst = 0.0
for name, kw in cases.items():
    cfg = EngineConfig(**base, **kw)
    prob = make_problem(cfg, t, x=None if cfg.population else x,
                        mixing=RULES.get(name, mix) if cfg.framework == "decl" else None)
    a, ta = make_engine(cfg).run(prob, key=key_tree(0)["root"])
    b, tb = make_engine(cfg, mesh=mesh).run(prob, key=key_tree(0)["root"])
    assert set(ta) == set(tb), (name, sorted(ta), sorted(tb))
    assert set(ta) - OTHER == set(METRICS_OF_LEVEL[cfg.metrics]), (name, sorted(ta))
    assert ("local_iterates" in ta) == cfg.record_local, name
    assert len(jax.tree.leaves(b.params)[0].sharding.device_set) == 4, name
    pa, pb = jax.tree.leaves(a.params), jax.tree.leaves(b.params)
    errs = [diff(u, w) for u, w in zip(pa, pb)] + [diff(ta[k], tb[k]) for k in ta]
    assert all(np.isfinite(errs)), name
    assert bool(np.any(ta["diverged"])) == ("diverges" in name), name
    print(name, max(errs))
    worst = max(worst, max(errs))
# where shard_clients puts things: the client fields split, a rule value held whole
from jax.sharding import PartitionSpec
from sims.core.sharding import shard_clients
cfg = EngineConfig(**base, method="mim", framework="decl")
for mixing_in, split_rule in ((mix, True), (RULES["one-peer exponential (time-varying)"], False)):
    placed = shard_clients(make_problem(cfg, t, x=x, mixing=mixing_in), mesh)
    for field in ("targets", "x", "pi", "agg"):
        assert getattr(placed, field).sharding.spec == PartitionSpec("clients"), field
    for leaf in jax.tree.leaves(placed.mixing):
        assert leaf.sharding.is_fully_replicated != split_rule, (split_rule, leaf.sharding)
# N not a multiple of the devices, and no mesh at all: one line naming the mesh either way
# (sims.core.engine.check_clients_mesh, the check sims.run makes too)
for bad, field in ((dict(n_clients=6), "mesh:"), (None, "mesh:")):
    cfg = EngineConfig(**{**base, **(bad or {})}, method="mim", framework="fl")
    try:
        make_engine(cfg, mesh=mesh if bad else "cpu")
        raise SystemExit(f"no error for {field}")
    except ValueError as e:
        assert str(e).startswith(field), e
print("max_err", worst)
"""
)


def test_sharded_engine_equals_one_device():
    out = fresh_python(["-c", _SCRIPT], devices=4, timeout=600)
    assert out.returncode == 0, out.stderr[-3000:]
    err = float(out.stdout.strip().splitlines()[-1].split()[1])
    assert err <= 1e-12, out.stdout


def _simulate(*extra: str) -> subprocess.CompletedProcess:
    argv = "simulate --n-clients 4 --d 16 --rounds 4 --samples-per-client 40 --batch 8 --json"
    return fresh_python(["-m", "sims.cli", *argv.split(), *extra])


def test_simulate_devices_equals_one_device():
    """``dssl simulate --devices 2`` as a program: on a CPU with 2 or more cores, dssl makes
    one device per core and the run equals ``--devices 1`` (float64: 1e-10 on every number
    of the result), for FedAvg and for DecL on the one-peer exponential graph (a rule every
    device holds whole); with one core, or clients that do not split evenly, one clear line."""
    import json

    cores = len(os.sched_getaffinity(0))
    two = _simulate("--devices", "2")
    if cores < 2:
        assert two.returncode == 2 and "devices: must be at most" in two.stderr
        return
    for extra in ((), ("--framework", "decl", "--graph", "one_peer_exp")):
        two = _simulate("--devices", "2", *extra) if extra else two
        assert two.returncode == 0, two.stderr[-2000:]
        one = _simulate(*extra)
        assert one.returncode == 0, one.stderr[-2000:]
        a, b = json.loads(one.stdout), json.loads(two.stdout)
        assert a["config"].pop("devices") == 1 and b["config"].pop("devices") == 2
        flat_a, flat_b = _numbers(a), _numbers(b)
        assert flat_a.keys() == flat_b.keys() and len(flat_a) > 50
        worst = max(abs(flat_a[k] - flat_b[k]) / max(1.0, abs(flat_a[k])) for k in flat_a)
        assert worst <= 1e-10, (extra, worst)
    odd = _simulate("--devices", "2", "--n-clients", "5", "--d", "20")
    assert odd.returncode == 2
    assert odd.stderr.strip().splitlines() == [
        "dssl simulate: error: --devices: must be a divisor of --n-clients = 5, got 2"
    ]


def _numbers(tree, prefix="") -> dict:
    """Every number of a JSON result, by its path (strings and booleans left out)."""
    out = {}
    if isinstance(tree, dict):
        for k, val in tree.items():
            out |= _numbers(val, f"{prefix}/{k}")
    elif isinstance(tree, list):
        for i, val in enumerate(tree):
            out |= _numbers(val, f"{prefix}/{i}")
    elif isinstance(tree, (int, float)) and not isinstance(tree, bool):
        out[prefix] = float(tree)
    return out


_API_SCRIPT = """
import jax, jax.numpy as jnp, jax.random as jr, numpy as np, optax
jax.config.update("jax_enable_x64", True)
from sims.core import trainer as api
from sims.core.mixing import one_peer_exponential
from sims.core.sharding import client_mesh
from theory import topology
assert len(jax.devices()) == 4
n = 8
xs = np.random.default_rng(0).normal(size=(n, 12, 3))
ys = xs @ np.array([1.0, -2.0, 0.5]) + 0.1 * np.random.default_rng(1).normal(size=(n, 12))

def loss(w, batch, *, key):
    x, y = batch
    noise = 0.01 * jr.normal(key, y.shape)  # the per-client, per-step key matters
    return 0.5 * jnp.mean((x @ w - y - noise) ** 2)

def sample(key, i, b):  # keyed data: client i's minibatch from its key
    x = jr.normal(key, (b, 3)) + 0.1 * i.astype(jnp.float64)
    return x, x @ jnp.array([1.0, -2.0, 0.5])

ring = topology.mixing_matrix("uniform", topology.make_graph("ring", n))
A = np.roll(np.eye(n), 1, axis=0) * 0.5 + np.eye(n) * 0.5  # column-stochastic, directed ring
cases = {
    "fedavg": dict(mixing="fedavg"),
    "fedavg S=4 (sharded)": dict(mixing="fedavg", clients_per_round=4),
    "fedavg S=3 (not split)": dict(mixing="fedavg", clients_per_round=3),
    "gossip": dict(mixing=ring),
    "push-sum": dict(mixing=("push-sum", A)),
    "gossip, chunk 1": dict(mixing=ring, chunk=1),
    "one-peer exponential": dict(mixing=one_peer_exponential(n)),
    "keyed data, one-peer exponential": dict(
        mixing=one_peer_exponential(n), data=api.KeyedData(sample, n)),
    "keyed data, fedavg S=4, chunk 1": dict(
        mixing="fedavg", clients_per_round=4, chunk=1, data=api.KeyedData(sample, n)),
}
worst = 0.0
for name, kw in cases.items():
    data = kw.pop("data", (xs, ys))
    common = dict(rounds=4, local_steps=2, batch_size=4, optimizer=optax.adam(0.05),
                  key=jr.key(0), **kw)
    a = api.run(loss, jnp.zeros(3), data, **common)
    b = api.run(loss, jnp.zeros(3), data, mesh=client_mesh(), **common)
    errs = [np.max(np.abs(np.asarray(u) - np.asarray(w)))
            for u, w in zip(jax.tree.leaves(a), jax.tree.leaves(b))
            if np.asarray(u).size and not np.isnan(np.asarray(u)).all()]
    assert np.isnan(np.asarray(a.trace["client_loss"])).sum() == \\
        np.isnan(np.asarray(b.trace["client_loss"])).sum(), name
    print(name, max(errs))
    worst = max(worst, max(errs))
try:
    api.run(loss, jnp.zeros(3), (xs[:6], ys[:6]), rounds=1, batch_size=4, lr=0.1,
            key=jr.key(0), mesh=client_mesh())
    raise SystemExit("no error for 6 clients on 4 devices")
except ValueError as e:
    assert str(e).startswith("mesh:"), e
print("max_err", worst)
"""


def test_api_run_sharded_equals_one_device():
    """``sims.run(..., mesh=...)`` (Track D's engine) on 4 simulated devices equals the
    one-device run: FedAvg with all clients, with a sampled set that splits evenly (sharded)
    and one that does not, gossip (a dense W and the one-peer exponential graph), push-sum and
    chunked clients (float64, 1e-12)."""
    out = fresh_python(["-c", _API_SCRIPT], devices=4)
    assert out.returncode == 0, out.stderr[-3000:]
    err = float(out.stdout.strip().splitlines()[-1].split()[1])
    assert err <= 1e-12, out.stdout


def test_trackd_devices_plumbing():
    """``dssl trackd --devices 2`` as a program: every arm whose clients split evenly gets a
    two-device mesh (others none), the run finishes with the same result structure as one
    device and records ``devices``; a count above the devices present is one clear line."""
    import json

    code = """
import jax
from sims.trackd import train as ex
assert ex.arm_mesh(20, ex.devices_for(1)) is None
two = ex.devices_for(2)
assert ex.arm_mesh(20, two).devices.size == 2 and ex.arm_mesh(5, two) is None
print("ok")
"""
    out = fresh_python(["-c", code], devices=2)
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]
    argv = "-m sims.cli trackd --experiment fig2a --preset fast --rounds 1 --seeds 1 --json"
    cores = len(os.sched_getaffinity(0))
    two = fresh_python([*argv.split(), "--devices", "2"])
    if cores < 2:
        assert two.returncode == 2 and "devices: must be in [1, 1]" in two.stderr
        return
    one = fresh_python(argv.split())
    assert one.returncode == 0 and two.returncode == 0, two.stderr[-2000:]
    a, b = json.loads(one.stdout), json.loads(two.stdout)
    assert (a.pop("devices"), b.pop("devices")) == (1, 2)
    assert _numbers(a).keys() == _numbers(b).keys()
    big = fresh_python([*argv.split(), "--devices", str(cores + 1)])
    assert big.returncode == 2
    assert big.stderr.strip().splitlines() == [
        f"dssl trackd: error: --devices: must be in [1, {cores}] (the devices JAX sees here), "
        f"got {cores + 1}"
    ]
