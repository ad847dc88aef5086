"""Client-axis and sweep-axis sharding over 8 simulated CPU devices equals one device.

XLA_FLAGS must be set before jax is imported, so the check runs in a subprocess. Tolerance:
1e-12 absolute in float64 (cross-device sums may be reassociated; measured: exactly equal)."""

from __future__ import annotations

from tests._helpers import fresh_python, problem_source

_SCRIPT = (
    problem_source()
    + """
from sims.core.engine import make_engine, sweep
from sims.core.problem import make_problem
from sims.core.sharding import client_mesh, shard_clients, shard_sweep
assert len(jax.devices()) == 8
cfg = EngineConfig(method="mim", framework="decl", n_clients=n, d=d, c=c, rounds=3, batch=4,
                   local_steps=2)
prob = make_problem(cfg, t, x=x, mixing=mix)
eng = make_engine(cfg)
a, ta = eng.run(prob, key=key_tree(0)["root"])
b, tb = eng.run(shard_clients(prob, client_mesh()), key=key_tree(0)["root"])
assert len(b.params.sharding.device_set) == 8
err = np.max(np.abs(np.asarray(a.params) - np.asarray(b.params)))
err = max(err, np.max(np.abs(np.asarray(ta["loss"]) - np.asarray(tb["loss"]))))
keys = jax.vmap(jr.PRNGKey)(jnp.arange(8))
probs = prob._replace(mixing=jnp.stack([jnp.asarray(mix)] * 8))
axes = jax.tree.map(lambda _: None, prob)._replace(mixing=0)
s1, _ = sweep(cfg, probs, keys, axes=axes)
sp, sk = shard_sweep(probs, keys, client_mesh(axis="sweep"), axes=axes)
s2, _ = sweep(cfg, sp, sk, axes=axes)
assert len(s2.params.sharding.device_set) == 8
err = max(err, np.max(np.abs(np.asarray(s1.params) - np.asarray(s2.params))))
try:
    shard_clients(make_problem(cfg.__class__(**{**cfg.__dict__, "n_clients": 6}),
                  t[:6], x=x[:6], mixing=topology.mixing_matrix(
                  "uniform", topology.make_graph("ring", 6))), client_mesh())
    raise SystemExit("no error for N not divisible by the device count")
except ValueError as e:
    assert str(e).startswith("n_clients:"), e
print("max_err", err)
"""
)


def test_sharded_equals_single_device():
    out = fresh_python(["-c", _SCRIPT], devices=8)
    assert out.returncode == 0, out.stderr[-2000:]
    err = float(out.stdout.strip().splitlines()[-1].split()[1])
    assert err <= 1e-12
