"""Data for the simulations: the paper's model, label-skew partitions, digits and CIFAR-10.

* :func:`sample_paper_model` draws per-client samples of the paper's data model
  (Section 3.2, Figure 1 of arXiv 2607.02447), with the parameters of
  :class:`theory.datamodel.DataModel`.
* :func:`dirichlet_partition` splits labelled data over K clients with Dirichlet label skew,
  either in Hsu et al.'s form (2019; per class, client proportions ~ Dir(α·1_K)) or in the
  official code's balanced form (client×class Dirichlet matrix, Sinkhorn-balanced, counts
  floor(P·n)). :func:`partition_report` gives the *realised* heterogeneity.
* :func:`load_digits_split` (scikit-learn's 8×8 digits, no download) and :func:`load_cifar10`
  (local python-pickle batches) provide real data for the same partitioners.
* :func:`stack_clients`, :func:`client_arrays` and :func:`minibatch` turn ragged per-client data
  into padded ``(K, M_max, ...)`` arrays with a validity mask, ready for ``jax.vmap``.

Random sources take a JAX key (``*, key``); the same key gives the same result.
"""

from __future__ import annotations

import os
import pickle
from functools import partial
from typing import Any, NamedTuple

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np

from theory import _validate as v
from theory import datamodel as dm
from theory._precision import x64

__all__ = [
    "Partition",
    "Split",
    "sample_paper_model",
    "dirichlet_partition",
    "partition_report",
    "load_digits_split",
    "load_cifar10",
    "stack_clients",
    "client_arrays",
    "minibatch",
]


# --------------------------------------------------------------------------------------------
# small helpers


def _check_key(key: Any) -> None:
    if key is None:
        v.fail("key", "a JAX PRNG key", key)
    try:
        if jnp.issubdtype(key.dtype, jax.dtypes.prng_key):
            return
        if key.dtype == jnp.uint32 and key.shape[-1:] == (2,):
            return
    except AttributeError:
        pass
    v.fail("key", "a JAX PRNG key", key)


def _concrete(value: Any) -> bool:
    return not isinstance(value, jax.core.Tracer)


def _labels(labels: Any, field: str = "labels") -> np.ndarray:
    a = np.asarray(labels)
    if a.ndim != 1 or a.size == 0:
        v.fail(field, "a non-empty 1-D array of integer labels", f"shape {a.shape}")
    if a.dtype.kind not in "iu":
        if a.dtype.kind == "f" and np.all(np.isfinite(a)) and np.all(a == np.round(a)):
            a = a.astype(np.int64)
        else:
            v.fail(field, "integer labels >= 0", "non-integer entries")
    if a.min() < 0:
        v.fail(field, "integer labels >= 0", int(a.min()))
    return a.astype(np.int64)


# --------------------------------------------------------------------------------------------
# the paper's data model


def sample_paper_model(
    model: dm.DataModel,
    n_per_client: int,
    *,
    key: jax.Array,
    dtype: Any = jnp.float64,
    stratified: bool = False,
) -> tuple[jax.Array, jax.Array]:
    """Draw ``n_per_client`` samples on each client of the paper's data model.

    Client i (0-based) draws a component s ∈ {2i−1, 2i, h_i} with weights
    ``theory.datamodel.class_weights`` ((1−ρ)/2, (1−ρ)/2, ρ) and then

      frequent: x = ±e_i − Σ_{k∈[N]∖i} q_k τ e_k + μ ξ,   q_k ~ Bernoulli(1/2) i.i.d. per k,
      rare:     x = e_{h_i} + μ ξ,                          ξ ~ N(0, I_d),

    with h_i from ``theory.datamodel.rare_axes`` (Section 3.2, Figure 1 of arXiv 2607.02447).
    So E[x] = ``client_mean(model)[i]`` and E[xxᵀ] = ``client_second_moment(model)[i]``.

    Args:
      model: a :class:`theory.datamodel.DataModel`.
      n_per_client: M ≥ 1 samples per client.
      key: JAX PRNG key.
      dtype: float dtype of ``x`` (float64 or float32). The draws are made in float64 and cast,
        so both dtypes see the same data (float32 = the float64 sample rounded to nearest).
      stratified: if True the component counts are fixed (round(ρM) rare samples, the rest split
        evenly, the odd one to class 2i−1) and only their order is random; if False (default)
        components are i.i.d. draws from the mixture.

    Returns:
      ``(x, y)``: x of shape (N, M, d), y (N, M) integer labels in [0, 2N) (0-based class
      indices from ``theory.datamodel.class_labels``; int64 under x64, else int32).

    Jittable for fixed shapes: ``jax.jit(sample_paper_model, static_argnums=(0, 1))``.

    Example:
      >>> x, y = sample_paper_model(dm.DataModel(d=8, n_clients=3), 5, key=jr.key(0))
      >>> x.shape, y.shape
      ((3, 5, 8), (3, 5))
    """
    if not isinstance(model, dm.DataModel):
        v.fail("model", "a theory.datamodel.DataModel", model)
    m = v.integer(n_per_client, "n_per_client", lo=1)
    _check_key(key)
    dtype = jnp.dtype(dtype)
    if dtype not in (jnp.dtype(jnp.float64), jnp.dtype(jnp.float32)):
        v.fail("dtype", "float64 or float32", dtype)
    # Every random number is drawn in float64 (inside a scoped x64 block, whatever the caller's
    # jax_enable_x64) and only then cast to ``dtype``: float32 and float64 runs of the same key
    # see the same samples, up to the final rounding (relative 2^-24 per entry).
    with x64():
        x, y = _sample_core(
            key,
            n=model.n_clients,
            d=model.d,
            m=m,
            tau=model.tau,
            mu=model.mu,
            rare=tuple(int(a) for a in dm.rare_axes(model)),
            labels=tuple(tuple(int(c) for c in row) for row in dm.class_labels(model)),
            weights=tuple(float(w) for w in dm.class_weights(model)),
            rare_fraction=model.rare_fraction,
            stratified=bool(stratified),
            dtype=jnp.dtype(jnp.float64),
        )
        x = x.astype(dtype)
    return x, y.astype(jax.dtypes.canonicalize_dtype(jnp.int64))


@partial(
    jax.jit,
    static_argnames=(
        "n",
        "d",
        "m",
        "tau",
        "mu",
        "rare",
        "labels",
        "weights",
        "rare_fraction",
        "stratified",
        "dtype",
    ),
)
def _sample_core(key, *, n, d, m, tau, mu, rare, labels, weights, rare_fraction, stratified, dtype):
    rare_arr = jnp.asarray(rare)
    label_arr = jnp.asarray(labels)
    if stratified:
        n_rare = int(round(rare_fraction * m))
        n_second = (m - n_rare) // 2
        comp = np.concatenate(
            [
                np.zeros(m - n_rare - n_second, np.int64),
                np.ones(n_second, np.int64),
                np.full(n_rare, 2, np.int64),
            ]
        )
        base = jnp.asarray(comp)
    logits = jnp.log(jnp.asarray(weights, dtype=jnp.float64))

    def one_client(i, k):
        k_comp, k_q, k_xi = jr.split(k, 3)
        s = (
            jr.permutation(k_comp, base)
            if stratified
            else jr.categorical(k_comp, logits, shape=(m,))
        )
        q = jr.bernoulli(k_q, 0.5, (m, n)).astype(dtype)
        own = jax.nn.one_hot(i, n, dtype=dtype)
        offset = -tau * q * (1 - own)  # zero on the client's own axis i
        sign = jnp.where(s == 0, 1.0, -1.0).astype(dtype)
        freq = sign[:, None] * own[None, :] + offset  # (M, N) on coordinates e_1..e_N
        freq = jnp.pad(freq, ((0, 0), (0, d - n)))
        rare_x = jnp.broadcast_to(jax.nn.one_hot(rare_arr[i], d, dtype=dtype), (m, d))
        xi = jr.normal(k_xi, (m, d), dtype=dtype)
        x = jnp.where((s == 2)[:, None], rare_x, freq) + mu * xi
        return x, label_arr[i][s]

    # clients in chunks (lax.map; each chunk one vmap) that divide N, so that the sampling
    # temporaries (threefry bits, the (M, N) offsets) stay near SAMPLE_CHUNK_BYTES instead of a
    # few copies of the whole (N, M, d) sample; the same numbers as one vmap over all clients
    chunk = _sample_chunk(n, m, d)
    if chunk >= n:
        return jax.vmap(one_client)(jnp.arange(n), jr.split(key, n))
    return jax.lax.map(
        lambda a: one_client(*a), (jnp.arange(n), jr.split(key, n)), batch_size=chunk
    )


#: Bytes of sampling temporaries per chunk of clients (see :func:`_sample_chunk`).
SAMPLE_CHUNK_BYTES = 256 << 20


def _sample_chunk(n: int, m: int, d: int) -> int:
    """Clients sampled at once: the largest divisor of N whose temporaries (about
    8·M·(4d + 2N) bytes per client, float64) fit :data:`SAMPLE_CHUNK_BYTES` (at least 1). A
    divisor, so that the chunks' outputs stack into (N, M, d) without a remainder copy.

    >>> _sample_chunk(100, 8000, 256), _sample_chunk(4, 10, 8)
    (2, 4)
    """
    cap = max(1, SAMPLE_CHUNK_BYTES // max(1, 8 * m * (4 * d + 2 * n)))
    return max(k for k in range(1, min(n, cap) + 1) if n % k == 0)


# --------------------------------------------------------------------------------------------
# label-skew partitions


class Partition(list):
    """A list of K int64 index arrays (one per client) with an ``info`` dict of how it was made."""

    info: dict


def _host_rng(key: jax.Array, t: int) -> np.random.Generator:
    """NumPy generator seeded from ``fold_in(key, t)`` (host-side integer work stays in numpy)."""
    return np.random.default_rng(np.asarray(jr.key_data(jr.fold_in(key, t))).ravel())


def _log_dirichlet(rng: np.random.Generator, alpha: float, shape: tuple[int, ...]) -> np.ndarray:
    """log of Dir(α·1) draws along the last axis, finite for α down to 1e-3 and below.

    Uses log G = log G' + log(U)/α with G' ~ Gamma(α+1), U ~ U(0, 1] (so G ~ Gamma(α)), then
    normalises in log space; G itself underflows to 0 for tiny α.
    """
    log_g = np.log(rng.gamma(alpha + 1.0, size=shape)) + np.log1p(-rng.random(shape)) / alpha
    return log_g - np.logaddexp.reduce(log_g, axis=-1, keepdims=True)


def _round_preserving(weights: np.ndarray, total: int) -> np.ndarray:
    """Integer counts summing to ``total`` closest to ``weights·total`` (largest remainder)."""
    raw = weights * total
    base = np.floor(raw).astype(np.int64)
    short = total - int(base.sum())
    if short > 0:
        order = np.argsort(-(raw - base), kind="stable")
        base[order[:short]] += 1
    return base


def _split_by_counts(pools: list[np.ndarray], counts: np.ndarray) -> list[list[np.ndarray]]:
    """Cut each class pool sequentially into per-client chunks of ``counts[k, c]``."""
    n_clients, n_classes = counts.shape
    out: list[list[np.ndarray]] = [[] for _ in range(n_clients)]
    for c in range(n_classes):
        ends = np.cumsum(counts[:, c])
        starts = ends - counts[:, c]
        for k in range(n_clients):
            out[k].append(pools[c][starts[k] : ends[k]])
    return out


def _repair(
    parts: list[list[int]], labels: np.ndarray, min_size: int, spare: list[int]
) -> tuple[int, int]:
    """Give every client ≥ min_size samples: first from ``spare`` (unassigned), then by moving.

    Move rule: the smallest client receives one sample from the largest client, taken from that
    donor's most frequent class. Returns (taken from spare, moved between clients).
    """
    from_spare = moved = 0
    sizes = [len(p) for p in parts]
    while min(sizes) < min_size:
        r = int(np.argmin(sizes))
        if spare:
            parts[r].append(spare.pop())
            from_spare += 1
        else:
            donor = int(np.argmax(sizes))
            dl = labels[np.asarray(parts[donor], dtype=np.int64)]
            top = int(np.bincount(dl).argmax())
            pos = int(np.flatnonzero(dl == top)[-1])
            parts[r].append(parts[donor].pop(pos))
            sizes[donor] -= 1
            moved += 1
        sizes[r] += 1
    return from_spare, moved


def dirichlet_partition(
    labels: Any,
    n_clients: int,
    alpha: float,
    *,
    key: jax.Array,
    balanced: bool = False,
    min_size: int = 1,
    max_draws: int = 10,
    sinkhorn_iters: int = 100,
    assign_leftover: bool = False,
) -> Partition:
    """Split sample indices over K clients with Dirichlet(α) label skew.

    Hsu form (``balanced=False``; Hsu, Qi, Brown 2019): for each class c, client proportions
    p_c ~ Dir(α·1_K); the shuffled indices of class c are cut into consecutive chunks of
    largest-remainder-rounded sizes p_c·n_c, so every sample is assigned exactly once.

    Balanced form (``balanced=True``; the official code's ``dir`` partition,
    docs/theory/paper_code.md §3): a K×C matrix with Dir(α·1_K) columns is scaled ``sinkhorn_iters``
    times to row sums 1/K and column sums n_c/n; client k receives floor(P_kc·n) samples of class c.
    Deviations from the code (comments in the body): Dirichlet draws and the Sinkhorn scaling
    run in log space (the code's linear-space version yields NaN when α is tiny and rows
    underflow to 0), the scaling alternates columns then rows (standard Sinkhorn), and the
    column target is the realised class frequency n_c/n (1/C for balanced classes). The
    samples lost to flooring stay unassigned (as in the code) and are reported.

    Empty-client rule (both forms): up to ``max_draws`` independent Dirichlet draws are tried
    (NumPy generators seeded by ``fold_in(key, t)``); the first whose partition gives every
    client ≥ ``min_size`` samples is kept. If none does, the draw with the smallest total
    deficit is kept and repaired: the smallest client takes an unassigned sample if there is
    one (balanced form), otherwise one sample of the largest client's most frequent class.
    ``info`` records the draws used and the samples moved; :func:`partition_report` gives the
    realised heterogeneity (nothing is smoothed silently).

    Args:
      labels: (n,) integer class labels ≥ 0.
      n_clients: K ≥ 1 with K·min_size ≤ n.
      alpha: Dirichlet concentration α > 0 (tested from 1e-3 to 1e5).
      key: JAX PRNG key.
      balanced: Hsu form (False) or the official code's balanced form (True).
      min_size: minimum number of samples per client, ≥ 0.
      max_draws: number of Dirichlet draws tried before repairing, ≥ 1.
      sinkhorn_iters: scaling iterations of the balanced form (the code uses 100).
      assign_leftover: balanced form only: round each class's counts by largest remainder so
        that every sample is assigned (False, the default, floors as the code does).

    Returns:
      A :class:`Partition` (a list of K sorted int64 index arrays into ``labels``) with
      ``info`` = {form, alpha, draws, moved, from_unassigned, unassigned, sinkhorn_residual}.

    Example:
      >>> parts = dirichlet_partition(np.repeat(np.arange(4), 25), 5, 0.5, key=jr.key(0))
      >>> len(parts), sum(len(p) for p in parts)
      (5, 100)
    """
    lab = _labels(labels)
    n = lab.size
    k_clients = v.integer(n_clients, "n_clients", lo=1)
    a = v.real(alpha, "alpha", lo=0.0, lo_open=True)
    _check_key(key)
    min_size = v.integer(min_size, "min_size", lo=0)
    max_draws = v.integer(max_draws, "max_draws", lo=1)
    iters = v.integer(sinkhorn_iters, "sinkhorn_iters", lo=1)
    if k_clients * min_size > n:
        v.fail("n_clients", f"at most n/min_size = {n // max(min_size, 1)} clients", k_clients)
    n_classes = int(lab.max()) + 1
    class_n = np.bincount(lab, minlength=n_classes)
    present = np.flatnonzero(class_n > 0)

    best = None
    for t in range(max_draws):
        rng = _host_rng(key, t)
        # one shuffle of all indices, then a stable sort by label: shuffled pools per class
        shuffled = rng.permutation(n)
        shuffled = shuffled[np.argsort(lab[shuffled], kind="stable")]
        pools = np.split(shuffled, np.cumsum(class_n)[:-1])
        # log proportions: row c is Dir(α·1_K) over clients for class c, shape (C, K)
        logp = _log_dirichlet(rng, a, (n_classes, k_clients))
        residual = 0.0
        if not balanced:
            counts = np.stack(
                [_round_preserving(np.exp(logp[c]), int(class_n[c])) for c in range(n_classes)],
                axis=1,
            )
        else:
            logp_kc = logp[present].T.copy()  # (K, C') over the classes present
            log_col = np.log(class_n[present] / n)
            log_row = np.full(k_clients, -np.log(k_clients))
            # Deviation from the code: log-space, alternating columns then rows.
            for _ in range(iters):
                logp_kc += log_col - np.logaddexp.reduce(logp_kc, axis=0)
                logp_kc += (log_row - np.logaddexp.reduce(logp_kc, axis=1))[:, None]
            pk = np.exp(logp_kc)
            residual = float(
                max(
                    np.max(np.abs(pk.sum(axis=1) * k_clients - 1.0)),
                    np.max(np.abs(pk.sum(axis=0) / (class_n[present] / n) - 1.0)),
                )
            )
            sub = np.floor(pk * n).astype(np.int64)
            for j, c in enumerate(present):  # never hand out more than the class holds
                while sub[:, j].sum() > class_n[c]:
                    sub[int(np.argmax(sub[:, j])), j] -= 1
            if assign_leftover:  # optional: largest-remainder rounding per class instead
                sub = np.stack(
                    [
                        _round_preserving(pk[:, j] / pk[:, j].sum(), int(class_n[c]))
                        for j, c in enumerate(present)
                    ],
                    axis=1,
                )
            counts = np.zeros((k_clients, n_classes), np.int64)
            counts[:, present] = sub
        deficit = int(np.maximum(min_size - counts.sum(axis=1), 0).sum())
        if best is None or deficit < best[0]:
            best = (deficit, t, counts, pools, residual)
        if deficit == 0:
            break
    deficit, t, counts, pools, residual = best
    chunks = _split_by_counts(pools, counts)
    parts = [list(np.concatenate(ch).astype(np.int64)) for ch in chunks]
    used = np.zeros(n, bool)
    for p in parts:
        used[np.asarray(p, dtype=np.int64)] = True
    spare = list(np.flatnonzero(~used)[::-1])
    from_spare, moved = _repair(parts, lab, min_size, spare) if deficit else (0, 0)
    out = Partition(np.sort(np.asarray(p, dtype=np.int64)) for p in parts)
    out.info = {
        "form": "balanced" if balanced else "hsu",
        "alpha": a,
        "draws": t + 1,
        "moved": moved,
        "from_unassigned": from_spare,
        "unassigned": len(spare),
        "sinkhorn_residual": residual,
    }
    return out


def partition_report(partition: Any, labels: Any, *, n_classes: int | None = None) -> dict:
    """Realised heterogeneity of a partition (JSON-serialisable).

    TV_k = ½ Σ_c |P_k(c) − P(c)| between client k's label distribution and the global one of
    the samples in ``labels``.

    Args:
      partition: K index arrays into ``labels`` (e.g. from :func:`dirichlet_partition`).
      labels: (n,) integer labels.
      n_classes: number of classes C; default max(label)+1.

    Returns:
      dict with ``counts`` (K×C), ``sizes`` (K), ``tv`` (K), ``tv_mean``, ``tv_max``,
      ``classes_per_client`` (K), ``empty_clients``, ``min_size``, ``max_size``,
      ``unassigned``, ``duplicates`` and, if the partition carries one, ``info``.
    """
    lab = _labels(labels)
    c = int(lab.max()) + 1 if n_classes is None else v.integer(n_classes, "n_classes", lo=1)
    if c <= int(lab.max()):
        v.fail("n_classes", f"an integer > max label {int(lab.max())}", c)
    parts = list(partition)
    if not parts:
        v.fail("partition", "a non-empty list of index arrays", partition)
    counts = np.zeros((len(parts), c), np.int64)
    hits = np.zeros(lab.size, np.int64)
    for k, p in enumerate(parts):
        idx = np.asarray(p)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            v.fail("partition", "1-D integer index arrays", f"client {k}: {idx.dtype} {idx.shape}")
        if idx.size and (idx.min() < 0 or idx.max() >= lab.size):
            v.fail("partition", f"indices in [0, {lab.size})", f"client {k}")
        counts[k] = np.bincount(lab[idx], minlength=c)
        np.add.at(hits, idx, 1)
    sizes = counts.sum(axis=1)
    glob = np.bincount(lab, minlength=c) / lab.size
    local = counts / np.maximum(sizes, 1)[:, None]
    tv = np.where(sizes > 0, 0.5 * np.abs(local - glob).sum(axis=1), np.nan)
    report = {
        "counts": counts.tolist(),
        "sizes": sizes.tolist(),
        "tv": [float(t) for t in tv],
        "tv_mean": float(np.nanmean(tv)) if np.any(sizes > 0) else float("nan"),
        "tv_max": float(np.nanmax(tv)) if np.any(sizes > 0) else float("nan"),
        "classes_per_client": (counts > 0).sum(axis=1).tolist(),
        "empty_clients": int((sizes == 0).sum()),
        "min_size": int(sizes.min()),
        "max_size": int(sizes.max()),
        "unassigned": int((hits == 0).sum()),
        "duplicates": int((hits > 1).sum()),
    }
    info = getattr(partition, "info", None)
    if info is not None:
        report["info"] = dict(info)
    return report


# --------------------------------------------------------------------------------------------
# real data


class Split(NamedTuple):
    """Train/test arrays: x (n, d) float, y (n,) int64."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray


def load_digits_split(
    *, key: jax.Array, test_fraction: float = 0.2, standardize: bool = True
) -> Split:
    """scikit-learn's 8×8 digits (1797 × 64, 10 classes; ships with the library), split at random.

    Standardisation uses the *training* mean and standard deviation per pixel; constant pixels
    (std 0) are only centred.

    Args:
      key: JAX PRNG key for the split.
      test_fraction: share of samples in the test set, in (0, 1).
      standardize: z-score the features (True) or keep raw intensities 0..16 (False).

    Returns:
      :class:`Split` with float64 features and int64 labels 0..9.
    """
    from sklearn.datasets import load_digits

    _check_key(key)
    frac = v.real(test_fraction, "test_fraction", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    data = load_digits()
    x = np.asarray(data.data, dtype=np.float64)
    y = np.asarray(data.target, dtype=np.int64)
    n = y.size
    n_test = min(max(int(round(frac * n)), 1), n - 1)
    perm = np.asarray(jr.permutation(key, n))
    te, tr = perm[:n_test], perm[n_test:]
    x_tr, x_te = x[tr], x[te]
    if standardize:
        mean = x_tr.mean(axis=0)
        std = x_tr.std(axis=0)
        std = np.where(std > 0, std, 1.0)
        x_tr, x_te = (x_tr - mean) / std, (x_te - mean) / std
    return Split(x_tr, y[tr], x_te, y[te])


_CIFAR_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
_CIFAR_TEST = "test_batch"


def _name(path: str) -> str:
    """The file name first (one-line errors are cut at 80 characters), then its directory."""
    return f"{os.path.basename(path)} in {os.path.dirname(path)}"


def _read_cifar_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as fh:
            batch = pickle.load(fh, encoding="bytes")  # trusted local files only
    except FileNotFoundError:
        v.fail("path", "a directory holding CIFAR-10 python batches", f"{_name(path)} missing")
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a malformed file
        v.fail("path", "CIFAR-10 python pickle batches", f"{_name(path)} unreadable ({exc!r})")
    if not isinstance(batch, dict) or b"data" not in batch or b"labels" not in batch:
        v.fail("path", 'batches with keys b"data" and b"labels"', f"{_name(path)} malformed")
    data = np.asarray(batch[b"data"])
    labels = np.asarray(batch[b"labels"])
    if data.ndim != 2 or data.shape[1] != 3072 or data.dtype != np.uint8:
        v.fail("path", "b'data' uint8 of shape (n, 3072)", f"{_name(path)}: {data.shape}")
    if labels.shape != (data.shape[0],) or labels.dtype.kind not in "iu":
        v.fail("path", "b'labels' of n integers", f"{_name(path)}: {labels.shape}")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        v.fail("path", "labels in 0..9", _name(path))
    return data, labels.astype(np.int64)


def load_cifar10(path: str | os.PathLike, *, dtype: Any = np.float32) -> Split:
    """CIFAR-10 from a local directory in the standard python format (no download).

    Reads ``data_batch_1`` … ``data_batch_5`` and ``test_batch`` (pickled dicts with b"data"
    uint8 (n, 3072), channel-major 32×32×3, and b"labels"); a ``cifar-10-batches-py``
    sub-directory of ``path`` is used if present. Pixels are scaled to [0, 1]. The files are
    unpickled: only point this at files you trust.

    Args:
      path: directory of the batches.
      dtype: float dtype of the features (float32 default: 50000×3072 is 600 MB).

    Returns:
      :class:`Split` with x of shape (n, 3072) and int64 labels 0..9.

    Raises:
      ValueError naming ``path`` if a file is missing or malformed.
    """
    root = os.fspath(path)
    if not os.path.isdir(root):
        v.fail("path", "an existing directory", root)
    nested = os.path.join(root, "cifar-10-batches-py")
    if os.path.isdir(nested) and not os.path.exists(os.path.join(root, _CIFAR_TEST)):
        root = nested
    dt = np.dtype(dtype)
    if dt.kind != "f":
        v.fail("dtype", "a float dtype", dtype)
    train = [_read_cifar_batch(os.path.join(root, f)) for f in _CIFAR_TRAIN]
    test = _read_cifar_batch(os.path.join(root, _CIFAR_TEST))
    x_tr = np.concatenate([b[0] for b in train]).astype(dt) / dt.type(255)
    y_tr = np.concatenate([b[1] for b in train])
    return Split(x_tr, y_tr, test[0].astype(dt) / dt.type(255), test[1])


# --------------------------------------------------------------------------------------------
# padded per-client arrays


def stack_clients(
    x_list: Any, *, pad_to: int | None = None, pad_value: float = 0
) -> tuple[jax.Array, jax.Array]:
    """Pad K per-client arrays (M_k, ...) to one (K, M_max, ...) array plus a validity mask.

    Args:
      x_list: sequence of K arrays with equal trailing shape and any leading length M_k ≥ 0.
      pad_to: M_max; default max_k M_k (must be ≥ it).
      pad_value: value of padded rows.

    Returns:
      ``(x, mask)``: x (K, M_max, ...) with the inputs' dtype, mask (K, M_max) bool, True on
      real rows.

    Example:
      >>> x, mask = stack_clients([np.ones((2, 3)), np.ones((1, 3))])
      >>> x.shape, mask.sum(axis=1).tolist()
      ((2, 2, 3), [2, 1])
    """
    arrays = [np.asarray(a) for a in x_list]
    if not arrays:
        v.fail("x_list", "a non-empty sequence of arrays", x_list)
    tail = arrays[0].shape[1:]
    for k, a in enumerate(arrays):
        if a.ndim < 1 or a.shape[1:] != tail:
            v.fail("x_list", f"arrays of shape (M_k, {tail})", f"client {k}: shape {a.shape}")
        if a.dtype.kind == "f" and not np.all(np.isfinite(a)):
            v.fail("x_list", "finite (no NaN or inf)", f"client {k} has NaN/inf")
    longest = max(a.shape[0] for a in arrays)
    m = longest if pad_to is None else v.integer(pad_to, "pad_to", lo=max(longest, 1))
    m = max(m, 1)
    dtype = np.result_type(*arrays)
    out = np.full((len(arrays), m, *tail), pad_value, dtype=dtype)
    mask = np.zeros((len(arrays), m), bool)
    for k, a in enumerate(arrays):
        out[k, : a.shape[0]] = a
        mask[k, : a.shape[0]] = True
    return jnp.asarray(out), jnp.asarray(mask)


def client_arrays(
    partition: Any, x: Any, y: Any, *, pad_to: int | None = None
) -> tuple[jax.Array, jax.Array, jax.Array]:
    """Padded per-client data from a partition: (x (K, M_max, d), y (K, M_max), mask (K, M_max)).

    Padded rows have x = 0 and label −1.
    """
    xa = v.array(x, "x", ndim=2)
    ya = _labels(y, "y")
    if ya.size != xa.shape[0]:
        v.fail("y", f"{xa.shape[0]} labels (one per row of x)", ya.size)
    parts = [np.asarray(p, dtype=np.int64) for p in partition]
    for k, p in enumerate(parts):
        if p.size and (p.min() < 0 or p.max() >= xa.shape[0]):
            v.fail("partition", f"indices in [0, {xa.shape[0]})", f"client {k}")
    xs, mask = stack_clients([xa[p] for p in parts], pad_to=pad_to)
    ys, _ = stack_clients([ya[p] for p in parts], pad_to=pad_to, pad_value=-1)
    return xs, ys, mask


def minibatch(
    x: jax.Array, mask: jax.Array, batch_size: int, *, key: jax.Array, replace: bool = False
) -> tuple[jax.Array, jax.Array]:
    """Draw a minibatch of ``batch_size`` valid rows of one padded client.

    Without replacement (default) the rows are the top-B of Gumbel scores over valid rows, so
    each B-subset of valid rows is equally likely; with replacement rows are i.i.d. uniform
    over valid rows. Unbatched and jittable; ``jax.vmap`` it over clients. Under ``jit`` the
    check B ≤ #valid rows cannot run: padded rows would then be drawn.

    Args:
      x: (M, ...) one client's padded data.
      mask: (M,) bool, True on real rows.
      batch_size: B ≥ 1 (≤ number of valid rows when ``replace`` is False).
      key: JAX PRNG key.
      replace: sample with replacement.

    Returns:
      ``(xb, idx)``: xb (B, ...) and the row indices idx (B,).
    """
    b = v.integer(batch_size, "batch_size", lo=1)
    _check_key(key)
    if jnp.ndim(mask) != 1 or jnp.ndim(x) < 1 or jnp.shape(x)[0] != jnp.shape(mask)[0]:
        v.fail("mask", "a (M,) bool array matching x's first axis", f"shape {jnp.shape(mask)}")
    if _concrete(mask):
        valid = int(np.asarray(mask).sum())
        if valid == 0 or (not replace and b > valid):
            v.fail("batch_size", f"an integer in [1, {valid}] (valid rows)", b)
    elif not replace and b > jnp.shape(mask)[0]:
        v.fail("batch_size", f"an integer in [1, {jnp.shape(mask)[0]}]", b)
    mask = jnp.asarray(mask, dtype=bool)
    with x64():  # float64 draws whatever the caller's x64 setting (same rows for any dtype)
        if replace:
            logits = jnp.where(mask, 0.0, -jnp.inf)
            idx = jr.categorical(key, logits, shape=(b,)).astype(jnp.int32)
        else:
            scores = jnp.where(mask, jr.gumbel(key, mask.shape, dtype=jnp.float64), -jnp.inf)
            idx = jax.lax.top_k(scores, b)[1].astype(jnp.int32)
    return jnp.asarray(x)[idx], idx
