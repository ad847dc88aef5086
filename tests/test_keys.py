"""The written-out key derivations of :mod:`sims.keys` give the bits of ``jax.random`` (JAX's
default Threefry and partitionable mode): the hash against the published known-answer vectors
and JAX's own hash, and fold_in / split / randint against ``jax.random`` on random keys, data
and ranges, typed and raw keys, jitted, vmapped and not; the round streams of
:mod:`sims.core.rounds` built from them equal the ``jax.random`` formulas they document."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jax.extend.random import threefry_2x32

from sims import keys

# Threefry-2x32-20 known-answer vectors of the Random123 distribution (Salmon et al. 2011):
from sims.core import rounds

# (key, counter) -> output
KNOWN = [
    ((0x00000000, 0x00000000), (0x00000000, 0x00000000), (0x6B200159, 0x99BA4EFE)),
    ((0xFFFFFFFF, 0xFFFFFFFF), (0xFFFFFFFF, 0xFFFFFFFF), (0x1CB996FC, 0xBB002BE7)),
    ((0x13198A2E, 0x03707344), (0x243F6A88, 0x85A308D3), (0xC4923A9C, 0x483DF7A0)),
]

words = st.integers(0, 2**32 - 1)
seeds = st.integers(0, 2**31 - 1)
# ranges of the minibatch rows: powers of two, their neighbours, the int32 end, and the
# empty ones (maxval ≤ 0 gives 0)
maxvals = st.one_of(
    st.sampled_from([-5, 0, 1, 2, 3, 255, 256, 257, 65535, 65536, 65537, 2**31 - 1]),
    st.integers(1, 2**31 - 1),
)


@pytest.mark.parametrize(("key", "count", "want"), KNOWN)
def test_known_answers_in_numpy_jax_and_jit(key, count, want):
    got_np = keys.threefry2x32(*key, *count, xp=np)
    args = [jnp.uint32(a) for a in (*key, *count)]
    for got in (got_np, keys.threefry2x32(*args), jax.jit(keys.threefry2x32)(*args)):
        assert [int(w) for w in got] == list(want)
    out = threefry_2x32(jnp.asarray(key, jnp.uint32), jnp.asarray(count, jnp.uint32))
    assert [int(w) for w in out] == list(want)  # and JAX's own hash


@settings(max_examples=30, deadline=None)
@given(key=st.tuples(words, words), count=st.lists(words, min_size=2, max_size=32))
def test_hash_equals_jaxs_on_arrays(key, count):
    """``jax.extend.random.threefry_2x32`` hashes the first and second half of an even count
    as the two words; the JAX path (lax primitives) equals the NumPy one on arrays, and with a
    column of keys broadcast against a row of counters and a scalar counter."""
    c = np.asarray(count[: len(count) // 2 * 2], np.uint32)
    half = len(c) // 2
    x0, x1 = keys.threefry2x32(np.uint32(key[0]), np.uint32(key[1]), c[:half], c[half:], xp=np)
    out = np.asarray(threefry_2x32(jnp.asarray(key, jnp.uint32), jnp.asarray(c)))
    np.testing.assert_array_equal(out, np.concatenate([x0, x1]))
    j0, j1 = keys.threefry2x32(*(jnp.asarray(a) for a in (np.uint32(key[0]), np.uint32(key[1]),
                                                           c[:half], c[half:])))  # fmt: skip
    np.testing.assert_array_equal(np.concatenate([j0, j1]), np.concatenate([x0, x1]))
    ks = np.asarray([key[0], key[1], key[0] ^ key[1]], np.uint32)[:, None]
    want = keys.threefry2x32(ks, ks[::-1], c[:half], np.uint32(7), xp=np)
    got = jax.jit(keys.threefry2x32)(ks, ks[::-1], c[:half], np.uint32(7))
    for g, w in zip(got, want, strict=True):
        assert g.shape == w.shape == (3, half)
        np.testing.assert_array_equal(np.asarray(g), w)


def _data(key):
    return np.asarray(jr.key_data(key) if jnp.issubdtype(key.dtype, jax.dtypes.prng_key) else key)


@settings(max_examples=40, deadline=None)
@given(seed=seeds, data=words, maxval=maxvals, n=st.integers(1, 40), raw=st.booleans())
def test_derivations_equal_jax_random(seed, data, maxval, n, raw):
    key = jr.PRNGKey(seed) if raw else jr.key(seed)
    assert _data(keys.fold_in(key, data)).tolist() == _data(jr.fold_in(key, data)).tolist()
    k1, k2 = keys.split(key)
    np.testing.assert_array_equal(np.stack([_data(k1), _data(k2)]), _data(jr.split(key)))
    got = keys.randint(key, n, maxval)
    want = jr.randint(key, (n,), 0, maxval, dtype=jnp.int32)
    assert got.dtype == want.dtype == jnp.int32
    np.testing.assert_array_equal(got, want)
    # the kind of key is kept
    assert jnp.issubdtype(k1.dtype, jax.dtypes.prng_key) is not raw


def test_jitted_and_vmapped_equal_jax_random():
    root = jr.key(11)
    idx = jnp.arange(50, dtype=jnp.int32)
    maxval = jnp.asarray([1, 7, 256, 1000, 2**31 - 1] * 10, jnp.int32)

    def ours(i, m):
        k = keys.fold_in(keys.fold_in(root, 3), i)
        return jr.key_data(keys.split(k)[1]), keys.randint(k, 9, m)

    def theirs(i, m):
        k = jr.fold_in(jr.fold_in(root, 3), i)
        return jr.key_data(jr.split(k)[1]), jr.randint(k, (9,), 0, m, dtype=jnp.int32)

    want = jax.vmap(theirs)(idx, maxval)
    for fn in (jax.vmap(ours), jax.jit(jax.vmap(ours))):
        for a, b in zip(fn(idx, maxval), want, strict=True):
            np.testing.assert_array_equal(a, b)


def test_other_key_implementations_go_to_jax_random():
    key = jr.key(5, impl="rbg")
    np.testing.assert_array_equal(_data(keys.fold_in(key, 3)), _data(jr.fold_in(key, 3)))
    want = jr.randint(key, (6,), 0, 9, dtype=jnp.int32)
    np.testing.assert_array_equal(keys.randint(key, 6, 9), want)
    assert str(jr.key_impl(keys.split(key)[0])) == "rbg"


@settings(max_examples=20, deadline=None)
@given(seed=seeds, t=st.integers(0, 10**6), i=st.integers(0, 10**5), s=st.integers(0, 50),
       n_i=st.integers(1, 5000), b=st.integers(1, 64))  # fmt: skip
def test_round_streams_are_the_documented_jax_random_formulas(seed, t, i, s, n_i, b):
    """:func:`sims.core.rounds.batch_indices` and :func:`sims.core.rounds.loss_key` as their
    docstrings state them in ``jax.random``."""
    key = jr.key(seed)
    k = jr.fold_in(jr.fold_in(jr.fold_in(jr.fold_in(key, 0), t), i), s)
    np.testing.assert_array_equal(
        rounds.batch_indices(key, t, i, s, n_i, b), jr.randint(k, (b,), 0, n_i, dtype=jnp.int32)
    )
    k = jr.fold_in(jr.fold_in(jr.fold_in(jr.fold_in(key, 1), t), i), s)
    np.testing.assert_array_equal(_data(rounds.loss_key(key, t, i, s)), _data(k))
