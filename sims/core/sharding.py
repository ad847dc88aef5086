"""Sharding the client axis (one run) or the sweep axis (many runs) over devices.

The engine is written for one client and ``vmap``ped; its clients can be split over devices
in two ways:

* ``make_engine(config, mesh=client_mesh())``: each device trains the clients it holds and
  computes their part of the metrics inside ``jax.shard_map``, with no communication until
  the mixing, and a few collectives per round after it (``tests/test_sharded_engine.py``:
  equal to one device within 1e-12 in float64 for every kind of round). The faster way; on
  a CPU with one device per core it spreads a round's small per-client products over the
  cores (``dssl bench``: 1.3x the one-device engine at the quick setting on 2 cores).
* ``make_engine(config).run(shard_clients(problem, mesh), key=key)``: the inputs are placed
  with a :class:`jax.sharding.NamedSharding` over a 1-D mesh and ``jit`` partitions the
  one-device program (GSPMD) following them (``tests/test_sharding.py``); correct, but the
  partitioner turned each local step's minibatch gather into a collective, and a round's
  small metric reductions into a dozen more.

Results equal the one-device results up to floating-point reassociation of the cross-device
sums (the mixing and the metrics' means).

On CPU, several devices are simulated with ``XLA_FLAGS=--xla_force_host_platform_device_count=8``
set BEFORE jax is imported.

Multi-host (several machines, each with its devices): start every process with the same script
and call, before anything else touches jax,

    jax.distributed.initialize(coordinator_address="host0:1234", num_processes=P, process_id=i)

then ``jax.devices()`` lists the devices of ALL processes and :func:`client_mesh` builds a mesh
over them; each process must create the same (host-local copies of the) inputs, which
``jax.device_put`` with the returned shardings places so that every process holds its own
shards (for inputs too large for one host, build them with
``jax.make_array_from_process_local_data``). Results are global arrays; fetch them on every
process with ``jax.experimental.multihost_utils.process_allgather``. Not exercised by the tests
(no multi-host machine in CI).
"""

from __future__ import annotations

import jax
import numpy as np
from jax.sharding import Mesh, NamedSharding
from jax.sharding import PartitionSpec as P

from theory import _validate as v

__all__ = ["client_mesh", "check_mesh", "shard_clients", "shard_sweep"]

#: Problem fields whose leading axis is the client axis.
_CLIENT_FIELDS = ("targets", "x", "sizes", "mixing", "agg", "pi")


def client_mesh(devices=None, axis: str = "clients") -> Mesh:
    """A 1-D mesh over ``devices`` (default: all ``jax.devices()``) with one named axis."""
    devs = jax.devices() if devices is None else list(devices)
    if len(devs) < 1:
        v.fail("devices", "at least one device", devs)
    return Mesh(np.array(devs), (axis,))


def check_mesh(mesh) -> int:
    """The number of devices of ``mesh``, which must be a one-axis :class:`Mesh` (what
    ``make_engine(config, mesh=...)`` and ``sims.run(..., mesh=...)`` take)."""
    if not isinstance(mesh, Mesh) or len(mesh.axis_names) != 1:
        v.fail("mesh", "a one-axis jax.sharding.Mesh (sims.core.sharding.client_mesh())", mesh)
    return int(mesh.devices.size)


def _divisible(n: int, mesh: Mesh, field: str) -> None:
    k = mesh.devices.size
    if n % k:
        v.fail(field, f"a multiple of the {k} devices of the mesh", n)


def shard_clients(problem, mesh: Mesh):
    """Place a :class:`sims.core.problem.Problem` with its client axis split over ``mesh``.

    Fields with a leading client axis (targets, x, sizes, the rows of a dense W, agg, π) are
    sharded; the rest (γ's, H) are replicated, and so is a mixing rule given as a value of
    :mod:`sims.core.mixing` with neighbour lists (sparse gossip, a one-peer or static
    exponential schedule: P·N·k indices and weights, small beside the models; keyed random
    matchings hold no array). A cycle of dense N × N matrices (``gossip_sequence`` of a
    (P, N, N) stack) is refused: every device would hold the P·N² entries. ``make_engine(
    config).run(shard_clients(problem, mesh), key=key)`` then runs on all devices of the mesh.
    N must be a multiple of the device count.

    With a rule value the devices train the clients they hold and ``jit``'s partitioner
    moves the neighbours' rows for the mixing: for neighbour lists whose columns are shifts
    (the one-peer and static exponential graphs; the rule's ``on_mesh``,
    ``sims.core.mixing.with_shifts``) only the rows that cross a device (collective permutes),
    for any other lists all N models to each device (an all-gather: one more model stack per
    device than the one-device round; ``benchmarks/bench_scale.py --devices``).
    """
    axis = mesh.axis_names[0]
    _divisible(int(problem.pi.shape[0]), mesh, "n_clients")
    split = NamedSharding(mesh, P(axis))
    repl = NamedSharding(mesh, P())
    rule_value = not hasattr(problem.mixing, "shape")  # a sparse or time-varying gossip rule
    n = int(problem.pi.shape[0])
    if rule_value and any(np.shape(a)[-2:] == (n, n) for a in jax.tree.leaves(problem.mixing)):
        v.fail("mesh", "None with a cycle of dense N × N matrices (every device would hold "
               "them all; give the cycle as neighbour lists)", mesh)  # fmt: skip
    if rule_value and hasattr(problem.mixing, "on_mesh"):  # the rule as it mixes split
        problem = problem._replace(mixing=problem.mixing.on_mesh())
    out = {}
    for name, val in problem._asdict().items():
        if val is None:
            out[name] = None
        else:
            rows = name in _CLIENT_FIELDS and not (name == "mixing" and rule_value)
            out[name] = jax.device_put(val, split if rows else repl)
    return type(problem)(**out)


def shard_sweep(problems, keys, mesh: Mesh, axes=None):
    """Place the swept fields of ``problems`` and the ``keys`` (K, 2) with their leading sweep
    axis split over ``mesh`` (shared fields replicated) for :func:`sims.core.engine.sweep`.

    ``axes``: as in ``sweep`` (``0`` swept, ``None`` shared; default every field swept).
    K must be a multiple of the device count. Returns ``(problems, keys)``.
    """
    axis = mesh.axis_names[0]
    keys = jax.numpy.asarray(keys)
    _divisible(int(keys.shape[0]), mesh, "keys")
    split = NamedSharding(mesh, P(axis))
    repl = NamedSharding(mesh, P())
    if axes is None:
        axes = jax.tree.map(lambda _: 0, problems)
    out = {}
    for (name, val), a in zip(problems._asdict().items(), axes, strict=True):
        out[name] = None if val is None else jax.device_put(val, split if a == 0 else repl)
    return type(problems)(**out), jax.device_put(keys, split)
