r"""SCAFFOLD (Karimireddy et al., ICML 2020, "SCAFFOLD: Stochastic Controlled Averaging for
Federated Learning", Algorithm 1 with option II and global step 1): client i carries a control
variate :math:`c_i` (initially 0) and every local step descends :math:`g - c_i + c`, with c the
server's control variate; after its K local steps from x (the round-start model) to :math:`y_i`,

$$
c_i \leftarrow c_i - c + \frac{x - y_i}{K \eta},
$$

η the local step size, and the server's
:math:`c \leftarrow c + \frac1N \sum_{i \in S} \Delta c_i`. Started at 0, c stays the mean of all
N clients' :math:`c_i` (the untrained keep theirs), which is how it is computed here: ``share``
is that mean. Deviation from the paper: with an optimiser other than plain SGD at step size η
the :math:`(x - y_i)/(K\eta)` estimate is the paper's formula applied as written, not the mean
gradient."""

from __future__ import annotations

import dataclasses
from typing import Any

import jax
import jax.numpy as jnp

from theory import _validate as v

__all__ = ["Scaffold", "scaffold"]


@dataclasses.dataclass(frozen=True)
class Scaffold:
    """SCAFFOLD's control variates at local step size ``lr``
    (:class:`sims.core.rounds.ClientAlgorithm`).

    Example:
      >>> a = scaffold(0.1)
      >>> c_i = a.init(jnp.zeros(2))
      >>> a.finish(c_i, jnp.ones(2), jnp.zeros(2), jnp.zeros(2), steps=5).tolist()
      [2.0, 2.0]
    """

    lr: float

    def __post_init__(self) -> None:
        v.real(self.lr, "lr", lo=0.0, lo_open=True)

    def init(self, params: Any) -> Any:
        """:math:`c_i = 0`."""
        return jax.tree.map(jnp.zeros_like, params)

    def share(self, states: Any) -> Any:
        """c: the mean of the N clients' :math:`c_i` (leading axis N)."""
        return jax.tree.map(lambda a: jnp.mean(a, axis=0), states)

    def grad(self, g: Any, params: Any, start: Any, state: Any, shared: Any) -> Any:
        """:math:`g - c_i + c`."""
        return jax.tree.map(lambda gi, ci, c: gi - ci + c, g, state, shared)

    def finish(self, state: Any, start: Any, params: Any, shared: Any, *, steps: int) -> Any:
        r""":math:`c_i - c + (x - y_i)/(K \eta)`."""
        k = steps * self.lr
        return jax.tree.map(
            lambda ci, c, x, y: ci - c + (x - y) / jnp.asarray(k, x.dtype),
            state, shared, start, params,
        )  # fmt: skip


def scaffold(lr: float) -> Scaffold:
    """SCAFFOLD for local steps of size ``lr`` (module docstring)."""
    return Scaffold(lr)
