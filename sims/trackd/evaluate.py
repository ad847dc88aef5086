r"""Track D evaluation of trained encoders on held-out images.

* :func:`features` — pooled representations f(x) (n, c) of a network (jitted, in chunks);
* :func:`probe` — held-out accuracy of a closed-form ridge linear probe on the features
  (``sims.metrics.probe_accuracy`` on :math:`z = f(x)` with the identity map; features
  standardised with the training mean and deviation first);
* :func:`knn` — held-out k-NN accuracy (cosine similarity, majority vote);
* :func:`effective_rank` — exp of the entropy of the normalised singular values of the centred
  features (Roy & Vetterli 2007) and the numerical rank;
* :func:`uniformity` — intra- and inter-client uniformity (``sims.metrics.client_uniformity``)
  of the global model's features of each client's data;
* :func:`layer_distances` — summed layer-wise :math:`\ell_2` weight distance
  :math:`\sum_l \lVert \theta_a^l - \theta_b^l\rVert_F` (Table 5 of arXiv 2607.02447), and
  per-leaf values;
* :func:`summarize_seeds` — mean, SE over seeds, with the chance rate.
"""

from __future__ import annotations

import functools
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np

from sims import metrics
from sims.trackd import augment
from sims.trackd.models import NetConfig, make_net
from theory import _validate as v

__all__ = [
    "features",
    "probe",
    "knn",
    "effective_rank",
    "uniformity",
    "layer_distances",
    "summarize_seeds",
]


@functools.lru_cache(maxsize=32)
def _feature_fn(net_cfg: NetConfig, patch: int):
    net = make_net(net_cfg)

    def f(params, x):
        return net.apply(params, augment.patchify(x, patch), method="represent")

    return jax.jit(f)


def features(net_cfg: NetConfig, params: Any, images: Any, patch: int, chunk: int = 512):
    """Representations (n, rep_dim) as float64 NumPy of images (n, H, W, C) under ``params``."""
    x = np.asarray(images)
    if x.ndim != 4:
        v.fail("images", "an array of shape (n, H, W, C)", f"shape {x.shape}")
    fn = _feature_fn(net_cfg, int(patch))
    dt = jnp.dtype(net_cfg.dtype)
    out = [
        np.asarray(fn(params, jnp.asarray(x[s : s + chunk], dt))) for s in range(0, len(x), chunk)
    ]
    return np.concatenate(out).astype(np.float64)


def _standardise(z_tr: np.ndarray, z_te: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    mu = z_tr.mean(axis=0)
    sd = z_tr.std(axis=0)
    sd = np.where(sd > 1e-12, sd, 1.0)
    return (z_tr - mu) / sd, (z_te - mu) / sd


def probe(z_train, y_train, z_test, y_test, *, n_classes: int, ridge: float = 1e-3) -> float:
    """Ridge linear-probe accuracy on standardised features (``sims.metrics.probe_accuracy``).

    Example:
      >>> z = np.array([[0.0], [1.0], [0.1], [0.9]]); y = np.array([0, 1, 0, 1])
      >>> probe(z, y, z, y, n_classes=2)
      1.0
    """
    a, b = _standardise(np.asarray(z_train, np.float64), np.asarray(z_test, np.float64))
    return metrics.probe_accuracy(
        np.eye(a.shape[1]), a, y_train, b, y_test, n_classes=n_classes, ridge=ridge
    )


def knn(z_train, y_train, z_test, y_test, *, k: int = 5, n_classes: int) -> float:
    """k-NN accuracy with cosine similarity and a majority vote (ties: the smallest label).

    Example:
      >>> z = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0], [0.1, 0.9]])
      >>> knn(z, np.array([0, 0, 1, 1]), z, np.array([0, 0, 1, 1]), k=1, n_classes=2)
      1.0
    """
    k = v.integer(k, "k", lo=1)
    a = np.asarray(z_train, np.float64)
    b = np.asarray(z_test, np.float64)
    a = a / np.maximum(np.linalg.norm(a, axis=1, keepdims=True), 1e-12)
    b = b / np.maximum(np.linalg.norm(b, axis=1, keepdims=True), 1e-12)
    sim = b @ a.T
    k = min(k, a.shape[0])
    nn_idx = np.argpartition(-sim, k - 1, axis=1)[:, :k]
    votes = np.zeros((b.shape[0], n_classes))
    np.add.at(votes, (np.arange(b.shape[0])[:, None], np.asarray(y_train)[nn_idx]), 1.0)
    return float(np.mean(np.argmax(votes, axis=1) == np.asarray(y_test)))


def effective_rank(z: Any, rel_tol: float = 1e-3) -> dict:
    r"""Effective rank :math:`\exp(H(\sigma/\sum\sigma))` and numerical rank
    :math:`\#\{\sigma > \mathrm{rel\_tol}\cdot\sigma_{\max}\}` of centred z (n, c).

    Example:
      >>> effective_rank(np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0], [0.0, -1.0]]))["erank"]
      2.0
    """
    a = np.asarray(z, np.float64)
    a = a - a.mean(axis=0)
    s = np.linalg.svd(a, compute_uv=False)
    if s.size == 0 or s[0] <= 0:
        return {"erank": 0.0, "rank": 0}
    p = s / s.sum()
    p = p[p > 0]
    return {
        "erank": round(float(np.exp(-np.sum(p * np.log(p)))), 12),
        "rank": int(np.sum(s > rel_tol * s[0])),
    }


def uniformity(z_clients: Any, t: float = 2.0) -> dict:
    r"""Intra-client :math:`U_k` and mean inter-client :math:`U_{ij}` (:math:`i \ne j`) of
    features z (N, m, c).

    Returns dict with ``intra`` (N,), ``intra_mean``, ``inter_mean`` (mean over
    :math:`i \ne j`).
    """
    z = jnp.asarray(np.asarray(z_clients, np.float64))
    if z.ndim != 3 or z.shape[1] < 2:
        v.fail("z_clients", "an array of shape (N, m >= 2, c)", f"shape {tuple(z.shape)}")
    intra, inter = metrics.client_uniformity(z, t)
    intra = np.asarray(intra)
    inter = np.asarray(inter)
    n = inter.shape[0]
    off = ~np.eye(n, dtype=bool)
    return {
        "intra": intra.tolist(),
        "intra_mean": float(intra.mean()),
        "inter_mean": float(inter[off].mean()) if n > 1 else float("nan"),
    }


def layer_distances(params_a: Any, params_b: Any) -> dict:
    r"""Summed layer-wise distance :math:`\sum_l \lVert a_l - b_l\rVert_F` over the leaves, and
    per-leaf values.

    Example:
      >>> a, b = {"w": np.ones(4), "b": np.zeros(1)}, {"w": np.zeros(4), "b": np.ones(1)}
      >>> layer_distances(a, b)["sum"]
      3.0
    """
    la = jax.tree_util.tree_leaves_with_path(params_a)
    lb = jax.tree.leaves(params_b)
    if len(la) != len(lb):
        v.fail("params_b", f"a pytree with {len(la)} leaves like params_a", len(lb))
    per = {}
    for (path, a), b in zip(la, lb, strict=True):
        name = jax.tree_util.keystr(path)
        per[name] = float(np.linalg.norm(np.asarray(a, np.float64) - np.asarray(b, np.float64)))
    return {"sum": float(sum(per.values())), "per_layer": per}


def summarize_seeds(values: Any, *, chance: float | None = None) -> dict:
    """Mean, SE (ddof 1) and count over seeds of per-seed values (S,), with the chance rate.

    Example:
      >>> summarize_seeds([0.5, 0.7], chance=0.1)["mean"]
      0.6
    """
    x = np.asarray(values, np.float64).ravel()
    if x.size == 0:
        v.fail("values", "a non-empty array", values)
    se = float(np.std(x, ddof=1) / np.sqrt(x.size)) if x.size > 1 else float("nan")
    out = {"mean": round(float(x.mean()), 12), "se": se, "n": int(x.size), "values": x.tolist()}
    if chance is not None:
        out["chance"] = float(chance)
    return out
