"""The straight-line CPU lowering of JAX's threefry2x32 hash (``sims/threefry.py``) computes
the same bits as JAX's own: the hash against the published known-answer vectors and an
independent NumPy evaluation, and every random function the package uses under both
lowerings in one fresh process."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from jax.extend.random import threefry_2x32

from sims.threefry import threefry2x32, use_straight_threefry
from tests._helpers import fresh_python

# Threefry-2x32-20 known-answer vectors of the Random123 distribution (Salmon et al. 2011):
# (key, counter) -> output
KNOWN = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]


@pytest.mark.parametrize(("key", "count", "want"), KNOWN)
def test_known_answers_in_numpy_jax_and_jit(key, count, want):
    got_np = threefry2x32(*key, *count, xp=np)
    args = [jnp.uint32(a) for a in (*key, *count)]
    got_jnp = threefry2x32(*args)
    got_jit = jax.jit(threefry2x32)(*args)
    for got in (got_np, got_jnp, got_jit):
        assert [int(w) for w in got] == list(want)
    # and JAX's own hash, under whichever lowering this process has
    out = threefry_2x32(jnp.asarray(key, jnp.uint32), jnp.asarray(count, jnp.uint32))
    assert [int(w) for w in out] == list(want)


words = st.integers(0, 2**32 - 1)


@given(
    key=st.tuples(words, words),
    count=st.lists(words, min_size=2, max_size=64).filter(lambda c: len(c) % 2 == 0),
)
def test_jax_hash_matches_the_numpy_evaluation(key, count):
    """``jax.extend.random.threefry_2x32`` (JAX's hash of an even number of counter words:
    the first half and the second half are the two words) equals the NumPy evaluation."""
    c = np.asarray(count, np.uint32)
    half = len(c) // 2
    x0, x1 = threefry2x32(np.uint32(key[0]), np.uint32(key[1]), c[:half], c[half:], xp=np)
    out = np.asarray(threefry_2x32(jnp.asarray(key, jnp.uint32), jnp.asarray(c)))
    np.testing.assert_array_equal(out, np.concatenate([x0, x1]))


def test_registration_is_idempotent():
    assert use_straight_threefry() is True
    assert use_straight_threefry() is True


_BOTH_LOWERINGS = """
import jax, jax.numpy as jnp, jax.random as jr, numpy as np

def draws():
    k = jr.key(7)
    ks = jr.split(k, 3)
    out = {
        "normal32": jr.normal(ks[0], (3, 129, 65), jnp.float32),
        "uniform": jr.uniform(ks[1], (1000,)),
        "randint": jr.randint(ks[2], (4, 5, 64), 0, 1999),
        "bernoulli": jr.bernoulli(jr.fold_in(k, 3), 0.75, (32, 64)),
        "permutation": jr.permutation(jr.fold_in(k, 4), 100),
        "bits64": jr.bits(jr.fold_in(k, 5), (33,), jnp.uint64),
        "bits8": jr.bits(jr.fold_in(k, 6), (17,), jnp.uint8),
        "split": jr.key_data(jr.split(jr.fold_in(k, 9), 5)),
        "vmapped": jax.vmap(lambda i: jr.normal(jr.fold_in(k, i), (8,)))(jnp.arange(6)),
    }
    return out

jax.config.update("jax_enable_x64", True)
run = lambda: {n: np.asarray(v) for n, v in jax.jit(draws)().items()}
loop = run()
from sims.threefry import use_straight_threefry
assert use_straight_threefry()
jax.clear_caches()
straight = run()
for name in loop:
    assert loop[name].dtype == straight[name].dtype, name
    np.testing.assert_array_equal(loop[name], straight[name], err_msg=name)
print("same", len(loop))
"""


def test_straight_lowering_gives_the_numbers_of_jaxs_own():
    """In a process that has not registered the lowering (JAX's loop lowering on the CPU):
    normals, uniforms, integers, Bernoulli masks, permutations, 64- and 8-bit words, split
    and folded keys, and a vmapped stream, before and after :func:`use_straight_threefry`
    (caches cleared, so the second pass compiles with the new lowering): equal bit for bit."""
    proc = fresh_python(["-c", _BOTH_LOWERINGS])
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.split() == ["same", "9"]
