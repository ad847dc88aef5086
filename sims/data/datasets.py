"""Real data sets for the partitioners: scikit-learn's 8×8 digits (no download) and CIFAR-10
from local python-pickle batches, both as a train/test :class:`Split`."""

from __future__ import annotations

import os
import pickle
from typing import Any, NamedTuple

import jax
import jax.random as jr
import numpy as np

from sims.data._checks import _check_key
from theory import _validate as v

__all__ = ["Split", "load_digits_split", "load_cifar10", "write_random_cifar10"]


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


def write_random_cifar10(
    path: str | os.PathLike, n_train: int, n_test: int, *, seed: int = 0
) -> None:
    """Write random uint8 images and labels in CIFAR-10's python format to ``path``: 5 train
    batches of ``n_train`` images each and a test batch of ``n_test``, readable by
    :func:`load_cifar10`. For tests and for timing on machines without the data (the work per
    image is the real data's)."""
    n_train = v.integer(n_train, "n_train", lo=1)
    n_test = v.integer(n_test, "n_test", lo=1)
    rng = np.random.default_rng(seed)
    for name in (*_CIFAR_TRAIN, _CIFAR_TEST):
        n = n_test if name == _CIFAR_TEST else n_train
        batch = {
            b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, size=n).tolist(),
        }
        with open(os.path.join(os.fspath(path), name), "wb") as fh:
            pickle.dump(batch, fh)
