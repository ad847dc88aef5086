"""Same seed → bit-identical results in two separate processes (CPU); different seeds differ."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_SCRIPT = """
import hashlib, jax, numpy as np
jax.config.update("jax_enable_x64", True)
from sims.config import EngineConfig, key_tree
from sims.engine import make_engine, make_problem
from theory import topology
n, d, c = 4, 8, 2
x = np.random.default_rng(0).normal(size=(n, 12, d))
t = np.einsum("nmd,nme->nde", x, x) / 12
mix = topology.mixing_matrix("uniform", topology.make_graph("ring", n))
cfg = EngineConfig(method="mim", framework="decl", n_clients=n, d=d, c=c, rounds=3, batch=4,
                   local_steps=2, dtype="float32")
eng = make_engine(cfg)
prob = make_problem(cfg, t, x=x, mixing=mix)
for seed in (0, 1):
    s, tr = eng.run(prob, key=key_tree(seed)["root"])
    h = hashlib.sha256(np.asarray(s.params).tobytes() + np.asarray(tr["loss"]).tobytes())
    print(seed, h.hexdigest())
"""


def _digests() -> dict:
    env = dict(os.environ, JAX_PLATFORMS="cpu")
    out = subprocess.run(
        [sys.executable, "-c", _SCRIPT],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    return dict(line.split() for line in out.stdout.strip().splitlines())


def test_same_seed_bit_identical_across_processes():
    a, b = _digests(), _digests()
    assert a == b
    assert a["0"] != a["1"]
