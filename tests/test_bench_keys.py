"""benchmarks/bench_keys.py: its jax.random stand-ins are the functions of sims.keys in
jax.random (the same bits), they are put back afterwards, and a short run writes the table
with both engines training the same models."""

from __future__ import annotations

import json

import jax.numpy as jnp
import jax.random as jr
import numpy as np

import sims.keys
from tests._helpers import load_script


def test_stand_ins_give_the_same_keys_and_are_put_back():
    mod = load_script("bench_keys")
    key = jr.key(4)
    ours = {
        "fold_in": jr.key_data(sims.keys.fold_in(key, 9)),
        "split": jr.key_data(jnp.stack(sims.keys.split(key))),
        "randint": sims.keys.randint(key, 7, 300),
    }
    before = {name: getattr(sims.keys, name) for name in mod.JAX_RANDOM}
    with mod.jax_random_keys():
        assert all(getattr(sims.keys, n) is mod.JAX_RANDOM[n] for n in mod.JAX_RANDOM)
        theirs = {
            "fold_in": jr.key_data(sims.keys.fold_in(key, 9)),
            "split": jr.key_data(jnp.stack(sims.keys.split(key))),
            "randint": sims.keys.randint(key, 7, 300),
        }
    assert {name: getattr(sims.keys, name) for name in mod.JAX_RANDOM} == before
    for name in ours:
        np.testing.assert_array_equal(ours[name], theirs[name], err_msg=name)


def test_short_run_writes_the_table(tmp_path):
    out = tmp_path / "keys.json"
    res = load_script("bench_keys").main(["--repeats", "1", "--out", str(out)])
    assert json.loads(out.read_text())["seconds"].keys() == res["seconds"].keys()
    assert len(res["seconds"]) == 9  # 2 methods x 2 metric sets x 2 key sources, and NumPy
    assert set(res["max_abs_diff_sims_keys_vs_jax_random"].values()) == {0.0}
