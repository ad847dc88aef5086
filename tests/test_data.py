"""Data layer (the package sims/data/): sampler moments, partitions, real-data loaders, padding.

Sampler tolerance: every entry of an empirical mean / second moment over n samples must lie
within 5 standard errors (s/√n, s the sample's own standard deviation of that entry) of the
closed form of ``theory.datamodel`` (false-alarm probability ≈ 6e-7 per entry; fixed seeds).
"""

from __future__ import annotations

import pickle
from functools import partial

import jax
import jax.numpy as jnp
import jax.random as jr
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sims import data as D
from theory import datamodel as dm

N_SE = 5.0


def _within(samples: np.ndarray, exact: np.ndarray) -> bool:
    n = samples.shape[0]
    mean = samples.mean(axis=0)
    se = samples.std(axis=0, ddof=1) / np.sqrt(n)
    return bool(np.all(np.abs(mean - exact) <= N_SE * se + 1e-12))


@pytest.mark.parametrize("rare_axis", ["class-index", "extra"])
def test_sampler_moments_match_datamodel(rare_axis):
    model = dm.DataModel(d=8, n_clients=3, rare_fraction=0.2, rare_axis=rare_axis)
    x, y = D.sample_paper_model(model, 20_000, key=jr.key(0))
    x, y = np.asarray(x), np.asarray(y)
    mean, second = dm.client_mean(model), dm.client_second_moment(model)
    labels, means = dm.class_labels(model), dm.class_means(model)
    for i in range(model.n_clients):
        assert _within(x[i], mean[i])
        outer = np.einsum("md,me->mde", x[i], x[i])
        assert _within(outer, second[i])
        assert set(np.unique(y[i])) <= set(labels[i].tolist())
        for s in range(3):  # per-component means: the label matches its feature law
            sel = x[i][y[i] == labels[i, s]]
            assert _within(sel, means[i, s])


def test_sampler_stratified_jit_dtype_and_validation():
    model = dm.DataModel(d=8, n_clients=3, rare_fraction=0.1)
    x, y = D.sample_paper_model(model, 21, key=jr.key(1), stratified=True)
    assert x.shape == (3, 21, 8) and y.shape == (3, 21) and x.dtype == jnp.float64
    for i, lab in enumerate(dm.class_labels(model)):
        counts = [int((np.asarray(y[i]) == c).sum()) for c in lab]
        assert counts == [10, 9, 2]
    xj, yj = jax.jit(partial(D.sample_paper_model, model, 21, stratified=True))(key=jr.key(1))
    np.testing.assert_allclose(np.asarray(xj), np.asarray(x), rtol=1e-14, atol=1e-14)
    np.testing.assert_array_equal(np.asarray(yj), np.asarray(y))
    x32, _ = D.sample_paper_model(model, 4, key=jr.key(2), dtype=jnp.float32)
    assert x32.dtype == jnp.float32
    for fun, field in [
        (lambda: D.sample_paper_model(model, 0, key=jr.key(0)), "n_per_client:"),
        (lambda: D.sample_paper_model("m", 3, key=jr.key(0)), "model:"),
        (lambda: D.sample_paper_model(model, 3, key=0), "key:"),
        (lambda: D.sample_paper_model(model, 3, key=jr.key(0), dtype=jnp.int32), "dtype:"),
    ]:
        with pytest.raises(ValueError, match=f"^{field}"):
            fun()


# ---------------------------------------------------------------------------------------------
# partitions

LABELS = np.repeat(np.arange(10), 100)  # 10 balanced classes, n = 1000


def _assigned_once(parts, n):
    allidx = np.concatenate(parts)
    return np.array_equal(np.sort(allidx), np.arange(n))


@pytest.mark.parametrize("alpha", [1e-3, 1e-1, 1.0, 1e5])
@pytest.mark.parametrize("n_clients", [5, 20])
def test_hsu_partition_assigns_every_sample_once(alpha, n_clients):
    parts = D.dirichlet_partition(LABELS, n_clients, alpha, key=jr.key(3))
    assert len(parts) == n_clients
    assert _assigned_once(parts, LABELS.size)
    rep = D.partition_report(parts, LABELS)
    assert rep["empty_clients"] == 0 and rep["min_size"] >= 1
    assert rep["duplicates"] == 0 and rep["unassigned"] == 0
    assert np.all(np.isfinite(rep["tv"]))


@pytest.mark.parametrize("alpha", [1e-3, 1e-1, 1.0, 1e5])
def test_balanced_partition_no_empty_no_duplicate(alpha):
    parts = D.dirichlet_partition(LABELS, 20, alpha, key=jr.key(4), balanced=True)
    rep = D.partition_report(parts, LABELS)
    assert rep["empty_clients"] == 0 and rep["duplicates"] == 0
    assert np.isfinite(rep["info"]["sinkhorn_residual"])
    assert rep["unassigned"] == rep["info"]["unassigned"]
    assert sum(rep["sizes"]) + rep["unassigned"] == LABELS.size
    if alpha >= 0.1:  # Sinkhorn converged: sizes ≈ n/K up to the floors
        assert rep["info"]["sinkhorn_residual"] < 1e-8
        assert 50 - 10 <= rep["min_size"] <= rep["max_size"] <= 50
    full = D.dirichlet_partition(
        LABELS, 20, alpha, key=jr.key(4), balanced=True, assign_leftover=True
    )
    if alpha >= 0.1:
        assert _assigned_once(full, LABELS.size)


def _class_concentration(rep):
    counts = np.asarray(rep["counts"], dtype=np.float64)
    return float(np.mean(counts.max(axis=0) / counts.sum(axis=0)))


def test_alpha_extremes():
    tiny = D.partition_report(D.dirichlet_partition(LABELS, 5, 1e-3, key=jr.key(5)), LABELS)
    assert _class_concentration(tiny) >= 0.95  # each class on (almost) one client
    huge = D.partition_report(D.dirichlet_partition(LABELS, 5, 1e5, key=jr.key(5)), LABELS)
    assert huge["tv_max"] <= 0.02
    tiny_b = D.dirichlet_partition(LABELS, 5, 1e-3, key=jr.key(5), balanced=True)
    assert _class_concentration(D.partition_report(tiny_b, LABELS)) >= 0.9
    huge_b = D.dirichlet_partition(
        LABELS, 5, 1e5, key=jr.key(5), balanced=True, assign_leftover=True
    )
    assert D.partition_report(huge_b, LABELS)["tv_max"] <= 0.02


def test_partition_is_seeded():
    a = D.dirichlet_partition(LABELS, 7, 0.5, key=jr.key(6))
    b = D.dirichlet_partition(LABELS, 7, 0.5, key=jr.key(6))
    c = D.dirichlet_partition(LABELS, 7, 0.5, key=jr.key(7))
    assert all(np.array_equal(p, q) for p, q in zip(a, b, strict=True))
    assert not all(np.array_equal(p, q) for p, q in zip(a, c, strict=True))
    assert a.info == b.info


def test_repair_is_reported():
    """K > C at tiny α: empty clients are filled by moves, and the moves are reported."""
    parts = D.dirichlet_partition(LABELS, 30, 1e-3, key=jr.key(8), min_size=2, max_draws=2)
    rep = D.partition_report(parts, LABELS)
    assert rep["min_size"] >= 2 and _assigned_once(parts, LABELS.size)
    assert rep["info"]["moved"] > 0 and rep["info"]["draws"] == 2


def test_partition_report_oracle():
    labels = np.array([0, 0, 1, 1, 2, 2])
    rep = D.partition_report([np.array([0, 1, 2]), np.array([3, 4]), np.array([], int)], labels)
    assert rep["counts"] == [[2, 1, 0], [0, 1, 1], [0, 0, 0]]
    # client 0: (2/3, 1/3, 0) vs (1/3, 1/3, 1/3) → TV = 1/3; client 1: (0, ½, ½) → TV = 1/3
    np.testing.assert_allclose(rep["tv"][:2], [1 / 3, 1 / 3])
    assert np.isnan(rep["tv"][2])
    assert rep["empty_clients"] == 1 and rep["unassigned"] == 1 and rep["duplicates"] == 0


@settings(max_examples=20)
@given(
    log_alpha=st.floats(-3, 5),
    n_clients=st.integers(1, 12),
    n_classes=st.integers(1, 6),
    balanced=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_partition_invariants(log_alpha, n_clients, n_classes, balanced, seed):
    labels = np.random.default_rng(seed).integers(0, n_classes, size=60)
    parts = D.dirichlet_partition(
        labels, n_clients, 10.0**log_alpha, key=jr.key(seed), balanced=balanced
    )
    rep = D.partition_report(parts, labels)
    assert rep["empty_clients"] == 0 and rep["duplicates"] == 0
    assert all(np.isfinite(t) for t in rep["tv"])
    if not balanced:
        assert _assigned_once(parts, labels.size)


def test_partition_bad_inputs():
    k = jr.key(0)
    cases = [
        (lambda: D.dirichlet_partition(LABELS, 5, 0.0, key=k), "alpha:"),
        (lambda: D.dirichlet_partition(LABELS, 5, -1.0, key=k), "alpha:"),
        (lambda: D.dirichlet_partition(LABELS, 5, float("nan"), key=k), "alpha:"),
        (lambda: D.dirichlet_partition(LABELS, 0, 1.0, key=k), "n_clients:"),
        (lambda: D.dirichlet_partition(LABELS[:10], 11, 1.0, key=k), "n_clients:"),
        (lambda: D.dirichlet_partition(np.array([0.0, np.nan]), 1, 1.0, key=k), "labels:"),
        (lambda: D.dirichlet_partition(np.array([-1, 0]), 1, 1.0, key=k), "labels:"),
        (lambda: D.dirichlet_partition(LABELS, 5, 1.0, key=None), "key:"),
        (lambda: D.partition_report([np.array([5000])], LABELS), "partition:"),
    ]
    for fun, field in cases:
        with pytest.raises(ValueError) as err:
            fun()
        assert str(err.value).startswith(field) and "\n" not in str(err.value)


# ---------------------------------------------------------------------------------------------
# real data


def test_digits_split_standardised_and_partitionable():
    s = D.load_digits_split(key=jr.key(0), test_fraction=0.25)
    assert s.x_train.shape[1] == 64 and len(s.x_train) + len(s.x_test) == 1797
    assert abs(len(s.x_test) - 0.25 * 1797) <= 1
    np.testing.assert_allclose(s.x_train.mean(axis=0), 0, atol=1e-12)
    std = s.x_train.std(axis=0)
    assert np.all((np.abs(std - 1) < 1e-12) | (std < 1e-12))
    assert set(np.unique(s.y_train)) == set(range(10))
    again = D.load_digits_split(key=jr.key(0), test_fraction=0.25)
    np.testing.assert_array_equal(again.x_test, s.x_test)
    parts = D.dirichlet_partition(s.y_train, 8, 0.1, key=jr.key(1))
    xs, ys, mask = D.client_arrays(parts, s.x_train, s.y_train)
    assert xs.shape[0] == 8 and int(mask.sum()) == len(s.y_train)
    with pytest.raises(ValueError, match="^test_fraction:"):
        D.load_digits_split(key=jr.key(0), test_fraction=1.0)


def _write_cifar(root, n_train=3, n_test=2, bad=None):
    rng = np.random.default_rng(0)
    for name in [f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]:
        n = n_test if name == "test_batch" else n_train
        batch = {
            b"data": rng.integers(0, 256, size=(n, 3072), dtype=np.uint8),
            b"labels": rng.integers(0, 10, size=n).tolist(),
            b"batch_label": name.encode(),
        }
        if bad == name:
            batch[b"data"] = batch[b"data"][:, :100]
        with open(root / name, "wb") as fh:
            pickle.dump(batch, fh)


def test_cifar_loader_on_tiny_files(tmp_path):
    _write_cifar(tmp_path)
    s = D.load_cifar10(tmp_path)
    assert s.x_train.shape == (15, 3072) and s.x_test.shape == (2, 3072)
    assert s.x_train.dtype == np.float32 and s.y_train.dtype == np.int64
    with open(tmp_path / "data_batch_2", "rb") as fh:
        raw = pickle.load(fh, encoding="bytes")
    np.testing.assert_allclose(s.x_train[3:6], raw[b"data"] / np.float32(255))
    np.testing.assert_array_equal(s.y_train[3:6], raw[b"labels"])
    assert 0.0 <= s.x_train.min() and s.x_train.max() <= 1.0
    nested = tmp_path / "outer"
    (nested / "cifar-10-batches-py").mkdir(parents=True)
    _write_cifar(nested / "cifar-10-batches-py")
    assert D.load_cifar10(nested).x_test.shape == (2, 3072)


def test_cifar_loader_errors_name_path(tmp_path):
    with pytest.raises(ValueError, match="^path:"):
        D.load_cifar10(tmp_path / "nope")
    with pytest.raises(ValueError, match="^path:.*data_batch_1 in"):
        D.load_cifar10(tmp_path)
    _write_cifar(tmp_path, bad="data_batch_3")
    with pytest.raises(ValueError, match="^path:.*data_batch_3"):
        D.load_cifar10(tmp_path)
    (tmp_path / "test_batch").write_bytes(b"not a pickle")
    _write_cifar(tmp_path)
    (tmp_path / "test_batch").write_bytes(b"not a pickle")
    with pytest.raises(ValueError, match="^path:.*test_batch"):
        D.load_cifar10(tmp_path)


# ---------------------------------------------------------------------------------------------
# padding and minibatches


def test_stack_clients_and_minibatch():
    xs = [np.arange(6.0).reshape(3, 2), np.arange(2.0).reshape(1, 2) + 100]
    x, mask = D.stack_clients(xs)
    assert x.shape == (2, 3, 2) and mask.tolist() == [[True] * 3, [True, False, False]]
    np.testing.assert_array_equal(np.asarray(x[1, 1:]), 0)
    xb, idx = D.minibatch(x[0], mask[0], 3, key=jr.key(0))
    assert sorted(np.asarray(idx).tolist()) == [0, 1, 2]
    xb1, idx1 = D.minibatch(x[1], mask[1], 4, key=jr.key(1), replace=True)
    assert np.asarray(idx1).tolist() == [0] * 4
    f = jax.jit(jax.vmap(lambda a, m, k: D.minibatch(a, m, 1, key=k)))
    xb_v, idx_v = f(x, mask, jr.split(jr.key(2), 2))
    assert np.asarray(mask)[np.arange(2), np.asarray(idx_v)[:, 0]].all()
    eager = D.minibatch(x[0], mask[0], 1, key=jr.split(jr.key(2), 2)[0])
    np.testing.assert_array_equal(np.asarray(eager[1]), np.asarray(idx_v[0]))
    with pytest.raises(ValueError, match="^batch_size:"):
        D.minibatch(x[1], mask[1], 2, key=jr.key(0))
    with pytest.raises(ValueError, match="^x_list:"):
        D.stack_clients([np.ones((2, 2)), np.full((1, 2), np.nan)])
    with pytest.raises(ValueError, match="^x_list:"):
        D.stack_clients([np.ones((2, 2)), np.ones((1, 3))])
