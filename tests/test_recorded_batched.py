"""The round's metrics over batches of clients (above ``norm_batch()`` clients) against the
whole-array form, and the copy-free client loop of ``map_clients`` against one ``vmap``."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sims.core import recorded
from sims.core.recorded import _round_metrics, target_stats
from sims.core.rounds import map_clients
from theory._precision import x64


def _inputs(n: int, c: int = 3, d: int = 5, seed: int = 0):
    rng = np.random.default_rng(seed)
    W0 = rng.normal(size=(n, c, d))
    Wl = W0 + 0.1 * rng.normal(size=(n, c, d))
    W1 = Wl + 0.01 * rng.normal(size=(n, c, d))
    pi = rng.random(n)
    pi /= pi.sum()
    vals = rng.normal(size=n)
    active = (rng.random(n) < 0.7).astype(float)
    gamma = rng.random(n)
    X = rng.normal(size=(2, d, d))
    stats = target_stats(jnp.asarray(X + X.transpose(0, 2, 1)))
    return tuple(jnp.asarray(a) for a in (W0, Wl, W1, pi, vals, active, gamma)), stats


@pytest.mark.parametrize("jit", [False, True])
def test_batched_metrics_equal_whole_array(monkeypatch, jit):
    """N = 250 clients in batches of 60 (the last batch overlaps its predecessor) give the
    whole-array metrics to rounding, in float64, jitted and not."""
    with x64():
        (W0, Wl, W1, pi, vals, active, gamma), stats = _inputs(250)

        def metrics():
            fn = lambda *a: _round_metrics(*a, None, stats, level="all")  # noqa: E731
            fn = jax.jit(fn) if jit else fn
            return fn(W0, Wl, W1, pi, vals, active, gamma)

        monkeypatch.setattr(recorded, "NORM_BATCH", 1000)  # whole arrays
        whole = metrics()
        monkeypatch.setattr(recorded, "NORM_BATCH", 60)
        batched = metrics()
    assert set(whole) == set(batched)
    for key in whole:
        np.testing.assert_allclose(
            np.asarray(batched[key]), np.asarray(whole[key]), rtol=1e-12, atol=1e-15, err_msg=key
        )
    # the update's weighted mean enters the update spread; a check of that sum alone
    with x64():
        monkeypatch.setattr(recorded, "NORM_BATCH", 60)
        got = recorded._weighted_update(pi, Wl, W0)
    np.testing.assert_allclose(
        np.asarray(got), np.einsum("n,ncd->cd", np.asarray(pi), np.asarray(Wl - W0)), rtol=1e-12
    )


def test_batched_spreads_against_numpy(monkeypatch):
    """The four spreads and the largest norm of the batched form against NumPy's."""
    with x64():
        (W0, Wl, W1, pi, *_), _ = _inputs(130, seed=3)
        uniform = jnp.full((130,), 1 / 130)
        means = {
            "after": uniform @ W1.reshape(130, -1),
            "after_pi": pi @ W1.reshape(130, -1),
            "local_pi": pi @ Wl.reshape(130, -1),
            "step_pi": pi @ (Wl - W0).reshape(130, -1),
        }
        means = {k: m.reshape(W1.shape[1:]) for k, m in means.items()}
        monkeypatch.setattr(recorded, "NORM_BATCH", 40)
        norm_max, spreads = recorded._norm_and_spreads(W0, Wl, W1, uniform, pi, means)
    a = [np.asarray(x) for x in (W0, Wl, W1, pi, uniform)]
    W0n, Wln, W1n, pin, un = a

    def spread(W, w):
        m = np.einsum("n,ncd->cd", w, W)
        return float(np.sum(w * np.sum((W - m) ** 2, axis=(1, 2))))

    want = [spread(W1n, un), spread(W1n, pin), spread(Wln, pin), spread(Wln - W0n, pin)]
    np.testing.assert_allclose(np.asarray(spreads), want, rtol=1e-12)
    top = max(np.linalg.norm(w, 2) for w in Wln)
    assert float(norm_max) == pytest.approx(top, rel=recorded.NORM_RTOL)


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 23), chunk=st.integers(1, 30))
def test_map_clients_equals_vmap(n, chunk):
    """Any chunk (dividing N or not, larger than N or not) gives vmap's outputs, a pytree of
    several dtypes included."""
    x = jnp.arange(n * 3, dtype=jnp.float32).reshape(n, 3)
    i = jnp.arange(n, dtype=jnp.int32)

    def fn(a, k):
        return {"sum": jnp.sum(a**2), "twice": 2 * a, "index": k + 1}

    got = map_clients(fn, (x, i), n, chunk)
    want = jax.vmap(fn)(x, i)
    for key in want:
        assert got[key].dtype == want[key].dtype
        np.testing.assert_array_equal(np.asarray(got[key]), np.asarray(want[key]))


def _chunk_loop(n: int, chunk: int) -> tuple[list[int], int]:
    """The slice widths and trip count of map_clients' chunk loop over n clients, read from its
    jaxpr (traced on a shape alone: nothing of n clients is allocated)."""
    jaxpr = jax.make_jaxpr(lambda a: map_clients(lambda r: 2 * r, (a,), n, chunk))(
        jax.ShapeDtypeStruct((n,), jnp.float32)
    )
    (loop,) = [e for e in jaxpr.eqns if e.primitive.name == "scan"]  # fori_loop, fixed bounds
    body = loop.params["jaxpr"].jaxpr
    widths = [
        int(e.params["slice_sizes"][0]) for e in body.eqns if e.primitive.name == "dynamic_slice"
    ]
    return widths, int(loop.params["length"])


@pytest.mark.parametrize(
    ("n", "chunk", "width", "count"),
    [(10**6, 274_000, 250_000, 4), (100, 56, 50, 2), (7, 3, 3, 3), (1000, 14, 14, 72)],
)
def test_map_clients_chunks_are_equal(n, chunk, width, count):
    """K = ceil(N/chunk) chunks of width ceil(N/K) <= chunk: the last chunk overlaps its
    predecessor by fewer than K clients (with chunk-wide chunks, over 10^5 of 10^6 clients were
    trained twice per round)."""
    widths, trips = _chunk_loop(n, chunk)
    assert set(widths) == {width} and trips == count
    assert width <= chunk and 0 <= count * width - n < count


@pytest.mark.parametrize("jit", [False, True])
def test_clients_finite_in_batches_finds_every_bad_client(monkeypatch, jit):
    """N = 250 clients in batches of at most 70 (map_clients: four of 63, starting at 0, 63,
    126 and 187, the last overlapping its predecessor by clients 187 and 188): each client
    whose parameters hold a NaN, +inf or -inf (in any leaf) is found, at the batches' edges
    and in the overlap too, and no finite client is (against NumPy's isfinite); the same
    answer as one vmap."""
    monkeypatch.setattr(recorded, "NORM_BATCH", 70)
    n = 250
    rng = np.random.default_rng(1)
    W = rng.normal(size=(n, 3, 4)).astype(np.float32)
    b = rng.normal(size=(n, 2)).astype(np.float32)
    W[[0, 62, 63, 125, 187, 249], 1, 2] = [np.nan, np.inf, -np.inf, np.nan, np.inf, np.nan]
    b[[126, 188], 0] = [np.nan, -np.inf]
    want = np.isfinite(W).all(axis=(1, 2)) & np.isfinite(b).all(axis=1)
    tree = {"W": jnp.asarray(W), "b": jnp.asarray(b)}
    fn = jax.jit(recorded.clients_finite) if jit else recorded.clients_finite
    got = np.asarray(fn(tree))
    assert np.array_equal(got, want) and (~want).sum() == 8
    assert np.array_equal(got, np.asarray(jax.vmap(recorded._all_finite)(tree)))


def test_clients_finite_holds_no_mask_of_every_entry():
    """Above ``norm_batch()`` clients the compiled check's temporaries are a batch's, not the
    (N, c, d) mask of every entry (N·c·d bytes; on a CPU XLA wrote it whole for the vmapped
    check, a quarter of a float32 model stack)."""
    n, c, d = 20_000, 16, 64
    W = jax.ShapeDtypeStruct((n, c, d), jnp.float32)
    mem = jax.jit(recorded.clients_finite).lower(W).compile().memory_analysis()
    if mem is None:
        pytest.skip("backend gives no memory analysis")
    assert mem.temp_size_in_bytes < n * c * d // 8, mem.temp_size_in_bytes
