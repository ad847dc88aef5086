r"""FedProx (Li et al., MLSys 2020, "Federated Optimization in Heterogeneous Networks"): every
local step descends :math:`f_i(w) + (\mu/2)\lVert w - w_t\rVert^2`, :math:`w_t` the client's
model at the start of the round (the server model under FedAvg), so the step's gradient is
:math:`\nabla f_i(w) + \mu(w - w_t)`. :math:`\mu = 0` is plain local training. Nothing is
carried between rounds."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax

from theory import _validate as v

__all__ = ["FedProx", "fedprox"]


@dataclasses.dataclass(frozen=True)
class FedProx:
    r"""The proximal term :math:`\frac{\mu}{2}\lVert w - w_t\rVert^2` on every local step
    (:class:`sims.core.rounds.ClientAlgorithm`).

    Example:
      >>> import jax.numpy as jnp
      >>> fedprox(0.5).grad(jnp.ones(2), jnp.array([3.0, 1.0]), jnp.ones(2), (), ()).tolist()
      [2.0, 1.0]
    """

    mu: float

    def __post_init__(self) -> None:
        v.real(self.mu, "mu", lo=0.0)

    def init(self, params: Any) -> tuple:
        return ()

    def share(self, states: Any) -> tuple:
        return ()

    def grad(self, g: Any, params: Any, start: Any, state: Any, shared: Any) -> Any:
        r""":math:`\nabla f_i(w) + \mu(w - w_t)`."""
        return jax.tree.map(lambda gi, p, p0: gi + self.mu * (p - p0), g, params, start)

    def finish(self, state: Any, start: Any, params: Any, shared: Any, *, steps: int) -> tuple:
        return ()


def fedprox(mu: float) -> FedProx:
    """FedProx with proximal weight ``mu`` ≥ 0 (module docstring)."""
    return FedProx(mu)
