"""Track D data: images from ``sims.data`` loaders, split over clients with the paper's skews.

* :func:`load_images` — scikit-learn's 8×8 digits (no download) or CIFAR-10 from a local
  directory in the standard python format (``sims.data.load_cifar10``), as (n, H, W, C)
  float32 in [0, 1] (digits: intensity / 16), with an integer label vector;
* :func:`split_clients` — per-client images for a skew:
  ``"iid"`` (Dirichlet α = 1e5, the paper's IID), ``"label"`` (Dirichlet α label skew,
  ``sims.data.dirichlet_partition``, Hsu form or the official balanced form) and
  ``"feature"`` (an IID split, then a fixed per-client style ``augment.client_style``: the
  paper's F/non-IID, docs/theory/paper_code.md §3).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.random as jr
import numpy as np

from sims import data as sdata
from sims.trackd import augment
from theory import _validate as v

__all__ = ["DATASETS", "SKEWS", "Images", "load_images", "split_clients"]

DATASETS = ("digits", "cifar10")
SKEWS = ("iid", "label", "feature")
IID_ALPHA = 1e5


class Images(NamedTuple):
    """Train/test images (n, H, W, C) float32 and int64 labels; ``n_classes``."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    n_classes: int


def load_images(
    dataset: str = "digits",
    *,
    key: jax.Array,
    path: str | None = None,
    max_train: int | None = None,
    max_test: int | None = None,
) -> Images:
    """Images of ``dataset`` (``"digits"`` or ``"cifar10"``, the latter read from ``path``).

    Args:
      dataset: name. key: PRNG key (digits train/test split; subsampling).
      path: CIFAR-10 directory (python format), required for ``"cifar10"``.
      max_train, max_test: optional caps (random subsets) to keep runs small.

    Example:
      >>> import jax.random as jr
      >>> im = load_images("digits", key=jr.key(0))
      >>> im.x_train.shape[1:], im.n_classes
      ((8, 8, 1), 10)
    """
    v.choice(dataset, "dataset", DATASETS)
    if dataset == "digits":
        s = sdata.load_digits_split(key=jr.fold_in(key, 0), standardize=False)
        shape = (8, 8, 1)
        xtr = s.x_train.reshape(-1, *shape) / 16.0
        xte = s.x_test.reshape(-1, *shape) / 16.0
    else:
        if path is None:
            v.fail("path", "a CIFAR-10 directory (python format) for dataset='cifar10'", path)
        s = sdata.load_cifar10(path)
        xtr = s.x_train.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
        xte = s.x_test.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    ytr, yte = np.asarray(s.y_train), np.asarray(s.y_test)
    if max_train is not None and v.integer(max_train, "max_train", lo=1) < len(ytr):
        idx = np.sort(np.asarray(jr.permutation(jr.fold_in(key, 1), len(ytr)))[:max_train])
        xtr, ytr = xtr[idx], ytr[idx]
    if max_test is not None and v.integer(max_test, "max_test", lo=1) < len(yte):
        idx = np.sort(np.asarray(jr.permutation(jr.fold_in(key, 2), len(yte)))[:max_test])
        xte, yte = xte[idx], yte[idx]
    return Images(
        xtr.astype(np.float32), ytr, xte.astype(np.float32), yte, int(max(ytr.max(), yte.max()) + 1)
    )


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
    v.choice(skew, "skew", SKEWS)
    a = IID_ALPHA if skew != "label" else v.real(alpha, "alpha", lo=0.0, lo_open=True)
    parts = sdata.dirichlet_partition(
        images.y_train, n_clients, a, key=jr.fold_in(key, 0), balanced=balanced, min_size=2
    )
    xs = [images.x_train[p] for p in parts]
    ys = [images.y_train[p] for p in parts]
    report = sdata.partition_report(parts, images.y_train, n_classes=images.n_classes)
    report = {k: report[k] for k in ("sizes", "tv_mean", "tv_max", "classes_per_client")}
    if skew == "feature":
        styles = np.asarray(
            augment.style_params(n_clients, key=jr.fold_in(key, 1), strength=strength)
        )
        xs = [augment.client_style(x, st) for x, st in zip(xs, styles, strict=True)]
        report["styles"] = styles.tolist()
    return xs, ys, report
