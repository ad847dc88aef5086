r"""Label-skew partitions: Dirichlet(α) splits of labelled data over K clients, and their
realised heterogeneity.

:func:`dirichlet_partition` has two forms: Hsu et al.'s (2019; per class, client proportions
:math:`\sim \mathrm{Dir}(\alpha \cdot 1_K)`) and the official code's balanced form (a
client×class Dirichlet matrix, Sinkhorn-balanced, counts :math:`\lfloor P \cdot n\rfloor`;
docs/theory/paper_code.md §3). :func:`partition_report`
gives the per-client label counts and the total-variation distance to the global label
distribution. Both serve the paper's Dirichlet label-skew settings (Section 6 of
arXiv 2607.02447).
"""

from __future__ import annotations

from typing import Any

import jax
import jax.random as jr
import numpy as np

from sims.data._checks import _check_key, _labels
from theory import _validate as v

__all__ = ["Partition", "dirichlet_partition", "partition_report"]


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
    r"""Split sample indices over K clients with Dirichlet(α) label skew.

    Hsu form (``balanced=False``; Hsu, Qi, Brown 2019): for each class c, client proportions
    :math:`p_c \sim \mathrm{Dir}(\alpha \cdot 1_K)`; the shuffled indices of class c are cut into
    consecutive chunks of largest-remainder-rounded sizes :math:`p_c \cdot n_c`, so every sample
    is assigned exactly once.

    Balanced form (``balanced=True``; the official code's ``dir`` partition,
    docs/theory/paper_code.md §3): a K×C matrix with :math:`\mathrm{Dir}(\alpha \cdot 1_K)`
    columns is scaled ``sinkhorn_iters`` times to row sums :math:`1/K` and column sums
    :math:`n_c/n`; client k receives :math:`\lfloor P_{kc} \cdot n\rfloor` samples of class c.
    Deviations from the code (comments in the body): Dirichlet draws and the Sinkhorn scaling
    run in log space (the code's linear-space version yields NaN when α is tiny and rows
    underflow to 0), the scaling alternates columns then rows (standard Sinkhorn), and the
    column target is the realised class frequency :math:`n_c/n` (:math:`1/C` for balanced
    classes). The samples lost to flooring stay unassigned (as in the code) and are reported.

    Empty-client rule (both forms): up to ``max_draws`` independent Dirichlet draws are tried
    (NumPy generators seeded by ``fold_in(key, t)``); the first whose partition gives every
    client ≥ ``min_size`` samples is kept. If none does, the draw with the smallest total
    deficit is kept and repaired: the smallest client takes an unassigned sample if there is
    one (balanced form), otherwise one sample of the largest client's most frequent class.
    ``info`` records the draws used and the samples moved; :func:`partition_report` gives the
    realised heterogeneity (nothing is smoothed silently).

    Args:
      labels: (n,) integer class labels ≥ 0.
      n_clients: :math:`K \ge 1` with :math:`K \cdot \mathrm{min\_size} \le n`.
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
    lab, class_n, k_clients, a, min_size, max_draws, iters = _checked(
        labels, n_clients, alpha, key, min_size, max_draws, sinkhorn_iters
    )
    present = np.flatnonzero(class_n > 0)
    best = None
    for t in range(max_draws):
        counts, pools, residual = _draw(
            _host_rng(key, t), lab, class_n, present, a, k_clients, balanced, iters, assign_leftover
        )
        deficit = int(np.maximum(min_size - counts.sum(axis=1), 0).sum())
        if best is None or deficit < best[0]:
            best = (deficit, t, counts, pools, residual)
        if deficit == 0:
            break
    deficit, t, counts, pools, residual = best
    out, moved, from_spare, unassigned = _assign(pools, counts, lab, min_size, deficit)
    out.info = {"form": "balanced" if balanced else "hsu", "alpha": a, "draws": t + 1,
                "moved": moved, "from_unassigned": from_spare, "unassigned": unassigned,
                "sinkhorn_residual": residual}  # fmt: skip
    return out


def _checked(labels, n_clients, alpha, key, min_size, max_draws, sinkhorn_iters) -> tuple:
    """:func:`dirichlet_partition`'s arguments validated, and the samples per label value:
    ``(labels, class counts, K, α, min_size, max_draws, sinkhorn_iters)``."""
    lab = _labels(labels)
    k_clients = v.integer(n_clients, "n_clients", lo=1)
    a = v.real(alpha, "alpha", lo=0.0, lo_open=True)
    _check_key(key)
    min_size = v.integer(min_size, "min_size", lo=0)
    max_draws = v.integer(max_draws, "max_draws", lo=1)
    iters = v.integer(sinkhorn_iters, "sinkhorn_iters", lo=1)
    class_n = _class_counts(lab, k_clients, min_size)
    return lab, class_n, k_clients, a, min_size, max_draws, iters


def _draw(rng, lab, class_n, present, a: float, k_clients: int, balanced, iters, leftover):
    """One Dirichlet draw: ``(counts (K, C), per-class index pools, Sinkhorn residual)``."""
    # one shuffle of all indices, then a stable sort by label: shuffled pools per class
    shuffled = rng.permutation(lab.size)
    shuffled = shuffled[np.argsort(lab[shuffled], kind="stable")]
    pools = np.split(shuffled, np.cumsum(class_n)[:-1])
    # log proportions: row c is Dir(α·1_K) over clients for class c, shape (C, K)
    logp = _log_dirichlet(rng, a, (class_n.size, k_clients))
    if balanced:
        counts, residual = _balanced_counts(logp, class_n, present, iters, leftover)
        return counts, pools, residual
    counts = np.stack(
        [_round_preserving(np.exp(logp[c]), int(class_n[c])) for c in range(class_n.size)],
        axis=1,
    )
    return counts, pools, 0.0


def _class_counts(lab: np.ndarray, k_clients: int, min_size: int) -> np.ndarray:
    """Samples per label value 0..max (validating that K clients of ``min_size`` fit)."""
    n = lab.size
    if k_clients > n:
        v.fail("n_clients", f"at most the {n} samples (one each at least)", k_clients)
    if k_clients * min_size > n:
        v.fail(
            "min_size",
            f"at most n/n_clients = {n // k_clients} samples per client ({n} samples, "
            f"{k_clients} clients)",
            min_size,
        )
    n_classes = int(lab.max()) + 1
    # one count per label value up to the largest, and the K x C class proportions
    v.check_fits(
        "labels", f"largest label {n_classes - 1}", 8 * n_classes * (k_clients + 2),
        what="the per-class counts (one per label value up to the largest)",
    )  # fmt: skip
    return np.bincount(lab, minlength=n_classes)


def _balanced_counts(logp, class_n, present, iters: int, assign_leftover: bool) -> tuple:
    """The balanced form's (K, C) counts and the Sinkhorn residual, from the (C, K) log
    Dirichlet proportions (the official code's ``dir`` partition; deviations in
    :func:`dirichlet_partition`)."""
    n, k_clients = int(class_n.sum()), logp.shape[1]
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
    counts = np.zeros((k_clients, class_n.size), np.int64)
    counts[:, present] = sub
    return counts, residual


def _assign(pools, counts, lab, min_size: int, deficit: int) -> tuple:
    """``(partition, moved, from_unassigned, unassigned)``: the per-class pools cut by
    ``counts``, repaired to ``min_size`` per client when the draw left a ``deficit``."""
    chunks = _split_by_counts(pools, counts)
    parts = [list(np.concatenate(ch).astype(np.int64)) for ch in chunks]
    used = np.zeros(lab.size, bool)
    for p in parts:
        used[np.asarray(p, dtype=np.int64)] = True
    spare = list(np.flatnonzero(~used)[::-1])
    from_spare, moved = _repair(parts, lab, min_size, spare) if deficit else (0, 0)
    out = Partition(np.sort(np.asarray(p, dtype=np.int64)) for p in parts)
    return out, moved, from_spare, len(spare)


def partition_report(partition: Any, labels: Any, *, n_classes: int | None = None) -> dict:
    r"""Realised heterogeneity of a partition (JSON-serialisable).

    :math:`\mathrm{TV}_k = \tfrac12 \sum_c \lvert P_k(c) - P(c)\rvert` between client k's label
    distribution and the global one of the samples in ``labels``.

    Args:
      partition: K index arrays into ``labels`` (e.g. from :func:`dirichlet_partition`).
      labels: (n,) integer labels.
      n_classes: number of classes C; default :math:`\max(\mathrm{label}) + 1`.

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
    v.check_fits(
        "n_classes", c, 8 * c * (len(parts) + 2), what="the K x C class counts of the report"
    )
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
