"""The arms one Track D run has trained, kept by what decides their result, so that no arm is
trained twice in a run.

Two experiments train arms another experiment also trains. At DEFAULT, Table 5's SimSiam and
MAE arms are Table 1's label-skew arms (MLP, 10 clients, 5 per round, α = 0.1), and Table 6's
FedAvg reference is Fig 2a's. An :class:`Arms` handed from one experiment to the next lets the
second read such an arm instead of training it again. ``dssl reproduce`` hands one to the
stage that runs Table 1 and then Table 5, and one to the stage that runs Fig 2a and then
Table 6; ``dssl trackd`` hands one to all the experiments it runs.

What decides an arm's result is its :class:`ArmKey`: the preset's :class:`Common` (without
``curve_every``), the encoder, the objective, the mixing rule's spelling, the clients per round,
the data split (clients, skew, α, and the partition's form: Hsu's Dirichlet or the official
balanced one), the seed and the devices. Only the rules spelled by a string
(``"fedavg"``) are kept: a DecL arm's mixing matrix is not a key. The learning curve does not
change the trained parameters, because ``sims.run`` gives the same result whatever its
``rounds_per_call``. A curve is served only to a request with the same ``curve_every``, or to
one that asks for none.

Each kept arm holds its metrics and, of its parameters, client 0's and the global model. That
is what the experiments read from a served arm (Table 5 starts its extra local round from
client 0's model, which FedAvg sets to the server model). Memory therefore does not grow with
the number of clients.

Example:
  >>> arms = Arms()
  >>> key = ArmKey(Common(), "mlp", "mae", "fedavg", 5, 10, "label", 0.1, 0, ())
  >>> arms.get(key, curve_every=0) is None
  True
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any, NamedTuple

import jax

from sims.trackd.presets import Common

__all__ = ["ArmKey", "Arms"]

log = logging.getLogger("sims.trackd.experiments")  # the experiments' progress lines


class ArmKey(NamedTuple):
    """What decides one arm's trained parameters and metrics (module docstring)."""

    common: Common
    arch: str
    objective: str
    mixing: Any
    clients_per_round: int | None
    n_clients: int
    skew: str
    alpha: float
    seed: int
    devices: tuple
    partition: str = "hsu"

    @property
    def kept(self) -> bool:
        """Whether :class:`Arms` keeps this arm: its mixing is spelled by a string
        (``"fedavg"``); a DecL matrix is not a key."""
        return isinstance(self.mixing, str)

    @classmethod
    def of(cls, common: Common, *args) -> ArmKey:
        """The key with ``common.curve_every`` set to 0 (the curve is not part of the result)."""
        return cls(dataclasses.replace(common, curve_every=0), *args)


class Arms:
    """A run's trained arms by :class:`ArmKey` (module docstring); one per run, handed by the
    caller to each experiment it runs."""

    def __init__(self) -> None:
        self._kept: dict[ArmKey, tuple[int, Any, dict]] = {}

    def __len__(self) -> int:
        return len(self._kept)

    def get(self, key: ArmKey, *, curve_every: int) -> tuple[Any, dict] | None:
        """``(result, metrics)`` of the arm ``key``, or None if this run has not trained it or
        kept it without the learning curve asked for (``curve_every`` > 0 and different)."""
        kept = self._kept.get(key)
        if kept is None or (curve_every > 0 and kept[0] != curve_every):
            return None
        return kept[1], dict(kept[2])

    def put(self, key: ArmKey, result: Any, metrics: dict, *, curve_every: int) -> None:
        """Keep the arm ``key``: its metrics, and of its parameters client 0's and the global
        model (``sims.core.trainer.Result`` with ``params`` cut to the first client)."""
        slim = result._replace(params=jax.tree.map(lambda a: a[:1], result.params))
        self._kept[key] = (curve_every, slim, dict(metrics))

    def arm(self, key: ArmKey, curve_every: int, train: Callable[[], tuple]) -> tuple[Any, dict]:
        """The arm ``key`` as ``(result, metrics)``: kept by this run, or ``train()`` (kept
        when its mixing is spelled by a string: a DecL matrix is not a key, and such an arm is
        trained without being looked up; Fig 2b's DecL arms raised ``unhashable type`` here)."""
        if not key.kept:
            return train()
        kept = self.get(key, curve_every=curve_every)
        if kept is not None:
            log.info("%s %s, %d clients: read from this run's arms", key.objective, key.arch,
                     key.n_clients)  # fmt: skip
            return kept
        result, metrics = train()
        self.put(key, result, metrics, curve_every=curve_every)
        return result, metrics
